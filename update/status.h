/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `kcc-update status`: the node's slots and boot entries as one JSON object (docs/upgrades.md,
 * "kcc-update"). */
#pragma once

#include "node.h"

struct json_object;
struct json_object *status_json(const Node *n);

/* The status for kcc-update status-server (docs/upgrades.md, "A rollout"): `kcc-update serve`
 * writes it where it writes the rollback condition (at its start, in each pull round, after each
 * apply), into <run-dir>/kcc/update-status/status.json (0644), but only when that folder exists:
 * kcc-init makes it when the node configuration names update.status-port. -errno. */
#define STATUS_DIR "kcc/update-status"
#define STATUS_FILE "status.json"
int status_write(const Node *n);

/* kcc-update status-server: that file over HTTP, read-only. */
int cmd_status_server(int argc, char **argv);
