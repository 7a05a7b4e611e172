/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "seccomp-compile.h"
#include "seccomp-policy.h"

static int add_rule(scmp_filter_ctx ctx, const SeccompPolicyRule *r)
{
	int nr = seccomp_syscall_resolve_name(r->name);
	uint32_t action;

	if (nr == __NR_SCMP_ERROR)
		return 0; /* not on this architecture */
	action = r->action == SECCOMP_POLICY_ERRNO ? SCMP_ACT_ERRNO((uint32_t)r->errno_ret)
						   : SCMP_ACT_ALLOW;
	if (r->masked)
		return seccomp_rule_add(ctx, action, nr, 1,
					SCMP_CMP64(r->arg, SCMP_CMP_MASKED_EQ, r->mask, r->value));
	return seccomp_rule_add(ctx, action, nr, 0);
}

int seccomp_policy_add(scmp_filter_ctx ctx, const char *const *extra, size_t n_extra)
{
	const SeccompPolicyRule *rules;
	const char *const *allowed;
	size_t n;
	int r;

	/* in the order of the OCI rendering */
	allowed = seccomp_policy_allowed(&n);
	for (size_t i = 0; i < n; i++) {
		r = add_rule(ctx, &(SeccompPolicyRule){ .name = allowed[i] });
		if (r < 0)
			return r;
	}
	rules = seccomp_policy_rules(&n);
	for (size_t i = 0; i < n; i++) {
		r = add_rule(ctx, &rules[i]);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < n_extra; i++) {
		int nr = seccomp_syscall_resolve_name(extra[i]);

		if (!seccomp_policy_extra_ok(extra[i]))
			return -EPERM;
		if (nr == __NR_SCMP_ERROR)
			return -EINVAL;
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (r < 0 && r != -EEXIST)
			return r;
	}
	return 0;
}

int seccomp_policy_compile(const char *const *extra, size_t n_extra, scmp_filter_ctx *ret)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(SECCOMP_POLICY_DEFAULT_ERRNO));
	int r;

	if (!ctx)
		return -ENOMEM;
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (r >= 0)
		r = seccomp_policy_add(ctx, extra, n_extra);
	if (r < 0) {
		seccomp_release(ctx);
		return r;
	}
	*ret = ctx;
	return 0;
}

static bool in(const char *name, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(name, v[i]) == 0)
			return true;
	return false;
}

int seccomp_policy_compile_log(const char *const *extra, size_t n_extra, scmp_filter_ctx *ret)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	const uint32_t deny = SCMP_ACT_ERRNO(SECCOMP_POLICY_DEFAULT_ERRNO);
	const char *const *logged;
	size_t n;
	int r, nr;

	if (!ctx)
		return -ENOMEM;
	/* The policy's filter kills other ABIs; this one leaves them to it. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW);
	if (r >= 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1);
	logged = seccomp_policy_logged(&n);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		/* a service's own allowlist wins (e.g. ptrace for a debugger's profile) */
		if (in(logged[i], extra, n_extra))
			continue;
		nr = seccomp_syscall_resolve_name(logged[i]);
		if (nr != __NR_SCMP_ERROR)
			r = seccomp_rule_add(ctx, deny, nr, 0);
	}
	/* clone with any namespace flag: one rule a flag (the rules of a call are or'ed) */
	for (unsigned b = 0; r >= 0 && b < 64; b++) {
		uint64_t bit = 1ULL << b;
		if (SECCOMP_POLICY_NS_FLAGS & bit)
			r = seccomp_rule_add(ctx, deny, SCMP_SYS(clone), 1,
					     SCMP_CMP64(0, SCMP_CMP_MASKED_EQ, bit, bit));
	}
	if (r < 0) {
		seccomp_release(ctx);
		return r;
	}
	*ret = ctx;
	return 0;
}
