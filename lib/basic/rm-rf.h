/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Recursive deletion, the one implementation: never follows a symbolic link, and with RM_RF_ONE_FS
 * never crosses into another file system (the initramfs's removal at switch_root). */
#pragma once

#define RM_RF_ONE_FS 1u

/* Removes name below parent (AT_FDCWD for a path) and everything under it. 0 when it is gone or
 * was never there; -errno of the last step otherwise (what could be removed is removed). */
int rm_rf_at(int parent, const char *name);
int rm_rf(const char *path);
/* Removes everything below the folder dirfd, which stays open and the caller's. With RM_RF_ONE_FS
 * entries on another device than dirfd's, and all below them, are kept. */
int rm_rf_children(int dirfd, unsigned flags);
