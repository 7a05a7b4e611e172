/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Where `kcc-update apply SOURCE` reads a bundle from: a file, "-" (standard input) or an
 * http(s)://HOST[:PORT]/PATH URL (the body of a GET, streamed). https needs a CA (PEM text):
 * pull mode passes update.ca of the node configuration; without one, https is refused. */
#pragma once

#include <stddef.h>

/* An fd positioned at the first byte of the bundle; -errno with one line in err (-EPROTONOSUPPORT:
 * a scheme this tool does not support, -EINVAL: a bad URL). */
int source_open(const char *source, char *err, size_t errlen);
int source_open_ca(const char *source, const char *ca_pem, char *err, size_t errlen);
/* https:// only (tls-source.c). */
int source_open_https(const char *url, const char *ca_pem, char *err, size_t errlen);
/* One request over TLS to url's host (checked as source_open_https does), the whole answer (until
 * the server closes, at most max bytes) in answer. 0 or -errno (err: one line). */
int source_https_exchange(const char *url, const char *ca_pem, const char *req, size_t reqlen, char *answer,
			  size_t max, size_t *ret_len, char *err, size_t errlen);
/* Splits http(s)://HOST[:PORT]/PATH (exported for the unit test). */
int source_parse_url(const char *url, char *host, size_t hostlen, char *port, size_t portlen, const char **ret_path);
/* A TCP connection to host:port (a name or an address), or -errno with one line in err. */
int source_connect(const char *host, const char *port, char *err, size_t errlen);
