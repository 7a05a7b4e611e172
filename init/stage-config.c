/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blkid.h"
#include "daemon-conf.h"
#include "hex.h"
#include "log.h"
#include "measure.h"
#include "node-config.h"
#include "resolv-conf.h"
#include "source.h"
#include "stage-config.h"
#include "util.h"

static int write_mode(const char *path, const void *data, size_t len, mode_t mode)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
				      mode);
	const char *p = data;

	if (fd < 0)
		return -errno;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_private(const char *path, const void *data, size_t len)
{
	return write_mode(path, data, len, 0600);
}

static void status(const char *line)
{
	char buf[160];

	snprintf(buf, sizeof(buf), "%s\n", line);
	if (write_private(NODE_CONFIG_STATUS, buf, strlen(buf)) < 0)
		log_warning("Failed to write %s", NODE_CONFIG_STATUS);
}

/* The config partition on the boot disk, if it has one. */
static int read_partition(const char *disk, char **data, size_t *len)
{
	PartitionMatch m = { .type_uuid = KCC_CONFIG_PART_TYPE, .disk = disk };
	int r = blkid_find_partitions(&m, 1);

	if (r <= 0)
		return r == -ENOENT ? 0 : r;
	return node_config_read_partition(m.ret_node, data, len);
}

/* A network daemon's configuration (daemon-conf.h): written when the node configuration asks
 * for the daemon, which then starts (its service's condition_path). */
static int daemon_conf(const NodeConfig *c, const char *path,
		       int (*gen)(const NodeConfig *, char *, size_t))
{
	char buf[2048];
	int n = gen(c, buf, sizeof(buf));

	if (n == -ENOENT)
		return 0;
	if (n < 0)
		return n;
	/* readable by the service's own uid; nothing secret in it */
	return write_mode(path, buf, (size_t)n, 0644);
}

/* The join (kcc-attest), the event forwarder (kcc-forward) and the update status endpoint
 * (kcc-update-status): their files start them. */
static int hand_over_services(const NodeConfig *c)
{
	char dest[NC_HOST_MAX + 16];
	int r = 0;

	if (c->verifier.url[0]) {
		if ((mkdir(NODE_IDENTITY_DIR, 0750) < 0 && errno != EEXIST) ||
		    chown(NODE_IDENTITY_DIR, 0, NODE_IDENTITY_GID) < 0 ||
		    chmod(NODE_IDENTITY_DIR, 0750) < 0)
			return -errno;
		r = write_mode(NODE_CONFIG_VERIFIER_CA, c->verifier.ca, strlen(c->verifier.ca), 0644);
		if (r >= 0)
			log_info("node config: joins through %s (the kcc-attest service)",
				 c->verifier.url);
	}
	if (r >= 0 && c->siem.host[0]) {
		snprintf(dest, sizeof(dest), "%s:%u\n", c->siem.host, c->siem.port);
		r = write_mode(NODE_CONFIG_SIEM_DEST, dest, strlen(dest), 0644);
		if (r >= 0)
			r = write_mode(NODE_CONFIG_SIEM_CA, c->siem.ca, strlen(c->siem.ca), 0644);
		if (r >= 0)
			log_info("node config: security events to %s:%u (the kcc-forward service)",
				 c->siem.host, c->siem.port);
	}
	if (r >= 0 && c->update.status_port) {
		snprintf(dest, sizeof(dest), "%u\n", c->update.status_port);
		if (mkdir(NODE_CONFIG_UPDATE_STATUS_DIR, 0755) < 0 && errno != EEXIST)
			r = -errno;
		if (r >= 0)
			r = write_mode(NODE_CONFIG_UPDATE_STATUS_PORT, dest, strlen(dest), 0644);
		if (r >= 0)
			log_info("node config: update status on port %u (the kcc-update-status service)",
				 c->update.status_port);
	}
	return r;
}

/* A static network's name servers: the resolver's settings that /etc/resolv.conf links to
 * (with DHCP, the dhcpcd service's hook writes them from the lease). */
static int static_dns(const NodeConfig *c)
{
	char servers[NC_DNS_MAX * (INET_ADDRSTRLEN + 1)] = "", a[INET_ADDRSTRLEN], text[512];
	int r;

	for (size_t i = 0; i < c->net.n_dns; i++) {
		inet_ntop(AF_INET, &c->net.dns[i], a, sizeof(a));
		strcat(strcat(servers, i ? " " : ""), a);
	}
	r = resolv_conf_render(&(ResolvConfInput){ .servers = servers,
						   .origin = "the node configuration" },
			       text, sizeof(text), NULL);
	if (r < 0)
		return log_error_errno(r, "node config: the name servers cannot be written: %m");
	if (mkdir(RESOLV_DIR, 0755) < 0 && errno != EEXIST)
		return log_error_errno(-errno, "node config: cannot make %s: %m", RESOLV_DIR);
	r = write_mode(RESOLV_CONF, text, (size_t)r, 0644);
	if (r < 0)
		return log_error_errno(r, "node config: cannot write %s: %m", RESOLV_CONF);
	log_info("node config: name servers %s (%s)", servers, RESOLV_CONF);
	return 0;
}

/* What the system stage applies, in files the libc-only PID 1 reads; and the configurations of
 * the network services. */
