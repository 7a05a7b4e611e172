/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Drives init/supervise.c itself (not only the table of supervise-fsm.c) with a fake loop, clock
 * and process layer (fake-svc.c): every state x event pair is reached through supervise.c and
 * checked for its next state and for what its action did; then the supervisor's defects of
 * issue 12 (start timeout, unwatched pipes, SIGTERM to the whole cgroup, clone into the cgroup).
 * Each case runs in a forked child, so that supervise.c's private state starts fresh. */
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "unit.h"

#include "fake-svc.h"
#include "fsm-steps.h"
#include "supervise-fsm.h"
#include "supervise.h"
#include "util.h"

static char svcdir[64], bootdir[64], cgdir[64];
/* svcdir: the one service the transitions are walked on; bootdir: slow and quick, for a boot */

#define SVC_FILE                                                                                \
	"exec = /bin/true\nready = fd:3\nrestart = always\nrestart_base_ms = 100\n"            \
	"start_timeout_ms = 7000\nstop_timeout_ms = 3000\n"

static void put_file(const char *dir, const char *name, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "we");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A cgroup directory as supervise_load finds it: the limit files exist. */
static void fake_cgroup(const char *name)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", cgdir, name);
	(void)mkdir(p, 0755);
	put_file(p, "pids.max", "");
	put_file(p, "memory.max", "");
	put_file(p, "cpu.max", "");
}

static int setup(void **state)
{
	(void)state;
	snprintf(svcdir, sizeof(svcdir), "/tmp/kcc-unit-svc-XXXXXX");
	snprintf(cgdir, sizeof(cgdir), "/tmp/kcc-unit-cg-XXXXXX");
	snprintf(bootdir, sizeof(bootdir), "/tmp/kcc-unit-boot-XXXXXX");
	assert_non_null(mkdtemp(bootdir));
	assert_non_null(mkdtemp(svcdir));
	assert_non_null(mkdtemp(cgdir));
	put_file(svcdir, "svc.conf", SVC_FILE);
	put_file(bootdir, "slow.conf", "exec = /bin/true\nready = fd:3\nstart_timeout_ms = 5000\n");
	put_file(bootdir, "quick.conf", "exec = /bin/true\n");
	fake_cgroup("svc");
	fake_cgroup("slow");
	fake_cgroup("quick");
	return 0;
}

