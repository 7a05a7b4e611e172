/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The end of every boot: a fatal stage error (one clear line already logged, then poweroff or
 * reboot), or an orderly shutdown. The orderly one moves PID 1 into a small tmpfs root (the
 * "exitrd": kcc-init and the libraries it has mapped), so that it can unmount the verity root and
 * close the verity device before reboot(2). */
#pragma once

#include "cmdline.h"

typedef enum ShutdownAction {
	SHUTDOWN_POWEROFF,
	SHUTDOWN_REBOOT,
	_SHUTDOWN_ACTION_MAX,
	_SHUTDOWN_ACTION_INVALID = -22,
} ShutdownAction;

const char *shutdown_action_to_string(ShutdownAction a);
ShutdownAction shutdown_action_from_string(const char *s);

/* Logs which stage failed and ends the boot as kcc.on_failure= says. Never returns. */
_Noreturn void shutdown_fatal(const KccCmdline *cmdline, const char *stage, int error);
/* Kills what is left, syncs, moves into the exitrd and executes kcc-init there. */
_Noreturn void shutdown_final(ShutdownAction a);
/* Runs inside the exitrd: unmounts the old root tree, closes verity, reboot(2). */
_Noreturn void shutdown_exitrd(ShutdownAction a);
