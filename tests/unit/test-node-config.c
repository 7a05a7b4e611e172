/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/config: the node configuration's schema, its sources (fw_cfg, SMBIOS type 11, a partition). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

#include "node-config.h"
#include "source.h"
#include "util.h"

#define GOOD "tests/unit/data/node-config-good.json"

static char *slurp(const char *path, size_t *len)
{
	char *s = NULL;

	assert_true(read_small_file(path, NODE_CONFIG_MAX, &s) >= 0);
	*len = strlen(s);
	return s;
}

static void test_good(void **state)
{
	NodeConfig *c = malloc(sizeof(*c));
	char err[512];
	size_t len;
	char *s = slurp(GOOD, &len);

	(void)state;
	assert_int_equal(node_config_parse(s, len, c, err, sizeof(err)), 0);
	assert_string_equal(c->hostname, "node-1.example");
	assert_int_equal(c->net.mode, NET_STATIC);
	assert_string_equal(c->net.interface, "eth0");
	assert_int_equal(c->net.address, inet_addr("10.0.2.15"));
	assert_int_equal(c->net.netmask, inet_addr("255.255.255.0"));
	assert_int_equal(c->net.gateway, inet_addr("10.0.2.2"));
	assert_int_equal(c->net.n_dns, 1);
	assert_int_equal(c->time.n_servers, 2);
	assert_true(c->time.nts);
	assert_non_null(strstr(c->time.ca, "BEGIN CERTIFICATE"));
	assert_string_equal(c->verifier.url, "https://verifier.example:8443/v1");
	assert_non_null(strstr(c->verifier.ca, "BEGIN CERTIFICATE"));
	assert_string_equal(c->update.fleetlock_group, "workers");
	assert_non_null(strstr(c->update.ca, "BEGIN CERTIFICATE"));
	assert_string_equal(c->siem.host, "siem.example");
	assert_int_equal(c->siem.port, 6514);
	assert_int_equal(c->kubelet.n_labels, 2);
	assert_int_equal(c->kubelet.max_pods, 50);
	free(s);
	free(c);
}

/* update.status-port: the read-only status endpoint's port (absent: 0, no endpoint); update.poll-seconds. */
static void test_status_port(void **state)
{
	static const char doc[] = "{\"version\": 1, \"update\": {\"url\": \"http://u.example/\", \"status-port\": 8090, "
				  "\"poll-seconds\": 10}}";
	NodeConfig *c = malloc(sizeof(*c));
	char err[512];

	(void)state;
	assert_int_equal(node_config_parse(doc, strlen(doc), c, err, sizeof(err)), 0);
	assert_int_equal(c->update.status_port, 8090);
	assert_int_equal(c->update.poll_seconds, 10);
	free(c);
}

static void test_minimal(void **state)
{
	NodeConfig *c = malloc(sizeof(*c));
	char err[256];
	const char *s = " {\"version\": 1}\n";

	(void)state;
	assert_int_equal(node_config_parse(s, strlen(s), c, err, sizeof(err)), 0);
	assert_int_equal(c->net.mode, NET_DHCP);
	assert_string_equal(c->hostname, "");
	assert_int_equal(c->state.rotate_days, 0);
	s = "{\"version\": 1, \"state\": {\"rotate-days\": 90}}";
	assert_int_equal(node_config_parse(s, strlen(s), c, err, sizeof(err)), 0);
	assert_int_equal(c->state.rotate_days, 90);
	assert_int_equal(c->state.reencrypt_seconds, 0);
	s = "{\"version\": 1, \"state\": {\"reencrypt-seconds\": 2}}";
	assert_int_equal(node_config_parse(s, strlen(s), c, err, sizeof(err)), 0);
	assert_int_equal(c->state.reencrypt_seconds, 2);
	free(c);
}

