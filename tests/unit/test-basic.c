/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/basic: hex, the key = value reader, the mountinfo parser, recursive deletion. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"

#include "dns-name.h"
#include "hex.h"
#include "kv.h"
#include "mountinfo.h"
#include "rm-rf.h"
#include "text-buf.h"
#include "util.h"

static void test_hex(void **state)
{
	uint8_t out[4];
	char s[9];

	(void)state;
	assert_int_equal(unhex("00ffA0", 6, out, sizeof(out)), 3);
	assert_int_equal(out[1], 0xff);
	assert_int_equal(out[2], 0xa0);
	assert_int_equal(unhex("0", 1, out, sizeof(out)), -EINVAL);
	assert_int_equal(unhex("0g", 2, out, sizeof(out)), -EINVAL);
	assert_int_equal(unhex("0011223344", 10, out, sizeof(out)), -EINVAL);
	assert_int_equal(unhexify("deadbeef", out, 4), 0);
	assert_int_equal(unhexify("deadbee", out, 4), -EINVAL);
	assert_int_equal(unhexify("deadbeef00", out, 4), -EINVAL);
	hexify(out, 4, s);
	assert_string_equal(s, "deadbeef");
}

static void test_dns_names(void **state)
{
	(void)state;
	assert_true(dns_label_is_valid("a"));
	assert_true(dns_label_is_valid("kcc-web0"));
	assert_false(dns_label_is_valid(""));
	assert_false(dns_label_is_valid("-a"));
	assert_false(dns_label_is_valid("a-"));
	assert_false(dns_label_is_valid("A"));
	assert_false(dns_label_is_valid("a.b"));
	assert_false(dns_label_is_valid("0123456789012345678901234567890123456789012345678901234567890123"));
	assert_true(dns_subdomain_is_valid("node-1.example"));
	assert_false(dns_subdomain_is_valid("node-1."));
	assert_false(dns_subdomain_is_valid(".a"));
	assert_false(dns_subdomain_is_valid("a..b"));
	assert_false(dns_subdomain_is_valid("a.-b"));
	assert_false(dns_subdomain_is_valid("a_b.c"));
}

