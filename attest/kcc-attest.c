/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-attest: the node's attestation client (docs/attestation.md). `join` proves to the verifier
 * what the node booted (EK, AK bound by credential activation, a quote bound to the verifier's
 * nonce and the node's CSR, the event logs) and, when the verifier affirms, keeps the client key
 * and certificate it got; the verifier and the node's name come from options or from the node
 * configuration (--node-config, docs/node-config.md). `ek` prints the EK's fingerprint for a verifier's allow-list (and
 * with --cert writes the TPM's EK certificate, DER). `keep-joined` is the image's service: the join
 * at every boot, renewed before expiry, retried with backoff (keep-joined.h).
 * Exit codes: 0 joined, 1 refused by the verifier, 100 usage, 111 system failure. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attest-keys.h"
#include "dns-name.h"
#include "hex.h"
#include "join.h"
#include "snp-guest.h"
#include "keep-joined.h"
#include "messages.h"
#include "node-config.h"
#include "released.h"
#include "public.h"
#include "util.h"

#define EXIT_REFUSED 1
#define EXIT_USAGE 100
#define EXIT_SYSTEM 111
#define CEL_LOG "/run/kcc/tpm2-measure.log"
#define FIRMWARE_LOG "/sys/kernel/security/tpm0/binary_bios_measurements"

static const char usage_text[] =
	"usage: kcc-attest join (--node-config JSON | --verifier URL --ca PEM --node NAME)\n"
	"           --key-out PATH --cert-out PATH [--ek-cert DER] [--cel-log PATH]\n"
	"           [--firmware-log PATH] [--result PATH] [--save-finish PATH] [--secrets-dir DIR]\n"
	"           [--ek rsa|ecc] [--snp-vcek DER] [--snp-stand-in-key PEM (kcc-attest-test only)]\n"
	"       kcc-attest keep-joined --node-config JSON --dir DIR [--cel-log PATH]\n"
	"           [--firmware-log PATH] [--kubelet-cert PATH --kubelet-ca PATH\n"
	"           --kubelet-kubeconfig PATH]\n"
	"       kcc-attest ek [--cert PATH] [--ek rsa|ecc]\n"
	"       kcc-attest unseal --result PATH --secrets-dir DIR [--ek rsa|ecc]\n"
	"The EK: RSA when the TPM has its certificate, else ECC when it has that one, else RSA.\n"
	"The TPM: $KCC_TPM2_TCTI, else /dev/tpmrm0. A SEV-SNP guest adds its report from\n"
	"/dev/sev-guest; kcc-attest-test's --snp-stand-in-key signs a made-up report instead.\n";

/* The verifier's URL and CA and the node's name, from the node configuration (docs/node-config.md). */
static int node_config_load(const char *path, NodeConfig **ret, char *err, size_t err_size)
{
	_cleanup_free_ char *data = NULL;
	NodeConfig *nc;
	int r = read_small_file(path, NODE_CONFIG_MAX, &data);

	if (r < 0)
		return errorf(err, err_size, r, "%s: %s", path, strerror(-r));
	nc = calloc(1, sizeof(*nc));
	if (!nc)
		return errorf(err, err_size, -ENOMEM, "out of memory");
	r = node_config_parse(data, (size_t)r, nc, err, err_size);
	if (r < 0) {
		free(nc);
		return r;
	}
	*ret = nc;
	return 0;
}

static int print_result(json_object *res, const char *path)
{
	const char *s;

	s = json_object_to_json_string_ext(res, JSON_C_TO_STRING_PRETTY |
						JSON_C_TO_STRING_NOSLASHESCAPE);
	if (path)
		return write_new_file(path, s, 0644) < 0 ? -EIO : 0;
	printf("%s\n", s);
	return 0;
}

static void print_reasons(json_object *res)
{
	json_object *reasons = json_object_object_get(res, "reasons");

	for (size_t i = 0; i < json_object_array_length(reasons); i++)
		fprintf(stderr, "kcc-attest: refused: %s\n",
			json_object_get_string(json_object_array_get_idx(reasons, i)));
}

static int cmd_join(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "verifier", 1, NULL, 'v' }, { "ca", 1, NULL, 'c' },
		{ "node", 1, NULL, 'n' },     { "key-out", 1, NULL, 'k' },
		{ "cert-out", 1, NULL, 'o' }, { "ek-cert", 1, NULL, 'e' },
		{ "cel-log", 1, NULL, 'l' },  { "firmware-log", 1, NULL, 'f' },
		{ "result", 1, NULL, 'r' },   { "save-finish", 1, NULL, 's' },
		{ "node-config", 1, NULL, 'N' }, { "secrets-dir", 1, NULL, 'S' },
		{ "snp-vcek", 1, NULL, 'V' },	  { "snp-stand-in-key", 1, NULL, 'T' },
		{ "ek", 1, NULL, 'E' },		  {},
	};
	JoinConfig c = { .cel_log = CEL_LOG, .firmware_log = FIRMWARE_LOG };
	const char *result = NULL, *node_config = NULL;
	_cleanup_free_ NodeConfig *nc = NULL;
	json_object *res = NULL;
	char err[400];
	unsigned long commands;
	Tpm *t = NULL;
	int o, r;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
		switch (o) {
		case 'v': c.url = optarg; break;
		case 'c': c.ca = optarg; break;
		case 'n': c.node = optarg; break;
		case 'k': c.key_out = optarg; break;
		case 'o': c.cert_out = optarg; break;
		case 'e': c.ek_cert = optarg; break;
		case 'l': c.cel_log = optarg; break;
		case 'f': c.firmware_log = optarg; break;
		case 'r': result = optarg; break;
		case 's': c.save_finish = optarg; break;
		case 'N': node_config = optarg; break;
		case 'S': c.secrets_dir = optarg; break;
		case 'V': c.snp_vcek = optarg; break;
		case 'T':
			if (!snp_stand_in_report)
				return cli_fail(EXIT_USAGE, "--snp-stand-in-key: this kcc-attest has no "
					"stand-in (only the host tests' kcc-attest-test does)");
			c.snp_stand_in_key = optarg;
			break;
		case 'E': c.ek = optarg; break;
		default:
			fputs(usage_text, stderr);
			return EXIT_USAGE;
		}
	}
	if (node_config) {
		r = node_config_load(node_config, &nc, err, sizeof(err));
		if (r < 0)
			return cli_fail(r == -ENOMEM ? EXIT_SYSTEM : EXIT_USAGE, "%s", err);
		c.url = c.url ?: nc->verifier.url[0] ? nc->verifier.url : NULL;
		c.ca_pem = !c.ca && nc->verifier.ca[0] ? nc->verifier.ca : NULL;
		c.node = c.node ?: nc->hostname[0] ? nc->hostname : NULL;
	}
	if (optind != argc || !c.url || (!c.ca && !c.ca_pem) || !c.node || !c.key_out || !c.cert_out) {
		fputs(usage_text, stderr);
		return cli_fail(EXIT_USAGE, "join needs a verifier URL and CA, a node name (options or "
					    "--node-config), --key-out and --cert-out");
	}
	if (!dns_subdomain_is_valid(c.node))
		return cli_fail(EXIT_USAGE, "--node: '%s' is not a DNS name", c.node);
	r = tpm_open(NULL, &t);
	if (r < 0) {
		cli_fail(EXIT_SYSTEM, "cannot open the TPM: %s", tpm_error(t));
		tpm_close(t);
		return EXIT_SYSTEM;
	}
	r = join(t, &c, &res, err, sizeof(err));
	commands = tpm_commands(t);
	tpm_close(t);
	if (res) {
		if (print_result(res, result) < 0)
			r = errorf(err, sizeof(err), -EIO, "%s: cannot write the result", result);
		if (r == 0)
			print_reasons(res);
		json_object_put(res);
	}
	if (r < 0)
		return cli_fail(r == -EINVAL ? EXIT_USAGE : EXIT_SYSTEM, "%s", err);
	if (r == 0)
		return EXIT_REFUSED;
	fprintf(stderr, "kcc-attest: joined as system:node:%s (%lu TPM commands)\n", c.node, commands);
	return 0;
}

