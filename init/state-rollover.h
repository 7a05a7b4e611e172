/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PCR-signing-key rollover of the state partition (docs/measured-boot.md, "PCR-signing-key
 * rollover"). An image signed by the node's key K that carries the next key N
 * (/etc/kcc/next-pcr-public-key.pem, /etc/kcc/direct/ on direct boots, in the measured initrd)
 * adds, after unlock, a second kcc-tpm2 token for the same keyslot: the same secret sealed under
 * PolicyAuthorize(N) with the old token's signed PCRs, literal values and security-epoch index,
 * recording "kcc-rolled-from": K's fingerprint. An image signed by N that unlocks with that token
 * removes the tokens of other keys: from then on no approval signed by K unseals. Never
 * backwards: no token is ever sealed to a key a token records it rolled over from. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "state-rotate.h"

#define ROLLOVER_NEXT_UKI_KEY "/etc/kcc/next-pcr-public-key.pem"
#define ROLLOVER_NEXT_DIRECT_KEY "/etc/kcc/direct/next-pcr-public-key.pem"
/* The token member naming the key a re-sealed token rolled over from (hex SHA-256 fingerprint,
 * as kcc-pkfp). Not sealed: it only ever stops kcc-init from doing something. */
#define ROLLOVER_TOKEN_FROM STATE_TOKEN_ROLLED_FROM

/* What a volume's kcc-tpm2 token says about its key. */
typedef struct RolloverToken {
	uint8_t pkfp[32];
	bool has_from;
	uint8_t from[32];
} RolloverToken;

typedef enum RolloverAction {
	ROLLOVER_NONE,
	ROLLOVER_RESEAL,    /* add a token sealed to the image's next key */
	ROLLOVER_BACKWARDS, /* the next key is the one the node rolled over from: refused */
	ROLLOVER_RETIRE,    /* the image's key is the one rolled over to: remove the others */
} RolloverAction;

/* The decision after an unlock with tokens[used], for an image whose key has fingerprint own and
 * which carries the next key next (NULL: none). */
RolloverAction rollover_decide(const RolloverToken *tokens, size_t n, size_t used,
			       const uint8_t own[32], const uint8_t *next);
/* Before an unlock: true when no token is bound to own and one records that the node rolled
 * over from own (*ret_to: that token's key). The image is older than the node's key. */
bool rollover_moved_past(const RolloverToken *tokens, size_t n, const uint8_t own[32],
			 size_t *ret_to);
/* Reads pkfp and kcc-rolled-from of a token's JSON; -EBADMSG when kcc-pkfp is missing. */
int rollover_token_parse(const char *token_json, RolloverToken *t);

/* The step after an unlock (stage-state.c): tokens token_json[0..n) with ids token_id, used the
 * one that unlocked, secret the unsealed STATE_SECRET_SIZE bytes, key_der the image's key.
 * Reads the image's next key from next_pem. Logs one line for what it does; a failure keeps the
 * header as it was (every token still opens its keyslot) and is retried at the next boot.
 * 1: the header changed (publish the tokens anew), 0: nothing to do, -errno: failed. */
int state_rollover_run(const char *node, char *const *token_json, const int *token_id, size_t n,
		       size_t used, const uint8_t *key_der, size_t key_der_size,
		       const char *next_pem, const uint8_t *secret);
