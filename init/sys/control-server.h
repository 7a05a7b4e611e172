/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PID 1's end of the control socket (control.h): a SOCK_SEQPACKET listener, one request per
 * connection. A request that changes the node's state (poweroff, reboot) needs CAP_SYS_BOOT in the
 * effective set of the process that connected (SO_PEERCRED / SO_PEERPIDFD, checked when the
 * request arrives); status needs uid 0. A refusal is answered "error: permission denied: ..." and
 * logged once. */
#pragma once

#include "control.h"

/* on_request runs for an authorised poweroff or reboot. Returns -errno. */
int control_server_start(void (*on_request)(ControlRequest req));
