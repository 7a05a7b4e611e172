/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "syslog.h"
#include "text-buf.h"
#include "util.h"

/* A header field: printable US-ASCII without spaces, at most max characters; "-" when empty. */
static void header_field(TextBuf *o, const char *s, size_t max)
{
	size_t n = 0;

	text_put_bytes(o, " ", 1);
	for (; s[n] && n < max; n++) {
		char c = s[n] > 32 && s[n] < 127 ? s[n] : '_';
		text_put_bytes(o, &c, 1);
	}
	if (n == 0)
		text_put_bytes(o, "-", 1);
}

/* PARAM-VALUE: '"', '\' and ']' escaped with '\' (RFC 5424 section 6.3.3). */
static void param(TextBuf *o, const char *key, const char *value)
{
	text_put(o, " %s=\"", key);
	for (const char *p = value; *p; p++) {
		if (*p == '"' || *p == '\\' || *p == ']')
			text_put_bytes(o, "\\", 1);
		text_put_bytes(o, p, 1);
	}
	text_put_bytes(o, "\"", 1);
}

/* RFC 3339 in UTC with microseconds: "2026-12-07T07:50:00.123456Z". */
static int format_time(uint64_t us, char ts[40])
{
	time_t sec = (time_t)(us / 1000000);
	struct tm tm;

	if (!gmtime_r(&sec, &tm))
		return -EINVAL;
	snprintf(ts, 40, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)(us % 1000000));
	return 0;
}

char *event_to_json(const Event *e)
{
	const EventType *t = event_type(e->id);
	json_object *root, *ev, *host, *proc, *kcc;
	char ts[40], *out = NULL;

	if (!t || format_time(e->time_us, ts) < 0)
		return NULL;
	root = json_object_new_object();
	ev = json_object_new_object();
	host = json_object_new_object();
	proc = json_object_new_object();
	kcc = json_object_new_object();
	if (!root || !ev || !host || !proc || !kcc)
		goto done;
	json_object_object_add(root, "@timestamp", json_object_new_string(ts));
	json_object_object_add(ev, "code", json_object_new_string(t->msgid));
	json_object_object_add(ev, "action", json_object_new_string(t->action));
	json_object_object_add(ev, "category", json_object_new_string(t->category));
	json_object_object_add(ev, "severity", json_object_new_int(t->severity));
	json_object_object_add(ev, "sequence", json_object_new_int64((int64_t)e->seq));
	json_object_object_add(ev, "kind", json_object_new_string("event"));
	json_object_object_add(root, "event", ev);
	ev = NULL;
	json_object_object_add(host, "name", json_object_new_string(e->host));
	json_object_object_add(host, "boot", json_object_new_object());
	json_object_object_add(json_object_object_get(host, "boot"), "id",
			       json_object_new_string(e->boot_id));
	json_object_object_add(root, "host", host);
	host = NULL;
	json_object_object_add(proc, "name", json_object_new_string(e->app));
	if (e->pid)
		json_object_object_add(proc, "pid", json_object_new_int64(e->pid));
	json_object_object_add(root, "process", proc);
	proc = NULL;
	json_object_object_add(root, "message", json_object_new_string(e->message));
	for (size_t i = 0; i < e->n_fields; i++)
		json_object_object_add(kcc, e->fields[i].key,
				       json_object_new_string(e->fields[i].value));
	json_object_object_add(root, "kcc", kcc);
	kcc = NULL;
	out = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE));
done:
	json_object_put(root);
	json_object_put(ev);
	json_object_put(host);
	json_object_put(proc);
	json_object_put(kcc);
	return out;
}

int event_to_syslog(const Event *e, char *buf, size_t size)
{
	const EventType *t = event_type(e->id);
	_cleanup_free_ char *json = NULL, *msg = NULL;
	char num[24], ts[40];
	TextBuf o;
	int prefix;

	if (!t || size == 0)
		return -EINVAL;
	json = event_to_json(e);
	if (!json)
		return -ENOMEM;
	/* The SYSLOG-MSG first, then its length in front of it. */
	o = (TextBuf){ .buf = msg = malloc(size), .size = size };
	if (!msg)
		return -ENOMEM;
	text_put(&o, "<%d>1 ", EVENT_FACILITY * 8 + t->severity);
	if (format_time(e->time_us, ts) < 0)
		return -EINVAL;
	text_put_bytes(&o, ts, strlen(ts));
	header_field(&o, e->host, 255);
	header_field(&o, e->app, 48);
	snprintf(num, sizeof(num), "%u", e->pid);
	header_field(&o, e->pid ? num : "", 128);
	header_field(&o, t->msgid, 32);
	text_put_bytes(&o, " [" EVENT_SD_ID, strlen(" [" EVENT_SD_ID));
	param(&o, "id", t->msgid);
	param(&o, "boot", e->boot_id);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)e->seq);
	param(&o, "seq", num);
	text_put_bytes(&o, "]", 1);
	if (e->n_fields) {
		text_put_bytes(&o, "[" EVENT_SD_FIELDS, strlen("[" EVENT_SD_FIELDS));
		for (size_t i = 0; i < e->n_fields; i++)
			param(&o, e->fields[i].key, e->fields[i].value);
		text_put_bytes(&o, "]", 1);
	}
	text_put_bytes(&o, " \xef\xbb\xbf", 4); /* BOM: the MSG is UTF-8 */
	text_put_bytes(&o, json, strlen(json));
	if (o.full)
		return -E2BIG;
	prefix = snprintf(buf, size, "%zu ", o.len);
	if (prefix < 0 || (size_t)prefix + o.len >= size)
		return -E2BIG;
	memcpy(buf + prefix, msg, o.len + 1);
	return prefix + (int)o.len;
}
