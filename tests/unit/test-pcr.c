/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PCR arithmetic and the parsers of untrusted input in measured-boot/: the LUKS2 token (on the
 * disk), the signature JSON, the event log, UKI section tables. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <unistd.h>

#include "unit.h"

#include "authenticode.h"
#include "eventlog.h"
#include "pcrsig.h"
#include "sealed.h"
#include "uki.h"

static void test_extend_and_phase(void **state)
{
	uint8_t v[32] = { 0 }, d[32], want[32] = { 0 }, buf[64];

	(void)state;
	/* extend = H(old || H(data)), by hand */
	assert_int_equal(pcr_hash(PCR_BANK_SHA256, "enter-initrd", 12, d), 0);
	memcpy(buf + 32, d, 32);
	memset(buf, 0, 32);
	assert_int_equal(pcr_hash(PCR_BANK_SHA256, buf, 64, want), 0);
	assert_int_equal(phase_measure("enter-initrd", PCR_BANK_SHA256, v), 0);
	assert_memory_equal(v, want, 32);
}

static void test_masks_and_hex(void **state)
{
	uint32_t m;
	char buf[64];
	uint8_t b[2];

	(void)state;
	assert_int_equal(pcr_mask_parse("11,15", &m), 0);
	assert_int_equal(m, (1u << 11) | (1u << 15));
	pcr_mask_format(m, buf, sizeof(buf));
	assert_string_equal(buf, "11,15");
	assert_int_equal(pcr_mask_parse("", &m), 0);
	assert_int_equal(m, 0);
	assert_int_equal(pcr_mask_parse("24", &m), -EINVAL);
	assert_int_equal(pcr_mask_parse("1,,2", &m), -EINVAL);
	assert_int_equal(pcr_mask_parse("-1", &m), -EINVAL);
	assert_int_equal(pcr_mask_parse("7x", &m), -EINVAL);
	assert_int_equal(unhexify("a0FF", b, 2), 0);
	assert_int_equal(b[1], 0xff);
	assert_int_equal(unhexify("a0F", b, 2), -EINVAL);
	assert_int_equal(unhexify("zz00", b, 2), -EINVAL);
}

/* A minimal PE: MZ header, PE signature, COFF header, no optional header, two sections. */
static size_t make_pe(uint8_t *pe, size_t cap, const char *cmdline)
{
	size_t lfanew = 0x40, table = lfanew + 24, data = 0x200, n = strlen(cmdline);

	memset(pe, 0, cap);
	pe[0] = 'M';
	pe[1] = 'Z';
	pe[0x3c] = (uint8_t)lfanew;
	memcpy(pe + lfanew, "PE\0\0", 4);
	pe[lfanew + 6] = 2; /* sections */
	/* .text, not measured */
	memcpy(pe + table, ".text", 5);
	/* .cmdline: VirtualSize n, raw size 0x200 at data */
	memcpy(pe + table + 40, ".cmdline", 8);
	pe[table + 40 + 8] = (uint8_t)n;
	pe[table + 40 + 16] = 0x00;
	pe[table + 40 + 17] = 0x02;
	pe[table + 40 + 20] = 0x00;
	pe[table + 40 + 21] = 0x02;
	memcpy(pe + data, cmdline, n);
	return data + 0x200;
}

static void test_uki_measure(void **state)
{
	uint8_t pe[0x400], a[32] = { 0 }, b[32] = { 0 };
	char err[128];
	size_t n = make_pe(pe, sizeof(pe), "console=ttyS0 kcc.slot=a");

	(void)state;
	/* The stub's measurement of .cmdline equals kcc-init's in a direct boot. */
	assert_int_equal(uki_measure(pe, n, PCR_BANK_SHA256, a, err, sizeof(err)), 0);
	assert_int_equal(direct_measure("console=ttyS0 kcc.slot=a", PCR_BANK_SHA256, b), 0);
	assert_memory_equal(a, b, 32);
	/* Truncated and malformed images are refused with a reason. */
	assert_int_equal(uki_measure(pe, 0x210, PCR_BANK_SHA256, a, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "past the end"));
	pe[0] = 'X';
	assert_int_equal(uki_measure(pe, n, PCR_BANK_SHA256, a, err, sizeof(err)), -EBADMSG);
	assert_int_equal(uki_measure(pe, 10, PCR_BANK_SHA256, a, err, sizeof(err)), -EBADMSG);
}

