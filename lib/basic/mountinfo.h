/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /proc/PID/mountinfo, the one parser (proc(5)): "id parent major:minor root mount-point options
 * [optional fields...] - fstype source super-options". The kernel escapes space, tab, newline and
 * backslash in paths as \040 \011 \012 \134; the parser decodes them, so a mount point with a space
 * in its name is seen as it is, not cut at the space. */
#pragma once

#include <stdbool.h>

#define MOUNTINFO_PATH_MAX 4096

typedef struct MountInfo {
	unsigned id, parent, major, minor;
	char root[MOUNTINFO_PATH_MAX];
	char mount_point[MOUNTINFO_PATH_MAX];
	char fstype[64];
	char source[MOUNTINFO_PATH_MAX];
} MountInfo;

/* Parses one line (with or without its newline) into m: 0, or -EINVAL for a malformed line. */
int mountinfo_parse_line(const char *line, MountInfo *m);
/* Calls fn for each mount of path (e.g. "/proc/self/mountinfo") in the kernel's order; fn returns
 * 0 to go on, > 0 to stop (returned), < 0 for an error (returned). -errno when the file cannot be
 * read, -EINVAL when a line is malformed. */
int mountinfo_foreach(const char *path, int (*fn)(const MountInfo *m, void *data), void *data);
