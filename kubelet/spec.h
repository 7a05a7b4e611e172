/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The OCI runtime spec (config.json) of one container, with hardened defaults: no capabilities but
 * those asked for, no_new_privs unless allowPrivilegeEscalation, the default seccomp profile,
 * masked and read-only /proc paths, a read-only root when asked, its own cgroup under kubepods with
 * its limits, and its own namespaces (the host's network only with hostNetwork), the user
 * namespace always: container ids 0..POD_IDS-1 are host ids id_base.. (userns.h). */
#pragma once

#include <json-c/json.h>
#include <sys/types.h>

#include "manifest.h"
#include "oci-image.h"

typedef struct SpecInput {
	const Pod *pod;
	const Container *ctr;
	const OciConfig *image;
	const char *rootfs;      /* the unpacked image */
	const char *volumes_dir; /* emptyDir volumes live in volumes_dir/NAME */
	const char *hostpaths_dir; /* hostPath volumes are staged (mounted) on hostpaths_dir/NAME */
	uid_t uid;               /* the container's user, as pod_user() resolved it */
	gid_t gid;
	uid_t id_base;           /* the pod's host id range starts here */
	const char *cgroup;      /* "/kubepods/pod<uid>/<container>" */
	const char *pod_uid;
} SpecInput;

/* Builds config.json; -EINVAL with a reason in err (for example nothing to run). */
int spec_build(const SpecInput *in, json_object **ret, char *err, size_t errlen);
/* The process arguments as Kubernetes composes them: command overrides the image's Entrypoint and
 * args its Cmd (a command without args drops Cmd). Returns the count, -EINVAL when empty. */
int spec_argv(const Container *c, const OciConfig *img, const char **argv, size_t max);
/* PIDs a container may create when its pod gives no limit. */
#define SPEC_PIDS_MAX 1024
