/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <json-c/json.h>
#include <libcryptsetup.h>

#include "json-get.h"
#include "log.h"
#include "cryptsetup.h"
#include "cryptsetup-internal.h"
#include "reencrypt-check.h"

void crypt_log_glue(int level, const char *msg, void *usrptr)
{
	(void)usrptr;
	if (level == CRYPT_LOG_DEBUG && !log_debug_enabled())
		return;
	log_debug("libcryptsetup: %.*s", (int)strcspn(msg, "\n"), msg);
}

void crypt_freep(struct crypt_device **cd)
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

int dm_close(const char *name)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	int r;

	crypt_set_log_callback(NULL, crypt_log_glue, NULL);
	r = crypt_init_by_name(&cd, name);
	if (r < 0)
		return r;
	return crypt_deactivate(cd, name);
}

static int crypt_open_node(const char *node, struct crypt_device **cd)
{
	int r;

	crypt_set_log_callback(NULL, crypt_log_glue, NULL);
	r = crypt_init(cd, node);
	if (r < 0)
		return r;
	crypt_set_log_callback(*cd, crypt_log_glue, NULL);
	return 0;
}

int crypt_load_luks2(const char *node, struct crypt_device **cd)
{
	int r = crypt_open_node(node, cd);

	return r < 0 ? r : crypt_load(*cd, CRYPT_LUKS2, NULL);
}

bool token_is(struct crypt_device *cd, int id, const char *want)
{
	const char *json, *type;
	json_object *o;
	bool r;

	if (crypt_token_json_get(cd, id, &json) < 0)
		return false;
	o = json_tokener_parse(json);
	type = json_get_str(o, "type");
	r = type && streq(type, want);
	json_object_put(o);
	return r;
}

static int kcc_tokens(struct crypt_device *cd, LuksInfo *info)
{
	for (int id = 0; id < LUKS2_TOKENS && info->n_tokens < LUKS_TOKENS_MAX; id++) {
		const char *json;

		if (!token_is(cd, id, LUKS_TOKEN_TYPE) || crypt_token_json_get(cd, id, &json) < 0)
			continue;
		info->token_json[info->n_tokens] = strdup(json);
		if (!info->token_json[info->n_tokens])
			return -ENOMEM;
		info->token_id[info->n_tokens++] = id;
	}
	return 0;
}

void luks_info_done(LuksInfo *info)
{
	for (size_t i = 0; i < info->n_tokens; i++)
		free(info->token_json[i]);
	info->n_tokens = 0;
}

int luks_load(const char *node, LuksInfo *info)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	const char *v;
	int r;

	*info = (LuksInfo){ 0 };
	r = crypt_load_luks2(node, &cd);
	if (r < 0)
		return r;
	v = crypt_get_subsystem(cd);
	snprintf(info->subsystem, sizeof(info->subsystem), "%s", v ? v : "");
	v = crypt_get_uuid(cd);
	snprintf(info->uuid, sizeof(info->uuid), "%s", v ? v : "");
	info->recovery_token = -1;
	for (int id = 0; id < LUKS2_TOKENS && info->recovery_token < 0; id++)
		if (token_is(cd, id, LUKS_RECOVERY_TOKEN_TYPE))
			info->recovery_token = id;
	r = kcc_tokens(cd, info);
	if (r < 0)
		luks_info_done(info);
	return r;
}

bool luks_header_unfinished(const char *node)
{
	/* LUKS2 binary header: magic at 0, subsystem (48 bytes) at 208. */
	static const char magic[6] = { 'L', 'U', 'K', 'S', (char)0xba, (char)0xbe };
	_cleanup_close_ int fd = open(node, O_RDONLY | O_CLOEXEC);
	char hdr[512];

	if (fd < 0 || pread(fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr))
		return false;
	return memcmp(hdr, magic, sizeof(magic)) == 0 &&
	       strncmp(hdr + 208, LUKS_SUBSYSTEM_PROVISIONING, 48) == 0;
}

/* Adds token_json (without "type" and "keyslots") as a token of type for keyslot slot; returns
 * the token id. */
