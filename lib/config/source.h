/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Where the node's configuration comes from (docs/node-config.md), in this order:
 *   1. qemu fw_cfg, the file opt/io.kcc-node/config (sysfs, module qemu_fw_cfg);
 *   2. an SMBIOS type 11 (OEM strings) entry "io.kcc-node.config.b64=BASE64";
 *   3. a small GPT partition of kcc-node's config type on the boot disk: the JSON, then NUL
 *      padding (the caller finds the partition and passes its device to
 *      node_config_read_partition).
 * The bytes are handed out as they are: the caller measures them before it parses them. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define FW_CFG_CONFIG "/sys/firmware/qemu_fw_cfg/by_name/opt/io.kcc-node/config/raw"
#define DMI_ENTRIES "/sys/firmware/dmi/entries"
#define SMBIOS_CONFIG_KEY "io.kcc-node.config.b64="

typedef enum ConfigSource {
	CONFIG_NONE,
	CONFIG_FW_CFG,
	CONFIG_SMBIOS,
	CONFIG_PARTITION,
} ConfigSource;

const char *config_source_name(ConfigSource s);

/* The config from fw_cfg or SMBIOS (fw_cfg_path and dmi_dir: the sysfs paths above, or a test's
 * own). 1 with *ret (malloc'd, NUL-terminated, *len bytes) and *source set; 0 when neither has
 * one; -E2BIG when it is larger than NODE_CONFIG_MAX; -EBADMSG for an SMBIOS value that is not
 * base64; -errno when a file that exists cannot be read. */
int node_config_read_firmware(const char *fw_cfg_path, const char *dmi_dir, char **ret, size_t *len,
			      ConfigSource *source);
/* The config on a partition (a device or file): the bytes up to the first NUL. 1 with *ret and
 * *len, 0 when it is all NUL (an empty config partition), -E2BIG, -errno. */
int node_config_read_partition(const char *path, char **ret, size_t *len);

/* Finds "KEY=VALUE" strings in one SMBIOS type 11 structure (raw: its bytes as in
 * /sys/firmware/dmi/entries/11-N/raw): 1 with *value pointing into raw (NUL-terminated there),
 * 0 when none matches, -EBADMSG for a malformed structure. */
int smbios11_find(const uint8_t *raw, size_t len, const char *key, const char **value);
