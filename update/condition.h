/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The rollback condition (docs/upgrades.md, "Rollbacks are reported"): `kcc-update serve` writes
 * <run-dir>/kcc/update-condition.json at its start and after each change it makes, so that a
 * rollback the loader or PID 1 decided is never silent:
 *   {"type":"KccUpdateRolledBack","status":"True"|"False","reason":...,"message":...,
 *    "running":V,"rolled_back":W|null}
 * `kcc-update condition [--file PATH]` reads it with the exit codes of node-problem-detector's
 * custom plugins: 0 OK (not rolled back), 1 NonOK (rolled back; the message names the versions),
 * 2 Unknown (no file or a bad one), and the message on stdout. */
#pragma once

#include "node.h"

#define CONDITION_FILE "kcc/update-condition.json"

/* Writes the condition for the node as it is now; -errno. A rollback is also logged on stderr. */
int condition_write(const Node *n);

/* kcc-update condition. */
int cmd_condition(int argc, char **argv);
