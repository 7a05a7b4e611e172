/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "ca-store.h"
#include "http-client.h"
#include "tls-post.h"
#include "util.h"

#define TIMEOUT_S 30

/* https://HOST[:PORT][/PATH]: the port defaults to 443, the path (without a trailing slash) is
 * put before the endpoint's. */
static int split_url(const char *url, char host[256], char port[8], char prefix[256])
{
	const char *p = startswith(url, "https://"), *slash, *colon;
	size_t hl;

	if (!p)
		return -EINVAL;
	slash = strchr(p, '/');
	slash = slash ?: p + strlen(p);
	colon = memchr(p, ':', (size_t)(slash - p));
	hl = (size_t)((colon ?: slash) - p);
	if (hl == 0 || hl >= 256 || strlen(slash) >= 256)
		return -EINVAL;
	memcpy(host, p, hl);
	host[hl] = '\0';
	if (colon) {
		unsigned long n;
		char buf[8];
		if ((size_t)(slash - colon - 1) >= sizeof(buf))
			return -EINVAL;
		memcpy(buf, colon + 1, (size_t)(slash - colon - 1));
		buf[slash - colon - 1] = '\0';
		if (parse_uint(buf, 1, 65535, &n) < 0)
			return -EINVAL;
		snprintf(port, 8, "%lu", n);
	} else
		strcpy(port, "443");
	snprintf(prefix, 256, "%s", slash);
	hl = strlen(prefix);
	if (hl && prefix[hl - 1] == '/')
		prefix[hl - 1] = '\0';
	return 0;
}

/* The CA the verifier's certificate must chain to: a PEM file, or PEM text. */
static int load_ca(SSL_CTX *ctx, const char *ca_file, const char *ca_pem)
{
	if (ca_file)
		return SSL_CTX_load_verify_locations(ctx, ca_file, NULL) == 1 ? 0 : -EINVAL;
	return ca_store_add_pem(SSL_CTX_get_cert_store(ctx), ca_pem);
}

static int connect_to(const char *host, const char *port)
{
	const struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	const struct timeval tv = { .tv_sec = TIMEOUT_S };
	struct addrinfo *ai = NULL;
	int fd = -ENOENT;

	if (getaddrinfo(host, port, &hints, &ai) != 0)
		return -EHOSTUNREACH;
	for (struct addrinfo *a = ai; a; a = a->ai_next) {
		int s = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
		if (s < 0) {
			fd = -errno;
			continue;
		}
		(void)setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		(void)setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(s, a->ai_addr, a->ai_addrlen) == 0) {
			fd = s;
			break;
		}
		fd = -errno;
		close(s);
	}
	freeaddrinfo(ai);
	return fd;
}

static int read_all(SSL *ssl, char **ret, size_t *ret_len)
{
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		int n;
		if (len + 1 == cap) {
			char *b;
			if (cap >= TLS_POST_ANSWER_MAX) {
				free(buf);
				return -E2BIG;
			}
			b = realloc(buf, cap * 2);
			if (!b) {
				free(buf);
				return -ENOMEM;
			}
			buf = b;
			cap *= 2;
		}
		n = SSL_read(ssl, buf + len, (int)(cap - 1 - len));
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return 0;
}

/* The verifier's certificate must name host: an IP address (its SAN iPAddress), or a DNS name
 * (also sent as SNI). */
static int expect_peer(SSL *ssl, const char *host)
{
	struct in6_addr a;

	if (inet_pton(AF_INET, host, &a) == 1 || inet_pton(AF_INET6, host, &a) == 1)
		return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) == 1 ? 0 : -EINVAL;
	return SSL_set1_host(ssl, host) == 1 && SSL_set_tlsext_host_name(ssl, host) == 1 ? 0 : -EINVAL;
}

int tls_post(const char *url, const char *ca_file, const char *ca_pem, const char *path,
	     const char *body, int *ret_status, char **ret_body, char *err, size_t err_size)
{
	char host[256], port[8], prefix[256], *answer = NULL, *head = NULL;
	const char *b;
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	size_t len = 0;
	int fd, r, hn;

	if (split_url(url, host, port, prefix) < 0)
		return errorf(err, err_size, -EINVAL, "%s: not https://HOST[:PORT][/PATH]", url);
	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx || SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    load_ca(ctx, ca_file, ca_pem) < 0) {
		SSL_CTX_free(ctx);
		return errorf(err, err_size, -EINVAL, "%s: no CA certificate to verify the verifier",
			      ca_file ?: "the node configuration's verifier.ca");
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	fd = connect_to(host, port);
	if (fd < 0) {
		SSL_CTX_free(ctx);
		return errorf(err, err_size, fd, "cannot connect to %s:%s: %s", host, port,
			      strerror(-fd));
	}
	ssl = SSL_new(ctx);
	r = -EPROTO;
	if (!ssl || SSL_set_fd(ssl, fd) != 1 || expect_peer(ssl, host) < 0 || SSL_connect(ssl) != 1) {
		long v = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
		errorf(err, err_size, r, "TLS with %s failed: %s", host,
		       v != X509_V_OK ? X509_verify_cert_error_string(v)
				      : ERR_reason_error_string(ERR_peek_last_error()) ?: "handshake");
		goto out;
	}
	hn = asprintf(&head, "POST %s%s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
			     "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		      prefix, path, host, strlen(body));
	if (hn < 0 || SSL_write(ssl, head, hn) != hn ||
	    SSL_write(ssl, body, (int)strlen(body)) != (int)strlen(body)) {
		errorf(err, err_size, r, "cannot send the request to %s", host);
		goto out;
	}
	r = read_all(ssl, &answer, &len);
	if (r < 0) {
		errorf(err, err_size, r, "cannot read the answer of %s", host);
		goto out;
	}
	b = strstr(answer, "\r\n\r\n");
	if (http_status_parse(answer, len, ret_status) < 0 || !b) {
		r = errorf(err, err_size, -EBADMSG, "the answer of %s is not HTTP", host);
		goto out;
	}
	*ret_body = strdup(b + 4);
	r = *ret_body ? 0 : -ENOMEM;
out:
	free(head);
	free(answer);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	ERR_clear_error();
	return r;
}
