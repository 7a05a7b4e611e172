/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "eventlog.h"
#include "json-get.h"
#include "util.h"

#define RECORD_MAX 4096

int eventlog_append(const char *path, unsigned pcr, const PcrDigests *d, const char *content_type,
		    const char *event_type, const char *string)
{
	json_object *rec = json_object_new_object(), *digests = json_object_new_array(),
		    *content = json_object_new_object();
	char hex[2 * PCR_DIGEST_MAX + 1];
	const char *text;
	size_t len;
	int fd, r = 0;

	for (size_t i = 0; i < d->n; i++) {
		json_object *o = json_object_new_object();
		hexify(d->d[i], d->bank[i]->size, hex);
		json_object_object_add(o, "hashAlg", json_object_new_string(d->bank[i]->name));
		json_object_object_add(o, "digest", json_object_new_string(hex));
		json_object_array_add(digests, o);
	}
	json_object_object_add(rec, "pcr", json_object_new_int((int)pcr));
	json_object_object_add(rec, "digests", digests);
	json_object_object_add(rec, "content_type", json_object_new_string(content_type));
	if (string)
		json_object_object_add(content, "string", json_object_new_string(string));
	json_object_object_add(content, "eventType", json_object_new_string(event_type));
	json_object_object_add(rec, "content", content);
	text = json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	len = strlen(text);

	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		r = -errno;
	else {
		char buf[RECORD_MAX];
		if (len + 2 > sizeof(buf))
			r = -E2BIG;
		else {
			buf[0] = 0x1e;
			memcpy(buf + 1, text, len);
			buf[len + 1] = '\n';
			if (write(fd, buf, len + 2) != (ssize_t)(len + 2))
				r = errno ? -errno : -EIO;
		}
		close(fd);
	}
	json_object_put(rec);
	return r;
}

static int replay_record(json_object *rec, EventlogReplay *out, FILE *print, char *err,
			 size_t err_size)
{
	json_object *jdig, *jcontent;
	const char *ct, *type, *str;
	bool initial;
	int pcr;

	jdig = json_get(rec, "digests", json_type_array);
	jcontent = json_get(rec, "content", json_type_object);
	ct = json_get_str(rec, "content_type");
	if (json_get_int(rec, "pcr", &pcr) < 0 || !jdig || !ct || !jcontent) {
		snprintf(err, err_size, "record lacks pcr, digests, content_type or content");
		return -EBADMSG;
	}
	if (pcr < 0 || pcr >= PCR_COUNT) {
		snprintf(err, err_size, "PCR %d out of range", pcr);
		return -EBADMSG;
	}
	/* Optional members, but of the right type when present. */
	type = json_get_str(jcontent, "eventType");
	str = json_get_str(jcontent, "string");
	if ((!type && json_object_object_get_ex(jcontent, "eventType", NULL)) ||
	    (!str && json_object_object_get_ex(jcontent, "string", NULL))) {
		snprintf(err, err_size, "content's eventType or string is not a string");
		return -EBADMSG;
	}
	type = type ?: "";
	initial = strcmp(ct, "kcc") == 0 && strcmp(type, "initial-value") == 0;
	if (strcmp(ct, "kcc") == 0 && strcmp(type, "direct-boot") == 0)
		out->direct_boot++;
	if (strcmp(ct, "systemd") == 0 && strcmp(type, "volume-key") == 0 && pcr == 15)
		out->volume_key++;
	if (initial)
		out->initial |= 1u << pcr;
	if (print)
		fprintf(print, "%2d %-14s %s\n", pcr, type, str ?: "");
	for (size_t i = 0; i < json_object_array_length(jdig); i++) {
		json_object *o = json_object_array_get_idx(jdig, i);
		const char *alg = json_get_str(o, "hashAlg"), *hex = json_get_str(o, "digest");
		uint8_t digest[PCR_DIGEST_MAX];
		const PcrBank *b;
		size_t bi;

		if (!alg || !hex || !(b = pcr_bank_by_name(alg)) ||
		    unhexify(hex, digest, b->size) < 0) {
			snprintf(err, err_size, "bad digest entry");
			return -EBADMSG;
		}
		bi = (size_t)(b - pcr_bank_table);
		/* A starting value comes before the PCR's first event, never in between. */
		if (initial && (out->touched[bi] & (1u << pcr))) {
			snprintf(err, err_size, "an initial value of PCR %d after its events", pcr);
			return -EBADMSG;
		}
		if (initial && memcmp(digest, (const uint8_t[PCR_DIGEST_MAX]){ 0 }, b->size) != 0)
			out->initial_nonzero |= 1u << pcr;
		if (initial)
			memcpy(out->value[bi][pcr], digest, b->size);
		else if (pcr_extend_value(b, out->value[bi][pcr], digest) < 0)
			return -EIO;
		out->touched[bi] |= 1u << pcr;
	}
	return 0;
}

/* One record: the text between an optional RS and the end of its line, parsed strictly. */
static int replay_line(const char *p, size_t len, EventlogReplay *out, FILE *print, char *err,
		       size_t err_size)
{
	json_tokener *tok;
	json_object *rec;
	int r;

	if (len && *p == 0x1e) {
		p++;
		len--;
	}
	if (len == 0)
		return 0;
	if (len >= RECORD_MAX || memchr(p, '\0', len))
		return errorf(err, err_size, -EBADMSG, "a record longer than %d bytes or with NUL",
			      RECORD_MAX);
	tok = json_tokener_new_ex(4);
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	rec = json_tokener_parse_ex(tok, p, (int)len);
	if (!rec || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len || !json_object_is_type(rec, json_type_object))
		r = errorf(err, err_size, -EBADMSG, "not one JSON object");
	else
		r = replay_record(rec, out, print, err, err_size);
	json_object_put(rec);
	json_tokener_free(tok);
	if (r >= 0)
		out->n_records++;
	return r;
}

int eventlog_replay_buf(const char *buf, size_t size, EventlogReplay *out, FILE *print, char *err,
			size_t err_size)
{
	unsigned lineno = 0;
	char sub[160];

	memset(out, 0, sizeof(*out));
	for (size_t off = 0; off < size;) {
		const char *p = buf + off, *nl = memchr(p, '\n', size - off);
		size_t len = nl ? (size_t)(nl - p) : size - off;
		int r;

		lineno++;
		if (!nl)
			return errorf(err, err_size, -EBADMSG, "line %u: the last record has no newline "
				      "(truncated)", lineno);
		r = replay_line(p, len, out, print, sub, sizeof(sub));
		if (r < 0)
			return errorf(err, err_size, r, "line %u: %s", lineno, sub);
		off += len + 1;
	}
	return 0;
}

int eventlog_replay(const char *path, EventlogReplay *out, FILE *print, char *err, size_t err_size)
{
	char *buf = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	r = read_small_file(path, EVENTLOG_MAX, &buf);
	if (r < 0)
		return errorf(err, err_size, r, "%s: %s", path, strerror(-r));
	r = eventlog_replay_buf(buf, (size_t)r, out, print, err, err_size);
	free(buf);
	return r;
}
