/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kcc.* options of the kernel command line. Unknown or malformed kcc.* options are errors:
 * a typo in a security option must stop the boot, not be ignored. Other words are skipped. */
#pragma once

#include "hex.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KCC_ROOTHASH_MAX 64 /* bytes: sha256 gives 32, sha512 64 */
#define KCC_HOSTNAME_MAX 63

typedef enum FailureAction {
	FAILURE_POWEROFF,
	FAILURE_REBOOT,
	_FAILURE_ACTION_MAX,
	_FAILURE_ACTION_INVALID = -22,
} FailureAction;

typedef struct KccCmdline {
	uint8_t roothash[KCC_ROOTHASH_MAX];
	size_t roothash_size; /* 0: not given */
	char slot;            /* 'a', 'b', or 0: not given */
	bool debug;
	FailureAction on_failure;
	unsigned rootwait_s;
	unsigned bless_timeout_s; /* a counted boot not healthy this long after PID 1 is marked bad */
	unsigned watchdog_s;      /* hardware watchdog time-out; 0: not used */
	char hostname[KCC_HOSTNAME_MAX + 1];
} KccCmdline;

void cmdline_init(KccCmdline *c);
/* Parses a whole command line. On error returns -EINVAL (or -ERANGE, -E2BIG) and writes a
 * one-line reason into err. */
#define CMDLINE_MAX 4096 /* bytes of /proc/cmdline read */

int cmdline_parse(const char *line, KccCmdline *ret, char *err, size_t errlen);
/* Reads /proc/cmdline (a copy of its first line into raw, rawsize bytes, when raw is given),
 * parses it into ret and applies its debug setting; logs and returns -errno on failure. */
int cmdline_load(KccCmdline *ret, char *raw, size_t rawsize);
bool hostname_is_valid(const char *s);
