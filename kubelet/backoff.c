/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "backoff.h"

unsigned backoff_delay_s(unsigned n)
{
	unsigned d = BACKOFF_BASE_S;

	if (n <= 1)
		return 0;
	for (unsigned k = 2; k < n && d < BACKOFF_MAX_S; k++)
		d *= 2;
	return d < BACKOFF_MAX_S ? d : BACKOFF_MAX_S;
}

unsigned backoff_next(unsigned n, unsigned long long ran_s)
{
	if (ran_s >= BACKOFF_RESET_S)
		return 1;
	return n < 64 ? n + 1 : n;
}