/* The service: DIR/node.key (mode 0640: the service's group, which kcc-forward shares, reads it),
 * DIR/node.crt and the released secrets in DIR/secrets (0700: root only, the kubelet's); the node's name is the configuration's hostname, else the host's. */
static int cmd_keep_joined(int argc, char **argv)
{
	JoinConfig c = { .cel_log = CEL_LOG, .firmware_log = FIRMWARE_LOG, .key_mode = 0640 };
	const char *node_config = NULL, *dir = NULL;
	_cleanup_free_ NodeConfig *nc = NULL;
	char err[400], key[4096], cert[4096], secrets[4096], host[65] = "";
	KubeletCreds kc = { 0 };
	int r;

	for (int i = 1; i < argc; i += 2) {
		if (i + 1 >= argc)
			return cli_fail(EXIT_USAGE, "%s lacks its value", argv[i]);
		if (streq(argv[i], "--node-config"))
			node_config = argv[i + 1];
		else if (streq(argv[i], "--dir"))
			dir = argv[i + 1];
		else if (streq(argv[i], "--cel-log"))
			c.cel_log = argv[i + 1];
		else if (streq(argv[i], "--firmware-log"))
			c.firmware_log = argv[i + 1];
		else if (streq(argv[i], "--kubelet-cert"))
			kc.cert_path = argv[i + 1];
		else if (streq(argv[i], "--kubelet-ca"))
			kc.ca_path = argv[i + 1];
		else if (streq(argv[i], "--kubelet-kubeconfig"))
			kc.kubeconfig_path = argv[i + 1];
		else
			return cli_fail(EXIT_USAGE, "keep-joined: unknown option %s", argv[i]);
	}
	if (!node_config || !dir)
		return cli_fail(EXIT_USAGE, "keep-joined needs --node-config and --dir");
	if (!kc.cert_path != !kc.ca_path || !kc.cert_path != !kc.kubeconfig_path)
		return cli_fail(EXIT_USAGE, "keep-joined: --kubelet-cert, --kubelet-ca and "
					    "--kubelet-kubeconfig go together");
	r = node_config_load(node_config, &nc, err, sizeof(err));
	if (r < 0)
		return cli_fail(r == -ENOMEM ? EXIT_SYSTEM : EXIT_USAGE, "%s", err);
	if (!nc->verifier.url[0])
		return cli_fail(EXIT_USAGE, "%s names no verifier", node_config);
	c.url = nc->verifier.url;
	c.ca_pem = nc->verifier.ca;
	(void)gethostname(host, sizeof(host) - 1);
	c.node = nc->hostname[0] ? nc->hostname : host;
	if (!dns_subdomain_is_valid(c.node))
		return cli_fail(EXIT_USAGE, "the node's name '%s' is not a DNS name", c.node);
	snprintf(key, sizeof(key), "%s/node.key", dir);
	snprintf(cert, sizeof(cert), "%s/node.crt", dir);
	snprintf(secrets, sizeof(secrets), "%s/secrets", dir);
	c.key_out = key;
	c.cert_out = cert;
	c.secrets_dir = secrets;
	if (kc.cert_path && nc->kubelet.api_server[0] && nc->kubelet.cluster_ca[0]) {
		kc.api_server = nc->kubelet.api_server;
		kc.cluster_ca = nc->kubelet.cluster_ca;
		c.kubelet = &kc;
	} else if (kc.cert_path)
		fprintf(stderr, "kcc-attest: %s names no kubelet.api-server and kubelet.cluster-ca: "
			"no kubelet credentials are written, so the upstream kubelet (which waits "
			"for them) never starts and this boot is not blessed\n", node_config);
	r = keep_joined(&c);
	return cli_fail(EXIT_USAGE, "keep-joined: %s", strerror(-r));
}

