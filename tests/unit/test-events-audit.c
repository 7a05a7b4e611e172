/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/events/audit.c: the kernel's audit records (netlink and kernel log forms), their strict
 * parsing (quoted and hex-encoded values), and KCC-SECCOMP-DENIED. */
#include <errno.h>
#include <linux/netlink.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "audit.h"
#include "event.h"

/* As the 6.1 kernel writes one (audit_seccomp(): audit_log_task() then the seccomp fields). */
#define SECCOMP_UNSHARE                                                                            \
	"audit(1765134000.123:417): auid=4294967295 uid=61190 gid=61190 ses=4294967295 pid=312 "   \
	"comm=\"busybox\" exe=\"/usr/bin/busybox\" sig=0 arch=c000003e syscall=272 compat=0 "      \
	"ip=0x7f1c2b3d4e5f code=0x50000"

static const char *field(const Event *e, const char *key)
{
	for (size_t i = 0; i < e->n_fields; i++)
		if (strcmp(e->fields[i].key, key) == 0)
			return e->fields[i].value;
	return NULL;
}

static void test_seccomp_record(void **state)
{
	static AuditRecord r;
	static Event e;
	char buf[512];

	(void)state;
	/* the netlink form: the type in the header, NULs after the text */
	memcpy(buf, SECCOMP_UNSHARE "\0\0", sizeof(SECCOMP_UNSHARE) + 2);
	assert_int_equal(audit_parse(AUDIT_TYPE_SECCOMP, buf, sizeof(SECCOMP_UNSHARE) + 2, &r), 0);
	assert_int_equal(r.type, 1326);
	assert_int_equal(r.sec, 1765134000);
	assert_int_equal(r.msec, 123);
	assert_int_equal(r.serial, 417);
	assert_string_equal(audit_field(&r, "comm"), "busybox");
	assert_string_equal(audit_field(&r, "code"), "0x50000");
	assert_null(audit_field(&r, "subj"));
	assert_int_equal(audit_classify(&r, &e), EV_SECCOMP_DENIED);
	assert_int_equal(e.id, EV_SECCOMP_DENIED);
	assert_string_equal(event_type(e.id)->msgid, "KCC-SECCOMP-DENIED");
	assert_int_equal(event_type(e.id)->severity, SEV_WARNING);
	assert_string_equal(field(&e, "syscall"), "272");
	assert_string_equal(field(&e, "syscall_name"), "unshare");
	assert_string_equal(field(&e, "action"), "errno");
	assert_null(field(&e, "errno")); /* the record has no errno (the action only) */
	assert_string_equal(field(&e, "exe"), "/usr/bin/busybox");
	assert_string_equal(field(&e, "comm"), "busybox");
	assert_string_equal(field(&e, "pid"), "312");
	assert_string_equal(field(&e, "uid"), "61190");
	assert_string_equal(e.app, "kernel");
	assert_non_null(strstr(e.message, "seccomp refused unshare (errno) to busybox"));

	/* the kernel log form */
	assert_int_equal(audit_parse_kmsg("audit: type=1326 " SECCOMP_UNSHARE, &r), 0);
	assert_int_equal(r.serial, 417);
	assert_int_equal(audit_classify(&r, &e), EV_SECCOMP_DENIED);
	assert_int_equal(audit_parse_kmsg("audit: initializing netlink subsys (disabled)", &r),
			 -ENOENT);
	assert_int_equal(audit_parse_kmsg("kcc-init: audit: type=1326 " SECCOMP_UNSHARE, &r),
			 -ENOENT);
	assert_int_equal(audit_parse_kmsg("audit: type=1326x " SECCOMP_UNSHARE, &r), -EINVAL);
}

