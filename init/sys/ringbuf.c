/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <linux/bpf.h>

#include "ringbuf.h"

unsigned ringbuf_consume(Ringbuf *rb, void (*fn)(const void *data, size_t len, void *userdata),
			 void *userdata)
{
	uint64_t cons = __atomic_load_n(rb->consumer_pos, __ATOMIC_ACQUIRE);
	uint64_t prod = __atomic_load_n(rb->producer_pos, __ATOMIC_ACQUIRE);
	unsigned n = 0;

	while (cons < prod) {
		const uint32_t *hdr = (const uint32_t *)(rb->data + (cons & (rb->size - 1)));
		uint32_t len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);
		uint32_t data_len = len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);

		if (len & BPF_RINGBUF_BUSY_BIT)
			break; /* still being written: the rest comes with the next wake-up */
		cons += ((uint64_t)data_len + BPF_RINGBUF_HDR_SZ + 7) & ~7ULL;
		if (!(len & BPF_RINGBUF_DISCARD_BIT)) {
			fn((const uint8_t *)hdr + BPF_RINGBUF_HDR_SZ, data_len, userdata);
			n++;
		}
		/* The kernel may reuse the space once this is published. */
		__atomic_store_n(rb->consumer_pos, cons, __ATOMIC_RELEASE);
		if (cons >= prod)
			prod = __atomic_load_n(rb->producer_pos, __ATOMIC_ACQUIRE);
	}
	return n;
}
