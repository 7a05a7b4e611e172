/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The node's configuration, as the platform hands it over (docs/node-config.md): one JSON document,
 * schema version 1, parsed strictly. Every member is checked; an unknown member, a wrong type or a
 * bad value is one error line "config: PATH: reason", and all of them are reported, not just the
 * first. A configuration with any error is refused as a whole: nothing of it is used. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NODE_CONFIG_MAX (64 * 1024) /* bytes of JSON */
#define NODE_CONFIG_VERSION 1
#define NC_HOST_MAX 253
#define NC_URL_MAX 512
#define NC_PEM_MAX 8192
#define NC_DNS_MAX 3
#define NC_TIME_MAX 4
#define NC_LABELS_MAX 16

typedef enum NetMode { NET_DHCP, NET_STATIC } NetMode;

typedef struct NodeConfig {
	char hostname[64];
	struct {
		NetMode mode;
		char interface[16]; /* empty: the first link that is not loopback */
		uint32_t address, netmask, gateway; /* network byte order; static only */
		uint32_t dns[NC_DNS_MAX];
		size_t n_dns;
	} net;
	struct {
		char servers[NC_TIME_MAX][NC_HOST_MAX + 1];
		unsigned ports[NC_TIME_MAX]; /* 0: the default (NTP 123; with nts, NTS-KE 4460) */
		size_t n_servers;
		bool nts;
		char ca[NC_PEM_MAX]; /* PEM: the NTS-KE servers' CA (nts only); empty: none */
	} time;
	struct {
		char url[NC_URL_MAX];
		char ca[NC_PEM_MAX]; /* PEM, one or more certificates */
	} verifier;
	struct {
		char url[NC_URL_MAX];
		char ca[NC_PEM_MAX]; /* PEM: the CA of an https:// update.url */
		char fleetlock_url[NC_URL_MAX];
		char fleetlock_group[64];
		unsigned status_port; /* 0: no status endpoint */
		unsigned poll_seconds; /* pull mode's interval; 0: the service's (300 s) */
	} update;
	struct {
		char host[NC_HOST_MAX + 1];
		unsigned port;
		char ca[NC_PEM_MAX];
	} siem;
	struct {
		char api_server[NC_URL_MAX];
		char cluster_ca[NC_PEM_MAX];
		char labels[NC_LABELS_MAX][2][64]; /* key, value */
		size_t n_labels;
		unsigned max_pods; /* 0: the kubelet's default */
	} kubelet;
	struct {
		unsigned rotate_days; /* 0: the state key is rotated only on request */
		unsigned reencrypt_seconds; /* a volume-key rotation's time per boot; 0: default */
	} state;
} NodeConfig;

/* Parses and validates len bytes of JSON into *ret. 0, or -EINVAL with one line per error
 * ("config: .network.address: ...\n") in err (errlen bytes; cut at a line boundary when full), or
 * -E2BIG for more than NODE_CONFIG_MAX bytes. */
int node_config_parse(const char *data, size_t len, NodeConfig *ret, char *err, size_t errlen);

/* What a valid configuration must also say on an upstream-mode image (the upstream kubelet, not
 * kcc-kubelet; docs/node-config.md): a node that joins through a verifier needs kubelet.api-server
 * (and so kubelet.cluster-ca), else its kubelet, which waits for the kubeconfig the join writes
 * from them, would never start. 0, or -EINVAL with the one line naming the field in err. Direct
 * (kcc-kubelet) images do not call it. */
int node_config_check_upstream(const NodeConfig *c, char *err, size_t errlen);
