/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* End of the initrd: moves the API mounts into the new root, frees the initramfs, chroots and
 * executes kcc-init from the new root. Returns only on failure. */
#pragma once

int stage_switchroot_run(const char *newroot, const char *init);
