/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The parsers kcc-verify exposes to the network, table by table: TPM2B_PUBLIC (and the AK and EK
 * checks on it), TPMS_ATTEST (through quote_verify), the firmware's TCG log, the CEL-JSON log,
 * the join protocol's messages. Each is also a libFuzzer target (fuzz-attest-*.c). */
#include "unit.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <tss2/tss2_mu.h>

#include "eventlog.h"
#include "messages.h"
#include "public.h"
#include "quote.h"
#include "tcglog.h"
#include "tcglog-build.h"

/* ---- TPM2B_PUBLIC ---- */

static size_t marshal(const TPM2B_PUBLIC *p, uint8_t *buf, size_t size)
{
	size_t off = 0;

	assert_int_equal(Tss2_MU_TPM2B_PUBLIC_Marshal(p, buf, size, &off), TSS2_RC_SUCCESS);
	return off;
}

static TPM2B_PUBLIC ak_with_point(void)
{
	TPM2B_PUBLIC p = tpm_ak_template;

	p.publicArea.unique.ecc.x.size = 32;
	p.publicArea.unique.ecc.y.size = 32;
	memset(p.publicArea.unique.ecc.x.buffer, 1, 32);
	memset(p.publicArea.unique.ecc.y.buffer, 2, 32);
	return p;
}

static void test_public_parse(void **state)
{
	TPM2B_PUBLIC p = ak_with_point(), q, ek = tpm_ek_rsa_template;
	uint8_t buf[sizeof(TPM2B_PUBLIC) + 8], name[TPM_PUBLIC_NAME_SIZE];
	size_t n = marshal(&p, buf, sizeof(buf));
	const char *why = NULL;

	(void)state;
	assert_int_equal(tpm_public_parse(buf, n, &q), 0);
	assert_true(tpm_public_is_ak(&q, &why));
	assert_int_equal(tpm_public_name(&q, name), 0);
	assert_int_equal(name[0] << 8 | name[1], TPM2_ALG_SHA256);
	/* every truncation, and one byte too many */
	for (size_t k = 0; k < n; k++)
		assert_int_equal(tpm_public_parse(buf, k, &q), -EBADMSG);
	buf[n] = 0;
	assert_int_equal(tpm_public_parse(buf, n + 1, &q), -EBADMSG);
	/* SHA-1 names and other curves are refused */
	p.publicArea.nameAlg = TPM2_ALG_SHA1;
	assert_int_equal(tpm_public_parse(buf, marshal(&p, buf, sizeof(buf)), &q), -EBADMSG);
	p = ak_with_point();
	p.publicArea.parameters.eccDetail.curveID = TPM2_ECC_NIST_P384;
	assert_int_equal(tpm_public_parse(buf, marshal(&p, buf, sizeof(buf)), &q), -EBADMSG);
	/* an RSA key whose modulus is not keyBits long */
	ek.publicArea.unique.rsa.size = 128;
	assert_int_equal(tpm_public_parse(buf, marshal(&ek, buf, sizeof(buf)), &q), -EBADMSG);
	ek.publicArea.unique.rsa.size = 256;
	memset(ek.publicArea.unique.rsa.buffer, 0xc5, 256);
	assert_int_equal(tpm_public_parse(buf, marshal(&ek, buf, sizeof(buf)), &q), 0);
	assert_true(tpm_public_is_ek(&q, &why));
}

static void test_ak_and_ek_checks(void **state)
{
	static const struct {
		uint32_t clear, set;
	} bad_ak[] = {
		{ TPMA_OBJECT_RESTRICTED, 0 },
		{ TPMA_OBJECT_SIGN_ENCRYPT, 0 },
		{ TPMA_OBJECT_FIXEDTPM, 0 },
		{ TPMA_OBJECT_FIXEDPARENT, 0 },
		{ TPMA_OBJECT_SENSITIVEDATAORIGIN, 0 },
		{ 0, TPMA_OBJECT_DECRYPT },
	};
	TPM2B_PUBLIC p, ek;
	const char *why;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_ak) / sizeof(bad_ak[0]); i++) {
		p = ak_with_point();
		p.publicArea.objectAttributes &= ~bad_ak[i].clear;
		p.publicArea.objectAttributes |= bad_ak[i].set;
		why = NULL;
		assert_false(tpm_public_is_ak(&p, &why));
		assert_non_null(why);
	}
	p = ak_with_point();
	p.publicArea.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA1;
	assert_false(tpm_public_is_ak(&p, NULL));
	ek = tpm_ek_rsa_template;
	ek.publicArea.authPolicy.buffer[0] ^= 1; /* a key anyone with the owner auth may use */
	assert_false(tpm_public_is_ek(&ek, NULL));
	ek = tpm_ek_rsa_template;
	ek.publicArea.objectAttributes |= TPMA_OBJECT_USERWITHAUTH;
	assert_false(tpm_public_is_ek(&ek, NULL));
	/* the ECC P-256 EK (template L-2); not with a signing scheme, another curve or the AK's
	 * attributes */
	ek = tpm_ek_ecc_template;
	assert_true(tpm_public_is_ek(&ek, &why));
	ek.publicArea.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
	assert_false(tpm_public_is_ek(&ek, NULL));
	ek = tpm_ek_ecc_template;
	ek.publicArea.parameters.eccDetail.curveID = TPM2_ECC_NIST_P384;
	assert_false(tpm_public_is_ek(&ek, NULL));
	ek = tpm_ek_ecc_template;
	ek.publicArea.authPolicy.buffer[31] ^= 1;
	assert_false(tpm_public_is_ek(&ek, NULL));
	p = ak_with_point();
	assert_false(tpm_public_is_ek(&p, NULL));
}

