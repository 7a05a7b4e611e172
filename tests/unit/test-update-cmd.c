/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-update's pieces that need no disk: the socket's request header (update/request.c), the URL
 * parser of apply (update/bundle-source.c). The commands themselves run on disk images in
 * tests/bats/65-kcc-update.bats. */
#include <errno.h>
#include <string.h>

#include "unit.h"

#include <json-c/json.h>

#include "bundle-source.h"
#include "fleetlock.h"
#include "request.h"
#include "status.h"

static void test_request(void **state)
{
	RequestCommand c;
	size_t used = 0;
	static const char *const bad[] = {
		"kcc-update/1 rollback\n", "kcc-update/2 status\n", "kcc-update/1  status\n", "kcc-update/1 status \n",
		"kcc-update/1\n", "KCC-UPDATE/1 status\n", "kcc-update/1 status\r\n", "GET / HTTP/1.0\r\n",
		"kcc-update/1 applyx\n", "kcc-update/1 \n",
	};

	(void)state;
	assert_int_equal(request_parse("kcc-update/1 status\n", 20, &c, &used), 0);
	assert_int_equal(c, REQUEST_STATUS);
	assert_int_equal(used, 20);
	/* the header ends at its newline: what follows (the bundle) is not part of it */
	assert_int_equal(request_parse("kcc-update/1 apply\nKCCBNDL1", 27, &c, &used), 0);
	assert_int_equal(c, REQUEST_APPLY);
	assert_int_equal(used, 19);
	assert_int_equal(request_parse("kcc-update/1 reboot\n", 20, &c, &used), 0);
	assert_int_equal(c, REQUEST_REBOOT);
	for (size_t n = 0; n < 19; n++) /* every prefix may still become a request */
		assert_int_equal(request_parse("kcc-update/1 apply\n", n, &c, &used), -EAGAIN);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(request_parse(bad[i], strlen(bad[i]), &c, &used), -EBADMSG);
	/* a wrong first byte fails at once; a line that never ends fails at the limit */
	assert_int_equal(request_parse("x", 1, &c, &used), -EBADMSG);
	char longline[REQUEST_LINE_MAX + 8];
	memset(longline, 'a', sizeof(longline));
	memcpy(longline, "kcc-update/1 ", 13);
	assert_int_equal(request_parse(longline, REQUEST_LINE_MAX - 1, &c, &used), -EAGAIN);
	assert_int_equal(request_parse(longline, REQUEST_LINE_MAX, &c, &used), -EBADMSG);
}