static void test_kv(void **state)
{
	char buf[32], err[80], *k, *v;
	KvParser kv;

	(void)state;
	kv_init(&kv, "# comment\n\n  a = b c \t\nempty=\n\tx=y=z", buf, sizeof(buf));
	assert_int_equal(kv_next(&kv, &k, &v, err, sizeof(err)), 1);
	assert_string_equal(k, "a");
	assert_string_equal(v, "b c");
	assert_int_equal(kv.lineno, 3);
	assert_int_equal(kv_next(&kv, &k, &v, err, sizeof(err)), 1);
	assert_string_equal(k, "empty");
	assert_string_equal(v, "");
	assert_int_equal(kv_next(&kv, &k, &v, err, sizeof(err)), 1);
	assert_string_equal(k, "x");
	assert_string_equal(v, "y=z");
	assert_int_equal(kv_next(&kv, &k, &v, err, sizeof(err)), 0);

	kv_init(&kv, "a = b\nnoequals\n", buf, sizeof(buf));
	assert_int_equal(kv_next(&kv, &k, &v, err, sizeof(err)), 1);
	assert_int_equal(kv_next(&kv, &k, &v, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 2: expected key = value");
	kv_init(&kv, " = v\n", buf, sizeof(buf));
	assert_int_equal(kv_next(&kv, &k, &v, err, sizeof(err)), -EINVAL);
	kv_init(&kv, "k = 0123456789012345678901234567890123456789\n", buf, sizeof(buf));
	assert_int_equal(kv_next(&kv, &k, &v, err, sizeof(err)), -E2BIG);
	assert_string_equal(err, "line 1: longer than 31 bytes");
}

static void test_mountinfo_line(void **state)
{
	MountInfo m;

	(void)state;
	assert_int_equal(mountinfo_parse_line("36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 "
					      "/dev/root rw,errors=continue\n", &m), 0);
	assert_int_equal(m.id, 36);
	assert_int_equal(m.parent, 35);
	assert_int_equal(m.major, 98);
	assert_int_equal(m.minor, 0);
	assert_string_equal(m.root, "/mnt1");
	assert_string_equal(m.mount_point, "/mnt2");
	assert_string_equal(m.fstype, "ext3");
	assert_string_equal(m.source, "/dev/root");
	/* The kernel's escapes: a space, a tab, a backslash, a newline. */
	assert_int_equal(mountinfo_parse_line("1 0 0:5 / /a\\040b\\011c\\134d\\012e rw - tmpfs "
					      "my\\040src rw", &m), 0);
	assert_string_equal(m.mount_point, "/a b\tc\\d\ne");
	assert_string_equal(m.source, "my src");
	/* No optional fields at all, and several. */
	assert_int_equal(mountinfo_parse_line("2 1 0:6 / /x rw shared:2 master:3 propagate_from:4 "
					      "- proc proc rw", &m), 0);
	assert_string_equal(m.fstype, "proc");
	/* Malformed: missing "-", a bad escape, an escaped NUL, a bad device, too few fields. */
	assert_int_equal(mountinfo_parse_line("1 0 0:5 / /x rw tmpfs t rw", &m), -EINVAL);
	assert_int_equal(mountinfo_parse_line("1 0 0:5 / /a\\9 rw - tmpfs t rw", &m), -EINVAL);
	assert_int_equal(mountinfo_parse_line("1 0 0:5 / /a\\000 rw - tmpfs t rw", &m), -EINVAL);
	assert_int_equal(mountinfo_parse_line("1 0 05 / /x rw - tmpfs t rw", &m), -EINVAL);
	assert_int_equal(mountinfo_parse_line("1 0 0:5 /", &m), -EINVAL);
	assert_int_equal(mountinfo_parse_line("", &m), -EINVAL);
}

static int find_proc(const MountInfo *m, void *data)
{
	if (streq(m->mount_point, "/proc") && streq(m->fstype, "proc")) {
		*(bool *)data = true;
		return 1;
	}
	return 0;
}

static void test_mountinfo_self(void **state)
{
	bool found = false;

	(void)state;
	assert_int_equal(mountinfo_foreach("/proc/self/mountinfo", find_proc, &found), 1);
	assert_true(found);
	assert_int_equal(mountinfo_foreach("/nonexistent/mountinfo", find_proc, &found), -ENOENT);
}

static void touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	close(fd);
}

static void test_string_table(void **state)
{
	static const char *const t[4] = { [0] = "poweroff", [1] = "reboot", [3] = "status" };

	(void)state;
	assert_int_equal(string_table_lookup(t, 4, "poweroff"), 0);
	assert_int_equal(string_table_lookup(t, 4, "status"), 3);
	assert_int_equal(string_table_lookup(t, 4, "Reboot"), -EINVAL);
	assert_int_equal(string_table_lookup(t, 4, ""), -EINVAL);
	assert_int_equal(string_table_lookup(t, 4, NULL), -EINVAL);
	assert_int_equal(string_table_lookup(t, 3, "status"), -EINVAL);
}

static void test_rm_rf(void **state)
{
	char top[] = "/tmp/kcc-rmrf-XXXXXX", keep[] = "/tmp/kcc-keep-XXXXXX", p[256];
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(top));
	assert_non_null(mkdtemp(keep));
	snprintf(p, sizeof(p), "%s/kept", keep);
	touch(p);
	snprintf(p, sizeof(p), "%s/a/b/c", top);
	assert_int_equal(mkdir_p(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/a/b/c/f", top);
	touch(p);
	/* A link to a folder outside: removed as a link, what it points to is kept. */
	snprintf(p, sizeof(p), "%s/a/link", top);
	assert_int_equal(symlink(keep, p), 0);
	assert_int_equal(rm_rf(top), 0);
	assert_int_equal(lstat(top, &st), -1);
	snprintf(p, sizeof(p), "%s/kept", keep);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(rm_rf(top), 0); /* already gone */
	assert_int_equal(rm_rf(keep), 0);
}

/* RM_RF_ONE_FS: a file system mounted below the folder is left alone (the new root below the
 * initramfs at switch_root). Needs a mount namespace: a child unshares one. */
static void test_rm_rf_one_fs(void **state)
{
	char top[] = "/tmp/kcc-rmrf1-XXXXXX", p[256];
	pid_t pid;
	int status;

	(void)state;
	assert_non_null(mkdtemp(top));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd, ok;
		struct stat st;

		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			_exit(2);
		snprintf(p, sizeof(p), "%s/mnt", top);
		if (mkdir(p, 0755) < 0 || mount("tmpfs", p, "tmpfs", 0, NULL) < 0)
			_exit(3);
		snprintf(p, sizeof(p), "%s/mnt/inside", top);
		touch(p);
		snprintf(p, sizeof(p), "%s/local", top);
		touch(p);
		fd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			_exit(4);
		(void)rm_rf_children(fd, RM_RF_ONE_FS);
		snprintf(p, sizeof(p), "%s/mnt/inside", top);
		ok = stat(p, &st) == 0;
		snprintf(p, sizeof(p), "%s/local", top);
		ok = ok && stat(p, &st) < 0 && errno == ENOENT;
		snprintf(p, sizeof(p), "%s/mnt", top);
		(void)umount(p);
		_exit(ok ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(rm_rf(top), 0);
}

/* replace_file_durably_owned: the content, the mode whatever the umask, the owner given before the
 * rename (or the caller's with -1), and a leftover PATH.tmp of a power cut replaced. */
static void test_replace_file_durably_owned(void **state)
{
	char top[] = "/tmp/kcc-replace-XXXXXX", p[256], tmp[256];
	_cleanup_free_ char *got = NULL;
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(top));
	snprintf(p, sizeof(p), "%s/inbox-1.dgram", top);
	snprintf(tmp, sizeof(tmp), "%s.tmp", p);
	touch(tmp);
	assert_int_equal(replace_file_durably_owned(p, "one", 3, 0600, 65534, 65533), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_uid, 65534);
	assert_int_equal(st.st_gid, 65533);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(read_small_file(p, 64, &got), 3);
	assert_string_equal(got, "one");
	assert_int_equal(lstat(tmp, &st), -1);
	/* -1: the caller's ids, over the old file */
	assert_int_equal(replace_file_durably_owned(p, "two", 3, 0640, (uid_t)-1, (gid_t)-1), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_uid, geteuid());
	assert_int_equal(st.st_gid, getegid());
	assert_int_equal(st.st_mode & 07777, 0640);
	/* the group alone */
	assert_int_equal(replace_file_durably_owned(p, "3", 1, 0600, (uid_t)-1, 65533), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_uid, geteuid());
	assert_int_equal(st.st_gid, 65533);
	assert_int_equal(rm_rf(top), 0);
}

/* TextBuf: appends fit up to the NUL's byte; what does not fit makes the whole text -ENOBUFS (a
 * formatted append of more than 128 bytes is no edge: the syslog lines' old putf dropped it). */
static void test_text_buf(void **state)
{
	char buf[300], big[201];
	TextBuf t = { .buf = buf, .size = 8 };

	(void)state;
	text_put_bytes(&t, "abc", 3);
	text_put(&t, "%d", 1234);
	assert_int_equal(text_done(&t), 7);
	assert_string_equal(buf, "abc1234");
	text_put_bytes(&t, "x", 1); /* no room for its NUL */
	assert_int_equal(text_done(&t), -ENOBUFS);
	t = (TextBuf){ .buf = buf, .size = 8 };
	text_put(&t, "%s", "abcdefgh");
	text_put_bytes(&t, "", 0); /* once full, always full */
	assert_int_equal(text_done(&t), -ENOBUFS);
	memset(big, 'k', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	t = (TextBuf){ .buf = buf, .size = sizeof(buf) };
	text_put(&t, " %s=\"", big);
	text_put_bytes(&t, "a\0b", 3);
	assert_int_equal(text_done(&t), 206);
	assert_memory_equal(buf + 202, "\"a\0b", 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_dns_names),
		cmocka_unit_test(test_kv),
		cmocka_unit_test(test_mountinfo_line),
		cmocka_unit_test(test_mountinfo_self),
		cmocka_unit_test(test_string_table),
		cmocka_unit_test(test_rm_rf),
		cmocka_unit_test(test_rm_rf_one_fs),
		cmocka_unit_test(test_replace_file_durably_owned),
		cmocka_unit_test(test_text_buf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
