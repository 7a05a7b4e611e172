/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-pcr: predict, sign, read, extend, log; seal, unseal, quote, verify-quote (kcc-pcr-seal.c).
 * Built on the same library as kcc-init. */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authenticode.h"
#include "epoch.h"
#include "eventlog.h"
#include "kcc-pcr.h"
#include "pcrsig.h"
#include "uki.h"

#define UKI_MAX (512u << 20)
#define DEFAULT_LOG "/run/kcc/tpm2-measure.log"

const char *arg_tcti;

static const char *const phases[] = { "enter-initrd", "leave-initrd", "sysinit", "ready" };

int read_file_all(const char *path, size_t max, char **ret, size_t *size)
{
	FILE *f = streq_p(path, "-") ? stdin : fopen(path, "re");
	size_t n = 0, cap = 4096;
	char *buf;

	if (!f)
		return -errno;
	buf = malloc(cap + 1);
	while (buf) {
		size_t k = fread(buf + n, 1, cap - n, f);
		n += k;
		if (n < cap)
			break;
		if (cap >= max) {
			free(buf);
			buf = NULL;
			errno = EFBIG;
			break;
		}
		cap *= 2;
		char *nb = realloc(buf, cap + 1);
		if (!nb)
			free(buf);
		buf = nb;
	}
	if (f != stdin)
		fclose(f);
	if (!buf)
		return errno ? -errno : -ENOMEM;
	buf[n] = '\0';
	*ret = buf;
	if (size)
		*size = n;
	return 0;
}

int read_pubkey(const char *path, uint8_t **der, size_t *der_size)
{
	char *pem;
	size_t n;
	int r = read_file_all(path, 1 << 20, &pem, &n);

	if (r < 0)
		return cli_fail(EXIT_USAGE, "cannot read %s: %s", path, strerror(-r));
	r = pem_pubkey_to_der(pem, n, der, der_size);
	free(pem);
	if (r < 0)
		return cli_fail(EXIT_USAGE, "%s is not a PEM public key", path);
	return 0;
}

Tpm *tpm_or_die(void)
{
	Tpm *t = NULL;
	int r = tpm_open(arg_tcti, &t);

	if (r < 0) {
		cli_fail(EXIT_SYSTEM, "cannot open the TPM: %s", t ? tpm_error(t) : strerror(-r));
		tpm_close(t);
		exit(EXIT_SYSTEM);
	}
	return t;
}

int tpm_exit(Tpm *t, int r)
{
	int code = r == -EPERM || r == -ENOENT || r == -ENOKEY || r == -EKEYREJECTED ||
			   r == -ESTALE || r == -ERANGE
		   ? EXIT_CHECK
		   : r == -EBADMSG || r == -EINVAL			       ? EXIT_USAGE
									       : EXIT_SYSTEM;
	cli_fail(code, "%s", tpm_error(t));
	tpm_close(t);
	return code;
}

/* --uki FILE or --direct-cmdline STRING, then phases up to --phase; --pe FILE... the PE images
 * the firmware loads (PCR 4). */
#define PE_MAX 4
#define FAILED_ATTEMPTS_DEFAULT 3
typedef struct Target {
	const char *uki, *cmdline, *value, *phase;
	const char *pe[PE_MAX];
	size_t n_pe;
	unsigned failed_attempts;
} Target;

/* The Authenticode digests of the --pe images, in load order. */
static int pe_digests(const Target *tg, uint8_t (*d)[32])
{
	char err[160];
	size_t size;
	char *pe;
	int r;

	for (size_t i = 0; i < tg->n_pe; i++) {
		r = read_file_all(tg->pe[i], UKI_MAX, &pe, &size);
		if (r < 0)
			return cli_fail(EXIT_USAGE, "cannot read %s: %s", tg->pe[i], strerror(-r));
		r = pe_authenticode((const uint8_t *)pe, size, PCR_BANK_SHA256, d[i], err,
				    sizeof(err));
		free(pe);
		if (r < 0)
			return cli_fail(EXIT_USAGE, "%s: %s", tg->pe[i],
				       r == -EBADMSG ? err : strerror(-r));
	}
	return 0;
}

