/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-pcr's security epoch (docs/measured-boot.md, "Security epoch"): the approvals `sign
 * --epoch` adds, `epoch` (show) and `raise-epoch`. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kcc-pcr.h"
#include "pcrsig.h"
#include "sealed.h"

int sign_add(json_object *root, const char *array, const char *key, uint32_t mask,
	     const uint8_t fp[32], const uint8_t pol[32], const char *ref, int epoch)
{
	uint8_t *sig;
	size_t sig_size;
	int r = pcrsig_sign(key, pol, (const uint8_t *)ref, strlen(ref), &sig, &sig_size);

	if (r < 0) {
		cli_fail(EXIT_USAGE, "cannot sign with %s: %s", key,
			 r == -EPROTONOSUPPORT ? "not an RSA key" :
			 r == -EBADMSG	       ? "not a PEM private key" :
						 strerror(-r));
		return -1;
	}
	r = pcrsig_add_to(root, array, mask, fp, pol, sig, sig_size, epoch);
	free(sig);
	return r < 0 ? cli_fail(EXIT_SYSTEM, "out of memory"), -1 : 0;
}

int sign_epoch(json_object *root, const char *key, uint32_t mask, const uint8_t fp[32],
	       const uint8_t pol[32], const uint8_t nv[EPOCH_NAME_SIZE], unsigned epoch)
{
	uint8_t p[32];

	memcpy(p, pol, 32);
	if (epoch_policy_nv(p, nv, epoch) < 0)
		return cli_fail(EXIT_SYSTEM, "hashing failed"), -1;
	return sign_add(root, PCRSIG_BANK, key, mask, fp, p, EPOCH_POLICY_REF, (int)epoch);
}

int sign_epoch_write(json_object *root, const char *key, uint32_t mask, const uint8_t fp[32],
		     const uint8_t (*values)[32])
{
	uint8_t p[32] = { 0 };

	if (pcr_policy_pcr(p, mask, values) < 0 || epoch_policy_setbits(p) < 0)
		return cli_fail(EXIT_SYSTEM, "hashing failed"), -1;
	return sign_add(root, PCRSIG_EPOCH_WRITE, key, mask, fp, p, EPOCH_WRITE_REF, -1);
}

int sign_epoch_init(json_object *root, const char *key, const uint8_t fp[32], const uint8_t *der,
		    size_t der_size)
{
	uint8_t cp[32], p[32] = { 0 };

	if (epoch_init_cphash(der, der_size, cp) < 0 || epoch_policy_init(p, cp) < 0)
		return cli_fail(EXIT_USAGE, "the public key is not an RSA key"), -1;
	return sign_add(root, PCRSIG_EPOCH_WRITE, key, 0, fp, p, EPOCH_WRITE_REF, -1);
}

/* epoch: {"nv_index":"0x01000cc0","bits":"0x…","epoch":N}; exit 1 if the index is missing. */
int cmd_epoch(int argc, char **argv)
{
	uint64_t bits;
	Tpm *t;
	int r;

	(void)argv;
	if (argc != 1)
		return cli_fail(EXIT_USAGE, "usage: kcc-pcr epoch");
	t = tpm_or_die();
	r = tpm_epoch_read(t, &bits);
	if (r == -ENODATA)
		r = -ENOENT;
	if (r < 0)
		return tpm_exit(t, r);
	tpm_close(t);
	printf("{\"nv_index\":\"0x%08x\",\"bits\":\"0x%016llx\",\"epoch\":%u}\n", EPOCH_NV_INDEX,
	       (unsigned long long)bits, epoch_of_bits(bits));
	return 0;
}

static int parse_epoch(const char *s, const char *what, unsigned *ret)
{
	char *end;
	unsigned long n = strtoul(s, &end, 10);

	if (*s == '-' || *end || end == s || n > EPOCH_MAX)
		return cli_fail(EXIT_USAGE, "%s '%s' is not a security epoch (0..%u)", what, s,
				EPOCH_MAX);
	*ret = (unsigned)n;
	return 0;
}

/* raise-epoch N|own --limit L --public-key PEM --signature JSON: the bless path's call, after the
 * boot of a new image is blessed ("own": the image's epoch, from its signed policy). Idempotent:
 * nothing is written when the node is at N already. */
int cmd_raise_epoch(int argc, char **argv)
{
	static const struct option opts[] = { { "limit", 1, NULL, 'l' },
					      { "public-key", 1, NULL, 'P' },
					      { "signature", 1, NULL, 's' },
					      {} };
	const char *pub = NULL, *sigpath = NULL, *limit = NULL;
	unsigned n = SEALED_EPOCH_OWN, lim;
	uint8_t *der;
	size_t der_size;
	char *sig;
	int c, r;
	Tpm *t;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0)
		if (c == 'l')
			limit = optarg;
		else if (c == 'P')
			pub = optarg;
		else if (c == 's')
			sigpath = optarg;
		else
			return EXIT_USAGE;
	if (!pub || !sigpath || !limit || optind != argc - 1)
		return cli_fail(EXIT_USAGE, "usage: kcc-pcr raise-epoch N|own --limit L --public-key "
					   "PEM --signature JSON");
	if ((!streq_p(argv[optind], "own") && parse_epoch(argv[optind], "N", &n)) ||
	    parse_epoch(limit, "--limit", &lim))
		return EXIT_USAGE;
	r = read_file_all(sigpath, 1 << 20, &sig, NULL);
	if (r < 0)
		return cli_fail(EXIT_USAGE, "cannot read %s: %s", sigpath, strerror(-r));
	r = read_pubkey(pub, &der, &der_size);
	if (r) {
		free(sig);
		return r;
	}
	t = tpm_or_die();
	r = sealed_epoch_raise(t, der, der_size, sig, n, lim, &n);
	free(der);
	free(sig);
	if (r < 0)
		return tpm_exit(t, r);
	tpm_close(t);
	printf(r == 1 ? "raise-epoch: the node is at security epoch %u or above already\n"
		      : "raise-epoch: security epoch raised to %u\n", n);
	return 0;
}
