/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One HTTP/1.1 POST of a JSON body over TLS 1.3 to the verifier, whose certificate must chain to
 * the CA (ca_file, else the PEM text ca_pem) and name its host; the answer is read to its end (the
 * verifier closes after it). */
#pragma once

#include <stddef.h>

#define TLS_POST_ANSWER_MAX (2 * 1024 * 1024)

/* url: "https://HOST[:PORT][/PATH]" (the node configuration's verifier.url), path the endpoint.
 * *ret_status gets the HTTP status, *ret_body the answer's body (NUL-terminated, malloc'ed).
 * -errno with the reason in err. */
int tls_post(const char *url, const char *ca_file, const char *ca_pem, const char *path,
	     const char *body, int *ret_status, char **ret_body, char *err, size_t err_size);
