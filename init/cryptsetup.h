/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libcryptsetup adapter for dm-verity and LUKS2: the only file of kcc-init that calls crypt_*. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Opens data_dev read-only as /dev/mapper/name, verified by the hash tree on hash_dev against
 * roothash. A corrupted block panics the kernel (the boot loader's counting then rolls back). */
int verity_open(const char *name, const char *data_dev, const char *hash_dev,
		const uint8_t *roothash, size_t roothash_size);
/* Removes /dev/mapper/name (verity or crypt). */
int dm_close(const char *name);

/* LUKS2, as the state partition uses it. The header's subsystem field tells how far provisioning
 * got: "kcc-provisioning" from the first header write until the filesystem exists, then
 * "kcc-state". Only a "kcc-state" volume can hold data. */
#define LUKS_SUBSYSTEM_PROVISIONING "kcc-provisioning"
#define LUKS_SUBSYSTEM_READY "kcc-state"
#define LUKS_TOKEN_TYPE "kcc-tpm2"
#define LUKS_RECOVERY_TOKEN_TYPE "kcc-recovery"
#define LUKS_UUID_MAX 40

/* A volume has one kcc-tpm2 token, two while a key rotation is between adding the new token and
 * removing the old one (a power cut there leaves both, each with a keyslot it opens). */
#define LUKS_TOKENS_MAX 4

typedef struct LuksInfo {
	char subsystem[49];
	char uuid[LUKS_UUID_MAX];
	size_t n_tokens;
	int token_id[LUKS_TOKENS_MAX];
	char *token_json[LUKS_TOKENS_MAX]; /* the kcc-tpm2 tokens, in token id order */
	int recovery_token; /* the first kcc-recovery token, -1: none */
} LuksInfo;

/* Reads the header. -EINVAL (or another libcryptsetup error) when it is not a loadable LUKS2
 * header. luks_info_done() frees the tokens. */
int luks_load(const char *node, LuksInfo *info);
void luks_info_done(LuksInfo *info);
/* True when the primary binary header starts with the LUKS2 magic and carries the provisioning
 * subsystem: a first format that a power cut interrupted before any header copy was complete. */
bool luks_header_unfinished(const char *node);
/* The only volume kcc-init formats and opens: anything else is refused before it is used. */
#define LUKS_CIPHER "aes"
#define LUKS_CIPHER_MODE "xts-plain64"
#define LUKS_KEY_SIZE 64

/* aes-xts-plain64 with the given 512-bit volume key and UUID (the caller makes both, so that
 * they can be bound into the sealed secret before anything is written), one keyslot for passphrase with pbkdf2 at the
 * minimum iterations (the passphrase is 32 random bytes, not something to stretch), the token
 * (token_json: a JSON object without "type" and "keyslots"), subsystem "kcc-provisioning".
 * checkpoint (optional) is called after the header write, before the keyslot. */
int luks_format(const char *node, const void *pass, size_t pass_size, const uint8_t *vk,
		const char *uuid, const char *token_json, void (*checkpoint)(const char *step));

/* What a header declares, as read by libcryptsetup, and the keyslot the passphrase opened. */
typedef struct LuksParams {
	char cipher[32], mode[32], keyslot_cipher[64], uuid[LUKS_UUID_MAX];
	int key_size, keyslot_key_size, sector_size;
	bool reencrypt; /* the volume is being re-encrypted: the keyslot's key is one of two */
} LuksParams;

/* Opens the keyslot with pass, hands what the header declares and the volume key to check(),
 * and activates /dev/mapper/name only if check() returns >= 0, all on one loaded header (what is
 * checked is what is activated). vk: 64 bytes room, the caller wipes it. -EPERM when pass opens
 * no keyslot; check()'s error when it refuses. A volume in re-encryption: check() for each of
 * the two keys pass opens (-ENOKEY when it opens only one), activated by passphrase. */
typedef int (*LuksCheck)(const LuksParams *params, const uint8_t *vk, size_t vk_size, void *data);
int luks_activate(const char *node, const char *name, const void *pass, size_t pass_size,
		  uint8_t *vk, size_t *vk_size, LuksCheck check, void *data);
/* Sets the subsystem to "kcc-state": provisioning is complete. */
int luks_mark_ready(const char *node);

/* Keyslot replacement (a rotation) for the token of type req->type: replaces the keyslot of token
 * req->old_token (-1: none, the first keyslot of that type) with a new one for req->new_pass
 * (req->unlock_pass opens a keyslot: it gives the volume key) and a new token (token_json: as for
 * luks_format()), one atomic header write per step, in an order after which every power cut leaves
 * each token with a keyslot it opens:
 *   0. leftovers of an interrupted replacement go first: other tokens of that type, then keyslots
 *      no token refers to (but the one unlock_pass opens);
 *   1. new keyslot ("STEPS-keyslot"), 2. new token ("STEPS-token"), 3. old token removed
 *      ("STEPS-old-token"), 4. old keyslot destroyed ("STEPS-old-keyslot").
 * checkpoint (optional) is called after each step. */
typedef struct LuksReplace {
	const char *type, *steps;
	int old_token;
	const void *unlock_pass, *new_pass;
	size_t unlock_size, new_size;
	const char *token_json;
} LuksReplace;
typedef struct LuksRotation {
	int old_slot, new_slot, old_token, new_token;
	unsigned leftovers; /* tokens and keyslots of an interrupted replacement removed in step 0 */
} LuksRotation;
int luks_replace_keyslot(const char *node, const LuksReplace *req,
			 void (*checkpoint)(const char *step), LuksRotation *ret);
