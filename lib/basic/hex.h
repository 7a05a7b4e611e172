/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One hex digit's value, or -1. Shared by kcc-init's command line and the measured-boot library. */
#pragma once

static inline int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