/* Each bad input with the one line it must give. */
static void test_errors(void **state)
{
	static const struct {
		const char *json, *line;
	} cases[] = {
		{ "", "config: .: not JSON" },
		{ "[1]", "config: .: must be a JSON object" },
		{ "{\"version\": 1} x", "config: .: not JSON" },
		{ "{\"version\": 1} {}", "config: .: not JSON" },
		{ "{}", "config: .version: missing" },
		{ "{\"version\": 2}", "config: .version: this node reads version 1" },
		{ "{\"version\": \"1\"}", "config: .version: must be an integer, not a string" },
		{ "{\"version\": 1, \"hostnam\": \"x\"}", "config: .hostnam: unknown member" },
		{ "{\"version\": 1, \"hostname\": \"Node_1\"}", "config: .hostname: not a host name" },
		{ "{\"version\": 1, \"hostname\": \"-a\"}", "config: .hostname: not a host name" },
		{ "{\"version\": 1, \"network\": {}}", "config: .network.mode: missing" },
		{ "{\"version\": 1, \"network\": {\"mode\": \"ppp\"}}",
		  "config: .network.mode: must be \"dhcp\" or \"static\"" },
		{ "{\"version\": 1, \"network\": {\"mode\": \"static\"}}",
		  "config: .network.address: missing (mode static needs an address)" },
		{ "{\"version\": 1, \"network\": {\"mode\": \"static\", \"address\": \"10.0.2.15\"}}",
		  "config: .network.address: must be ADDRESS/PREFIX" },
		{ "{\"version\": 1, \"network\": {\"mode\": \"static\", \"address\": \"10.0.2.15/33\"}}",
		  "config: .network.address: must be ADDRESS/PREFIX" },
		{ "{\"version\": 1, \"network\": {\"mode\": \"dhcp\", \"gateway\": \"10.0.2.2\"}}",
		  "config: .network: address, gateway and dns are for mode static" },
		{ "{\"version\": 1, \"network\": {\"mode\": \"static\", \"address\": \"1.2.3.4/8\", "
		  "\"dns\": [\"1.1.1.1\", 7]}}",
		  "config: .network.dns[1]: not an IPv4 address" },
		{ "{\"version\": 1, \"network\": {\"mode\": \"static\", \"address\": \"1.2.3.4/8\", "
		  "\"dns\": [\"0.0.0.0\"]}}",
		  "config: .network.dns[0]: not a name server's address" },
		{ "{\"version\": 1, \"time\": {\"servers\": [\"10.0.2.2\"], \"ca\": \"x\"}}",
		  "config: .time: ca is the NTS-KE servers' CA: it needs \"nts\": true" },
		{ "{\"version\": 1, \"network\": {\"mode\": \"dhcp\", \"interface\": \"../x\"}}",
		  "config: .network.interface: not an interface name" },
		{ "{\"version\": 1, \"time\": {\"servers\": [\"a b\"]}}",
		  "config: .time.servers[0]: not a host name or IPv4 address (with an optional :PORT)" },
		{ "{\"version\": 1, \"time\": {\"servers\": [\"10.0.2.2:0\"]}}",
		  "config: .time.servers[0]: the port must be 1 to 65535" },
		{ "{\"version\": 1, \"verifier\": {\"url\": \"http://v.example\", \"ca\": \"x\"}}",
		  "config: .verifier.url: must start with https://" },
		{ "{\"version\": 1, \"verifier\": {\"url\": \"https://v.example\", \"ca\": \"x\"}}",
		  "config: .verifier.ca: no PEM certificate" },
		{ "{\"version\": 1, \"verifier\": {\"url\": \"https://v.example:0\"}}",
		  "config: .verifier.url: no valid host[:port] after the scheme" },
		{ "{\"version\": 1, \"verifier\": {\"url\": \"https://v.example/a b\"}}",
		  "config: .verifier.url: the path has a character a URL cannot have" },
		{ "{\"version\": 1, \"verifier\": {\"url\": \"https://v.example\"}}",
		  "config: .verifier.ca: missing" },
		{ "{\"version\": 1, \"update\": {\"url\": \"ftp://u.example\"}}",
		  "config: .update.url: must start with https:// or http://" },
		{ "{\"version\": 1, \"update\": {\"url\": \"http://u.example/\", \"status-port\": 1023}}",
		  "config: .update.status-port: must be 1024 to 65535" },
		{ "{\"version\": 1, \"update\": {\"url\": \"http://u.example/\", \"status-port\": 65536}}",
		  "config: .update.status-port: must be 1024 to 65535" },
		{ "{\"version\": 1, \"update\": {\"url\": \"http://u.example/\", \"poll-seconds\": 9}}",
		  "config: .update.poll-seconds: must be 10 to 86400" },
		{ "{\"version\": 1, \"siem\": {\"destination\": \"siem.example\"}}",
		  "config: .siem.destination: must be HOST:PORT" },
		{ "{\"version\": 1, \"kubelet\": {\"max-pods\": 0}}",
		  "config: .kubelet.max-pods: must be 1 to 250" },
		{ "{\"version\": 1, \"state\": {\"rotate-days\": 0}}",
		  "config: .state.rotate-days: must be 1 to 3650" },
		{ "{\"version\": 1, \"state\": {\"reencrypt-seconds\": 0}}",
		  "config: .state.reencrypt-seconds: must be 1 to 3600" },
		{ "{\"version\": 1, \"state\": {\"reencrypt-seconds\": 3601}}",
		  "config: .state.reencrypt-seconds: must be 1 to 3600" },
		{ "{\"version\": 1, \"state\": {\"rotate-days\": \"30\"}}",
		  "config: .state.rotate-days: must be an integer, not a string" },
		{ "{\"version\": 1, \"state\": {\"rotate\": 30}}",
		  "config: .state.rotate: unknown member" },
		{ "{\"version\": 1, \"kubelet\": {\"node-labels\": {\"-x\": \"y\"}}}",
		  "config: .kubelet.node-labels.-x: not a label key" },
		{ "{\"version\": 1, \"kubelet\": {\"node-labels\": {\"x\": 1}}}",
		  "config: .kubelet.node-labels.x: not a label value" },
		{ "{\"version\": 1, \"kubelet\": {\"api-server\": \"https://a.example\"}}",
		  "config: .kubelet: api-server and cluster-ca go together" },
		{ "{\"version\": 1, \"hostname\": \"a\\u0001\"}",
		  "config: .hostname: contains a control character" },
		{ "{\"version\": 1, \"hostname\": \"a\\u0000b\"}",
		  "config: .hostname: contains a NUL character" },
	};
	NodeConfig *c = malloc(sizeof(*c));
	char err[1024];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int r = node_config_parse(cases[i].json, strlen(cases[i].json), c, err, sizeof(err));
		if (r != -EINVAL || !strstr(err, cases[i].line))
			fail_msg("case %zu (%s): r=%d, got '%s', want '%s'", i, cases[i].json, r, err,
				 cases[i].line);
		/* Nothing of a refused configuration is kept. */
		assert_string_equal(c->hostname, "");
	}
	free(c);
}

