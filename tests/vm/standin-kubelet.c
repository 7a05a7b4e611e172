/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A STAND-IN for the upstream kubelet, for the upstream-mode VM test only (the real kubelet is
 * not among Debian's packages): `make image KUBELET=build/bin/kcc-test-standin-kubelet`. It reports
 * how kcc-init started it (arguments, the configuration file's settings, its kubeconfig), waits
 * for containerd's socket, then answers /healthz on 127.0.0.1:10248 as the kubelet does. Like
 * client-go with a kubeconfig naming certificate files, it presents the client certificate of its
 * kubeconfig to the API server (a GET over TLS, the server checked against the kubeconfig's CA)
 * and reads the file again when it changes (client-go checks every 5 minutes; this stand-in every
 * second), logging the serial it presented and the server's answer. */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static const char *arg(int argc, char **argv, const char *name)
{
	size_t n = strlen(name);
	for (int i = 1; i < argc; i++)
		if (strncmp(argv[i], name, n) == 0 && argv[i][n] == '=')
			return argv[i] + n + 1;
	return NULL;
}

/* The kubeconfig's members this stand-in uses: "    KEY: VALUE" lines, VALUE maybe quoted. */
static struct {
	char server[256], ca[256], cert[256], key[256];
} kc;

static void kubeconfig_read(const char *path)
{
	struct { const char *name; char *dst; } keys[] = {
		{ "server:", kc.server }, { "certificate-authority:", kc.ca },
		{ "client-certificate:", kc.cert }, { "client-key:", kc.key },
	};
	char line[512];
	FILE *f = path ? fopen(path, "r") : NULL;

	while (f && fgets(line, sizeof(line), f)) {
		char *p = line + strspn(line, " "), *v;
		line[strcspn(line, "\n")] = '\0';
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			if (strncmp(p, keys[i].name, strlen(keys[i].name)) != 0)
				continue;
			v = p + strlen(keys[i].name);
			v += strspn(v, " \"");
			v[strcspn(v, "\"")] = '\0';
			snprintf(keys[i].dst, 256, "%s", v);
		}
	}
	if (f)
		fclose(f);
	fprintf(stderr, "kubelet stand-in: kubeconfig %s: %s; server %s, CA %s, client certificate %s, "
		"key %s\n", path ? path : "-", f ? "read" : "absent", kc.server, kc.ca, kc.cert, kc.key);
}

/* One GET to the API server with the client certificate as it is now in its file. */
static void present_certificate(void)
{
	static unsigned presented;
	char host[256], port[8] = "443", req[512], answer[512] = "";
	const char *h = kc.server + strlen("https://");
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	struct addrinfo *ai = NULL, hints = { .ai_socktype = SOCK_STREAM };
	SSL *ssl = NULL;
	X509 *x = NULL;
	FILE *f = fopen(kc.cert, "r");
	char serial[128] = "?";
	int fd = -1, n = 0;

	if (f && (x = PEM_read_X509(f, NULL, NULL, NULL))) {
		BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
		char *hex = bn ? BN_bn2hex(bn) : NULL;
		snprintf(serial, sizeof(serial), "%s", hex ? hex : "?");
		OPENSSL_free(hex);
		BN_free(bn);
		X509_free(x);
	}
	if (f)
		fclose(f);
	snprintf(host, sizeof(host), "%.*s", (int)strcspn(h, ":/"), h);
	if (h[strcspn(h, ":/")] == ':')
		snprintf(port, sizeof(port), "%.*s", (int)strspn(h + strcspn(h, ":/") + 1, "0123456789"),
			 h + strcspn(h, ":/") + 1);
	if (!ctx || SSL_CTX_load_verify_locations(ctx, kc.ca, NULL) != 1 ||
	    SSL_CTX_use_certificate_file(ctx, kc.cert, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, kc.key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		fprintf(stderr, "kubelet stand-in: cannot load the kubeconfig's certificates\n");
		goto out;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (getaddrinfo(host, port, &hints, &ai) != 0 ||
	    (fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		fprintf(stderr, "kubelet stand-in: cannot reach the API server %s:%s\n", host, port);
		goto out;
	}
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	SSL_set1_host(ssl, host);
	snprintf(req, sizeof(req), "GET /api/v1/nodes HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n",
		 host);
	if (SSL_connect(ssl) != 1 || SSL_write(ssl, req, (int)strlen(req)) <= 0) {
		fprintf(stderr, "kubelet stand-in: TLS to the API server failed: %s\n",
			ERR_reason_error_string(ERR_get_error()) ?: "closed");
		goto out;
	}
	for (int k; (size_t)n < sizeof(answer) - 1 &&
		    (k = SSL_read(ssl, answer + n, (int)(sizeof(answer) - 1 - (size_t)n))) > 0;)
		n += k;
	answer[n] = '\0';
	for (char *c = answer; *c; c++)
		if (*c == '\r' || *c == '\n')
			*c = ' ';
	fprintf(stderr, "kubelet stand-in: presented client certificate #%u serial %s to the API "
		"server; it answered: %s\n", ++presented, serial, answer);
out:
	if (ssl)
		SSL_free(ssl);
	if (fd >= 0)
		close(fd);
	if (ai)
		freeaddrinfo(ai);
	SSL_CTX_free(ctx);
}

static int startswith_https(void)
{
	return strncmp(kc.server, "https://", 8) == 0 && kc.cert[0] && kc.key[0] && kc.ca[0];
}

static void on_term(int sig)
{
	(void)sig;
	_exit(0);
}

int main(int argc, char **argv)
{
	const char *config = arg(argc, argv, "--config"), *kubeconfig = arg(argc, argv, "--kubeconfig");
	struct stat seen = { 0 }, now;
	struct sockaddr_un un = { .sun_family = AF_UNIX, .sun_path = "/run/containerd/containerd.sock" };
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(10248),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char line[512];
	FILE *f;
	int one = 1, lfd, ok = 0;

	signal(SIGTERM, on_term);
	fprintf(stderr, "kubelet stand-in (test only, not the upstream kubelet): argv:");
	for (int i = 1; i < argc; i++)
		fprintf(stderr, " %s", argv[i]);
	fputc('\n', stderr);
	f = config ? fopen(config, "r") : NULL;
	if (!f)
		fprintf(stderr, "kubelet stand-in: no configuration file\n");
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] != '#' && line[0])
			fprintf(stderr, "kubelet stand-in: config: %s\n", line);
	}
	if (f)
		fclose(f);
	kubeconfig_read(kubeconfig);
	for (int i = 0; i < 300 && !ok; i++) {
		int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		ok = s >= 0 && connect(s, (struct sockaddr *)&un, sizeof(un)) == 0;
		if (s >= 0)
			close(s);
		if (!ok)
			usleep(100000);
	}
	fprintf(stderr, "kubelet stand-in: containerd socket %s\n",
		ok ? "accepts connections" : "never answered");
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&in, sizeof(in)) < 0 || listen(lfd, 8) < 0) {
		perror("kubelet stand-in: listen");
		return 1;
	}
	for (;;) {
		char req[1024];
		static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
		struct pollfd p = { .fd = lfd, .events = POLLIN };
		int c;

		/* the client certificate's file replaced (a rename: a new inode) */
		if (startswith_https() && stat(kc.cert, &now) == 0 &&
		    (now.st_ino != seen.st_ino || now.st_mtime != seen.st_mtime)) {
			seen = now;
			present_certificate();
		}
		if (poll(&p, 1, 1000) <= 0)
			continue;
		c = accept(lfd, NULL, NULL);
		if (c < 0)
			continue;
		if (read(c, req, sizeof(req)) > 0)
			(void)!write(c, resp, sizeof(resp) - 1);
		close(c);
	}
}
