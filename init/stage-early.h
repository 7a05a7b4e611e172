/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* First thing in the initrd: the API file systems and kmsg logging; efivarfs once its module is
 * loaded. */
#pragma once

int stage_early_run(void);
/* Mounts efivarfs once its module is loaded, when booted through UEFI. */
int stage_early_efivarfs(void);
