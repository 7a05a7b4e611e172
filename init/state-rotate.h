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
#define STATE_ROTATE_REQUEST "lib/kcc/rotate-key"
#define STATE_ROTATE_DIR "lib/kcc"
/* What is sealed: the keyslot passphrase, then the volume binding (stage-state.c). */
#define STATE_PASS_SIZE 32
#define STATE_SECRET_SIZE 64

/* True when var (the mounted state volume) holds a rotation request. */
bool state_rotate_requested(const char *var);

/* Rotates the keyslot that old_secret's passphrase opens (token token_id, whose JSON is
 * token_json) on node, and removes the request below var. key_der: the image's PCR signing key
 * (the token's). new_secret: STATE_SECRET_SIZE bytes of locked memory the caller wipes. Logs one
 * line either way; on failure the node keeps its current key and the request stays. */
int state_rotate_run(const char *node, const char *var, int token_id, const char *token_json,
		     const uint8_t *key_der, size_t key_der_size, const uint8_t *old_secret,
		     uint8_t *new_secret);