/* The kernel hex-encodes a comm or exe with a space, a quote or a control character. */
static void test_hex_values(void **state)
{
	static AuditRecord r;
	static Event e;

	(void)state;
	assert_int_equal(audit_parse_kmsg("audit: type=1326 audit(1.002:3): uid=0 pid=9 "
					  "comm=6D7920226576696C220A exe=2F746D702F6120622F78 "
					  "arch=c000003e syscall=165 code=0x80000000", &r), 0);
	assert_string_equal(audit_field(&r, "comm"), "my \"evil\"?");
	assert_string_equal(audit_field(&r, "exe"), "/tmp/a b/x");
	assert_int_equal(audit_classify(&r, &e), EV_SECCOMP_DENIED);
	assert_string_equal(field(&e, "syscall_name"), "mount");
	assert_string_equal(field(&e, "action"), "kill-process");
	assert_null(field(&e, "errno"));
	/* an odd or non-hex untrusted value that is not quoted is malformed */
	assert_int_equal(audit_parse_kmsg("audit: type=1326 audit(1.002:3): comm=ABC", &r), -EINVAL);
	/* "(null)" is the kernel's exe for a task without memory */
	assert_int_equal(audit_parse_kmsg("audit: type=1326 audit(1.002:3): exe=(null)", &r), 0);
	assert_string_equal(audit_field(&r, "exe"), "(null)");
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"audit(1.002:3)",
		"audit(1.002:3):x",
		"audit(1.002): a=b",
		"audit(.002:3): a=b",
		"audit(1.002:3):  a=b",
		"audit(1.002:3): a=b ",
		"audit(1.002:3): =b",
		"audit(1.002:3): a=",
		"audit(1.002:3): a=\"b",
		"audit(1.002:3): a=b\"c",
		"audit(1.002:3): a=\"b\"c",
		"audit(1.002:3): a=\"\tb\"",
		"audit(1.002:3): a\"=b",
		"audit(99999999999999999999999.002:3): a=b",
		"audit(1.002:3): a=b\nc=d",
		"audit(1.002:3): aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=b",
	};
	static AuditRecord r;
	char many[2048] = "audit(1.002:3):";
	char nul[] = "audit(1.002:3): a=b\0c=d";

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (audit_parse(1326, bad[i], strlen(bad[i]), &r) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
	assert_int_equal(audit_parse(1326, nul, sizeof(nul) - 1, &r), -EINVAL);
	for (int i = 0; i <= AUDIT_FIELDS_MAX; i++)
		strcat(many, " k=1");
	assert_int_equal(audit_parse(1326, many, strlen(many), &r), -EINVAL);
	many[strlen(many) - 4] = '\0';
	assert_int_equal(audit_parse(1326, many, strlen(many), &r), 0);
	assert_int_equal(r.n_fields, AUDIT_FIELDS_MAX);
	assert_int_equal(audit_parse(0, "audit(1.002:3): a=b", 19, &r), -EINVAL);
}

/* Only refusals are events: an allowed-and-logged call, another record type, or a record without
 * the fields is not. */
static void test_not_a_denial(void **state)
{
	static AuditRecord r;
	static Event e;

	(void)state;
	assert_int_equal(audit_parse_kmsg("audit: type=1326 audit(1.002:3): uid=0 pid=9 comm=\"a\" "
					  "exe=\"/a\" arch=c000003e syscall=39 code=0x7ffc0000", &r), 0);
	assert_int_equal(audit_classify(&r, &e), EV_INVALID);
	assert_int_equal(audit_parse_kmsg("audit: type=2000 audit(0.000:1): state=initialized "
					  "audit_enabled=0 res=1", &r), 0);
	assert_int_equal(audit_classify(&r, &e), EV_INVALID);
	assert_int_equal(audit_parse_kmsg("audit: type=1326 audit(1.002:3): uid=0 pid=9 comm=\"a\" "
					  "arch=c000003e syscall=39 code=0x50000", &r), 0);
	assert_int_equal(audit_classify(&r, &e), EV_INVALID);
	assert_int_equal(audit_parse_kmsg("audit: type=1326 audit(1.002:3): uid=0 pid=9 comm=\"a\" "
					  "exe=\"/a\" arch=c000003e syscall=39 code=0x5zz01", &r), 0);
	assert_int_equal(audit_classify(&r, &e), EV_INVALID);
	assert_int_equal(e.n_fields, 0);
	/* a number libseccomp does not know keeps its number */
	assert_int_equal(audit_parse_kmsg("audit: type=1326 audit(1.002:3): uid=0 pid=9 comm=\"a\" "
					  "exe=\"/a\" arch=c000003e syscall=4000 code=0x50000", &r), 0);
	assert_int_equal(audit_classify(&r, &e), EV_SECCOMP_DENIED);
	assert_string_equal(field(&e, "syscall"), "4000");
	assert_string_equal(field(&e, "syscall_name"), "unknown");
}

