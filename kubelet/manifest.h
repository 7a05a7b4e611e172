/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Static pod manifests: the subset of the Kubernetes Pod (v1) that kcc-kubelet runs, from YAML or
 * JSON. Every field outside the subset rejects the pod with a reason naming the field
 * (docs/kubelet.md lists the subset). */
#pragma once

#include "dns-name.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define POD_CONTAINERS_MAX 8
#define POD_VOLUMES_MAX 16
#define POD_LABELS_MAX 32
#define CTR_ARGS_MAX 64
#define CTR_ENV_MAX 64
#define CTR_MOUNTS_MAX 16
#define CTR_CAPS_MAX 40

typedef enum ProbeKind { PROBE_NONE, PROBE_EXEC, PROBE_HTTP } ProbeKind;

typedef struct Probe {
	ProbeKind kind;
	char *exec[CTR_ARGS_MAX + 1]; /* NULL-terminated */
	char *path;                   /* httpGet */
	unsigned port;
	unsigned initial_delay_s, period_s, timeout_s, success_threshold, failure_threshold;
} Probe;

typedef struct VolumeMount {
	char *name, *path;
	bool read_only, read_only_set;
} VolumeMount;

typedef enum VolumeKind { VOLUME_EMPTY_DIR, VOLUME_HOST_PATH, VOLUME_SECRET } VolumeKind;

/* hostPath.type; device types (CharDevice, BlockDevice) are refused when the manifest is read. */
typedef enum HostPathType {
	HOST_PATH_UNSET, /* "": a directory, a regular file or a socket */
	HOST_PATH_DIRECTORY,
	HOST_PATH_DIRECTORY_OR_CREATE,
	HOST_PATH_FILE,
	HOST_PATH_FILE_OR_CREATE,
	HOST_PATH_SOCKET,
	_HOST_PATH_TYPE_MAX,
} HostPathType;

typedef struct Volume {
	char *name;
	VolumeKind kind;
	char *host_path; /* read-only in a container unless its mount says readOnly: false */
	HostPathType host_type;
	char *secret_name; /* secret.secretName: a secret released to the node (secret-volume.h) */
} Volume;

typedef struct Container {
	char *name, *image, *working_dir;
	char *command[CTR_ARGS_MAX + 1], *args[CTR_ARGS_MAX + 1]; /* NULL-terminated, may be empty */
	bool has_command, has_args;
	char *env[CTR_ENV_MAX + 1]; /* "KEY=VALUE", NULL-terminated */
	uint64_t cpu_millis;        /* resources.limits.cpu, 0: none */
	uint64_t memory_bytes;      /* resources.limits.memory, 0: none */
	bool has_uid, has_gid;
	uid_t uid;
	gid_t gid;
	bool read_only_root, allow_privilege_escalation;
	bool run_as_non_root; /* checked against the image's user when the container starts */
	char *cap_add[CTR_CAPS_MAX + 1]; /* "CAP_NET_BIND_SERVICE", NULL-terminated; the node's pod
					  * policy decides which may be added (policy.h) */
	bool cap_drop_all;               /* informational: everything else is dropped anyway */
	VolumeMount mounts[CTR_MOUNTS_MAX];
	unsigned n_mounts;
	Probe liveness, readiness;
} Container;

typedef enum PodRestart { POD_RESTART_ALWAYS, POD_RESTART_ON_FAILURE, POD_RESTART_NEVER } PodRestart;

typedef struct Pod {
	char *name, *namespace;
	char *label_keys[POD_LABELS_MAX], *label_values[POD_LABELS_MAX];
	unsigned n_labels;
	Container containers[POD_CONTAINERS_MAX];
	unsigned n_containers;
	Volume volumes[POD_VOLUMES_MAX];
	unsigned n_volumes;
	PodRestart restart;
	bool host_network;
	char **pool; /* every string above; freed by pod_free */
	size_t n_pool;
} Pod;

/* Parses a manifest. On error returns -EINVAL (-E2BIG, -ENOMEM) with the reason in err, for
 * example "spec.containers[0].resources.limits.memory: invalid quantity '64Q'". When the name and
 * namespace could be read, they are left in ret even on error (for the pod's status). */
int pod_parse(const char *text, size_t len, Pod *ret, char *err, size_t errlen);
void pod_free(Pod *p);

/* Quantities as Kubernetes writes them: "500m", "2", "0.5" CPUs -> millicores; "64Mi", "1G",
 * "1000" bytes. -EINVAL on anything else, -ERANGE on overflow. */
int quantity_cpu_millis(const char *s, uint64_t *ret);
int quantity_bytes(const char *s, uint64_t *ret);
const char *pod_restart_to_string(PodRestart r);
const char *host_path_type_to_string(HostPathType t);
