/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "sender.h"
#include "util.h"

#define IO_TIMEOUT_S 5
#define ACK_INTERVAL_MS 1000
#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 30000

static int ssl_fail(Sender *s, const char *what)
{
	unsigned long e = ERR_get_error();

	snprintf(s->err, sizeof(s->err), "%s: %s", what,
		 e ? ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "?" : "closed");
	ERR_clear_error();
	return -EPROTO;
}

/* A new TLS context from the files; replaces the old one only when the new one is whole. */
static int load_ctx(Sender *s)
{
	struct stat st;
	SSL_CTX *ctx;

	if (stat(s->cert, &st) < 0) {
		snprintf(s->err, sizeof(s->err), "no client certificate %s yet (the node has not "
			 "joined)", s->cert);
		return -ENOENT;
	}
	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx)
		return ssl_fail(s, "SSL_CTX_new");
	/* TLS 1.3 only; the collector must present a certificate from ca for host. */
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION)) {
		SSL_CTX_free(ctx);
		return ssl_fail(s, "TLS 1.3");
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (SSL_CTX_load_verify_locations(ctx, s->ca, NULL) != 1) {
		SSL_CTX_free(ctx);
		return ssl_fail(s, "the collector's CA");
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, s->cert) != 1) {
		SSL_CTX_free(ctx);
		return ssl_fail(s, "the node's certificate");
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, s->key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		SSL_CTX_free(ctx);
		return ssl_fail(s, "the node's key");
	}
	SSL_CTX_free(s->ctx);
	s->ctx = ctx;
	s->cert_ino = st.st_ino;
	s->cert_mtime = st.st_mtim;
	return 0;
}

/* The join renews the certificate by replacing the file (rename): a new inode or time. */
static bool cert_changed(const Sender *s)
{
	struct stat st;

	if (stat(s->cert, &st) < 0)
		return false;
	return st.st_ino != s->cert_ino || st.st_mtim.tv_sec != s->cert_mtime.tv_sec ||
	       st.st_mtim.tv_nsec != s->cert_mtime.tv_nsec;
}

int sender_init(Sender *s, const char *host, unsigned port, const char *ca, const char *cert,
		const char *key)
{
	*s = (Sender){ .fd = -EBADF, .port = port, .backoff_ms = BACKOFF_MIN_MS };
	snprintf(s->host, sizeof(s->host), "%s", host);
	if (snprintf(s->ca, sizeof(s->ca), "%s", ca) >= (int)sizeof(s->ca) ||
	    snprintf(s->cert, sizeof(s->cert), "%s", cert) >= (int)sizeof(s->cert) ||
	    snprintf(s->key, sizeof(s->key), "%s", key) >= (int)sizeof(s->key)) {
		snprintf(s->err, sizeof(s->err), "a path is too long");
		return -ENAMETOOLONG;
	}
	return load_ctx(s);
}

bool sender_connected(const Sender *s)
{
	return s->ssl != NULL;
}

void sender_drop(Sender *s, unsigned long long now_ms)
{
	if (s->ssl) {
		SSL_shutdown(s->ssl);
		SSL_free(s->ssl);
		s->ssl = NULL;
	}
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -EBADF;
	s->sent = 0;
	s->candidate = 0;
	s->retry_ms = now_ms + s->backoff_ms;
	s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : s->backoff_ms * 2;
}

void sender_free(Sender *s)
{
	sender_drop(s, 0);
	SSL_CTX_free(s->ctx);
	s->ctx = NULL;
}

static int tcp_connect(Sender *s)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res, *a;
	struct timeval tv = { .tv_sec = IO_TIMEOUT_S };
	char port[8];
	int fd = -1, r;

	snprintf(port, sizeof(port), "%u", s->port);
	r = getaddrinfo(s->host, port, &hints, &res);
	if (r != 0) {
		snprintf(s->err, sizeof(s->err), "%s: %s", s->host, gai_strerror(r));
		return -EHOSTUNREACH;
	}
	for (a = res; a; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
		if (fd < 0)
			continue;
		/* Bounded waits: the forwarder must come back to the kernel log. */
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		snprintf(s->err, sizeof(s->err), "connect to %s:%u: %s", s->host, s->port,
			 strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return -ECONNREFUSED;
	s->fd = fd;
	return 0;
}

int sender_connect(Sender *s, unsigned long long now_ms)
{
	int r;

	if (s->ssl)
		return 1;
	if (now_ms < s->retry_ms)
		return 0;
	/* No certificate yet, or a renewed one: (re)load before connecting. */
	if (!s->ctx || cert_changed(s)) {
		r = load_ctx(s);
		if (r < 0) {
			sender_drop(s, now_ms);
			return r;
		}
	}
	r = tcp_connect(s);
	if (r < 0) {
		sender_drop(s, now_ms);
		return r;
	}
	s->ssl = SSL_new(s->ctx);
	if (!s->ssl || SSL_set_fd(s->ssl, s->fd) != 1 || SSL_set_tlsext_host_name(s->ssl, s->host) != 1 ||
	    SSL_set1_host(s->ssl, s->host) != 1) {
		r = ssl_fail(s, "TLS set-up");
		sender_drop(s, now_ms);
		return r;
	}
	if (SSL_connect(s->ssl) != 1) {
		long v = SSL_get_verify_result(s->ssl);
		r = ssl_fail(s, "TLS handshake");
		if (v != X509_V_OK)
			snprintf(s->err, sizeof(s->err), "TLS handshake: the collector's certificate: %s",
				 X509_verify_cert_error_string(v));
		sender_drop(s, now_ms);
		return r;
	}
	s->err[0] = '\0';
	return 1;
}

static int write_all(Sender *s, const void *buf, size_t len)
{
	size_t w = 0;

	while (w < len) {
		size_t n;
		if (SSL_write_ex(s->ssl, (const char *)buf + w, len - w, &n) != 1)
			return ssl_fail(s, "TLS write");
		w += n;
	}
	return 0;
}

/* Is everything written so far acknowledged by the collector's TCP? */
static bool tcp_drained(Sender *s)
{
	int q = 0;

	return ioctl(s->fd, SIOCOUTQ, &q) == 0 && q == 0;
}

int sender_pump(Sender *s, Spool *spool, unsigned long long now_ms)
{
	_cleanup_free_ char *buf = malloc(SPOOL_RECORD_MAX);
	uint64_t after = s->sent > spool_acked(spool) ? s->sent : spool_acked(spool), idx;
	int n = 0, r, sev;
	size_t len;

	if (!s->ssl)
		return 0;
	if (!buf)
		return -ENOMEM;
	while ((r = spool_next(spool, after, &idx, &sev, buf, SPOOL_RECORD_MAX, &len)) > 0) {
		r = write_all(s, buf, len);
		if (r < 0) {
			sender_drop(s, now_ms);
			return r;
		}
		s->sent = after = idx;
		n++;
	}
	if (r < 0)
		return r;
	/* The cursor moves over what was acknowledged one interval ago on this same connection:
	 * a collector that dies right after its TCP acknowledged gets those records again. */
	if (s->candidate && now_ms >= s->candidate_ms + ACK_INTERVAL_MS) {
		r = spool_ack(spool, s->candidate);
		if (r < 0)
			return r;
		s->candidate = 0;
		/* Only a connection that delivered resets the backoff: a collector that takes the
		 * handshake and then hangs up is not hammered. */
		s->backoff_ms = BACKOFF_MIN_MS;
	}
	if (!s->candidate && s->sent > spool_acked(spool) && tcp_drained(s)) {
		s->candidate = s->sent;
		s->candidate_ms = now_ms;
	}
	return n;
}
