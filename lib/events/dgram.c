/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "dgram.h"
#include "util.h"

/* Bytes a value may hold: no control character (a newline would start a forged line). */
static bool value_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

static bool app_ok(const char *s, size_t n)
{
	if (n == 0 || n >= sizeof(((Event *)0)->app))
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= 32 || s[i] >= 127)
			return false;
	return true;
}

static bool socket_id(EventId id)
{
	return id != EV_INVALID && id != EV_EVENTS_LOST && id != EV_EVENTS_SUPPRESSED;
}

int event_dgram_format(const Event *e, char *buf, size_t size)
{
	const EventType *t = event_type(e->id);
	size_t len = 0;
	int n;

	if (!t || !socket_id(e->id) || !app_ok(e->app, strlen(e->app)) ||
	    !value_ok(e->message, strlen(e->message)) || e->n_fields > EVENT_FIELDS_MAX)
		return -EINVAL;
	n = snprintf(buf, size, "id=%s\napp=%s\n", t->msgid, e->app);
	if (n < 0 || (size_t)n >= size)
		return -E2BIG;
	len = (size_t)n;
	if (e->message[0]) {
		n = snprintf(buf + len, size - len, "message=%s\n", e->message);
		if (n < 0 || (size_t)n >= size - len)
			return -E2BIG;
		len += (size_t)n;
	}
	for (size_t i = 0; i < e->n_fields; i++) {
		if (!value_ok(e->fields[i].value, strlen(e->fields[i].value)))
			return -EINVAL;
		n = snprintf(buf + len, size - len, "field.%s=%s\n", e->fields[i].key,
			     e->fields[i].value);
		if (n < 0 || (size_t)n >= size - len)
			return -E2BIG;
		len += (size_t)n;
	}
	return len > EVENT_DGRAM_MAX ? -E2BIG : (int)len;
}

/* The next line of buf as key (up to '=') and value; false when there is none or it is bad. */
static bool next_line(const char **p, const char *end, const char **key, size_t *key_len,
		      const char **val, size_t *val_len)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	const char *eq;

	if (!nl)
		return false;
	eq = memchr(*p, '=', (size_t)(nl - *p));
	if (!eq)
		return false;
	*key = *p;
	*key_len = (size_t)(eq - *p);
	*val = eq + 1;
	*val_len = (size_t)(nl - eq - 1);
	*p = nl + 1;
	return value_ok(*val, *val_len);
}

static bool key_is(const char *key, size_t n, const char *want)
{
	return n == strlen(want) && memcmp(key, want, n) == 0;
}

int event_dgram_parse(const char *buf, size_t len, Event *ret)
{
	const char *p = buf, *end = buf + len, *k, *v;
	size_t kn, vn;
	char tmp[EVENT_VALUE_MAX], key[40];
	EventId id;

	memset(ret, 0, sizeof(*ret));
	ret->id = EV_INVALID;
	if (len == 0 || len > EVENT_DGRAM_MAX || memchr(buf, '\0', len) || buf[len - 1] != '\n')
		return -EINVAL;
	/* id= */
	if (!next_line(&p, end, &k, &kn, &v, &vn) || !key_is(k, kn, "id") || vn >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, v, vn);
	tmp[vn] = '\0';
	id = event_id_from_msgid(tmp);
	if (id == EV_INVALID)
		return -EINVAL;
	if (!socket_id(id))
		return -EPERM;
	/* app= */
	if (!next_line(&p, end, &k, &kn, &v, &vn) || !key_is(k, kn, "app") || !app_ok(v, vn))
		return -EINVAL;
	memcpy(ret->app, v, vn);
	ret->app[vn] = '\0';
	/* message= (optional), then field.KEY= */
	while (p < end) {
		if (!next_line(&p, end, &k, &kn, &v, &vn))
			return -EINVAL;
		if (key_is(k, kn, "message") && ret->n_fields == 0 && !ret->message[0] &&
		    vn > 0 && vn < sizeof(ret->message)) {
			memcpy(ret->message, v, vn);
			ret->message[vn] = '\0';
			continue;
		}
		if (kn <= 6 || memcmp(k, "field.", 6) != 0 || kn - 6 >= sizeof(key) ||
		    vn >= EVENT_VALUE_MAX)
			return -EINVAL;
		memcpy(key, k + 6, kn - 6);
		key[kn - 6] = '\0';
		memcpy(tmp, v, vn);
		tmp[vn] = '\0';
		for (size_t i = 0; i < ret->n_fields; i++)
			if (streq(ret->fields[i].key, key))
				return -EINVAL;
		if (event_add_field(ret, key, tmp) < 0)
			return -EINVAL;
	}
	ret->id = id;
	return 0;
}