static void test_sealed_json_rejects_bad_tokens(void **state)
{
	static const char *const bad[] = {
		"[]",
		"{}",
		"{\"kcc-policy-ref\":\"" PCR_POLICY_REF "\",\"kcc-blob\":\"AAAA\"}",
		"{\"kcc-policy-ref\":\"" PCR_POLICY_REF "\",\"kcc-blob\":\"A\",\"kcc-srk\":\"00\"}",
		/* right shape, but PCR 15 is not bound */
		"{\"kcc-policy-ref\":\"" PCR_POLICY_REF "\",\"kcc-blob\":\"AAAA\",\"kcc-srk\":\"000b0000000000000000000000000000000000000000000000000000000000000000\","
		"\"kcc-pkfp\":\"0000000000000000000000000000000000000000000000000000000000000000\","
		"\"kcc-policy\":\"0000000000000000000000000000000000000000000000000000000000000000\","
		"\"kcc-signed-pcrs\":[11],\"kcc-literal\":{}}",
		/* signed PCRs other than 11 */
		"{\"kcc-policy-ref\":\"" PCR_POLICY_REF "\",\"kcc-blob\":\"AAAA\",\"kcc-srk\":\"000b0000000000000000000000000000000000000000000000000000000000000000\","
		"\"kcc-pkfp\":\"0000000000000000000000000000000000000000000000000000000000000000\","
		"\"kcc-policy\":\"0000000000000000000000000000000000000000000000000000000000000000\","
		"\"kcc-signed-pcrs\":[7],\"kcc-literal\":{\"15\":\"0000000000000000000000000000000000000000000000000000000000000000\"}}",
		/* sealed under an empty policyRef (before v2): no kcc-policy-ref, or another one */
		"{\"kcc-blob\":\"AAAA\",\"kcc-srk\":\"000b0000000000000000000000000000000000000000000000000000000000000000\","
		"\"kcc-pkfp\":\"0000000000000000000000000000000000000000000000000000000000000000\","
		"\"kcc-policy\":\"0000000000000000000000000000000000000000000000000000000000000000\","
		"\"kcc-signed-pcrs\":[11],\"kcc-literal\":{\"15\":\"0000000000000000000000000000000000000000000000000000000000000000\"}}",
		"{\"kcc-policy-ref\":\"\",\"kcc-blob\":\"AAAA\",\"kcc-srk\":\"000b0000000000000000000000000000000000000000000000000000000000000000\","
		"\"kcc-pkfp\":\"0000000000000000000000000000000000000000000000000000000000000000\","
		"\"kcc-policy\":\"0000000000000000000000000000000000000000000000000000000000000000\","
		"\"kcc-signed-pcrs\":[11],\"kcc-literal\":{\"15\":\"0000000000000000000000000000000000000000000000000000000000000000\"}}",
	};
	const char *good =
		"{\"kcc-policy-ref\":\"" PCR_POLICY_REF "\",\"kcc-blob\":\"AAAA\",\"kcc-srk\":\"000b0000000000000000000000000000000000000000000000000000000000000000\","
		"\"kcc-pkfp\":\"0000000000000000000000000000000000000000000000000000000000000000\","
		"\"kcc-policy\":\"0000000000000000000000000000000000000000000000000000000000000000\","
		"\"kcc-signed-pcrs\":[11],\"kcc-literal\":{\"15\":\"0000000000000000000000000000000000000000000000000000000000000000\"}}";
	char err[128];
	Sealed s;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		json_object *o = json_tokener_parse(bad[i]);
		assert_int_equal(sealed_from_json(o, &s, err, sizeof(err)), -EBADMSG);
		assert_true(strlen(err) > 0);
		json_object_put(o);
	}
	json_object *o = json_tokener_parse(good);
	assert_int_equal(sealed_from_json(o, &s, err, sizeof(err)), 0);
	assert_int_equal(s.blob_size, 3);
	assert_int_equal(s.literal_mask, 1u << 15);
	sealed_done(&s);
	json_object_put(o);
}

