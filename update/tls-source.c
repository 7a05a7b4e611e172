/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* https:// sources (bundle-source.h): TLS through OpenSSL, the server's certificate checked against
 * the CA given (PEM text: update.ca of the node configuration) and the URL's host name; the
 * answer's body is handed to the caller as the read end of a socket pair, which a thread fills
 * from the TLS connection, so that every reader of a plain fd reads https the same way. */
#include <limits.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "bundle-source.h"
#include "ca-store.h"
#include "http-client.h"
#include "util.h"

#define HEADER_MAX 16384u
#define TIMEOUT_S 60

typedef struct Pump {
	SSL_CTX *ctx;
	SSL *ssl;
	int net, out;
} Pump;

static void pump_free(Pump *p)
{
	SSL_free(p->ssl);
	SSL_CTX_free(p->ctx);
	if (p->net >= 0)
		close(p->net);
	if (p->out >= 0)
		close(p->out);
	free(p);
}

/* The body, from TLS to the socket pair; at the end (or an error) the pair is closed: the reader
 * sees the end of the stream, and the bundle reader a truncated bundle if it came early. */
static void *pump_run(void *arg)
{
	Pump *p = arg;
	char buf[65536];
	int n;

	while ((n = SSL_read(p->ssl, buf, sizeof(buf))) > 0)
		for (ssize_t w = 0, k; w < n; w += k)
			if ((k = send(p->out, buf + w, (size_t)(n - w), MSG_NOSIGNAL)) < 0)
				goto out; /* the reader is done (e.g. it wanted the manifest only) */
out:
	pump_free(p);
	return NULL;
}

/* Connects to url's host over TLS with the server's certificate checked against ca_pem and the
 * host name; p->ctx, p->ssl and p->net are set (pump_free frees them). host: the URL's host. */
static int tls_open(Pump *p, const char *url, const char *ca_pem, char *host, size_t hostlen, const char **ret_path,
		    char *err, size_t errlen)
{
	char port[8];
	const struct timeval tv = { .tv_sec = TIMEOUT_S };

	if (source_parse_url(url, host, hostlen, port, sizeof(port), ret_path) < 0)
		return errorf(err, errlen, -EINVAL, "bad URL '%s' (https://HOST[:PORT]/PATH)", url);
	if (!ca_pem || !ca_pem[0])
		return errorf(err, errlen, -EINVAL, "%s: https needs a CA (update.ca of the node configuration)", url);
	p->ctx = SSL_CTX_new(TLS_client_method());
	if (!p->ctx || SSL_CTX_set_min_proto_version(p->ctx, TLS1_2_VERSION) != 1 ||
	    ca_store_add_pem(SSL_CTX_get_cert_store(p->ctx), ca_pem) < 0)
		return errorf(err, errlen, -EINVAL, "%s: the CA is not a PEM certificate", url);
	SSL_CTX_set_verify(p->ctx, SSL_VERIFY_PEER, NULL);
	p->net = source_connect(host, port, err, errlen);
	if (p->net < 0)
		return p->net;
	(void)setsockopt(p->net, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(p->net, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	p->ssl = SSL_new(p->ctx);
	if (!p->ssl || SSL_set_fd(p->ssl, p->net) != 1 || SSL_set1_host(p->ssl, host) != 1 ||
	    SSL_set_tlsext_host_name(p->ssl, host) != 1 || SSL_connect(p->ssl) != 1) {
		long v = p->ssl ? SSL_get_verify_result(p->ssl) : X509_V_OK;

		return errorf(err, errlen, -EPERM, "%s: TLS handshake failed: %s", url,
			      v != X509_V_OK ? X509_verify_cert_error_string(v) : "no TLS server");
	}
	return 0;
}

int source_open_https(const char *url, const char *ca_pem, char *err, size_t errlen)
{
	char host[256], req[4096], hdr[HEADER_MAX + 1];
	const char *path;
	Pump *p = calloc(1, sizeof(*p));
	int sv[2], code, r;
	size_t have = 0;
	pthread_t t;

	if (!p)
		return errorf(err, errlen, -ENOMEM, "out of memory");
	p->net = p->out = -1;
	r = tls_open(p, url, ca_pem, host, sizeof(host), &path, err, errlen);
	if (r < 0)
		goto fail;
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: kcc-update\r\n\r\n", path, host);
	if (SSL_write(p->ssl, req, (int)strlen(req)) != (int)strlen(req)) {
		r = errorf(err, errlen, -EIO, "%s: cannot send the request", url);
		goto fail;
	}
	while (have < HEADER_MAX) { /* a byte at a time: the body's first byte stays for the pump */
		if (SSL_read(p->ssl, hdr + have, 1) != 1) {
			r = errorf(err, errlen, -EPIPE, "%s: the connection ended in the answer's header", url);
			goto fail;
		}
		have++;
		if (have >= 4 && memcmp(hdr + have - 4, "\r\n\r\n", 4) == 0)
			break;
	}
	if (have == HEADER_MAX || http_status_parse(hdr, have, &code) < 0) {
		r = errorf(err, errlen, -EBADMSG, "%s: not an HTTP answer", url);
		goto fail;
	}
	if (code != 200) {
		r = errorf(err, errlen, -ENOENT, "%s: HTTP status %d", url, code);
		goto fail;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		r = errorf(err, errlen, -errno, "socketpair: %m");
		goto fail;
	}
	p->out = sv[1];
	r = pthread_create(&t, NULL, pump_run, p);
	if (r != 0) {
		close(sv[0]);
		r = errorf(err, errlen, -r, "cannot start the TLS reader: %s", strerror(r));
		goto fail;
	}
	(void)pthread_detach(t);
	return sv[0];
fail:
	ERR_clear_error();
	pump_free(p);
	return r;
}

int source_https_exchange(const char *url, const char *ca_pem, const char *req, size_t reqlen, char *answer,
			  size_t max, size_t *ret_len, char *err, size_t errlen)
{
	char host[256];
	const char *path;
	Pump p = { .net = -1, .out = -1 };
	size_t have = 0;
	int r, n;

	r = tls_open(&p, url, ca_pem, host, sizeof(host), &path, err, errlen);
	if (r < 0)
		goto out;
	if (reqlen > INT_MAX || SSL_write(p.ssl, req, (int)reqlen) != (int)reqlen) {
		r = errorf(err, errlen, -EIO, "%s: cannot send the request", url);
		goto out;
	}
	while (have < max && (n = SSL_read(p.ssl, answer + have, (int)(max - have > INT_MAX ? INT_MAX : max - have))) > 0)
		have += (size_t)n;
	*ret_len = have;
out:
	ERR_clear_error();
	SSL_free(p.ssl);
	SSL_CTX_free(p.ctx);
	if (p.net >= 0)
		close(p.net);
	return r;
}
