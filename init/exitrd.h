/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-init's part of the orderly shutdown (init/sys/shutdown.h has the system stage's): it fills
 * the exitrd for the small PID 1, which then moves into it and executes kcc-init there as PID 1,
 * which closes the LUKS2 and verity devices (libcryptsetup) that the small PID 1 cannot. */
#pragma once

#include "shutdown.h"

/* "kcc-init prepare-exitrd DIR": copies this program and every file it has mapped (its libraries
 * and the dynamic loader) below dir. Returns -errno. */
int exitrd_populate(const char *dir);
/* Runs as PID 1 inside the exitrd: unmounts the old root tree, closes the state and verity
 * devices, reboot(2). */
_Noreturn void exitrd_run(ShutdownAction a);
