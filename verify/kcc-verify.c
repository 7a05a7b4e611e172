/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-verify: the attestation verifier (docs/attestation.md). `serve` runs its TLS service: the
 * node starts every exchange (start, finish), the verifier appraises the evidence and, when it
 * is affirming, issues a short-lived kubelet client certificate.
 * Exit codes: 0 ok, 100 usage or bad configuration, 111 system failure. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "serve.h"
#include "util.h"

#define EXIT_USAGE 100
#define EXIT_SYSTEM 111

static const char usage_text[] =
	"usage: kcc-verify serve --listen ADDR:PORT --tls-cert PEM --tls-key PEM\n"
	"           --issuer-cert PEM --issuer-key PEM --reference FILE [--reference-key PEM]\n"
	"           [--ek-roots PEM] [--ek-allow FILE] [--policy production|test]\n"
	"           [--validity SECONDS] [--nonce-ttl SECONDS] [--results FILE] [--max-requests N]\n"
	"           [--secret NAME=FILE]... [--snp-ark PEM [--snp-ask PEM] [--snp-vcek-dir DIR]\n"
	"           [--snp-min-tcb BL.TEE.SNP.UCODE] [--snp-require]]\n";

static int cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", 1, NULL, 'l' },	 { "tls-cert", 1, NULL, 'c' },
		{ "tls-key", 1, NULL, 'k' },	 { "issuer-cert", 1, NULL, 'I' },
		{ "issuer-key", 1, NULL, 'K' },	 { "reference", 1, NULL, 'r' },
		{ "ek-roots", 1, NULL, 'e' },	 { "ek-allow", 1, NULL, 'a' },
		{ "policy", 1, NULL, 'p' },	 { "validity", 1, NULL, 'v' },
		{ "nonce-ttl", 1, NULL, 'n' },	 { "results", 1, NULL, 'R' },
		{ "max-requests", 1, NULL, 'm' }, { "reference-key", 1, NULL, 'P' },
		{ "secret", 1, NULL, 's' },	 { "snp-ark", 1, NULL, 'A' },
		{ "snp-ask", 1, NULL, 'B' },	 { "snp-vcek-dir", 1, NULL, 'D' },
		{ "snp-min-tcb", 1, NULL, 'T' }, { "snp-require", 0, NULL, 'Q' }, {},
	};
	const char *issuer_cert = NULL, *issuer_key = NULL, *reference = NULL, *roots = NULL,
		   *allow = NULL, *results = NULL, *reference_key = NULL, *snp_ark = NULL,
		   *snp_ask = NULL;
	ServeConfig c = { 0 };
	Verifier *v = calloc(1, sizeof(*v));
	unsigned long n;
	char err[400];
	int o, r = 0;

	if (!v)
		return cli_fail(EXIT_SYSTEM, "out of memory");
	v->validity_s = VERIFIER_VALIDITY_MAX;
	v->nonce_ttl_ms = 60000;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
		switch (o) {
		case 'l': c.listen = optarg; break;
		case 'c': c.cert = optarg; break;
		case 'k': c.key = optarg; break;
		case 'I': issuer_cert = optarg; break;
		case 'K': issuer_key = optarg; break;
		case 'r': reference = optarg; break;
		case 'P': reference_key = optarg; break;
		case 'e': roots = optarg; break;
		case 'a': allow = optarg; break;
		case 'R': results = optarg; break;
		case 'A': snp_ark = optarg; break;
		case 'B': snp_ask = optarg; break;
		case 'D': v->snp.vcek_dir = optarg; break;
		case 'Q': v->snp.require = true; break;
		case 'T':
			if (snp_tcb_parse(optarg, &v->snp.min_tcb) < 0)
				return cli_fail(EXIT_USAGE, "--snp-min-tcb: BL.TEE.SNP.UCODE, each 0-255, "
						 "not '%s'", optarg);
			break;
		case 's':
			if (verifier_load_secret(v, optarg, err, sizeof(err)) < 0)
				return cli_fail(EXIT_USAGE, "%s", err);
			break;
		case 'p':
			v->policy = verifier_policy_from_string(optarg);
			if (v->policy < 0)
				return cli_fail(EXIT_USAGE, "--policy: production or test, not '%s'", optarg);
			break;
		case 'v':
			if (parse_uint(optarg, 60, VERIFIER_VALIDITY_MAX, &n) < 0)
				return cli_fail(EXIT_USAGE, "--validity: 60 to %d seconds", VERIFIER_VALIDITY_MAX);
			v->validity_s = (unsigned)n;
			break;
		case 'n':
			if (parse_uint(optarg, 1, 3600, &n) < 0)
				return cli_fail(EXIT_USAGE, "--nonce-ttl: 1 to 3600 seconds");
			v->nonce_ttl_ms = (unsigned)n * 1000;
			break;
		case 'm':
			if (parse_uint(optarg, 1, 1000000, &n) < 0)
				return cli_fail(EXIT_USAGE, "--max-requests: a positive number");
			c.max_requests = (unsigned)n;
			break;
		default:
			fputs(usage_text, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc || !c.listen || !c.cert || !c.key || !issuer_cert || !issuer_key ||
	    !reference || (!roots && !allow)) {
		fputs(usage_text, stderr);
		return cli_fail(EXIT_USAGE, "serve needs --listen, --tls-cert, --tls-key, --issuer-cert, "
				       "--issuer-key, --reference and --ek-roots or --ek-allow");
	}
	if ((snp_ask || v->snp.vcek_dir || v->snp.require) != !!snp_ark || (snp_ark && !snp_ask))
		return cli_fail(EXIT_USAGE, "--snp-ark and --snp-ask go together, and --snp-vcek-dir "
				 "and --snp-require need them");
	if ((snp_ark && (r = verifier_load_snp_chain(v, snp_ark, snp_ask, err, sizeof(err))) < 0) ||
	    (roots && (r = verifier_load_ek_roots(v, roots, err, sizeof(err))) < 0) ||
	    (allow && (r = verifier_load_ek_allow(v, allow, err, sizeof(err))) < 0) ||
	    (r = verifier_load_references(v, reference, reference_key, err, sizeof(err))) < 0 ||
	    (r = verifier_load_issuer(v, issuer_cert, issuer_key, err, sizeof(err))) < 0)
		return cli_fail(EXIT_USAGE, "%s", err);
	if (results) {
		c.results = fopen(results, "ae");
		if (!c.results)
			return cli_fail(EXIT_SYSTEM, "%s: %s", results, strerror(errno));
	}
	r = serve(v, &c);
	if (c.results)
		fclose(c.results);
	verifier_done(v);
	free(v);
	return r < 0 ? EXIT_SYSTEM : 0;
}

int main(int argc, char **argv)
{
	log_open_stderr("kcc-verify");
	if (argc >= 2 && streq(argv[1], "serve"))
		return cmd_serve(argc - 1, argv + 1);
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}