int token_add(struct crypt_device *cd, const char *type, const char *token_json, int slot)
{
	json_object *tok = json_tokener_parse(token_json), *ks;
	char sl[12];
	int r;

	if (!tok || !json_object_is_type(tok, json_type_object)) {
		json_object_put(tok);
		return -EINVAL;
	}
	json_object_object_add(tok, "type", json_object_new_string(type));
	ks = json_object_new_array();
	snprintf(sl, sizeof(sl), "%d", slot);
	json_object_array_add(ks, json_object_new_string(sl));
	json_object_object_add(tok, "keyslots", ks);
	r = crypt_token_json_set(cd, CRYPT_ANY_TOKEN,
				 json_object_to_json_string_ext(tok, JSON_C_TO_STRING_PLAIN));
	json_object_put(tok);
	return r;
}

/* Keyslots as kcc-init makes them: pbkdf2 at the minimum (the passphrase is 32 random bytes),
 * encrypted like the data. */
static const struct crypt_pbkdf_type keyslot_pbkdf = {
	.type = CRYPT_KDF_PBKDF2,
	.hash = "sha256",
	.iterations = 1000,
	.flags = CRYPT_PBKDF_NO_BENCHMARK,
};

int keyslot_params(struct crypt_device *cd)
{
	int r = crypt_set_pbkdf_type(cd, &keyslot_pbkdf);

	return r < 0 ? r : crypt_keyslot_set_encryption(cd, LUKS_CIPHER "-" LUKS_CIPHER_MODE,
							 LUKS_KEY_SIZE);
}

int luks_format(const char *node, const void *pass, size_t pass_size, const uint8_t *vk,
		const char *uuid, const char *token_json, void (*checkpoint)(const char *step))
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	struct crypt_params_luks2 params = {
		.pbkdf = &keyslot_pbkdf,
		.sector_size = 4096,
		.label = "state",
		.subsystem = LUKS_SUBSYSTEM_PROVISIONING,
	};
	int r, slot;

	r = crypt_open_node(node, &cd);
	if (r < 0)
		return r;
	r = crypt_format(cd, CRYPT_LUKS2, LUKS_CIPHER, LUKS_CIPHER_MODE, uuid, (const char *)vk,
			 LUKS_KEY_SIZE, &params);
	if (r < 0)
		return log_error_errno(r, "Failed to write the LUKS2 header on %s: %m", node);
	log_info("state: LUKS2 header written on %s (%s)", node, uuid);
	if (checkpoint)
		checkpoint("header");
	r = keyslot_params(cd);
	if (r < 0)
		return log_error_errno(r, "Failed to select pbkdf2: %m");
	slot = crypt_keyslot_add_by_volume_key(cd, CRYPT_ANY_SLOT, (const char *)vk, LUKS_KEY_SIZE,
					       pass, pass_size);
	if (slot < 0)
		return log_error_errno(slot, "Failed to add the keyslot: %m");
	r = token_add(cd, LUKS_TOKEN_TYPE, token_json, slot);
	if (r < 0)
		return log_error_errno(r, "Failed to write the kcc-tpm2 token: %m");
	log_info("state: keyslot %d and sealed-key token written", slot);
	return 0;
}

static void luks_params(struct crypt_device *cd, int slot, LuksParams *params)
{
	size_t ks_key = 0;
	const char *v;

	v = crypt_get_cipher(cd);
	snprintf(params->cipher, sizeof(params->cipher), "%s", v ?: "");
	v = crypt_get_cipher_mode(cd);
	snprintf(params->mode, sizeof(params->mode), "%s", v ?: "");
	v = crypt_get_uuid(cd);
	snprintf(params->uuid, sizeof(params->uuid), "%s", v ?: "");
	params->key_size = crypt_get_volume_key_size(cd);
	params->sector_size = crypt_get_sector_size(cd);
	v = crypt_keyslot_get_encryption(cd, slot, &ks_key);
	snprintf(params->keyslot_cipher, sizeof(params->keyslot_cipher), "%s", v ?: "");
	params->keyslot_key_size = (int)ks_key;
}

