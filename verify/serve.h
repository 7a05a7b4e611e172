/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-verify's TLS service: TLS 1.3 only (OpenSSL), HTTP/1.1 POST with a JSON body
 * (docs/attestation.md, "Wire format"), one connection at a time, each closed after its answer.
 * Requests are bounded (head HTTP_REQUEST_MAX, body ATTEST_BODY_MAX) and time out (10 s without a
 * byte, 20 s for a whole request), so an idle or trickling client holds the service that long. */
#pragma once

#include <stdio.h>

#include "verifier.h"

typedef struct ServeConfig {
	const char *listen; /* "ADDRESS:PORT"; port 0 picks one */
	const char *cert, *key;
	FILE *results;      /* every attestation result, one JSON line each (certificate and secrets left out) */
	unsigned max_requests; /* 0: no limit */
} ServeConfig;

/* Runs until max_requests were answered or a fatal error; prints "listening on ADDR:PORT" on
 * stdout once it accepts connections. */
int serve(Verifier *v, const ServeConfig *c);
