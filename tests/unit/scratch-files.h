/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Scratch files of the tests that work on disk images (a LUKS2 file, its copies as power cuts). */
#pragma once

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "unit.h"

/* A sparse copy of from at to, as the disk was at that moment. */
static inline void scratch_copy(const char *from, const char *to)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "cp --sparse=always '%s' '%s'", from, to);
	assert_int_equal(system(cmd), 0);
}

/* Removes the test's scratch folder (a group teardown). */
static inline int scratch_remove(const char *dir)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

/* A sparse file of size bytes at path, for a LUKS2 header and a small volume. */
static inline void scratch_file(const char *path, off_t size)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, size), 0);
	close(fd);
}