static bool reencrypting(struct crypt_device *cd)
{
	uint32_t req = 0;

	return crypt_persistent_flags_get(cd, CRYPT_FLAGS_REQUIREMENTS, &req) >= 0 &&
	       (req & CRYPT_REQUIREMENT_ONLINE_REENCRYPT);
}

/* A volume in re-encryption has two volume keys. What is checked is what is activated: the
 * metadata of this very load must pass reencrypt_header_check() as a re-encryption kcc-init
 * started (its record's two keyslots), and only those two keyslots are tried: each must open
 * with pass, each key goes through check(), and the two keys must differ (a header with the old
 * key copied into a second keyslot is not a re-encryption). The activation, which needs both,
 * is by passphrase (libcryptsetup first recovers a hotzone a power cut interrupted). vk is left
 * holding the new key. */
static int activate_reencrypting(struct crypt_device *cd, const char *name, const void *pass,
				 size_t pass_size, uint8_t *vk, size_t *vk_size, LuksCheck check,
				 void *data)
{
	uint8_t first[LUKS_KEY_SIZE];
	size_t room = *vk_size, first_size = 0;
	ReencryptRecord rec;
	const char *json;
	char why[200];
	int r;

	r = crypt_dump_json(cd, &json, 0);
	if (r < 0)
		return r;
	r = reencrypt_header_check(json, &rec, why, sizeof(why));
	if (r != REENCRYPT_RUNNING) {
		log_error("state: the header being activated is not a re-encryption kcc-init started: "
			  "%s", r < 0 ? why : "no record of it");
		return -EPERM;
	}
	const int slots[2] = { rec.old_slot, rec.new_slot };
	for (int i = 0; i < 2; i++) {
		LuksParams params = { .reencrypt = true };

		*vk_size = room;
		r = crypt_volume_key_get(cd, slots[i], (char *)vk, vk_size, pass, pass_size);
		if (r < 0)
			goto out;
		luks_params(cd, slots[i], &params);
		r = check(&params, vk, *vk_size, data);
		if (r < 0)
			goto out;
		if (i == 0) {
			if (*vk_size > sizeof(first)) {
				r = -ENOBUFS;
				goto out;
			}
			memcpy(first, vk, *vk_size);
			first_size = *vk_size;
		} else if (*vk_size == first_size && memcmp(first, vk, first_size) == 0) {
			log_error("state: both keyslots of the re-encryption hold the same volume key");
			r = -EPERM;
			goto out;
		}
	}
	r = crypt_activate_by_passphrase(cd, name, CRYPT_ANY_SLOT, pass, pass_size, 0);
	r = r < 0 ? r : 0;
out:
	explicit_wipe(first, sizeof(first));
	/* a slot pass does not open: refused like any other key */
	return r == -ENOENT ? -EPERM : r;
}

int luks_activate(const char *node, const char *name, const void *pass, size_t pass_size,
		  uint8_t *vk, size_t *vk_size, LuksCheck check, void *data)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	LuksParams params = { 0 };
	int r, slot;

	r = crypt_load_luks2(node, &cd);
	if (r < 0)
		return r;
	if (reencrypting(cd))
		return activate_reencrypting(cd, name, pass, pass_size, vk, vk_size, check, data);
	slot = crypt_volume_key_get(cd, CRYPT_ANY_SLOT, (char *)vk, vk_size, pass, pass_size);
	if (slot < 0)
		return slot == -EPERM || slot == -ENOENT ? -EPERM : slot;
	luks_params(cd, slot, &params);
	r = check(&params, vk, *vk_size, data);
	if (r < 0)
		return r;
	return crypt_activate_by_volume_key(cd, name, (const char *)vk, *vk_size, 0);
}

int luks_mark_ready(const char *node)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	char label[49];
	int r;

	r = crypt_load_luks2(node, &cd);
	if (r < 0)
		return r;
	/* A copy: libcryptsetup copies the label into the header it points into. */
	snprintf(label, sizeof(label), "%s", crypt_get_label(cd) ?: "");
	return crypt_set_label(cd, label, LUKS_SUBSYSTEM_READY);
}

