/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SEV-SNP reports (lib/attest/snp*.c): a fake AMD chain made here (ARK self-signed and ASK, RSA
 * with PSS/SHA-384 as AMD's; a VCEK, EC P-384, with the hwID and TCB extensions), reports signed
 * with its VCEK, and the verifier's appraisal: a good report passes; another chain, another key,
 * another chip, REPORT_DATA of another session, the debug bit, a measurement or TCB below the
 * policy, and every truncation and garbled field are refused, each with its own reason. */
#include "unit.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "verifier.h"

typedef struct Chain {
	EVP_PKEY *ark_key, *ask_key, *vcek_key;
	X509 *ark, *ask, *vcek;
} Chain;

static Chain good, other;
static uint8_t chip_id[SNP_CHIP_ID_SIZE];
#define TCB_RAW 0x7308000000000103ull /* microcode 0x73, SNP 8, TEE 1, boot loader 3 */

static void add_ext(X509 *x, const char *oid, const uint8_t *p, int n)
{
	ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
	ASN1_OCTET_STRING *s = ASN1_OCTET_STRING_new();
	X509_EXTENSION *e;

	assert_true(o && s && ASN1_OCTET_STRING_set(s, p, n) == 1);
	e = X509_EXTENSION_create_by_OBJ(NULL, o, 0, s);
	assert_non_null(e);
	assert_int_equal(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
	ASN1_OCTET_STRING_free(s);
	ASN1_OBJECT_free(o);
}

static void add_tcb_ext(X509 *x, const char *oid, long v)
{
	ASN1_INTEGER *i = ASN1_INTEGER_new();
	unsigned char *der = NULL;
	int n;

	assert_int_equal(ASN1_INTEGER_set(i, v), 1);
	n = i2d_ASN1_INTEGER(i, &der);
	assert_true(n > 0);
	add_ext(x, oid, der, n);
	OPENSSL_free(der);
	ASN1_INTEGER_free(i);
}

/* A certificate for key, signed by issuer_key with RSA-PSS/SHA-384 (salt 48), as AMD's. */
static X509 *cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, bool ca)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	X509V3_CTX v3;
	X509_EXTENSION *e;

	assert_true(x && name && md);
	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, name);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600 * 24 * 365);
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	if (!ca) {
		add_ext(x, "1.3.6.1.4.1.3704.1.4", chip_id, sizeof(chip_id));
		add_tcb_ext(x, "1.3.6.1.4.1.3704.1.3.1", 3);
		add_tcb_ext(x, "1.3.6.1.4.1.3704.1.3.2", 1);
		add_tcb_ext(x, "1.3.6.1.4.1.3704.1.3.3", 8);
		add_tcb_ext(x, "1.3.6.1.4.1.3704.1.3.8", 0x73);
	}
	assert_int_equal(EVP_DigestSignInit(md, &pctx, EVP_sha384(), NULL, issuer_key), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 48), 1);
	assert_true(X509_sign_ctx(x, md) > 0);
	EVP_MD_CTX_free(md);
	X509_NAME_free(name);
	return x;
}

static void chain_make(Chain *c, const char *ark_cn)
{
	c->ark_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	c->ask_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	c->vcek_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	assert_true(c->ark_key && c->ask_key && c->vcek_key);
	c->ark = cert(ark_cn, c->ark_key, NULL, c->ark_key, true);
	c->ask = cert("SEV-Milan", c->ask_key, c->ark, c->ark_key, true);
	c->vcek = cert("SEV-VCEK", c->vcek_key, c->ask, c->ask_key, false);
}

static void chain_free(Chain *c)
{
	EVP_PKEY_free(c->ark_key);
	EVP_PKEY_free(c->ask_key);
	EVP_PKEY_free(c->vcek_key);
	X509_free(c->ark);
	X509_free(c->ask);
	X509_free(c->vcek);
}

static int setup(void **state)
{
	(void)state;
	memset(chip_id, 0xc1, sizeof(chip_id));
	chain_make(&good, "ARK-Milan");
	chain_make(&other, "ARK-Milan"); /* the same names, other keys: a forged chain */
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	chain_free(&good);
	chain_free(&other);
	return 0;
}

/* A template: version 2, policy with SMT, a measurement, the chip and TCB of the VCEK. */
static void template(uint8_t t[SNP_REPORT_SIZE])
{
	memset(t, 0, SNP_REPORT_SIZE);
	t[0x000] = 2;
	t[0x008 + 2] = 0x03; /* bits 16 (SMT) and 17 */
	t[0x034] = SNP_SIG_ALGO_ECDSA_P384_SHA384;
	memset(t + 0x090, 0x4d, SNP_MEASUREMENT_SIZE);
	for (int i = 0; i < 8; i++)
		t[0x180 + i] = (uint8_t)(TCB_RAW >> (8 * i));
	memcpy(t + 0x1a0, chip_id, sizeof(chip_id));
}

