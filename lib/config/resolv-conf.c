/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "dns-name.h"
#include "resolv-conf.h"
#include "text-buf.h"

#define WORD_MAX 254 /* a DNS name of 253 bytes, or an address */

/* The next space-separated word of *p into word; false at the end. Only a space separates (dhcpcd
 * joins a list with spaces): a word with a newline or a tab in it fails every check. A word too
 * long for a name comes back empty, so that it fails every check too. */
static bool next_word(const char **p, char word[WORD_MAX])
{
	const char *s = *p;
	size_t n;

	s += strspn(s, " ");
	if (!*s)
		return false;
	n = strcspn(s, " ");
	if (n < WORD_MAX) {
		memcpy(word, s, n);
		word[n] = '\0';
	} else
		word[0] = '\0';
	*p = s + n;
	return true;
}

/* A name from a DHCP server may be in capitals and end with the root's dot; the file gets it in
 * lower case without the dot, or not at all. */
static bool dns_name_normalise(char *s)
{
	size_t n = strlen(s);

	if (n > 0 && s[n - 1] == '.')
		s[--n] = '\0';
	for (char *c = s; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	return dns_subdomain_is_valid(s);
}

int resolv_conf_render(const ResolvConfInput *in, char *buf, size_t size, unsigned *dropped)
{
	TextBuf o = { .buf = buf, .size = size };
	char word[WORD_MAX], addr[INET_ADDRSTRLEN];
	unsigned n_ns = 0, n_search = 0, n_dom, bad = 0;
	struct in_addr a;
	const char *p;

	if (size == 0)
		return -ENOBUFS;
	buf[0] = '\0';
	text_put(&o, "# The resolver's configuration, written by kcc-node from %s\n"
		"# (docs/node-config.md, \"DNS\").\n", in->origin ? in->origin : "the node configuration");
	for (p = in->servers ? in->servers : ""; next_word(&p, word);) {
		/* inet_pton takes only the dotted quad: no "1", no "0x7f.1", no trailing text */
		if (inet_pton(AF_INET, word, &a) != 1 || a.s_addr == INADDR_ANY ||
		    a.s_addr == INADDR_BROADCAST || n_ns == RESOLV_NS_MAX) {
			bad++;
			continue;
		}
		text_put(&o, "nameserver %s\n", inet_ntop(AF_INET, &a, addr, sizeof(addr)));
		n_ns++;
	}
	if (n_ns == 0) {
		if (dropped)
			*dropped = bad;
		return -ENOENT;
	}
	/* one domain; a second word is left out like a bad one */
	for (p = in->domain ? in->domain : "", n_dom = 0; next_word(&p, word);) {
		if (!dns_name_normalise(word) || n_dom++ > 0) {
			bad++;
			continue;
		}
		text_put(&o, "domain %s\n", word);
	}
	for (p = in->search ? in->search : ""; next_word(&p, word);) {
		if (!dns_name_normalise(word) || n_search == RESOLV_SEARCH_MAX) {
			bad++;
			continue;
		}
		text_put(&o, "%s%s", n_search++ ? " " : "search ", word);
	}
	if (n_search)
		text_put(&o, "\n");
	if (dropped)
		*dropped = bad;
	return text_done(&o);
}
