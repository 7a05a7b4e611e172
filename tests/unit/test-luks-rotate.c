/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Keyslot rotation of the state volume (init/cryptsetup.c, luks_replace_keyslot()) on a LUKS2 file:
 * a copy of the file after every step stands for a power cut there, and on each copy every
 * kcc-tpm2 token must name a keyslot that its passphrase opens. Leftovers of a cut rotation go at
 * the next one; a keyslot another token (the recovery token) refers to stays. */
#include <fcntl.h>
#include <json-c/json.h>
#include <libcryptsetup.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "scratch-files.h"
#include "cryptsetup.h"
#include "util.h"

#define PASS_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define PASS_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define PASS_C "cccccccccccccccccccccccccccccccc"
#define UUID "6a1bd3c9-2f4e-4b7a-9c3d-1e2f3a4b5c6d"

static char dir[] = "/tmp/kcc-luks-rotate.XXXXXX";
static char node[256];
static char steps[8][32];
static unsigned n_steps;

/* The passphrase a token is for: the tests write it into the token as "pw" (a stand-in for the
 * sealed blob). */
static const char *token_pass(const char *json)
{
	json_object *o = json_tokener_parse(json);
	const char *pw = NULL;
	json_object *v;

	if (o && json_object_object_get_ex(o, "pw", &v))
		pw = json_object_get_string(v);
	pw = !pw ? NULL : streq(pw, "a") ? PASS_A : streq(pw, "b") ? PASS_B : PASS_C;
	json_object_put(o);
	return pw;
}

/* Every kcc-tpm2 token's passphrase opens a keyslot the token names; returns how many tokens. */
static unsigned check_tokens_open(const char *file, unsigned *ret_slots)
{
	struct crypt_device *cd;
	LuksInfo info;
	unsigned slots = 0, n;

	assert_int_equal(luks_load(file, &info), 0);
	n = (unsigned)info.n_tokens;
	assert_int_equal(crypt_init(&cd, file), 0);
	assert_int_equal(crypt_load(cd, CRYPT_LUKS2, NULL), 0);
	for (size_t i = 0; i < info.n_tokens; i++) {
		const char *pw = token_pass(info.token_json[i]);
		int slot;

		assert_non_null(pw);
		slot = crypt_activate_by_passphrase(cd, NULL, CRYPT_ANY_SLOT, pw, 32, 0);
		assert_true(slot >= 0);
		assert_int_equal(crypt_token_is_assigned(cd, info.token_id[i], slot), 0);
	}
	for (int s = 0; s < 32; s++) {
		crypt_keyslot_info ki = crypt_keyslot_status(cd, s);
		slots += ki == CRYPT_SLOT_ACTIVE || ki == CRYPT_SLOT_ACTIVE_LAST;
	}
	crypt_free(cd);
	luks_info_done(&info);
	*ret_slots = slots;
	return n;
}

static int rotate(const char *file, int token, const char *old, const char *new_pass,
		  const char *json, void (*checkpoint)(const char *), LuksRotation *rot)
{
	LuksReplace req = { .type = LUKS_TOKEN_TYPE, .steps = "rotate", .old_token = token,
			    .unlock_pass = old, .unlock_size = 32, .new_pass = new_pass,
			    .new_size = 32, .token_json = json };

	return luks_replace_keyslot(file, &req, checkpoint, rot);
}


/* A power cut after the step: the disk as it is now. */
static void snapshot(const char *step)
{
	char to[300];

	assert_true(n_steps < 8);
	snprintf(steps[n_steps++], sizeof(steps[0]), "%s", step);
	snprintf(to, sizeof(to), "%s/cut-%s", dir, step);
	scratch_copy(node, to);
}

