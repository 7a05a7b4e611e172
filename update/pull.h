/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pull mode (docs/upgrades.md, "Pull mode"): a standalone node polls `update.url` of its node
 * configuration, which names the channel's current bundle (or, ending in "/", a directory holding
 * it as kcc-node.bundle; https:// with update.ca as its CA). A round reads the bundle's signed
 * manifest (header, manifest, signature: the first bytes of the same URL), applies the bundle
 * when it is newer than the running version, takes a reboot slot from the FleetLock server of
 * `update.fleetlock-url` and asks PID 1 for an orderly reboot (SIGRTMIN+5, kured's signal); once
 * the new boot is blessed, a later round releases the slot (steady-state). */
#pragma once

#include <stdbool.h>

#include "bundle.h"
#include "commands.h"

#define DEFAULT_NODE_CONFIG "/run/kcc/node-config.json"
#define PULL_INTERVAL_S 300
#define PULL_BUNDLE_NAME "kcc-node.bundle" /* in an update.url that ends in "/" */

#define PULL_RETRY_S 30 /* the next round, at most, after a round that waits (for bless, for the lock) or failed */

typedef struct PullState {
	bool released; /* steady-state was sent once by this process */
	bool waiting;  /* the last round waits for something: the next one comes sooner */
	unsigned interval_s; /* update.poll-seconds of the node configuration; 0: the command line's */
} PullState;

/* One round; prints one line per thing done to stdout (refusals and failures to stderr). Returns an
 * exit code: 0 (nothing to do, staged, rebooting, waiting), 1 refused, 111 failure. */
int pull_round(const NodeArgs *a, const BundleKey *key, PullState *st);

/* kcc-update pull: one round. */
int cmd_pull(int argc, char **argv);
