/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "http-request.h"

static bool is_tchar(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* The end of the head: the first empty line (CRLF CRLF, or bare LF LF). */
static const char *head_end(const char *buf, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n')
			return buf + i + 2;
		if (buf[i + 1] == '\r' && i + 2 < len && buf[i + 2] == '\n')
			return buf + i + 3;
	}
	return NULL;
}

int http_parse_request(const char *buf, size_t len, HttpRequest *ret)
{
	const char *end, *p = buf, *sp, *eol;
	size_t n;

	end = head_end(buf, len > HTTP_REQUEST_MAX ? HTTP_REQUEST_MAX : len);
	if (!end)
		return len >= HTTP_REQUEST_MAX ? -E2BIG : -EAGAIN;
	/* no NUL and no bare control characters anywhere in the head */
	for (const char *c = buf; c < end; c++)
		if (*c == '\0' || *c == 0x7f ||
		    ((unsigned char)*c < 0x20 && *c != '\r' && *c != '\n' && *c != '\t'))
			return -EBADMSG;
	eol = memchr(p, '\n', (size_t)(end - p));
	/* METHOD */
	for (n = 0; p + n < eol && is_tchar(p[n]); n++)
		;
	if (n == 0 || n >= sizeof(ret->method) || p[n] != ' ')
		return -EBADMSG;
	memcpy(ret->method, p, n);
	ret->method[n] = '\0';
	p += n + 1;
	/* TARGET: origin-form only */
	sp = memchr(p, ' ', (size_t)(eol - p));
	if (!sp || *p != '/')
		return -EBADMSG;
	n = strcspn(p, "? ");
	if (p + n > sp)
		n = (size_t)(sp - p);
	if (n >= sizeof(ret->path))
		return -EBADMSG;
	memcpy(ret->path, p, n);
	ret->path[n] = '\0';
	for (const char *c = p; c < sp; c++)
		if (*c == '\t')
			return -EBADMSG;
	/* HTTP/1.x, then CR LF or LF */
	p = sp + 1;
	if ((size_t)(eol - p) < 8 || memcmp(p, "HTTP/1.", 7) != 0 || p[7] < '0' || p[7] > '9')
		return -EBADMSG;
	p += 8;
	if (*p == '\r')
		p++;
	if (p != eol)
		return -EBADMSG;
	/* header lines: NAME ":" value; nothing in them is used */
	for (p = eol + 1; p < end; p = eol + 1) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			return -EBADMSG;
		if (p == eol || (p + 1 == eol && *p == '\r'))
			break; /* the empty line */
		for (n = 0; p + n < eol && is_tchar(p[n]); n++)
			;
		if (n == 0 || p[n] != ':')
			return -EBADMSG;
	}
	return 0;
}
