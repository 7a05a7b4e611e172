/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <sys/wait.h>

#include "supervise-fsm.h"

#define T(n, a) { SVC_##n, ACT_##a }
#define SAME(s) { SVC_##s, ACT_IGNORE }

static const SvcTransition table[_SVC_STATE_MAX][_SVC_EVENT_MAX] = {
	/*                 START            READY                 EXIT_RESTART         EXIT_FINAL          TIMER              STOP */
	[SVC_WAITING]  = { T(STARTING, SPAWN), SAME(WAITING),      SAME(WAITING),       SAME(WAITING),      SAME(WAITING),     T(STOPPED, NONE) },
	[SVC_STARTING] = { SAME(STARTING),  T(RUNNING, MARK_READY), T(BACKOFF, SCHEDULE), T(FAILED, GIVE_UP), T(STARTING, START_TIMEOUT), T(STOPPING, TERM) },
	[SVC_RUNNING]  = { SAME(RUNNING),   SAME(RUNNING),         T(BACKOFF, SCHEDULE), T(FAILED, GIVE_UP), SAME(RUNNING),     T(STOPPING, TERM) },
	[SVC_BACKOFF]  = { SAME(BACKOFF),   SAME(BACKOFF),         SAME(BACKOFF),       SAME(BACKOFF),      T(STARTING, SPAWN), T(STOPPED, CANCEL) },
	[SVC_STOPPING] = { SAME(STOPPING),  SAME(STOPPING),        T(STOPPED, STOPPED), T(STOPPED, STOPPED), T(STOPPING, KILL), SAME(STOPPING) },
	[SVC_STOPPED]  = { SAME(STOPPED),   SAME(STOPPED),         SAME(STOPPED),       SAME(STOPPED),      SAME(STOPPED),     SAME(STOPPED) },
	[SVC_FAILED]   = { SAME(FAILED),    SAME(FAILED),          SAME(FAILED),        SAME(FAILED),       SAME(FAILED),      T(STOPPED, NONE) },
};

SvcTransition svc_transition(SvcState s, SvcEvent e)
{
	if (s < 0 || s >= _SVC_STATE_MAX || e < 0 || e >= _SVC_EVENT_MAX)
		return (SvcTransition){ _SVC_STATE_INVALID, _SVC_ACTION_INVALID };
	return table[s][e];
}

static const char *const state_names[_SVC_STATE_MAX] = {
	[SVC_WAITING] = "waiting",   [SVC_STARTING] = "starting", [SVC_RUNNING] = "running",
	[SVC_BACKOFF] = "backoff",   [SVC_STOPPING] = "stopping", [SVC_STOPPED] = "stopped",
	[SVC_FAILED] = "failed",
};

static const char *const event_names[_SVC_EVENT_MAX] = {
	[EV_START] = "start",         [EV_READY] = "ready",  [EV_EXIT_RESTART] = "exit-restart",
	[EV_EXIT_FINAL] = "exit-final", [EV_TIMER] = "timer", [EV_STOP] = "stop",
};

const char *svc_state_to_string(SvcState s)
{
	return s >= 0 && s < _SVC_STATE_MAX ? state_names[s] : "invalid";
}

const char *svc_event_to_string(SvcEvent e)
{
	return e >= 0 && e < _SVC_EVENT_MAX ? event_names[e] : "invalid";
}

bool svc_should_restart(RestartPolicy p, int wait_status)
{
	bool clean = WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;

	switch (p) {
	case RESTART_ALWAYS:
		return true;
	case RESTART_ON_FAILURE:
		return !clean;
	default:
		return false;
	}
}

unsigned svc_backoff_ms(unsigned base, unsigned max, unsigned n)
{
	unsigned long long d = base;

	if (n == 0)
		n = 1;
	for (unsigned i = 1; i < n && d < max; i++)
		d *= 2;
	return d > max ? max : (unsigned)d;
}
