/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A BPF ring buffer map read without libbpf, by the kernel's documented layout: mapped from the
 * map's fd, a consumer-position page (ours to advance, read-write), then a producer-position page
 * followed by the data area, which the kernel maps twice in a row so that a record that wraps
 * around reads as one piece (both read-only). Each record is an 8-byte header (its length with a
 * busy and a discard bit, then the kernel's page offset) and its data, rounded up to 8 bytes. */
#pragma once

#include <stddef.h>
#include <stdint.h>

typedef struct Ringbuf {
	uint64_t *consumer_pos;
	const uint64_t *producer_pos;
	const uint8_t *data; /* size bytes, mapped twice */
	size_t size;         /* a power of 2 */
} Ringbuf;

/* Calls fn for every committed, not discarded record from the consumer to the producer position,
 * advancing the consumer position past each; stops at a record still being written. Returns the
 * number of records passed to fn. */
unsigned ringbuf_consume(Ringbuf *rb, void (*fn)(const void *data, size_t len, void *userdata),
			 void *userdata);