/* The released secrets of a saved result, opened again by this TPM in its current state (what a
 * join does after an affirming result): exit 1 when the TPM refuses them. */
static int cmd_unseal(int argc, char **argv)
{
	_cleanup_free_ char *data = NULL;
	json_object *res;
	char err[400];
	Tpm *t = NULL;
	int r;

	const char *ek_name = argc == 7 && streq(argv[5], "--ek") ? argv[6] : NULL;
	TpmEkType ek;

	if ((argc != 5 && !ek_name) || !streq(argv[1], "--result") ||
	    !streq(argv[3], "--secrets-dir"))
		return cli_fail(EXIT_USAGE, "usage: kcc-attest unseal --result PATH --secrets-dir DIR "
					    "[--ek rsa|ecc]");
	if (ek_name && tpm_ek_type_from_string(ek_name) < 0)
		return cli_fail(EXIT_USAGE, "--ek: rsa or ecc, not '%s'", ek_name);
	r = read_small_file(argv[2], ATTEST_BODY_MAX, &data);
	if (r < 0)
		return cli_fail(EXIT_USAGE, "%s: %s", argv[2], strerror(-r));
	res = json_tokener_parse(data);
	if (!res)
		return cli_fail(EXIT_USAGE, "%s: not JSON", argv[2]);
	r = tpm_open(NULL, &t);
	if (r < 0)
		errorf(err, sizeof(err), r, "cannot open the TPM: %s", tpm_error(t));
	else
		r = join_ek_type(t, ek_name, &ek, err, sizeof(err));
	if (r >= 0)
		r = released_secrets_write(t, ek, res, argv[4], err, sizeof(err));
	tpm_close(t);
	json_object_put(res);
	if (r < 0)
		return cli_fail(r == -EPERM || r == -EBADMSG ? EXIT_REFUSED : EXIT_SYSTEM, "%s", err);
	fprintf(stderr, "kcc-attest: %d released secret(s) in %s\n", r, argv[4]);
	return 0;
}

