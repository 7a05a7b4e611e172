/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Restart backoff as the kubelet does it: the first restart at once, then 10 s doubling up to
 * 5 minutes; a container that ran for 10 minutes starts over. */
#pragma once

#include <stdbool.h>

#define BACKOFF_BASE_S 10
#define BACKOFF_MAX_S 300
#define BACKOFF_RESET_S (2 * BACKOFF_MAX_S)

/* Delay before restart number n (1 = the first restart after an exit). */
unsigned backoff_delay_s(unsigned n);
/* The backoff count after an exit, given the count so far and how long the container ran. */
unsigned backoff_next(unsigned n, unsigned long long ran_s);
