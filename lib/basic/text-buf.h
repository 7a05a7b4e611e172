/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A caller's buffer filled by appends, always NUL-terminated: once one does not fit, the rest are
 * dropped and the result is -ENOBUFS, never a cut text (the daemons' configurations, resolv.conf,
 * the syslog lines of events). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef struct TextBuf {
	char *buf;
	size_t size, len;
	bool full;
} TextBuf;

void text_put(TextBuf *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends n bytes of s as they are (they may hold NUL bytes). */
void text_put_bytes(TextBuf *t, const char *s, size_t n);
/* The text's length, or -ENOBUFS when something did not fit. */
int text_done(const TextBuf *t);