static int predict_value(const Target *tg, uint8_t value[32])
{
	char err[160];
	size_t size, i;
	char *pe;
	int r;

	memset(value, 0, 32);
	if (!!tg->uki + !!tg->cmdline + !!tg->value != 1)
		return cli_fail(EXIT_USAGE, "give exactly one of --uki FILE, --direct-cmdline STRING "
					   "and --value HEX");
	if (tg->value) {
		/* A PCR 11 value computed elsewhere: taken as it is, no phases added. */
		if (unhexify(tg->value, value, 32) < 0)
			return cli_fail(EXIT_USAGE, "--value needs 64 hex digits");
		return 0;
	}
	if (tg->uki) {
		r = read_file_all(tg->uki, UKI_MAX, &pe, &size);
		if (r < 0)
			return cli_fail(EXIT_USAGE, "cannot read %s: %s", tg->uki, strerror(-r));
		r = uki_measure((const uint8_t *)pe, size, PCR_BANK_SHA256, value, err, sizeof(err));
		free(pe);
		if (r < 0)
			return cli_fail(EXIT_USAGE, "%s: %s", tg->uki, err);
	} else if (direct_measure(tg->cmdline, PCR_BANK_SHA256, value) < 0)
		return cli_fail(EXIT_SYSTEM, "hashing failed");
	if (!*tg->phase)
		return 0;
	for (i = 0; i < sizeof(phases) / sizeof(*phases); i++) {
		if (phase_measure(phases[i], PCR_BANK_SHA256, value) < 0)
			return cli_fail(EXIT_SYSTEM, "hashing failed");
		if (streq_p(phases[i], tg->phase))
			return 0;
	}
	return cli_fail(EXIT_USAGE, "unknown phase '%s' (enter-initrd, leave-initrd, sysinit, ready)",
		       tg->phase);
}

static int target_option(int c, Target *tg)
{
	switch (c) {
	case 'u':
		tg->uki = optarg;
		return 0;
	case 'c':
		tg->cmdline = optarg;
		return 0;
	case 'p':
		tg->phase = optarg;
		return 0;
	case 'v':
		tg->value = optarg;
		return 0;
	case 'e':
		if (tg->n_pe == PE_MAX)
			return cli_fail(EXIT_USAGE, "at most %d --pe images", PE_MAX), -1;
		tg->pe[tg->n_pe++] = optarg;
		return 0;
	case 'f': {
		char *end;
		unsigned long n = strtoul(optarg, &end, 10);
		if (*end || end == optarg || n > 8)
			return cli_fail(EXIT_USAGE, "--failed-boot-attempts takes 0..8"), -1;
		tg->failed_attempts = (unsigned)n;
		return 0;
	}
	default:
		return -1;
	}
}

static int cmd_predict(int argc, char **argv)
{
	static const struct option opts[] = { { "uki", 1, NULL, 'u' },
					      { "direct-cmdline", 1, NULL, 'c' },
					      { "phase", 1, NULL, 'p' },
					      { "json", 0, NULL, 'j' },
					      { "pe", 1, NULL, 'e' },
					      { "failed-boot-attempts", 1, NULL, 'f' },
					      {} };
	Target tg = { .phase = "enter-initrd" };
	bool json = false;
	uint8_t v[32], d[PE_MAX][32], v4[32];
	char hex[65], hex4[65];
	int c, r;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0)
		if (c == 'j')
			json = true;
		else if (target_option(c, &tg) < 0)
			return EXIT_USAGE;
	if (optind != argc)
		return cli_fail(EXIT_USAGE, "predict takes no positional arguments");
	r = predict_value(&tg, v);
	if (r)
		return r;
	hexify(v, 32, hex);
	if (tg.n_pe) {
		/* PCR 4 after exactly --failed-boot-attempts (default 0) empty boot options. */
		r = pe_digests(&tg, d);
		if (r)
			return r;
		if (firmware_pcr4((const uint8_t(*)[32])d, tg.n_pe, tg.failed_attempts, v4) < 0)
			return cli_fail(EXIT_SYSTEM, "hashing failed");
		hexify(v4, 32, hex4);
		if (json)
			printf("{\"pcr\":4,\"bank\":\"sha256\",\"value\":\"%s\"}\n", hex4);
		else
			printf("4:sha256=%s\n", hex4);
	}
	if (json)
		printf("{\"pcr\":11,\"bank\":\"sha256\",\"phase\":\"%s\",\"value\":\"%s\"}\n",
		       tg.phase, hex);
	else
		printf("11:sha256=%s\n", hex);
	return 0;
}

