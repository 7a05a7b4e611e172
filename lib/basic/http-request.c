/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

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

/* The value of a Content-Length header: OWS, 1 to 9 digits, OWS; a second one is refused. */
static int content_length(const char *p, const char *eol, long *ret)
{
	long v = 0;
	size_t digits = 0;

	if (*ret >= 0)
		return -EBADMSG;
	while (p < eol && (*p == ' ' || *p == '\t'))
		p++;
	for (; p < eol && *p >= '0' && *p <= '9'; p++, digits++)
		if (digits < 9)
			v = v * 10 + (*p - '0');
	while (p < eol && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	if (digits == 0 || digits > 9 || p != eol)
		return -EBADMSG;
	*ret = v;
	return 0;
}

int http_parse_request(const char *buf, size_t len, HttpRequest *ret)
{
	const char *end, *p = buf, *sp, *eol;
	size_t n;
	int r;

	ret->content_length = -1;

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
		if (n == 14 && strncasecmp(p, "Content-Length", 14) == 0) {
			r = content_length(p + 15, eol, &ret->content_length);
			if (r < 0)
				return r;
		}
	}
	ret->head_size = (size_t)(end - buf);
	return 0;
}
