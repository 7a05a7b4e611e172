/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Rotation of the state partition's TPM keyslot (docs/measured-boot.md, "Key rotation"). The
 * sealed key can only be unsealed in the initrd, so `kcc-ctl rotate-key` leaves a request on /var
 * and kcc-init carries it out at the next boot, after unlock and before leave-initrd: a new random
 * passphrase sealed under the same signed policy, a new keyslot, a new token, the old token and
 * keyslot removed. The request is a file whose presence alone counts (nothing of it is read):
 * whoever can create it can at worst cause a rotation. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Below /var: written by kcc-ctl on the running node, read and removed by kcc-init. */
#define STATE_ROTATE_DIR "lib/kcc"
#define STATE_ROTATE_FILE "rotate-key"
#define STATE_ROTATE_REQUEST STATE_ROTATE_DIR "/" STATE_ROTATE_FILE
/* What is sealed: the keyslot passphrase, then the volume binding (stage-state.c). */
#define STATE_PASS_SIZE 32
#define STATE_SECRET_SIZE 64
#define STATE_BIND_SIZE (STATE_SECRET_SIZE - STATE_PASS_SIZE)

/* The token member that records when its key was sealed (seconds since the epoch, the node's
 * clock: whoever sets the clock can at worst cause or delay an age-based rotation). */
#define STATE_TOKEN_ROTATED "kcc-rotated"

/* True when var (the mounted state volume) holds a rotation request. */
bool state_rotate_requested(const char *var);
/* The same for any request file in var's STATE_ROTATE_DIR (a regular file, no link followed). */
bool state_request_present(const char *var, const char *file);
/* Removes it durably (unlink, fsync of the folder); 0 when it is not there. */
int state_request_remove(const char *var, const char *file);
/* True when a rotation is due: requested, or older than the node configuration's
 * state.rotate-days (token_json: the token that unlocked). why: for the log line. */
bool state_rotate_due(const char *var, const char *token_json, char *why, size_t why_size);
/* The node configuration this boot accepted (stage-config left it in /run/kcc, valid):
 * state.rotate-days and state.reencrypt-seconds, 0 when not set. */
void state_config(unsigned *ret_rotate_days, unsigned *ret_reencrypt_seconds);
/* The token member naming the key a token re-sealed by a PCR-signing-key rollover came from
 * (hex fingerprint, as kcc-pkfp; init/state-rollover.h). */
#define STATE_TOKEN_ROLLED_FROM "kcc-rolled-from"

/* A new token's JSON: secret (STATE_SECRET_SIZE bytes) sealed under token_json's policy shape
 * (signed PCRs, literal values, security-epoch index) authorised by key_der, stamped, with
 * rolled_from (NULL: none) as STATE_TOKEN_ROLLED_FROM. TPM errors in tpm_error(). */
int state_token_reseal(const char *token_json, const uint8_t *key_der, size_t key_der_size,
		       const uint8_t *secret, const char *rolled_from, char **ret_json);
/* Records the time of sealing in a token's JSON body. */
struct json_object;
void state_token_stamp(struct json_object *tok);

/* Rotates the keyslot that old_secret's passphrase opens (token token_id, whose JSON is
 * token_json) on node, then the recovery keyslot (token recovery_token, -1: none yet) when the
 * image has a recovery key, and removes the request below var. key_der: the image's PCR signing
 * key (the token's). new_secret: STATE_SECRET_SIZE bytes, recovery_pass: RECOVERY_PASS_SIZE
 * bytes, locked memory the caller wipes. Logs one line either way; on failure the node keeps a
 * key that opens /var and the request stays. */
int state_rotate_run(const char *node, const char *var, const char *why, int token_id,
		     const char *token_json, int recovery_token, const uint8_t *key_der,
		     size_t key_der_size, const uint8_t *old_secret, uint8_t *new_secret,
		     uint8_t *recovery_pass);

/* Adds (old_token -1) or replaces the recovery keyslot, opened with unlock_pass (a keyslot's
 * passphrase, STATE_PASS_SIZE bytes); recovery_pass: RECOVERY_PASS_SIZE bytes of locked memory,
 * wiped. The reason of a failure in err; nothing logged. */
typedef struct LuksRotation LuksRotation;
int state_recovery_replace(const char *node, const uint8_t *unlock_pass, int old_token,
			   uint8_t *recovery_pass, LuksRotation *ret, char *err, size_t err_size);

/* The binding of a volume key (sealed after the passphrase): HMAC-SHA256(vk, "kcc-state-volume:
 * CIPHER-MODE:BITS:UUID"). */
int state_volume_binding(const char *cipher, const char *mode, int key_size, const char *uuid,
			 const uint8_t *vk, size_t vk_size, uint8_t out[STATE_BIND_SIZE]);
