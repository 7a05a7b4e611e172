/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A pod's folder (STATE/pods/UID) keeps containers and volumes in separate namespaces:
 *   containers/NAME/   the container's bundle (config.json, rootfs/)
 *   volumes/NAME/      an emptyDir volume
 * so no container name ("volumes" included) can land in a volume's folder or another's bundle.
 * Both names must be DNS-1123 labels, as the API server demands. */
#pragma once

#include <stddef.h>

typedef enum PodDirKind {
	POD_DIR_CONTAINER,
	POD_DIR_VOLUME,
	_POD_DIR_MAX,
	_POD_DIR_INVALID = -22,
} PodDirKind;

/* The folder of one container or volume of the pod in pod_dir; -EINVAL for a name that is not a
 * DNS label, -ENAMETOOLONG when it does not fit. */
int pod_dir_path(const char *pod_dir, PodDirKind kind, const char *name, char *buf, size_t len);
/* The folder holding every volume of the pod (spec.c mounts volumes/NAME from it). */
int pod_dir_volumes(const char *pod_dir, char *buf, size_t len);
