/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PID 1's side of the BPF LSM, without libbpf. The set-up helper (helper.h), asked "load-lsm",
 * loads and attaches the programs of init/bpf/kcc-lsm.bpf.c (init/bpf-lsm.c), then hands PID 1
 * their links and maps (one SCM_RIGHTS message) and exits soon after. The programs refuse BPF_OBJ_GET and get-by-id to
 * everyone, so these descriptors are the only way back to them: PID 1 holds the links for the
 * node's lifetime (closing them at shutdown detaches the programs), reads the denial records from
 * the ring buffer map by mmap (the kernel's BPF ring buffer layout) and the rate limit's counter
 * from the .bss map. */
#pragma once

#include <stdint.h>

#define LSM_HANDOFF_MAGIC 0x6b6c736dU /* "klsm" */
#define LSM_HANDOFF_MAX_LINKS 32

/* The message's data; its descriptors are, in order: the ring buffer map, the .bss map, then
 * n_links links. */
typedef struct LsmHandoff {
	uint32_t magic;
	uint32_t n_links;
	uint32_t ring_size;      /* the ring buffer map's max_entries, a power of 2 */
	uint32_t bss_size;       /* the .bss map's value size */
	uint32_t dropped_offset; /* of the 64-bit count of records the rate limit dropped */
} LsmHandoff;

/* Asks the set-up helper for "load-lsm ROOT SERVICES PODS BPF-CGROUP|- RUNTIME-CGROUP|-" (args,
 * NULL-terminated) and takes what it hands over. Returns -errno (the helper logged why). */
int lsm_events_load(const char *const args[]);
/* The ring buffer map for PID 1's loop (readable when records wait), or -EBADF. */
int lsm_events_fd(void);
/* Logs the pending denials. */
void lsm_events_consume(void);
/* Logs what is left and closes everything, which detaches the programs: at shutdown, when only
 * PID 1 is left and it is about to execute kcc-init from the exit root, a tmpfs. */
void lsm_events_close(void);