static int cmd_sign(int argc, char **argv)
{
	static const struct option opts[] = { { "uki", 1, NULL, 'u' },
					      { "direct-cmdline", 1, NULL, 'c' },
					      { "value", 1, NULL, 'v' },
					      { "phase", 1, NULL, 'p' },
					      { "private-key", 1, NULL, 'k' },
					      { "public-key", 1, NULL, 'P' },
					      { "pe", 1, NULL, 'e' },
					      { "failed-boot-attempts", 1, NULL, 'f' },
					      { "epoch", 1, NULL, 'E' },
					      { "epoch-index-of", 1, NULL, 'I' },
					      {} };
	Target tg = { .phase = "enter-initrd", .failed_attempts = FAILED_ATTEMPTS_DEFAULT };
	const char *key = NULL, *pub = NULL, *prev = NULL;
	uint8_t v[2][32], ready[2][32], fp[32], *der, d[PE_MAX][32], nv[EPOCH_NAME_SIZE],
		prev_nv[EPOCH_NAME_SIZE];
	size_t der_size;
	uint32_t mask = 1u << 11;
	int c, r, epoch = -1;
	json_object *root;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0)
		if (c == 'k')
			key = optarg;
		else if (c == 'P')
			pub = optarg;
		else if (c == 'I')
			prev = optarg;
		else if (c == 'E') {
			char *end;
			unsigned long n = strtoul(optarg, &end, 10);
			if (*end || end == optarg || n > EPOCH_MAX)
				return cli_fail(EXIT_USAGE, "--epoch takes 0..%u (the TPM's bit field "
							   "holds 64 epochs)", EPOCH_MAX);
			epoch = (int)n;
		} else if (target_option(c, &tg) < 0)
			return EXIT_USAGE;
	if (!key || !pub || optind != argc)
		return cli_fail(EXIT_USAGE, "sign needs --private-key PEM and --public-key PEM");
	if (prev && epoch < 0)
		return cli_fail(EXIT_USAGE, "--epoch-index-of needs --epoch");
	/* A UKI's key must never approve PCR 11 alone: after another signed kernel, PCR 11 can be
	 * replayed from zero, PCR 4 cannot (issue 12). */
	if (tg.uki && !tg.n_pe)
		return cli_fail(EXIT_USAGE, "refusing to sign a UKI's policy without --pe: a policy of "
					   "PCR 11 alone can be replayed by another kernel");
	r = predict_value(&tg, v[1]);
	if (r)
		return r;
	/* PCR 11 at `ready`, which only the running image reaches: its epoch write approval. */
	if (epoch >= 0 && !tg.value) {
		Target at_ready = tg;

		at_ready.phase = "ready";
		r = predict_value(&at_ready, ready[1]);
		if (r)
			return r;
	}
	if (tg.n_pe) {
		mask |= 1u << 4;
		r = pe_digests(&tg, d);
		if (r)
			return r;
	}
	r = read_pubkey(pub, &der, &der_size);
	if (r)
		return r;
	pcr_key_fingerprint(der, der_size, fp);
	r = epoch >= 0 ? epoch_nv_name(der, der_size, true, nv) : 0;
	/* A PCR-signing-key rollover: nodes re-sealed to this key keep the previous key's epoch
	 * index (docs/measured-boot.md), so the approvals also name that one. */
	if (r >= 0 && prev) {
		uint8_t *prev_der;
		size_t prev_size;

		if (read_pubkey(prev, &prev_der, &prev_size)) {
			free(der);
			return EXIT_USAGE;
		}
		r = epoch_nv_name(prev_der, prev_size, true, prev_nv);
		free(prev_der);
		if (r < 0) {
			free(der);
			return cli_fail(EXIT_USAGE, "%s is not an RSA key", prev);
		}
	}
	root = json_object_new_object();
	/* Without --pe, --epoch: as systemd-measure signs (with our policyRef). With --epoch, also
	 * the provisioning's bit-less first write of the epoch index. */
	if (r >= 0 && epoch >= 0 && sign_epoch_init(root, key, fp, der, der_size) < 0)
		r = -1;
	free(der);
	if (r < 0) {
		json_object_put(root);
		return r == -1 ? EXIT_USAGE : cli_fail(EXIT_USAGE, "%s is not an RSA key", pub);
	}
	/* With --pe: one entry per number of empty boot options the firmware may try first,
	 * 0..--failed-boot-attempts; each approves PCR 4 and 11 together. */
	for (unsigned k = 0; k <= (tg.n_pe ? tg.failed_attempts : 0); k++) {
		uint8_t pol[32] = { 0 };

		if (tg.n_pe &&
		    firmware_pcr4((const uint8_t(*)[32])d, tg.n_pe, k, v[0]) < 0)
			return cli_fail(EXIT_SYSTEM, "hashing failed");
		memcpy(ready[0], v[0], 32);
		if (pcr_policy_pcr(pol, mask, (const uint8_t(*)[32])(tg.n_pe ? v[0] : v[1])) < 0)
			return cli_fail(EXIT_SYSTEM, "hashing failed");
		if (sign_add(root, PCRSIG_BANK, key, mask, fp, pol, PCR_POLICY_REF, -1) < 0 ||
		    (epoch >= 0 && sign_epoch(root, key, mask, fp, pol, nv, (unsigned)epoch) < 0) ||
		    (prev && sign_epoch(root, key, mask, fp, pol, prev_nv, (unsigned)epoch) < 0) ||
		    (epoch >= 0 && !tg.value &&
		     sign_epoch_write(root, key, mask, fp,
				      (const uint8_t(*)[32])(tg.n_pe ? ready[0] : ready[1])) < 0)) {
			json_object_put(root);
			return EXIT_USAGE;
		}
	}
	printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return 0;
}