static void test_lost(void **state)
{
	uint64_t n = 0;

	(void)state;
	assert_true(audit_lost_kmsg("audit: audit_lost=17 audit_rate_limit=0 audit_backlog_limit=64",
				    &n));
	assert_int_equal(n, 17);
	assert_false(audit_lost_kmsg("audit: audit_lost=x audit_rate_limit=0", &n));
	assert_false(audit_lost_kmsg("audit: backlog limit exceeded", &n));
	assert_false(audit_lost_kmsg("kcc-init[x]: audit: audit_lost=1 audit_rate_limit=0", &n));
}

struct walk {
	int n, types[4];
	size_t lens[4];
};

static void count_message(int type, const char *text, size_t len, void *userdata)
{
	struct walk *w = userdata;

	(void)text;
	if (w->n < 4) {
		w->types[w->n] = type;
		w->lens[w->n] = len;
	}
	w->n++;
}

/* A datagram is walked message by message and nothing past its end is read (ASan): the last
 * message's length not a multiple of 4 (stale "0000" text after it in a reused buffer), a header
 * whose length runs past the end, a length shorter than a header, a datagram shorter than one. */
static void test_netlink_walk(void **state)
{
	struct nlmsghdr h = { .nlmsg_type = 1326 };
	struct walk w = { 0 };
	char *buf;
	size_t n;

	(void)state;
	/* two messages: payload 5 bytes (aligned to 8), then 3 bytes, the datagram ending right after */
	n = NLMSG_ALIGN(NLMSG_HDRLEN + 5) + NLMSG_HDRLEN + 3;
	buf = calloc(1, n);
	assert_non_null(buf);
	h.nlmsg_len = NLMSG_HDRLEN + 5;
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + NLMSG_HDRLEN, "abcde", 5);
	h.nlmsg_type = 1300;
	h.nlmsg_len = NLMSG_HDRLEN + 3;
	memcpy(buf + NLMSG_ALIGN(NLMSG_HDRLEN + 5), &h, sizeof(h));
	memcpy(buf + n - 3, "xyz", 3);
	audit_netlink_each(buf, n, count_message, &w);
	assert_int_equal(w.n, 2);
	assert_int_equal(w.types[0], 1326);
	assert_int_equal(w.lens[0], 5);
	assert_int_equal(w.types[1], 1300);
	assert_int_equal(w.lens[1], 3);
	/* the same with more bytes after the last unaligned message than its padding: no third */
	free(buf);
	n += 1 + 16;
	buf = malloc(n);
	assert_non_null(buf);
	memset(buf, '0', n);
	h.nlmsg_type = 1326;
	h.nlmsg_len = NLMSG_HDRLEN + 5;
	memcpy(buf, &h, sizeof(h));
	w = (struct walk){ 0 };
	audit_netlink_each(buf, NLMSG_HDRLEN + 5, count_message, &w);
	assert_int_equal(w.n, 1);
	/* a length past the datagram, a length shorter than a header, a short datagram */
	w = (struct walk){ 0 };
	h.nlmsg_len = 1000;
	memcpy(buf, &h, sizeof(h));
	audit_netlink_each(buf, n, count_message, &w);
	h.nlmsg_len = 4;
	memcpy(buf, &h, sizeof(h));
	audit_netlink_each(buf, n, count_message, &w);
	audit_netlink_each(buf, NLMSG_HDRLEN - 1, count_message, &w);
	assert_int_equal(w.n, 0);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seccomp_record),
		cmocka_unit_test(test_hex_values),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_not_a_denial),
		cmocka_unit_test(test_lost),
		cmocka_unit_test(test_netlink_walk),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
