/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the initrd's config stage (init/stage-config.c) hands the system stage in /run/kcc, and
 * the system stage applies (docs/node-config.md): the valid document (mode 0600), the host name,
 * a static network in /etc/kcc/network.conf's format, and one status line ("valid SOURCE SHA256",
 * "invalid SOURCE SHA256", "unreadable SOURCE" or "none"). */
#pragma once

#define NODE_CONFIG_JSON "/run/kcc/node-config.json"
#define NODE_CONFIG_STATUS "/run/kcc/node-config.status"
#define NODE_CONFIG_HOSTNAME "/run/kcc/hostname"
#define NODE_CONFIG_NETWORK "/run/kcc/network.conf"
