/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/update/slot.c on a disk image FILE (a GPT made with sfdisk) and an ESP directory: the layout
 * (running pair by root hash, the other pair); a bundle applied into the other pair (bytes, GPT
 * names, UUIDs, GUID:63, the entry and its signature on the ESP); a second apply of the same
 * bundle writes nothing; refusals (epoch, running version, tampered chunk) leave the running slot
 * untouched; and the writer stopped at every fault point, as a power cut would stop it, leaves the
 * running slot, its GPT entry and its boot entry untouched and the other slot unbootable, and the
 * next apply starts over and succeeds; stopped with the UKI under its dot-temp name, the loader
 * sees no entry and the next apply removes the temp file; stopped after the rename, the update is
 * staged and the next apply says so. */
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

#include "bundle.h"
#include "esp.h"
#include "gpt.h"
#include "rm-rf.h"
#include "slot.h"
#include "util.h"

#define CHUNK 4096u
#define MiB (1u << 20)
static const size_t part_sizes[_BUNDLE_PART_MAX] = { 3 * CHUNK + 100, CHUNK + 1, 5000, 20 };
static const char RH1[] = "11111111222233334444555555555555aaaaaaaabbbbccccddddeeeeeeeeeeee";
static const char RH2[] = "9999999988887777666655555555555500000000ffffeeeeddddcccccccccccc";
static const char RH3[] = "3333333388887777666655555555555533333333ffffeeeeddddcccccccccccc";

static BundleKey *priv, *pub;
static uint8_t *parts[_BUNDLE_PART_MAX];
static char dir[64], disk[128], esp[128];

static void keypair(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	char path[128], err[200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/key.pem", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
	assert_int_equal(bundle_key_load(path, true, &priv, err, sizeof(err)), 0);
	f = fopen(path, "w");
	assert_int_equal(PEM_write_PUBKEY(f, k), 1);
	fclose(f);
	assert_int_equal(bundle_key_load(path, false, &pub, err, sizeof(err)), 0);
	EVP_PKEY_free(k);
}

/* A bundle of version v with root hash rh and epoch e, in memory. */
static uint8_t *make_bundle(const char *v, const char *rh, unsigned e, size_t *ret_len)
{
	BundleManifest m = { .chunk_size = CHUNK, .security_epoch = e };
	int fds[_BUNDLE_PART_MAX], out;
	char err[256];
	uint8_t *b;
	off_t n;

	strcpy(m.image_id, "kcc-node");
	strcpy(m.variant, "test");
	strcpy(m.version, v);
	strcpy(m.roothash, rh);
	for (int i = 0; i < _BUNDLE_PART_MAX; i++) {
		fds[i] = memfd_create("part", MFD_CLOEXEC);
		assert_int_equal(write(fds[i], parts[i], part_sizes[i]), (ssize_t)part_sizes[i]);
	}
	out = memfd_create("bundle", MFD_CLOEXEC);
	assert_int_equal(bundle_write(out, &m, fds, priv, err, sizeof(err)), 0);
	n = lseek(out, 0, SEEK_END);
	b = malloc((size_t)n);
	assert_int_equal(pread(out, b, (size_t)n, 0), n);
	*ret_len = (size_t)n;
	for (int i = 0; i < _BUNDLE_PART_MAX; i++)
		close(fds[i]);
	close(out);
	return b;
}

static void put_file(const char *rel, const char *content)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", esp, rel);
	assert_int_equal(write_new_file(p, content, 0644), 0);
}

static bool esp_has(const char *rel)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", esp, rel);
	return access(p, F_OK) == 0;
}