static int teardown(void **state)
{
	char cmd[200];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s %s", svcdir, bootdir, cgdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Runs fn in a child with a fresh supervisor; the child's exit code is its verdict. */
static int in_child(int (*fn)(const void *), const void *arg)
{
	int st;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fn(arg));
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

#define CHECK(cond, ...)                                                                        \
	do {                                                                                    \
		if (!(cond)) {                                                                  \
			fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                         \
			fprintf(stderr, __VA_ARGS__);                                           \
			fputc('\n', stderr);                                                    \
			return 1;                                                               \
		}                                                                               \
	} while (0)



/* The events that bring a freshly loaded service (waiting) into each state. */
static const SvcEvent paths[_SVC_STATE_MAX][4] = {
	[SVC_WAITING] = { -1 },
	[SVC_STARTING] = { EV_START, -1 },
	[SVC_RUNNING] = { EV_START, EV_READY, -1 },
	[SVC_BACKOFF] = { EV_START, EV_READY, EV_EXIT_RESTART, -1 },
	[SVC_STOPPING] = { EV_START, EV_READY, EV_STOP, -1 },
	[SVC_STOPPED] = { EV_STOP, -1 },
	[SVC_FAILED] = { EV_START, EV_EXIT_FINAL, -1 },
};

/* The effects each action must have on the fakes (ms = the timer's new delay, -1: untouched). */
static int check_effects(SvcAction act, const FakeSvc *b, const FakeSvc *a, const char *what)
{
	unsigned clones = a->clones - b->clones, sigs = a->signals - b->signals;
	unsigned kills = a->kills - b->kills, arms = a->arms - b->arms;
	unsigned want_clones = 0, want_sigs = 0, want_kills = 0;
	long want_ms = -1;

	switch (act) {
	case ACT_SPAWN:
		want_clones = 1;
		want_ms = 7000; /* the start timeout */
		break;
	case ACT_MARK_READY:
	case ACT_CANCEL:
		want_ms = 0;
		break;
	case ACT_SCHEDULE:
		want_ms = 100; /* restart 1: restart_base_ms */
		break;
	case ACT_TERM:
		want_sigs = 1;
		want_ms = 3000; /* the stop timeout */
		break;
	case ACT_KILL:
	case ACT_START_TIMEOUT:
		want_kills = 1;
		break;
	case ACT_STOPPED:
		want_kills = 1;
		want_ms = 0;
		break;
	default:
		break;
	}
	CHECK(clones == want_clones, "%s: %u processes created, want %u", what, clones, want_clones);
	CHECK(sigs == want_sigs, "%s: %u cgroup signals, want %u", what, sigs, want_sigs);
	CHECK(!want_sigs || a->last_signal == SIGTERM, "%s: signal %d", what, a->last_signal);
	CHECK(kills == want_kills, "%s: %u cgroup kills, want %u", what, kills, want_kills);
	if (want_ms < 0)
		CHECK(arms == 0, "%s: a timer was armed (%u ms)", what, a->last_arm_ms);
	else
		CHECK(arms > 0 && a->last_arm_ms == (unsigned)want_ms, "%s: timer %u ms, want %ld",
		      what, arms ? a->last_arm_ms : 0, want_ms);
	return 0;
}

static int one_pair(const void *arg)
{
	const int *se = arg;
	SvcState s = (SvcState)se[0], want_state = s;
	SvcEvent e = (SvcEvent)se[1];
	SvcAction want_act = ACT_IGNORE;
	char what[64];
	FakeSvc before;

	snprintf(what, sizeof(what), "%s x %s", svc_state_to_string(s), svc_event_to_string(e));
	CHECK(supervise_load(svcdir, cgdir) == 1, "%s: load", what);
	for (int i = 0; paths[s][i] != (SvcEvent)-1; i++)
		CHECK(supervise_feed_event("svc", paths[s][i]) == 0, "%s: path", what);
	CHECK(supervise_state_of("svc") == (int)s, "%s: reached %s", what,
	      svc_state_to_string(supervise_state_of("svc")));
	for (size_t i = 0; i < ARRAY_SIZE(steps); i++)
		if (steps[i].from == s && steps[i].ev == e) {
			want_state = steps[i].to;
			want_act = steps[i].act;
		}
	before = fake_svc;
	CHECK(supervise_feed_event("svc", e) == 0, "%s: feed", what);
	CHECK(supervise_state_of("svc") == (int)want_state, "%s: went to %s, want %s", what,
	      svc_state_to_string(supervise_state_of("svc")), svc_state_to_string(want_state));
	return check_effects(want_act, &before, &fake_svc, what);
}

static void test_every_transition(void **state)
{
	unsigned bad = 0;

	(void)state;
	for (int s = 0; s < _SVC_STATE_MAX; s++)
		for (int e = 0; e < _SVC_EVENT_MAX; e++) {
			int se[2] = { s, e };
			bad += in_child(one_pair, se) != 0;
		}
	assert_int_equal(bad, 0);
}

static unsigned cb_calls, cb_running, cb_failed;

static void on_ready(unsigned running, unsigned failed)
{
	cb_calls++;
	cb_running = running;
	cb_failed = failed;
}

static int timer_with(unsigned ms)
{
	for (int fd = 0; fd < FAKE_SOURCES_MAX; fd++)
		if (fake_svc.armed[fd] == ms)
			return fd;
	return -1;
}

/* A service that never signals readiness: after start_timeout_ms it is killed, counts as failed,
 * "services started" comes, and its exit leads to a restart. */
static int start_timeout(const void *arg)
{
	unsigned kills;
	int fd;

	(void)arg;
	CHECK(supervise_load(bootdir, cgdir) == 2, "load");
	supervise_start(on_ready);
	CHECK(supervise_state_of("quick") == SVC_RUNNING, "quick is %d", supervise_state_of("quick"));
	CHECK(supervise_state_of("slow") == SVC_STARTING, "slow is %d", supervise_state_of("slow"));
	CHECK(cb_calls == 0, "services started before slow was ready or failed");
	fd = timer_with(5000);
	CHECK(fd >= 0, "no start timer armed with slow's start_timeout_ms");
	kills = fake_svc.kills;
	fake_fire(fd);
	CHECK(fake_svc.kills == kills + 1, "slow's cgroup not killed at its start timeout");
	CHECK(cb_calls == 1 && cb_running == 1 && cb_failed == 1,
	      "services started %u times (%u running, %u failed), want once (1 running, 1 failed)",
	      cb_calls, cb_running, cb_failed);
	/* its main process dies of the SIGKILL: restarted with backoff (restart = always) */
	CHECK(supervise_child_exited(1000 + 2, SIGKILL), "slow's pid unknown");
	CHECK(supervise_state_of("slow") == SVC_BACKOFF, "slow is %s after its exit",
	      svc_state_to_string(supervise_state_of("slow")));
	return 0;
}

static void test_start_timeout(void **state)
{
	(void)state;
	assert_int_equal(in_child(start_timeout, NULL), 0);
}

/* The output pipe cannot be watched: nothing is started (no child writing into a pipe nobody
 * reads), the start fails like an exit and the restart policy applies. */
static int unwatched(const void *arg)
{
	(void)arg;
	/* quick has no readiness pipe: its output pipe is the only one */
	CHECK(supervise_load(bootdir, cgdir) == 2, "load");
	fake_svc.fail_loop_add = true;
	CHECK(supervise_feed_event("quick", EV_START) == 0, "feed");
	CHECK(fake_svc.clones == 0, "%u processes created with an unwatched pipe", fake_svc.clones);
	CHECK(fake_svc.watched == 2, "%d sources in the loop, want the 2 timers", fake_svc.watched);
	CHECK(supervise_state_of("quick") == SVC_BACKOFF, "quick is %s",
	      svc_state_to_string(supervise_state_of("quick")));
	return 0;
}

static void test_unwatched_pipe(void **state)
{
	(void)state;
	assert_int_equal(in_child(unwatched, NULL), 0);
}

/* Neither can the start timer be armed: nothing is started either. */
static int unarmed(const void *arg)
{
	(void)arg;
	CHECK(supervise_load(svcdir, cgdir) == 1, "load");
	fake_svc.fail_timer_arm = true;
	CHECK(supervise_feed_event("svc", EV_START) == 0, "feed");
	CHECK(fake_svc.clones == 0, "%u processes created without a start timer", fake_svc.clones);
	CHECK(fake_svc.watched == 1, "%d sources in the loop, want its timer", fake_svc.watched);
	return 0;
}

static void test_unarmed_timer(void **state)
{
	(void)state;
	assert_int_equal(in_child(unarmed, NULL), 0);
}

/* A service file DIR/NAME running /bin/true with KEY = DIR/FILE. */
static void put_svc(const char *dir, const char *name, const char *key, const char *file)
{
	char text[300];

	snprintf(text, sizeof(text), "exec = /bin/true\n%s = %s/%s\n", key, dir, file);
	put_file(dir, name, text);
}

/* condition_path: a service whose file is missing is not started, one whose file exists is, and
 * after= naming the missing one is satisfied. */
static int conditions(const void *arg)
{
	char dir[64];

	(void)arg;
	snprintf(dir, sizeof(dir), "%s/cond", bootdir);
	CHECK(mkdir(dir, 0755) == 0, "mkdir");
	put_svc(dir, "gone.conf", "condition_path", "missing");
	put_svc(dir, "here.conf", "condition_path", "here.conf");
	put_file(dir, "quick.conf", "exec = /bin/true\nafter = gone\n");
	fake_cgroup("here");
	CHECK(supervise_load(dir, cgdir) == 2, "load: want here and quick");
	supervise_start(on_ready);
	CHECK(supervise_state_of("quick") == SVC_RUNNING, "quick is %s, waiting for gone?",
	      svc_state_to_string(supervise_state_of("quick")));
	CHECK(supervise_state_of("here") == SVC_RUNNING, "here is %s",
	      svc_state_to_string(supervise_state_of("here")));
	CHECK(fake_svc.clones == 2, "%u started, want 2", fake_svc.clones);
	return 0;
}

static void test_conditions(void **state)
{
	(void)state;
	assert_int_equal(in_child(conditions, NULL), 0);
}

/* start_after_path: the service waits (and the boot's readiness with it) until its file exists;
 * inotify on its folder starts it then; a path whose folder is missing drops the service. */
static int wait_for_path(const void *arg)
{
	char dir[64];
	int fd;

	(void)arg;
	snprintf(dir, sizeof(dir), "%s/wait", bootdir);
	CHECK(mkdir(dir, 0755) == 0, "mkdir");
	put_svc(dir, "late.conf", "start_after_path", "kubeconfig");
	put_svc(dir, "nofolder.conf", "start_after_path", "none/file");
	put_file(dir, "quick.conf", "exec = /bin/true\n");
	fake_cgroup("late");
	CHECK(supervise_load(dir, cgdir) == 2, "load: want late and quick");
	fd = supervise_path_watch_fd();
	CHECK(fd >= 0, "no inotify watch");
	supervise_start(on_ready);
	CHECK(supervise_state_of("quick") == SVC_RUNNING, "quick is not running");
	CHECK(supervise_state_of("late") == SVC_WAITING, "late is %s before its file exists",
	      svc_state_to_string(supervise_state_of("late")));
	fake_fire(fd);
	CHECK(supervise_state_of("late") == SVC_WAITING, "late started on an unrelated event");
	CHECK(cb_calls == 0, "the boot was ready while late waited");
	put_file(dir, "kubeconfig", "x");
	fake_fire(fd);
	CHECK(supervise_state_of("late") == SVC_RUNNING, "late is %s once its file exists",
	      svc_state_to_string(supervise_state_of("late")));
	CHECK(cb_calls == 1 && cb_running == 2, "ready %u times, %u running", cb_calls, cb_running);
	return 0;
}

static void test_wait_for_path(void **state)
{
	(void)state;
	assert_int_equal(in_child(wait_for_path, NULL), 0);
}

static void no_op(void)
{
}

/* Stop: SIGTERM to the cgroup (every process), and the child is created in its cgroup. */
static int stop_and_clone(const void *arg)
{
	struct stat a, b;
	char p[256];

	(void)arg;
	CHECK(supervise_load(bootdir, cgdir) == 2, "load");
	supervise_start(on_ready);
	CHECK(fake_svc.clones == 2, "%u started", fake_svc.clones);
	snprintf(p, sizeof(p), "%s/slow", cgdir);
	CHECK(fstat(fake_svc.clone_cg_fd, &a) == 0 && stat(p, &b) == 0 && a.st_ino == b.st_ino,
	      "the last child was not created in its own cgroup");
	supervise_stop_all(no_op);
	CHECK(fake_svc.signals >= 1 && fake_svc.last_signal == SIGTERM,
	      "stop sent %u cgroup signals (last %d)", fake_svc.signals, fake_svc.last_signal);
	return 0;
}

static void test_stop_and_clone(void **state)
{
	(void)state;
	assert_int_equal(in_child(stop_and_clone, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_transition),
		cmocka_unit_test(test_start_timeout),
		cmocka_unit_test(test_unwatched_pipe),
		cmocka_unit_test(test_unarmed_timer),
		cmocka_unit_test(test_stop_and_clone),
		cmocka_unit_test(test_conditions),
		cmocka_unit_test(test_wait_for_path),
	};
	return cmocka_run_group_tests_name("supervise", tests, setup, teardown);
}
