/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/events/spool.c: order, durability across reopen, torn tails, acks, the quota's order of
 * dropping (low severity first, oldest first) and the loss count. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

#include "rm-rf.h"
#include "spool.h"
#include "util.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/kcc-spool-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return rm_rf(dir);
}

static void append(Spool *s, int sev, uint64_t n, int64_t want_index)
{
	char buf[200];

	snprintf(buf, sizeof(buf), "event %" PRIu64, n);
	assert_int_equal(spool_append(s, sev, buf, strlen(buf)), want_index);
}

static void expect(Spool *s, uint64_t after, uint64_t want_index, const char *want)
{
	char buf[256];
	uint64_t idx;
	size_t len;
	int sev;

	assert_int_equal(spool_next(s, after, &idx, &sev, buf, sizeof(buf), &len), 1);
	assert_int_equal(idx, want_index);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(buf, want, len);
}

static void test_order_and_reopen(void **state)
{
	Spool *s;
	char buf[16];
	uint64_t idx;
	size_t len;
	int sev;

	(void)state;
	assert_int_equal(spool_open(dir, 1 << 20, &s), 0);
	for (uint64_t i = 1; i <= 100; i++)
		append(s, 4, i, (int64_t)i);
	expect(s, 0, 1, "event 1");
	expect(s, 41, 42, "event 42");
	assert_int_equal(spool_next(s, 100, &idx, &sev, buf, sizeof(buf), &len), 0);
	assert_int_equal(spool_next(s, 0, &idx, &sev, buf, 3, &len), -E2BIG);
	assert_int_equal(spool_ack(s, 50), 0);
	assert_int_equal(spool_ack(s, 101), -EINVAL); /* not taken yet: it does not exist */
	spool_close(s);
	/* Everything survives a reopen; the index goes on. */
	assert_int_equal(spool_open(dir, 1 << 20, &s), 0);
	assert_int_equal(spool_acked(s), 50);
	expect(s, spool_acked(s), 51, "event 51");
	append(s, 4, 101, 101);
	expect(s, 100, 101, "event 101");
	spool_close(s);
}

/* A power cut mid-append leaves a torn record: it is cut off, the records before it stay. */
static void test_torn_tail(void **state)
{
	Spool *s;
	char path[128];
	struct stat st;
	int fd;

	(void)state;
	assert_int_equal(spool_open(dir, 1 << 20, &s), 0);
	for (uint64_t i = 1; i <= 3; i++)
		append(s, 3, i, (int64_t)i);
	spool_close(s);
	snprintf(path, sizeof(path), "%s/%016x.seg", dir, 1);
	assert_int_equal(stat(path, &st), 0);
	/* Cut the last record in half, then add garbage that looks like nothing. */
	assert_int_equal(truncate(path, st.st_size - 3), 0);
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "xyz", 3), 3);
	close(fd);
	assert_int_equal(spool_open(dir, 1 << 20, &s), 0);
	expect(s, 1, 2, "event 2");
	append(s, 3, 3, 3); /* index 3 again: the torn one never counted */
	expect(s, 2, 3, "event 3");
	spool_close(s);
	/* A flipped byte in a record's data: the CRC catches it, it and what follows are cut. */
	assert_int_equal(stat(path, &st), 0);
	fd = open(path, O_RDWR);
	assert_int_equal(pwrite(fd, "X", 1, st.st_size - 1), 1);
	close(fd);
	assert_int_equal(spool_open(dir, 1 << 20, &s), 0);
	{
		uint64_t idx;
		int sev;
		size_t len;
		char buf[64];
		assert_int_equal(spool_next(s, 2, &idx, &sev, buf, sizeof(buf), &len), 0);
	}
	spool_close(s);
}

/* Over the quota: notice/info go first (oldest first), errors stay; then whole segments. */
static void test_quota(void **state)
{
	Spool *s;
	SpoolLoss loss;
	char buf[256];
	uint64_t idx = 0, n_err = 0, n_low = 0;
	size_t len;
	int sev;
	char big[900];

	(void)state;
	memset(big, 'x', sizeof(big));
	/* 16 KiB quota: 4 KiB segments. */
	assert_int_equal(spool_open(dir, 16 * 1024, &s), 0);
	for (int i = 0; i < 30; i++)
		assert_true(spool_append(s, i % 2 ? 6 : 3, big, sizeof(big)) > 0);
	assert_true(spool_bytes(s) <= 16 * 1024);
	spool_take_loss(s, &loss);
	assert_true(loss.total > 0);
	assert_int_equal(loss.dropped[3], 0); /* only info went */
	assert_int_equal(loss.total, loss.dropped[6]);
	while (spool_next(s, idx, &idx, &sev, big, sizeof(big), &len) == 1) {
		n_err += sev == 3;
		n_low += sev == 6;
	}
	assert_int_equal(n_err, 15); /* every error kept */
	spool_take_loss(s, &loss);
	assert_int_equal(loss.total, 0); /* taken: the count starts over */
	/* Only errors now: whole oldest segments go, and are counted. */
	for (int i = 0; i < 30; i++)
		assert_true(spool_append(s, 3, big, sizeof(big)) > 0);
	assert_true(spool_bytes(s) <= 16 * 1024);
	spool_take_loss(s, &loss);
	assert_true(loss.dropped[3] > 0);
	(void)buf;
	(void)n_low;
	spool_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_order_and_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_tail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quota, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
