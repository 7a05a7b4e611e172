/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The end of every boot: a fatal stage error (one clear line already logged, then poweroff or
 * reboot), or an orderly shutdown. The orderly one moves PID 1 into a small tmpfs root (the
 * "exitrd": the big kcc-init and the libraries it has mapped, copied there by "kcc-init
 * prepare-exitrd") and executes kcc-init there, which unmounts the verity root and closes the
 * LUKS2 and verity devices before reboot(2) (init/exitrd.h). */
#pragma once

#include "cmdline.h"

#define EXITRD "/run/kcc/exitrd"

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
/* sync(2), then reboot(2) as the action says. */
_Noreturn void shutdown_reboot(ShutdownAction a);
