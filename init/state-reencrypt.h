/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Volume-key rotation of the state partition (docs/measured-boot.md, "Volume-key rotation"):
 * `kcc-ctl rotate-key --volume` leaves a request on /var; the next boot's initrd, after unlock
 * and mount, starts a LUKS2 online re-encryption of /var to a new volume key, runs it for the
 * node configuration's state.reencrypt-seconds (default 5) and goes on booting; later boots
 * resume it until done; then the key is sealed anew for the new volume key (a key rotation,
 * state-rotate.h) and kcc-init's record of the re-encryption removed. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reencrypt-check.h"

#define STATE_REENCRYPT_FILE "rotate-volume-key" /* in STATE_ROTATE_DIR, like rotate-key */
#define STATE_REENCRYPT_SECONDS 5
/* Hotzone: the most libcryptsetup re-encrypts between two progress calls (and header writes). */
#define STATE_REENCRYPT_HOTZONE (4u << 20)

typedef struct StateReencrypt {
	const char *node, *var;
	ReencryptState state;	 /* what luks_reencrypt_inspect() found at unlock */
	int token_id;		 /* the kcc-tpm2 token that unlocked */
	const char *token_json;
	const uint8_t *key_der;
	size_t key_der_size;
	/* locked memory: the unlocking secret (passphrase + binding; on finishing, the binding is
	 * replaced by the new key's), room for a new secret, a recovery passphrase and a volume key */
	uint8_t *secret, *fresh, *recovery, *vk;
	const uint8_t *new_bind; /* the new key's binding, when the unlock checked it; else NULL */
	const char *uuid;
} StateReencrypt;

/* Runs what is due: nothing, a start (requested), a resume, the end. A failure is logged and
 * the boot goes on with a key that opens /var. */
typedef enum StateReencryptResult {
	STATE_REENCRYPT_IDLE,	/* none (left): a key rotation may run */
	STATE_REENCRYPT_SEALED, /* the end: the key was sealed anew, the unlocking token is gone */
	STATE_REENCRYPT_BUSY,	/* one is under way: no key rotation until it is done (both keyslots
				   must keep one passphrase) */
} StateReencryptResult;
StateReencryptResult state_reencrypt_run(const StateReencrypt *a);
