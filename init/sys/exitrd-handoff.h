/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* How kcc-init, re-executed as PID 1 in the exitrd, knows that it is there and what to do: not by
 * its argv (as PID 1 that is the kernel's, made of command-line words: "exitrd poweroff" on the
 * command line must not skip the boot) nor its environment (KEY=VALUE words reach it too), but by
 * an inherited descriptor the kernel never gives PID 1: a sealed memfd on fd EXITRD_HANDOFF_FD
 * holding "kcc-exitrd ACTION". */
#pragma once

#define EXITRD_HANDOFF_FD 3

/* Before the exec: puts the sealed memfd with action (a shutdown_action_to_string name) on
 * EXITRD_HANDOFF_FD, inheritable. Returns -errno. */
int exitrd_handoff_give(const char *action);
/* At start as PID 1: 1 and the action name in ret (size len) when fd EXITRD_HANDOFF_FD is such a
 * memfd (it is closed then), 0 when there is none, whatever else is on that fd. */
int exitrd_handoff_take(char *ret, size_t len);
