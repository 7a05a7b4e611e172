/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ratelimit.h"

void ratelimit_init(RateLimit *rl, unsigned long long now_ms)
{
	for (int i = 0; i < _EV_MAX; i++) {
		rl->b[i].tokens = RATE_BURST;
		rl->b[i].last_ms = now_ms;
		rl->b[i].suppressed = 0;
	}
}

bool ratelimit_take(RateLimit *rl, EventId id, unsigned long long now_ms)
{
	double t;

	if (id < 0 || id >= _EV_MAX)
		return false;
	/* The accounting events themselves are never limited. */
	if (id == EV_EVENTS_LOST || id == EV_EVENTS_SUPPRESSED)
		return true;
	t = rl->b[id].tokens + (double)(now_ms - rl->b[id].last_ms) * RATE_PER_S / 1000.0;
	rl->b[id].tokens = t > RATE_BURST ? RATE_BURST : t;
	rl->b[id].last_ms = now_ms;
	if (rl->b[id].tokens >= 1.0) {
		rl->b[id].tokens -= 1.0;
		return true;
	}
	rl->b[id].suppressed++;
	return false;
}

uint64_t ratelimit_take_suppressed(RateLimit *rl, EventId id)
{
	uint64_t n = rl->b[id].suppressed;

	rl->b[id].suppressed = 0;
	return n;
}
