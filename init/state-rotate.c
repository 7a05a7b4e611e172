/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <json-c/json.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "cryptsetup.h"
#include "log.h"
#include "measure.h"
#include "sealed.h"
#include "state-rotate.h"
#include "test-hooks.h"

bool state_rotate_requested(const char *var)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", var, STATE_ROTATE_REQUEST);
	if (fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return false;
	if (!S_ISREG(st.st_mode)) {
		log_warning("state: %s is not a regular file, ignoring it", path);
		return false;
	}
	return true;
}

/* The request goes once the rotation is on disk; a power cut before that rotates again. */
static int request_remove(const char *var)
{
	char dir[PATH_MAX];
	_cleanup_close_ int fd = -EBADF;

	snprintf(dir, sizeof(dir), "%s/%s", var, STATE_ROTATE_DIR);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (unlinkat(fd, STATE_ROTATE_REQUEST + strlen(STATE_ROTATE_DIR "/"), 0) < 0)
		return -errno;
	return fsync(fd) < 0 ? -errno : 0;
}

/* The new token: the new blob under the old token's policy. */
static int reseal(const char *token_json, const uint8_t *key_der, size_t key_der_size,
		  const uint8_t *secret, char **ret_json)
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
		*ret_json = strdup(json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN));
		r = *ret_json ? 0 : -ENOMEM;
	}
	json_object_put(out);
	return r;
}

int state_rotate_run(const char *node, const char *var, int token_id, const char *token_json,
		     const uint8_t *key_der, size_t key_der_size, const uint8_t *old_secret,
		     uint8_t *new_secret)
{
	unsigned long long t0 = now_ms();
	unsigned long n0 = tpm_commands(measure_tpm());
	_cleanup_free_ char *json = NULL;
	LuksRotation rot;
	int r;

	/* A new passphrase; the binding (volume key and UUID) stays what it is. */
	if (getrandom(new_secret, STATE_PASS_SIZE, 0) != STATE_PASS_SIZE)
		return log_warning_errno(-errno, "state: key rotation failed, keeping the current key: "
					       "no random bytes: %m");
	memcpy(new_secret + STATE_PASS_SIZE, old_secret + STATE_PASS_SIZE,
	       STATE_SECRET_SIZE - STATE_PASS_SIZE);
	r = reseal(token_json, key_der, key_der_size, new_secret, &json);
	if (r < 0)
		return log_warning_errno(r, "state: key rotation failed, keeping the current key "
					  "(retried at the next boot): sealing: %s",
				       tpm_error(measure_tpm()));
	test_checkpoint("rotate-sealed");
	r = luks_rotate_keyslot(node, token_id, old_secret, STATE_PASS_SIZE, new_secret,
				STATE_PASS_SIZE, json, test_checkpoint, &rot);
	if (r < 0)
		return log_warning_errno(r, "state: key rotation failed, keeping the current key "
					  "(retried at the next boot): %s: %m",
				       node);
	r = request_remove(var);
	if (r < 0)
		log_warning_errno(r, "state: failed to remove the rotation request, ignoring (the "
				     "next boot rotates again): %m");
	log_info("state: key rotated: keyslot %d -> %d, token %d -> %d, sealed anew, old keyslot "
		 "destroyed%s (%llu ms, %lu TPM commands)",
		 rot.old_slot, rot.new_slot, rot.old_token, rot.new_token,
		 rot.leftovers ? "; leftovers of an interrupted rotation removed" : "",
		 now_ms() - t0, tpm_commands(measure_tpm()) - n0);
	return 0;
}