static void test_pcrsig_lookup(void **state)
{
	uint8_t fp[32] = { 1 }, pol[32] = { 2 }, other[32] = { 3 }, *sig;
	size_t n;
	json_object *root = json_object_new_object();
	const char *json;

	(void)state;
	assert_int_equal(pcrsig_add(root, 1u << 11, fp, pol, (const uint8_t *)"sig!", 4), 0);
	json = json_object_to_json_string(root);
	assert_int_equal(pcrsig_find(json, 1u << 11, fp, pol, &sig, &n), 0);
	assert_int_equal(n, 4);
	assert_memory_equal(sig, "sig!", 4);
	free(sig);
	assert_int_equal(pcrsig_find(json, 1u << 11, fp, other, &sig, &n), -ENOENT);
	assert_int_equal(pcrsig_find(json, 1u << 11, other, pol, &sig, &n), -ENOENT);
	assert_int_equal(pcrsig_find(json, 1u << 7, fp, pol, &sig, &n), -ENOENT);
	assert_int_equal(pcrsig_find("not json", 1u << 11, fp, pol, &sig, &n), -EBADMSG);
	assert_int_equal(pcrsig_find("{\"sha256\":[{\"pcrs\":[11]}]}", 1u << 11, fp, pol, &sig, &n),
			 -EBADMSG);
	json_object_put(root);
}

static void test_eventlog_malformed(void **state)
{
	char path[] = "/tmp/kcc-test-log-XXXXXX", err[128];
	EventlogReplay rp;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "\x1e{\"pcr\":99,\"digests\":[],\"content_type\":\"x\",\"content\":{}}\n", 58), 58);
	close(fd);
	assert_int_equal(eventlog_replay(path, &rp, NULL, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "line 1"));
	unlink(path);
	assert_true(eventlog_replay("/nonexistent/log", &rp, NULL, err, sizeof(err)) < 0);
}

/* Every member a parser reads, given as JSON null, a number, an object or an array where a string,
 * number or array belongs: refused with -EBADMSG, never dereferenced (json-c returns NULL for the
 * string of a null). One case per member and wrong type. */
#define Z64 "0000000000000000000000000000000000000000000000000000000000000000"
static const char *const wrong_types[] = { "null", "1", "{}", "[]", "\"x\"", "true", "1.5" };

static char *with(const char *tmpl, const char *value)
{
	char *out;

	assert_true(asprintf(&out, tmpl, value) > 0);
	return out;
}

