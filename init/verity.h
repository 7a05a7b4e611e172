/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libcryptsetup adapter for dm-verity: the only file of kcc-init that calls crypt_*. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Opens data_dev read-only as /dev/mapper/name, verified by the hash tree on hash_dev against
 * roothash. A corrupted block panics the kernel (the boot loader's counting then rolls back). */
int verity_open(const char *name, const char *data_dev, const char *hash_dev,
		const uint8_t *roothash, size_t roothash_size);
/* Removes /dev/mapper/name. */
int verity_close(const char *name);
