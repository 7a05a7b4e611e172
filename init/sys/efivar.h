/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* EFI variables through efivarfs (mounted by the initrd stage, kept across switch_root): a
 * variable is a file NAME-GUID whose content is 4 bytes of attributes (little-endian) and the
 * data. efivarfs marks variables it does not know as immutable, so a write over one or a
 * deletion clears that flag first (CAP_LINUX_IMMUTABLE, which PID 1 has). libc only. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Reads the data of the variable at path (at most size bytes; a larger one is -E2BIG): its
 * length, -ENOENT when there is none, or -errno. */
int efivar_read(const char *path, void *buf, size_t size);
/* Creates or replaces the variable at path with attrs and data (one SetVariable). */
int efivar_write(const char *path, uint32_t attrs, const void *data, size_t size);
/* Deletes the variable at path: 0, or -ENOENT when there was none. */
int efivar_delete(const char *path);
