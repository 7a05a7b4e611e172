/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-pcr seal, unseal (tests and recovery), quote and verify-quote (attestation). */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json-get.h"
#include "kcc-pcr.h"
#include "pcr.h"
#include "pcrsig.h"
#include "quote.h"
#include "sealed.h"

#define SECRET_MAX 128

static json_object *read_json(const char *path, const char *what)
{
	json_object *o;
	char *text;
	int r = read_file_all(path, 1 << 20, &text, NULL);

	if (r < 0) {
		cli_fail(EXIT_USAGE, "cannot read %s: %s", what, strerror(-r));
		return NULL;
	}
	o = json_tokener_parse(text);
	free(text);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		cli_fail(EXIT_USAGE, "%s is not a JSON object", what);
		return NULL;
	}
	return o;
}

int cmd_seal(int argc, char **argv)
{
	static const struct option opts[] = { { "public-key", 1, NULL, 'P' },
					      { "literal-pcrs", 1, NULL, 'l' },
					      { "signed-pcrs", 1, NULL, 's' },
					      { "signature", 1, NULL, 'S' },
					      {} };
	const char *pub = NULL, *sigpath = NULL;
	char *sig = NULL;
	TpmSrk nv;
	uint32_t extra = 0, signed_mask = SEALED_SIGNED_DIRECT;
	uint8_t *der, secret[SECRET_MAX + 1];
	size_t der_size, n;
	json_object *root;
	Sealed s;
	int c, r;
	Tpm *t;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0)
		if (c == 'P')
			pub = optarg;
		else if (c == 'l') {
			if (pcr_mask_parse(optarg, &extra) < 0)
				return cli_fail(EXIT_USAGE, "bad PCR list '%s'", optarg);
		} else if (c == 's') {
			if (pcr_mask_parse(optarg, &signed_mask) < 0 ||
			    (signed_mask != SEALED_SIGNED_UKI && signed_mask != SEALED_SIGNED_DIRECT))
				return cli_fail(EXIT_USAGE, "--signed-pcrs must be 4,11 or 11");
		} else if (c == 'S')
			sigpath = optarg;
		else
			return EXIT_USAGE;
	if (!pub || optind != argc)
		return cli_fail(EXIT_USAGE, "seal needs --public-key PEM; the secret comes on stdin");
	/* With the image's signature: sealed under the security epoch (v3), defining the index. */
	if (sigpath) {
		r = read_file_all(sigpath, 1 << 20, &sig, NULL);
		if (r < 0)
			return cli_fail(EXIT_USAGE, "cannot read %s: %s", sigpath, strerror(-r));
	}
	if (extra & signed_mask)
		return cli_fail(EXIT_USAGE, "PCRs bound by signature cannot also be bound by value");
	r = read_pubkey(pub, &der, &der_size);
	if (r)
		return r;
	n = fread(secret, 1, sizeof(secret), stdin);
	if (n == 0 || n > SECRET_MAX) {
		free(der);
		return cli_fail(EXIT_USAGE, "the secret on stdin must be 1..%d bytes", SECRET_MAX);
	}
	t = tpm_or_die();
	r = sig ? sealed_epoch_define(t, der, der_size, signed_mask, sig, &nv) : 0;
	free(sig);
	if (r >= 0)
		r = sealed_create(t, der, der_size, signed_mask, extra, sigpath ? &nv : NULL, secret,
				  n, &s);
	explicit_bzero(secret, sizeof(secret));
	free(der);
	if (r < 0)
		return tpm_exit(t, r);
	tpm_close(t);
	root = json_object_new_object();
	sealed_to_json(&s, root);
	printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	sealed_done(&s);
	return 0;
}

