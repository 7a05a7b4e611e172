/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The node's pod security policy: the Kubernetes "restricted" Pod Security Standard for every pod,
 * and what the image's own policy file (/etc/kcc/pod-policy.conf, on the verity root) allows
 * beyond it per pod namespace: hostNetwork, running as root, privilege escalation, added
 * capabilities and hostPath prefixes (read-only or read-write). Some host paths are never
 * mountable whatever the file says (docs/kubelet.md). Refusals name the rule they broke. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "manifest.h"

#define POLICY_PATH "/etc/kcc/pod-policy.conf"
#define POLICY_RULES_MAX 64
#define POLICY_LINE_MAX 512
#define POLICY_NS_LEN 64
#define POLICY_PATH_LEN 256

/* Pods run in their own user namespace: container ids 0..POD_IDS-1 map to a host range of that
 * size (docs/kubelet.md). */
#define POD_IDS 65536U
/* uids and gids at or above this are refused everywhere (manifest and image config). */
#define POD_ID_LIMIT 0x80000000U

typedef enum PolicyAllow {
	POLICY_HOST_NETWORK = 1 << 0,
	POLICY_RUN_AS_ROOT = 1 << 1,
	POLICY_PRIVILEGE_ESCALATION = 1 << 2,
} PolicyAllow;

typedef struct PolicyRule {
	char ns[POLICY_NS_LEN]; /* a DNS label, or "*" for every namespace */
	unsigned allow;         /* PolicyAllow */
	uint64_t caps;          /* 1 << CAP_x */
	char path[POLICY_PATH_LEN]; /* a hostPath prefix, "" if none */
	bool writable;
} PolicyRule;

typedef struct PodPolicy {
	PolicyRule rules[POLICY_RULES_MAX];
	unsigned n_rules;
} PodPolicy;

/* Parses a policy file's text. Every bad line gets one line "NAME:LINE: reason" in err (as many
 * as fit); returns -EINVAL when there was any, and ret then holds no rule (restricted only). */
int pod_policy_parse(const char *text, size_t len, const char *name, PodPolicy *ret, char *err,
		     size_t errlen);
/* Reads and parses path; a missing file is the restricted profile (0, no rules). */
int pod_policy_load(const char *path, PodPolicy *ret, char *err, size_t errlen);

/* Admission of a parsed pod: 0, or -EPERM with "RULE: FIELD: reason" in err. */
int pod_admit(const PodPolicy *pol, const Pod *pod, char *err, size_t errlen);

/* The user a container runs as, from its securityContext and the image's configured user
 * ("UID", "UID:GID", unset); -EPERM with the rule in err (runAsNonRoot, runAsRoot, a user
 * outside the pod's range, a non-numeric image user without runAsUser). */
int pod_user(const PodPolicy *pol, const Pod *pod, const Container *c, const char *image_user,
	     uid_t *ret_uid, gid_t *ret_gid, char *err, size_t errlen);

/* Host paths: the canonical spelling of an absolute path ("//proc/./x/.." -> "/proc"),
 * -EINVAL when it is not absolute or too long. */
int host_path_canonical(const char *in, char *out, size_t len);
/* A canonical path that is, lies below or contains one of the never-mountable paths; sets
 * *which to that path. */
bool host_path_forbidden(const char *canonical, const char **which);
