/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* "key = value" files, the one reader (service files, network.conf, hardening.conf): one setting a
 * line; blank lines and lines starting with '#' skipped; spaces and tabs around the key and the
 * value trimmed; a line without '=' or longer than the caller's buffer is an error with its number. */
#pragma once

#include <stddef.h>

typedef struct KvParser {
	const char *p; /* the rest of the text */
	unsigned lineno;
	char *buf; /* the caller's line buffer: key and value point into it */
	size_t size;
} KvParser;

void kv_init(KvParser *k, const char *text, char *buf, size_t size);
/* The next setting: 1 with *key and *value set, 0 at the end of the text, -E2BIG (line too long)
 * or -EINVAL (no '=', or an empty key) with "line N: ..." in err. */
int kv_next(KvParser *k, char **key, char **value, char *err, size_t errlen);
