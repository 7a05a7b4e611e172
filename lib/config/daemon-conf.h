/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The configurations of the network daemons, generated at boot from the node configuration
 * (docs/node-config.md): dhcpcd's for "network": {"mode": "dhcp"} and chronyd's for
 * "time": {"servers": [...]}. kcc-init's config stage writes them into /run/kcc, where the
 * sandboxed services "dhcpcd" and "chronyd" (overlays/common/etc/kcc/services) read them; a
 * service whose file is missing is not started. */
#pragma once

#include <stddef.h>

#include "node-config.h"

#define DHCPCD_CONF "/run/kcc/dhcpcd.conf"
#define CHRONY_CONF "/run/kcc/chrony.conf"
#define CHRONY_NTS_CA "/run/kcc/nts-ca.pem" /* time.ca, with time.nts */
/* dhcpcd's hook (init/dhcp-hook.c) */
#define DHCPCD_HOOK "/usr/lib/kcc/kcc-dhcp-hook"

/* Write the text into buf (size bytes). Return its length, -ENOENT when the configuration asks
 * for no such daemon (a static network; no time servers), -ENOBUFS when buf is too small. */
int daemon_conf_dhcpcd(const NodeConfig *c, char *buf, size_t size);
int daemon_conf_chrony(const NodeConfig *c, char *buf, size_t size);