static void test_url(void **state)
{
	char host[64], port[8];
	const char *path;

	(void)state;
	assert_int_equal(source_parse_url("http://10.0.2.2:8080/b/kcc.bundle", host, sizeof(host), port, sizeof(port), &path), 0);
	assert_string_equal(host, "10.0.2.2");
	assert_string_equal(port, "8080");
	assert_string_equal(path, "/b/kcc.bundle");
	assert_int_equal(source_parse_url("http://updates.example", host, sizeof(host), port, sizeof(port), &path), 0);
	assert_string_equal(port, "80");
	assert_string_equal(path, "/");
	assert_int_equal(source_parse_url("https://updates.example/c/", host, sizeof(host), port, sizeof(port), &path), 0);
	assert_string_equal(port, "443");
	assert_string_equal(path, "/c/");
	static const char *const bad[] = { "https://", "http://", "http://:80/", "http://h:0/", "http://h:65536/",
					   "http://h:/", "http://u@h/", "http://h/a b", "ftp://h/" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(source_parse_url(bad[i], host, sizeof(host), port, sizeof(port), &path), -EINVAL);
}

static Node node(void)
{
	Node n = { .epoch = 3, .layout = { .running = 0, .other = 1 } };

	strcpy(n.version, "1.0");
	memset(n.roothash, 'a', 64);
	n.layout.pairs[0] = (SlotPair){ .letter = 'a', .valid = true };
	memset(n.layout.pairs[0].roothash, 'a', 64);
	n.layout.pairs[1] = (SlotPair){ .letter = 'b' };
	n.entries[0] = (EspEntry){ .version = "1.0" };
	n.n_entries = 1;
	return n;
}

static const char *field(struct json_object *o, const char *a, const char *b)
{
	struct json_object *x = NULL, *y = NULL;

	if (!json_object_object_get_ex(o, a, &x))
		return "(missing)";
	if (b && !json_object_object_get_ex(x, b, &y))
		return "(missing)";
	return json_object_to_json_string(b ? y : x);
}

static void test_status(void **state)
{
	Node n = node();
	struct json_object *o;

	(void)state;
	/* blessed running slot a, empty slot b */
	o = status_json(&n);
	assert_string_equal(field(o, "running", "slot"), "\"a\"");
	assert_string_equal(field(o, "running", "blessed"), "true");
	assert_string_equal(field(o, "running", "security_epoch"), "3");
	assert_string_equal(field(o, "other", "state"), "\"empty\"");
	assert_string_equal(field(o, "staged_update", NULL), "null");
	assert_string_equal(field(o, "reboot_required", NULL), "false");
	json_object_put(o);
	/* a staged 2.0 in slot b: it boots first */
	n.layout.pairs[1].valid = true;
	memset(n.layout.pairs[1].roothash, 'b', 64);
	n.entries[1] = n.entries[0];
	n.entries[0] = (EspEntry){ .version = "2.0", .counted = true, .left = 3 };
	n.n_entries = 2;
	o = status_json(&n);
	assert_string_equal(field(o, "other", "state"), "\"staged\"");
	assert_string_equal(field(o, "other", "tries_left"), "3");
	assert_string_equal(field(o, "staged_update", NULL), "\"2.0\"");
	assert_string_equal(field(o, "next_boot", NULL), "\"2.0\"");
	assert_string_equal(field(o, "reboot_required", NULL), "true");
	json_object_put(o);
	/* 2.0 failed its tries and was marked bad: the node runs 1.0, rolled back, told */
	n.entries[0] = n.entries[1];
	n.entries[1] = (EspEntry){ .version = "2.0", .counted = true, .left = 0, .done = 3 };
	o = status_json(&n);
	assert_string_equal(field(o, "other", "state"), "\"bad\"");
	assert_string_equal(field(o, "rolled_back", NULL), "true");
	assert_string_equal(field(o, "reboot_required", NULL), "false");
	json_object_put(o);
	/* the running entry still counted: not blessed, its tries shown */
	n.entries[0] = (EspEntry){ .version = "1.0", .counted = true, .left = 2, .done = 1 };
	o = status_json(&n);
	assert_string_equal(field(o, "running", "blessed"), "false");
	assert_string_equal(field(o, "running", "tries_left"), "2");
	json_object_put(o);
}

/* The FleetLock server's answer: 200 grants; another status is a refusal with kind and value. */
static void test_fleetlock_answer(void **state)
{
	static const char ok[] = "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n";
	static const char busy[] = "HTTP/1.1 409 Conflict\r\n\r\n{\"kind\":\"failed_lock\",\"value\":\"held\\u0001 by n1\"}";
	static const char junk[] = "HTTP/1.1 500 Oops\r\n\r\n[1,";
	char err[100] = "";
	int code;

	(void)state;
	assert_int_equal(fleetlock_answer_parse(ok, strlen(ok), &code, err, sizeof(err)), 0);
	assert_int_equal(code, 200);
	assert_string_equal(err, "");
	assert_int_equal(fleetlock_answer_parse(busy, strlen(busy), &code, err, sizeof(err)), 0);
	assert_int_equal(code, 409);
	assert_string_equal(err, "HTTP 409: failed_lock: held? by n1");
	assert_int_equal(fleetlock_answer_parse(junk, strlen(junk), &code, err, sizeof(err)), 0);
	assert_string_equal(err, "HTTP 500: (no kind): (no value)");
	assert_int_equal(fleetlock_answer_parse("SSH-2.0", 7, &code, err, sizeof(err)), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_url),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_fleetlock_answer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