int cmd_unseal(int argc, char **argv)
{
	static const struct option opts[] = { { "public-key", 1, NULL, 'P' },
					      { "signature", 1, NULL, 's' },
					      { "any-entry", 0, NULL, 'a' },
					      {} };
	const char *pub = NULL, *sigpath = NULL;
	bool any = false;
	uint8_t *der, secret[SECRET_MAX];
	size_t der_size, n = sizeof(secret);
	char *sig, err[160];
	json_object *o;
	Sealed s;
	int c, r;
	Tpm *t;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0)
		if (c == 'P')
			pub = optarg;
		else if (c == 's')
			sigpath = optarg;
		else if (c == 'a')
			any = true;
		else
			return EXIT_USAGE;
	if (!pub || !sigpath || optind != argc)
		return cli_fail(EXIT_USAGE, "unseal needs --public-key PEM and --signature JSON; "
					   "the sealed JSON comes on stdin");
	o = read_json("-", "the sealed JSON on stdin");
	if (!o)
		return EXIT_USAGE;
	r = sealed_from_json(o, &s, err, sizeof(err));
	json_object_put(o);
	if (r < 0)
		return cli_fail(EXIT_USAGE, "the sealed JSON is not valid: %s", err);
	r = read_file_all(sigpath, 1 << 20, &sig, NULL);
	if (r < 0) {
		sealed_done(&s);
		return cli_fail(EXIT_USAGE, "cannot read %s: %s", sigpath, strerror(-r));
	}
	r = read_pubkey(pub, &der, &der_size);
	if (r) {
		free(sig);
		sealed_done(&s);
		return r;
	}
	t = tpm_or_die();
	if (any) {
		/* The signature's first entry, whatever PCR 11 is now: the TPM decides. */
		uint8_t pol[32], *raw;
		size_t raw_size;

		unsigned e = 0;

		r = s.epoch ? pcrsig_first_epoch(sig, s.signed_mask, pol, &raw, &raw_size, &e)
			    : pcrsig_first(sig, s.signed_mask, pol, &raw, &raw_size);
		if (r < 0)
			r = tpm_failf(t, EBADMSG, "%s has no entry for the token's signed PCRs",
				      sigpath);
		else {
			r = sealed_open_approved(t, &s, der, der_size, pol, raw, raw_size, e, secret,
						 &n);
			free(raw);
		}
	} else
		r = sealed_open(t, &s, der, der_size, sig, secret, &n);
	free(der);
	free(sig);
	sealed_done(&s);
	if (r < 0)
		return tpm_exit(t, r);
	tpm_close(t);
	fwrite(secret, 1, n, stdout);
	explicit_bzero(secret, sizeof(secret));
	return fflush(stdout) == 0 ? 0 : EXIT_SYSTEM;
}

static int unb64(json_object *o, const char *key, uint8_t **out, size_t *n)
{
	const char *v = json_get_str(o, key);

	return v ? b64_decode(v, out, n) : -EBADMSG;
}

static int parse_nonce(const char *hex, uint8_t *nonce, size_t *n)
{
	size_t len = strlen(hex);

	if (len == 0 || len % 2 || len / 2 > 64 || unhexify(hex, nonce, len / 2) < 0)
		return -EINVAL;
	*n = len / 2;
	return 0;
}

int cmd_quote(int argc, char **argv)
{
	static const struct option opts[] = { { "nonce", 1, NULL, 'n' },
					      { "pcrs", 1, NULL, 'p' },
					      {} };
	uint8_t nonce[64], v[PCR_DIGEST_MAX];
	size_t nonce_size = 0;
	uint32_t mask = (1u << 11) | (1u << 15);
	json_object *root, *pcrs;
	char hex[65], k[4], *s;
	TpmQuote q;
	int c, r;
	Tpm *t;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0)
		if (c == 'n') {
			if (parse_nonce(optarg, nonce, &nonce_size) < 0)
				return cli_fail(EXIT_USAGE, "the nonce must be 1..64 bytes of hex");
		} else if (c == 'p') {
			if (pcr_mask_parse(optarg, &mask) < 0 || mask == 0)
				return cli_fail(EXIT_USAGE, "bad PCR list '%s'", optarg);
		} else
			return EXIT_USAGE;
	if (nonce_size == 0 || optind != argc)
		return cli_fail(EXIT_USAGE, "quote needs --nonce HEX (the verifier's fresh nonce)");
	t = tpm_or_die();
	r = tpm_quote(t, mask, nonce, nonce_size, &q);
	if (r < 0)
		return tpm_exit(t, r);
	root = json_object_new_object();
	pcrs = json_object_new_object();
	for (int i = 0; i < PCR_COUNT; i++)
		if (mask & (1u << i)) {
			r = tpm_pcr_read(t, PCR_BANK_SHA256, (unsigned)i, v);
			if (r < 0)
				return tpm_exit(t, r);
			hexify(v, 32, hex);
			snprintf(k, sizeof(k), "%d", i);
			json_object_object_add(pcrs, k, json_object_new_string(hex));
		}
	tpm_close(t);
	hexify(nonce, nonce_size, hex);
	json_object_object_add(root, "nonce", json_object_new_string(hex));
	json_object_object_add(root, "pcrs", pcrs);
	json_object_object_add(root, "attest", json_object_new_string(s = b64_encode(q.attest, q.attest_size)));
	free(s);
	json_object_object_add(root, "signature", json_object_new_string(s = b64_encode(q.sig, q.sig_size)));
	free(s);
	json_object_object_add(root, "ak", json_object_new_string(s = b64_encode(q.ak_der, q.ak_der_size)));
	free(s);
	tpm_quote_done(&q);
	printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return 0;
}