/* All errors are reported, one line each, not just the first. */
static void test_all_errors(void **state)
{
	NodeConfig *c = malloc(sizeof(*c));
	char err[1024];
	const char *s = "{\"version\": 3, \"hostname\": \"A\", \"x\": 1, \"siem\": {}}";
	unsigned lines = 0;

	(void)state;
	assert_int_equal(node_config_parse(s, strlen(s), c, err, sizeof(err)), -EINVAL);
	for (const char *p = err; (p = strchr(p, '\n')); p++)
		lines++;
	assert_int_equal(lines, 5); /* version, hostname, x, siem.destination, siem.ca */
	free(c);
}

static void test_too_big(void **state)
{
	NodeConfig *c = malloc(sizeof(*c));
	char *s = malloc(NODE_CONFIG_MAX + 2), err[256];

	(void)state;
	memset(s, ' ', NODE_CONFIG_MAX + 1);
	s[NODE_CONFIG_MAX + 1] = '\0';
	assert_int_equal(node_config_parse(s, NODE_CONFIG_MAX + 1, c, err, sizeof(err)), -E2BIG);
	free(s);
	free(c);
}

/* The good document without a member (json-c), parsed: it is valid on its own. */
static void parse_without(const char *member, NodeConfig *c)
{
	size_t len;
	char *s = slurp(GOOD, &len), err[1024];
	json_object *root = json_tokener_parse(s);
	const char *text;

	assert_non_null(root);
	json_object_object_del(root, member);
	text = json_object_to_json_string(root);
	assert_int_equal(node_config_parse(text, strlen(text), c, err, sizeof(err)), 0);
	json_object_put(root);
	free(s);
}

/* An upstream-mode image: a node that joins needs kubelet.api-server, else its kubelet would
 * wait forever for the kubeconfig the join writes from it; one line names the field. */