static int cmd_read(int argc, char **argv)
{
	uint32_t mask = 0xffff;
	json_object *root;
	uint8_t v[PCR_DIGEST_MAX];
	char hex[2 * PCR_DIGEST_MAX + 1], k[4];
	Tpm *t;
	int r = 0;

	if (argc > 2 || (argc == 2 && pcr_mask_parse(argv[1], &mask) < 0))
		return cli_fail(EXIT_USAGE, "usage: kcc-pcr read [PCR,PCR…]");
	t = tpm_or_die();
	root = json_object_new_object();
	for (int i = 0; i < PCR_COUNT && r >= 0; i++)
		if (mask & (1u << i)) {
			r = tpm_pcr_read(t, PCR_BANK_SHA256, (unsigned)i, v);
			hexify(v, 32, hex);
			snprintf(k, sizeof(k), "%d", i);
			json_object_object_add(root, k, json_object_new_string(hex));
		}
	if (r >= 0)
		printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	if (r < 0)
		return tpm_exit(t, r);
	tpm_close(t);
	return 0;
}

/* extend PCR STRING: every active bank with its hash of STRING; extend PCR --sha256 HEX: the
 * SHA-256 bank alone with that digest (replaying a measurement someone else computed). */
static int cmd_extend(int argc, char **argv)
{
	PcrDigests d = { .n = 1, .bank = { PCR_BANK_SHA256 } };
	bool digest = argc == 4 && streq_p(argv[2], "--sha256");
	unsigned long pcr;
	char *end;
	Tpm *t;
	int r;

	if (argc != 3 && !digest)
		return cli_fail(EXIT_USAGE, "usage: kcc-pcr extend PCR (STRING | --sha256 HEX)");
	errno = 0;
	pcr = strtoul(argv[1], &end, 10);
	if (errno || *end || end == argv[1] || pcr >= PCR_COUNT)
		return cli_fail(EXIT_USAGE, "bad PCR index '%s'", argv[1]);
	if (digest && unhexify(argv[3], d.d[0], 32) < 0)
		return cli_fail(EXIT_USAGE, "--sha256 needs 64 hex digits");
	t = tpm_or_die();
	r = digest ? tpm_extend_digests(t, (unsigned)pcr, &d)
		   : tpm_extend(t, (unsigned)pcr, argv[2], strlen(argv[2]), NULL);
	if (r < 0)
		return tpm_exit(t, r);
	tpm_close(t);
	return 0;
}

