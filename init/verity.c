/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libcryptsetup.h>

#include "log.h"
#include "verity.h"

static void crypt_log_glue(int level, const char *msg, void *usrptr)
{
	(void)usrptr;
	if (level == CRYPT_LOG_DEBUG && !log_debug_enabled())
		return;
	log_debug("libcryptsetup: %.*s", (int)strcspn(msg, "\n"), msg);
}

static void crypt_freep(struct crypt_device **cd)
{
	if (*cd)
		crypt_free(*cd);
}

int verity_open(const char *name, const char *data_dev, const char *hash_dev,
		const uint8_t *roothash, size_t roothash_size)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	int r;

	crypt_set_log_callback(NULL, crypt_log_glue, NULL);
	if (log_debug_enabled())
		crypt_set_debug_level(CRYPT_DEBUG_ALL);
	r = crypt_init_data_device(&cd, hash_dev, data_dev);
	if (r < 0)
		return r;
	crypt_set_log_callback(cd, crypt_log_glue, NULL);
	/* The superblock on the hash device gives algorithm, salt, block sizes and data size. */
	r = crypt_load(cd, CRYPT_VERITY, /* params= */ NULL);
	if (r < 0)
		return r;
	r = crypt_activate_by_volume_key(cd, name, (const char *)roothash, roothash_size,
					 CRYPT_ACTIVATE_READONLY |
						 CRYPT_ACTIVATE_PANIC_ON_CORRUPTION);
	return r;
}

int verity_close(const char *name)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	int r;

	crypt_set_log_callback(NULL, crypt_log_glue, NULL);
	r = crypt_init_by_name(&cd, name);
	if (r < 0)
		return r;
	return crypt_deactivate(cd, name);
}
