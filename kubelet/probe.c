/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Liveness and readiness probes, each run in a child so the loop never blocks: httpGet connects
 * from inside the pod's network namespace (its own, or the host's with hostNetwork); exec runs
 * `crun exec`. The child's exit status is the result; SIGALRM enforces timeoutSeconds. */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>

#include "http-client.h"
#include "kubelet.h"
#include "util.h"

static pid_t read_init_pid(const PodState *p, unsigned i)
{
	char id[80], path[400], *text = NULL;
	pid_t pid = 0;

	ctr_id(p, i, id, sizeof(id));
	snprintf(path, sizeof(path), "%s/%s.pid", cfg.run_dir, id);
	if (read_small_file(path, 32, &text) >= 0)
		pid = (pid_t)strtol(text, NULL, 10);
	free(text);
	return pid;
}

/* 200 to 399 is a success, as the kubelet's; the answer past its status line is not read. */
_noreturn_ static void http_child(const Probe *pr)
{
	_cleanup_close_ int fd = http_get_send(NULL, pr->port, pr->path, 0);
	int code;

	if (fd < 0 || http_get_status(fd, &code) < 0)
		_exit(1);
	_exit(code >= 200 && code < 400 ? 0 : 1);
}

static pid_t spawn_probe(const PodState *p, unsigned i, const Probe *pr)
{
	const CtrState *s = &p->ctrs[i];
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	sigset_t none;
	/* none of the kubelet's descriptors: its clients' connections end when it closes them */
	(void)close_range(3, ~0U, 0);
	sigemptyset(&none);
	signal(SIGALRM, SIG_DFL);
	sigprocmask(SIG_SETMASK, &none, NULL);
	alarm(pr->timeout_s);
	if (pr->kind == PROBE_HTTP) {
		if (!p->pod.host_network) {
			char ns[64];
			snprintf(ns, sizeof(ns), "/proc/%d/ns/net", (int)s->init_pid);
			int fd = open(ns, O_RDONLY | O_CLOEXEC);
			if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
				_exit(1);
		}
		http_child(pr);
	}
	char id[80];
	const char *args[CTR_ARGS_MAX + 4] = { "exec", id };
	size_t n = 2;
	ctr_id(p, i, id, sizeof(id));
	for (size_t k = 0; pr->exec[k]; k++)
		args[n++] = pr->exec[k];
	args[n] = NULL;
	crun_exec(args);
}

static void run_one(PodState *p, unsigned i, const Probe *pr, ProbeState *ps,
		    unsigned long long now)
{
	CtrState *s = &p->ctrs[i];

	if (pr->kind == PROBE_NONE || ps->pid > 0)
		return;
	if (ps->next_ms == 0)
		ps->next_ms = s->started_ms + pr->initial_delay_s * 1000ULL;
	if (now < ps->next_ms)
		return;
	if (!s->init_pid)
		s->init_pid = read_init_pid(p, i);
	if (!s->init_pid) {
		ps->next_ms = now + 100; /* crun has not started it yet */
		return;
	}
	ps->pid = spawn_probe(p, i, pr);
	if (ps->pid < 0)
		ps->pid = 0;
	ps->next_ms = now + pr->period_s * 1000ULL;
}

void probes_tick(PodState *p, unsigned i, unsigned long long now)
{
	const Container *c = &p->pod.containers[i];
	CtrState *s = &p->ctrs[i];

	if (s->phase != CTR_RUNNING || s->stopping)
		return;
	/* No readiness probe: ready exactly while its process is known (crun's pid file read),
	 * derived again on every tick rather than latched, so that the status never shows it
	 * ready without a pid (docs/kubelet.md). */
	if (c->readiness.kind == PROBE_NONE) {
		bool was = s->ready;
		if (!s->init_pid)
			s->init_pid = read_init_pid(p, i);
		if (was && s->init_pid <= 0)
			log_info("container %s/%s was marked ready without a known process; not ready "
				 "until crun's pid file names it", p->ns_name, c->name);
		s->ready = s->init_pid > 0;
	}
	run_one(p, i, &c->liveness, &s->liveness, now);
	run_one(p, i, &c->readiness, &s->readiness, now);
}

static void result(PodState *p, unsigned i, bool liveness, bool ok, const char *why)
{
	const Container *c = &p->pod.containers[i];
	CtrState *s = &p->ctrs[i];
	const Probe *pr = liveness ? &c->liveness : &c->readiness;
	ProbeState *ps = liveness ? &s->liveness : &s->readiness;

	if (ok) {
		ps->successes++;
		ps->failures = 0;
	} else {
		ps->failures++;
		ps->successes = 0;
		if (ps->failures == 1 || ps->failures == pr->failure_threshold)
			log_info("container %s/%s: %s probe failed (%s)", p->ns_name, c->name,
			     liveness ? "liveness" : "readiness", why);
	}
	if (s->phase != CTR_RUNNING)
		return;
	if (!liveness) {
		bool was = s->ready;
		if (ok && ps->successes >= pr->success_threshold)
			s->ready = true;
		else if (!ok && ps->failures >= pr->failure_threshold)
			s->ready = false;
		if (was != s->ready)
			log_info("container %s/%s is %s", p->ns_name, c->name,
			     s->ready ? "ready" : "not ready (readiness probe failed)");
		pod_ready_check(p);
		return;
	}
	if (!ok && ps->failures >= pr->failure_threshold) {
		log_info("container %s/%s failed its liveness probe %u times, killing it", p->ns_name,
		     c->name, ps->failures);
		ps->failures = 0;
		ctr_kill(p, i, SIGKILL);
	}
}

bool probe_reaped(pid_t pid, int status)
{
	for (unsigned k = 0; k < PODS_MAX; k++) {
		PodState *p = &pods[k];
		if (!p->used)
			continue;
		for (unsigned i = 0; i < p->pod.n_containers; i++) {
			CtrState *s = &p->ctrs[i];
			bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
			char why[48];
			if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
				snprintf(why, sizeof(why), "timed out");
			else if (WIFSIGNALED(status))
				snprintf(why, sizeof(why), "killed by signal %d", WTERMSIG(status));
			else
				snprintf(why, sizeof(why), "exit status %d", WEXITSTATUS(status));
			if (s->liveness.pid == pid) {
				s->liveness.pid = 0;
				result(p, i, true, ok, why);
				return true;
			}
			if (s->readiness.pid == pid) {
				s->readiness.pid = 0;
				result(p, i, false, ok, why);
				return true;
			}
		}
	}
	return false;
}