static int cmd_ek(int argc, char **argv)
{
	TpmAttestKeys k;
	TPM2B_PUBLIC pub;
	uint8_t *der = NULL, *cert = NULL, fp[32];
	size_t n, cert_size = 0;
	char hex[65];
	_cleanup_free_ char *spki = NULL;
	Tpm *t = NULL;
	int r;

	const char *cert_out = NULL, *ek_name = NULL;
	TpmEkType ek;
	char err[300] = "";

	for (int i = 1; i < argc; i += 2) {
		if (i + 1 < argc && streq(argv[i], "--cert"))
			cert_out = argv[i + 1];
		else if (i + 1 < argc && streq(argv[i], "--ek") &&
			 tpm_ek_type_from_string(argv[i + 1]) >= 0)
			ek_name = argv[i + 1];
		else
			return cli_fail(EXIT_USAGE, "usage: kcc-attest ek [--cert PATH] [--ek rsa|ecc]");
	}
	r = tpm_open(NULL, &t);
	if (r >= 0)
		r = join_ek_type(t, ek_name, &ek, err, sizeof(err));
	if (r >= 0)
		r = tpm_attest_keys(t, ek, &k);
	if (r < 0) {
		cli_fail(EXIT_SYSTEM, "%s", err[0] ? err : tpm_error(t));
		tpm_close(t);
		return EXIT_SYSTEM;
	}
	r = tpm_ek_cert_read(t, tpm_ek_cert_index(ek), &cert, &cert_size);
	if (tpm_public_parse(k.ek_pub, k.ek_pub_size, &pub) < 0 ||
	    tpm_public_to_der(&pub, &der, &n) < 0 || pcr_hash(PCR_BANK_SHA256, der, n, fp) < 0 ||
	    !(spki = b64_encode(der, n)))
		r = -EIO;
	tpm_attest_keys_done(t, &k);
	tpm_close(t);
	OPENSSL_free(der);
	if (r >= 0 && cert_out) {
		_cleanup_fclose_ FILE *f = fopen(cert_out, "we");
		if (!f || fwrite(cert, 1, cert_size, f) != cert_size)
			r = -EIO;
	}
	free(cert);
	if (r < 0 && r != -ENOENT)
		return cli_fail(EXIT_SYSTEM, "cannot read the EK or write its certificate");
	hexify(fp, 32, hex);
	printf("{\"ek_sha256\":\"%s\",\"ek_public\":\"%s\",\"certificate\":%s}\n", hex, spki,
	       r == -ENOENT ? "false" : "true");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && streq(argv[1], "join"))
		return cmd_join(argc - 1, argv + 1);
	if (argc >= 2 && streq(argv[1], "keep-joined"))
		return cmd_keep_joined(argc - 1, argv + 1);
	if (argc >= 2 && streq(argv[1], "unseal"))
		return cmd_unseal(argc - 1, argv + 1);
	if (argc >= 2 && streq(argv[1], "ek"))
		return cmd_ek(argc - 1, argv + 1);
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}
