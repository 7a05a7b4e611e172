/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PID 1's BPF ring buffer reader (init/sys/ringbuf.c) on a ring laid out as the kernel lays it out:
 * the data area mapped twice in a row (a memfd), records with busy and discard bits. */
#include <linux/bpf.h>
#include <sys/mman.h>

#include "unit.h"

#include "ringbuf.h"
#include "util.h"

#define SIZE 4096

typedef struct Fixture {
	uint64_t cons, prod;
	uint8_t *data;
	Ringbuf rb;
	char seen[8][64];
	unsigned n_seen;
} Fixture;

static void on_record(const void *data, size_t len, void *userdata)
{
	Fixture *f = userdata;

	assert_true(f->n_seen < 8 && len < sizeof(f->seen[0]));
	memcpy(f->seen[f->n_seen], data, len);
	f->seen[f->n_seen][len] = '\0';
	f->n_seen++;
}

/* Writes a record at the producer position (through the first mapping, wrapping by the second)
 * and returns its header, for tests that change its bits. */
static uint32_t *produce(Fixture *f, const char *text, uint32_t bits)
{
	uint32_t *hdr = (uint32_t *)(f->data + (f->prod & (SIZE - 1)));
	size_t len = strlen(text);

	memcpy((uint8_t *)hdr + BPF_RINGBUF_HDR_SZ, text, len);
	hdr[1] = 0;
	hdr[0] = (uint32_t)len | bits;
	f->prod += (len + BPF_RINGBUF_HDR_SZ + 7) & ~7UL;
	return hdr;
}

static int setup(void **state)
{
	Fixture *f = calloc(1, sizeof(*f));
	int fd = memfd_create("ring", MFD_CLOEXEC);
	uint8_t *p;

	assert_non_null(f);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, SIZE), 0);
	p = mmap(NULL, 2 * SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(p != MAP_FAILED);
	assert_true(mmap(p, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) == p);
	assert_true(mmap(p + SIZE, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) ==
		    p + SIZE);
	close(fd);
	f->data = p;
	f->rb = (Ringbuf){ &f->cons, &f->prod, p, SIZE };
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	Fixture *f = *state;

	munmap(f->data, 2 * SIZE);
	free(f);
	return 0;
}

static void test_records_and_discards(void **state)
{
	Fixture *f = *state;

	produce(f, "first", 0);
	produce(f, "thrown away", BPF_RINGBUF_DISCARD_BIT);
	produce(f, "third record", 0);
	assert_int_equal(ringbuf_consume(&f->rb, on_record, f), 2);
	assert_string_equal(f->seen[0], "first");
	assert_string_equal(f->seen[1], "third record");
	assert_int_equal(f->cons, f->prod);
	/* nothing new: nothing read */
	assert_int_equal(ringbuf_consume(&f->rb, on_record, f), 0);
}

static void test_stops_at_busy(void **state)
{
	Fixture *f = *state;
	uint32_t *busy;
	uint64_t at;

	produce(f, "done", 0);
	at = f->prod;
	busy = produce(f, "in flight", BPF_RINGBUF_BUSY_BIT);
	produce(f, "after", 0);
	assert_int_equal(ringbuf_consume(&f->rb, on_record, f), 1);
	assert_int_equal(f->cons, at);
	*busy &= ~BPF_RINGBUF_BUSY_BIT; /* committed */
	assert_int_equal(ringbuf_consume(&f->rb, on_record, f), 2);
	assert_string_equal(f->seen[1], "in flight");
	assert_string_equal(f->seen[2], "after");
	assert_int_equal(f->cons, f->prod);
}

static void test_wraps_around(void **state)
{
	Fixture *f = *state;

	/* positions grow without bound; the record starts 16 bytes before the end of the area */
	f->cons = f->prod = 5 * SIZE - 16;
	produce(f, "a record that crosses the end of the data area", 0);
	assert_int_equal(ringbuf_consume(&f->rb, on_record, f), 1);
	assert_string_equal(f->seen[0], "a record that crosses the end of the data area");
	assert_int_equal(f->cons, f->prod);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_records_and_discards, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stops_at_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wraps_around, setup, teardown),
	};
	return cmocka_run_group_tests_name("ringbuf", tests, NULL, NULL);
}