/* ---- TPMS_ATTEST ---- */

static void test_attest_malformed(void **state)
{
	TPMS_ATTEST a = { .magic = TPM2_GENERATED_VALUE, .type = TPM2_ST_ATTEST_QUOTE };
	TPMT_SIGNATURE s = { .sigAlg = TPM2_ALG_ECDSA };
	uint8_t abuf[sizeof(a) + 1], sbuf[sizeof(s)], v[1][32] = { { 0 } };
	size_t an = 0, sn = 0;
	char err[200];

	(void)state;
	s.signature.ecdsa.hash = TPM2_ALG_SHA256;
	assert_int_equal(Tss2_MU_TPMS_ATTEST_Marshal(&a, abuf, sizeof(abuf), &an), TSS2_RC_SUCCESS);
	assert_int_equal(Tss2_MU_TPMT_SIGNATURE_Marshal(&s, sbuf, sizeof(sbuf), &sn), TSS2_RC_SUCCESS);
	for (size_t k = 0; k < an; k++)
		assert_int_equal(quote_verify(abuf, k, sbuf, sn, (const uint8_t *)"", 0, NULL, 0,
					      1, (const uint8_t(*)[32])v, err, sizeof(err)),
				 -EBADMSG);
	abuf[an] = 0;
	assert_int_equal(quote_verify(abuf, an + 1, sbuf, sn, (const uint8_t *)"", 0, NULL, 0, 1,
				      (const uint8_t(*)[32])v, err, sizeof(err)),
			 -EBADMSG);
	assert_string_equal(err, "the attestation structure is malformed");
	/* well-formed, but no key to verify with */
	assert_int_equal(quote_verify(abuf, an, sbuf, sn, (const uint8_t *)"", 0, NULL, 0, 1,
				      (const uint8_t(*)[32])v, err, sizeof(err)),
			 -EBADMSG);
}

/* ---- the firmware's TCG log ---- */

static void good_log(Buf *b, uint8_t want[PCR_COUNT][32])
{
	uint8_t d1[32], d2[32];

	memset(d1, 0x11, 32);
	memset(d2, 0x22, 32);
	memset(want, 0, PCR_COUNT * 32);
	spec_header(b, true);
	event2(b, 0, 3, d1, "StartupLocality\0\3", 17);
	want[0][31] = 3;
	event2(b, 0, 8, d1, "S-CRTM", 6);
	assert_int_equal(pcr_extend_value(PCR_BANK_SHA256, want[0], d1), 0);
	event2(b, 7, 0x80000001, d2, "SecureBoot", 10);
	assert_int_equal(pcr_extend_value(PCR_BANK_SHA256, want[7], d2), 0);
	event2(b, 7, 4, d1, "\0\0\0\0", 4); /* EV_SEPARATOR */
	assert_int_equal(pcr_extend_value(PCR_BANK_SHA256, want[7], d1), 0);
}

