/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The commands of kcc-update that work on the node: status, apply, rollback, cancel, serve. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "node.h"

#define DEFAULT_UPDATE_KEY "/usr/lib/kcc/update-key.pem"
#define DEFAULT_SOCKET "/run/kcc/update.sock"

typedef struct NodeCommand {
	const char *name;
	int (*run)(int argc, char **argv); /* argv[0] is the command's name */
} NodeCommand;
extern const NodeCommand node_commands[8];

/* The options every node command takes: --key, --socket [PATH], and the node paths (node.h);
 * pull mode's (pull.h): --pull (serve), --interval S, --config JSON, --init-pid PID (the process
 * asked to reboot, default 1; tests point it at a stand-in). */
typedef struct NodeArgs {
	NodePaths paths;
	const char *key;
	const char *socket; /* non-NULL with --socket */
	const char *config; /* NULL: DEFAULT_NODE_CONFIG */
	bool pull;
	unsigned interval_s;
	pid_t init_pid;
	const char *operand; /* the one operand, or NULL */
} NodeArgs;
int node_args_parse(int argc, char **argv, NodeArgs *ret);

/* Prints "kcc-update: " and one line to stderr; returns code. */
int say_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* kcc-update serve (serve.c). */
int cmd_serve(int argc, char **argv);
/* The socket client of `apply --socket` and `status --socket` (serve.c). */
int client_request(const char *socket, const char *command, const char *source);