static void test_json_wrong_types_token(void **state)
{
	static const char *const tmpls[] = {
		"{\"kcc-policy-ref\":\"" PCR_POLICY_REF "\",\"kcc-blob\":%s,\"kcc-srk\":\"000b" Z64 "\",\"kcc-pkfp\":\"" Z64 "\",\"kcc-policy\":\"" Z64
		"\",\"kcc-signed-pcrs\":[11],\"kcc-literal\":{\"15\":\"" Z64 "\"}}",
		"{\"kcc-policy-ref\":\"" PCR_POLICY_REF "\",\"kcc-blob\":\"AAAA\",\"kcc-srk\":%s,\"kcc-pkfp\":\"" Z64 "\",\"kcc-policy\":\"" Z64
		"\",\"kcc-signed-pcrs\":[11],\"kcc-literal\":{\"15\":\"" Z64 "\"}}",
		"{\"kcc-policy-ref\":\"" PCR_POLICY_REF "\",\"kcc-blob\":\"AAAA\",\"kcc-srk\":\"000b" Z64 "\",\"kcc-pkfp\":%s,\"kcc-policy\":\"" Z64
		"\",\"kcc-signed-pcrs\":[11],\"kcc-literal\":{\"15\":\"" Z64 "\"}}",
		"{\"kcc-policy-ref\":\"" PCR_POLICY_REF "\",\"kcc-blob\":\"AAAA\",\"kcc-srk\":\"000b" Z64 "\",\"kcc-pkfp\":\"" Z64 "\",\"kcc-policy\":%s"
		",\"kcc-signed-pcrs\":[11],\"kcc-literal\":{\"15\":\"" Z64 "\"}}",
		"{\"kcc-policy-ref\":\"" PCR_POLICY_REF "\",\"kcc-blob\":\"AAAA\",\"kcc-srk\":\"000b" Z64 "\",\"kcc-pkfp\":\"" Z64 "\",\"kcc-policy\":\"" Z64
		"\",\"kcc-signed-pcrs\":%s,\"kcc-literal\":{\"15\":\"" Z64 "\"}}",
		"{\"kcc-policy-ref\":\"" PCR_POLICY_REF "\",\"kcc-blob\":\"AAAA\",\"kcc-srk\":\"000b" Z64 "\",\"kcc-pkfp\":\"" Z64 "\",\"kcc-policy\":\"" Z64
		"\",\"kcc-signed-pcrs\":[%s],\"kcc-literal\":{\"15\":\"" Z64 "\"}}",
		"{\"kcc-policy-ref\":\"" PCR_POLICY_REF "\",\"kcc-blob\":\"AAAA\",\"kcc-srk\":\"000b" Z64 "\",\"kcc-pkfp\":\"" Z64 "\",\"kcc-policy\":\"" Z64
		"\",\"kcc-signed-pcrs\":[11],\"kcc-literal\":%s}",
		"{\"kcc-policy-ref\":\"" PCR_POLICY_REF "\",\"kcc-blob\":\"AAAA\",\"kcc-srk\":\"000b" Z64 "\",\"kcc-pkfp\":\"" Z64 "\",\"kcc-policy\":\"" Z64
		"\",\"kcc-signed-pcrs\":[11],\"kcc-literal\":{\"15\":%s}}",
		"{\"kcc-policy-ref\":%s,\"kcc-blob\":\"AAAA\",\"kcc-srk\":\"000b" Z64 "\",\"kcc-pkfp\":\"" Z64
		"\",\"kcc-policy\":\"" Z64 "\",\"kcc-signed-pcrs\":[11],\"kcc-literal\":{\"15\":\"" Z64 "\"}}",
	};
	char err[128];
	Sealed s;

	(void)state;
	for (size_t i = 0; i < sizeof(tmpls) / sizeof(*tmpls); i++)
		for (size_t j = 0; j < sizeof(wrong_types) / sizeof(*wrong_types); j++) {
			char *text = with(tmpls[i], wrong_types[j]);
			json_object *o = json_tokener_parse(text);

			assert_non_null(o);
			/* "x" is the right type for strings (but not hex or base64), 11 for the list */
			assert_int_equal(sealed_from_json(o, &s, err, sizeof(err)), -EBADMSG);
			json_object_put(o);
			free(text);
		}
}

