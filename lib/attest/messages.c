/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns-name.h"
#include "hex.h"
#include "json-get.h"
#include "messages.h"
#include "util.h"

typedef struct Field {
	const char *key;
	size_t max;    /* decoded bytes */
	bool optional;
	size_t offset; /* of the AttestBlob in the message */
} Field;

static json_object *parse_object(const char *json, size_t len, char *err, size_t err_size)
{
	json_tokener *tok;
	json_object *o;

	if (len > ATTEST_BODY_MAX) {
		errorf(err, err_size, -EBADMSG, "the message is longer than %d bytes", ATTEST_BODY_MAX);
		return NULL;
	}
	tok = json_tokener_new_ex(8);
	if (!tok)
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, json, (int)len);
	if (o && (json_tokener_get_error(tok) != json_tokener_success ||
		  json_tokener_get_parse_end(tok) != len || !json_object_is_type(o, json_type_object))) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	if (!o)
		errorf(err, err_size, -EBADMSG, "the message is not one JSON object");
	return o;
}

static bool known_key(const char *key, const Field *f, size_t n, const char *const *extra)
{
	for (size_t i = 0; i < n; i++)
		if (streq(key, f[i].key))
			return true;
	for (; extra && *extra; extra++)
		if (streq(key, *extra))
			return true;
	return false;
}

/* The base64 members of fields into the message at base; every other member must be in extra. */
static int parse_fields(json_object *o, const Field *f, size_t n, const char *const *extra,
			void *base, char *err, size_t err_size)
{
	json_object_object_foreach(o, key, val) {
		(void)val;
		if (!known_key(key, f, n, extra))
			return errorf(err, err_size, -EBADMSG, "unknown member \"%s\"", key);
	}
	for (size_t i = 0; i < n; i++) {
		AttestBlob *b = (AttestBlob *)((char *)base + f[i].offset);
		json_object *v;
		const char *s;

		if (!json_object_object_get_ex(o, f[i].key, &v)) {
			if (f[i].optional)
				continue;
			return errorf(err, err_size, -EBADMSG, "\"%s\" is missing", f[i].key);
		}
		s = json_str(v);
		if (!s || strlen(s) > 4 * ((f[i].max + 2) / 3) || b64_decode(s, &b->p, &b->n) < 0)
			return errorf(err, err_size, -EBADMSG, "\"%s\" is not base64 of at most %zu bytes",
				      f[i].key, f[i].max);
	}
	return 0;
}

static int parse_session(json_object *o, char session[ATTEST_SESSION_HEX + 1], char *err,
			 size_t err_size)
{
	const char *s = json_get_str(o, "session");
	uint8_t raw[ATTEST_SESSION_HEX / 2];

	if (!s || strlen(s) != ATTEST_SESSION_HEX || unhexify(s, raw, sizeof(raw)) < 0)
		return errorf(err, err_size, -EBADMSG, "\"session\" is not %d hex digits",
			      ATTEST_SESSION_HEX);
	memcpy(session, s, ATTEST_SESSION_HEX + 1);
	return 0;
}

#define F(k, m, opt, type, member) { k, m, opt, offsetof(type, member) }

static const Field start_fields[] = {
	F("ek_cert", 4096, true, AttestStart, ek_cert),
	F("ek_pub", sizeof(TPM2B_PUBLIC), false, AttestStart, ek_pub),
	F("ak_pub", sizeof(TPM2B_PUBLIC), false, AttestStart, ak_pub),
};

int attest_start_parse(const char *json, size_t len, AttestStart *ret, char *err, size_t err_size)
{
	json_object *o = parse_object(json, len, err, err_size);
	int r;

	*ret = (AttestStart){ 0 };
	if (!o)
		return -EBADMSG;
	r = parse_fields(o, start_fields, ARRAY_SIZE(start_fields), NULL, ret, err, err_size);
	json_object_put(o);
	if (r < 0)
		attest_start_done(ret);
	return r;
}

