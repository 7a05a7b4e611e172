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
#define LUKS_UUID_MAX 40

typedef struct LuksInfo {
	char subsystem[49];
	char uuid[LUKS_UUID_MAX];
	char *token_json; /* the kcc-tpm2 token, NULL when there is none; free() it */
} LuksInfo;

/* Reads the header. -EINVAL (or another libcryptsetup error) when it is not a loadable LUKS2
 * header. */
int luks_load(const char *node, LuksInfo *info);
/* True when the primary binary header starts with the LUKS2 magic and carries the provisioning
 * subsystem: a first format that a power cut interrupted before any header copy was complete. */
bool luks_header_unfinished(const char *node);
/* aes-xts-plain64 with a random 512-bit volume key, one keyslot for passphrase with pbkdf2 at the
 * minimum iterations (the passphrase is 32 random bytes, not something to stretch), the token
 * (token_json: a JSON object without "type" and "keyslots"), subsystem "kcc-provisioning".
 * checkpoint (optional) is called after the header write, before the keyslot. */
int luks_format(const char *node, const void *pass, size_t pass_size, const char *token_json,
		char uuid[LUKS_UUID_MAX], void (*checkpoint)(const char *step));
/* Unlocks the keyslot with pass and activates /dev/mapper/name. vk gets the volume key (for
 * PCR 15; 64 bytes room). -EPERM when pass opens no keyslot. */
int luks_activate(const char *node, const char *name, const void *pass, size_t pass_size,
		  uint8_t *vk, size_t *vk_size);
/* Sets the subsystem to "kcc-state": provisioning is complete. */
int luks_mark_ready(const char *node);
