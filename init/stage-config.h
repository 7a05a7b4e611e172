/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The node configuration in the initrd (docs/node-config.md): read from fw_cfg, SMBIOS or the
 * config partition, measured into PCR 12 before it is parsed, then handed to the system stage as
 * files in /run/kcc: node-config.json (the valid document), hostname, network.conf (static
 * network, in /etc/kcc/network.conf's format) and node-config.status (one line: "valid SOURCE
 * SHA256", "invalid SOURCE SHA256", "unreadable SOURCE" or "none"). A missing, unreadable or
 * invalid configuration is logged and the boot goes on unjoined; only a TPM failure stops it. */
#pragma once

#include "node-config-files.h"
/* GPT type of the optional config partition (kcc-node's own; docs/node-config.md). */
#define KCC_CONFIG_PART_TYPE "8c2a5d1e-6b7f-4d39-9b0e-2f4c1a7d5e60"

/* disk: the boot disk ("vda"), where a config partition is looked for; upstream_kubelet: the
 * upstream kubelet's service file on the verity root, which only upstream-mode images carry
 * (there a configuration must pass node_config_check_upstream too). */
int stage_config_run(const char *disk, const char *upstream_kubelet);
