/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `kcc-update apply`: a bundle streamed from an fd into the other slot (slot.h), with the node's
 * rules first: the running boot must be blessed, the bundle's security epoch not below the
 * node's, its signature verified before a byte is written (the reader does). Shared by the
 * command line and the socket service (serve.h). */
#pragma once

#include <stdio.h>

#include "bundle.h"
#include "node.h"

#define EXIT_REFUSED 1
#define EXIT_USAGE 100
#define EXIT_SYSTEM 111

typedef struct ApplyResult {
	int code;       /* exit code: 0, EXIT_REFUSED, EXIT_USAGE, EXIT_SYSTEM */
	char line[400]; /* what happened, one line, no newline */
} ApplyResult;

/* Reads the bundle from fd (what: its name in messages) and applies it to the node. */
void apply_stream(Node *n, const BundleKey *key, int fd, const char *what, ApplyResult *ret);
