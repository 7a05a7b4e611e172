/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "kv.h"
#include "log.h"
#include "stage-network.h"

static int parse_ipv4(const char *s, uint32_t *ret)
{
	struct in_addr a;
	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*ret = a.s_addr;
	return 0;
}

int net_conf_parse(const char *text, NetConfig *ret, char *err, size_t errlen)
{
	char line[256], *key, *v;
	KvParser kv;
	int r;

	*ret = (NetConfig){ .ifname = "eth0" };
	kv_init(&kv, text, line, sizeof(line));
	while ((r = kv_next(&kv, &key, &v, err, errlen)) > 0) {
		if (streq(key, "interface")) {
			if (!*v || strlen(v) >= sizeof(ret->ifname) || strpbrk(v, "/ "))
				goto bad;
			snprintf(ret->ifname, sizeof(ret->ifname), "%s", v);
		} else if (streq(key, "address")) {
			char *slash = strchr(v, '/');
			unsigned long prefix;
			if (!slash)
				goto bad;
			*slash = '\0';
			if (parse_ipv4(v, &ret->address) < 0 || parse_uint(slash + 1, 1, 32, &prefix) < 0)
				goto bad;
			ret->netmask = htonl(prefix == 32 ? 0xffffffffu : ~(0xffffffffu >> prefix));
		} else if (streq(key, "dhcp")) {
			if (!streq(v, "yes") && !streq(v, "no"))
				goto bad;
			ret->dhcp = streq(v, "yes");
		} else if (streq(key, "gateway")) {
			if (parse_ipv4(v, &ret->gateway) < 0)
				goto bad;
		} else {
			snprintf(err, errlen, "line %u: unknown setting '%s'", kv.lineno, key);
			return -EINVAL;
		}
		continue;
bad:
		snprintf(err, errlen, "line %u: invalid %s", kv.lineno, key);
		return -EINVAL;
	}
	if (r < 0)
		return -EINVAL;
	if (ret->gateway && !ret->address) {
		snprintf(err, errlen, "a gateway needs an address");
		return -EINVAL;
	}
	if (ret->dhcp && ret->address) {
		snprintf(err, errlen, "dhcp = yes takes no address: DHCP brings it");
		return -EINVAL;
	}
	return 0;
}

static int if_up(int fd, const char *name)
{
	struct ifreq ifr = {};

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return -errno;
	ifr.ifr_flags |= IFF_UP;
	return RET_NERRNO(ioctl(fd, SIOCSIFFLAGS, &ifr));
}

static int set_addr(int fd, const char *name, unsigned long req, uint32_t a)
{
	struct ifreq ifr = {};
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = a;
	return RET_NERRNO(ioctl(fd, req, &ifr));
}

static int default_route(int fd, const char *name, uint32_t gw)
{
	struct rtentry rt = {};
	struct sockaddr_in *dst = (struct sockaddr_in *)&rt.rt_dst,
			   *gwa = (struct sockaddr_in *)&rt.rt_gateway,
			   *mask = (struct sockaddr_in *)&rt.rt_genmask;
	char dev[IFNAMSIZ];

	snprintf(dev, sizeof(dev), "%s", name);
	dst->sin_family = gwa->sin_family = mask->sin_family = AF_INET;
	gwa->sin_addr.s_addr = gw;
	rt.rt_flags = RTF_UP | RTF_GATEWAY;
	rt.rt_dev = dev;
	return RET_NERRNO(ioctl(fd, SIOCADDRT, &rt));
}

int stage_network_run(const char *conf_path)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int fd = -EBADF;
	NetConfig c;
	char err[160], addr[INET_ADDRSTRLEN];
	int r;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return log_error_errno(-errno, "Failed to open a socket for network set-up: %m");
	r = if_up(fd, "lo");
	if (r < 0)
		return log_error_errno(r, "Failed to bring up the loopback interface: %m");
	r = read_small_file(conf_path, 4096, &text);
	if (r == -ENOENT) {
		log_info("network: loopback only (no %s)", conf_path);
		return 0;
	}
	if (r < 0)
		return log_error_errno(r, "Failed to read %s: %m", conf_path);
	r = net_conf_parse(text, &c, err, sizeof(err));
	if (r < 0)
		return log_error_errno(r, "%s: %s", conf_path, err);
	if (if_nametoindex(c.ifname) == 0) {
		log_warning("network: no interface %s, loopback only", c.ifname);
		return 0;
	}
	if (c.address) {
		r = set_addr(fd, c.ifname, SIOCSIFADDR, c.address);
		if (r >= 0)
			r = set_addr(fd, c.ifname, SIOCSIFNETMASK, c.netmask);
		if (r < 0)
			return log_error_errno(r, "Failed to set the address of %s: %m", c.ifname);
	}
	if (c.dhcp) {
		/* dhcpcd insists on it (a secondary address takes over when the primary goes);
		 * its sandbox cannot write /proc/sys. */
		char path[96];

		snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/promote_secondaries",
			 c.ifname);
		r = write_string_file(path, "1");
		if (r < 0)
			return log_error_errno(r, "Failed to write %s: %m", path);
	}
	r = if_up(fd, c.ifname);
	if (r < 0)
		return log_error_errno(r, "Failed to bring up %s: %m", c.ifname);
	if (c.dhcp) {
		log_info("network: %s up, its address comes from the dhcpcd service", c.ifname);
		return 0;
	}
	if (c.gateway) {
		r = default_route(fd, c.ifname, c.gateway);
		if (r < 0)
			return log_error_errno(r, "Failed to add the default route on %s: %m", c.ifname);
	}
	inet_ntop(AF_INET, &c.address, addr, sizeof(addr));
	log_info("network: %s up with %s/%d%s", c.ifname, addr, __builtin_popcount(c.netmask),
		 c.gateway ? ", default route" : "");
	return 0;
}