static void test_json_wrong_types_pcrsig(void **state)
{
	static const char *const tmpls[] = {
		"{\"sha256\":[{\"pcrs\":[11],\"pkfp\":\"" Z64 "\",\"pol\":%s,\"sig\":\"AAAA\"}]}",
		"{\"sha256\":[{\"pcrs\":[11],\"pkfp\":\"" Z64 "\",\"pol\":\"" Z64 "\",\"sig\":%s}]}",
		"{\"sha256\":[{\"pcrs\":[11],\"pkfp\":%s,\"pol\":\"" Z64 "\",\"sig\":\"AAAA\"}]}",
		"{\"sha256\":[{\"pcrs\":%s,\"pkfp\":\"" Z64 "\",\"pol\":\"" Z64 "\",\"sig\":\"AAAA\"}]}",
		"{\"sha256\":[{\"pcrs\":[%s],\"pkfp\":\"" Z64 "\",\"pol\":\"" Z64 "\",\"sig\":\"AAAA\"}]}",
		"{\"sha256\":[%s]}",
		"{\"sha256\":%s}",
	};
	uint8_t fp[32] = { 0 }, pol[32] = { 0 }, *sig;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(tmpls) / sizeof(*tmpls); i++)
		for (size_t j = 0; j < sizeof(wrong_types) / sizeof(*wrong_types); j++) {
			char *text = with(tmpls[i], wrong_types[j]);
			int r = pcrsig_find(text, 1u << 11, fp, pol, &sig, &n);

			/* a string where a string belongs may be a valid lookup that matches nothing
			 * or refuses as malformed; anything else is malformed */
			if (r == 0)
				free(sig);
			assert_true(r == -EBADMSG || r == -ENOENT);
			if (strcmp(wrong_types[j], "\"x\"") != 0 && i < 3)
				assert_int_equal(r, -EBADMSG);
			r = pcrsig_first(text, 1u << 11, pol, &sig, &n);
			if (r == 0)
				free(sig);
			assert_true(r == -EBADMSG || r == -ENOENT || (r == 0 && i == 2));
			free(text);
		}
}

static void test_json_wrong_types_eventlog(void **state)
{
	static const char *const tmpls[] = {
		"{\"pcr\":%s,\"digests\":[],\"content_type\":\"x\",\"content\":{}}",
		"{\"pcr\":11,\"digests\":%s,\"content_type\":\"x\",\"content\":{}}",
		"{\"pcr\":11,\"digests\":[],\"content_type\":%s,\"content\":{}}",
		"{\"pcr\":11,\"digests\":[],\"content_type\":\"x\",\"content\":%s}",
		"{\"pcr\":11,\"digests\":[],\"content_type\":\"kcc\",\"content\":{\"eventType\":%s}}",
		"{\"pcr\":11,\"digests\":[],\"content_type\":\"kcc\",\"content\":{\"string\":%s}}",
		"{\"pcr\":11,\"digests\":[%s],\"content_type\":\"x\",\"content\":{}}",
		"{\"pcr\":11,\"digests\":[{\"hashAlg\":%s,\"digest\":\"" Z64 "\"}],\"content_type\":\"x\",\"content\":{}}",
		"{\"pcr\":11,\"digests\":[{\"hashAlg\":\"sha256\",\"digest\":%s}],\"content_type\":\"x\",\"content\":{}}",
	};
	char path[] = "/tmp/kcc-test-log-XXXXXX", err[128];
	EventlogReplay rp;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	for (size_t i = 0; i < sizeof(tmpls) / sizeof(*tmpls); i++)
		for (size_t j = 0; j < sizeof(wrong_types) / sizeof(*wrong_types); j++) {
			char *text = with(tmpls[i], wrong_types[j]);
			FILE *f = fopen(path, "we");
			const char *w = wrong_types[j];
			/* the cases where the value is of the right type after all */
			bool string_ok = (strcmp(w, "\"x\"") == 0 && (i == 2 || i == 4 || i == 5)) ||
					 (strcmp(w, "1") == 0 && i == 0) ||
					 (strcmp(w, "[]") == 0 && i == 1) ||
					 (strcmp(w, "{}") == 0 && i == 3);

			assert_non_null(f);
			fprintf(f, "\x1e%s\n", text);
			fclose(f);
			int r = eventlog_replay(path, &rp, NULL, err, sizeof(err));
			if (r != (string_ok ? 0 : -EBADMSG))
				fail_msg("case %zu with %s: %d", i, wrong_types[j], r);
			free(text);
		}
	unlink(path);
}

