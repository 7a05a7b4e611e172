/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <sys/wait.h>

#include "unit.h"
#include "fsm-steps.h"

#include "supervise-fsm.h"

#define ST(code) ((code) << 8)   /* wait status of exit(code) */
#define SIG(sig) (sig)           /* wait status of a death by signal */



static void test_exhaustive(void **state)
{
	(void)state;
	for (int s = 0; s < _SVC_STATE_MAX; s++)
		for (int e = 0; e < _SVC_EVENT_MAX; e++) {
			SvcTransition t = svc_transition((SvcState)s, (SvcEvent)e);
			const Step *want = NULL;

			for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
				if ((int)steps[i].from == s && (int)steps[i].ev == e)
					want = &steps[i];
			if (want) {
				if (t.next != want->to || t.action != want->act)
					fail_msg("%s x %s: got %s/%d", svc_state_to_string(s),
						 svc_event_to_string(e), svc_state_to_string(t.next),
						 t.action);
			} else if (t.next != (SvcState)s || t.action != ACT_IGNORE)
				fail_msg("%s x %s should be ignored", svc_state_to_string(s),
					 svc_event_to_string(e));
		}
}

static void test_invalid(void **state)
{
	(void)state;
	assert_int_equal(svc_transition(_SVC_STATE_MAX, EV_START).next, _SVC_STATE_INVALID);
	assert_int_equal(svc_transition(SVC_WAITING, (SvcEvent)-1).action, _SVC_ACTION_INVALID);
	assert_string_equal(svc_state_to_string((SvcState)99), "invalid");
}

static void test_restart_policy(void **state)
{
	(void)state;
	assert_true(svc_should_restart(RESTART_ALWAYS, ST(0)));
	assert_true(svc_should_restart(RESTART_ALWAYS, SIG(9)));
	assert_false(svc_should_restart(RESTART_ON_FAILURE, ST(0)));
	assert_true(svc_should_restart(RESTART_ON_FAILURE, ST(1)));
	assert_true(svc_should_restart(RESTART_ON_FAILURE, SIG(15)));
	assert_false(svc_should_restart(RESTART_NEVER, ST(1)));
	assert_false(svc_should_restart(RESTART_NEVER, SIG(9)));
}

static void test_backoff(void **state)
{
	(void)state;
	assert_int_equal(svc_backoff_ms(100, 30000, 0), 100);
	assert_int_equal(svc_backoff_ms(100, 30000, 1), 100);
	assert_int_equal(svc_backoff_ms(100, 30000, 2), 200);
	assert_int_equal(svc_backoff_ms(100, 30000, 5), 1600);
	assert_int_equal(svc_backoff_ms(100, 30000, 9), 25600);
	assert_int_equal(svc_backoff_ms(100, 30000, 10), 30000);
	assert_int_equal(svc_backoff_ms(100, 30000, 1000000), 30000);
	assert_int_equal(svc_backoff_ms(3000000, 3600000, 40), 3600000);
	assert_int_equal(svc_backoff_ms(500, 500, 3), 500);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exhaustive),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_restart_policy),
		cmocka_unit_test(test_backoff),
	};
	return cmocka_run_group_tests_name("supervise-fsm", tests, NULL, NULL);
}
