/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The forwarder's spool on /var (docs/events.md, "Nothing lost"): events wait here, in order,
 * while the collector is away. Append-only segment files of CRC-checked records, a cursor of the
 * last record the collector has taken (written by rename, fsync'd), a byte quota.
 *   - Every append is fsync'd before it returns: an event the spool took survives a power cut.
 *   - A torn record at a segment's end (power cut mid-write) is cut off when the spool opens.
 *   - Over its quota the spool first drops, oldest segment first, the records of low severity
 *     (notice and below), then whole segments; what it dropped is counted per severity for the
 *     loss record the forwarder sends (spool_take_loss).
 * Records are numbered by the spool itself (an index that grows across boots); the event's own
 * boot and sequence number are in its bytes. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define SPOOL_RECORD_MAX (64 * 1024)

typedef struct Spool Spool;

typedef struct SpoolLoss {
	uint64_t dropped[8]; /* per syslog severity */
	uint64_t total;
} SpoolLoss;

/* Opens (creating) the spool in dir with a quota of quota bytes (at least 4 segments' worth). */
int spool_open(const char *dir, uint64_t quota, Spool **ret);
void spool_close(Spool *s);
/* Appends one record; returns its index (>= 1), or -errno. */
int64_t spool_append(Spool *s, int severity, const void *data, size_t len);
/* The first record after index after: 1 with *index, its bytes in buf (size bytes) and *len;
 * 0 when there is none; -E2BIG when buf is too small. */
int spool_next(Spool *s, uint64_t after, uint64_t *index, int *severity, void *buf, size_t size,
	       size_t *len);
/* The collector has taken everything up to index: the cursor moves (durably), and segments wholly
 * taken are deleted. */
int spool_ack(Spool *s, uint64_t index);
uint64_t spool_acked(const Spool *s);
/* Bytes the spool holds. */
uint64_t spool_bytes(const Spool *s);
/* What was dropped since the last call (and resets the count). */
void spool_take_loss(Spool *s, SpoolLoss *ret);
