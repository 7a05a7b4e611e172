/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The upstream kubelet's credentials (docs/kubelet.md, "Upstream mode"): after every affirming
 * join kcc-attest writes the issued client certificate with the key the node made for the CSR
 * (one PEM file, the kubelet's kubelet-client-current.pem layout), the cluster CA, and last a
 * kubeconfig naming the API server and both files. Each file replaced atomically (a temporary
 * file, fsync, rename, fsync of the folder): a reader sees the old file or the new one. The
 * kubeconfig is written last: once it exists, the other two are complete (the kubelet's start
 * waits for it). And the renewal schedule of the join service. */
#pragma once

#include <stddef.h>
#include <stdint.h>

typedef struct KubeletCreds {
	const char *cert_path;       /* key and certificate, mode 0600 */
	const char *ca_path;         /* the cluster CA, mode 0644 */
	const char *kubeconfig_path; /* mode 0600 */
	const char *api_server;      /* https://... (the node configuration's kubelet.api-server) */
	const char *cluster_ca;      /* PEM (kubelet.cluster-ca) */
} KubeletCreds;

/* The kubeconfig's text (malloc'ed): one cluster, one user system:node:NODE with
 * client-certificate and client-key both the combined file. -EINVAL for a server URL or a path a
 * YAML double-quoted scalar cannot carry as it is. */
int kubelet_kubeconfig(const KubeletCreds *k, const char *node, char **ret);
/* Writes the CA, then key_pem followed by cert_pem, then the kubeconfig. Checks first that the
 * certificate is for the key and currently valid, and that the CA is PEM: nothing is replaced
 * otherwise (-EBADMSG, -EKEYEXPIRED). The reason in err; the key never in it. */
int kubelet_creds_write(const KubeletCreds *k, const char *node, const char *key_pem,
			const char *cert_pem, char *err, size_t err_size);

/* Renewal at two thirds of the time left on the certificate, brought forward by a random jitter
 * of at most a fifteenth of it (rnd chooses), so a fleet started together spreads its renewals;
 * at least ATTEST_RENEW_MIN_S. */
#define ATTEST_RENEW_MIN_S 30
long attest_renew_delay(long left_s, uint32_t rnd);
/* The wait before retrying a failed renewal: the backoff, but at most half of the time the
 * current certificate has left (at least 5 s), so a few retries still fall before it expires; once it has, the backoff. */
unsigned attest_retry_delay(unsigned backoff_s, long left_s);
