/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PCR-signing-key rollover (init/state-rollover.c): the decision after an unlock (re-seal to the
 * image's next key, retire the old key's tokens, never back), the check before one (an image of
 * the key the node rolled over from), the token members it reads, and the token-only header
 * writes on a LUKS2 file: the new token opens the same keyslot as the one beside it. */
#include <fcntl.h>
#include <libcryptsetup.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "scratch-files.h"
#include "cryptsetup.h"
#include "luks-tokens.h"
#include "state-rollover.h"
#include "util.h"

#define PASS_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define UUID "6a1bd3c9-2f4e-4b7a-9c3d-1e2f3a4b5c6d"
#define FP_OLD "1111111111111111111111111111111111111111111111111111111111111111"
#define FP_NEXT "2222222222222222222222222222222222222222222222222222222222222222"

static const uint8_t K_OLD[32] = { [0 ... 31] = 0x11 };
static const uint8_t K_NEXT[32] = { [0 ... 31] = 0x22 };
static const uint8_t K_THIRD[32] = { [0 ... 31] = 0x33 };

static RolloverToken tok(const uint8_t *key, const uint8_t *from)
{
	RolloverToken t = { .has_from = from != NULL };

	memcpy(t.pkfp, key, 32);
	if (from)
		memcpy(t.from, from, 32);
	return t;
}

static void test_decide(void **state)
{
	RolloverToken old_only[] = { tok(K_OLD, NULL) };
	RolloverToken both[] = { tok(K_OLD, NULL), tok(K_NEXT, K_OLD) };
	RolloverToken next_only[] = { tok(K_NEXT, K_OLD) };

	(void)state;
	/* No next key, or the next key is the image's own: nothing. */
	assert_int_equal(rollover_decide(old_only, 1, 0, K_OLD, NULL), ROLLOVER_NONE);
	assert_int_equal(rollover_decide(old_only, 1, 0, K_OLD, K_OLD), ROLLOVER_NONE);
	/* Image B (K_old, carries K_next) on a K_old volume: re-seal. */
	assert_int_equal(rollover_decide(old_only, 1, 0, K_OLD, K_NEXT), ROLLOVER_RESEAL);
	/* Idempotent: the next boot of B finds the K_next token. */
	assert_int_equal(rollover_decide(both, 2, 0, K_OLD, K_NEXT), ROLLOVER_NONE);
	/* An old image without the next key beside it: nothing (it keeps working meanwhile). */
	assert_int_equal(rollover_decide(both, 2, 0, K_OLD, NULL), ROLLOVER_NONE);
	/* Image C (K_next) unlocked with the re-sealed token: the old key's token goes. */
	assert_int_equal(rollover_decide(both, 2, 1, K_NEXT, NULL), ROLLOVER_RETIRE);
	assert_int_equal(rollover_decide(next_only, 1, 0, K_NEXT, NULL), ROLLOVER_NONE);
	/* Never backwards: a K_next image carrying K_old as "next". */
	assert_int_equal(rollover_decide(next_only, 1, 0, K_NEXT, K_OLD), ROLLOVER_BACKWARDS);
	/* A later rollover from K_next to a third key goes on as the first did. */
	assert_int_equal(rollover_decide(next_only, 1, 0, K_NEXT, K_THIRD), ROLLOVER_RESEAL);
	/* A K_old token that unlocked with no record is not retired by a K_next image's boot. */
	assert_int_equal(rollover_decide(both, 2, 0, K_NEXT, NULL), ROLLOVER_NONE);
	assert_int_equal(rollover_decide(both, 2, 5, K_NEXT, NULL), ROLLOVER_NONE);
}

