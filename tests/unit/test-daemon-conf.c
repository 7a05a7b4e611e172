/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/config/daemon-conf.c: dhcpcd's and chronyd's configurations from the node configuration. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "daemon-conf.h"
#include "node-config.h"
#include "util.h"

static NodeConfig *parse(const char *json)
{
	NodeConfig *c = malloc(sizeof(*c));
	char err[512];

	assert_non_null(c);
	assert_int_equal(node_config_parse(json, strlen(json), c, err, sizeof(err)), 0);
	return c;
}

/* time.servers with NTS and the CA of tests/unit/data */
static NodeConfig *parse_nts_ca(void)
{
	char *pem = NULL, *json;
	NodeConfig *c;

	assert_true(read_small_file("tests/unit/data/node-config-ca.pem", NC_PEM_MAX, &pem) >= 0);
	/* JSON-escape the newlines */
	json = malloc(2 * strlen(pem) + 200);
	assert_non_null(json);
	strcpy(json, "{\"version\": 1, \"time\": {\"servers\": [\"10.0.2.2:4461\"], \"nts\": true, \"ca\": \"");
	for (char *p = pem, *o = json + strlen(json); *p; p++) {
		if (*p == '\n') {
			*o++ = '\\';
			*o++ = 'n';
		} else
			*o++ = *p;
		*o = '\0';
	}
	strcat(json, "\"}}");
	c = parse(json);
	free(json);
	free(pem);
	return c;
}

/* Every line of want is a whole line of text. */
static void has_line(const char *text, const char *want)
{
	char needle[300];

	snprintf(needle, sizeof(needle), "\n%s\n", want);
	if (!strstr(text, needle)) {
		print_error("no line '%s' in:\n%s", want, text);
		fail();
	}
}

static void test_dhcpcd(void **state)
{
	NodeConfig *c = parse("{\"version\": 1, \"network\": {\"mode\": \"dhcp\", \"interface\": \"ens3\"}}");
	char buf[2048];

	(void)state;
	assert_true(daemon_conf_dhcpcd(c, buf, sizeof(buf)) > 0);
	has_line(buf, "script /usr/lib/kcc/kcc-dhcp-hook");
	has_line(buf, "env READY_FD=3");
	has_line(buf, "allowinterfaces ens3");
	has_line(buf, "ipv4only");
	has_line(buf, "noipv4ll");
	has_line(buf, "nodev");
	has_line(buf, "clientid");
	/* too small: refused, never cut */
	assert_int_equal(daemon_conf_dhcpcd(c, buf, 40), -ENOBUFS);
	free(c);
	/* DHCP is the default, on whatever link dhcpcd finds */
	c = parse("{\"version\": 1}");
	assert_true(daemon_conf_dhcpcd(c, buf, sizeof(buf)) > 0);
	assert_null(strstr(buf, "allowinterfaces"));
	free(c);
	c = parse("{\"version\": 1, \"network\": {\"mode\": \"static\", \"address\": \"10.0.2.15/24\"}}");
	assert_int_equal(daemon_conf_dhcpcd(c, buf, sizeof(buf)), -ENOENT);
	free(c);
}

static void test_chrony(void **state)
{
	NodeConfig *c = parse("{\"version\": 1, \"time\": {\"servers\": [\"10.0.2.2:11123\", "
			      "\"time.example\"]}}");
	char buf[2048];

	(void)state;
	assert_true(daemon_conf_chrony(c, buf, sizeof(buf)) > 0);
	has_line(buf, "server 10.0.2.2 iburst port 11123");
	has_line(buf, "server time.example iburst");
	has_line(buf, "port 0");
	has_line(buf, "cmdport 0");
	has_line(buf, "bindcmdaddress /");
	has_line(buf, "rtcsync");
	assert_null(strstr(buf, " nts"));
	assert_int_equal(daemon_conf_chrony(c, buf, 100), -ENOBUFS);
	free(c);
	c = parse("{\"version\": 1, \"time\": {\"servers\": [\"time.example\"], \"nts\": true}}");
	assert_true(daemon_conf_chrony(c, buf, sizeof(buf)) > 0);
	has_line(buf, "server time.example iburst nts");
	/* no CA: GnuTLS's system trust store, which the image does not carry */
	assert_null(strstr(buf, "ntstrustedcerts"));
	free(c);
	/* NTS with the configuration's CA; a server's port is its NTS-KE port */
	c = parse_nts_ca();
	assert_true(daemon_conf_chrony(c, buf, sizeof(buf)) > 0);
	has_line(buf, "server 10.0.2.2 iburst ntsport 4461 nts");
	has_line(buf, "ntstrustedcerts /run/kcc/nts-ca.pem");
	has_line(buf, "nosystemcert");
	assert_null(strstr(buf, " port 4461"));
	free(c);
	/* no servers: no time service */
	c = parse("{\"version\": 1, \"time\": {\"servers\": []}}");
	assert_int_equal(daemon_conf_chrony(c, buf, sizeof(buf)), -ENOENT);
	free(c);
	c = parse("{\"version\": 1}");
	assert_int_equal(daemon_conf_chrony(c, buf, sizeof(buf)), -ENOENT);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dhcpcd),
		cmocka_unit_test(test_chrony),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
