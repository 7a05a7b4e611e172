/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The confinement kcc-sandbox (sandbox-main.c) applies to itself before it executes a service: a
 * private mount namespace with its own /tmp, the capability sets (libcap), no_new_privs, a
 * Landlock ruleset, a seccomp allowlist (libseccomp), in that order, so that the filters cannot
 * be undone. */
#pragma once

#include "service.h"

/* While still root with every capability: the private mount namespace (read-only views of every
 * mount but the service's writable_paths) and its own /tmp. */
int sandbox_mounts(const ServiceConfig *c);
/* While still root: the bounding set (dropping needs CAP_SETPCAP). */
int sandbox_drop_bounding(const ServiceConfig *c);
/* After the user switch: the permitted, effective and inheritable sets, then the ambient set (so
 * that a non-root service keeps them across exec), then no_new_privs. */
int sandbox_drop_privileges(const ServiceConfig *c);
/* Last, after the user switch, capabilities and no_new_privs: Landlock, then seccomp.
 * Returns 0, or -errno with what failed in what (the child prints it and exits 126). */
int sandbox_confine(const ServiceConfig *c, const char **what);

/* Syscall names a service may add to the policy's allowlist (known here, and not one the policy
 * filters or refuses on purpose), for the service parser's checks. */
bool sandbox_syscall_known(const char *name);
