/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <json-c/json.h>
#include <string.h>

#include "boot-count.h"
#include "cryptsetup.h"
#include "hex.h"
#include "json-get.h"
#include "log.h"
#include "luks-tokens.h"
#include "measure.h"
#include "pcr.h"
#include "pcrsig.h"
#include "sealed.h"
#include "state-rollover.h"
#include "state-rotate.h"
#include "test-hooks.h"
#include "util.h"

static bool fp_eq(const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, 32) == 0;
}

RolloverAction rollover_decide(const RolloverToken *tokens, size_t n, size_t used,
			       const uint8_t own[32], const uint8_t *next)
{
	const RolloverToken *u = &tokens[used];

	if (used >= n)
		return ROLLOVER_NONE;
	/* The image is signed by the key the unlocking token rolled over to: the old key's tokens
	 * go (the fleet has moved). */
	if (u->has_from && fp_eq(u->pkfp, own))
		for (size_t i = 0; i < n; i++)
			if (!fp_eq(tokens[i].pkfp, own))
				return ROLLOVER_RETIRE;
	if (!next || fp_eq(next, own))
		return ROLLOVER_NONE;
	for (size_t i = 0; i < n; i++) {
		if (fp_eq(tokens[i].pkfp, next))
			return ROLLOVER_NONE; /* done already */
		if (tokens[i].has_from && fp_eq(tokens[i].from, next))
			return ROLLOVER_BACKWARDS;
	}
	return ROLLOVER_RESEAL;
}

bool rollover_moved_past(const RolloverToken *tokens, size_t n, const uint8_t own[32],
			 size_t *ret_to)
{
	bool to = false;

	for (size_t i = 0; i < n; i++) {
		if (fp_eq(tokens[i].pkfp, own))
			return false;
		if (!to && tokens[i].has_from && fp_eq(tokens[i].from, own)) {
			*ret_to = i;
			to = true;
		}
	}
	return to;
}

static int get_fp(json_object *o, const char *key, uint8_t out[32])
{
	const char *s = json_get_str(o, key);

	return s && strlen(s) == 64 && unhexify(s, out, 32) >= 0 ? 0 : -EBADMSG;
}

int rollover_token_parse(const char *token_json, RolloverToken *t)
{
	json_object *o = json_tokener_parse(token_json);
	int r;

	*t = (RolloverToken){ 0 };
	r = o ? get_fp(o, "kcc-pkfp", t->pkfp) : -EBADMSG;
	if (r >= 0 && json_object_object_get_ex(o, ROLLOVER_TOKEN_FROM, NULL)) {
		r = get_fp(o, ROLLOVER_TOKEN_FROM, t->from);
		t->has_from = r >= 0;
	}
	json_object_put(o);
	return r;
}

static int retire(const char *node, const RolloverToken *tokens, const int *token_id, size_t n,
		  const uint8_t own[32])
{
	char hex[65], ids[64] = "";
	int r;

	hexify(own, 32, hex);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(ids);

		if (fp_eq(tokens[i].pkfp, own))
			continue;
		r = luks_token_remove(node, token_id[i]);
		if (r < 0)
			return log_warning_errno(r, "state: PCR signing key rollover not finished "
						    "(retried at the next boot): removing token %d "
						    "of %s: %m",
						 token_id[i], node);
		snprintf(ids + len, sizeof(ids) - len, "%s%d", len ? ", " : "", token_id[i]);
	}
	log_info("state: PCR signing key rolled over (old key retired): token %s of the previous "
		 "key removed; only approvals signed by %.16s unseal %s now",
		 ids, hex, node);
	return 1;
}

int state_rollover_run(const char *node, char *const *token_json, const int *token_id, size_t n,
		       size_t used, const uint8_t *key_der, size_t key_der_size,
		       const char *next_pem, const uint8_t *secret)
{
	_cleanup_free_ char *pem = NULL, *json = NULL;
	_cleanup_free_ uint8_t *next_der = NULL;
	RolloverToken tokens[LUKS_TOKENS_MAX];
	uint8_t own[32], next[32];
	char own_hex[65], next_hex[65];
	size_t next_der_size = 0;
	unsigned long long t0 = now_ms();
	unsigned long n0 = tpm_commands(measure_tpm());
	int r, id;

	if (n > LUKS_TOKENS_MAX || used >= n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (rollover_token_parse(token_json[i], &tokens[i]) < 0)
			return 0; /* the unlock parsed it; nothing to decide on */
	if (pcr_key_fingerprint(key_der, key_der_size, own) < 0)
		return 0;
	r = read_small_file(next_pem, 64 * 1024, &pem);
	if (r < 0 && r != -ENOENT)
		return log_warning_errno(r, "state: cannot read the next PCR signing key %s, no "
					    "rollover: %m",
					 next_pem);
	if (r >= 0 && (pem_pubkey_to_der(pem, strlen(pem), &next_der, &next_der_size) < 0 ||
		       pcr_key_fingerprint(next_der, next_der_size, next) < 0))
		return log_warning_errno(-EBADMSG, "state: %s is not an RSA public key, no PCR "
						   "signing key rollover",
					 next_pem);
	hexify(own, 32, own_hex);
	switch (rollover_decide(tokens, n, used, own, next_der ? next : NULL)) {
	case ROLLOVER_NONE:
		return 0;
	case ROLLOVER_RETIRE:
		/* A counted boot may still fall back to a release of the old key: its token stays
		 * until a boot of this image's blessed entry (docs/upgrades.md, boot counting). */
		if (boot_is_counted()) {
			log_info("state: PCR signing key rollover: the previous key's token stays "
				 "until this release is blessed (this boot is counted)");
			return 0;
		}
		return retire(node, tokens, token_id, n, own);
	case ROLLOVER_BACKWARDS:
		hexify(next, 32, next_hex);
		return log_warning_errno(-EPERM, "state: not re-sealing to the image's next PCR "
						 "signing key %.16s: the node rolled over from it",
					 next_hex);
	case ROLLOVER_RESEAL:
		break;
	}
	hexify(next, 32, next_hex);
	r = state_token_reseal(token_json[used], next_der, next_der_size, secret, own_hex, &json);
	if (r < 0)
		return log_warning_errno(r, "state: PCR signing key rollover failed, keeping the "
					    "current key (retried at the next boot): sealing: %s",
					 tpm_error(measure_tpm()));
	test_checkpoint("rollover-sealed");
	id = luks_token_add_beside(node, LUKS_TOKEN_TYPE, json, token_id[used]);
	if (id < 0)
		return log_warning_errno(id, "state: PCR signing key rollover failed, keeping the "
					     "current key (retried at the next boot): %s: %m",
					 node);
	test_checkpoint("rollover-token");
	log_info("state: PCR signing key rolled over (re-sealed): token %d sealed to the next key "
		 "%.16s beside token %d of %.16s, same keyslot, policy and security epoch (%llu "
		 "ms, %lu TPM commands)",
		 id, next_hex, token_id[used], own_hex, now_ms() - t0,
		 tpm_commands(measure_tpm()) - n0);
	return 1;
}
