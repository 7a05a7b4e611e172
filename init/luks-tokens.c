/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <libcryptsetup.h>

#include "cryptsetup-internal.h"
#include "cryptsetup.h"
#include "luks-tokens.h"
#include "util.h"

int luks_token_add_beside(const char *node, const char *type, const char *token_json, int beside)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	int r, slot = -ENOENT;

	r = crypt_load_luks2(node, &cd);
	if (r < 0)
		return r;
	for (int s = 0; s < LUKS2_KEYSLOTS && slot < 0; s++)
		if (crypt_token_is_assigned(cd, beside, s) == 0)
			slot = s;
	if (slot < 0)
		return slot;
	return token_add(cd, type, token_json, slot);
}

int luks_token_remove(const char *node, int id)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	int r;

	r = crypt_load_luks2(node, &cd);
	return r < 0 ? r : crypt_token_json_set(cd, id, NULL);
}
