/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Volume-key rotation of the state volume (init/luks-reencrypt.c, init/reencrypt-check.c) on a
 * LUKS2 file: libcryptsetup re-encrypts a file offline without device-mapper, so the start, a run
 * stopped by its progress callback, a resume and the end run here for real; a copy of the file
 * after each header write and in the middle of the run stands for a power cut there. The header
 * check refuses a re-encryption kcc-init's record does not describe: one from cryptsetup itself,
 * and each field of ours changed. */
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
#include "luks-reencrypt.h"
#include "reencrypt-check.h"
#include "log.h"
#include "util.h"

#define PASS "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define UUID "6a1bd3c9-2f4e-4b7a-9c3d-1e2f3a4b5c6d"
#define SIZE (24u << 20) /* 16 MiB of header, 8 MiB of data */
#define HOTZONE (1u << 20)

static char dir[] = "/tmp/kcc-luks-reencrypt.XXXXXX";
static char node[256];
static uint8_t vk_old[LUKS_KEY_SIZE], vk_new[LUKS_KEY_SIZE], mac[REENCRYPT_MAC_SIZE];
static unsigned n_cuts;


static void path_of(const char *name, char *out, size_t size)
{
	snprintf(out, size, "%s/%s", dir, name);
}

/* A power cut after the step: the disk as it is now. */
static void snapshot(const char *step)
{
	char to[300];

	path_of(step, to, sizeof(to));
	scratch_copy(node, to);
	n_cuts++;
}

static void format(const char *file)
{
	int fd = open(file, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, SIZE), 0);
	close(fd);
	assert_int_equal(luks_format(file, PASS, 32, vk_old, UUID, "{\"pw\":\"a\"}", NULL), 0);
	assert_int_equal(luks_mark_ready(file), 0);
}

static void test_crypt_log(int level, const char *msg, void *usrptr)
{
	(void)level;
	(void)usrptr;
	fprintf(stderr, "libcryptsetup: %s", msg);
}

static int setup(void **state)
{
	(void)state;
	if (getenv("KCC_CRYPT_DEBUG")) {
		crypt_set_log_callback(NULL, test_crypt_log, NULL);
		crypt_set_debug_level(CRYPT_DEBUG_ALL);
		log_set_debug(true);
	}
	assert_non_null(mkdtemp(dir));
	path_of("state.img", node, sizeof(node));
	/* XTS refuses a key whose two halves are equal. */
	for (unsigned i = 0; i < LUKS_KEY_SIZE; i++) {
		vk_old[i] = (uint8_t)i;
		vk_new[i] = (uint8_t)(3 * i + 1);
	}
	memset(mac, 0x5a, sizeof(mac));
	format(node);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return scratch_remove(dir);
}

static int inspect(const char *file, ReencryptRecord *rec)
{
	char reason[200];

	return luks_reencrypt_inspect(file, rec, reason, sizeof(reason));
}

/* The volume key pass gives for the data segment. */
static void assert_volume_key(const char *file, const uint8_t *want)
{
	struct crypt_device *cd;
	char vk[LUKS_KEY_SIZE];
	size_t n = sizeof(vk);

	assert_int_equal(crypt_init(&cd, file), 0);
	assert_int_equal(crypt_load(cd, CRYPT_LUKS2, NULL), 0);
	assert_true(crypt_volume_key_get(cd, CRYPT_ANY_SLOT, vk, &n, PASS, 32) >= 0);
	assert_memory_equal(vk, want, LUKS_KEY_SIZE);
	crypt_free(cd);
}

static unsigned keyslots(const char *file)
{
	struct crypt_device *cd;
	unsigned n = 0;

	assert_int_equal(crypt_init(&cd, file), 0);
	assert_int_equal(crypt_load(cd, CRYPT_LUKS2, NULL), 0);
	for (int s = 0; s < 32; s++) {
		crypt_keyslot_info ki = crypt_keyslot_status(cd, s);
		n += ki == CRYPT_SLOT_ACTIVE || ki == CRYPT_SLOT_ACTIVE_LAST || ki == CRYPT_SLOT_UNBOUND;
	}
	crypt_free(cd);
	return n;
}