static const Field challenge_fields[] = {
	F("credential_blob", sizeof(TPM2B_ID_OBJECT), false, AttestChallenge, blob),
	F("secret", sizeof(TPM2B_ENCRYPTED_SECRET), false, AttestChallenge, secret),
};

int attest_challenge_parse(const char *json, size_t len, AttestChallenge *ret, char *err,
			   size_t err_size)
{
	static const char *const extra[] = { "session", "nonce", NULL };
	json_object *o = parse_object(json, len, err, err_size);
	const char *nonce;
	AttestBlob n = { 0 };
	int r;

	*ret = (AttestChallenge){ 0 };
	if (!o)
		return -EBADMSG;
	r = parse_fields(o, challenge_fields, ARRAY_SIZE(challenge_fields), extra, ret, err,
			 err_size);
	if (r >= 0)
		r = parse_session(o, ret->session, err, err_size);
	nonce = json_get_str(o, "nonce");
	if (r >= 0 && (!nonce || b64_decode(nonce, &n.p, &n.n) < 0 || n.n != ATTEST_NONCE_SIZE))
		r = errorf(err, err_size, -EBADMSG, "\"nonce\" is not base64 of %d bytes",
			   ATTEST_NONCE_SIZE);
	if (r >= 0)
		memcpy(ret->nonce, n.p, ATTEST_NONCE_SIZE);
	free(n.p);
	json_object_put(o);
	if (r < 0)
		attest_challenge_done(ret);
	return r;
}

static const Field finish_fields[] = {
	F("attest", sizeof(TPMS_ATTEST), false, AttestFinish, attest),
	F("signature", sizeof(TPMT_SIGNATURE), false, AttestFinish, sig),
	F("cel_log", ATTEST_LOG_MAX, false, AttestFinish, cel_log),
	F("firmware_log", ATTEST_LOG_MAX, true, AttestFinish, fw_log),
	F("csr", 4096, false, AttestFinish, csr),
	F("snp_report", 1184, true, AttestFinish, snp_report),
	F("snp_vcek", 4096, true, AttestFinish, snp_vcek),
};

static int parse_pcrs(json_object *o, AttestFinish *m, char *err, size_t err_size)
{
	json_object *pcrs = json_get(o, "pcrs", json_type_object);

	if (!pcrs)
		return errorf(err, err_size, -EBADMSG, "\"pcrs\" is not an object");
	json_object_object_foreach(pcrs, key, val) {
		unsigned long i;
		const char *hex = json_str(val);

		if (parse_uint(key, 0, PCR_COUNT - 1, &i) < 0 || !hex || strlen(hex) != 64 ||
		    unhexify(hex, m->pcrs[i], 32) < 0)
			return errorf(err, err_size, -EBADMSG,
				      "\"pcrs\" members are PCR indexes with 64 hex digits");
		m->pcr_mask |= 1u << i;
	}
	return 0;
}

int attest_finish_parse(const char *json, size_t len, AttestFinish *ret, char *err, size_t err_size)
{
	static const char *const extra[] = { "session", "node", "pcrs", NULL };
	json_object *o = parse_object(json, len, err, err_size);
	const char *node;
	int r;

	*ret = (AttestFinish){ 0 };
	if (!o)
		return -EBADMSG;
	r = parse_fields(o, finish_fields, ARRAY_SIZE(finish_fields), extra, ret, err, err_size);
	if (r >= 0)
		r = parse_session(o, ret->session, err, err_size);
	node = json_get_str(o, "node");
	if (r >= 0 && (!node || !dns_subdomain_is_valid(node)))
		r = errorf(err, err_size, -EBADMSG, "\"node\" is not a DNS name");
	if (r >= 0) {
		snprintf(ret->node, sizeof(ret->node), "%s", node);
		r = parse_pcrs(o, ret, err, err_size);
	}
	json_object_put(o);
	if (r < 0)
		attest_finish_done(ret);
	return r;
}