static int hand_over(const NodeConfig *c, const char *data, size_t len)
{
	char net[160], a[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];
	int prefix = __builtin_popcount(c->net.netmask);
	int r;

	r = write_private(NODE_CONFIG_JSON, data, len);
	if (r >= 0 && c->hostname[0]) {
		snprintf(net, sizeof(net), "%s\n", c->hostname);
		r = write_private(NODE_CONFIG_HOSTNAME, net, strlen(net));
	}
	if (r >= 0 && c->net.mode == NET_STATIC) {
		inet_ntop(AF_INET, &c->net.address, a, sizeof(a));
		inet_ntop(AF_INET, &c->net.gateway, g, sizeof(g));
		snprintf(net, sizeof(net), "interface = %s\naddress = %s/%d\n%s%s%s",
			 c->net.interface[0] ? c->net.interface : "eth0", a, prefix,
			 c->net.gateway ? "gateway = " : "", c->net.gateway ? g : "",
			 c->net.gateway ? "\n" : "");
		r = write_private(NODE_CONFIG_NETWORK, net, strlen(net));
		if (r >= 0 && c->net.n_dns > 0)
			r = static_dns(c);
	} else if (r >= 0) {
		/* DHCP: the system stage brings the link up without the image's static address;
		 * the dhcpcd service configures it. */
		snprintf(net, sizeof(net), "interface = %s\ndhcp = yes\n",
			 c->net.interface[0] ? c->net.interface : "eth0");
		r = write_private(NODE_CONFIG_NETWORK, net, strlen(net));
		if (r >= 0)
			r = daemon_conf(c, DHCPCD_CONF, daemon_conf_dhcpcd);
		if (r >= 0)
			log_info("node config: network by DHCP (the dhcpcd service)");
	}
	if (r >= 0 && c->time.nts && c->time.ca[0])
		r = write_mode(CHRONY_NTS_CA, c->time.ca, strlen(c->time.ca), 0644);
	if (r >= 0)
		r = daemon_conf(c, CHRONY_CONF, daemon_conf_chrony);
	if (r >= 0)
		r = hand_over_services(c);
	if (r >= 0 && c->time.n_servers > 0)
		log_info("node config: time from %zu server%s%s (the chronyd service)",
			 c->time.n_servers, c->time.n_servers > 1 ? "s" : "",
			 c->time.nts ? " with NTS" : "");
	else if (r >= 0)
		log_info("node config: no time servers, no time service (the clock stays as the "
			 "platform set it)");
	return r;
}

int stage_config_run(const char *disk, const char *upstream_kubelet)
{
	_cleanup_free_ char *data = NULL, *err = NULL;
	_cleanup_free_ NodeConfig *c = NULL;
	ConfigSource src = CONFIG_NONE;
	uint8_t digest[SHA256_DIGEST_LENGTH];
	char hex[2 * SHA256_DIGEST_LENGTH + 1], line[160];
	size_t len = 0;
	int r;

	r = node_config_read_firmware(FW_CFG_CONFIG, DMI_ENTRIES, &data, &len, &src);
	if (r == 0) {
		r = read_partition(disk, &data, &len);
		if (r != 0)
			src = CONFIG_PARTITION;
	}
	if (r == 0) {
		log_info("node config: none (the image's network settings, no time service, not "
			 "joined)");
		status("none");
		return 0;
	}
	if (r < 0) {
		log_error_errno(r, "node config: the %s configuration cannot be read (%m): ignored, "
				   "the node stays unjoined",
				config_source_name(src == CONFIG_NONE ? CONFIG_FW_CFG : src));
		snprintf(line, sizeof(line), "unreadable %s", config_source_name(src));
		status(line);
		return 0;
	}
	/* Measured before anything reads it: a verifier sees what the node was given. */
	SHA256((const unsigned char *)data, len, digest);
	hexify(digest, sizeof(digest), hex);
	r = measure_config(config_source_name(src), data, len);
	if (r < 0)
		return r;
	c = malloc(sizeof(*c));
	err = malloc(4096);
	if (!c || !err)
		return log_error_errno(-ENOMEM, "node config: out of memory");
	r = node_config_parse(data, len, c, err, 4096);
	if (r >= 0 && access(upstream_kubelet, F_OK) == 0)
		r = node_config_check_upstream(c, err, 4096);
	if (r < 0) {
		/* One log line per error, then the boot goes on with what is safe without it. */
		for (char *p = err, *nl; *p; p = nl + 1) {
			nl = strchrnul(p, '\n');
			log_error("node config (%s): %.*s", config_source_name(src), (int)(nl - p), p);
			if (!*nl)
				break;
		}
		log_error("node config: refused (%s, sha256 %s): the node stays unjoined",
			  config_source_name(src), hex);
		snprintf(line, sizeof(line), "invalid %s %s", config_source_name(src), hex);
		status(line);
		return 0;
	}
	r = hand_over(c, data, len);
	if (r < 0)
		return log_error_errno(r, "node config: failed to hand it to the system stage: %m");
	log_info("node config: from %s, %zu bytes, sha256 %s, measured into PCR 12",
		 config_source_name(src), len, hex);
	snprintf(line, sizeof(line), "valid %s %s", config_source_name(src), hex);
	status(line);
	return 0;
}
