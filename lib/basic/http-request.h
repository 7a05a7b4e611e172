/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The server side of the small HTTP/1.1 of lib/basic: the request parser of kcc-kubelet's
 * endpoints (untrusted input from any local process; a libFuzzer target, tests/unit/fuzz-http.c):
 * a request line and headers, of which only Content-Length is read (kcc-verify's POST bodies).
 * The client side is http-client.h. */
#pragma once

#include <stddef.h>

#define HTTP_REQUEST_MAX 4096
#define HTTP_PATH_MAX 256

typedef struct HttpRequest {
	char method[8];
	char path[HTTP_PATH_MAX]; /* without the query */
	size_t head_size;         /* the body, if any, starts here */
	long content_length;      /* -1 without a Content-Length header */
} HttpRequest;

/* Parses what has arrived so far (len bytes, not NUL-terminated): 0 with *ret filled when the
 * head is complete (an empty line after it), -EAGAIN when more is needed, -E2BIG when the head
 * is longer than HTTP_REQUEST_MAX, -EBADMSG when it is not an HTTP/1.x request. */
int http_parse_request(const char *buf, size_t len, HttpRequest *ret);
