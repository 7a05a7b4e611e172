/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the initrd's config stage (init/stage-config.c) hands the system stage in /run/kcc, and
 * the system stage applies (docs/node-config.md): the valid document (mode 0600), the host name,
 * a static network in /etc/kcc/network.conf's format, what the join and the forwarder read, and
 * one status line ("valid SOURCE SHA256",
 * "invalid SOURCE SHA256", "unreadable SOURCE" or "none"). */
#pragma once

#define NODE_CONFIG_JSON "/run/kcc/node-config.json"
#define NODE_CONFIG_STATUS "/run/kcc/node-config.status"
#define NODE_CONFIG_HOSTNAME "/run/kcc/hostname"
#define NODE_CONFIG_NETWORK "/run/kcc/network.conf"
/* With a verifier: its CA (mode 0644), which also starts the kcc-attest service (its
 * condition_path; docs/attestation.md). With a SIEM: the collector's CA and "HOST:PORT" (0644),
 * which start the kcc-forward service (docs/events.md); kcc-forward has its own uid and cannot read
 * the 0600 document. */
#define NODE_CONFIG_VERIFIER_CA "/run/kcc/verifier-ca.pem"
#define NODE_CONFIG_SIEM_CA "/run/kcc/siem-ca.pem"
#define NODE_CONFIG_SIEM_DEST "/run/kcc/siem-destination"
/* With update.status-port: the port (0644), which starts the kcc-update-status service, and the
 * folder kcc-update writes its status into, which that service reads (docs/upgrades.md). */
#define NODE_CONFIG_UPDATE_STATUS_PORT "/run/kcc/update-status-port"
#define NODE_CONFIG_UPDATE_STATUS_DIR "/run/kcc/update-status"
/* The node's attested identity (kcc-attest's key and certificate): made 0750 root:GID with a
 * verifier, GID the group kcc-attest writes as and kcc-forward runs as (their service files). */
#define NODE_IDENTITY_DIR "/run/kcc-identity"
#define NODE_IDENTITY_GID 61183
