/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>

#include "manifest.h"
#include "pod-dir.h"

static const char *const kind_dirs[_POD_DIR_MAX] = {
	[POD_DIR_CONTAINER] = "containers",
	[POD_DIR_VOLUME] = "volumes",
};

int pod_dir_path(const char *pod_dir, PodDirKind kind, const char *name, char *buf, size_t len)
{
	if (kind < 0 || kind >= _POD_DIR_MAX || !name || !dns_label_is_valid(name))
		return -EINVAL;
	if (snprintf(buf, len, "%s/%s/%s", pod_dir, kind_dirs[kind], name) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

int pod_dir_volumes(const char *pod_dir, char *buf, size_t len)
{
	if (snprintf(buf, len, "%s/%s", pod_dir, kind_dirs[POD_DIR_VOLUME]) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}
