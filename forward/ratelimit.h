/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Per event type token buckets: a flood of one type (a denial loop) is cut to RATE_PER_S with a
 * burst of RATE_BURST, and what was cut is counted for the suppression summary. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "event.h"

#define RATE_PER_S 10
#define RATE_BURST 20

typedef struct RateLimit {
	struct {
		double tokens;
		unsigned long long last_ms;
		uint64_t suppressed;
	} b[_EV_MAX];
} RateLimit;

void ratelimit_init(RateLimit *rl, unsigned long long now_ms);
/* true: send it; false: suppressed (counted). */
bool ratelimit_take(RateLimit *rl, EventId id, unsigned long long now_ms);
/* The count suppressed for id since the last call, reset to 0. */
uint64_t ratelimit_take_suppressed(RateLimit *rl, EventId id);