static int setup(void **state)
{
	uint8_t vk[LUKS_KEY_SIZE];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(node, sizeof(node), "%s/state.img", dir);
	scratch_file(node, 32 << 20);
	memset(vk, 7, sizeof(vk));
	assert_int_equal(luks_format(node, PASS_A, 32, vk, UUID, "{\"pw\":\"a\"}", NULL), 0);
	assert_int_equal(luks_mark_ready(node), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return scratch_remove(dir);
}

static void test_rotate_each_cut_unlocks(void **state)
{
	static const struct { const char *step; unsigned tokens, slots; } want[] = {
		{ "rotate-keyslot", 1, 2 },	/* the new keyslot has no token yet: A opens */
		{ "rotate-token", 2, 2 },	/* both tokens, each with its keyslot */
		{ "rotate-old-token", 1, 2 },	/* B's token; A's keyslot left over */
		{ "rotate-old-keyslot", 1, 1 },
	};
	LuksRotation rot;
	unsigned slots;
	char cut[300];

	(void)state;
	assert_int_equal(rotate(node, 0, PASS_A, PASS_B, "{\"pw\":\"b\"}",
					     snapshot, &rot),
			 0);
	assert_int_equal(n_steps, 4);
	for (unsigned i = 0; i < 4; i++) {
		assert_string_equal(steps[i], want[i].step);
		snprintf(cut, sizeof(cut), "%s/cut-%s", dir, steps[i]);
		assert_int_equal(check_tokens_open(cut, &slots), want[i].tokens);
		assert_int_equal(slots, want[i].slots);
	}
	assert_int_equal(rot.old_slot, 0);
	assert_int_equal(rot.new_slot, 1);
	assert_int_equal(rot.old_token, 0);
	assert_int_equal(rot.new_token, 1);
	assert_int_equal(rot.leftovers, 0);
	/* The old passphrase opens nothing any more. */
	{
		struct crypt_device *cd;
		assert_int_equal(crypt_init(&cd, node), 0);
		assert_int_equal(crypt_load(cd, CRYPT_LUKS2, NULL), 0);
		assert_true(crypt_activate_by_passphrase(cd, NULL, CRYPT_ANY_SLOT, PASS_A, 32, 0) < 0);
		crypt_free(cd);
	}
}

/* From each cut, the next boot's rotation (with the token that unlocked) cleans up and ends with
 * one token and one keyslot. The cut after "rotate-token" has two tokens: either one may have
 * unlocked. */
static void test_rotate_after_cut(void **state)
{
	static const struct { const char *step; int token; const char *pass; unsigned leftovers; } cuts[] = {
		{ "rotate-keyslot", 0, PASS_A, 1 },
		{ "rotate-token", 0, PASS_A, 2 },
		{ "rotate-token", 1, PASS_B, 2 },
		{ "rotate-old-token", 1, PASS_B, 1 },
	};
	LuksRotation rot;
	unsigned slots;
	char cut[300], work[300];

	(void)state;
	for (unsigned i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		snprintf(cut, sizeof(cut), "%s/cut-%s", dir, cuts[i].step);
		snprintf(work, sizeof(work), "%s/again.img", dir);
		scratch_copy(cut, work);
		assert_int_equal(rotate(work, cuts[i].token, cuts[i].pass, PASS_C,
						     "{\"pw\":\"c\"}", NULL, &rot),
				 0);
		assert_int_equal(rot.leftovers, cuts[i].leftovers);
		assert_int_equal(check_tokens_open(work, &slots), 1);
		assert_int_equal(slots, 1);
	}
}

/* A keyslot another token refers to (the recovery keyslot) is no leftover; a wrong passphrase or a
 * token that is not ours changes nothing. */
static void test_rotate_keeps_other_tokens(void **state)
{
	struct crypt_device *cd;
	LuksRotation rot;
	unsigned slots;
	char work[300];
	int rslot;

	(void)state;
	snprintf(work, sizeof(work), "%s/recovery.img", dir);
	scratch_copy(node, work); /* token 1 (B) on keyslot 1 */
	assert_int_equal(crypt_init(&cd, work), 0);
	assert_int_equal(crypt_load(cd, CRYPT_LUKS2, NULL), 0);
	rslot = crypt_keyslot_add_by_passphrase(cd, CRYPT_ANY_SLOT, PASS_B, 32, "recovery", 8);
	assert_true(rslot >= 0);
	assert_true(crypt_token_json_set(cd, CRYPT_ANY_TOKEN,
					 rslot == 0 ? "{\"type\":\"kcc-recovery\",\"keyslots\":[\"0\"]}"
						    : "{\"type\":\"kcc-recovery\",\"keyslots\":[\"2\"]}") >= 0);
	crypt_free(cd);
	assert_int_equal(rotate(work, 1, PASS_A, PASS_C, "{\"pw\":\"c\"}", NULL,
					     &rot),
			 -EPERM);
	assert_int_equal(rotate(work, 1, PASS_B, PASS_C, "{\"pw\":\"c\"}", NULL,
					     &rot),
			 0);
	assert_int_equal(rot.leftovers, 0);
	assert_int_equal(check_tokens_open(work, &slots), 1);
	assert_int_equal(slots, 2);
	assert_int_equal(crypt_init(&cd, work), 0);
	assert_int_equal(crypt_load(cd, CRYPT_LUKS2, NULL), 0);
	assert_int_equal(crypt_activate_by_passphrase(cd, NULL, CRYPT_ANY_SLOT, "recovery", 8, 0), rslot);
	crypt_free(cd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rotate_each_cut_unlocks),
		cmocka_unit_test(test_rotate_after_cut),
		cmocka_unit_test(test_rotate_keeps_other_tokens),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
