/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "eventlog.h"
#include "json-get.h"

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
		if (initial)
			memcpy(out->value[bi][pcr], digest, b->size);
		else if (pcr_extend_value(b, out->value[bi][pcr], digest) < 0)
			return -EIO;
		out->touched[bi] |= 1u << pcr;
	}
	return 0;
}

int eventlog_replay(const char *path, EventlogReplay *out, FILE *print, char *err, size_t err_size)
{
	char line[RECORD_MAX];
	unsigned lineno = 0;
	FILE *f;
	int r = 0;

	memset(out, 0, sizeof(*out));
	f = fopen(path, "re");
	if (!f) {
		snprintf(err, err_size, "%s: %s", path, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		json_object *rec;
		char *p = line;
		char sub[160];

		lineno++;
		if (*p == 0x1e)
			p++;
		if (!*p || *p == '\n')
			continue;
		rec = json_tokener_parse(p);
		if (!rec) {
			snprintf(err, err_size, "line %u: not JSON", lineno);
			r = -EBADMSG;
			break;
		}
		r = replay_record(rec, out, print, sub, sizeof(sub));
		json_object_put(rec);
		if (r < 0) {
			snprintf(err, err_size, "line %u: %s", lineno, sub);
			break;
		}
		out->n_records++;
	}
	fclose(f);
	return r;
}
