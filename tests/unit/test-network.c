/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /etc/kcc/network.conf parsing (init/stage-network.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "unit.h"

#include "stage-network.h"

static void test_parse(void **state)
{
	NetConfig c;
	char err[160];

	(void)state;
	assert_int_equal(net_conf_parse("# qemu\n address = 10.0.2.15/24 \ngateway=10.0.2.2\n", &c, err,
					sizeof(err)),
			 0);
	assert_string_equal(c.ifname, "eth0");
	assert_int_equal(c.address, inet_addr("10.0.2.15"));
	assert_int_equal(c.netmask, inet_addr("255.255.255.0"));
	assert_int_equal(c.gateway, inet_addr("10.0.2.2"));
	assert_int_equal(net_conf_parse("interface = ens3\naddress = 192.168.1.9/32\n", &c, err,
					sizeof(err)),
			 0);
	assert_string_equal(c.ifname, "ens3");
	assert_int_equal(c.netmask, 0xffffffffu);
	assert_int_equal(c.gateway, 0);
	assert_int_equal(net_conf_parse("", &c, err, sizeof(err)), 0);
	assert_int_equal(c.address, 0);
	assert_false(c.dhcp);
	assert_int_equal(net_conf_parse("interface = eth1\ndhcp = yes\n", &c, err, sizeof(err)), 0);
	assert_true(c.dhcp);
	assert_string_equal(c.ifname, "eth1");
}

static void test_refuses(void **state)
{
	static const struct {
		const char *text, *reason;
	} bad[] = {
		{ "address = 10.0.2.15\n", "line 1: invalid address" },
		{ "address = 10.0.2.15/33\n", "invalid address" },
		{ "address = 10.0.2/24\n", "invalid address" },
		{ "gateway = 10.0.2.2\n", "a gateway needs an address" },
		{ "dns = 1.1.1.1\n", "line 1: unknown setting 'dns'" },
		{ "\naddress\n", "line 2: expected key = value" },
		{ "interface = a/b\n", "invalid interface" },
		{ "dhcp = maybe\n", "line 1: invalid dhcp" },
		{ "dhcp = yes\naddress = 10.0.2.15/24\n", "dhcp = yes takes no address" },
		{ "interface = averyveryverylongname\n", "invalid interface" },
	};
	NetConfig c;
	char err[160];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(net_conf_parse(bad[i].text, &c, err, sizeof(err)), -EINVAL);
		if (!strstr(err, bad[i].reason))
			fail_msg("'%s': expected '%s', got '%s'", bad[i].text, bad[i].reason, err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_parse),
					    cmocka_unit_test(test_refuses) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
