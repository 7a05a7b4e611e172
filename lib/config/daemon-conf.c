/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>

#include "daemon-conf.h"
#include "text-buf.h"

int daemon_conf_dhcpcd(const NodeConfig *c, char *buf, size_t size)
{
	TextBuf o = { .buf = buf, .size = size };

	if (c->net.mode != NET_DHCP)
		return -ENOENT;
	text_put(&o, "# dhcpcd's configuration, generated at boot by kcc-init from the node configuration\n"
		"# (docs/node-config.md) for the sandboxed service dhcpcd.\n"
		"# dhcpcd sets the address, the routes and the MTU itself, over netlink. Its hook is\n"
		"# not a shell script (the root has no shell): kcc-dhcp-hook writes the lease's name\n"
		"# servers for the resolver and signals the service's readiness, nothing else.\n"
		"script " DHCPCD_HOOK "\n"
		"# the hook's descriptor for the service's readiness (dhcpcd.conf: ready = fd:3)\n"
		"env READY_FD=3\n");
	if (c->net.interface[0])
		text_put(&o, "allowinterfaces %s\n", c->net.interface);
	/* IPv4 only: IPv6 router solicitation needs writes below /proc/sys, which the BPF LSM
	 * refuses to everyone but PID 1. No link-local fallback address. */
	text_put(&o, "ipv4only\n"
		"noipv4ll\n"
		"# no udev plugin on the root (dhcpcd 9.4.1 crashes without it unless told so)\n"
		"nodev\n"
		"# the client id is the hardware address: no DUID file to keep\n"
		"clientid\n"
		"hostname\n"
		"option classless_static_routes, interface_mtu\n"
		"option domain_name_servers, domain_name, domain_search\n"
		"require dhcp_server_identifier\n");
	return text_done(&o);
}

int daemon_conf_chrony(const NodeConfig *c, char *buf, size_t size)
{
	TextBuf o = { .buf = buf, .size = size };

	if (c->time.n_servers == 0)
		return -ENOENT;
	text_put(&o, "# chronyd's configuration, generated at boot by kcc-init from the node configuration\n"
		"# (docs/node-config.md) for the sandboxed service chronyd.\n");
	/* With NTS, a server's port is its NTS-KE port: the key exchange names the NTP port. */
	for (size_t i = 0; i < c->time.n_servers; i++) {
		text_put(&o, "server %s iburst", c->time.servers[i]);
		if (c->time.ports[i])
			text_put(&o, c->time.nts ? " ntsport %u" : " port %u", c->time.ports[i]);
		text_put(&o, "%s\n", c->time.nts ? " nts" : "");
	}
	if (c->time.nts && c->time.ca[0])
		text_put(&o, "# The NTS-KE servers' certificates are checked against the configured CA only\n"
			"# (the image carries no system trust store).\n"
			"ntstrustedcerts " CHRONY_NTS_CA "\n"
			"nosystemcert\n");
	text_put(&o, "# A client only: no NTP port, no command port, no command socket (the node listens\n"
		"# on no port).\n"
		"port 0\n"
		"cmdport 0\n"
		"bindcmdaddress /\n"
		"# chronyd runs as its service's own uid with CAP_SYS_TIME; it looks its user up all\n"
		"# the same, and drops nothing when it is not root.\n"
		"user root\n"
		"pidfile /run/chronyd/chronyd.pid\n"
		"# Step the clock when it is more than a second off in the first three updates (a\n"
		"# guest's clock at boot), slew afterwards.\n"
		"makestep 1 3\n"
		"# The kernel copies the system time to the RTC every 11 minutes once synchronised.\n"
		"rtcsync\n");
	return text_done(&o);
}
