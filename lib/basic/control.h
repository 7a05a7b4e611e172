/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The control socket of PID 1: a SOCK_SEQPACKET socket in /run (mode 0600), one request per
 * connection. Requests are one word: "poweroff", "reboot" (need CAP_SYS_BOOT in the requester's
 * effective set) or "status" (needs uid 0); the answer is "ok" or the status text, or
 * "error: ..." ("error: permission denied: ..." for a refusal). */
#pragma once

#define CONTROL_SOCKET "/run/kcc/control"
#define CONTROL_MSG_MAX 4096

typedef enum ControlRequest {
	CONTROL_POWEROFF,
	CONTROL_REBOOT,
	CONTROL_STATUS,
	_CONTROL_REQUEST_MAX,
	_CONTROL_REQUEST_INVALID = -22,
} ControlRequest;

ControlRequest control_request_from_string(const char *s);
const char *control_request_to_string(ControlRequest r);