static int cmd_log(int argc, char **argv)
{
	static const struct option opts[] = { { "file", 1, NULL, 'f' },
					      { "no-tpm", 0, NULL, 'n' },
					      { "json", 0, NULL, 'j' },
					      {} };
	const char *path = DEFAULT_LOG;
	bool compare = true, json = false;
	json_object *out = NULL, *arr = NULL;
	EventlogReplay rp;
	char err[200], hex[2 * PCR_DIGEST_MAX + 1], live[2 * PCR_DIGEST_MAX + 1];
	int c, r, bad = 0;
	Tpm *t = NULL;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0)
		if (c == 'f')
			path = optarg;
		else if (c == 'n')
			compare = false;
		else if (c == 'j')
			json = true;
		else
			return EXIT_USAGE;
	if (optind != argc)
		return cli_fail(EXIT_USAGE, "log takes no positional arguments");
	r = eventlog_replay(path, &rp, json ? NULL : stdout, err, sizeof(err));
	if (r == -EBADMSG)
		return cli_fail(EXIT_USAGE, "%s: %s", path, err);
	if (r < 0)
		return cli_fail(EXIT_USAGE, "%s", err);
	if (compare)
		t = tpm_or_die();
	for (size_t b = 0; b < PCR_BANKS_MAX; b++)
		for (unsigned i = 0; i < PCR_COUNT; i++) {
			const PcrBank *bank = &pcr_bank_table[b];
			uint8_t v[PCR_DIGEST_MAX];

			if (!(rp.touched[b] & (1u << i)))
				continue;
			hexify(rp.value[b][i], bank->size, hex);
			live[0] = '\0';
			if (t) {
				r = tpm_pcr_read(t, bank, i, v);
				if (r < 0)
					return tpm_exit(t, r);
				hexify(v, bank->size, live);
				bad += !streq_p(hex, live);
			}
			if (json) {
				json_object *e = json_object_new_object();
				if (!arr)
					arr = json_object_new_array();
				json_object_object_add(e, "pcr", json_object_new_int((int)i));
				json_object_object_add(e, "bank", json_object_new_string(bank->name));
				json_object_object_add(e, "replayed", json_object_new_string(hex));
				if (t) {
					json_object_object_add(e, "tpm", json_object_new_string(live));
					json_object_object_add(e, "match",
							       json_object_new_boolean(streq_p(hex, live)));
				}
				json_object_array_add(arr, e);
			} else if (!t)
				printf("replay %u:%s=%s\n", i, bank->name, hex);
			else
				printf("replay %u:%s=%s %s\n", i, bank->name, hex,
				       streq_p(hex, live) ? "matches the TPM" : "DIFFERS from the TPM");
		}
	if (json) {
		out = json_object_new_object();
		json_object_object_add(out, "records", json_object_new_int((int)rp.n_records));
		json_object_object_add(out, "pcrs", arr ? arr : json_object_new_array());
		printf("%s\n", json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN |
								     JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(out);
	} else
		printf("%zu records\n", rp.n_records);
	tpm_close(t);
	if (bad)
		return cli_fail(EXIT_CHECK, "%d PCR values differ from the log's replay", bad);
	return 0;
}

