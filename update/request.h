/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The node-local socket's request header (docs/upgrades.md, "The update socket"): one line,
 * "kcc-update/1 status\n", "kcc-update/1 apply\n" or "kcc-update/1 reboot\n", at most REQUEST_LINE_MAX bytes with the
 * newline; after "apply" the bundle's bytes follow until the client shuts down its sending side.
 * The answer is one line, "CODE TEXT\n" (CODE: kcc-update's exit code; for status, TEXT is the
 * JSON of `kcc-update status` on one line). Untrusted input: a libFuzzer target
 * (tests/unit/fuzz-update-request.c). */
#pragma once

#include <stddef.h>

#define REQUEST_MAGIC "kcc-update/1"
#define REQUEST_LINE_MAX 64u

typedef enum RequestCommand {
	REQUEST_STATUS,
	REQUEST_APPLY,
	REQUEST_REBOOT,
	_REQUEST_MAX,
	_REQUEST_INVALID = -22,
} RequestCommand;

/* Parses the header at the start of buf (len bytes, not NUL-terminated): 0 with *ret and
 * *ret_len (the header's bytes, newline included), -EAGAIN when more bytes may complete it,
 * -EBADMSG when they cannot. */
int request_parse(const char *buf, size_t len, RequestCommand *ret, size_t *ret_len);
