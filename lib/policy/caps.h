/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The capability half of the policy layer, one for services and pods: names (without libcap, so a
 * libc-only program can parse them) and the pod rules (what a pod gets by default, what no pod
 * policy can ever grant). */
#pragma once

#include <stdbool.h>

/* "CAP_NET_ADMIN", "cap_net_admin", "NET_ADMIN" or "net_admin" into its number: 0 or -EINVAL. */
int cap_from_string(const char *name, int *ret);
/* "CAP_NET_ADMIN", or NULL for a number the table does not know. */
const char *cap_to_string(int cap);
/* The highest capability number the table knows. */
int cap_last(void);
/* Pods: the only capability a pod may add without a policy rule (NET_BIND_SERVICE). */
bool cap_pod_default(int cap);
/* Pods: capabilities no pod policy can grant (SYS_ADMIN, SYS_MODULE, BPF, ...). */
bool cap_pod_never(int cap);
