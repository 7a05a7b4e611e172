/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <libgen.h>
#include <stddef.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "boot-events.h"
#include "helper.h"
#include "log.h"
#include "loop.h"
#include "ready-http.h"
#include "service-proc.h"
#include "supervise-fsm.h"
#include "supervise.h"

#define SERVICES_MAX 64
#define OUT_LINE_MAX 512

typedef struct Service {
	ServiceConfig cfg;
	SvcState state;
	pid_t pid;
	int cg_fd;
	unsigned restarts;
	unsigned long long started_ms;
	unsigned start_seq; /* order of the first start, for the reverse stop */
	bool start_timed_out; /* its readiness did not come in time: counts as failed for the boot */
	Source out, ready, timer, probe; /* probe: the HTTP readiness retry timer */
	char outbuf[OUT_LINE_MAX];
	size_t outlen;
} Service;

static Service services[SERVICES_MAX];
static unsigned n_services, next_seq;
static void (*ready_cb)(unsigned running, unsigned failed);
static void (*stopped_cb)(void);
static char services_dir[256]; /* for kcc-sandbox, which reads a service's file again */
static Source path_watch = { .fd = -EBADF }; /* inotify: the folders of start_after_path= */
static bool stopping, fork_fallback_logged;

static void feed(Service *s, SvcEvent e);

static Service *service_by_name(const char *name)
{
	for (unsigned i = 0; i < n_services; i++)
		if (streq(services[i].cfg.name, name))
			return &services[i];
	return NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

/* Depth-first search for a cycle through after= links. */
static bool has_cycle(unsigned i, unsigned char *mark)
{
	if (mark[i] == 1)
		return true;
	if (mark[i] == 2)
		return false;
	mark[i] = 1;
	for (unsigned k = 0; k < services[i].cfg.n_after; k++) {
		Service *d = service_by_name(services[i].cfg.after[k]);
		if (d && has_cycle((unsigned)(d - services), mark))
			return true;
	}
	mark[i] = 2;
	return false;
}

static void unload_all(void)
{
	for (unsigned i = 0; i < n_services; i++)
		service_config_done(&services[i].cfg);
	n_services = 0;
}

static int load_configs(const char *dir)
{
	_cleanup_(closedirp) DIR *d = NULL;
	ServiceConfig *cfgs[SERVICES_MAX];
	char *names[SERVICES_MAX];
	unsigned n = 0;
	struct dirent *de;
	int r = 0;

	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return log_error_errno(-errno, "Failed to open service directory %s: %m", dir);
	}
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l <= 5 || !streq(de->d_name + l - 5, ".conf"))
			continue;
		if (n >= SERVICES_MAX) {
			r = log_error_errno(-E2BIG, "More than %d service files in %s", SERVICES_MAX,
					    dir);
			goto out;
		}
		names[n] = strndup(de->d_name, l - 5);
		if (!names[n]) {
			r = -ENOMEM;
			goto out;
		}
		n++;
	}
	qsort(names, n, sizeof(char *), cmp_str);
	for (unsigned i = 0; i < n; i++) {
		_cleanup_free_ char *text = NULL;
		char path[512], err[256];

		snprintf(path, sizeof(path), "%s/%s.conf", dir, names[i]);
		r = read_small_file(path, SERVICE_FILE_MAX, &text);
		if (r < 0) {
			r = log_error_errno(r, "Failed to read service file %s: %m", path);
			goto out;
		}
		r = service_config_parse(names[i], text, &services[n_services].cfg, err,
					 sizeof(err));
		if (r < 0) {
			r = log_error_errno(r, "Bad service file %s: %s", path, err);
			goto out;
		}
		n_services++;
	}
	for (unsigned i = 0; i < n_services; i++)
		for (unsigned k = 0; k < services[i].cfg.n_after; k++)
			if (!service_by_name(services[i].cfg.after[k])) {
				r = log_error_errno(-ENOENT, "Service %s: after=%s names no service",
						    services[i].cfg.name, services[i].cfg.after[k]);
				goto out;
			}
	for (unsigned i = 0; i < n_services; i++) {
		unsigned char mark[SERVICES_MAX] = {};
		if (has_cycle(i, mark)) {
			r = log_error_errno(-ELOOP, "Service %s: its after= dependencies form a cycle",
					    services[i].cfg.name);
			goto out;
		}
	}
	/* In name order (the files were read sorted), so that each number stays the same. */
	for (unsigned i = 0; i < n_services; i++)
		cfgs[i] = &services[i].cfg;
	r = service_assign_uids(cfgs, n_services);
	if (r < 0) {
		r = log_error_errno(r, "No free per-service uid left for the services of %s", dir);
		goto out;
	}
	r = 0;
