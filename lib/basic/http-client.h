/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The client side of the small HTTP/1.1 of lib/basic, for every GET of kcc-node: kcc-init's
 * readiness check (ready = http:PORT/PATH), kcc-kubelet's httpGet probes and `kcc-kubelet pods`.
 * Requests are HTTP/1.0 GETs, so the server closes after its answer; the answer's status line is
 * parsed in one place (untrusted: a libFuzzer target, tests/unit/fuzz-http-status.c). */
#pragma once

#include <stddef.h>

#define HTTP_ANSWER_MAX (4 * 1024 * 1024)

/* Connects to 127.0.0.1:port, or to the Unix socket unix_path when it is not NULL, and sends
 * "GET target"; timeout_ms bounds the connect, the send and each later receive (0: no bound).
 * Returns the connected socket, or -errno (nobody listening: -ECONNREFUSED or -ENOENT). */
int http_get_send(const char *unix_path, unsigned port, const char *target, unsigned timeout_ms);

/* The status line at the start of an answer, "HTTP/1.x NNN" then a space or the line's end:
 * 0 with *ret_code (100-599), -EAGAIN while buf (len bytes, not NUL-terminated) may still become
 * one, -EBADMSG when it cannot. */
int http_status_parse(const char *buf, size_t len, int *ret_code);

/* Reads only as much of the answer as its status line takes (a probe's answer). */
int http_get_status(int fd, int *ret_code);

/* Reads the answer to its end (at most max bytes): its status code and its body, NUL-terminated,
 * the caller's to free. -EBADMSG when it is no HTTP answer, -E2BIG when it is max bytes or
 * longer. */
int http_get_read(int fd, size_t max, int *ret_code, char **ret_body);

/* http_get_send, then http_get_read of at most HTTP_ANSWER_MAX bytes. */
int http_get(const char *unix_path, unsigned port, const char *target, unsigned timeout_ms,
	     int *ret_code, char **ret_body);