typedef struct Case {
	Verifier *v;
	AttestFinish m;
	uint8_t report[SNP_REPORT_SIZE], rd[SNP_REPORT_DATA_SIZE];
	json_object *claims, *reasons;
} Case;

static Case *case_new(const Chain *signer)
{
	Case *c = calloc(1, sizeof(*c));
	uint8_t t[SNP_REPORT_SIZE];

	assert_non_null(c);
	c->v = calloc(1, sizeof(*c->v));
	assert_non_null(c->v);
	assert_int_equal(X509_up_ref(good.ark), 1);
	assert_int_equal(X509_up_ref(good.ask), 1);
	c->v->snp.ark = good.ark;
	c->v->snp.ask = good.ask;
	memset(c->rd, 0x5a, 32); /* the session's qualifying data, then zeros */
	template(t);
	assert_int_equal(snp_report_sign(t, c->rd, signer->vcek_key, c->report), 0);
	c->m.snp_report = (AttestBlob){ c->report, sizeof(c->report) };
	c->m.snp_vcek.n = (size_t)i2d_X509(signer->vcek, &c->m.snp_vcek.p);
	return c;
}

/* Re-signs the report after an edit with the good VCEK. */
static void resign(Case *c)
{
	uint8_t t[SNP_REPORT_SIZE], rd[SNP_REPORT_DATA_SIZE];

	memcpy(t, c->report, sizeof(t));
	memcpy(rd, c->report + 0x050, sizeof(rd));
	assert_int_equal(snp_report_sign(t, rd, good.vcek_key, c->report), 0);
}

/* Appraises; returns the verdict, with the one reason (or "") in why. */
static bool appraise(Case *c, char why[400])
{
	bool ok;

	json_object_put(c->claims);
	json_object_put(c->reasons);
	c->claims = json_object_new_object();
	c->reasons = json_object_new_array();
	ok = verifier_appraise_snp(c->v, &c->m, c->rd, c->claims, c->reasons);
	assert_int_equal(json_object_array_length(c->reasons), ok ? 0 : 1);
	snprintf(why, 400, "%s",
		 ok ? "" : json_object_get_string(json_object_array_get_idx(c->reasons, 0)));
	return ok;
}

static void case_free(Case *c)
{
	json_object_put(c->claims);
	json_object_put(c->reasons);
	OPENSSL_free(c->m.snp_vcek.p);
	verifier_done(c->v);
	free(c->v);
	free(c);
}

#define assert_refused(c, prefix)                                                              \
	do {                                                                                   \
		char why_[400];                                                                \
		assert_false(appraise(c, why_));                                               \
		if (strncmp(why_, prefix, strlen(prefix)) != 0)                                \
			fail_msg("reason \"%s\" does not start with \"%s\"", why_, prefix);   \
	} while (0)

static void test_good(void **state)
{
	Case *c = case_new(&good);
	char why[400];

	(void)state;
	if (!appraise(c, why))
		fail_msg("refused: %s", why);
	assert_string_equal(json_object_get_string(json_object_object_get(c->claims, "tee")),
			    "sev-snp");
	assert_string_equal(json_object_get_string(json_object_object_get(c->claims, "snp_tcb")),
			    "3.1.8.115");
	{
		json_object *vmpl;
		assert_true(json_object_object_get_ex(c->claims, "snp_vmpl", &vmpl));
		assert_int_equal(json_object_get_int64(vmpl), 0);
	}
	/* the measurement on the list, a TCB at the minimum: still good */
	memset(c->v->snp.measurements[1], 0x4d, SNP_MEASUREMENT_SIZE);
	c->v->snp.n_measurements = 2;
	c->v->snp.min_tcb = (SnpTcb){ 3, 1, 8, 0x73 };
	assert_true(appraise(c, why));
	case_free(c);
}