static void test_upstream(void **state)
{
	NodeConfig *c = malloc(sizeof(*c));
	char err[1024];

	(void)state;
	parse_without("siem", c); /* everything, kubelet included */
	assert_int_equal(node_config_check_upstream(c, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	parse_without("kubelet", c);
	assert_int_equal(node_config_check_upstream(c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "config: .kubelet.api-server: required on an upstream-mode image"));
	assert_ptr_equal(strchr(err, '\n'), err + strlen(err) - 1); /* one line */
	/* without a verifier the kubelet is not started at all (its condition): nothing waits */
	parse_without("verifier", c);
	c->kubelet.api_server[0] = '\0';
	assert_int_equal(node_config_check_upstream(c, err, sizeof(err)), 0);
	free(c);
}

static void write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/* An SMBIOS type 11 structure with the given strings. */
static size_t smbios11(uint8_t *buf, const char *const *strings, unsigned n)
{
	size_t off = 5;

	buf[0] = 11;
	buf[1] = 5;
	buf[2] = 0x2a;
	buf[3] = 0;
	buf[4] = (uint8_t)n;
	for (unsigned i = 0; i < n; i++) {
		size_t l = strlen(strings[i]) + 1;
		memcpy(buf + off, strings[i], l);
		off += l;
	}
	buf[off++] = '\0';
	return off;
}

static void test_smbios(void **state)
{
	const char *const strings[] = { "io.systemd.credential:x=y",
					SMBIOS_CONFIG_KEY "eyJ2ZXJzaW9uIjogMX0=" };
	uint8_t buf[256];
	const char *v;
	size_t n;

	(void)state;
	n = smbios11(buf, strings, 2);
	assert_int_equal(smbios11_find(buf, n, SMBIOS_CONFIG_KEY, &v), 1);
	assert_string_equal(v, "eyJ2ZXJzaW9uIjogMX0=");
	assert_int_equal(smbios11_find(buf, n, "nope=", &v), 0);
	/* Malformed: another type, a count past the end, a header length past the end. */
	buf[0] = 1;
	assert_int_equal(smbios11_find(buf, n, SMBIOS_CONFIG_KEY, &v), -EBADMSG);
	buf[0] = 11;
	buf[4] = 9;
	assert_int_equal(smbios11_find(buf, n - 1, "zzz", &v), -EBADMSG);
	buf[4] = 2;
	buf[1] = 200;
	assert_int_equal(smbios11_find(buf, n, SMBIOS_CONFIG_KEY, &v), -EBADMSG);
}

static void test_sources(void **state)
{
	char dir[] = "/tmp/kcc-nc-XXXXXX", fw[128], dmi[128], e[160], *data = NULL;
	const char *const good[] = { SMBIOS_CONFIG_KEY "eyJ2ZXJzaW9uIjogMX0=" };
	const char *const bad[] = { SMBIOS_CONFIG_KEY "eyJ2Z$$$" };
	ConfigSource src = CONFIG_NONE;
	uint8_t buf[256];
	size_t len;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(fw, sizeof(fw), "%s/fw_cfg", dir);
	snprintf(dmi, sizeof(dmi), "%s/dmi", dir);
	/* Neither: no configuration, not an error. */
	assert_int_equal(node_config_read_firmware(fw, dmi, &data, &len, &src), 0);
	/* SMBIOS only. */
	snprintf(e, sizeof(e), "%s/11-0", dmi);
	assert_int_equal(mkdir_p(e, 0755), 0);
	snprintf(e, sizeof(e), "%s/11-0/raw", dmi);
	write_file(e, buf, smbios11(buf, good, 1));
	assert_int_equal(node_config_read_firmware(fw, dmi, &data, &len, &src), 1);
	assert_int_equal(src, CONFIG_SMBIOS);
	assert_string_equal(data, "{\"version\": 1}");
	assert_int_equal(len, 14);
	free(data);
	/* fw_cfg wins over SMBIOS. */
	write_file(fw, "{\"version\":1}", 13);
	assert_int_equal(node_config_read_firmware(fw, dmi, &data, &len, &src), 1);
	assert_int_equal(src, CONFIG_FW_CFG);
	assert_int_equal(len, 13);
	free(data);
	unlink(fw);
	/* Not base64. */
	write_file(e, buf, smbios11(buf, bad, 1));
	assert_int_equal(node_config_read_firmware(fw, dmi, &data, &len, &src), -EBADMSG);
	/* A partition: the JSON up to the first NUL; an all-NUL partition has none. */
	{
		char *part = calloc(1, 128 * 1024);
		memcpy(part, "{\"version\":1}", 13);
		write_file(fw, part, 128 * 1024);
		assert_int_equal(node_config_read_partition(fw, &data, &len), 1);
		assert_int_equal(len, 13);
		free(data);
		memset(part, 0, 13);
		write_file(fw, part, 128 * 1024);
		assert_int_equal(node_config_read_partition(fw, &data, &len), 0);
		memset(part, 'x', 128 * 1024);
		write_file(fw, part, 128 * 1024);
		assert_int_equal(node_config_read_partition(fw, &data, &len), -E2BIG);
		free(part);
	}
	/* Too big in fw_cfg. */
	{
		char *big = malloc(NODE_CONFIG_MAX + 1);
		memset(big, ' ', NODE_CONFIG_MAX + 1);
		write_file(fw, big, NODE_CONFIG_MAX + 1);
		assert_int_equal(node_config_read_firmware(fw, dmi, &data, &len, &src), -E2BIG);
		free(big);
	}
	unlink(fw);
	unlink(e);
	snprintf(e, sizeof(e), "%s/11-0", dmi);
	rmdir(e);
	rmdir(dmi);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_status_port),
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_errors),	    cmocka_unit_test(test_all_errors),
		cmocka_unit_test(test_too_big),	    cmocka_unit_test(test_smbios),
		cmocka_unit_test(test_sources),
		cmocka_unit_test(test_upstream),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
