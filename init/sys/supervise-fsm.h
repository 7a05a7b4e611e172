/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The service state machine as an explicit table: actions[state][event]. Pure: no I/O, so the
 * unit tests walk it exhaustively. supervise.c carries out the actions. */
#pragma once

#include <stdbool.h>

#include "service.h"

typedef enum SvcState {
	SVC_WAITING,  /* dependencies not ready yet */
	SVC_STARTING, /* spawned, readiness not signalled yet */
	SVC_RUNNING,  /* ready */
	SVC_BACKOFF,  /* exited, restart timer armed */
	SVC_STOPPING, /* SIGTERM sent, kill timer armed */
	SVC_STOPPED,  /* stopped on request */
	SVC_FAILED,   /* exited and the restart policy says no more */
	_SVC_STATE_MAX,
	_SVC_STATE_INVALID = -22,
} SvcState;

typedef enum SvcEvent {
	EV_START,        /* dependencies are ready */
	EV_READY,        /* the service signalled readiness (or needs none) */
	EV_EXIT_RESTART, /* the main process exited and the policy restarts it */
	EV_EXIT_FINAL,   /* the main process exited and the policy does not restart it */
	EV_TIMER,        /* the service's timer fired (start, restart or stop timeout) */
	EV_STOP,         /* shutdown asked for it */
	_SVC_EVENT_MAX,
	_SVC_EVENT_INVALID = -22,
} SvcEvent;

typedef enum SvcAction {
	ACT_NONE,
	ACT_IGNORE,        /* event not meaningful in this state: logged at debug, no change */
	ACT_SPAWN,         /* fork and exec the service */
	ACT_MARK_READY,    /* record readiness, start dependents */
	ACT_SCHEDULE,      /* arm the restart timer with the backoff delay */
	ACT_GIVE_UP,       /* log that the policy ends it */
	ACT_TERM,          /* SIGTERM to every process of its cgroup, arm the kill timer */
	ACT_KILL,          /* SIGKILL to every process of its cgroup */
	ACT_CANCEL,        /* disarm the timer */
	ACT_STOPPED,       /* record the stop, kill leftovers of its cgroup */
	ACT_START_TIMEOUT, /* no readiness within start_timeout_ms: kill its cgroup, count it failed */
	_SVC_ACTION_MAX,
	_SVC_ACTION_INVALID = -22,
} SvcAction;

typedef struct SvcTransition {
	SvcState next;
	SvcAction action;
} SvcTransition;

SvcTransition svc_transition(SvcState s, SvcEvent e);
const char *svc_state_to_string(SvcState s);
const char *svc_event_to_string(SvcEvent e);
/* Whether an exit (wait status) leads to a restart under policy. */
bool svc_should_restart(RestartPolicy p, int wait_status);
/* Delay before restart number n (1-based): base * 2^(n-1), capped at max. */
unsigned svc_backoff_ms(unsigned base, unsigned max, unsigned n);
/* A service that stayed up this long has its restart count reset. */
#define SVC_STABLE_MS 10000
