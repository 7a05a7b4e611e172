/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/config/resolv-conf.c: the resolver's settings from a lease's (or the configuration's)
 * words, which may come off the network. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "unit.h"

#include "resolv-conf.h"

static int render(const char *servers, const char *domain, const char *search, char *buf,
		  size_t size, unsigned *dropped)
{
	return resolv_conf_render(&(ResolvConfInput){ .servers = servers, .domain = domain,
						      .search = search, .origin = "DHCP on eth0" },
				  buf, size, dropped);
}

static void test_lease(void **state)
{
	char buf[1024];
	unsigned dropped = 99;

	(void)state;
	assert_true(render("10.0.2.3  192.168.1.1", "Example.ORG.", "a.example b-c.example", buf,
			   sizeof(buf), &dropped) > 0);
	assert_int_equal(dropped, 0);
	assert_string_equal(buf, "# The resolver's configuration, written by kcc-node from DHCP on eth0\n"
				 "# (docs/node-config.md, \"DNS\").\n"
				 "nameserver 10.0.2.3\n"
				 "nameserver 192.168.1.1\n"
				 "domain example.org\n"
				 "search a.example b-c.example\n");
}

/* Words that are not addresses or names never reach the file: each is counted. */
static void test_hostile_words(void **state)
{
	static const char *const bad_servers[] = {
		"1", "0x7f.0.0.1", "010.0.0.1x", "10.0.2.3\noptions", "::1",
		"0.0.0.0", "255.255.255.255", "10.0.2.3;options", "1.2.3.4.5", "",
	};
	char buf[1024];
	unsigned dropped;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_servers) / sizeof(*bad_servers); i++) {
		dropped = 0;
		int r = render(bad_servers[i], NULL, NULL, buf, sizeof(buf), &dropped);
		assert_int_equal(r, -ENOENT);
		assert_int_equal(dropped, bad_servers[i][0] ? 1u : 0u);
	}
	/* a domain or search word with a newline, an option, a label too long, an underscore */
	dropped = 0;
	assert_true(render("10.0.2.3", "x;options\nndots:15", "ok.example options\tbad_name "
			   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example",
			   buf, sizeof(buf), &dropped) > 0);
	assert_null(strstr(buf, "ndots"));
	assert_null(strstr(buf, "bad_name"));
	assert_non_null(strstr(buf, "\nsearch ok.example\n"));
	assert_int_equal(dropped, 3);
	/* a second domain word */
	assert_true(render("10.0.2.3", "a.example b.example", NULL, buf, sizeof(buf), &dropped) > 0);
	assert_non_null(strstr(buf, "\ndomain a.example\n"));
	assert_int_equal(dropped, 1);
}

/* The resolver's limits: three name servers, six search domains; the rest is counted. */
static void test_limits(void **state)
{
	char buf[1024], many[2048], word[300];
	unsigned dropped;

	(void)state;
	assert_true(render("1.1.1.1 2.2.2.2 3.3.3.3 4.4.4.4", NULL, "a b c d e f g h", buf, sizeof(buf),
			   &dropped) > 0);
	assert_null(strstr(buf, "4.4.4.4"));
	assert_non_null(strstr(buf, "\nsearch a b c d e f\n"));
	assert_int_equal(dropped, 3);
	/* a word longer than any name */
	memset(word, 'a', sizeof(word) - 1);
	word[sizeof(word) - 1] = '\0';
	snprintf(many, sizeof(many), "%s 10.0.2.3", word);
	assert_true(render(many, word, word, buf, sizeof(buf), &dropped) > 0);
	assert_int_equal(dropped, 3);
	/* the longest text the limits let through fits RESOLV_CONF_MAX */
	{
		char big[RESOLV_CONF_MAX], name[254], search[7 * 255] = "";
		for (size_t i = 0; i < 253; i++)
			name[i] = i % 64 == 63 ? '.' : 'a';
		name[253] = '\0';
		for (int i = 0; i < 6; i++)
			strcat(strcat(search, i ? " " : ""), name);
		assert_true(render("255.255.255.254 255.255.255.253 255.255.255.252", name, search,
				   big, sizeof(big), &dropped) > 0);
		assert_int_equal(dropped, 0);
	}
	/* too small a buffer: refused, never cut */
	assert_int_equal(render("10.0.2.3", NULL, NULL, buf, 40, NULL), -ENOBUFS);
	assert_int_equal(render(NULL, NULL, NULL, buf, sizeof(buf), NULL), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lease),
		cmocka_unit_test(test_hostile_words),
		cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
