/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/events: the local event socket's datagrams (dgram.c) and the non-blocking sender (send.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "unit.h"

#include "dgram.h"
#include "send.h"
#include "util.h"

static int parse(const char *s, Event *e)
{
	return event_dgram_parse(s, strlen(s), e);
}

static void test_roundtrip(void **state)
{
	Event *e = calloc(1, sizeof(*e)), *back = calloc(1, sizeof(*back));
	char buf[EVENT_DGRAM_MAX];
	int n;

	(void)state;
	e->id = EV_SERVICE_CRASH;
	snprintf(e->app, sizeof(e->app), "kcc-init");
	snprintf(e->message, sizeof(e->message), "service dhcpcd killed by signal 9");
	assert_int_equal(event_add_field(e, "service", "dhcpcd"), 0);
	assert_int_equal(event_add_field(e, "status", "137"), 0);
	n = event_dgram_format(e, buf, sizeof(buf));
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "id=KCC-SERVICE-CRASH\napp=kcc-init\n"
				 "message=service dhcpcd killed by signal 9\n"
				 "field.service=dhcpcd\nfield.status=137\n");
	assert_int_equal(event_dgram_parse(buf, (size_t)n, back), 0);
	assert_int_equal(back->id, EV_SERVICE_CRASH);
	assert_string_equal(back->app, "kcc-init");
	assert_string_equal(back->message, e->message);
	assert_int_equal(back->n_fields, 2);
	assert_string_equal(back->fields[1].key, "status");
	assert_string_equal(back->fields[1].value, "137");
	/* no message, no field */
	assert_int_equal(parse("id=KCC-BOOT-MEASURED\napp=x\n", back), 0);
	assert_int_equal(back->n_fields, 0);
	/* a newline in a value cannot reach the wire */
	snprintf(e->message, sizeof(e->message), "a\nfield.x=y");
	assert_int_equal(event_dgram_format(e, buf, sizeof(buf)), -EINVAL);
	free(e);
	free(back);
}

static void test_refused(void **state)
{
	static const char *const bad[] = {
		"",
		"id=KCC-BOOT-MEASURED\napp=x",               /* no final newline */
		"app=x\nid=KCC-BOOT-MEASURED\n",             /* order */
		"id=KCC-NOPE\napp=x\n",                      /* not in the catalogue */
		"id=KCC-BOOT-MEASURED\n",                    /* no app */
		"id=KCC-BOOT-MEASURED\napp=\n",              /* empty app */
		"id=KCC-BOOT-MEASURED\napp=a b\n",           /* space in app */
		"id=KCC-BOOT-MEASURED\napp=x\nmessage=\n",   /* empty message */
		"id=KCC-BOOT-MEASURED\napp=x\nfield.a=1\nmessage=m\n", /* message after a field */
		"id=KCC-BOOT-MEASURED\napp=x\nmessage=a\nmessage=b\n",
		"id=KCC-BOOT-MEASURED\napp=x\nfield.a=1\nfield.a=2\n", /* a key twice */
		"id=KCC-BOOT-MEASURED\napp=x\nfield.=1\n",
		"id=KCC-BOOT-MEASURED\napp=x\nfield.a]=1\n",
		"id=KCC-BOOT-MEASURED\napp=x\nfield.a b=1\n",
		"id=KCC-BOOT-MEASURED\napp=x\nother=1\n",
		"id=KCC-BOOT-MEASURED\napp=x\nfield.a\n",    /* no '=' */
		"id=KCC-BOOT-MEASURED\napp=x\nfield.a=1\r\n", /* a control character */
		"id=KCC-BOOT-MEASURED\napp=x\nfield.a=\t\n",
		"id=KCC-BOOT-MEASURED\n\napp=x\n",
	};
	Event e;
	char big[EVENT_DGRAM_MAX + 64];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int r = parse(bad[i], &e);
		if (r != -EINVAL)
			fail_msg("accepted or misjudged (%d): '%s'", r, bad[i]);
		assert_int_equal(e.id, EV_INVALID);
	}
	/* the forwarder's own records are never taken from the socket */
	assert_int_equal(parse("id=KCC-EVENTS-LOST\napp=x\n", &e), -EPERM);
	assert_int_equal(parse("id=KCC-EVENTS-SUPPRESSED\napp=x\n", &e), -EPERM);
	/* an embedded NUL */
	assert_int_equal(event_dgram_parse("id=KCC-BOOT-MEASURED\napp=x\0y\n", 26, &e), -EINVAL);
	/* over the size and value bounds */
	memset(big, 'a', sizeof(big));
	memcpy(big, "id=KCC-BOOT-MEASURED\napp=x\nmessage=", 35);
	big[sizeof(big) - 1] = '\n';
	assert_int_equal(event_dgram_parse(big, sizeof(big), &e), -EINVAL);
	big[35 + 600] = '\n';
	assert_int_equal(event_dgram_parse(big, 35 + 601, &e), -EINVAL); /* message > 511 */
	memcpy(big, "id=KCC-BOOT-MEASURED\napp=x\nfield.v=", 35);
	big[35 + 300] = '\n';
	assert_int_equal(event_dgram_parse(big, 35 + 301, &e), -EINVAL); /* value > 255 */
	/* more fields than an event holds */
	char many[2048] = "id=KCC-BOOT-MEASURED\napp=x\n";
	for (int i = 0; i <= EVENT_FIELDS_MAX; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "field.k%d=v\n", i);
	assert_int_equal(parse(many, &e), -EINVAL);
}

static void test_send(void **state)
{
	char dir[] = "/tmp/kcc-dgram-XXXXXX", path[128], buf[EVENT_DGRAM_MAX];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, bufsize = 1;
	uint64_t drops;
	Event e;
	ssize_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/events.sock", dir);
	/* no forwarder: a drop, not an error that stops anyone */
	drops = event_send_drops();
	memset(&e, 0, sizeof(e));
	e.id = EV_POD_FAILURE;
	snprintf(e.app, sizeof(e.app), "kcc-kubelet");
	assert_int_equal(event_send(path, &e), -ENOENT);
	assert_int_equal(event_send_drops(), drops + 1);
	/* a forwarder */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof(bufsize)), 0);
	assert_int_equal(event_send(path, &e), 0);
	n = recv(fd, buf, sizeof(buf), 0);
	assert_true(n > 0);
	assert_int_equal(event_dgram_parse(buf, (size_t)n, &e), 0);
	assert_int_equal(e.id, EV_POD_FAILURE);
	/* a full queue (nobody reads): drops, and the sender never waits */
	drops = event_send_drops();
	int sent = 0, r = 0;
	for (int i = 0; i < 10000 && r == 0; i++)
		if ((r = event_send(path, &e)) == 0)
			sent++;
	assert_int_equal(r, -EAGAIN);
	assert_int_equal(event_send_drops(), drops + 1);
	close(fd);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_send),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
