/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-dhcp-hook: the DHCP client's hook (dhcpcd's "script", run in the dhcpcd service's sandbox as
 * its uid). There is no shell on the root, so this does the two jobs a lease has for the rest of
 * the node:
 * - the resolver: writes the lease's name servers into RESOLV_CONF, which the image's
 *   /etc/resolv.conf links to, and removes the file when the lease is gone (dhcpcd's 20-resolv.conf
 *   hook elsewhere);
 * - readiness: the first time the link is up with a lease, a newline on the descriptor named by
 *   $READY_FD (the dhcpcd service's "ready = fd:N"), so that services "after = dhcpcd" (chronyd,
 *   whose NTS key exchange is not retried for minutes after a first failure) start once the node
 *   has an address. Later leases write again: kcc-init has closed its end by then (EPIPE, ignored).
 * dhcpcd passes the lease in its environment ($reason, $interface, $if_up, $if_down,
 * $new_domain_name_servers, $new_domain_name, $new_domain_search; $READY_FD from its "env" line);
 * a DHCP server's words reach the file only if they are IPv4 addresses and DNS names
 * (resolv-conf.h).
 * Exit codes: 0 done (or nothing to do), 100 not run by dhcpcd, 111 the file cannot be written. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "resolv-conf.h"
#include "util.h"

/* The newline of readiness, if the service asked for one. */
static void signal_ready(void)
{
	const char *v = getenv("READY_FD");
	unsigned long fd;

	if (!v || parse_uint(v, 3, 99, &fd) < 0)
		return;
	(void)signal(SIGPIPE, SIG_IGN);
	(void)!write((int)fd, "\n", 1);
}

static bool is_true(const char *name)
{
	const char *v = getenv(name);
	return v && streq(v, "true");
}

/* The link is up with a lease: its name servers for the resolver. Returns the exit code. */
static int lease_up(const char *reason, const char *ifname)
{
	char text[RESOLV_CONF_MAX], origin[64];
	unsigned dropped = 0;
	int r;

	snprintf(origin, sizeof(origin), "DHCP on %.16s", ifname);
	r = resolv_conf_render(&(ResolvConfInput){ .servers = getenv("new_domain_name_servers"),
						   .domain = getenv("new_domain_name"),
						   .search = getenv("new_domain_search"),
						   .origin = origin },
			       text, sizeof(text), &dropped);
	if (dropped)
		fprintf(stderr, "kcc-dhcp-hook: %.16s: left out %u word%s of the lease's DNS "
			"options that are not IPv4 addresses or DNS names, or past the "
			"resolver's limits\n", ifname, dropped, dropped == 1 ? "" : "s");
	if (r == -ENOENT) {
		/* a lease without name servers: no resolver settings rather than old ones */
		if (unlink(RESOLV_CONF) < 0 && errno != ENOENT)
			return cli_fail(111, "cannot remove %s: %m", RESOLV_CONF);
		fprintf(stderr, "kcc-dhcp-hook: %.16s: the lease names no name server (%s)\n",
			ifname, reason);
		return 0;
	}
	/* RESOLV_CONF_MAX holds the most the resolver's limits let through */
	if (r < 0)
		return cli_fail(111, "%.16s: the resolver's settings do not fit", ifname);
	r = replace_file_durably(RESOLV_CONF, text, (size_t)r, 0644);
	if (r < 0) {
		errno = -r;
		return cli_fail(111, "cannot write %s: %m", RESOLV_CONF);
	}
	/* what the file says, not the lease's raw words: those are the network's */
	fprintf(stderr, "kcc-dhcp-hook: %.16s: %s written (%s):", ifname, RESOLV_CONF, reason);
	for (const char *l = strstr(text, "\nnameserver "); l; l = strstr(l + 1, "\nnameserver "))
		fprintf(stderr, " %.*s", (int)strcspn(l + 12, "\n"), l + 12);
	fputc('\n', stderr);
	return 0;
}

int main(void)
{
	const char *reason = getenv("reason"), *ifname = getenv("interface");
	int r = 0;

	if (!reason || !ifname)
		return cli_fail(100, "run by dhcpcd only ($reason and $interface unset)");
	if (is_true("if_up")) {
		r = lease_up(reason, ifname);
		/* ready once the resolver has the lease's settings (or could not get them: the
		 * address is there all the same) */
		signal_ready();
	} else if (is_true("if_down")) {
		if (unlink(RESOLV_CONF) < 0 && errno != ENOENT)
			return cli_fail(111, "cannot remove %s: %m", RESOLV_CONF);
		fprintf(stderr, "kcc-dhcp-hook: %.16s: lease gone, no name servers (%s)\n", ifname,
			reason);
	}
	return r;
}
