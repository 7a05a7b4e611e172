/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kv.h"

#define BLANKS " \t"

void kv_init(KvParser *k, const char *text, char *buf, size_t size)
{
	*k = (KvParser){ .p = text, .buf = buf, .size = size };
}

static char *trim(char *s)
{
	size_t n;

	s += strspn(s, BLANKS);
	n = strlen(s);
	while (n > 0 && strchr(BLANKS, s[n - 1]))
		s[--n] = '\0';
	return s;
}

int kv_next(KvParser *k, char **key, char **value, char *err, size_t errlen)
{
	while (k->p && *k->p) {
		size_t len = strcspn(k->p, "\n");
		char *line, *eq;

		k->lineno++;
		if (len >= k->size) {
			snprintf(err, errlen, "line %u: longer than %zu bytes", k->lineno, k->size - 1);
			return -E2BIG;
		}
		memcpy(k->buf, k->p, len);
		k->buf[len] = '\0';
		k->p += len + (k->p[len] == '\n');
		line = k->buf + strspn(k->buf, BLANKS);
		if (!*line || *line == '#')
			continue;
		eq = strchr(line, '=');
		if (!eq) {
			snprintf(err, errlen, "line %u: expected key = value", k->lineno);
			return -EINVAL;
		}
		*eq = '\0';
		*key = trim(line);
		*value = trim(eq + 1);
		if (!**key) {
			snprintf(err, errlen, "line %u: no key before '='", k->lineno);
			return -EINVAL;
		}
		return 1;
	}
	return 0;
}
