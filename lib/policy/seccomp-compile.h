/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The seccomp policy (seccomp-policy.h) compiled with libseccomp, for services. */
#pragma once

#include <seccomp.h>
#include <stddef.h>

/* Adds the policy's rules, then the extra names (a service's syscalls =, each
 * seccomp_policy_extra_ok()), to ctx. -EPERM for an extra the policy refuses, -EINVAL for an
 * unknown name. */
int seccomp_policy_add(scmp_filter_ctx ctx, const char *const *extra, size_t n_extra);

/* A new filter: EPERM by default, other ABIs (x32, i386) kill the process, then the rules. */
int seccomp_policy_compile(const char *const *extra, size_t n_extra, scmp_filter_ctx *ret);

/* The second filter a service stacks on the first (loaded after it, so it is the newer one): it
 * allows everything but the policy's logged calls (seccomp_policy_logged(), less the extra names)
 * and clone with a namespace flag, which it refuses with the policy's default error and
 * SECCOMP_FILTER_FLAG_LOG. The kernel runs both filters and takes the strictest action; on a tie
 * the newer filter's, so these refusals, and only these, get an audit record (AUDIT_SECCOMP). */
int seccomp_policy_compile_log(const char *const *extra, size_t n_extra, scmp_filter_ctx *ret);
