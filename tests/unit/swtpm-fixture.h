/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A fresh swtpm for a unit test: its own state folder, a Unix socket, its log in the folder; it
 * dies with the test (PR_SET_PDEATHSIG), also when a sanitizer aborts before the teardown. */
#pragma once

#include <sys/types.h>

typedef struct SwtpmFixture {
	char dir[64];   /* the state folder, also for the test's own files */
	char tcti[128]; /* "swtpm:path=DIR/sock" for tpm_open() */
	pid_t pid;
} SwtpmFixture;

int swtpm_fixture_start(SwtpmFixture *s);
/* Stops it and removes its folder. */
int swtpm_fixture_stop(SwtpmFixture *s);