static void test_moved_past(void **state)
{
	RolloverToken both[] = { tok(K_OLD, NULL), tok(K_NEXT, K_OLD) };
	RolloverToken next_only[] = { tok(K_NEXT, K_OLD) };
	RolloverToken old_only[] = { tok(K_OLD, NULL) };
	size_t to = 99;

	(void)state;
	/* After the old key's token is retired, an old-key image is refused with its own line. */
	assert_true(rollover_moved_past(next_only, 1, K_OLD, &to));
	assert_int_equal(to, 0);
	/* While it is there, the old image unlocks with it. */
	assert_false(rollover_moved_past(both, 2, K_OLD, &to));
	/* A key the node never had is not "moved past": the usual "not the key" line. */
	assert_false(rollover_moved_past(next_only, 1, K_THIRD, &to));
	assert_false(rollover_moved_past(old_only, 1, K_NEXT, &to));
}

static void test_token_parse(void **state)
{
	RolloverToken t;

	(void)state;
	assert_int_equal(rollover_token_parse("{\"kcc-pkfp\":\"" FP_OLD "\"}", &t), 0);
	assert_memory_equal(t.pkfp, K_OLD, 32);
	assert_false(t.has_from);
	assert_int_equal(rollover_token_parse("{\"kcc-pkfp\":\"" FP_NEXT "\",\"" ROLLOVER_TOKEN_FROM
					      "\":\"" FP_OLD "\"}",
					      &t),
			 0);
	assert_memory_equal(t.pkfp, K_NEXT, 32);
	assert_true(t.has_from);
	assert_memory_equal(t.from, K_OLD, 32);
	assert_int_equal(rollover_token_parse("{}", &t), -EBADMSG);
	assert_int_equal(rollover_token_parse("not json", &t), -EBADMSG);
	assert_int_equal(rollover_token_parse("{\"kcc-pkfp\":\"11\"}", &t), -EBADMSG);
	assert_int_equal(rollover_token_parse("{\"kcc-pkfp\":\"" FP_OLD "\",\"" ROLLOVER_TOKEN_FROM
					      "\":7}",
					      &t),
			 -EBADMSG);
}

/* The re-sealed token goes beside the old one, for the same keyslot, in one header write; the
 * old one can then be removed and the keyslot stays. */
static void test_token_writes(void **state)
{
	char dir[] = "/tmp/kcc-rollover.XXXXXX", node[256];
	struct crypt_device *cd;
	uint8_t vk[LUKS_KEY_SIZE];
	LuksInfo info;
	int id;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(node, sizeof(node), "%s/state.img", dir);
	scratch_file(node, 32 << 20);
	memset(vk, 7, sizeof(vk));
	assert_int_equal(luks_format(node, PASS_A, 32, vk, UUID,
				     "{\"kcc-pkfp\":\"" FP_OLD "\"}", NULL),
			 0);
	id = luks_token_add_beside(node, LUKS_TOKEN_TYPE,
				   "{\"kcc-pkfp\":\"" FP_NEXT "\",\"kcc-rolled-from\":\"" FP_OLD "\"}", 0);
	assert_int_equal(id, 1);
	assert_int_equal(luks_load(node, &info), 0);
	assert_int_equal(info.n_tokens, 2);
	luks_info_done(&info);
	assert_int_equal(crypt_init(&cd, node), 0);
	assert_int_equal(crypt_load(cd, CRYPT_LUKS2, NULL), 0);
	assert_int_equal(crypt_token_is_assigned(cd, 1, 0), 0);
	crypt_free(cd);
	/* A token beside one that does not exist: nothing written. */
	assert_true(luks_token_add_beside(node, LUKS_TOKEN_TYPE, "{}", 7) < 0);
	assert_int_equal(luks_token_remove(node, 0), 0);
	assert_int_equal(luks_load(node, &info), 0);
	assert_int_equal(info.n_tokens, 1);
	assert_int_equal(info.token_id[0], 1);
	luks_info_done(&info);
	assert_int_equal(crypt_init(&cd, node), 0);
	assert_int_equal(crypt_load(cd, CRYPT_LUKS2, NULL), 0);
	assert_int_equal(crypt_activate_by_passphrase(cd, NULL, CRYPT_ANY_SLOT, PASS_A, 32, 0), 0);
	crypt_free(cd);
	scratch_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_moved_past),
		cmocka_unit_test(test_token_parse),
		cmocka_unit_test(test_token_writes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
