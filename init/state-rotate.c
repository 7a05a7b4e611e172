/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <json-c/json.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include "cryptsetup.h"
#include "log.h"
#include "measure.h"
#include "node-config-files.h"
#include "node-config.h"
#include "pcr.h"
#include "recovery.h"
#include "sealed.h"
#include "state-rotate.h"
#include "test-hooks.h"

bool state_rotate_requested(const char *var)
{
	return state_request_present(var, STATE_ROTATE_FILE);
}

bool state_request_present(const char *var, const char *file)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s/%s", var, STATE_ROTATE_DIR, file);
	if (fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return false;
	if (!S_ISREG(st.st_mode)) {
		log_warning("state: %s is not a regular file, ignoring it", path);
		return false;
	}
	return true;
}

void state_token_stamp(json_object *tok)
{
	json_object_object_add(tok, STATE_TOKEN_ROTATED, json_object_new_int64(time(NULL)));
}

void state_config(unsigned *ret_rotate_days, unsigned *ret_reencrypt_seconds)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ NodeConfig *c = malloc(sizeof(*c));
	char err[256];

	*ret_rotate_days = *ret_reencrypt_seconds = 0;
	if (!c || read_small_file(NODE_CONFIG_JSON, NODE_CONFIG_MAX, &text) < 0 ||
	    node_config_parse(text, strlen(text), c, err, sizeof(err)) < 0)
		return;
	*ret_rotate_days = c->state.rotate_days;
	*ret_reencrypt_seconds = c->state.reencrypt_seconds;
}

bool state_rotate_due(const char *var, const char *token_json, char *why, size_t why_size)
{
	json_object *tok, *v;
	unsigned days, seconds;
	int64_t at;

	if (state_rotate_requested(var)) {
		snprintf(why, why_size, "requested");
		return true;
	}
	state_config(&days, &seconds);
	if (days == 0)
		return false;
	tok = json_tokener_parse(token_json);
	at = tok && json_object_object_get_ex(tok, STATE_TOKEN_ROTATED, &v) &&
			     json_object_is_type(v, json_type_int) ?
		     json_object_get_int64(v) :
		     -1;
	json_object_put(tok);
	if (at < 0)
		snprintf(why, why_size, "state.rotate-days is %u and the key's age is not recorded",
			 days);
	else if ((int64_t)time(NULL) - at >= (int64_t)days * 86400)
		snprintf(why, why_size, "state.rotate-days is %u and the key is %lld days old", days,
			 (long long)(((int64_t)time(NULL) - at) / 86400));
	else
		return false;
	return true;
}

/* The request goes once the rotation is on disk; a power cut before that rotates again. */
int state_request_remove(const char *var, const char *file)
{
	char dir[PATH_MAX];
	_cleanup_close_ int fd = -EBADF;

	snprintf(dir, sizeof(dir), "%s/%s", var, STATE_ROTATE_DIR);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (unlinkat(fd, file, 0) < 0)
		return errno == ENOENT ? 0 : -errno;
	return fsync(fd) < 0 ? -errno : 0;
}

int state_token_reseal(const char *token_json, const uint8_t *key_der, size_t key_der_size,
		       const uint8_t *secret, const char *rolled_from, char **ret_json)
{
	json_object *tok = json_tokener_parse(token_json), *out;
	Sealed like, fresh;
	char err[160];
	int r;

	r = tok ? sealed_from_json(tok, &like, err, sizeof(err)) : -EBADMSG;
	json_object_put(tok);
	if (r < 0)
		return r;
	r = sealed_reseal(measure_tpm(), &like, key_der, key_der_size, secret, STATE_SECRET_SIZE,
			  &fresh);
	sealed_done(&like);
	if (r < 0)
		return r;
	out = json_object_new_object();
	r = out ? sealed_to_json(&fresh, out) : -ENOMEM;
	sealed_done(&fresh);
	if (r >= 0) {
		state_token_stamp(out);
		if (rolled_from)
			json_object_object_add(out, STATE_TOKEN_ROLLED_FROM,
					       json_object_new_string(rolled_from));
		*ret_json = strdup(json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN));
		r = *ret_json ? 0 : -ENOMEM;
	}
	json_object_put(out);
	return r;
}

