/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sources of a bundle (bundle-source.h). */
#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>

#include "http-client.h"
#include "bundle-source.h"
#include "util.h"

#define HEADER_MAX 16384u

int source_parse_url(const char *url, char *host, size_t hostlen, char *port, size_t portlen, const char **ret_path)
{
	const char *p = startswith(url, "http://") ?: startswith(url, "https://"), *slash, *colon;
	const bool tls = startswith(url, "https://");
	size_t hl;

	if (!p)
		return -EINVAL;
	slash = strchr(p, '/');
	if (!slash)
		slash = p + strlen(p);
	colon = memchr(p, ':', (size_t)(slash - p));
	hl = (size_t)((colon ?: slash) - p);
	if (hl == 0 || hl >= hostlen || strcspn(p, " \t\r\n@") < (size_t)(slash - p))
		return -EINVAL;
	memcpy(host, p, hl);
	host[hl] = 0;
	if (colon) {
		size_t pl = (size_t)(slash - colon - 1);
		unsigned long v;
		char tmp[8];

		if (pl == 0 || pl >= sizeof(tmp) || pl >= portlen)
			return -EINVAL;
		memcpy(tmp, colon + 1, pl);
		tmp[pl] = 0;
		if (parse_uint(tmp, 1, 65535, &v) < 0)
			return -EINVAL;
		snprintf(port, portlen, "%lu", v);
	} else
		snprintf(port, portlen, tls ? "443" : "80");
	*ret_path = *slash ? slash : "/";
	if (strcspn(*ret_path, " \t\r\n") != strlen(*ret_path))
		return -EINVAL;
	return 0;
}

int source_connect(const char *host, const char *port, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV }, *ai = NULL;
	int fd = -EBADF, r = getaddrinfo(host, port, &hints, &ai);

	if (r != 0)
		return errorf(err, errlen, -EHOSTUNREACH, "cannot resolve %s: %s", host, gai_strerror(r));
	for (struct addrinfo *a = ai; a; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
		if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		closep(&fd);
	}
	freeaddrinfo(ai);
	if (fd < 0)
		return errorf(err, errlen, -ECONNREFUSED, "cannot connect to %s:%s", host, port);
	return fd;
}

static int http_open(const char *url, char *err, size_t errlen)
{
	char host[256], port[8], req[4096], hdr[HEADER_MAX + 1];
	const char *path;
	_cleanup_close_ int fd = -EBADF;
	size_t have = 0;
	int code;

	if (source_parse_url(url, host, sizeof(host), port, sizeof(port), &path) < 0)
		return errorf(err, errlen, -EINVAL, "bad URL '%s' (http://HOST[:PORT]/PATH)", url);
	fd = source_connect(host, port, err, errlen);
	if (fd < 0)
		return fd;
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: kcc-update\r\n\r\n", path, host);
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req))
		return errorf(err, errlen, -EIO, "cannot send the request to %s:%s: %m", host, port);
	/* The header a byte at a time, so that the bundle's first byte stays in the socket. */
	while (have < HEADER_MAX) {
		ssize_t n = read(fd, hdr + have, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return errorf(err, errlen, -EPIPE, "%s: the connection ended in the answer's header", url);
		have++;
		if (have >= 4 && memcmp(hdr + have - 4, "\r\n\r\n", 4) == 0)
			break;
	}
	if (have == HEADER_MAX)
		return errorf(err, errlen, -EBADMSG, "%s: answer header longer than %u bytes", url, HEADER_MAX);
	if (http_status_parse(hdr, have, &code) < 0)
		return errorf(err, errlen, -EBADMSG, "%s: not an HTTP answer", url);
	if (code != 200)
		return errorf(err, errlen, -ENOENT, "%s: HTTP status %d", url, code);
	return TAKE_FD(fd);
}

int source_open(const char *source, char *err, size_t errlen)
{
	return source_open_ca(source, NULL, err, errlen);
}

int source_open_ca(const char *source, const char *ca_pem, char *err, size_t errlen)
{
	int fd;

	if (streq(source, "-")) {
		fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
		return fd < 0 ? errorf(err, errlen, -errno, "cannot use standard input: %m") : fd;
	}
	if (startswith(source, "https://"))
		return source_open_https(source, ca_pem, err, errlen);
	if (startswith(source, "http://"))
		return http_open(source, err, errlen);
	if (strstr(source, "://"))
		return errorf(err, errlen, -EPROTONOSUPPORT, "unsupported URL scheme in '%s'", source);
	fd = open(source, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? errorf(err, errlen, -errno, "cannot open %s: %m", source) : fd;
}
