/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mountinfo.h"
#include "util.h"

/* Copies the next space-separated field of *p into out (size bytes), decoding \ooo escapes;
 * -EINVAL when there is none, it does not fit or an escape is malformed. */
static int next_field(const char **p, char *out, size_t size)
{
	const char *s = *p;
	size_t n = 0;

	s += strspn(s, " ");
	if (!*s || *s == '\n')
		return -EINVAL;
	for (; *s && *s != ' ' && *s != '\n'; s++) {
		char c = *s;

		if (c == '\\') {
			if (s[1] < '0' || s[1] > '3' || s[2] < '0' || s[2] > '7' || s[3] < '0' ||
			    s[3] > '7')
				return -EINVAL;
			c = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			if (c == '\0')
				return -EINVAL;
			s += 3;
		}
		if (n + 1 >= size)
			return -EINVAL;
		out[n++] = c;
	}
	out[n] = '\0';
	*p = s;
	return 0;
}

static int next_uint(const char **p, unsigned *ret)
{
	char buf[16];
	unsigned long v;

	if (next_field(p, buf, sizeof(buf)) < 0 || parse_uint(buf, 0, 0xffffffffUL, &v) < 0)
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

int mountinfo_parse_line(const char *line, MountInfo *m)
{
	const char *p = line;
	char devno[32], opt[MOUNTINFO_PATH_MAX], *colon;
	unsigned long maj, min;

	memset(m, 0, sizeof(*m));
	if (next_uint(&p, &m->id) < 0 || next_uint(&p, &m->parent) < 0 ||
	    next_field(&p, devno, sizeof(devno)) < 0 || !(colon = strchr(devno, ':')))
		return -EINVAL;
	*colon = '\0';
	if (parse_uint(devno, 0, 0xffffffffUL, &maj) < 0 ||
	    parse_uint(colon + 1, 0, 0xffffffffUL, &min) < 0)
		return -EINVAL;
	m->major = (unsigned)maj;
	m->minor = (unsigned)min;
	if (next_field(&p, m->root, sizeof(m->root)) < 0 ||
	    next_field(&p, m->mount_point, sizeof(m->mount_point)) < 0 ||
	    next_field(&p, opt, sizeof(opt)) < 0) /* per-mount options */
		return -EINVAL;
	/* Optional fields ("shared:N", "master:N", ...) up to the lone "-". */
	for (;;) {
		if (next_field(&p, opt, sizeof(opt)) < 0)
			return -EINVAL;
		if (streq(opt, "-"))
			break;
	}
	if (next_field(&p, m->fstype, sizeof(m->fstype)) < 0 ||
	    next_field(&p, m->source, sizeof(m->source)) < 0)
		return -EINVAL;
	return 0;
}

int mountinfo_foreach(const char *path, int (*fn)(const MountInfo *m, void *data), void *data)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	_cleanup_free_ char *line = NULL;
	_cleanup_free_ MountInfo *m = NULL;
	size_t cap = 0;
	int r = 0;

	if (!f)
		return -errno;
	m = malloc(sizeof(*m));
	if (!m)
		return -ENOMEM;
	errno = 0;
	while (getline(&line, &cap, f) >= 0) {
		if (mountinfo_parse_line(line, m) < 0)
			return -EINVAL;
		r = fn(m, data);
		if (r != 0)
			return r;
		errno = 0;
	}
	return errno ? -errno : 0;
}
