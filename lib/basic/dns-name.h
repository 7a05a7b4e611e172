/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* DNS names as Kubernetes and the node configuration use them (RFC 1123, lower case): the one
 * check of each. */
#pragma once

#include <stdbool.h>

/* A label: [a-z0-9-], 1 to 63 characters, not starting or ending with '-'. */
bool dns_label_is_valid(const char *s);
/* A subdomain: labels joined by single dots, 253 characters at most. */
bool dns_subdomain_is_valid(const char *s);