static void blob_free(AttestBlob *b)
{
	free(b->p);
	*b = (AttestBlob){ 0 };
}

void attest_start_done(AttestStart *m)
{
	blob_free(&m->ek_cert);
	blob_free(&m->ek_pub);
	blob_free(&m->ak_pub);
}

void attest_challenge_done(AttestChallenge *m)
{
	blob_free(&m->blob);
	blob_free(&m->secret);
}

void attest_finish_done(AttestFinish *m)
{
	blob_free(&m->attest);
	blob_free(&m->sig);
	blob_free(&m->cel_log);
	blob_free(&m->fw_log);
	blob_free(&m->csr);
	blob_free(&m->snp_report);
	blob_free(&m->snp_vcek);
}

/* Adds base64 of p; false without memory. */
static bool add_b64(json_object *o, const char *key, const uint8_t *p, size_t n)
{
	char *s = b64_encode(p, n);

	if (!s)
		return false;
	json_object_object_add(o, key, json_object_new_string(s));
	free(s);
	return true;
}

static json_object *add_fields(json_object *o, const Field *f, size_t n, const void *base)
{
	for (size_t i = 0; o && i < n; i++) {
		const AttestBlob *b = (const AttestBlob *)((const char *)base + f[i].offset);
		if ((b->n || !f[i].optional) && !add_b64(o, f[i].key, b->p, b->n)) {
			json_object_put(o);
			return NULL;
		}
	}
	return o;
}

json_object *attest_start_json(const AttestStart *m)
{
	return add_fields(json_object_new_object(), start_fields, ARRAY_SIZE(start_fields), m);
}

json_object *attest_challenge_json(const AttestChallenge *m)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "session", json_object_new_string(m->session));
	if (!add_b64(o, "nonce", m->nonce, sizeof(m->nonce))) {
		json_object_put(o);
		return NULL;
	}
	return add_fields(o, challenge_fields, ARRAY_SIZE(challenge_fields), m);
}

json_object *attest_finish_json(const AttestFinish *m)
{
	json_object *o = json_object_new_object(), *pcrs = json_object_new_object();
	char hex[65], k[4];

	if (!o || !pcrs) {
		json_object_put(o);
		json_object_put(pcrs);
		return NULL;
	}
	json_object_object_add(o, "session", json_object_new_string(m->session));
	json_object_object_add(o, "node", json_object_new_string(m->node));
	for (unsigned i = 0; i < PCR_COUNT; i++)
		if (m->pcr_mask & (1u << i)) {
			hexify(m->pcrs[i], 32, hex);
			snprintf(k, sizeof(k), "%u", i);
			json_object_object_add(pcrs, k, json_object_new_string(hex));
		}
	json_object_object_add(o, "pcrs", pcrs);
	return add_fields(o, finish_fields, ARRAY_SIZE(finish_fields), m);
}

int attest_qualifying(const uint8_t nonce[ATTEST_NONCE_SIZE], const uint8_t secret[32],
		      const uint8_t *csr, size_t csr_size, uint8_t ret[32])
{
	uint8_t buf[ATTEST_NONCE_SIZE + 32 + 32];
	int r;

	memcpy(buf, nonce, ATTEST_NONCE_SIZE);
	memcpy(buf + ATTEST_NONCE_SIZE, secret, 32);
	r = pcr_hash(PCR_BANK_SHA256, csr, csr_size, buf + ATTEST_NONCE_SIZE + 32);
	if (r >= 0)
		r = pcr_hash(PCR_BANK_SHA256, buf, sizeof(buf), ret);
	explicit_wipe(buf, sizeof(buf));
	return r;
}

void attest_report_data(const uint8_t qualifying[32], uint8_t ret[64])
{
	memcpy(ret, qualifying, 32);
	memset(ret + 32, 0, 32);
}