static void test_wrong_chain(void **state)
{
	Case *c = case_new(&other);

	(void)state;
	/* a whole other chain (its VCEK under another ARK) */
	assert_refused(c, "SEV-SNP report signed by the wrong chain: ");
	/* the ASK the node's VCEK names, but not the pinned one */
	X509_free(c->v->snp.ask);
	c->v->snp.ask = other.ask;
	X509_up_ref(other.ask);
	assert_refused(c, "SEV-SNP report signed by the wrong chain: ");
	case_free(c);
	/* the good VCEK's certificate, but the report signed by another key */
	c = case_new(&other);
	OPENSSL_free(c->m.snp_vcek.p);
	c->m.snp_vcek.p = NULL;
	c->m.snp_vcek.n = (size_t)i2d_X509(good.vcek, &c->m.snp_vcek.p);
	assert_refused(c, "SEV-SNP report signed by the wrong chain: the report's signature");
	case_free(c);
	/* no pinned ARK */
	c = case_new(&good);
	X509_free(c->v->snp.ark);
	c->v->snp.ark = NULL;
	assert_refused(c, "SEV-SNP report signed by the wrong chain: the verifier pins no ARK");
	case_free(c);
	/* the VCEK is another chip's: the report's chip_id edited, signed again */
	c = case_new(&good);
	c->report[0x1a0] ^= 1;
	resign(c);
	assert_refused(c, "SEV-SNP report signed by the wrong chain: the VCEK is another chip's");
	/* or for another TCB */
	c->report[0x1a0] ^= 1;
	c->report[0x186] = 9;
	resign(c);
	assert_refused(c, "SEV-SNP report signed by the wrong chain: the VCEK is for another TCB");
	case_free(c);
	/* no VCEK sent and none cached */
	c = case_new(&good);
	OPENSSL_free(c->m.snp_vcek.p);
	c->m.snp_vcek = (AttestBlob){ 0 };
	assert_refused(c, "SEV-SNP report signed by the wrong chain: no VCEK");
	/* an edited byte without a new signature */
	c->m.snp_vcek.n = (size_t)i2d_X509(good.vcek, &c->m.snp_vcek.p);
	c->report[0x090] ^= 1;
	assert_refused(c, "SEV-SNP report signed by the wrong chain: the report's signature");
	case_free(c);
}

static void test_binding_and_policy(void **state)
{
	Case *c = case_new(&good);

	(void)state;
	/* REPORT_DATA of another session (or only its first half right) */
	c->rd[40] = 1;
	assert_refused(c, "SEV-SNP report not bound to this session: ");
	c->rd[40] = 0;
	/* the debug bit */
	c->report[0x008 + 2] |= 0x08;
	resign(c);
	assert_refused(c, "SEV-SNP guest policy allows debugging");
	c->report[0x008 + 2] &= (uint8_t)~0x08;
	resign(c);
	/* a launch measurement not on the list */
	memset(c->v->snp.measurements[0], 0x4e, SNP_MEASUREMENT_SIZE);
	c->v->snp.n_measurements = 1;
	assert_refused(c, "SEV-SNP launch measurement not on the reference list: 4d4d");
	c->v->snp.n_measurements = 0;
	/* a TCB below the minimum (each component) */
	c->v->snp.min_tcb = (SnpTcb){ 3, 1, 9, 0 };
	assert_refused(c, "SEV-SNP TCB 3.1.8.115 below the minimum 3.1.9.0");
	c->v->snp.min_tcb = (SnpTcb){ 0, 0, 0, 0x74 };
	assert_refused(c, "SEV-SNP TCB ");
	c->v->snp.min_tcb = (SnpTcb){ 0 };
	/* no report: allowed, named, unless the policy requires one */
	c->m.snp_report = (AttestBlob){ 0 };
	{
		char why[400];
		assert_true(appraise(c, why));
		assert_string_equal(json_object_get_string(json_object_object_get(c->claims, "tee")),
				    "no TEE report");
	}
	c->v->snp.require = true;
	assert_refused(c, "no TEE report: the policy requires a SEV-SNP report");
	case_free(c);
}

