/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The tests' firmware TCG logs, built byte by byte (crypto-agile: the Spec ID Event03 header, then
 * TCG_PCR_EVENT2 records with a SHA-1 and a SHA-256 digest), with the offsets where each record
 * ends (a truncation there is a shorter log, anywhere else a malformed one). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <tss2/tss2_tpm2_types.h>

#include "unit.h"

typedef struct Buf {
	uint8_t b[2048];
	size_t n;
	size_t end[16], n_end;
} Buf;

static inline void mark_end(Buf *b)
{
	b->end[b->n_end++] = b->n;
}

static inline bool at_end(const Buf *b, size_t k)
{
	for (size_t i = 0; i < b->n_end; i++)
		if (b->end[i] == k)
			return true;
	return false;
}

static inline void put(Buf *b, const void *p, size_t n)
{
	assert_true(b->n + n <= sizeof(b->b));
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

static inline void put32(Buf *b, uint32_t v)
{
	uint8_t le[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24 };
	put(b, le, 4);
}

static inline void put16(Buf *b, uint16_t v)
{
	uint8_t le[2] = { v & 0xff, v >> 8 };
	put(b, le, 2);
}

static inline void spec_header(Buf *b, bool with_sha256)
{
	static const uint8_t zero[20];
	Buf ev = { .n = 0 };

	put(&ev, "Spec ID Event03", 16);
	put32(&ev, 0);                   /* platformClass */
	put(&ev, "\x00\x02\x00\x02", 4); /* minor, major, errata, uintnSize */
	put32(&ev, with_sha256 ? 2 : 1);
	put16(&ev, TPM2_ALG_SHA1);
	put16(&ev, 20);
	if (with_sha256) {
		put16(&ev, TPM2_ALG_SHA256);
		put16(&ev, 32);
	}
	put(&ev, "\x00", 1); /* vendorInfoSize */
	put32(b, 0);
	put32(b, 3); /* EV_NO_ACTION */
	put(b, zero, 20);
	put32(b, (uint32_t)ev.n);
	put(b, ev.b, ev.n);
	mark_end(b);
}

static inline void event2(Buf *b, uint32_t pcr, uint32_t type, const uint8_t sha256[32], const void *data,
		   uint32_t size)
{
	static const uint8_t sha1[20];

	put32(b, pcr);
	put32(b, type);
	put32(b, 2);
	put16(b, TPM2_ALG_SHA1);
	put(b, sha1, 20);
	put16(b, TPM2_ALG_SHA256);
	put(b, sha256, 32);
	put32(b, size);
	put(b, data, size);
	mark_end(b);
}
