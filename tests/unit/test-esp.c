/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/update/esp.c on a temp directory: entry names as systemd-boot 252 counts them, the loader's
 * order, an install that leaves only whole files under their final names, bless and mark-bad by
 * LoaderBootCountPath, and a read-only ESP reported as -EROFS. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

#include "esp.h"
#include "rm-rf.h"
#include "util.h"

static char esp[64];

static int setup(void **state)
{
	(void)state;
	strcpy(esp, "/tmp/test-esp-XXXXXX");
	assert_non_null(mkdtemp(esp));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	chmod(esp, 0700);
	rm_rf(esp);
	return 0;
}

static bool exists(const char *rel)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", esp, rel);
	return access(p, F_OK) == 0;
}

static void touch(const char *rel)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", esp, rel);
	*strrchr(p, '/') = '\0';
	assert_int_equal(mkdir_p(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/%s", esp, rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	close(fd);
}

static int mem_fd(const char *s)
{
	int fd = memfd_create("f", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	return fd;
}

static void test_parse(void **state)
{
	EspEntry e;
	char buf[ESP_NAME_MAX];

	(void)state;
	assert_int_equal(esp_entry_parse("kcc-node_1.2+3.efi", &e), 0);
	assert_string_equal(e.version, "1.2");
	assert_true(e.counted);
	assert_int_equal(e.left, 3);
	assert_int_equal(e.done, 0);
	assert_int_equal(esp_entry_parse("kcc-node_1.2-rc1+0-3.efi", &e), 0);
	assert_string_equal(e.version, "1.2-rc1");
	assert_int_equal(e.left, 0);
	assert_int_equal(e.done, 3);
	assert_true(esp_entry_is_bad(&e));
	assert_int_equal(esp_entry_format(&e, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "kcc-node_1.2-rc1+0-3.efi");
	assert_int_equal(esp_entry_parse("kcc-node_v2.efi", &e), 0);
	assert_false(e.counted);
	assert_false(esp_entry_is_bad(&e));
	assert_int_equal(esp_entry_format(&e, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "kcc-node_v2.efi");

	static const char *const bad[] = {
		".kcc-node_1.2.efi.tmp", "kcc-node_.efi", "kcc-node_1.2+.efi", "kcc-node_1.2+3-.efi",
		"kcc-node_1.2+03.efi", "kcc-node_1.2+3-01.efi", "kcc-node_1.2+10000.efi", "kcc-node_1.2+3.EFI",
		"kcc-node_1.2+3-1-1.efi", "kcc-node_1.2+-1.efi", "kcc-node_1.2+3.efi.tmp", "other_1.2+3.efi",
		"kcc-node_-1.efi", "kcc-node_1/2.efi", "kcc-node_1 2.efi", "kcc-node_1.2+3+1.efi",
		"kcc-node_1.2+a.efi", "kcc-node_.efi.efi", "kcc-node_",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(esp_entry_parse(bad[i], &e), -EINVAL);

	char longname[200];
	snprintf(longname, sizeof(longname), "kcc-node_%065d.efi", 1);
	assert_int_equal(esp_entry_parse(longname, &e), -EINVAL);
	snprintf(longname, sizeof(longname), "kcc-node_%064d+9999-9999.efi", 1);
	assert_int_equal(esp_entry_parse(longname, &e), 0);
	assert_int_equal(esp_entry_format(&e, buf, sizeof(buf)), 0);
	assert_string_equal(buf, longname);
	assert_int_equal(esp_entry_format(&e, buf, 20), -ENOBUFS);
	e.version[0] = '.';
	assert_int_equal(esp_entry_format(&e, buf, sizeof(buf)), -EINVAL);
}

/* The loader's order: bad entries last, then newest version first (strverscmp_improved). */
static void test_order(void **state)
{
	static const char *const names[] = {
		"kcc-node_1.10+0-3.efi", "kcc-node_1.9.efi", "kcc-node_1.10~rc1+3.efi", "kcc-node_1.2+1-2.efi",
		"kcc-node_1.10-1+2-1.efi", "README.txt", ".kcc-node_2.0.efi.tmp", "kcc-node_0.9.efi",
	};
	static const char *const want[] = {
		"1.10-1", "1.10~rc1", "1.9", "1.2", "0.9", "1.10",
	};
	EspEntry list[ESP_ENTRIES_MAX];
	size_t n;

	(void)state;
	assert_int_equal(esp_list(esp, list, ESP_ENTRIES_MAX, &n), 0); /* no EFI/Linux yet */
	assert_int_equal(n, 0);
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char rel[128];
		snprintf(rel, sizeof(rel), "EFI/Linux/%s", names[i]);
		touch(rel);
	}
	assert_int_equal(esp_list(esp, list, ESP_ENTRIES_MAX, &n), 0);
	assert_int_equal(n, ARRAY_SIZE(want));
	for (size_t i = 0; i < n; i++)
		assert_string_equal(list[i].version, want[i]);
	assert_int_equal(esp_list(esp, list, 3, &n), -E2BIG);

	/* strverscmp_improved's cases */
	EspEntry a = {}, b = {};
	static const char *const older_newer[][2] = {
		{ "1.2", "1.10" }, { "1.2~rc1", "1.2" }, { "1.2-1", "1.2.1" }, { "1.2", "1.2.0" },
		{ "1.2a", "1.2b" }, { "1.2", "1.2a" }, { "009", "10" }, { "1.2~rc1", "1.2~rc2" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(older_newer); i++) {
		strcpy(a.version, older_newer[i][0]);
		strcpy(b.version, older_newer[i][1]);
		assert_true(esp_entry_compare(&b, &a) < 0);
		assert_true(esp_entry_compare(&a, &b) > 0);
	}
	strcpy(a.version, "1.2");
	strcpy(b.version, "01.2");
	assert_int_equal(esp_entry_compare(&a, &b), 0);
}

static void test_install(void **state)
{
	int uki = mem_fd("UKI bytes"), sig = mem_fd("{\"sig\":1}");
	EspEntry e;
	char buf[64];

	(void)state;
	assert_int_equal(esp_install(esp, "2.0", uki, sig, ESP_TRIES_DEFAULT), 0);
	assert_true(exists("EFI/Linux/kcc-node_2.0+3.efi"));
	assert_true(exists("loader/credentials/kcc-pcrsig_2.0.cred"));
	assert_false(exists("EFI/Linux/.kcc-node_2.0.efi.tmp"));
	assert_false(exists("loader/credentials/.kcc-pcrsig_2.0.cred.tmp"));
	snprintf(buf, sizeof(buf), "%s/EFI/Linux/kcc-node_2.0+3.efi", esp);
	_cleanup_free_ char *content = NULL;
	assert_int_equal(read_small_file(buf, 100, &content), 9);
	assert_string_equal(content, "UKI bytes");
	/* one entry per version, whatever its counter */
	assert_int_equal(esp_install(esp, "2.0", uki, sig, 3), -EEXIST);
	assert_int_equal(esp_install(esp, "2.0", uki, sig, 0), -EINVAL);
	assert_int_equal(esp_install(esp, "+2", uki, sig, 3), -EINVAL);
	assert_int_equal(esp_find(esp, "2.0", &e), 0);
	assert_true(e.counted);
	assert_int_equal(esp_find(esp, "3.0", &e), -ENOENT);

	/* an interrupted install leaves only temp names, which the loader ignores and clean removes */
	touch("EFI/Linux/.kcc-node_3.0.efi.tmp");
	touch("loader/credentials/.kcc-pcrsig_3.0.cred.tmp");
	touch("EFI/Linux/.other.tmp");
	assert_int_equal(esp_find(esp, "3.0", &e), -ENOENT);
	assert_int_equal(esp_clean_temp(esp), 2);
	assert_false(exists("EFI/Linux/.kcc-node_3.0.efi.tmp"));
	assert_true(exists("EFI/Linux/.other.tmp"));

	assert_int_equal(esp_set_tries(esp, "2.0", 1), 0);
	assert_true(exists("EFI/Linux/kcc-node_2.0+1.efi"));
	assert_int_equal(esp_remove(esp, "2.0"), 0);
	assert_false(exists("EFI/Linux/kcc-node_2.0+1.efi"));
	assert_false(exists("loader/credentials/kcc-pcrsig_2.0.cred"));
	assert_int_equal(esp_remove(esp, "2.0"), -ENOENT);
	close(uki);
	close(sig);
}

static void test_bless(void **state)
{
	EspEntry e;

	(void)state;
	touch("EFI/Linux/kcc-node_2.0+2-1.efi");
	touch("EFI/Linux/kcc-node_1.0.efi");
	/* LoaderBootCountPath as the loader sets it: backslashes, any case */
	assert_int_equal(esp_bless(esp, "\\EFI\\Linux\\kcc-node_2.0+2-1.efi", &e), 0);
	assert_false(e.counted);
	assert_true(exists("EFI/Linux/kcc-node_2.0.efi"));
	assert_false(exists("EFI/Linux/kcc-node_2.0+2-1.efi"));
	assert_int_equal(esp_bless(esp, "\\EFI\\Linux\\kcc-node_2.0+2-1.efi", &e), -ENOENT);
	/* an uncounted entry, another folder, another name: not a counted kcc-node entry */
	assert_int_equal(esp_bless(esp, "\\EFI\\Linux\\kcc-node_1.0.efi", &e), -EINVAL);
	assert_int_equal(esp_bless(esp, "\\EFI\\BOOT\\kcc-node_1.0+1.efi", &e), -EINVAL);
	assert_int_equal(esp_bless(esp, "\\EFI\\Linux\\..\\kcc-node_1.0+1.efi", &e), -EINVAL);
	assert_int_equal(esp_bless(esp, "\\EFI\\Linux\\x\\kcc-node_1.0+1.efi", &e), -EINVAL);

	touch("EFI/Linux/kcc-node_3.0+2-1.efi");
	assert_int_equal(esp_mark_bad(esp, "/efi/linux/kcc-node_3.0+2-1.efi", &e), 0);
	assert_true(exists("EFI/Linux/kcc-node_3.0+0-1.efi"));
	assert_true(esp_entry_is_bad(&e));
	/* the bad entry sorts last: the loader boots 2.0 next */
	EspEntry list[ESP_ENTRIES_MAX];
	size_t n;
	assert_int_equal(esp_list(esp, list, ESP_ENTRIES_MAX, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(list[0].version, "2.0");
	assert_string_equal(list[2].version, "3.0");
	assert_int_equal(esp_next(esp, "3.0", &e), 1);
	assert_string_equal(e.version, "2.0");
	assert_int_equal(esp_next(esp, "2.0", &e), 1);
	assert_string_equal(e.version, "1.0");

	touch("EFI/Linux/kcc-node_4.0+3.efi");
	assert_int_equal(esp_mark_bad(esp, "\\EFI\\Linux\\kcc-node_4.0+3.efi", NULL), 0);
	assert_true(exists("EFI/Linux/kcc-node_4.0+0-1.efi"));
	/* nothing but bad entries besides: nothing to fall back to */
	char p[128];
	snprintf(p, sizeof(p), "%s/EFI/Linux/kcc-node_2.0.efi", esp);
	unlink(p);
	snprintf(p, sizeof(p), "%s/EFI/Linux/kcc-node_1.0.efi", esp);
	unlink(p);
	assert_int_equal(esp_next(esp, "4.0", &e), 0);
}

/* A read-only ESP: a tmpfs remounted read-only in a private mount namespace (root, or skipped). */
static int readonly_child(void)
{
	char d[128];
	EspEntry e;

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("tmpfs", esp, "tmpfs", 0, "mode=0700") < 0)
		return 77;
	snprintf(d, sizeof(d), "%s/EFI/Linux", esp);
	if (mkdir_p(d, 0755) < 0)
		return 2;
	touch("EFI/Linux/kcc-node_2.0+2-1.efi");
	if (esp_check_writable(esp) != 0)
		return 3;
	if (mount(NULL, esp, NULL, MS_REMOUNT | MS_RDONLY, NULL) < 0)
		return 77;
	if (esp_check_writable(esp) != -EROFS)
		return 4;
	if (esp_bless(esp, "\\EFI\\Linux\\kcc-node_2.0+2-1.efi", &e) != -EROFS)
		return 5;
	if (esp_mark_bad(esp, "\\EFI\\Linux\\kcc-node_2.0+2-1.efi", &e) != -EROFS)
		return 6;
	if (!exists("EFI/Linux/kcc-node_2.0+2-1.efi"))
		return 7;
	return 0;
}

static void test_readonly(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	assert_int_equal(esp_check_writable(esp), 0);
	assert_false(exists(".kcc-write-probe.tmp"));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(readonly_child());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip(); /* no mount namespace here */
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test_setup_teardown(test_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_install, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bless, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
