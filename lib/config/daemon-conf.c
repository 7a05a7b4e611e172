/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "daemon-conf.h"

typedef struct Out {
	char *buf;
	size_t size, len;
	bool full;
} Out;

static void put(Out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->size - o->len)
		o->full = true;
	else
		o->len += (size_t)n;
}

static int done(const Out *o)
{
	return o->full ? -ENOBUFS : (int)o->len;
}

int daemon_conf_dhcpcd(const NodeConfig *c, char *buf, size_t size)
{
	Out o = { .buf = buf, .size = size };

	if (c->net.mode != NET_DHCP)
		return -ENOENT;
	put(&o, "# dhcpcd's configuration, generated at boot by kcc-init from the node configuration\n"
		"# (docs/node-config.md) for the sandboxed service dhcpcd.\n"
		"# No hook script: the root has no shell. dhcpcd sets the address, the routes and the\n"
		"# MTU itself, over netlink.\n"
		"script \"\"\n");
	if (c->net.interface[0])
		put(&o, "allowinterfaces %s\n", c->net.interface);
	/* IPv4 only: IPv6 router solicitation needs writes below /proc/sys, which the BPF LSM
	 * refuses to everyone but PID 1. No link-local fallback address. */
	put(&o, "ipv4only\n"
		"noipv4ll\n"
		"# no udev plugin on the root (dhcpcd 9.4.1 crashes without it unless told so)\n"
		"nodev\n"
		"# the client id is the hardware address: no DUID file to keep\n"
		"clientid\n"
		"hostname\n"
		"option classless_static_routes, interface_mtu\n"
		"option domain_name_servers, domain_name, domain_search\n"
		"require dhcp_server_identifier\n");
	return done(&o);
}

int daemon_conf_chrony(const NodeConfig *c, char *buf, size_t size)
{
	Out o = { .buf = buf, .size = size };

	if (c->time.n_servers == 0)
		return -ENOENT;
	put(&o, "# chronyd's configuration, generated at boot by kcc-init from the node configuration\n"
		"# (docs/node-config.md) for the sandboxed service chronyd.\n");
	for (size_t i = 0; i < c->time.n_servers; i++) {
		put(&o, "server %s iburst", c->time.servers[i]);
		if (c->time.ports[i])
			put(&o, " port %u", c->time.ports[i]);
		put(&o, "%s\n", c->time.nts ? " nts" : "");
	}
	put(&o, "# A client only: no NTP port, no command port, no command socket (the node listens\n"
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
	return done(&o);
}
