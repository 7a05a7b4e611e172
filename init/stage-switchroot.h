/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* End of the initrd: moves the API mounts into the new root, frees the initramfs, chroots and
 * executes kcc-init from the new root. Returns only on failure. */
#pragma once

#include <sys/types.h>

/* Warms the page cache for the exec of the new root's init while the initrd still waits on the
 * TPM and the disk: runs it once, chrooted into newroot, as a tool (not PID 1, it prints its usage
 * and exits). Its ELF and the pages its dynamic loader touches in every library then come from
 * memory instead of through erofs decompression and dm-verity hashing. Returns the child's pid,
 * or -1 when it could not start (nothing lost but the head start). */
pid_t stage_switchroot_prewarm(const char *newroot, const char *init);

/* prewarm: what stage_switchroot_prewarm() returned; reaped before anything moves. */
int stage_switchroot_run(const char *newroot, const char *init, pid_t prewarm);
