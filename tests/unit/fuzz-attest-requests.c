/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: what a client sends kcc-verify's service, after TLS: the HTTP head and body,
 * the join messages, and their appraisal by a verifier that knows no EK (every start is refused
 * after its parsers ran; every finish names no open session). Also TPMS_ATTEST and
 * TPMT_SIGNATURE through quote_verify. */
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "http-request.h"
#include "quote.h"
#include "verifier.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static Verifier *v;
	static const uint8_t values[PCR_COUNT][32];
	const char *s = (const char *)data;
	HttpRequest req;
	char *out = NULL, err[200];
	int status;

	if (!v) {
		v = calloc(1, sizeof(*v));
		if (!v)
			return 0;
	}
	if (http_parse_request(s, size, &req) == 0 && req.content_length >= 0 &&
	    req.head_size + (size_t)req.content_length <= size) {
		if (verifier_handle(v, req.path, s + req.head_size, (size_t)req.content_length,
				    &status, &out) == 0)
			free(out);
	}
	/* The body alone, as each message. */
	if (verifier_handle(v, size && data[0] & 1 ? "/v1/finish" : "/v1/start", s, size, &status,
			    &out) == 0)
		free(out);
	{
		AttestChallenge c;
		if (attest_challenge_parse(s, size, &c, err, sizeof(err)) == 0)
			attest_challenge_done(&c);
	}
	/* The first half as TPMS_ATTEST, the rest as TPMT_SIGNATURE. */
	(void)quote_verify(data, size / 2, data + size / 2, size - size / 2, NULL, 0, NULL, 0,
			   1u << 11, values, err, sizeof(err));
	return 0;
}