/* PCR 4 as the firmware leaves it: the events OVMF logs, in order, replayed by hand. */
static void test_firmware_pcr4(void **state)
{
	static const char calling[] = "Calling EFI Application from Boot Option",
			  returning[] = "Returning from EFI Application from Boot Option";
	uint8_t img[2][32] = { { 1 }, { 2 } }, want[32] = { 0 }, d[32], got[32];

	(void)state;
	pcr_hash(PCR_BANK_SHA256, calling, strlen(calling), d);
	pcr_extend_value(PCR_BANK_SHA256, want, d);
	pcr_hash(PCR_BANK_SHA256, "\0\0\0\0", 4, d);
	pcr_extend_value(PCR_BANK_SHA256, want, d);
	pcr_hash(PCR_BANK_SHA256, returning, strlen(returning), d);
	pcr_extend_value(PCR_BANK_SHA256, want, d);
	pcr_hash(PCR_BANK_SHA256, calling, strlen(calling), d);
	pcr_extend_value(PCR_BANK_SHA256, want, d);
	pcr_extend_value(PCR_BANK_SHA256, want, img[0]);
	pcr_extend_value(PCR_BANK_SHA256, want, img[1]);
	assert_int_equal(firmware_pcr4((const uint8_t(*)[32])img, 2, 1, got), 0);
	assert_memory_equal(got, want, 32);
	assert_int_equal(firmware_pcr4((const uint8_t(*)[32])img, 2, 0, got), 0);
	assert_memory_not_equal(got, want, 32);
}

/* Not PE, truncated headers, a section past the end: refused with a reason. */
static void test_authenticode_rejects(void **state)
{
	uint8_t pe[512] = { 'M', 'Z' }, d[32];
	char err[128];

	(void)state;
	assert_int_equal(pe_authenticode((const uint8_t *)"hello", 5, PCR_BANK_SHA256, d, err,
					 sizeof(err)),
			 -EBADMSG);
	pe[0x3c] = 0x40;
	memcpy(pe + 0x40, "PE\0\0", 4);
	assert_int_equal(pe_authenticode(pe, sizeof(pe), PCR_BANK_SHA256, d, err, sizeof(err)),
			 -EBADMSG);
	assert_non_null(strstr(err, "magic"));
	pe[0x40 + 24] = 0x0b;
	pe[0x40 + 25] = 0x02;
	pe[0x40 + 20] = 0xf0; /* optional header size */
	pe[0x40 + 6] = 1;     /* one section ... */
	pe[0x40 + 24 + 60] = 0x00;
	pe[0x40 + 24 + 61] = 0x02; /* SizeOfHeaders 512 */
	pe[0x40 + 24 + 0xf0 + 16] = 0xff; /* ... whose raw data runs past the end */
	pe[0x40 + 24 + 0xf0 + 17] = 0xff;
	assert_int_equal(pe_authenticode(pe, sizeof(pe), PCR_BANK_SHA256, d, err, sizeof(err)),
			 -EBADMSG);
	assert_non_null(strstr(err, "past the end"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_extend_and_phase),
		cmocka_unit_test(test_masks_and_hex),
		cmocka_unit_test(test_uki_measure),
		cmocka_unit_test(test_sealed_json_rejects_bad_tokens),
		cmocka_unit_test(test_pcrsig_lookup),
		cmocka_unit_test(test_eventlog_malformed),
		cmocka_unit_test(test_json_wrong_types_token),
		cmocka_unit_test(test_json_wrong_types_pcrsig),
		cmocka_unit_test(test_json_wrong_types_eventlog),
		cmocka_unit_test(test_firmware_pcr4),
		cmocka_unit_test(test_authenticode_rejects),
	};
	return cmocka_run_group_tests_name("pcr", tests, NULL, NULL);
}
