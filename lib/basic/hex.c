/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "hex.h"

int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int unhex(const char *s, size_t len, uint8_t *out, size_t outmax)
{
	if (len == 0 || len % 2 != 0 || len / 2 > outmax)
		return -EINVAL;
	for (size_t i = 0; i < len; i += 2) {
		int hi = hexval(s[i]), lo = hexval(s[i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	return (int)(len / 2);
}

int unhexify(const char *s, uint8_t *out, size_t len)
{
	size_t n = strlen(s);

	if (n != 2 * len)
		return -EINVAL;
	return len == 0 || unhex(s, n, out, len) >= 0 ? 0 : -EINVAL;
}

void hexify(const uint8_t *p, size_t len, char *out)
{
	static const char h[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = h[p[i] >> 4];
		out[2 * i + 1] = h[p[i] & 15];
	}
	out[2 * len] = '\0';
}
