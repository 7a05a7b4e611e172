/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One container's life through crun: unpack its image, write its bundle, `crun run` it with its
 * output into the CRI log, and account its exit (OOMKilled from the pod cgroup's memory.events). */
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>

#include "backoff.h"
#include "fs.h"
#include "kubelet.h"
#include "oci-image.h"
#include "pod-dir.h"
#include "send.h"
#include "spec.h"
#include "userns.h"
#include "util.h"

void ctr_id(const PodState *p, unsigned i, char *buf, size_t len)
{
	snprintf(buf, len, "k-%.12s-%s", p->uid, p->pod.containers[i].name);
}

int pod_cgroup(const PodState *p, char *buf, size_t len)
{
	return snprintf(buf, len, "%s/pod%s", cfg.cgroup_root, p->uid) >= (int)len ? -ENAMETOOLONG : 0;
}

/* In a child: crun --root RUN/crun ARGS..., its stdio on /dev/null, no signal blocked. */
_Noreturn void crun_exec(const char *const *args)
{
	const char *argv[CTR_ARGS_MAX + 8] = { "crun", "--root", NULL };
	char root[300];
	size_t n = 3;
	sigset_t none;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	snprintf(root, sizeof(root), "%s/crun", cfg.run_dir);
	argv[2] = root;
	for (size_t i = 0; args[i] && n < ARRAY_SIZE(argv) - 1; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		if (!getenv("KCC_DEBUG_CRUN"))
			dup2(null, 2);
	}
	execv(cfg.crun, (char *const *)argv);
	_exit(127);
}

/* Runs crun and waits for it (kill, delete: quick commands). */
static int run_crun(const char *const *args)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -errno;
	if (pid == 0)
		crun_exec(args);
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

static uint64_t pod_oom_kills(const PodState *p)
{
	char path[400], *text = NULL;
	const char *k;
	uint64_t n = 0;

	if (pod_cgroup(p, path, sizeof(path) - 20) < 0)
		return 0;
	strcat(path, "/memory.events");
	if (read_small_file(path, 4096, &text) < 0)
		return 0;
	k = strstr(text, "oom_kill ");
	if (k)
		n = strtoull(k + 9, NULL, 10);
	free(text);
	return n;
}

/* The CRI log format: "<RFC 3339 nano time> <stream> <F|P> <line>". */
static void log_line(CtrState *s, int stream, const char *line, size_t len, bool partial)
{
	char head[64];
	struct timespec ts;
	struct tm tm;
	size_t n;

	if (s->log_fd < 0)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(head, sizeof(head), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(head + n, sizeof(head) - n, ".%09ldZ %s %c ", ts.tv_nsec,
		 stream ? "stderr" : "stdout", partial ? 'P' : 'F');
	struct iovec iov[3] = { { head, strlen(head) }, { (void *)line, len }, { "\n", 1 } };
	if (len)
		snprintf(s->last_line, sizeof(s->last_line), "%.*s", (int)len, line);
	(void)!writev(s->log_fd, iov, 3);
}

void ctr_drain(PodState *p, unsigned i, int stream)
{
	CtrState *s = &p->ctrs[i];
	int fd = stream ? s->err_fd : s->out_fd;
	char *buf = s->outbuf[stream];
	size_t *len = &s->outlen[stream];
	ssize_t k;

	if (fd < 0)
		return;
	while ((k = read(fd, buf + *len, LOGBUF - *len)) > 0) {
		size_t start = 0;
		*len += (size_t)k;
		for (size_t j = 0; j < *len; j++)
			if (buf[j] == '\n') {
				log_line(s, stream, buf + start, j - start, false);
				start = j + 1;
			}
		memmove(buf, buf + start, *len - start);
		*len -= start;
		if (*len == LOGBUF) { /* a line longer than the buffer: a partial entry */
			log_line(s, stream, buf, *len, true);
			*len = 0;
		}
	}
	if (k == 0) { /* end of the stream */
		if (*len)
			log_line(s, stream, buf, *len, false);
		*len = 0;
		pipe_unwatch(fd);
		close(fd);
		if (stream)
			s->err_fd = -EBADF;
		else
			s->out_fd = -EBADF;
	}
}

static void set_waiting(CtrState *s, const char *reason, const char *fmt, const char *detail)
{
	s->phase = CTR_WAITING;
	snprintf(s->waiting_reason, sizeof(s->waiting_reason), "%s", reason);
	snprintf(s->message, sizeof(s->message), fmt, detail);
}

static void schedule_restart(PodState *p, unsigned i, unsigned long long ran_ms)
{
	CtrState *s = &p->ctrs[i];
	unsigned delay;

	s->backoff = backoff_next(s->backoff, ran_ms / 1000);
	delay = backoff_delay_s(s->backoff);
	s->next_start_ms = now_ms() + delay * 1000ULL;
	s->phase = CTR_WAITING;
	if (delay) {
		snprintf(s->waiting_reason, sizeof(s->waiting_reason), "CrashLoopBackOff");
		snprintf(s->message, sizeof(s->message), "back-off %us restarting the container",
			 delay);
	}
	log_info("container %s/%s: restart in %us", p->ns_name, p->pod.containers[i].name, delay);
}

/* The folders of container i: containers/NAME (its bundle) and volumes/ (a container's name
 * never meets a volume's folder). */
static int ctr_dirs(PodState *p, unsigned i, char *bundle, size_t blen, char *volumes, size_t vlen,
		    char *err, size_t errlen)
{
	const Container *c = &p->pod.containers[i];
	int r = pod_dir_path(p->dir, POD_DIR_CONTAINER, c->name, bundle, blen);

	if (r >= 0)
		r = pod_dir_volumes(p->dir, volumes, vlen);
	if (r < 0)
		return errorf(err, errlen, -EINVAL, "container '%.80s': no folder for it: %s", c->name,
			      strerror(-r));
	return 0;
}

/* The image of container i, read once per start: found by name, its manifest verified, its layers
 * and config read; runAsNonRoot and runAsRoot checked against the image's user. */
static int image_load(PodState *p, unsigned i, OciImage *img, OciConfig **ret, char *err,
		      size_t errlen)
{
	const Container *c = &p->pod.containers[i];
	OciConfig *ic = calloc(1, sizeof(*ic));
	uid_t uid;
	gid_t gid;
	int r;

	if (!ic)
		return errorf(err, errlen, -ENOMEM, "out of memory");
	r = oci_find(cfg.image_dirs, c->image, img, err, errlen);
	if (r < 0)
		r = r == -ENOENT ? -ENOENT : -EBADMSG;
	else if (oci_config(img, ic, err, errlen) < 0)
		r = -EBADMSG;
	else if (pod_user(&cfg.policy, &p->pod, c, ic->user, &uid, &gid, err, errlen) < 0)
		r = -EPERM;
	if (r < 0) {
		oci_config_done(ic);
		free(ic);
		return r;
	}
	*ret = ic;
	return 0;
}

/* Writes the bundle's config.json and the volume folders; the root is unpacked. */
static int prepare(PodState *p, unsigned i, const OciConfig *ic, char *bundle, size_t blen,
		   char *err, size_t errlen)
{
	const Container *c = &p->pod.containers[i];
	char rootfs[512], volumes[400], cgroup[300], path[600];
	json_object *spec = NULL;
	uid_t uid;
	gid_t gid;
	int r;

	r = pod_user(&cfg.policy, &p->pod, c, ic->user, &uid, &gid, err, errlen);
	if (r < 0)
		return -EPERM;
	r = ctr_dirs(p, i, bundle, blen, volumes, sizeof(volumes), err, errlen);
	if (r < 0)
		return r;
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", bundle);
	for (unsigned k = 0; k < p->pod.n_volumes; k++)
		if (p->pod.volumes[k].kind == VOLUME_EMPTY_DIR &&
		    pod_dir_path(p->dir, POD_DIR_VOLUME, p->pod.volumes[k].name, path,
				 sizeof(path)) >= 0 &&
		    mkdir_p(path, 0755) >= 0)
			(void)chmod(path, 01777);
	snprintf(cgroup, sizeof(cgroup), "%s/pod%s/%s", cfg.cgroup_name, p->uid, c->name);
	pod_hostpaths_dir(p, path, sizeof(path));
	SpecInput in = { .pod = &p->pod, .ctr = c, .image = ic, .rootfs = rootfs,
			 .volumes_dir = volumes, .hostpaths_dir = path, .cgroup = cgroup,
			 .pod_uid = p->uid, .uid = uid, .gid = gid, .id_base = pod_ids(p) };
	r = spec_build(&in, &spec, err, errlen);
	if (r < 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	r = json_object_to_file_ext(path, spec, JSON_C_TO_STRING_PLAIN) < 0 ? -EIO : 0;
	json_object_put(spec);
	if (r < 0)
		snprintf(err, errlen, "cannot write %s", path);
	return r;
}

static int open_log(PodState *p, unsigned i)
{
	char path[700];
	int r;

	snprintf(path, sizeof(path), "%s/%s_%s_%s/%s", cfg.log_dir, p->pod.namespace, p->pod.name,
		 p->uid, p->pod.containers[i].name);
	r = mkdir_p(path, 0750);
	if (r < 0)
		return r;
	snprintf(path + strlen(path), sizeof(path) - strlen(path), "/%u.log", p->ctrs[i].restarts);
	return RET_NERRNO(open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640));
}

static void start_failed(PodState *p, unsigned i, int r, const char *err)
{
	log_info("container %s/%s: %s", p->ns_name, p->pod.containers[i].name, err);
	schedule_restart(p, i, 0);
	/* the reason it cannot start stays its status through the back-off (a pod security refusal
	 * names its rule there) */
	set_waiting(&p->ctrs[i], r == -ENOENT ? "ErrImageNeverPull" : r == -EBADMSG ? "InvalidImage"
								   : "CreateContainerConfigError",
		    "%s", err);
}

static int ctr_run(PodState *p, unsigned i, OciConfig *ic);

/* Starts container i: its image read, its root unpacked in the background when it needs one
 * (a writable root starts fresh on every restart, a read-only one is unpacked once), then run. */
int ctr_start(PodState *p, unsigned i)
{
	const Container *c = &p->pod.containers[i];
	CtrState *s = &p->ctrs[i];
	char bundle[400], volumes[400], rootfs[512], err[512];
	OciImage img;
	OciConfig *ic = NULL;
	int r;

	if (s->unpack_pid > 0)
		return 0;
	if ((!s->unpacked || !c->read_only_root) && unpack_busy()) {
		set_waiting(s, "ContainerCreating", "%s", "waiting for another image to be unpacked");
		return 0;
	}
	r = image_load(p, i, &img, &ic, err, sizeof(err));
	if (r < 0) {
		start_failed(p, i, r, err);
		return r;
	}
	/* a secret not released yet: the container waits (backing off) until the join brings it */
	r = pod_stage_secrets(p, err, sizeof(err));
	if (r < 0) {
		oci_config_done(ic);
		free(ic);
		start_failed(p, i, r, err);
		return r;
	}
	if (s->unpacked && c->read_only_root)
		return ctr_run(p, i, ic);
	s->unpacked = false;
	r = ctr_dirs(p, i, bundle, sizeof(bundle), volumes, sizeof(volumes), err, sizeof(err));
	if (r >= 0) {
		snprintf(rootfs, sizeof(rootfs), "%s/rootfs", bundle);
		r = ctr_unpack_start(p, i, &img, ic, rootfs, bundle, err, sizeof(err));
	}
	if (r < 0) {
		oci_config_done(ic);
		free(ic);
		start_failed(p, i, r, err);
		return r;
	}
	s->image = ic; /* until the unpack ends */
	set_waiting(s, "ContainerCreating", "%s", "unpacking its image");
	return 0;
}

void ctr_unpacked(PodState *p, unsigned i, int r, const char *err)
{
	CtrState *s = &p->ctrs[i];
	OciConfig *ic = TAKE_PTR(s->image);
	char bundle[400], volumes[400], path[520], why[512];

	if (r >= 0 && !s->stopping) {
		log_info("container %s/%s: image %s unpacked (%llu bytes, %llu files)", p->ns_name,
			 p->pod.containers[i].name, p->pod.containers[i].image,
			 (unsigned long long)s->unpacked_bytes, (unsigned long long)s->unpacked_files);
		s->unpacked = true;
		(void)ctr_run(p, i, ic);
		return;
	}
	/* nothing of a failed or stopped unpack stays (the child removes its own on a failure, a
	 * killed one cannot) */
	if (ctr_dirs(p, i, bundle, sizeof(bundle), volumes, sizeof(volumes), why, sizeof(why)) >= 0) {
		snprintf(path, sizeof(path), "%s/rootfs.unpack", bundle);
		(void)rm_rf(path);
	}
	if (ic)
		oci_config_done(ic);
	free(ic);
	if (!s->stopping)
		start_failed(p, i, -EBADMSG, err);
}

/* Runs container i with crun (ic: its image, freed here). */
static int ctr_run(PodState *p, unsigned i, OciConfig *ic)
{
	CtrState *s = &p->ctrs[i];
	char bundle[400], id[80], pidfile[400], root[300], err[512];
	int out[2] = { -EBADF, -EBADF }, errp[2] = { -EBADF, -EBADF };
	pid_t pid;
	int r;

	r = prepare(p, i, ic, bundle, sizeof(bundle), err, sizeof(err));
	oci_config_done(ic);
	free(ic);
	if (r < 0) {
		start_failed(p, i, r, err);
		return r;
	}
	ctr_id(p, i, id, sizeof(id));
	snprintf(pidfile, sizeof(pidfile), "%s/%s.pid", cfg.run_dir, id);
	snprintf(root, sizeof(root), "%s/crun", cfg.run_dir);
	/* a container left over by an earlier kcc-kubelet has its state folder ROOT/ID: only then
	 * is crun run (and waited for) to delete it */
	{
		char state[400];
		const char *del[] = { "delete", "--force", id, NULL };
		snprintf(state, sizeof(state), "%s/%s", root, id);
		if (faccessat(AT_FDCWD, state, F_OK, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
			(void)run_crun(del);
	}
	(void)unlink(pidfile);
	s->log_fd = open_log(p, i);
	if (pipe2(out, O_CLOEXEC | O_NONBLOCK) < 0 || pipe2(errp, O_CLOEXEC | O_NONBLOCK) < 0) {
		r = -errno;
		goto fail;
	}
	s->oom_kills = pod_oom_kills(p);
	pid = fork();
	if (pid < 0) {
		r = -errno;
		goto fail;
	}
	if (pid == 0) {
		sigset_t none;
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		fcntl(out[1], F_SETFL, 0);
		fcntl(errp[1], F_SETFL, 0);
		if (null < 0 || dup2(null, 0) < 0 || dup2(out[1], 1) < 0 || dup2(errp[1], 2) < 0)
			_exit(126);
		execl(cfg.crun, "crun", "--root", root, "run", "--bundle", bundle, "--pid-file",
		      pidfile, id, (char *)NULL);
		dprintf(2, "kcc-kubelet: cannot execute %s: %m\n", cfg.crun);
		_exit(127);
	}
	close(out[1]);
	close(errp[1]);
	s->out_fd = out[0];
	s->err_fd = errp[0];
	s->outlen[0] = s->outlen[1] = 0;
	(void)pipe_watch(s->out_fd, p, i, 0);
	(void)pipe_watch(s->err_fd, p, i, 1);
	s->crun_pid = pid;
	s->init_pid = 0;
	s->phase = CTR_RUNNING;
	s->started_ms = now_ms();
	s->waiting_reason[0] = s->message[0] = s->last_line[0] = '\0';
	s->ready = false;
	s->liveness = s->readiness = (ProbeState){ 0 };
	log_info("container %s/%s started (crun pid %d, restarts %u)", p->ns_name,
	     p->pod.containers[i].name, (int)pid, s->restarts);
	return 0;
fail:
	for (int k = 0; k < 2; k++) {
		if (out[k] >= 0)
			close(out[k]);
		if (errp[k] >= 0)
			close(errp[k]);
	}
	if (s->log_fd >= 0)
		close(s->log_fd);
	s->log_fd = -EBADF;
	set_waiting(s, "RunContainerError", "%s", strerror(-r));
	schedule_restart(p, i, 0);
	return r;
}

void ctr_kill(PodState *p, unsigned i, int sig)
{
	CtrState *s = &p->ctrs[i];
	char id[80], signame[8];
	const char *args[] = { "kill", id, signame, NULL };

	ctr_unpack_kill(p, i); /* an unpack ends at once, whatever the signal */
	if (s->phase != CTR_RUNNING)
		return;
	ctr_id(p, i, id, sizeof(id));
	snprintf(signame, sizeof(signame), "%d", sig);
	if (run_crun(args) < 0 && s->crun_pid > 0)
		kill(s->crun_pid, sig); /* not created yet: stop crun itself */
}

/* To the SIEM (docs/events.md): never blocks, a missing forwarder is a drop. */
static void pod_failure_event(const char *pod, const char *ctr, int code, const char *reason)
{
	char cs[12];
	const char *fields[] = { "pod", pod, "container", ctr, "code", cs, "reason", reason, NULL };

	snprintf(cs, sizeof(cs), "%d", code);
	(void)event_sendf(EV_POD_FAILURE, "kcc-kubelet", fields,
			  "container %s/%s exited with code %d (%s)", pod, ctr, code, reason);
}

void ctr_exited(PodState *p, unsigned i, int status)
{
	CtrState *s = &p->ctrs[i];
	const Container *c = &p->pod.containers[i];
	unsigned long long ran = now_ms() - s->started_ms;
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	bool restart;

	ctr_drain(p, i, 0);
	ctr_drain(p, i, 1);
	for (int k = 0; k < 2; k++) {
		int *fd = k ? &s->err_fd : &s->out_fd;
		if (*fd >= 0) {
			pipe_unwatch(*fd);
			close(*fd);
			*fd = -EBADF;
		}
	}
	if (s->log_fd >= 0)
		close(s->log_fd);
	s->log_fd = -EBADF;
	s->crun_pid = s->init_pid = 0;
	s->last_exit = code;
	snprintf(s->last_reason, sizeof(s->last_reason), "%s",
		 pod_oom_kills(p) > s->oom_kills ? "OOMKilled" : code == 0 ? "Completed" : "Error");
	s->ready = false;
	log_info("container %s/%s exited with code %d (%s) after %llu ms%s%s", p->ns_name, c->name, code,
	     s->last_reason, ran, code && s->last_line[0] ? ": " : "", code ? s->last_line : "");
	if (code != 0 && !s->stopping)
		pod_failure_event(p->ns_name, c->name, code, s->last_reason);
	snprintf(s->exit_message, sizeof(s->exit_message), "%s", code ? s->last_line : "");
	restart = !s->stopping && (p->pod.restart == POD_RESTART_ALWAYS ||
				   (p->pod.restart == POD_RESTART_ON_FAILURE && code != 0));
	if (restart) {
		s->restarts++;
		schedule_restart(p, i, ran);
	} else {
		s->phase = CTR_TERMINATED;
	}
}

void ctr_cleanup_pod(PodState *p)
{
	char cg[400];

	for (unsigned i = 0; i < p->pod.n_containers; i++) {
		char id[80];
		const char *del[] = { "delete", "--force", id, NULL };
		ctr_id(p, i, id, sizeof(id));
		(void)run_crun(del);
	}
	/* the host's files must never be in reach of the removal below: if a hostPath stayed
	 * mounted, the pod's folder stays too */
	if (p->dir[0] && pod_unstage_host_paths(p) >= 0)
		(void)rm_rf(p->dir);
	if (pod_cgroup(p, cg, sizeof(cg)) >= 0)
		(void)rmdir(cg);
}
