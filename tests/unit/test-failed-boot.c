/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/events/failed-boot.c: the record of a boot that failed before /var was open (an EFI
 * variable: untrusted), its strict parser and its event; init/sys/efivar.c on a plain file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

#include "dgram.h"
#include "efivar.h"
#include "failed-boot.h"

#define BOOT "0b0e5a34-1c2d-4e5f-8a9b-0123456789ab"
#define GOOD "kcc-failed-boot 1\ncount=2\nboot=" BOOT "\nuptime_ms=4321\ntime=1796630400\n" \
	     "version=V1\nstage=state partition\nreason=The TPM did not release the state key\n"

static int parse(const char *s, FailedBoot *r)
{
	return failed_boot_parse(s, strlen(s), r);
}

static void test_roundtrip(void **state)
{
	FailedBoot r, back;
	char buf[FAILED_BOOT_RECORD_MAX + 1];
	int n;

	(void)state;
	assert_int_equal(parse(GOOD, &r), 0);
	assert_int_equal(r.count, 2);
	assert_string_equal(r.boot, BOOT);
	assert_true(r.uptime_ms == 4321 && r.time_s == 1796630400);
	assert_string_equal(r.version, "V1");
	assert_string_equal(r.stage, "state partition");
	assert_string_equal(r.reason, "The TPM did not release the state key");
	n = failed_boot_format(&r, buf, sizeof(buf));
	assert_int_equal(n, (int)strlen(GOOD));
	assert_memory_equal(buf, GOOD, (size_t)n);
	assert_int_equal(failed_boot_parse(buf, (size_t)n, &back), 0);
	assert_memory_equal(&r, &back, sizeof(r));
}

/* Every way the variable's bytes can be wrong: refused, nothing written to *ret. */
static void test_refused(void **state)
{
	static const struct {
		const char *from, *to;
	} edits[] = {
		{ "kcc-failed-boot 1", "kcc-failed-boot 2" },
		{ "kcc-failed-boot 1\n", "kcc-failed-boot 1\r\n" },
		{ "count=2", "count=0" },
		{ "count=2", "count=02" },
		{ "count=2", "count=-2" },
		{ "count=2", "count=1000000" },
		{ "count=2", "count=" },
		{ "count=2", "cnt=2" },
		{ "boot=" BOOT, "boot=0B0E5A34-1c2d-4e5f-8a9b-0123456789ab" },
		{ "boot=" BOOT, "boot=0b0e5a34-1c2d-4e5f-8a9b-0123456789a" },
		{ "boot=" BOOT, "boot=0b0e5a34x1c2d-4e5f-8a9b-0123456789ab" },
		{ "uptime_ms=4321", "uptime_ms=18446744073709551616" },
		{ "uptime_ms=4321", "uptime_ms=4321 " },
		{ "time=1796630400", "time=" },
		{ "version=V1", "version=" },
		{ "version=V1", "version=V\x01" },
		{ "stage=state partition", "stage=state\tpartition" },
		{ "stage=state partition", "stage=" },
		{ "reason=The TPM", "reason=The \xc3\xa9TPM" },
		{ "the state key\n", "the state key" },
		{ "the state key\n", "the state key\nextra=1\n" },
		{ "version=V1\nstage=state partition\n", "stage=state partition\nversion=V1\n" },
		{ "count=2\n", "count=2\ncount=2\n" },
	};
	char buf[1024];
	FailedBoot r;

	(void)state;
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		const char *at = strstr(GOOD, edits[i].from);
		assert_non_null(at);
		snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - GOOD), GOOD, edits[i].to,
			 at + strlen(edits[i].from));
		memset(&r, 0x5a, sizeof(r));
		if (parse(buf, &r) != -EBADMSG)
			fail_msg("accepted edit %zu: %s", i, buf);
		assert_int_equal(r.count, 0x5a5a5a5a);
	}
	/* a NUL inside, every truncation, over the bound */
	memcpy(buf, GOOD, sizeof(GOOD));
	buf[30] = '\0';
	assert_int_equal(failed_boot_parse(buf, strlen(GOOD), &r), -EBADMSG);
	for (size_t n = 0; n < strlen(GOOD); n++)
		assert_int_equal(failed_boot_parse(GOOD, n, &r), -EBADMSG);
	memset(buf, 'a', sizeof(buf));
	snprintf(buf, sizeof(buf), GOOD);
	buf[strlen(GOOD) - 1] = 'x';
	memset(buf + strlen(GOOD), 'x', sizeof(buf) - strlen(GOOD));
	buf[FAILED_BOOT_RECORD_MAX] = '\n';
	assert_int_equal(failed_boot_parse(buf, FAILED_BOOT_RECORD_MAX + 1, &r), -EBADMSG);
}