static int setup(void **state)
{
	char cmd[1024], p[256];
	int fd;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test-slot-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(disk, sizeof(disk), "%s/disk.raw", dir);
	snprintf(esp, sizeof(esp), "%s/esp", dir);
	keypair();
	for (int i = 0; i < _BUNDLE_PART_MAX; i++) {
		parts[i] = malloc(part_sizes[i]);
		for (size_t k = 0; k < part_sizes[i]; k++)
			parts[i][k] = (uint8_t)(k * 13 + (size_t)i * 5 + k / 97);
	}
	/* the layout of image/mkdisk.sh, in 1 MiB partitions: slot a runs (RH1), slot b is empty */
	snprintf(cmd, sizeof(cmd),
		 "truncate -s 9M %s && sfdisk --quiet --no-reread --no-tell-kernel %s >/dev/null <<EOF\n"
		 "label: gpt\nunit: sectors\nfirst-lba: 2048\n"
		 "start=2048, size=2048, type=" GPT_TYPE_ESP ", name=esp\n"
		 "size=2048, type=" GPT_TYPE_ROOT ", uuid=11111111-2222-3333-4444-555555555555, name=root-a\n"
		 "size=2048, type=" GPT_TYPE_ROOT_VERITY ", uuid=aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee, name=root-a-verity\n"
		 "size=2048, type=" GPT_TYPE_ROOT ", name=_empty, attrs=GUID:63\n"
		 "size=2048, type=" GPT_TYPE_ROOT_VERITY ", name=_empty, attrs=GUID:63\n"
		 "size=2048, type=4D21B016-B534-45C2-A9FB-5C16E091FD2D, name=state\n"
		 "EOF\n",
		 disk, disk);
	assert_int_equal(system(cmd), 0);
	/* recognisable bytes in the running slot and the state partition */
	fd = open(disk, O_RDWR);
	uint8_t *fill = malloc(MiB);
	memset(fill, 0xa5, MiB);
	assert_int_equal(pwrite(fd, fill, MiB, 2 * MiB), (ssize_t)MiB);
	assert_int_equal(pwrite(fd, fill, MiB, 3 * MiB), (ssize_t)MiB);
	memset(fill, 0x5a, MiB);
	assert_int_equal(pwrite(fd, fill, MiB, 6 * MiB), (ssize_t)MiB);
	free(fill);
	close(fd);
	snprintf(p, sizeof(p), "%s/EFI/Linux", esp);
	assert_int_equal(mkdir_p(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/loader/credentials", esp);
	assert_int_equal(mkdir_p(p, 0755), 0);
	put_file("EFI/Linux/kcc-node_1.0.efi", "uki 1.0");
	put_file("loader/credentials/kcc-pcrsig_1.0.cred", "sig 1.0");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < _BUNDLE_PART_MAX; i++)
		free(parts[i]);
	bundle_key_free(priv);
	bundle_key_free(pub);
	assert_int_equal(rm_rf(dir), 0);
	return 0;
}

static uint8_t *read_disk(uint64_t off, size_t len)
{
	uint8_t *b = malloc(len);
	int fd = open(disk, O_RDONLY);

	assert_int_equal(pread(fd, b, len, (off_t)off), (ssize_t)len);
	close(fd);
	return b;
}

/* The running slot: its bytes, its GPT entries, its boot entry and signature, the state partition. */
typedef struct Snapshot {
	uint8_t *bytes; /* root-a, root-a-verity (2 MiB from 2 MiB) and state (1 MiB from 6 MiB) */
	GptPart root, verity, state;
} Snapshot;

static Snapshot snapshot(void)
{
	Snapshot s = { .bytes = malloc(3 * MiB) };
	uint8_t *a = read_disk(2 * MiB, 2 * MiB), *st = read_disk(6 * MiB, MiB);
	GptTable t;
	char err[256];

	memcpy(s.bytes, a, 2 * MiB);
	memcpy(s.bytes + 2 * MiB, st, MiB);
	free(a);
	free(st);
	assert_int_equal(gpt_read(disk, &t, err, sizeof(err)), 0);
	assert_int_equal(t.n, 6);
	s.root = t.parts[1];
	s.verity = t.parts[2];
	s.state = t.parts[5];
	return s;
}

static void assert_running_untouched(const Snapshot *before)
{
	Snapshot now = snapshot();
	_cleanup_free_ char *uki = NULL;
	char p[256];

	assert_memory_equal(now.bytes, before->bytes, 3 * MiB);
	assert_memory_equal(&now.root, &before->root, sizeof(GptPart));
	assert_memory_equal(&now.verity, &before->verity, sizeof(GptPart));
	assert_memory_equal(&now.state, &before->state, sizeof(GptPart));
	snprintf(p, sizeof(p), "%s/EFI/Linux/kcc-node_1.0.efi", esp);
	assert_true(read_small_file(p, 100, &uki) >= 0);
	assert_string_equal(uki, "uki 1.0");
	assert_true(esp_has("loader/credentials/kcc-pcrsig_1.0.cred"));
	free(now.bytes);
}

typedef struct Fault {
	SlotStep step;
	unsigned nth; /* stop at the nth time the step is reached (0-based) */
	unsigned seen[_SLOT_STEP_MAX];
} Fault;

static int fault_hook(void *userdata, SlotStep step)
{
	Fault *f = userdata;

	return step == f->step && f->seen[step]++ == f->nth ? -EINTR : 0;
}

/* Applies a bundle (fed in 3000-byte pieces); returns 0, or the failing -errno. */
static int apply(const uint8_t *b, size_t len, unsigned node_epoch, Fault *f, SlotResult *ret, char *err)
{
	SlotLayout l;
	SlotWriter *w = NULL;
	BundleReader *r = NULL;
	const SlotWriterConfig cfg = {
		.disk = disk, .esp = esp, .layout = &l, .running_version = "1.0", .node_epoch = node_epoch,
		.fault = f ? fault_hook : NULL, .fault_userdata = f,
	};
	int k;

	assert_int_equal(slot_layout_read(disk, RH1, &l, err, 256), 0);
	assert_int_equal(l.running, 0);
	assert_int_equal(slot_writer_new(&cfg, &w), 0);
	assert_int_equal(bundle_reader_new(pub, &slot_writer_callbacks, w, &r), 0);
	k = 0;
	for (size_t off = 0; off < len && k == 0; off += 3000)
		k = bundle_reader_feed(r, b + off, len - off < 3000 ? len - off : 3000);
	if (k == 0)
		k = bundle_reader_finish(r);
	if (k == 0)
		k = slot_writer_finish(w);
	*ret = slot_writer_result(w);
	snprintf(err, 256, "%s", slot_writer_error(w)[0] ? slot_writer_error(w) : bundle_reader_error(r) ?: "");
	bundle_reader_free(r);
	slot_writer_free(w);
	return k;
}

static void assert_staged(void)
{
	SlotLayout l;
	char err[256], p[256];
	_cleanup_free_ char *sig = NULL;
	uint8_t *got;

	assert_int_equal(slot_layout_read(disk, RH1, &l, err, sizeof(err)), 0);
	assert_true(l.pairs[1].valid);
	assert_string_equal(l.pairs[1].root.name, "root-b");
	assert_string_equal(l.pairs[1].verity.name, "root-b-verity");
	assert_string_equal(l.pairs[1].root.uuid, "99999999-8888-7777-6666-555555555555");
	assert_string_equal(l.pairs[1].verity.uuid, "00000000-ffff-eeee-dddd-cccccccccccc");
	assert_string_equal(l.pairs[1].roothash, RH2);
	assert_false(l.pairs[1].root.no_auto);
	got = read_disk(l.pairs[1].root.start, part_sizes[0]);
	assert_memory_equal(got, parts[0], part_sizes[0]);
	free(got);
	got = read_disk(l.pairs[1].verity.start, part_sizes[1]);
	assert_memory_equal(got, parts[1], part_sizes[1]);
	free(got);
	assert_true(esp_has("EFI/Linux/kcc-node_2.0+3.efi"));
	snprintf(p, sizeof(p), "%s/loader/credentials/kcc-pcrsig_2.0.cred", esp);
	assert_true(read_small_file(p, 100, &sig) >= 0);
	assert_memory_equal(sig, parts[3], part_sizes[3]);
}

static void assert_not_bootable(void)
{
	SlotLayout l;
	char err[256];

	assert_int_equal(slot_layout_read(disk, RH1, &l, err, sizeof(err)), 0);
	assert_false(l.pairs[1].valid);
	assert_true(l.pairs[1].root.no_auto);
	assert_true(l.pairs[1].verity.no_auto);
	assert_false(esp_has("EFI/Linux/kcc-node_2.0+3.efi"));
}

static void test_layout(void **state)
{
	SlotLayout l;
	char err[256];

	(void)state;
	assert_int_equal(slot_layout_read(disk, RH1, &l, err, sizeof(err)), 0);
	assert_int_equal(l.running, 0);
	assert_int_equal(l.other, 1);
	assert_true(l.pairs[0].valid);
	assert_string_equal(l.pairs[0].roothash, RH1);
	assert_false(l.pairs[1].valid);
	assert_int_equal(l.pairs[1].root.start, 4 * MiB);
	assert_int_equal(l.esp.start, MiB);
	assert_int_equal(slot_layout_read(disk, RH2, &l, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no slot has the running root hash"));
}

static void test_apply_twice(void **state)
{
	Snapshot before = snapshot();
	size_t len;
	uint8_t *b = make_bundle("2.0", RH2, 5, &len);
	SlotResult res;
	char err[256];

	(void)state;
	/* an older version in slot b, with its entry: the apply replaces both */
	put_file("EFI/Linux/kcc-node_0.9.efi", "uki 0.9");
	put_file("loader/credentials/kcc-pcrsig_0.9.cred", "sig 0.9");
	assert_int_equal(apply(b, len, 5, NULL, &res, err), 0);
	assert_int_equal(res, SLOT_RESULT_STAGED);
	assert_staged();
	assert_false(esp_has("EFI/Linux/kcc-node_0.9.efi"));
	assert_false(esp_has("loader/credentials/kcc-pcrsig_0.9.cred"));
	assert_running_untouched(&before);
	/* the same bundle again: nothing written */
	Snapshot staged = snapshot();
	uint8_t *other = read_disk(4 * MiB, 2 * MiB);
	assert_int_equal(apply(b, len, 5, NULL, &res, err), -EALREADY);
	assert_int_equal(res, SLOT_RESULT_ALREADY_STAGED);
	uint8_t *other2 = read_disk(4 * MiB, 2 * MiB);
	assert_memory_equal(other, other2, 2 * MiB);
	assert_running_untouched(&staged);
	free(other);
	free(other2);
	/* an entry a power cut left empty (vfat: renamed, its size not yet written) or short is
	 * not staged: the next apply writes it again */
	put_file("EFI/Linux/kcc-node_2.0+3.efi", "");
	assert_int_equal(apply(b, len, 5, NULL, &res, err), 0);
	assert_int_equal(res, SLOT_RESULT_STAGED);
	assert_staged();
	put_file("loader/credentials/kcc-pcrsig_2.0.cred", "sig");
	assert_int_equal(apply(b, len, 5, NULL, &res, err), 0);
	assert_int_equal(res, SLOT_RESULT_STAGED);
	assert_staged();
	free(staged.bytes);
	free(before.bytes);
	free(b);
}

static void test_refusals(void **state)
{
	Snapshot before = snapshot();
	uint8_t *whole = read_disk(0, 9 * MiB), *now;
	size_t len;
	uint8_t *b = make_bundle("2.0", RH2, 5, &len), *same = NULL;
	SlotResult res;
	char err[256];

	(void)state;
	/* below the node's epoch: refused before a byte is written */
	assert_int_equal(apply(b, len, 6, NULL, &res, err), -EPERM);
	assert_non_null(strstr(err, "security epoch 5, below this node's 6"));
	now = read_disk(0, 9 * MiB);
	assert_memory_equal(now, whole, 9 * MiB);
	free(now);
	/* the running image itself: nothing to do, nothing written */
	same = make_bundle("1.0", RH1, 5, &len);
	assert_int_equal(apply(same, len, 5, NULL, &res, err), -EALREADY);
	assert_int_equal(res, SLOT_RESULT_RUNNING);
	free(same);
	/* the running version under another root hash */
	same = make_bundle("1.0", RH2, 5, &len);
	assert_int_equal(apply(same, len, 5, NULL, &res, err), -EPERM);
	assert_non_null(strstr(err, "running version"));
	now = read_disk(0, 9 * MiB);
	assert_memory_equal(now, whole, 9 * MiB);
	free(now);
	free(same);
	/* an older version than the running one: the loader would never boot it */
	same = make_bundle("0.9", RH2, 5, &len);
	assert_int_equal(apply(same, len, 5, NULL, &res, err), -EPERM);
	assert_non_null(strstr(err, "version 0.9 sorts before the running 1.0"));
	now = read_disk(0, 9 * MiB);
	assert_memory_equal(now, whole, 9 * MiB);
	free(now);
	free(same);
	/* a version this node rolled back (its entry marked bad): refused, nothing written */
	put_file("EFI/Linux/kcc-node_2.0+0-3.efi", "uki 2.0");
	assert_int_equal(apply(b, len, 5, NULL, &res, err), -EPERM);
	assert_non_null(strstr(err, "version 2.0 was rolled back on this node"));
	now = read_disk(0, 9 * MiB);
	assert_memory_equal(now, whole, 9 * MiB);
	free(now);
	assert_true(esp_has("EFI/Linux/kcc-node_2.0+0-3.efi"));
	assert_int_equal(esp_remove(esp, "2.0"), 0);
	/* a flipped byte in the second chunk of the root: refused, the other slot stays unbootable */
	b[len - part_sizes[3] - part_sizes[2] - part_sizes[1] - part_sizes[0] + CHUNK + 7] ^= 1;
	assert_int_equal(apply(b, len, 5, NULL, &res, err), -EBADMSG);
	assert_non_null(strstr(err, "part root.erofs: chunk 1"));
	assert_not_bootable();
	assert_running_untouched(&before);
	free(whole);
	free(before.bytes);
	free(b);
}

static void test_fault_points(void **state)
{
	Snapshot before = snapshot();
	size_t len;
	uint8_t *b = make_bundle("2.0", RH2, 5, &len);
	SlotResult res;
	char err[256];
	const Fault faults[] = {
		{ .step = SLOT_STEP_MARK_EMPTY }, { .step = SLOT_STEP_REMOVE_ENTRY }, { .step = SLOT_STEP_WRITE, .nth = 0 },
		{ .step = SLOT_STEP_WRITE, .nth = 2 }, { .step = SLOT_STEP_WRITE, .nth = 4 }, { .step = SLOT_STEP_VERIFY },
		{ .step = SLOT_STEP_SET_GPT }, { .step = SLOT_STEP_INSTALL }, { .step = SLOT_STEP_COMMIT },
		{ .step = SLOT_STEP_STAGED },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(faults); i++) {
		Fault f = faults[i];

		/* each round starts from a staged update of another version in slot b */
		size_t plen;
		uint8_t *prev = make_bundle("1.5", RH3, 5, &plen);
		assert_int_equal(apply(prev, plen, 5, NULL, &res, err), 0);
		free(prev);
		assert_int_equal(apply(b, len, 5, &f, &res, err), -EINTR);
		assert_non_null(strstr(err, slot_step_names[f.step]));
		print_message("fault before %s #%u: %s\n", slot_step_names[f.step], f.nth, err);
		assert_running_untouched(&before);
		if (f.step == SLOT_STEP_MARK_EMPTY) /* nothing changed yet: 1.5 stays staged */
			assert_true(esp_has("EFI/Linux/kcc-node_1.5+3.efi"));
		else if (f.step == SLOT_STEP_INSTALL) /* a verified root, but no UKI names it */
			assert_false(esp_has("EFI/Linux/kcc-node_2.0+3.efi"));
		else if (f.step == SLOT_STEP_COMMIT) { /* the UKI under its dot-temp name only */
			assert_false(esp_has("EFI/Linux/kcc-node_2.0+3.efi"));
			assert_true(esp_has("EFI/Linux/.kcc-node_2.0.efi.tmp"));
		} else if (f.step == SLOT_STEP_STAGED) /* after the commit point: staged */
			assert_staged();
		else
			assert_not_bootable();
		if (f.step != SLOT_STEP_COMMIT)
			assert_false(esp_has("EFI/Linux/.kcc-node_2.0.efi.tmp"));
		/* the next apply starts over and succeeds (after the commit point: already staged) */
		assert_int_equal(apply(b, len, 5, NULL, &res, err), f.step == SLOT_STEP_STAGED ? -EALREADY : 0);
		assert_int_equal(res, f.step == SLOT_STEP_STAGED ? SLOT_RESULT_ALREADY_STAGED : SLOT_RESULT_STAGED);
		assert_false(esp_has("EFI/Linux/.kcc-node_2.0.efi.tmp"));
		assert_staged();
		assert_false(esp_has("EFI/Linux/kcc-node_1.5+3.efi"));
		assert_running_untouched(&before);
	}
	free(before.bytes);
	free(b);
}

/* A byte that changes on the disk after it was written (a bad disk, a write lost in a cache) is
 * caught by the read-back before the GPT or the ESP make the slot bootable. */
static int corrupt_hook(void *userdata, SlotStep step)
{
	(void)userdata;
	if (step == SLOT_STEP_VERIFY) {
		int fd = open(disk, O_RDWR);
		uint8_t x = 0;

		assert_int_equal(pread(fd, &x, 1, 4 * MiB + 5 * CHUNK / 2), 1);
		x ^= 0x40;
		assert_int_equal(pwrite(fd, &x, 1, 4 * MiB + 5 * CHUNK / 2), 1);
		close(fd);
	}
	return 0;
}

static void test_verify_catches_bad_write(void **state)
{
	size_t len;
	uint8_t *b = make_bundle("2.0", RH2, 5, &len);
	SlotLayout l;
	SlotWriter *w = NULL;
	BundleReader *r = NULL;
	char err[256];
	const SlotWriterConfig cfg = { .disk = disk, .esp = esp, .layout = &l, .running_version = "1.0",
				       .fault = corrupt_hook };

	(void)state;
	assert_int_equal(slot_layout_read(disk, RH1, &l, err, sizeof(err)), 0);
	assert_int_equal(slot_writer_new(&cfg, &w), 0);
	assert_int_equal(bundle_reader_new(pub, &slot_writer_callbacks, w, &r), 0);
	assert_int_equal(bundle_reader_feed(r, b, len), 0);
	assert_int_equal(bundle_reader_finish(r), 0);
	assert_int_equal(slot_writer_finish(w), -EIO);
	assert_string_equal(slot_writer_error(w), "part root.erofs: chunk 2 read back from the disk does not match its hash");
	bundle_reader_free(r);
	slot_writer_free(w);
	assert_not_bootable();
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_points, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_catches_bad_write, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