static void usage(FILE *f)
{
	fputs("usage: kcc-pcr [--tcti CONF] COMMAND …\n"
	      "  predict (--uki F | --direct-cmdline S) [--phase P] [--json]   expected PCR 11\n"
	      "       [--pe F... [--failed-boot-attempts N]]   and PCR 4 after the PE images F\n"
	      "  sign --private-key PEM --public-key PEM (--uki F | --direct-cmdline S | --value HEX)\n"
	      "       [--phase P] [--pe F... [--failed-boot-attempts N]] [--epoch E]\n"
	      "                                  signed PCR 4 and 11 policy (--uki needs --pe; PCR 11\n"
	      "                                  alone for --direct-cmdline/--value), policyRef\n"
	      "                                  " PCR_POLICY_REF "\n"
	      "                                  --epoch E: also approvals that check the security\n"
	      "                                  epoch (" EPOCH_POLICY_REF ") and write it\n"
	      "       [--epoch-index-of PEM]     also the epoch approvals for that (previous) key's\n"
	      "                                  index: nodes that rolled over to this key keep it\n"
	      "  read [PCRS]                     SHA-256 PCR values as JSON\n"
	      "  extend PCR (STRING | --sha256 HEX)  extend every active bank / the SHA-256 bank\n"
	      "  log [--file F] [--no-tpm] [--json]  print and replay the event log, compare with TPM\n"
	      "  seal --public-key PEM [--signed-pcrs 11|4,11] [--literal-pcrs L] [--signature JSON]\n"
	      "       < SECRET > SEALED          --signature: under the security epoch (defines it)\n"
	      "  unseal --public-key PEM --signature JSON [--any-entry] < SEALED.json > SECRET\n"
	      "  epoch                           the node's security epoch as JSON\n"
	      "  raise-epoch N|own --limit L --public-key PEM --signature JSON\n"
	      "                                  raise it to N <= L (a running image at ready)\n"
	      "  quote --nonce HEX [--pcrs L]    signed quote as JSON\n"
	      "  verify-quote --nonce HEX --ak PEM < QUOTE.json   (no --ak: exit 100)\n",
	      f);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "predict", cmd_predict }, { "sign", cmd_sign },
		{ "read", cmd_read },	    { "extend", cmd_extend },
		{ "log", cmd_log },	    { "seal", cmd_seal },
		{ "unseal", cmd_unseal },   { "quote", cmd_quote },
		{ "verify-quote", cmd_verify_quote },
		{ "epoch", cmd_epoch },	    { "raise-epoch", cmd_raise_epoch },
	};
	int i = 1;

	/* The TSS logs its own errors to stderr; kcc-pcr prints one clear line instead. */
	setenv("TSS2_LOG", "all+none", 0);
	if (argc > 2 && streq_p(argv[1], "--tcti")) {
		arg_tcti = argv[2];
		i = 3;
	}
	if (i >= argc || streq_p(argv[i], "--help") || streq_p(argv[i], "-h")) {
		usage(i >= argc ? stderr : stdout);
		return i >= argc ? EXIT_USAGE : 0;
	}
	for (size_t k = 0; k < sizeof(cmds) / sizeof(*cmds); k++)
		if (streq_p(argv[i], cmds[k].name)) {
			optind = 1;
			return cmds[k].fn(argc - i, argv + i);
		}
	usage(stderr);
	return cli_fail(EXIT_USAGE, "unknown command '%s'", argv[i]);
}
