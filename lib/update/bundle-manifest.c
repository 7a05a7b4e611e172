/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The bundle manifest: JSON (json-c) in, every field checked; JSON out for the writer and for
 * kcc-update info. */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <string.h>

#include "bundle.h"
#include "hex.h"
#include "util.h"

const char *const bundle_part_names[_BUNDLE_PART_MAX] = {
	[BUNDLE_PART_ROOT] = "root.erofs",
	[BUNDLE_PART_VERITY] = "root.verity",
	[BUNDLE_PART_UKI] = "kcc-node.efi",
	[BUNDLE_PART_PCRSIG] = "tpm2-pcr-signature.json",
};

static bool word_valid(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') || s[i] == '-'))
			return false;
	return true;
}

static struct json_object *field(struct json_object *o, const char *key, json_type type)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type))
		return NULL;
	return v;
}

static int get_uint(struct json_object *o, const char *key, uint64_t max, uint64_t *ret, char *err,
		    size_t errlen)
{
	struct json_object *v = field(o, key, json_type_int);
	int64_t x;

	if (!v)
		return errorf(err, errlen, -EBADMSG, "manifest: \"%s\" is missing or not an integer", key);
	errno = 0;
	x = json_object_get_int64(v);
	if (errno != 0 || x < 0 || (uint64_t)x > max)
		return errorf(err, errlen, -EBADMSG, "manifest: \"%s\" is out of range (0..%" PRIu64 ")", key, max);
	*ret = (uint64_t)x;
	return 0;
}

static int get_str(struct json_object *o, const char *key, char *out, size_t outsize, char *err,
		   size_t errlen)
{
	struct json_object *v = field(o, key, json_type_string);

	if (!v)
		return errorf(err, errlen, -EBADMSG, "manifest: \"%s\" is missing or not a string", key);
	if ((size_t)json_object_get_string_len(v) >= outsize)
		return errorf(err, errlen, -EBADMSG, "manifest: \"%s\" is too long", key);
	if (strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
		return errorf(err, errlen, -EBADMSG, "manifest: \"%s\" holds a NUL byte", key);
	strcpy(out, json_object_get_string(v));
	return 0;
}

static int get_digest(struct json_object *v, uint8_t out[BUNDLE_DIGEST_SIZE])
{
	if (!json_object_is_type(v, json_type_string) || json_object_get_string_len(v) != 2 * BUNDLE_DIGEST_SIZE)
		return -EBADMSG;
	return unhexify(json_object_get_string(v), out, BUNDLE_DIGEST_SIZE) < 0 ? -EBADMSG : 0;
}

static int parse_part(struct json_object *o, BundlePartId id, uint32_t chunk_size, BundlePart *p,
		      char *err, size_t errlen)
{
	const char *want = bundle_part_names[id];
	struct json_object *v, *chunks;
	uint64_t size;
	size_t n;
	int r;

	if (!json_object_is_type(o, json_type_object))
		return errorf(err, errlen, -EBADMSG, "manifest: part %d is not an object", (int)id);
	v = field(o, "name", json_type_string);
	if (!v || !streq(json_object_get_string(v), want))
		return errorf(err, errlen, -EBADMSG, "manifest: part %d must be %s, not %s", (int)id, want,
			      v ? json_object_get_string(v) : "(no name)");
	p->id = id;
	p->name = want;
	r = get_uint(o, "size", BUNDLE_PART_MAX, &size, err, errlen);
	if (r < 0)
		return errorf(err, errlen, r, "manifest: part %s: \"size\" is missing or out of range (1..%llu)",
			      want, (unsigned long long)BUNDLE_PART_MAX);
	if (size == 0)
		return errorf(err, errlen, -EBADMSG, "manifest: part %s is empty", want);
	p->size = size;
	if (!json_object_object_get_ex(o, "sha256", &v) || get_digest(v, p->sha256) < 0)
		return errorf(err, errlen, -EBADMSG, "manifest: part %s: \"sha256\" is not 64 hex digits", want);
	chunks = field(o, "chunks", json_type_array);
	n = (size_t)((size + chunk_size - 1) / chunk_size);
	if (!chunks || json_object_array_length(chunks) != n)
		return errorf(err, errlen, -EBADMSG,
			      "manifest: part %s: %zu chunk hashes needed for %" PRIu64 " bytes, %zu given",
			      want, n, size, chunks ? json_object_array_length(chunks) : (size_t)0);
	p->chunks = calloc(n, sizeof(*p->chunks));
	if (!p->chunks)
		return errorf(err, errlen, -ENOMEM, "out of memory");
	p->n_chunks = n;
	for (size_t i = 0; i < n; i++)
		if (get_digest(json_object_array_get_idx(chunks, i), p->chunks[i]) < 0)
			return errorf(err, errlen, -EBADMSG, "manifest: part %s: chunk %zu is not 64 hex digits",
				      want, i);
	return 0;
}

int bundle_manifest_parse(const char *text, size_t len, BundleManifest *ret, char *err, size_t errlen)
{
	struct json_tokener *tok;
	struct json_object *o, *parts;
	BundleManifest m = { 0 };
	uint64_t x;
	int r;

	if (len == 0 || len > BUNDLE_MANIFEST_MAX)
		return errorf(err, errlen, -EFBIG, "manifest: length %zu out of range (1..%u)", len,
			      BUNDLE_MANIFEST_MAX);
	tok = json_tokener_new_ex(8);
	if (!tok)
		return errorf(err, errlen, -ENOMEM, "out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, text, (int)len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success || json_tokener_get_parse_end(tok) != len) {
		json_tokener_free(tok);
		json_object_put(o);
		return errorf(err, errlen, -EBADMSG, "manifest: not one JSON object (%s)",
			      o ? "trailing bytes" : "syntax error");
	}
	json_tokener_free(tok);
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return errorf(err, errlen, -EBADMSG, "manifest: not a JSON object");
	}
	r = get_uint(o, "format", UINT32_MAX, &x, err, errlen);
	if (r < 0)
		goto out;
	m.format = (unsigned)x;
	if (m.format != BUNDLE_FORMAT) {
		r = errorf(err, errlen, -EPROTONOSUPPORT, "manifest: format %u, this reader knows %u", m.format,
			   BUNDLE_FORMAT);
		goto out;
	}
	if ((r = get_str(o, "image_id", m.image_id, sizeof(m.image_id), err, errlen)) < 0 ||
	    (r = get_str(o, "variant", m.variant, sizeof(m.variant), err, errlen)) < 0 ||
	    (r = get_str(o, "version", m.version, sizeof(m.version), err, errlen)) < 0 ||
	    (r = get_str(o, "roothash", m.roothash, sizeof(m.roothash), err, errlen)) < 0)
		goto out;
	if (!word_valid(m.image_id, sizeof(m.image_id) - 1) || !word_valid(m.variant, sizeof(m.variant) - 1)) {
		r = errorf(err, errlen, -EBADMSG, "manifest: invalid \"image_id\" or \"variant\"");
		goto out;
	}
	if (!bundle_version_valid(m.version)) {
		r = errorf(err, errlen, -EBADMSG, "manifest: invalid \"version\"");
		goto out;
	}
	uint8_t rh[BUNDLE_DIGEST_SIZE];
	if (strlen(m.roothash) != 64 || unhexify(m.roothash, rh, sizeof(rh)) < 0) {
		r = errorf(err, errlen, -EBADMSG, "manifest: \"roothash\" is not 64 hex digits");
		goto out;
	}
	r = get_uint(o, "security_epoch", BUNDLE_EPOCH_MAX, &x, err, errlen);
	if (r < 0)
		goto out;
	m.security_epoch = (unsigned)x;
	r = get_uint(o, "chunk_size", BUNDLE_CHUNK_MAX, &x, err, errlen);
	if (r < 0)
		goto out;
	if (x < BUNDLE_CHUNK_MIN || (x & (x - 1)) != 0) {
		r = errorf(err, errlen, -EBADMSG, "manifest: \"chunk_size\" %" PRIu64 " is not a power of two in %u..%u",
			   x, BUNDLE_CHUNK_MIN, BUNDLE_CHUNK_MAX);
		goto out;
	}
	m.chunk_size = (uint32_t)x;
	parts = field(o, "parts", json_type_array);
	if (!parts || json_object_array_length(parts) != _BUNDLE_PART_MAX) {
		r = errorf(err, errlen, -EBADMSG, "manifest: %zu parts, format %u has %d",
			   parts ? json_object_array_length(parts) : (size_t)0, BUNDLE_FORMAT, _BUNDLE_PART_MAX);
		goto out;
	}
	for (int i = 0; i < _BUNDLE_PART_MAX; i++) {
		r = parse_part(json_object_array_get_idx(parts, (size_t)i), (BundlePartId)i, m.chunk_size,
			       &m.parts[i], err, errlen);
		if (r < 0)
			goto out;
	}
	*ret = m;
	memset(&m, 0, sizeof(m));
	r = 0;
out:
	bundle_manifest_done(&m);
	json_object_put(o);
	return r;
}