int state_recovery_replace(const char *node, const uint8_t *unlock_pass, int old_token,
			   uint8_t *recovery_pass, LuksRotation *ret, char *err, size_t err_size)
{
	_cleanup_free_ char *json = NULL;
	LuksReplace req = { .type = LUKS_RECOVERY_TOKEN_TYPE, .steps = "recovery",
			    .old_token = old_token, .unlock_pass = unlock_pass,
			    .unlock_size = STATE_PASS_SIZE, .new_pass = recovery_pass,
			    .new_size = RECOVERY_PASS_SIZE };
	int r;

	r = recovery_token_new(RECOVERY_KEY_PEM, recovery_pass, &json, err, err_size);
	if (r < 0)
		return r;
	req.token_json = json;
	r = luks_replace_keyslot(node, &req, test_checkpoint, ret);
	explicit_wipe(recovery_pass, RECOVERY_PASS_SIZE);
	if (r < 0)
		return errorf(err, err_size, r, "the recovery keyslot could not be written on %s: %s",
			      node, strerror(-r));
	return 0;
}

int state_rotate_run(const char *node, const char *var, const char *why, int token_id,
		     const char *token_json, int recovery_token, const uint8_t *key_der,
		     size_t key_der_size, const uint8_t *old_secret, uint8_t *new_secret,
		     uint8_t *recovery_pass)
{
	unsigned long long t0 = now_ms();
	unsigned long n0 = tpm_commands(measure_tpm());
	_cleanup_free_ char *json = NULL;
	LuksRotation rot, rec = { .new_slot = -1 };
	char recovery[96] = "", err[200];
	LuksReplace req = { .type = LUKS_TOKEN_TYPE, .steps = "rotate", .old_token = token_id,
			    .unlock_pass = old_secret, .unlock_size = STATE_PASS_SIZE,
			    .new_pass = new_secret, .new_size = STATE_PASS_SIZE };
	int r;

	/* A new passphrase; the binding (volume key and UUID) stays what it is. */
	if (getrandom(new_secret, STATE_PASS_SIZE, 0) != STATE_PASS_SIZE)
		return log_warning_errno(-errno, "state: key rotation failed, keeping the current key: "
					       "no random bytes: %m");
	memcpy(new_secret + STATE_PASS_SIZE, old_secret + STATE_PASS_SIZE,
	       STATE_SECRET_SIZE - STATE_PASS_SIZE);
	r = state_token_reseal(token_json, key_der, key_der_size, new_secret, NULL, &json);
	if (r < 0)
		return log_warning_errno(r, "state: key rotation failed, keeping the current key "
					  "(retried at the next boot): sealing: %s",
				       tpm_error(measure_tpm()));
	test_checkpoint("rotate-sealed");
	req.token_json = json;
	r = luks_replace_keyslot(node, &req, test_checkpoint, &rot);
	if (r < 0)
		return log_warning_errno(r, "state: key rotation failed, keeping the current key "
					  "(retried at the next boot): %s: %m",
				       node);
	/* The recovery keyslot, opened with the new passphrase: rotated like the TPM's. */
	if (recovery_enabled(RECOVERY_KEY_PEM)) {
		r = state_recovery_replace(node, new_secret, recovery_token, recovery_pass, &rec,
					   err, sizeof(err));
		if (r < 0)
			return log_warning_errno(r, "state: key rotation not finished, retried at the "
						    "next boot: %s",
						 err);
		snprintf(recovery, sizeof(recovery), "; recovery keyslot %d -> %d", rec.old_slot,
			 rec.new_slot);
	} else if (recovery_token >= 0)
		snprintf(recovery, sizeof(recovery), "; recovery keyslot kept as it is (this "
			 "image has no recovery key)");
	r = state_request_remove(var, STATE_ROTATE_FILE);
	if (r < 0)
		log_warning_errno(r, "state: failed to remove the rotation request, ignoring (the "
				     "next boot rotates again): %m");
	log_info("state: key rotated (%s): keyslot %d -> %d, token %d -> %d, sealed anew, old "
		 "keyslot destroyed%s%s (%llu ms, %lu TPM commands)",
		 why, rot.old_slot, rot.new_slot, rot.old_token, rot.new_token,
		 rot.leftovers || rec.leftovers ? "; leftovers of an interrupted rotation removed" : "",
		 recovery,
		 now_ms() - t0, tpm_commands(measure_tpm()) - n0);
	return 0;
}

/* The volume a sealed key belongs to: HMAC-SHA256 keyed with its volume key over its cipher,
 * mode, key size and LUKS UUID. Sealed next to the passphrase, so a header that declares another
 * cipher (cipher_null: any passphrase opens its keyslot, the data is plain), another key size, or
 * holds another volume key or UUID, is refused before it is activated. */
int state_volume_binding(const char *cipher, const char *mode, int key_size, const char *uuid,
			 const uint8_t *vk, size_t vk_size, uint8_t out[STATE_BIND_SIZE])
{
	char id[160];

	snprintf(id, sizeof(id), "kcc-state-volume:%s-%s:%d:%s", cipher, mode, key_size * 8, uuid);
	return pcr_hmac(PCR_BANK_SHA256, vk, vk_size, id, strlen(id), out);
}
