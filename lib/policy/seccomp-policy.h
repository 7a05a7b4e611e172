/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The one seccomp policy of kcc-node: services (compiled with libseccomp by kcc-init,
 * seccomp-compile.c) and pods (rendered into the OCI config.json for crun, seccomp-oci.c) read the
 * same table, so both say the same (tests/unit/test-seccomp-policy.c proves it). Anything not in
 * the table fails with EPERM; the table and the reason for each row are in
 * docs/security-profiles.md. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Every namespace clone() can create. CLONE_NEWTIME only exists for clone3 and unshare, which
 * the policy refuses whole. */
#define SECCOMP_POLICY_NS_FLAGS                                                                   \
	(0x00020000UL /* NEWNS */ | 0x02000000UL /* NEWCGROUP */ | 0x04000000UL /* NEWUTS */ |    \
	 0x08000000UL /* NEWIPC */ | 0x10000000UL /* NEWUSER */ | 0x20000000UL /* NEWPID */ |     \
	 0x40000000UL /* NEWNET */)

/* What a system call not in the table gets. */
#define SECCOMP_POLICY_DEFAULT_ERRNO 1 /* EPERM */

typedef enum SeccompPolicyAction {
	SECCOMP_POLICY_ALLOW,
	SECCOMP_POLICY_ERRNO,
	_SECCOMP_POLICY_ACTION_MAX,
	_SECCOMP_POLICY_ACTION_INVALID = -22, /* -EINVAL */
} SeccompPolicyAction;

typedef struct SeccompPolicyRule {
	const char *name;
	SeccompPolicyAction action;
	int errno_ret;     /* SECCOMP_POLICY_ERRNO: the error the call returns */
	bool masked;       /* ALLOW only when (argument arg & mask) == value; EPERM otherwise */
	unsigned arg;
	uint64_t mask;
	uint64_t value;
} SeccompPolicyRule;

/* The rows with a condition or an error of their own, then the plain allowlist. */
const SeccompPolicyRule *seccomp_policy_rules(size_t *ret_n);
const char *const *seccomp_policy_allowed(size_t *ret_n);

/* The calls refused on purpose whose refusal is logged (an audit record, docs/events.md); clone
 * with a namespace flag is logged too. */
const char *const *seccomp_policy_logged(size_t *ret_n);

/* Whether a service profile may add name to its allowlist (syscalls =): never a call the policy
 * filters by argument or refuses on purpose (clone, clone3, unshare, setns, io_uring). */
bool seccomp_policy_extra_ok(const char *name);
