/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libcryptsetup.h>

#include "cryptsetup.h"
#include "cryptsetup-internal.h"
#include "luks-reencrypt.h"
#include "util.h"

int luks_reencrypt_inspect(const char *node, ReencryptRecord *ret, char *reason,
			   size_t reason_size)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	const char *json;
	int r;

	r = crypt_load_luks2(node, &cd);
	if (r < 0)
		return errorf(reason, reason_size, r, "its LUKS2 header does not load");
	r = crypt_dump_json(cd, &json, 0);
	if (r < 0)
		return errorf(reason, reason_size, r, "its LUKS2 metadata cannot be read");
	return reencrypt_header_check(json, ret, reason, reason_size);
}

int luks_reencrypt_start(const char *node, const char *name, const void *pass, size_t pass_size,
			 const uint8_t *new_vk, int tpm_token, const uint8_t *mac,
			 void (*checkpoint)(const char *step), ReencryptRecord *ret)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	_cleanup_free_ char *json = NULL;
	const struct crypt_params_luks2 luks2 = { .sector_size = 4096 };
	const struct crypt_params_reencrypt params = {
		.mode = CRYPT_REENCRYPT_REENCRYPT,
		.direction = CRYPT_REENCRYPT_FORWARD,
		.resilience = "checksum",
		.hash = "sha256",
		.luks2 = &luks2,
		.flags = CRYPT_REENCRYPT_INITIALIZE_ONLY,
	};
	ReencryptRecord rec = { 0 };
	int r;

	r = crypt_load_luks2(node, &cd);
	if (r < 0)
		return r;
	/* The keyslot pass opens for the data segment (no activation: name NULL). */
	rec.old_slot = crypt_activate_by_passphrase(cd, NULL, CRYPT_ANY_SLOT, pass, pass_size, 0);
	if (rec.old_slot < 0)
		return rec.old_slot;
	r = keyslot_params(cd);
	if (r < 0)
		return r;
	rec.new_slot = crypt_keyslot_add_by_key(cd, CRYPT_ANY_SLOT, (const char *)new_vk,
						LUKS_KEY_SIZE, pass, pass_size,
						CRYPT_VOLUME_KEY_NO_SEGMENT);
	if (rec.new_slot < 0)
		return rec.new_slot;
	if (checkpoint)
		checkpoint("reencrypt-keyslot");
	if (tpm_token >= 0) {
		r = crypt_token_assign_keyslot(cd, tpm_token, rec.new_slot);
		if (r < 0)
			return r;
	}
	memcpy(rec.mac, mac, sizeof(rec.mac));
	json = reencrypt_record_json(rec.old_slot, rec.new_slot, mac);
	if (!json)
		return -ENOMEM;
	rec.token = token_add(cd, REENCRYPT_TOKEN_TYPE, json, rec.new_slot);
	if (rec.token < 0)
		return rec.token;
	if (checkpoint)
		checkpoint("reencrypt-token");
	r = crypt_reencrypt_init_by_passphrase(cd, name, pass, pass_size, rec.old_slot,
					       rec.new_slot, LUKS_CIPHER, LUKS_CIPHER_MODE,
					       &params);
	if (r < 0)
		return r;
	if (checkpoint)
		checkpoint("reencrypt-init");
	*ret = rec;
	return 0;
}

typedef struct Progress {
	LuksReencryptProgress fn;
	void *data;
} Progress;

static int progress_glue(uint64_t size, uint64_t offset, void *usrptr)
{
	Progress *p = usrptr;

	return p->fn && p->fn(size, offset, p->data) ? 1 : 0;
}

int luks_reencrypt_resume(const char *node, const char *name, const void *pass,
			  size_t pass_size, uint64_t hotzone_bytes, LuksReencryptProgress progress,
			  void *data)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL, *again = NULL;
	/* The hotzone is a parameter of each run, not of the metadata. */
	const struct crypt_params_reencrypt params = { .flags = CRYPT_REENCRYPT_RESUME_ONLY,
						       .max_hotzone_size = hotzone_bytes / 512 };
	Progress p = { progress, data };
	int r;

	r = crypt_load_luks2(node, &cd);
	if (r < 0)
		return r;
	r = crypt_reencrypt_init_by_passphrase(cd, name, pass, pass_size, CRYPT_ANY_SLOT,
					       CRYPT_ANY_SLOT, NULL, NULL, &params);
	if (r < 0)
		return r;
	r = crypt_reencrypt_run(cd, progress_glue, &p);
	if (r < 0)
		return r;
	/* Finished is what the header says now. */
	r = crypt_load_luks2(node, &again);
	if (r < 0)
		return r;
	return crypt_reencrypt_status(again, NULL) == CRYPT_REENCRYPT_NONE ? 1 : 0;
}

/* True when some token refers to keyslot slot. */
static bool slot_referenced(struct crypt_device *cd, int slot)
{
	for (int id = 0; id < LUKS2_TOKENS; id++)
		if (crypt_token_is_assigned(cd, id, slot) == 0)
			return true;
	return false;
}

static bool slot_exists(struct crypt_device *cd, int slot)
{
	crypt_keyslot_info ki = crypt_keyslot_status(cd, slot);

	return ki == CRYPT_SLOT_ACTIVE || ki == CRYPT_SLOT_ACTIVE_LAST || ki == CRYPT_SLOT_UNBOUND;
}

int luks_reencrypt_forget(const char *node, unsigned *ret_n)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	unsigned n = 0;
	int r;

	r = crypt_load_luks2(node, &cd);
	if (r < 0)
		return r;
	for (int id = 0; id < LUKS2_TOKENS; id++) {
		bool stale = token_is(cd, id, LUKS_RECOVERY_TOKEN_TYPE);

		for (int slot = 0; stale && slot < LUKS2_KEYSLOTS; slot++)
			if (crypt_token_is_assigned(cd, id, slot) == 0 && slot_exists(cd, slot))
				stale = false;
		if (!token_is(cd, id, REENCRYPT_TOKEN_TYPE) && !stale)
			continue;
		r = crypt_token_json_set(cd, id, NULL);
		if (r < 0)
			return r;
		n++;
	}
	for (int slot = 0; slot < LUKS2_KEYSLOTS; slot++) {
		crypt_keyslot_info ki = crypt_keyslot_status(cd, slot);

		if (ki != CRYPT_SLOT_UNBOUND && (!slot_exists(cd, slot) || slot_referenced(cd, slot)))
			continue;
		r = crypt_keyslot_destroy(cd, slot);
		if (r < 0)
			return r;
		n++;
	}
	*ret_n = n;
	return 0;
}
