/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the resolver's settings from a DHCP lease's words (a DHCP server on the
 * node's network chooses them; dhcpcd hands them to kcc-dhcp-hook). The input is split into the
 * three words at its first two NUL bytes. Whatever comes in, the text has only "#", "nameserver",
 * "domain" and "search" lines, each a name server an IPv4 address. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "resolv-conf.h"

static void check(const char *text)
{
	for (const char *l = text; *l; l = strchr(l, '\n') + 1) {
		const char *nl = strchr(l, '\n');
		char addr[32];
		struct in_addr a;
		size_t n;

		if (!nl)
			abort(); /* every line ends */
		if (strncmp(l, "nameserver ", 11) == 0) {
			n = (size_t)(nl - l - 11);
			if (n >= sizeof(addr))
				abort();
			memcpy(addr, l + 11, n);
			addr[n] = '\0';
			if (inet_pton(AF_INET, addr, &a) != 1)
				abort();
		} else if (l[0] != '#' && strncmp(l, "domain ", 7) != 0 && strncmp(l, "search ", 7) != 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size + 3), buf[RESOLV_CONF_MAX];
	const char *w[3];
	unsigned dropped;
	int r;

	if (!in)
		return 0;
	memcpy(in, data, size);
	memset(in + size, 0, 3);
	w[0] = in;
	w[1] = w[0] + strlen(w[0]) + 1;
	w[2] = w[1] < in + size + 1 ? w[1] + strlen(w[1]) + 1 : w[1];
	if (w[2] > in + size + 2)
		w[2] = in + size + 2;
	r = resolv_conf_render(&(ResolvConfInput){ .servers = w[0], .domain = w[1], .search = w[2] },
			       buf, sizeof(buf), &dropped);
	if (r >= 0)
		check(buf);
	free(in);
	return 0;
}
