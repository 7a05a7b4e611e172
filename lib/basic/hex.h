/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Hex strings <-> bytes, the one implementation (digests on the command line, in signatures, event
 * logs and tokens). Lower case out; either case in. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* One hex digit's value, or -1. */
int hexval(char c);
/* Decodes len characters of s into out (at most outmax bytes); returns the byte count, or -EINVAL
 * for an odd or empty length, a non-hex digit or more than outmax bytes. */
int unhex(const char *s, size_t len, uint8_t *out, size_t outmax);
/* Decodes all of s into exactly len bytes: 0, or -EINVAL when s is not 2 * len hex digits. */
int unhexify(const char *s, uint8_t *out, size_t len);
/* Writes len bytes as 2 * len lower-case hex digits and a NUL into out. */
void hexify(const uint8_t *p, size_t len, char *out);
