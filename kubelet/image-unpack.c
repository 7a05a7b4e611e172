/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A container's root unpacked in a child process, so that the loop (/healthz, probes, logs) never
 * waits for it: the child unpacks the layers the parent read from the verified manifest into
 * ROOTFS.unpack, renames it to ROOTFS (oci_unpack) and gives its files to the pod's ids, then
 * writes one result record into a pipe and exits. The loop learns of its end by SIGCHLD. One
 * unpack runs at a time on the node: each one's budget (the per-pod limit, the free-space
 * reserve) is computed from what is on disk when it starts. */
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "fs.h"
#include "kubelet.h"
#include "oci-image.h"
#include "userns.h"
#include "util.h"

typedef struct UnpackResult {
	int r;
	uint64_t bytes, files;
	char err[480];
} UnpackResult;

static pid_t busy; /* the one unpack child, 0: none */

bool unpack_busy(void)
{
	return busy > 0;
}

_noreturn_ static void child(int fd, const OciImage *img, const OciConfig *ic, const char *rootfs,
			     const char *bundle, UnpackBudget *b, uid_t ids)
{
	UnpackResult res = { 0 };
	sigset_t none;

	/* none of the kubelet's descriptors but the result pipe: a client connection the kubelet
	 * closes must end now, not when the unpack does */
	(void)close_range(3, (unsigned)fd - 1, 0);
	(void)close_range((unsigned)fd + 1, ~0U, 0);
	/* never outlives the kubelet: a stopped kubelet leaves at most ROOTFS.unpack, which the
	 * next unpack removes first */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGTERM, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	(void)rm_rf(rootfs);
	res.r = mkdir_p(bundle, 0755);
	if (res.r < 0)
		errorf(res.err, sizeof(res.err), res.r, "cannot create %s: %s", bundle,
		       strerror(-res.r));
	else
		res.r = oci_unpack(img, ic, rootfs, b, res.err, sizeof(res.err));
	if (res.r >= 0) {
		/* the image's files belong to the pod's ids (its user namespace) */
		res.r = rootfs_shift_owners(rootfs, ids);
		if (res.r < 0)
			errorf(res.err, sizeof(res.err), res.r,
			       "cannot give the image's files to the pod's ids: %s", strerror(-res.r));
	}
	res.bytes = b->bytes;
	res.files = b->files;
	_exit(write(fd, &res, sizeof(res)) == sizeof(res) && res.r >= 0 ? 0 : 1);
}

int ctr_unpack_start(PodState *p, unsigned i, const OciImage *img, const OciConfig *ic,
		     const char *rootfs, const char *bundle, char *err, size_t errlen)
{
	CtrState *s = &p->ctrs[i];
	uint64_t bytes = 0, files = 0;
	UnpackBudget b;
	int fds[2];
	pid_t pid;

	/* within the per-image limit and what the pod's other containers left of the per-pod one */
	for (unsigned k = 0; k < p->pod.n_containers; k++)
		if (k != i) {
			bytes += p->ctrs[k].unpacked_bytes;
			files += p->ctrs[k].unpacked_files;
		}
	budget_init(&b);
	budget_limit(&b, cfg.image_limits.max_bytes, cfg.image_limits.max_files,
		     "the per-image limit");
	budget_limit(&b, cfg.pod_limits.max_bytes > bytes ? cfg.pod_limits.max_bytes - bytes : 0,
		     cfg.pod_limits.max_files > files ? cfg.pod_limits.max_files - files : 0,
		     "the per-pod limit");
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
		return errorf(err, errlen, -errno, "cannot start the unpack: %m");
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return errorf(err, errlen, -errno, "cannot start the unpack: %m");
	}
	if (pid == 0) {
		close(fds[0]);
		child(fds[1], img, ic, rootfs, bundle, &b, pod_ids(p));
	}
	close(fds[1]);
	busy = s->unpack_pid = pid;
	s->unpack_fd = fds[0];
	s->unpacked_bytes = s->unpacked_files = 0;
	return 0;
}

void ctr_unpack_kill(PodState *p, unsigned i)
{
	if (p->ctrs[i].unpack_pid > 0)
		(void)kill(p->ctrs[i].unpack_pid, SIGKILL);
}

bool ctr_unpack_reaped(pid_t pid, int status)
{
	for (unsigned k = 0; k < PODS_MAX; k++)
		for (unsigned i = 0; pods[k].used && i < pods[k].pod.n_containers; i++) {
			PodState *p = &pods[k];
			CtrState *s = &p->ctrs[i];
			UnpackResult res = { .r = -EIO };
			if (s->unpack_pid != pid)
				continue;
			if (read(s->unpack_fd, &res, sizeof(res)) != sizeof(res)) {
				res.r = -EIO;
				snprintf(res.err, sizeof(res.err), "the unpack ended without a result (%s %d)",
					 WIFSIGNALED(status) ? "signal" : "status",
					 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
			}
			close(s->unpack_fd);
			s->unpack_fd = -EBADF;
			s->unpack_pid = busy = 0;
			s->unpacked_bytes = res.bytes;
			s->unpacked_files = res.files;
			ctr_unpacked(p, i, res.r, res.err);
			return true;
		}
	return false;
}