static void test_tcglog(void **state)
{
	Buf b = { .n = 0 }, bad = { .n = 0 };
	uint8_t want[PCR_COUNT][32], got[PCR_COUNT][32], d[32] = { 0 };
	char err[200];

	(void)state;
	good_log(&b, want);
	assert_int_equal(tcglog_replay(b.b, b.n, got, err, sizeof(err)), 4); /* the records */
	assert_memory_equal(got, want, sizeof(want));
	/* every truncation inside a record is refused, never read past (one at a record's end is
	 * a shorter log: the replay then differs from the quote) */
	for (size_t k = 0; k < b.n; k++) {
		uint8_t *copy = malloc(k ?: 1);
		memcpy(copy, b.b, k);
		int r = tcglog_replay(copy, k, got, err, sizeof(err));
		if (at_end(&b, k))
			assert_true(r >= 0 && r < 4);
		else
			assert_int_equal(r, -EBADMSG);
		free(copy);
	}
	/* a byte after the last record */
	b.b[b.n++] = 0;
	assert_int_equal(tcglog_replay(b.b, b.n, got, err, sizeof(err)), -EBADMSG);
	/* no SHA-256 bank; a PCR out of range; a record without every bank */
	spec_header(&bad, false);
	assert_int_equal(tcglog_replay(bad.b, bad.n, got, err, sizeof(err)), -EBADMSG);
	assert_string_equal(err, "the log has no SHA-256 bank");
	bad.n = 0;
	spec_header(&bad, true);
	event2(&bad, 24, 8, d, "x", 1);
	assert_int_equal(tcglog_replay(bad.b, bad.n, got, err, sizeof(err)), -EBADMSG);
	bad.n = 0;
	spec_header(&bad, true);
	put32(&bad, 0);
	put32(&bad, 8);
	put32(&bad, 1);
	put16(&bad, TPM2_ALG_SHA256);
	put(&bad, d, 32);
	put32(&bad, 0);
	assert_int_equal(tcglog_replay(bad.b, bad.n, got, err, sizeof(err)), -EBADMSG);
	/* the SHA-1 log format alone (no Spec ID event) */
	bad.n = 0;
	put32(&bad, 0);
	put32(&bad, 8);
	put(&bad, d, 20);
	put32(&bad, 0);
	assert_int_equal(tcglog_replay(bad.b, bad.n, got, err, sizeof(err)), -EBADMSG);
}

/* ---- the CEL-JSON log ---- */

#define REC(pcr, ct, type, str)                                                                  \
	"\x1e{\"pcr\":" #pcr ",\"digests\":[{\"hashAlg\":\"sha256\",\"digest\":"                  \
	"\"0101010101010101010101010101010101010101010101010101010101010101\"}],"                 \
	"\"content_type\":\"" ct "\",\"content\":{\"string\":\"" str "\",\"eventType\":\"" type "\"}}\n"

#define INIT(pcr, hex)                                                                           \
	"\x1e{\"pcr\":" #pcr ",\"digests\":[{\"hashAlg\":\"sha256\",\"digest\":\"" hex "\"}],"      \
	"\"content_type\":\"kcc\",\"content\":{\"eventType\":\"initial-value\"}}\n"

static void test_cel_log(void **state)
{
	static const char good[] = REC(11, "kcc", "direct-boot", ".cmdline")
		REC(11, "systemd", "phase", "enter-initrd") REC(15, "systemd", "volume-key", "x");
	static const char *const bad[] = {
		REC(11, "systemd", "phase", "x") "\x1e{\"pcr\":11}",    /* no newline: truncated */
		"\x1e{\"pcr\":11,\"digests\":[],\"content_type\":\"x\",\"content\":{}}{}\n",
		"\x1e[1]\n",
		REC(24, "systemd", "phase", "x"),
		"\x1e{\"pcr\":11,\"digests\":[{\"hashAlg\":\"sha256\",\"digest\":\"01\"}],"
		"\"content_type\":\"x\",\"content\":{}}\n",
		"\x1e{\"pcr\":\"11\",\"digests\":[],\"content_type\":\"x\",\"content\":{}}\n",
	};
	EventlogReplay r;
	char err[200];

	(void)state;
	assert_int_equal(eventlog_replay_buf(good, strlen(good), &r, NULL, err, sizeof(err)), 0);
	assert_int_equal(r.n_records, 3);
	assert_int_equal(r.direct_boot, 1);
	assert_int_equal(r.volume_key, 1);
	assert_int_equal(r.initial, 0);
	assert_int_equal(r.touched[1], (1u << 11) | (1u << 15));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(eventlog_replay_buf(bad[i], strlen(bad[i]), &r, NULL, err,
						     sizeof(err)),
				 -EBADMSG);
	/* an initial value: recorded before the PCR's events only; a non-zero one is flagged */
	{
		static const char init0[] = INIT(15, "0000000000000000000000000000000000000000000000000000000000000000")
			REC(15, "systemd", "volume-key", "x");
		static const char init1[] = INIT(15, "0000000000000000000000000000000000000000000000000000000000000001")
			REC(15, "systemd", "volume-key", "x");
		static const char late[] = REC(15, "systemd", "volume-key", "x")
			INIT(15, "0000000000000000000000000000000000000000000000000000000000000000");

		assert_int_equal(eventlog_replay_buf(init0, strlen(init0), &r, NULL, err, sizeof(err)), 0);
		assert_int_equal(r.initial, 1u << 15);
		assert_int_equal(r.initial_nonzero, 0);
		assert_int_equal(eventlog_replay_buf(init1, strlen(init1), &r, NULL, err, sizeof(err)), 0);
		assert_int_equal(r.initial_nonzero, 1u << 15);
		assert_int_equal(eventlog_replay_buf(late, strlen(late), &r, NULL, err, sizeof(err)),
				 -EBADMSG);
		assert_non_null(strstr(err, "an initial value of PCR 15 after its events"));
	}
	/* a NUL inside a record */
	assert_int_equal(eventlog_replay_buf("\x1e{\0}\n", 5, &r, NULL, err, sizeof(err)), -EBADMSG);
}

