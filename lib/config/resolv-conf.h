/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The resolver's configuration (docs/node-config.md, "DNS"): the image's /etc/resolv.conf is a
 * link to RESOLV_CONF, which kcc-init's config stage writes from a static "network.dns" and the
 * DHCP client's hook (kcc-dhcp-hook) writes from a lease. The text is made here, from strings that
 * may come off the network: each name server must be an IPv4 address, each domain a DNS name;
 * anything else is left out and counted, never copied into the file. */
#pragma once

#include <stddef.h>

#define RESOLV_DIR "/run/dns"
#define RESOLV_CONF RESOLV_DIR "/resolv.conf"
#define RESOLV_NS_MAX 3 /* the resolver's MAXNS */
#define RESOLV_SEARCH_MAX 6
/* a buffer that holds the longest text the limits let through (3 addresses, a domain and six
 * search names of 253 bytes each, the comment lines) */
#define RESOLV_CONF_MAX 4096

typedef struct ResolvConfInput {
	const char *servers; /* IPv4 addresses separated by spaces (dhcpcd's $new_domain_name_servers) */
	const char *domain;  /* a DNS name or NULL */
	const char *search;  /* DNS names separated by spaces, or NULL */
	const char *origin;  /* the comment line's source, e.g. "DHCP on eth0" */
} ResolvConfInput;

/* Writes the text into buf (size bytes). Returns its length; -ENOENT when no valid name server is
 * left (nothing to write), -ENOBUFS when buf is too small. *dropped (optional) counts the words
 * left out: invalid addresses or names, and those past the resolver's limits. */
int resolv_conf_render(const ResolvConfInput *in, char *buf, size_t size, unsigned *dropped);