static void test_malformed(void **state)
{
	static const struct {
		size_t off;
		uint8_t xor;
		const char *why;
	} edits[] = {
		{ 0x000, 0x01, "version 3" }, /* 3 is allowed, but then its reserved bytes... */
		{ 0x000, 0x07, "version 5, not 2 or 3" },
		{ 0x034, 0x03, "signature algorithm 2" },
		{ 0x048, 0x02, "the chip key is masked" },
		{ 0x048, 0x04, "not signed by the VCEK" },
		{ 0x048, 0x20, "reserved bits set at 0x48" },
		{ 0x00a, 0x02, "guest policy" },   /* bit 17 cleared */
		{ 0x00c, 0x10, "guest policy" },   /* bit 36 */
		{ 0x04c, 0x01, "a reserved field" },
		{ 0x190, 0x01, "a reserved field" },
		{ 0x1eb, 0x01, "a reserved field" },
		{ 0x200, 0x01, "a reserved field" },
		{ 0x2a0 + 144, 0x01, "a reserved field" },
		{ 0x2a0 + 48, 0x01, "wider than 384 bits" },
		{ 0x2a0 + 72 + 71, 0x80, "wider than 384 bits" },
		{ 0x182, 0x01, "reserved bytes" },
	};
	Case *c = case_new(&good);
	SnpReport r;
	char err[200];

	(void)state;
	assert_int_equal(snp_report_parse(c->report, sizeof(c->report), &r, err, sizeof(err)), 0);
	assert_int_equal(r.version, 2);
	assert_true(r.policy & SNP_POLICY_SMT);
	for (size_t n = 0; n < SNP_REPORT_SIZE; n++)
		assert_int_equal(snp_report_parse(c->report, n, &r, err, sizeof(err)), -EBADMSG);
	c->m.snp_report.n = SNP_REPORT_SIZE - 1;
	assert_refused(c, "SEV-SNP report malformed: 1183 bytes, not 1184");
	c->m.snp_report.n = SNP_REPORT_SIZE;
	for (size_t i = 0; i < ARRAY_SIZE(edits); i++) {
		c->report[edits[i].off] ^= edits[i].xor;
		if (i == 0) { /* version 3 with the CPUID bytes: parses */
			c->report[0x188] = 0x19;
			assert_int_equal(snp_report_parse(c->report, SNP_REPORT_SIZE, &r, err,
							  sizeof(err)), 0);
			c->report[0x188] = 0;
		} else {
			assert_int_equal(snp_report_parse(c->report, SNP_REPORT_SIZE, &r, err,
							  sizeof(err)), -EBADMSG);
			if (!strstr(err, edits[i].why))
				fail_msg("edit %zu: \"%s\" lacks \"%s\"", i, err, edits[i].why);
			assert_refused(c, "SEV-SNP report malformed: ");
		}
		c->report[edits[i].off] ^= edits[i].xor;
	}
	case_free(c);
}

static void put_entry(uint8_t *t, const char *guid_hex, uint32_t off, uint32_t len)
{
	for (int i = 0; i < 16; i++)
		sscanf(guid_hex + 2 * i, "%2hhx", &t[i]);
	for (int i = 0; i < 4; i++) {
		t[16 + i] = (uint8_t)(off >> (8 * i));
		t[20 + i] = (uint8_t)(len >> (8 * i));
	}
}

/* The host's certificate table of an extended report: the VCEK found among ASK and ARK; no VCEK,
 * no terminator, an entry past the end are told apart. */
static void test_cert_table(void **state)
{
	static const char ask[] = "4ab7b379bbac4fe4a02f05aef327c782",
			  vcek[] = "63da758de6644564adc5f4b93be8accd";
	uint8_t t[4 * 24 + 300] = { 0 };
	const uint8_t *p;
	size_t n;

	(void)state;
	put_entry(t, ask, 96, 100);
	put_entry(t + 24, vcek, 196, 50);
	put_entry(t + 48, "c0b406a4a80349529743" "3fb6014cd0ae", 246, 54);
	memset(t + 196, 0x30, 50);
	assert_int_equal(snp_cert_table_vcek(t, sizeof(t), &p, &n), 0);
	assert_ptr_equal(p, t + 196);
	assert_int_equal(n, 50);
	/* the table cut before its terminator; an entry past the end; an empty entry */
	assert_int_equal(snp_cert_table_vcek(t, 80, &p, &n), -EBADMSG);
	put_entry(t + 24, vcek, 196, sizeof(t) - 196 + 1);
	assert_int_equal(snp_cert_table_vcek(t, sizeof(t), &p, &n), -EBADMSG);
	put_entry(t + 24, vcek, 0xffffffffu, 2);
	assert_int_equal(snp_cert_table_vcek(t, sizeof(t), &p, &n), -EBADMSG);
	put_entry(t + 24, vcek, 196, 0);
	assert_int_equal(snp_cert_table_vcek(t, sizeof(t), &p, &n), -EBADMSG);
	/* no VCEK: only the ASK, or an empty table */
	memset(t + 24, 0, 48);
	assert_int_equal(snp_cert_table_vcek(t, sizeof(t), &p, &n), -ENOENT);
	memset(t, 0, sizeof(t));
	assert_int_equal(snp_cert_table_vcek(t, sizeof(t), &p, &n), -ENOENT);
}

static void test_tcb_parse(void **state)
{
	SnpTcb t;

	(void)state;
	assert_int_equal(snp_tcb_parse("3.0.8.115", &t), 0);
	assert_int_equal(t.microcode, 115);
	assert_int_equal(snp_tcb_parse("3.0.8", &t), -EINVAL);
	assert_int_equal(snp_tcb_parse("3.0.8.256", &t), -EINVAL);
	assert_int_equal(snp_tcb_parse("3.0.8.1x", &t), -EINVAL);
	assert_int_equal(snp_tcb_parse("-1.0.8.1", &t), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_wrong_chain),
		cmocka_unit_test(test_binding_and_policy),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_tcb_parse),
		cmocka_unit_test(test_cert_table),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
