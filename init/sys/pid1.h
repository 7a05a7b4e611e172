/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The system stage's event loop: signals, the control socket and the supervisor, then shutdown. */
#pragma once

#include "cmdline.h"

_Noreturn void pid1_run(const KccCmdline *cmdline);