int cmd_verify_quote(int argc, char **argv)
{
	static const struct option opts[] = { { "nonce", 1, NULL, 'n' },
					      { "ak", 1, NULL, 'a' },
					      {} };
	uint8_t nonce[64], values[PCR_COUNT][32], *attest = NULL, *sig = NULL, *ak = NULL,
							 *want_ak = NULL;
	size_t nonce_size = 0, attest_size, sig_size, ak_size, want_size = 0, n = 0;
	uint32_t mask = 0;
	const char *akpath = NULL;
	json_object *o, *pcrs;
	char err[160];
	int c, r = EXIT_USAGE;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0)
		if (c == 'n') {
			if (parse_nonce(optarg, nonce, &nonce_size) < 0)
				return cli_fail(EXIT_USAGE, "the nonce must be 1..64 bytes of hex");
		} else if (c == 'a')
			akpath = optarg;
		else
			return EXIT_USAGE;
	if (nonce_size == 0 || optind != argc)
		return cli_fail(EXIT_USAGE, "verify-quote needs --nonce HEX; the quote comes on stdin");
	/* The key inside the quote proves nothing by itself: anyone can sign a quote with a key of
	 * their own. The verifier must say which attestation key it trusts. */
	if (!akpath)
		return cli_fail(EXIT_USAGE, "verify-quote needs --ak PEM, the attestation key the "
					   "verifier trusts; the key inside a quote proves nothing");
	if (read_pubkey(akpath, &want_ak, &want_size))
		return EXIT_USAGE;
	o = read_json("-", "the quote on stdin");
	if (!o) {
		free(want_ak);
		return EXIT_USAGE;
	}
	if (unb64(o, "attest", &attest, &attest_size) < 0 ||
	    unb64(o, "signature", &sig, &sig_size) < 0 || unb64(o, "ak", &ak, &ak_size) < 0 ||
	    !(pcrs = json_get(o, "pcrs", json_type_object))) {
		r = cli_fail(EXIT_USAGE, "the quote JSON lacks attest, signature, ak or pcrs");
		goto out;
	}
	for (int i = 0; i < PCR_COUNT; i++) {
		const char *v;
		char k[4];
		snprintf(k, sizeof(k), "%d", i);
		if (!json_object_object_get_ex(pcrs, k, NULL))
			continue;
		v = json_get_str(pcrs, k);
		if (!v || unhexify(v, values[n++], 32) < 0) {
			r = cli_fail(EXIT_USAGE, "PCR %d's value is not SHA-256 hex", i);
			goto out;
		}
		mask |= 1u << i;
	}
	if (want_size != ak_size || memcmp(want_ak, ak, ak_size) != 0) {
		r = cli_fail(EXIT_CHECK, "the quote is signed by another attestation key");
		goto out;
	}
	r = quote_verify(attest, attest_size, sig, sig_size, ak, ak_size, nonce, nonce_size, mask,
			 (const uint8_t(*)[32])values, err, sizeof(err));
	if (r < 0) {
		r = cli_fail(r == -EBADMSG ? EXIT_USAGE : EXIT_CHECK, "quote rejected: %s", err);
		goto out;
	}
	printf("quote verified: nonce matches, %zu PCR values signed by the attestation key\n", n);
	r = 0;
out:
	free(attest);
	free(sig);
	free(ak);
	free(want_ak);
	json_object_put(o);
	return r;
}
