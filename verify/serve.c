/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "http-request.h"
#include "log.h"
#include "serve.h"
#include "util.h"

#define IO_TIMEOUT_S 10
/* A whole request, however slowly it trickles in: one connection at a time must not be held. */
#define REQUEST_DEADLINE_MS 20000

static int listen_on(const char *spec, char *shown, size_t shown_size)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	const char *colon = strrchr(spec, ':');
	char host[64];
	unsigned long port;
	int fd, one = 1;

	if (!colon || (size_t)(colon - spec) >= sizeof(host) || parse_uint(colon + 1, 0, 65535, &port) < 0)
		return -EINVAL;
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	if (inet_pton(AF_INET, host, &a.sin_addr) != 1)
		return -EINVAL;
	a.sin_port = htons((uint16_t)port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	snprintf(shown, shown_size, "%s:%u", host, ntohs(a.sin_port));
	return fd;
}

static SSL_CTX *tls_context(const ServeConfig *c)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx || SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_use_certificate_chain_file(ctx, c->cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, c->key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* Reads one request: the head, then Content-Length bytes of body. */
static int read_request(SSL *ssl, HttpRequest *req, char **ret_body, size_t *ret_len)
{
	unsigned long long deadline = now_ms() + REQUEST_DEADLINE_MS;
	size_t cap = HTTP_REQUEST_MAX + ATTEST_BODY_MAX, len = 0;
	_cleanup_free_ char *buf = malloc(cap);
	int r = -EAGAIN;

	if (!buf)
		return -ENOMEM;
	while (r == -EAGAIN) {
		int n = SSL_read(ssl, buf + len, (int)(HTTP_REQUEST_MAX - len));
		if (n <= 0 || now_ms() > deadline)
			return -ECONNRESET;
		len += (size_t)n;
		r = http_parse_request(buf, len, req);
	}
	if (r < 0)
		return r;
	if (!streq(req->method, "POST") || req->content_length < 0)
		return -EBADMSG;
	if (req->content_length > ATTEST_BODY_MAX)
		return -E2BIG;
	while (len < req->head_size + (size_t)req->content_length) {
		int n = SSL_read(ssl, buf + len, (int)(req->head_size + (size_t)req->content_length - len));
		if (n <= 0 || now_ms() > deadline)
			return -ECONNRESET;
		len += (size_t)n;
	}
	if (len != req->head_size + (size_t)req->content_length)
		return -EBADMSG; /* more than announced: no pipelining */
	*ret_len = (size_t)req->content_length;
	*ret_body = malloc(*ret_len + 1);
	if (!*ret_body)
		return -ENOMEM;
	memcpy(*ret_body, buf + req->head_size, *ret_len);
	(*ret_body)[*ret_len] = '\0';
	return 0;
}

static const char *status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 413: return "Content Too Large";
	default: return "Internal Server Error";
	}
}

static void answer(SSL *ssl, int status, const char *body)
{
	char head[200];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n",
			 status, status_text(status), strlen(body));

	if (SSL_write(ssl, head, n) == n)
		(void)SSL_write(ssl, body, (int)strlen(body));
}

/* The result to the log, without the certificate and the released secrets. */
static void log_result(FILE *f, const char *path, const char *body)
{
	json_object *o;

	if (!f || !streq(path, "/v1/finish"))
		return;
	o = json_tokener_parse(body);
	if (o && json_object_object_get_ex(o, "verdict", NULL)) {
		json_object_object_del(o, "certificate");
		json_object_object_del(o, "secrets");
		fprintf(f, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								   JSON_C_TO_STRING_NOSLASHESCAPE));
		fflush(f);
	}
	json_object_put(o);
}

static void one_connection(Verifier *v, SSL_CTX *ctx, int fd, FILE *results)
{
	const struct timeval tv = { .tv_sec = IO_TIMEOUT_S };
	SSL *ssl = SSL_new(ctx);
	HttpRequest req;
	char *body = NULL, *out = NULL;
	size_t len = 0;
	int status, r;

	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (!ssl || SSL_set_fd(ssl, fd) != 1 || SSL_accept(ssl) != 1) {
		log_info("TLS handshake failed, ignoring the connection");
		goto out;
	}
	r = read_request(ssl, &req, &body, &len);
	if (r == -ECONNRESET)
		goto out;
	if (r < 0) {
		answer(ssl, r == -E2BIG ? 413 : 400,
		       r == -E2BIG ? "{\"error\":\"the request is too large\"}"
				   : "{\"error\":\"not an HTTP/1.1 POST with a Content-Length\"}");
		goto shutdown;
	}
	if (verifier_handle(v, req.path, body, len, &status, &out) < 0) {
		answer(ssl, 500, "{\"error\":\"out of memory\"}");
		goto shutdown;
	}
	answer(ssl, status, out);
	log_result(results, req.path, out);
shutdown:
	(void)SSL_shutdown(ssl);
out:
	free(body);
	free(out);
	SSL_free(ssl);
	ERR_clear_error();
}

int serve(Verifier *v, const ServeConfig *c)
{
	_cleanup_close_ int lfd = -EBADF;
	char shown[96];
	SSL_CTX *ctx;

	signal(SIGPIPE, SIG_IGN);
	ctx = tls_context(c);
	if (!ctx)
		return log_error_errno(-EINVAL, "Failed to load the TLS certificate %s and key %s",
				       c->cert, c->key);
	lfd = listen_on(c->listen, shown, sizeof(shown));
	if (lfd < 0) {
		SSL_CTX_free(ctx);
		return log_error_errno(lfd, "Failed to listen on %s: %m", c->listen);
	}
	printf("listening on %s\n", shown);
	fflush(stdout);
	for (unsigned n = 0; !c->max_requests || n < c->max_requests; n++) {
		_cleanup_close_ int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			SSL_CTX_free(ctx);
			return log_error_errno(-errno, "Failed to accept: %m");
		}
		one_connection(v, ctx, fd, c->results);
	}
	SSL_CTX_free(ctx);
	return 0;
}
