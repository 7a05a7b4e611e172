/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What kcc-update knows about the node it runs on: the running root hash (kernel command line),
 * version and security epoch (os-release), the disk and its slots (slot.h), the ESP (mounted at
 * /run/kcc/esp only while kcc-update works on it). Host tests point every path elsewhere:
 * --disk FILE (a disk image), --esp-dir DIR (an ESP as a directory), --cmdline FILE,
 * --os-release FILE, --run-dir DIR (where reboot-required is written). */
#pragma once

#include <stdbool.h>

#include "esp.h"
#include "slot.h"

#define NODE_RUN_DIR "/run"
#define NODE_ESP_MOUNT "/run/kcc/esp"
#define NODE_SENTINEL "reboot-required" /* kured's sentinel, in the run dir */

typedef struct NodePaths {
	const char *disk;       /* NULL: the disk holding the running root (libblkid) */
	const char *esp_dir;    /* NULL: the disk's ESP, mounted at NODE_ESP_MOUNT */
	const char *cmdline;    /* default /proc/cmdline */
	const char *os_release; /* default /etc/os-release */
	const char *run_dir;    /* default /run */
} NodePaths;

typedef struct Node {
	NodePaths paths;
	char disk[256];
	char esp[256];
	bool esp_mounted;
	char roothash[65];
	char version[ESP_VERSION_MAX + 1];
	unsigned epoch;
	SlotLayout layout;
	EspEntry entries[ESP_ENTRIES_MAX];
	size_t n_entries;
} Node;

/* Reads the node: command line, os-release, the GPT, the ESP's entries (the ESP mounted, and left
 * mounted until node_close()). err: one line. */
int node_open(Node *n, const NodePaths *paths, char *err, size_t errlen);
/* Re-reads the GPT and the ESP's entries after a change. */
int node_reload(Node *n, char *err, size_t errlen);
void node_close(Node *n);

/* The entry of a version among n->entries, NULL when there is none. */
const EspEntry *node_entry(const Node *n, const char *version);
/* The entry of the other slot: the one entry whose version is not the running one (NULL: none). */
const EspEntry *node_other_entry(const Node *n);
/* The version the loader boots next (the first entry in its order), NULL when the ESP has none. */
const char *node_next_boot(const Node *n);
/* true: an update or a rollback waits for its reboot (the next boot is another version). */
bool node_reboot_needed(const Node *n);
/* The running boot is blessed: its entry carries no counter. A node without an entry of its
 * version (direct kernel boot: no loader counts its tries) counts as blessed. */
bool node_blessed(const Node *n);

/* Writes (or removes) <run-dir>/reboot-required. */
int node_sentinel(const Node *n, bool present);
