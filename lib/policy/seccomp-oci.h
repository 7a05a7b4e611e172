/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The seccomp policy (seccomp-policy.h) as the "seccomp" object of an OCI runtime spec, for pods:
 * crun compiles it with libseccomp as kcc-init does for services. */
#pragma once

#include <json-c/json.h>

/* A new object (the caller owns it), or NULL when out of memory. */
json_object *seccomp_policy_oci(void);