static void test_format_bounds(void **state)
{
	FailedBoot r;
	char buf[FAILED_BOOT_RECORD_MAX + 1];

	(void)state;
	assert_int_equal(parse(GOOD, &r), 0);
	/* the longest fields still fit the bound */
	memset(r.version, 'v', sizeof(r.version) - 1);
	memset(r.stage, 's', sizeof(r.stage) - 1);
	memset(r.reason, 'r', sizeof(r.reason) - 1);
	r.uptime_ms = r.time_s = UINT64_MAX;
	r.count = FAILED_BOOT_COUNT_MAX;
	assert_true(failed_boot_format(&r, buf, sizeof(buf)) > 0);
	r.count = 0;
	assert_int_equal(failed_boot_format(&r, buf, sizeof(buf)), -EINVAL);
	r.count = 1;
	r.reason[3] = '\n';
	assert_int_equal(failed_boot_format(&r, buf, sizeof(buf)), -EINVAL);
	/* a log line's bytes made printable */
	failed_boot_text(r.reason, 8, "a\nb\x80\x01 long line");
	assert_string_equal(r.reason, "a?b?? l");
}

/* The event: its fields say where they came from; it crosses the datagram format unchanged. */
static void test_event(void **state)
{
	FailedBoot r;
	Event *e = calloc(1, sizeof(*e)), *back = calloc(1, sizeof(*back));
	char buf[EVENT_DGRAM_MAX];
	int n;

	(void)state;
	assert_int_equal(parse(GOOD, &r), 0);
	failed_boot_event(&r, e);
	assert_int_equal(e->id, EV_BOOT_FAILED_EARLIER);
	assert_string_equal(event_type(e->id)->msgid, "KCC-BOOT-FAILED-EARLIER");
	assert_string_equal(e->fields[0].key, "source");
	assert_string_equal(e->fields[0].value, "efi-variable-unauthenticated");
	assert_string_equal(e->fields[1].value, BOOT);
	assert_string_equal(e->fields[2].value, "state partition");
	assert_string_equal(e->fields[3].value, "The TPM did not release the state key");
	assert_string_equal(e->fields[4].value, "2");
	assert_non_null(strstr(e->message, "unauthenticated EFI variable"));
	n = event_dgram_format(e, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(event_dgram_parse(buf, (size_t)n, back), 0);
	assert_int_equal(back->n_fields, e->n_fields);
	failed_boot_event_malformed(77, e);
	assert_string_equal(e->fields[1].key, "malformed");
	assert_true(event_dgram_format(e, buf, sizeof(buf)) > 0);
	free(e);
	free(back);
}

/* A kernel log dump from pstore: its last panic line, made printable; none in a dump without. */
static void test_panic_line(void **state)
{
	static const char dump[] = "Panic#1 Part1\n"
				   "<3>[    4.100000] device-mapper: verity: 252:0: data block 0 is corrupted\n"
				   "<0>[    4.100100] Kernel panic - not syncing: first\n"
				   "<0>[    4.100200] Kernel panic - not syncing: dm-verity device corrupted\x01\n"
				   "<4>[    4.100300] CPU: 0 PID: 1 Comm: kcc-init";
	char line[200];
	Event e;

	(void)state;
	assert_int_equal(failed_boot_panic_line(dump, sizeof(dump) - 1, line, sizeof(line)), 0);
	assert_string_equal(line, "Kernel panic - not syncing: dm-verity device corrupted?");
	assert_int_equal(failed_boot_panic_line(dump, 80, line, sizeof(line)), -ENOENT);
	assert_int_equal(failed_boot_panic_line(dump, sizeof(dump) - 1, line, 7), 0);
	assert_string_equal(line, "Kernel");
	failed_boot_event_panic("pstore-dmesg-efi-1", 3, "Kernel panic - not syncing: x", &e);
	assert_string_equal(e.fields[0].value, "efi-pstore-unauthenticated");
	assert_string_equal(e.fields[2].value, "kernel panic");
	assert_string_equal(e.fields[4].value, "3");
}

/* efivar.c's file format on a plain file (efivarfs itself is the VM test's). */
static void test_efivar_file(void **state)
{
	char path[] = "/tmp/test-efivar-XXXXXX", buf[64];
	int fd = mkstemp(path);
	FILE *f;
	unsigned char raw[16];

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	assert_int_equal(efivar_read(path, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(efivar_write(path, FAILED_BOOT_VAR_ATTRS, "abc", 3), 0);
	f = fopen(path, "re");
	assert_int_equal(fread(raw, 1, sizeof(raw), f), 7);
	fclose(f);
	assert_memory_equal(raw, "\x07\x00\x00\x00" "abc", 7);
	assert_int_equal(efivar_read(path, buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "abc", 3);
	assert_int_equal(efivar_read(path, buf, 2), -E2BIG);
	assert_int_equal(efivar_delete(path), 0);
	assert_int_equal(efivar_delete(path), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_format_bounds),
		cmocka_unit_test(test_event),
		cmocka_unit_test(test_panic_line),
		cmocka_unit_test(test_efivar_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
