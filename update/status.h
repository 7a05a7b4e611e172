/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `kcc-update status`: the node's slots and boot entries as one JSON object (docs/upgrades.md,
 * "kcc-update"). */
#pragma once

#include "node.h"

struct json_object;
struct json_object *status_json(const Node *n);