/* ---- the join protocol's messages ---- */

static void test_messages(void **state)
{
	static const char *const bad_start[] = {
		"",
		"[]",
		"{}",
		"{\"ek_pub\":\"AAAA\"}",
		"{\"ek_pub\":\"AAAA\",\"ak_pub\":\"AAAA\",\"extra\":1}",
		"{\"ek_pub\":\"AAA\",\"ak_pub\":\"AAAA\"}",
		"{\"ek_pub\":1,\"ak_pub\":\"AAAA\"}",
		"{\"ek_pub\":\"AAAA\",\"ak_pub\":\"AAAA\"} {}",
		"{\"ek_pub\":\"AAAA\",\"ak_pub\":\"AAAA\",\"ek_cert\":null}",
	};
	uint8_t one[4] = { 1, 2, 3, 4 };
	AttestStart s = { .ek_pub = { one, 4 }, .ak_pub = { one, 3 } }, p;
	AttestChallenge c = { .session = "0123456789abcdef0123456789abcdef",
			      .blob = { one, 4 }, .secret = { one, 2 } }, pc;
	AttestFinish f = { .session = "0123456789abcdef0123456789abcdef", .node = "node-1",
			   .attest = { one, 4 }, .sig = { one, 4 }, .cel_log = { one, 4 },
			   .csr = { one, 4 }, .pcr_mask = 1u << 11 }, pf;
	json_object *o;
	const char *j;
	char err[200];

	(void)state;
	o = attest_start_json(&s);
	j = json_object_to_json_string(o);
	assert_int_equal(attest_start_parse(j, strlen(j), &p, err, sizeof(err)), 0);
	assert_int_equal(p.ek_pub.n, 4);
	assert_int_equal(p.ak_pub.n, 3);
	assert_int_equal(p.ek_cert.n, 0);
	attest_start_done(&p);
	json_object_put(o);
	for (size_t i = 0; i < sizeof(bad_start) / sizeof(bad_start[0]); i++)
		assert_int_equal(attest_start_parse(bad_start[i], strlen(bad_start[i]), &p, err,
						    sizeof(err)),
				 -EBADMSG);
	o = attest_challenge_json(&c);
	j = json_object_to_json_string(o);
	assert_int_equal(attest_challenge_parse(j, strlen(j), &pc, err, sizeof(err)), 0);
	assert_string_equal(pc.session, c.session);
	attest_challenge_done(&pc);
	json_object_put(o);
	memset(f.pcrs[11], 0xab, 32);
	o = attest_finish_json(&f);
	j = json_object_to_json_string(o);
	assert_int_equal(attest_finish_parse(j, strlen(j), &pf, err, sizeof(err)), 0);
	assert_int_equal(pf.pcr_mask, 1u << 11);
	assert_memory_equal(pf.pcrs[11], f.pcrs[11], 32);
	assert_string_equal(pf.node, "node-1");
	attest_finish_done(&pf);
	/* a node name that is no DNS name, a PCR index out of range, a short session */
	json_object_object_add(o, "node", json_object_new_string("Node_1"));
	j = json_object_to_json_string(o);
	assert_int_equal(attest_finish_parse(j, strlen(j), &pf, err, sizeof(err)), -EBADMSG);
	assert_string_equal(err, "\"node\" is not a DNS name");
	json_object_object_add(o, "node", json_object_new_string("node-1"));
	json_object_object_add(json_object_object_get(o, "pcrs"), "24",
			       json_object_new_string("00"));
	j = json_object_to_json_string(o);
	assert_int_equal(attest_finish_parse(j, strlen(j), &pf, err, sizeof(err)), -EBADMSG);
	json_object_object_del(json_object_object_get(o, "pcrs"), "24");
	json_object_object_add(o, "session", json_object_new_string("0123"));
	j = json_object_to_json_string(o);
	assert_int_equal(attest_finish_parse(j, strlen(j), &pf, err, sizeof(err)), -EBADMSG);
	json_object_put(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_public_parse),   cmocka_unit_test(test_ak_and_ek_checks),
		cmocka_unit_test(test_attest_malformed), cmocka_unit_test(test_tcglog),
		cmocka_unit_test(test_cel_log),        cmocka_unit_test(test_messages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