static int checks;
static int count_check(const LuksParams *p, const uint8_t *vk, size_t vk_size, void *data)
{
	(void)vk;
	(void)data;
	assert_true(p->reencrypt);
	assert_int_equal(vk_size, LUKS_KEY_SIZE);
	checks++;
	return 0;
}

static bool stop_after_first(uint64_t size, uint64_t offset, void *data)
{
	unsigned *calls = data;

	if (getenv("KCC_CRYPT_DEBUG"))
		fprintf(stderr, "progress %llu of %llu\n", (unsigned long long)offset,
			(unsigned long long)size);
	if (offset > 0 && (*calls)++ == 0)
		snapshot("cut-mid-run");
	return offset > 0;
}

/* Start, each cut, a run stopped after one hotzone, a power cut in the middle, the end. */
static void test_reencrypt(void **state)
{
	ReencryptRecord rec;
	unsigned calls = 0, n;
	char cut[300];
	int r;

	(void)state;
	assert_int_equal(inspect(node, &rec), REENCRYPT_NONE);
	assert_int_equal(luks_reencrypt_start(node, NULL, PASS, 32, vk_new, 0, mac, snapshot, &rec),
			 0);
	assert_int_equal(n_cuts, 3);
	assert_int_equal(rec.old_slot, 0);
	assert_int_equal(rec.new_slot, 1);
	/* Cut after the new keyslot: no record yet, the old key opens. */
	path_of("reencrypt-keyslot", cut, sizeof(cut));
	assert_int_equal(inspect(cut, &rec), REENCRYPT_NONE);
	assert_volume_key(cut, vk_old);
	assert_int_equal(luks_reencrypt_forget(cut, &n), 0);
	assert_int_equal(keyslots(cut), 1);
	/* Cut after the record: a start before its metadata, undone. */
	path_of("reencrypt-token", cut, sizeof(cut));
	assert_int_equal(inspect(cut, &rec), REENCRYPT_UNSTARTED);
	assert_volume_key(cut, vk_old);
	assert_int_equal(luks_reencrypt_forget(cut, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(inspect(cut, &rec), REENCRYPT_NONE);
	assert_int_equal(keyslots(cut), 1);
	/* Started: the record matches, both keys go through the check. */
	assert_int_equal(inspect(node, &rec), REENCRYPT_RUNNING);
	assert_memory_equal(rec.mac, mac, sizeof(mac));
	{
		uint8_t vk[LUKS_KEY_SIZE];
		size_t vk_size = sizeof(vk);

		checks = 0;
		assert_int_equal(luks_activate(node, NULL, PASS, 32, vk, &vk_size, count_check,
					       NULL),
				 0);
		assert_int_equal(checks, 2);
	}
	/* One hotzone, then stopped: still running. */
	r = luks_reencrypt_resume(node, NULL, PASS, 32, HOTZONE, stop_after_first, &calls);
	assert_int_equal(r, 0);
	assert_int_equal(inspect(node, &rec), REENCRYPT_RUNNING);
	/* Resumed to the end on the disk and on the copy cut in the middle of the run. */
	assert_int_equal(luks_reencrypt_resume(node, NULL, PASS, 32, HOTZONE, NULL, NULL), 1);
	path_of("cut-mid-run", cut, sizeof(cut));
	assert_int_equal(inspect(cut, &rec), REENCRYPT_RUNNING);
	assert_int_equal(luks_reencrypt_resume(cut, NULL, PASS, 32, HOTZONE, NULL, NULL), 1);
	/* Done: the new key opens the data, the old keyslot is gone, the record says finished and
	 * the TPM token follows the new keyslot. */
	assert_int_equal(inspect(node, &rec), REENCRYPT_FINISHED);
	assert_volume_key(node, vk_new);
	assert_volume_key(cut, vk_new);
	assert_int_equal(keyslots(node), 1);
	{
		LuksInfo info;

		assert_int_equal(luks_load(node, &info), 0);
		assert_int_equal(info.n_tokens, 1);
		assert_non_null(strstr(info.token_json[0], "\"keyslots\":[\"1\"]"));
		luks_info_done(&info);
	}
	assert_int_equal(luks_reencrypt_forget(node, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(inspect(node, &rec), REENCRYPT_NONE);
	assert_int_equal(keyslots(node), 1);
}

/* The header's JSON with one change made by edit(). */
static char *dump_edited(const char *file, void (*edit)(json_object *hdr))
{
	struct crypt_device *cd;
	const char *json;
	json_object *hdr;
	char *out;

	assert_int_equal(crypt_init(&cd, file), 0);
	assert_int_equal(crypt_load(cd, CRYPT_LUKS2, NULL), 0);
	assert_int_equal(crypt_dump_json(cd, &json, 0), 0);
	hdr = json_tokener_parse(json);
	crypt_free(cd);
	assert_non_null(hdr);
	if (edit)
		edit(hdr);
	out = strdup(json_object_to_json_string_ext(hdr, JSON_C_TO_STRING_PLAIN));
	json_object_put(hdr);
	return out;
}

static json_object *at(json_object *o, const char *a, const char *b)
{
	json_object *v = NULL, *w = NULL;

	assert_true(json_object_object_get_ex(o, a, &v));
	if (!b)
		return v;
	assert_true(json_object_object_get_ex(v, b, &w));
	return w;
}

static void set_str(json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, json_object_new_string(v));
}

static json_object *record_token(json_object *hdr)
{
	json_object_object_foreach(at(hdr, "tokens", NULL), k, t) {
		json_object *type;
		(void)k;
		if (json_object_object_get_ex(t, "type", &type) &&
		    streq(json_object_get_string(type), REENCRYPT_TOKEN_TYPE))
			return t;
	}
	fail();
	return NULL;
}

static void e_no_record(json_object *hdr)
{
	json_object_object_foreach(at(hdr, "tokens", NULL), k, t) {
		(void)t;
		if (t == record_token(hdr)) {
			json_object_object_del(at(hdr, "tokens", NULL), k);
			return;
		}
	}
}
static void e_new_slot(json_object *hdr) { set_str(record_token(hdr), "kcc-new-keyslot", "0"); }
static void e_old_slot(json_object *hdr) { set_str(record_token(hdr), "kcc-old-keyslot", "5"); }
static void e_mac(json_object *hdr) { set_str(record_token(hdr), "kcc-mac", "00"); }
static void e_decrypt(json_object *hdr) { set_str(at(hdr, "keyslots", "2"), "mode", "decrypt"); }
static void e_backward(json_object *hdr)
{
	set_str(at(hdr, "keyslots", "2"), "direction", "backward");
}
static void e_none(json_object *hdr)
{
	set_str(at(at(hdr, "keyslots", "2"), "area", NULL), "type", "none");
}
static void e_null_cipher(json_object *hdr)
{
	set_str(at(hdr, "segments", "2"), "encryption", "cipher_null-ecb");
}
static void e_linear(json_object *hdr) { set_str(at(hdr, "segments", "0"), "type", "linear"); }
static void e_keyslot_cipher(json_object *hdr)
{
	set_str(at(at(hdr, "keyslots", "1"), "area", NULL), "encryption", "cipher_null-ecb");
}
static void e_requirement(json_object *hdr)
{
	json_object_array_add(at(at(hdr, "config", "requirements"), "mandatory", NULL),
			      json_object_new_string("offline-reencrypt"));
}
static void e_digest(json_object *hdr)
{
	/* The final segment's digest names the old keyslot: another key than the recorded one. */
	json_object *ks = at(at(hdr, "digests", "1"), "keyslots", NULL);
	json_object_array_put_idx(ks, 0, json_object_new_string("0"));
}

static void test_refusals(void **state)
{
	static const struct {
		void (*edit)(json_object *hdr);
		const char *reason;
	} cases[] = {
		{ e_no_record, "no kcc-reencrypt token records that kcc-init started it" },
		{ e_new_slot, "malformed" },
		{ e_old_slot, "old volume key is not the one of keyslot 5" },
		{ e_mac, "malformed" },
		{ e_decrypt, "decrypt forward, not reencrypt forward" },
		{ e_backward, "reencrypt backward" },
		{ e_none, "resilience is not checksum" },
		{ e_null_cipher, "cipher_null-ecb" },
		{ e_linear, "is linear" },
		{ e_keyslot_cipher, "keyslot 0 or 1 is not" },
		{ e_requirement, "requirement offline-reencrypt" },
		{ e_digest, "new volume key is not the one of keyslot 1" },
	};
	ReencryptRecord rec;
	char work[300], reason[200];

	(void)state;
	path_of("reencrypt-init", work, sizeof(work)); /* the cut right after our start */
	{
		_cleanup_free_ char *json = dump_edited(work, NULL);
		assert_int_equal(reencrypt_header_check(json, &rec, reason, sizeof(reason)),
				 REENCRYPT_RUNNING);
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		_cleanup_free_ char *json = dump_edited(work, cases[i].edit);

		reason[0] = '\0';
		assert_int_equal(reencrypt_header_check(json, &rec, reason, sizeof(reason)), -EPERM);
		if (!strstr(reason, cases[i].reason))
			fail_msg("case %zu: '%s' lacks '%s'", i, reason, cases[i].reason);
	}
	assert_int_equal(reencrypt_header_check("[", &rec, reason, sizeof(reason)), -EBADMSG);
}

/* cryptsetup's own re-encryption (what `cryptsetup reencrypt --init-only` writes) on a kcc-state
 * volume: refused, whoever knew the passphrase. */
static void test_foreign_reencryption(void **state)
{
	const struct crypt_params_luks2 luks2 = { .sector_size = 4096 };
	const struct crypt_params_reencrypt params = {
		.mode = CRYPT_REENCRYPT_REENCRYPT, .direction = CRYPT_REENCRYPT_FORWARD,
		.luks2 = &luks2,
		.resilience = "checksum", .hash = "sha256",
		.flags = CRYPT_REENCRYPT_INITIALIZE_ONLY,
	};
	struct crypt_device *cd;
	ReencryptRecord rec;
	char work[300], reason[200];
	int slot;

	(void)state;
	path_of("foreign.img", work, sizeof(work));
	format(work);
	assert_int_equal(crypt_init(&cd, work), 0);
	assert_int_equal(crypt_load(cd, CRYPT_LUKS2, NULL), 0);
	slot = crypt_keyslot_add_by_key(cd, CRYPT_ANY_SLOT, NULL, LUKS_KEY_SIZE, PASS, 32,
					CRYPT_VOLUME_KEY_NO_SEGMENT);
	assert_true(slot >= 0);
	assert_true(crypt_reencrypt_init_by_passphrase(cd, NULL, PASS, 32, 0, slot, "aes",
						       "xts-plain64", &params) >= 0);
	crypt_free(cd);
	assert_int_equal(luks_reencrypt_inspect(work, &rec, reason, sizeof(reason)), -EPERM);
	assert_non_null(strstr(reason, "online-reencrypt requirement and no kcc-reencrypt token"));
	/* The activation checks the header it loads itself (a disk may answer the inspection and
	 * the activation differently): refused before any key is checked. */
	{
		uint8_t vk[LUKS_KEY_SIZE];
		size_t vk_size = sizeof(vk);

		checks = 0;
		assert_int_equal(luks_activate(work, NULL, PASS, 32, vk, &vk_size, count_check, NULL),
				 -EPERM);
		assert_int_equal(checks, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reencrypt),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_foreign_reencryption),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