void bundle_manifest_done(BundleManifest *m)
{
	for (int i = 0; i < _BUNDLE_PART_MAX; i++) {
		free(m->parts[i].chunks);
		m->parts[i].chunks = NULL;
		m->parts[i].n_chunks = 0;
	}
}

static struct json_object *digest_json(const uint8_t d[BUNDLE_DIGEST_SIZE])
{
	char hex[2 * BUNDLE_DIGEST_SIZE + 1];

	hexify(d, BUNDLE_DIGEST_SIZE, hex);
	return json_object_new_string(hex);
}

/* Keys in a fixed order: json-c keeps insertion order, so the text is canonical. */
struct json_object *bundle_manifest_to_json(const BundleManifest *m, bool with_chunks)
{
	struct json_object *o = json_object_new_object(), *parts = json_object_new_array();

	json_object_object_add(o, "format", json_object_new_int64(m->format));
	json_object_object_add(o, "image_id", json_object_new_string(m->image_id));
	json_object_object_add(o, "variant", json_object_new_string(m->variant));
	json_object_object_add(o, "version", json_object_new_string(m->version));
	json_object_object_add(o, "security_epoch", json_object_new_int64(m->security_epoch));
	json_object_object_add(o, "roothash", json_object_new_string(m->roothash));
	json_object_object_add(o, "chunk_size", json_object_new_int64(m->chunk_size));
	for (int i = 0; i < _BUNDLE_PART_MAX; i++) {
		const BundlePart *p = &m->parts[i];
		struct json_object *po = json_object_new_object();

		json_object_object_add(po, "name", json_object_new_string(bundle_part_names[i]));
		json_object_object_add(po, "size", json_object_new_int64((int64_t)p->size));
		json_object_object_add(po, "sha256", digest_json(p->sha256));
		if (with_chunks) {
			struct json_object *c = json_object_new_array_ext((int)p->n_chunks);

			for (size_t k = 0; k < p->n_chunks; k++)
				json_object_array_add(c, digest_json(p->chunks[k]));
			json_object_object_add(po, "chunks", c);
		} else {
			json_object_object_add(po, "chunks", json_object_new_int64((int64_t)p->n_chunks));
		}
		json_object_array_add(parts, po);
	}
	json_object_object_add(o, "parts", parts);
	return o;
}
