/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#define FAKE_SOURCES_MAX 1024

typedef struct FakeSvc {
	unsigned long long now;            /* the fake clock, ms */
	unsigned clones, signals, kills, arms;
	int last_signal, clone_cg_fd, last_arm_fd;
	unsigned last_arm_ms;
	int watched;                       /* sources in the fake loop */
	unsigned armed[FAKE_SOURCES_MAX];  /* last delay per timer fd, 0 = disarmed */
	bool fail_loop_add, fail_timer_arm, fail_clone;
} FakeSvc;

extern FakeSvc fake_svc;
/* Fires the timer (or makes the pipe readable) behind fd and runs its handler. */
void fake_fire(int fd);
