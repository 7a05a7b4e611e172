/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/basic/http-request.c: the server side's request parser, on complete, partial, malformed and
 * oversized heads, and Content-Length (its libFuzzer target is tests/unit/fuzz-http.c). */
#include <errno.h>
#include <string.h>

#include "unit.h"

#include "http-request.h"
#include "util.h"

static void test_parser(void **state)
{
	static const struct {
		const char *in;
		int r;
		const char *method, *path;
	} cases[] = {
		{ "GET /healthz HTTP/1.1\r\n\r\n", 0, "GET", "/healthz" },
		{ "GET /pods?all HTTP/1.0\nHost: a\n\n", 0, "GET", "/pods" },
		{ "HEAD / HTTP/1.1\r\nA: b\r\nC:d\r\n\r\n", 0, "HEAD", "/" },
		{ "GET /healthz HTTP/1.1\r\n", -EAGAIN, NULL, NULL },
		{ "G", -EAGAIN, NULL, NULL },
		{ "", -EAGAIN, NULL, NULL },
		{ "GET healthz HTTP/1.1\r\n\r\n", -EBADMSG, NULL, NULL },
		{ "GET /healthz HTTP/2.0\r\n\r\n", -EBADMSG, NULL, NULL },
		{ "GET /healthz\r\n\r\n", -EBADMSG, NULL, NULL },
		{ "GETTTTTTT / HTTP/1.1\r\n\r\n", -EBADMSG, NULL, NULL },
		{ "GET / HTTP/1.1\r\nno colon\r\n\r\n", -EBADMSG, NULL, NULL },
		{ "GET /\x01 HTTP/1.1\r\n\r\n", -EBADMSG, NULL, NULL },
		{ " GET / HTTP/1.1\r\n\r\n", -EBADMSG, NULL, NULL },
		{ "GET / HTTP/1.1 x\r\n\r\n", -EBADMSG, NULL, NULL },
	};
	HttpRequest req;
	char big[HTTP_REQUEST_MAX + 10];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int r = http_parse_request(cases[i].in, strlen(cases[i].in), &req);
		if (r != cases[i].r)
			fail_msg("case %zu: %d, expected %d", i, r, cases[i].r);
		if (r == 0) {
			assert_string_equal(req.method, cases[i].method);
			assert_string_equal(req.path, cases[i].path);
		}
	}
	/* a NUL inside the head */
	assert_int_equal(http_parse_request("GET /\0 HTTP/1.1\r\n\r\n", 20, &req), -EBADMSG);
	memset(big, 'a', sizeof(big));
	assert_int_equal(http_parse_request(big, sizeof(big), &req), -E2BIG);
	assert_int_equal(http_parse_request(big, HTTP_REQUEST_MAX - 1, &req), -EAGAIN);
}

/* Content-Length (kcc-verify's POST bodies): the one header the parser reads. */
static void test_content_length(void **state)
{
	static const struct {
		const char *in;
		int r;
		long length;
	} cases[] = {
		{ "POST /v1/start HTTP/1.1\r\nContent-Length: 12\r\n\r\n{}", 0, 12 },
		{ "POST / HTTP/1.1\r\ncontent-length:7 \r\n\r\n", 0, 7 },
		{ "POST / HTTP/1.1\r\nHost: a\r\n\r\n", 0, -1 },
		{ "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n", -EBADMSG, 0 },
		{ "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", -EBADMSG, 0 },
		{ "POST / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n", -EBADMSG, 0 },
		{ "POST / HTTP/1.1\r\nContent-Length:\r\n\r\n", -EBADMSG, 0 },
		{ "POST / HTTP/1.1\r\nContent-Length: 1234567890\r\n\r\n", -EBADMSG, 0 },
		{ "POST / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n", -EBADMSG, 0 },
		{ "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", -EBADMSG, 0 },
	};
	HttpRequest req;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int r = http_parse_request(cases[i].in, strlen(cases[i].in), &req);
		if (r != cases[i].r)
			fail_msg("case %zu: %d, expected %d", i, r, cases[i].r);
		if (r == 0)
			assert_int_equal(req.content_length, cases[i].length);
	}
	assert_int_equal(http_parse_request(cases[0].in, strlen(cases[0].in), &req), 0);
	assert_string_equal(cases[0].in + req.head_size, "{}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parser),
		cmocka_unit_test(test_content_length),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
