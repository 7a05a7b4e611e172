/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The supervisor's transitions as the tests expect them: written out here, never read from
 * init/supervise-fsm.c. Every other (state, event) pair is ignored: same state, nothing done.
 * test-supervise-fsm checks the table, test-supervise drives supervise.c itself through it. */
#pragma once

#include "supervise-fsm.h"

typedef struct Step {
	SvcState from;
	SvcEvent ev;
	SvcState to;
	SvcAction act;
} Step;

static const Step steps[] = {
	{ SVC_WAITING, EV_START, SVC_STARTING, ACT_SPAWN },
	{ SVC_WAITING, EV_STOP, SVC_STOPPED, ACT_NONE },
	{ SVC_STARTING, EV_READY, SVC_RUNNING, ACT_MARK_READY },
	{ SVC_STARTING, EV_EXIT_RESTART, SVC_BACKOFF, ACT_SCHEDULE },
	{ SVC_STARTING, EV_EXIT_FINAL, SVC_FAILED, ACT_GIVE_UP },
	{ SVC_STARTING, EV_TIMER, SVC_STARTING, ACT_START_TIMEOUT },
	{ SVC_STARTING, EV_STOP, SVC_STOPPING, ACT_TERM },
	{ SVC_RUNNING, EV_EXIT_RESTART, SVC_BACKOFF, ACT_SCHEDULE },
	{ SVC_RUNNING, EV_EXIT_FINAL, SVC_FAILED, ACT_GIVE_UP },
	{ SVC_RUNNING, EV_STOP, SVC_STOPPING, ACT_TERM },
	{ SVC_BACKOFF, EV_TIMER, SVC_STARTING, ACT_SPAWN },
	{ SVC_BACKOFF, EV_STOP, SVC_STOPPED, ACT_CANCEL },
	{ SVC_STOPPING, EV_EXIT_RESTART, SVC_STOPPED, ACT_STOPPED },
	{ SVC_STOPPING, EV_EXIT_FINAL, SVC_STOPPED, ACT_STOPPED },
	{ SVC_STOPPING, EV_TIMER, SVC_STOPPING, ACT_KILL },
	{ SVC_FAILED, EV_STOP, SVC_STOPPED, ACT_NONE },
};