out:
	for (unsigned i = 0; i < n; i++)
		free(names[i]);
	return r;
}

int supervise_check_dir(const char *dir)
{
	int r = load_configs(dir);
	unsigned n = n_services;

	unload_all();
	return r < 0 ? r : (int)n;
}

unsigned supervise_count(void)
{
	return n_services;
}

/* ---- output and readiness pipes ---- */

static void flush_line(Service *s)
{
	if (s->outlen > 0)
		log_service_line(s->cfg.name, s->outbuf, s->outlen);
	s->outlen = 0;
}

static void on_output(Source *src, uint32_t events)
{
	Service *s = container_of(src, Service, out);
	char buf[1024];
	ssize_t k;

	(void)events;
	k = read(src->fd, buf, sizeof(buf));
	if (k < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (k <= 0) {
		flush_line(s);
		close(src->fd);
		loop_del(src);
		return;
	}
	for (ssize_t i = 0; i < k; i++) {
		if (buf[i] == '\n') {
			flush_line(s);
			continue;
		}
		s->outbuf[s->outlen++] = buf[i];
		if (s->outlen == sizeof(s->outbuf))
			flush_line(s);
	}
}

static void close_source(Source *src)
{
	if (src->fd >= 0) {
		int fd = src->fd;
		loop_del(src);
		close(fd);
	}
}

static void on_ready(Source *src, uint32_t events)
{
	Service *s = container_of(src, Service, ready);
	char buf[64];
	ssize_t k;

	(void)events;
	k = read(src->fd, buf, sizeof(buf));
	if (k < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	close_source(src);
	if (k > 0 && memchr(buf, '\n', (size_t)k))
		feed(s, EV_READY);
	else
		log_warning("service %s closed its readiness fd without a newline",
			    s->cfg.name);
}

static void on_probe(Source *src, uint32_t events);

/* Without a retry the readiness never comes: the start timeout then treats it as failed. */
static void retry_probe(Service *s)
{
	int r = timer_arm(s->probe.fd, 100);

	if (r < 0)
		log_warning_errno(r, "Failed to re-arm the readiness probe of %s, ignoring: %m",
				  s->cfg.name);
}

static void on_http_answer(Source *src, uint32_t events)
{
	Service *s = container_of(src, Service, ready);
	int r = ready_http_answer(src->fd);

	(void)events;
	if (r == 0)
		return;
	close_source(src);
	if (r > 0)
		feed(s, EV_READY);
	else
		retry_probe(s);
}

/* Until the service answers 200 on its readiness URL: try every 100 ms, never blocking. */
static void on_probe(Source *src, uint32_t events)
{
	Service *s = container_of(src, Service, probe);
	uint64_t n;
	int fd;

	(void)events;
	if (read(src->fd, &n, sizeof(n)) != sizeof(n) || s->state != SVC_STARTING)
		return;
	close_source(&s->ready);
	fd = ready_http_connect(s->cfg.ready_http_port, s->cfg.ready_http_path);
	if (fd < 0 || loop_add(&s->ready, fd, on_http_answer) < 0) {
		if (fd >= 0)
			close(fd);
		retry_probe(s);
	}
}

static void on_timer(Source *src, uint32_t events)
{
	Service *s = container_of(src, Service, timer);
	uint64_t n;

	(void)events;
	if (read(src->fd, &n, sizeof(n)) != sizeof(n))
		return;
	feed(s, EV_TIMER);
}

/* ---- spawning ---- */

/* The profile's cgroup limits, written once; a limit the kernel refuses stops the boot. */
static int set_limits(Service *s, const char *path)
{
	const struct {
		const char *file, *value;
	} limits[] = {
		{ "memory.max", s->cfg.memory_max },
		{ "pids.max", s->cfg.pids_max },
		{ "cpu.max", s->cfg.cpu_max },
	};

	for (size_t i = 0; i < ARRAY_SIZE(limits); i++) {
		int r;

		if (!limits[i].value[0])
			continue;
		r = write_string_fileat(s->cg_fd, limits[i].file, limits[i].value);
		if (r < 0)
			return log_error_errno(r, "Failed to set %s/%s to %s: %m", path, limits[i].file,
					       limits[i].value);
	}
	return 0;
}

/* The child, still PID 1's copy: its session, its cgroup (when clone3 could not put it there), its
 * standard descriptors; then kcc-sandbox (init/sandbox-main.c), which applies the security profile
 * with libcap and libseccomp, neither of which PID 1 links, and executes the service. */
_noreturn_ static void child_exec(Service *s, int out_w, int ready_w, bool in_cgroup)
{
	const ServiceConfig *c = &s->cfg;
	static char *const envp[] = { NULL };
	char ids[32];
	sigset_t none;
	int nullfd;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setsid();
	if (!in_cgroup && write_string_fileat(s->cg_fd, "cgroup.procs", "0") < 0) {
		dprintf(out_w, "kcc-init: cannot join its cgroup: %m\n");
		_exit(126);
	}
	nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (nullfd < 0 || dup2(nullfd, STDIN_FILENO) < 0 || dup2(out_w, STDOUT_FILENO) < 0 ||
	    dup2(out_w, STDERR_FILENO) < 0)
		_exit(126);
	if (ready_w >= 0 && dup2(ready_w, c->ready_fd) < 0)
		_exit(126);
	snprintf(ids, sizeof(ids), "%u:%u", (unsigned)c->uid, (unsigned)c->gid);
	execve(KCC_SANDBOX_PATH,
	       (char *const[]){ (char *)"kcc-sandbox", (char *)services_dir, (char *)c->name, ids, NULL },
	       envp);
	dprintf(STDERR_FILENO, "kcc-init: cannot execute " KCC_SANDBOX_PATH ": %m\n");
	_exit(127);
}

static bool needs_readiness(const Service *s)
{
	return s->cfg.ready_fd >= 0 || s->cfg.ready_http_port;
}

/* Pipes and timers are in the event loop before the child exists: a failure to watch one fails
 * the start instead of leaving a pipe nobody reads (a service blocked on a full stdout). */
static int spawn(Service *s)
{
	int out[2] = { -EBADF, -EBADF }, rdy[2] = { -EBADF, -EBADF };
	bool in_cgroup = false;
	pid_t pid;
	int r;

	close_source(&s->out);
	close_source(&s->ready);
	s->outlen = 0;
	if (pipe2(out, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	if (s->cfg.ready_fd >= 0 && pipe2(rdy, O_CLOEXEC | O_NONBLOCK) < 0) {
		r = -errno;
		goto fail;
	}
	r = loop_add(&s->out, out[0], on_output);
	if (r < 0)
		goto fail;
	out[0] = -EBADF; /* owned by s->out now */
	if (rdy[0] >= 0) {
		r = loop_add(&s->ready, rdy[0], on_ready);
		if (r < 0)
			goto fail;
		rdy[0] = -EBADF;
	}
	if (needs_readiness(s)) {
		r = timer_arm(s->timer.fd, s->cfg.start_timeout_ms);
		if (r < 0)
			goto fail;
	}
	if (s->cfg.ready_http_port) {
		r = timer_arm(s->probe.fd, 20);
		if (r < 0)
			goto fail;
	}
	pid = svc_clone(s->cg_fd, &in_cgroup);
	if (pid < 0) {
		r = pid;
		goto fail;
	}
	if (pid == 0) {
		/* The child's writing ends must block like ordinary stdout. */
		fcntl(out[1], F_SETFL, 0);
		child_exec(s, out[1], rdy[1], in_cgroup);
	}
	if (!in_cgroup && !fork_fallback_logged) {
		fork_fallback_logged = true;
		log_warning("the kernel lacks clone3(CLONE_INTO_CGROUP): services join their cgroup "
			    "after fork");
	}
	close(out[1]);
	if (rdy[1] >= 0)
		close(rdy[1]);
	s->pid = pid;
	s->started_ms = now_ms();
	if (s->start_seq == 0)
		s->start_seq = ++next_seq;
	log_info("started %s (pid %d)", s->cfg.name, (int)pid);
	return 0;
fail:
	close_source(&s->out);
	close_source(&s->ready);
	(void)timer_arm(s->timer.fd, 0);
	if (s->probe.fd >= 0)
		(void)timer_arm(s->probe.fd, 0);
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (rdy[i] >= 0)
			close(rdy[i]);
	}
	return r;
}

static void kill_cgroup(Service *s)
{
	int r = svc_kill_cgroup(s->cg_fd);

	if (r < 0 && s->pid > 0)
		(void)kill(s->pid, SIGKILL);
}

/* ---- the state machine's actions ---- */

static bool deps_ready(const Service *s)
{
	if (s->cfg.wait_path && access(s->cfg.wait_path, F_OK) < 0)
		return false;
	for (unsigned k = 0; k < s->cfg.n_after; k++)
		if (service_by_name(s->cfg.after[k])->state != SVC_RUNNING)
			return false;
	return true;
}

/* A waiting service whose dependency failed for good will never start. */
static bool blocked(const Service *s)
{
	if (s->state == SVC_FAILED)
		return true;
	if (s->state != SVC_WAITING)
		return false;
	for (unsigned k = 0; k < s->cfg.n_after; k++)
		if (blocked(service_by_name(s->cfg.after[k])))
			return true;
	return false;
}

static void check_all_ready(void)
{
	unsigned running = 0, failed = 0;

	if (!ready_cb || stopping)
		return;
	for (unsigned i = 0; i < n_services; i++) {
		if (services[i].state == SVC_RUNNING)
			running++;
		else if (blocked(&services[i]) || services[i].start_timed_out)
			failed++;
		else
			return;
	}
	void (*cb)(unsigned, unsigned) = ready_cb;
	ready_cb = NULL;
	cb(running, failed);
}

static void start_dependents(void)
{
	if (stopping)
		return;
	for (unsigned i = 0; i < n_services; i++)
		if (services[i].state == SVC_WAITING && deps_ready(&services[i]))
			feed(&services[i], EV_START);
}

static void stop_next(void);

static void do_action(Service *s, SvcAction a)
{
	int r;

	switch (a) {
	case ACT_NONE:
	case ACT_IGNORE:
		break;
	case ACT_SPAWN:
		r = spawn(s);
		if (r < 0) {
			log_error_errno(r, "Failed to start %s: %m", s->cfg.name);
			feed(s, svc_should_restart(s->cfg.restart, 127 << 8) ? EV_EXIT_RESTART
									     : EV_EXIT_FINAL);
		} else if (s->cfg.ready_fd < 0 && !s->cfg.ready_http_port)
			feed(s, EV_READY);
		break;
	case ACT_MARK_READY:
		s->start_timed_out = false;
		r = timer_arm(s->timer.fd, 0);
		if (r < 0)
			log_warning_errno(r, "Failed to disarm the start timer of %s, ignoring: %m",
					  s->cfg.name);
		log_info("%s is ready", s->cfg.name);
		boot_events_service_ready(s->cfg.name);
		start_dependents();
		check_all_ready();
		break;
	case ACT_SCHEDULE: {
		unsigned delay;
		if (now_ms() - s->started_ms >= SVC_STABLE_MS)
			s->restarts = 0;
		s->restarts++;
		delay = svc_backoff_ms(s->cfg.restart_base_ms, s->cfg.restart_max_ms, s->restarts);
		log_info("restarting %s in %u ms (restart %u)", s->cfg.name, delay, s->restarts);
		r = timer_arm(s->timer.fd, delay);
		if (r < 0) {
			log_error_errno(r, "Failed to arm the restart timer of %s, it stays down: %m",
					s->cfg.name);
			s->state = SVC_FAILED;
			check_all_ready();
		}
		break;
	}
	case ACT_GIVE_UP:
		log_warning("%s will not be restarted (its restart policy)", s->cfg.name);
		check_all_ready();
		break;
	case ACT_TERM:
		/* Every process of its cgroup, not only the main one: a forked helper that outlives
		 * it would otherwise only ever see the SIGKILL. */
		r = svc_signal_cgroup(s->cg_fd, SIGTERM);
		if (r < 0) {
			log_warning_errno(r, "Failed to signal the cgroup of %s, SIGTERM to its main "
					  "process only: %m", s->cfg.name);
			if (s->pid > 0)
				(void)kill(s->pid, SIGTERM);
			r = 1;
		}
		log_info("stopping %s (pid %d, SIGTERM to %d processes)", s->cfg.name, (int)s->pid,
			 r);
		r = timer_arm(s->timer.fd, s->cfg.stop_timeout_ms);
		if (r < 0) {
			log_warning_errno(r, "Failed to arm the stop timer of %s, killing it now: %m",
					  s->cfg.name);
			kill_cgroup(s);
		}
		break;
	case ACT_KILL:
		log_warning("%s did not stop within %u ms, killing its cgroup", s->cfg.name,
			    s->cfg.stop_timeout_ms);
		kill_cgroup(s);
		break;
	case ACT_START_TIMEOUT:
		log_error("%s did not signal readiness within %u ms: killing it, it counts as failed "
			  "and the boot goes on", s->cfg.name, s->cfg.start_timeout_ms);
		s->start_timed_out = true;
		kill_cgroup(s);
		check_all_ready();
		break;
	case ACT_CANCEL:
		(void)timer_arm(s->timer.fd, 0);
		break;
	case ACT_STOPPED:
		(void)timer_arm(s->timer.fd, 0);
		kill_cgroup(s);
		log_info("stopped %s", s->cfg.name);
		break;
	default:
		break;
	}
}

static void feed(Service *s, SvcEvent e)
{
	SvcTransition t = svc_transition(s->state, e);
	SvcState old = s->state;

	if (stopping && e == EV_TIMER && s->state == SVC_BACKOFF)
		t = (SvcTransition){ s->state, ACT_IGNORE }; /* no restarts during shutdown */
	if (t.action == ACT_IGNORE) {
		log_debug("%s: event %s ignored in state %s", s->cfg.name, svc_event_to_string(e),
			  svc_state_to_string(old));
		return;
	}
	s->state = t.next;
	log_debug("%s: %s --%s--> %s", s->cfg.name, svc_state_to_string(old),
		  svc_event_to_string(e), svc_state_to_string(t.next));
	do_action(s, t.action);
	if (stopping && (s->state == SVC_STOPPED))
		stop_next();
}

bool supervise_child_exited(pid_t pid, int st)
{
	for (unsigned i = 0; i < n_services; i++) {
		Service *s = &services[i];
		char how[48];

		if (s->pid != pid)
			continue;
		s->pid = 0;
		if (WIFEXITED(st))
			snprintf(how, sizeof(how), "exited with status %d", WEXITSTATUS(st));
		else
			snprintf(how, sizeof(how), "killed by signal %d (status %d)", WTERMSIG(st),
				 128 + WTERMSIG(st));
		log_info("%s (pid %d) %s", s->cfg.name, (int)pid, how);
		if (s->state != SVC_STOPPING && !stopping)
			boot_events_service_died(s->cfg.name, pid, st);
		close_source(&s->ready);
		/* Whatever the main process left behind in its cgroup goes with it. */
		kill_cgroup(s);
		feed(s, svc_should_restart(s->cfg.restart, st) ? EV_EXIT_RESTART : EV_EXIT_FINAL);
		return true;
	}
	return false;
}

/* Services whose condition_path does not exist are not started: dropped from the table after
 * the checks and the uid assignment (so the others keep their uids), and after= naming one is
 * satisfied. */
static void drop_unmet_conditions(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < n_services; i++) {
		ServiceConfig *c = &services[i].cfg;

		char folder[512];
		bool folder_missing = false;

		if (c->wait_path) {
			snprintf(folder, sizeof(folder), "%s", c->wait_path);
			folder_missing = access(dirname(folder), F_OK) < 0;
		}
		if ((!c->condition || access(c->condition, F_OK) == 0) && !folder_missing) {
			if (n != i) {
				services[n] = services[i];
				memset(&services[i], 0, sizeof(services[i]));
			}
			n++;
			continue;
		}
		log_info("%s: not started, %s does not exist", c->name,
			 folder_missing ? folder : c->condition);
		for (unsigned k = 0; k < n_services; k++) {
			ServiceConfig *o = &services[k].cfg;

			for (unsigned a = 0; a < o->n_after; a++)
				if (k != i && streq(o->after[a], c->name)) {
					free(o->after[a]);
					o->after[a--] = o->after[--o->n_after];
				}
		}
		service_config_done(c);
	}
	n_services = n;
}

/* Any change in a watched folder: the services waiting for a file there are checked again. */
static void on_path_event(Source *src, uint32_t events)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	(void)events;
	while (read(src->fd, buf, sizeof(buf)) > 0)
		;
	start_dependents();
}

/* One inotify descriptor for the folders of every start_after_path=, in the loop before any
 * service starts: a file created in between is not missed (deps_ready checks the file itself). */
static int watch_paths(void)
{
	for (unsigned i = 0; i < n_services; i++) {
		const char *p = services[i].cfg.wait_path;
		char folder[512];
		int r;

		if (!p)
			continue;
		if (path_watch.fd < 0) {
			r = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
			if (r < 0)
				return log_error_errno(-errno, "Failed to create an inotify watch: %m");
			r = loop_add(&path_watch, r, on_path_event);
			if (r < 0)
				return log_error_errno(r, "Failed to watch inotify: %m");
		}
		snprintf(folder, sizeof(folder), "%s", p);
		if (inotify_add_watch(path_watch.fd, dirname(folder),
				      IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE) < 0)
			return log_error_errno(-errno, "Failed to watch %s for %s: %m", folder,
					       services[i].cfg.name);
		if (access(p, F_OK) < 0)
			log_info("%s waits for %s", services[i].cfg.name, p);
	}
	return 0;
}

int supervise_path_watch_fd(void)
{
	return path_watch.fd;
}

int supervise_load(const char *dir, const char *cgroup_root)
{
	int r;

	snprintf(services_dir, sizeof(services_dir), "%s", dir);
	r = load_configs(dir);
	if (r < 0) {
		unload_all();
		return r;
	}
	drop_unmet_conditions();
	r = watch_paths();
	if (r < 0)
		return r;
	for (unsigned i = 0; i < n_services; i++) {
		Service *s = &services[i];
		char path[512];

		s->state = SVC_WAITING;
		s->out.fd = s->ready.fd = s->probe.fd = -EBADF;
		s->cg_fd = -EBADF;
		snprintf(path, sizeof(path), "%s/%s", cgroup_root, s->cfg.name);
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return log_error_errno(-errno, "Failed to create cgroup %s: %m", path);
		s->cg_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (s->cg_fd < 0)
			return log_error_errno(-errno, "Failed to open cgroup %s: %m", path);
		r = set_limits(s, path);
		if (r < 0)
			return r;
		r = timer_new();
		if (r < 0)
			return log_error_errno(r, "Failed to create a timer: %m");
		r = loop_add(&s->timer, r, on_timer);
		if (r < 0)
			return log_error_errno(r, "Failed to watch a timer: %m");
		if (s->cfg.ready_http_port) {
			r = timer_new();
			if (r >= 0)
				r = loop_add(&s->probe, r, on_probe);
			if (r < 0)
				return log_error_errno(r, "Failed to create a readiness timer: %m");
		}
	}
	return (int)n_services;
}

int supervise_start(void (*cb)(unsigned running, unsigned failed))
{
	ready_cb = cb;
	start_dependents();
	check_all_ready(); /* no services at all */
	return 0;
}

static void stop_next(void)
{
	Service *next = NULL;

	/* Highest start sequence first; never-started services stop at once. */
	for (unsigned i = 0; i < n_services; i++) {
		Service *s = &services[i];
		if (s->state == SVC_STOPPED)
			continue;
		if (s->state == SVC_STOPPING)
			return; /* one at a time */
		if (!next || s->start_seq > next->start_seq)
			next = s;
	}
	if (!next) {
		if (stopped_cb) {
			void (*cb)(void) = stopped_cb;
			stopped_cb = NULL;
			cb();
		}
		return;
	}
	feed(next, EV_STOP); /* feed() calls stop_next() again when it reached SVC_STOPPED */
}

void supervise_stop_all(void (*on_stopped)(void))
{
	if (stopping)
		return;
	stopping = true;
	stopped_cb = on_stopped;
	stop_next();
}

int supervise_status(char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < n_services && off < len; i++) {
		const Service *s = &services[i];
		int k = snprintf(buf + off, len - off, "%s %s pid=%d restarts=%u\n", s->cfg.name,
				 svc_state_to_string(s->state), (int)s->pid, s->restarts);
		if (k < 0)
			return -EIO;
		off += (size_t)k;
	}
	return off >= len ? -ENOBUFS : (int)off;
}

int supervise_feed_event(const char *name, int event)
{
	Service *s = service_by_name(name);

	if (!s)
		return -ENOENT;
	if (event < 0 || event >= _SVC_EVENT_MAX)
		return -EINVAL;
	feed(s, (SvcEvent)event);
	return 0;
}

int supervise_state_of(const char *name)
{
	const Service *s = service_by_name(name);

	return s ? (int)s->state : -ENOENT;
}
