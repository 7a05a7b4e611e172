/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Network set-up in the system stage: loopback up (the kubelet's healthz, pods on the host
 * network), and one interface with a static address from /etc/kcc/network.conf:
 *   interface = eth0          (default eth0)
 *   address = 10.0.2.15/24
 *   gateway = 10.0.2.2        (optional: the default route)
 *   dhcp = yes                (no address here: the link is brought up for the dhcpcd service,
 *                              which the node configuration started; PID 1 sets the link's
 *                              promote_secondaries, which dhcpcd would write below /proc/sys)
 * No file: loopback only. A malformed file stops the boot; a missing interface is logged. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef struct NetConfig {
	char ifname[16];
	uint32_t address, netmask, gateway; /* network byte order; 0: none */
	bool dhcp;
} NetConfig;

int net_conf_parse(const char *text, NetConfig *ret, char *err, size_t errlen);
int stage_network_run(const char *conf_path);