/* Step 0 of a replacement: what an interrupted one left. Tokens of type other than keep go
 * first, then every keyslot but keep_slot that no token refers to. */
static int remove_leftovers(struct crypt_device *cd, const char *type, int keep_token,
			    int keep_slot, unsigned *ret_n)
{
	int r;

	*ret_n = 0;
	for (int id = 0; id < LUKS2_TOKENS; id++) {
		if (id == keep_token || !token_is(cd, id, type))
			continue;
		r = crypt_token_json_set(cd, id, NULL);
		if (r < 0)
			return r;
		(*ret_n)++;
	}
	for (int slot = 0; slot < LUKS2_KEYSLOTS; slot++) {
		crypt_keyslot_info ki = crypt_keyslot_status(cd, slot);
		bool referenced = false;

		if (slot == keep_slot || (ki != CRYPT_SLOT_ACTIVE && ki != CRYPT_SLOT_ACTIVE_LAST))
			continue;
		for (int id = 0; id < LUKS2_TOKENS && !referenced; id++)
			referenced = crypt_token_is_assigned(cd, id, slot) == 0;
		if (referenced)
			continue;
		r = crypt_keyslot_destroy(cd, slot);
		if (r < 0)
			return r;
		(*ret_n)++;
	}
	return 0;
}

/* The keyslot a token refers to (-ENOENT: none). */
static int token_keyslot(struct crypt_device *cd, int token)
{
	for (int slot = 0; slot < LUKS2_KEYSLOTS; slot++)
		if (crypt_token_is_assigned(cd, token, slot) == 0)
			return slot;
	return -ENOENT;
}

int luks_replace_keyslot(const char *node, const LuksReplace *req,
			 void (*checkpoint)(const char *step), LuksRotation *ret)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	LuksRotation rot = { .old_token = req->old_token, .old_slot = -1 };
	char step[64];
	int r, unlock_slot;

#define STEP(name)                                                                               \
	do {                                                                                     \
		snprintf(step, sizeof(step), "%s-%s", req->steps, name);                         \
		if (checkpoint)                                                                  \
			checkpoint(step);                                                        \
	} while (0)
	r = crypt_load_luks2(node, &cd);
	if (r < 0)
		return r;
	/* The keyslot the unlocking passphrase opens (no activation: name NULL). */
	unlock_slot = crypt_activate_by_passphrase(cd, NULL, CRYPT_ANY_SLOT, req->unlock_pass,
						   req->unlock_size, 0);
	if (unlock_slot < 0)
		return unlock_slot;
	if (req->old_token >= 0) {
		if (!token_is(cd, req->old_token, req->type))
			return -ENOENT;
		rot.old_slot = token_keyslot(cd, req->old_token);
		if (rot.old_slot < 0)
			return -EUCLEAN; /* a token that refers to no keyslot */
	}
	r = remove_leftovers(cd, req->type, req->old_token, unlock_slot, &rot.leftovers);
	if (r < 0)
		return r;
	r = keyslot_params(cd);
	if (r < 0)
		return r;
	rot.new_slot = crypt_keyslot_add_by_passphrase(cd, CRYPT_ANY_SLOT, req->unlock_pass,
						       req->unlock_size, req->new_pass,
						       req->new_size);
	if (rot.new_slot < 0)
		return rot.new_slot;
	STEP("keyslot");
	rot.new_token = token_add(cd, req->type, req->token_json, rot.new_slot);
	if (rot.new_token < 0)
		return rot.new_token;
	STEP("token");
	if (req->old_token >= 0) {
		r = crypt_token_json_set(cd, req->old_token, NULL);
		if (r < 0)
			return r;
		STEP("old-token");
		r = crypt_keyslot_destroy(cd, rot.old_slot);
		if (r < 0)
			return r;
		STEP("old-keyslot");
	}
	*ret = rot;
	return 0;
#undef STEP
}
