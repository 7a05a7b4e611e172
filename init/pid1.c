/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "control.h"
#include "bpf-lsm.h"
#include "log.h"
#include "loop.h"
#include "pid1.h"
#include "shutdown.h"
#include "stage-system.h"
#include "supervise.h"
#include "timeline.h"

static Source sig_src, ctl_src, bpf_src;
static ShutdownAction pending = _SHUTDOWN_ACTION_INVALID; /* what shutdown will do, once asked */
static bool services_down;

static void request_shutdown(ShutdownAction a, const char *why)
{
	if (pending >= 0)
		return;
	pending = a;
	log_info("%s requested by %s, stopping services", shutdown_action_to_string(a), why);
	timeline_begin("shutdown");
}

static void reap(void)
{
	for (;;) {
		int st;
		pid_t pid = waitpid(-1, &st, WNOHANG);
		if (pid <= 0)
			return;
		if (!supervise_child_exited(pid, st))
			log_debug("reaped orphan %d", (int)pid);
	}
}

static void on_signal(Source *src, uint32_t events)
{
	struct signalfd_siginfo si;

	(void)events;
	while (read(src->fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			break; /* reaped below */
		case SIGTERM:
			request_shutdown(SHUTDOWN_REBOOT, "SIGTERM");
			break;
		case SIGINT:
			request_shutdown(SHUTDOWN_POWEROFF, "ctrl-alt-del");
			break;
		case SIGUSR2:
			request_shutdown(SHUTDOWN_POWEROFF, "SIGUSR2");
			break;
		default:
			log_debug("ignoring signal %u", si.ssi_signo);
		}
	}
	reap();
}

static void on_bpf_events(Source *src, uint32_t events)
{
	(void)src;
	(void)events;
	bpf_lsm_consume();
}

static void on_control(Source *src, uint32_t events)
{
	char buf[64], cmsgbuf[CMSG_SPACE(sizeof(struct ucred))];
	char reply[CONTROL_MSG_MAX];
	struct sockaddr_un peer;
	struct iovec iov = { buf, sizeof(buf) - 1 };
	struct msghdr mh = {
		.msg_name = &peer, .msg_namelen = sizeof(peer), .msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cmsgbuf, .msg_controllen = sizeof(cmsgbuf),
	};
	struct ucred *cred = NULL;
	ControlRequest req;
	ssize_t n;

	(void)events;
	n = recvmsg(src->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return;
	buf[n] = '\0';
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS)
			cred = (struct ucred *)CMSG_DATA(c);
	req = control_request_from_string(buf);
	if (!cred || cred->uid != 0)
		snprintf(reply, sizeof(reply), "error: permission denied");
	else if (req < 0)
		snprintf(reply, sizeof(reply), "error: unknown request");
	else if (req == CONTROL_STATUS) {
		if (supervise_status(reply, sizeof(reply)) < 0)
			snprintf(reply, sizeof(reply), "error: status too long");
	} else {
		snprintf(reply, sizeof(reply), "ok");
		request_shutdown(req == CONTROL_REBOOT ? SHUTDOWN_REBOOT : SHUTDOWN_POWEROFF,
				 "kcc-ctl");
	}
	if (mh.msg_namelen > sizeof(sa_family_t))
		(void)sendto(src->fd, reply, strlen(reply), MSG_DONTWAIT,
			     (struct sockaddr *)&peer, mh.msg_namelen);
}

static int control_open(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, one = 1;

	strncpy(sa.sun_path, CONTROL_SOCKET, sizeof(sa.sun_path) - 1);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	(void)unlink(CONTROL_SOCKET);
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(CONTROL_SOCKET, 0600) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

static void on_services_ready(unsigned running, unsigned failed)
{
	timeline_end("services");
	log_info("services started (%u running, %u failed)", running, failed);
	(void)timeline_finish("services started");
}

static void on_services_stopped(void)
{
	services_down = true;
}

_Noreturn void pid1_run(const KccCmdline *c)
{
	sigset_t mask;
	int r, fd;

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGUSR2);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGPWR);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	/* ctrl-alt-del becomes SIGINT to us instead of an immediate reboot. */
	(void)reboot(RB_DISABLE_CAD);

	r = loop_init();
	if (r < 0)
		shutdown_fatal(c, "event loop", r);
	fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0 || loop_add(&sig_src, fd, on_signal) < 0)
		shutdown_fatal(c, "signalfd", -errno);
	fd = control_open();
	if (fd < 0 || loop_add(&ctl_src, fd, on_control) < 0)
		shutdown_fatal(c, "control socket " CONTROL_SOCKET, fd < 0 ? fd : -errno);
	fd = bpf_lsm_events_fd();
	if (fd >= 0 && loop_add(&bpf_src, fd, on_bpf_events) < 0)
		shutdown_fatal(c, "BPF LSM events", -errno);
	bpf_lsm_consume(); /* denials from before the loop */

	timeline_begin("services");
	r = supervise_load("/etc/kcc/services", CGROUP_SERVICES);
	if (r < 0)
		shutdown_fatal(c, "service files", r);
	log_info("%d services configured", r);
	supervise_start(on_services_ready);

	for (;;) {
		r = loop_run_once(-1);
		if (r < 0)
			log_error_errno(r, "Event loop failed, carrying on: %m");
		if (pending >= 0 && !services_down)
			supervise_stop_all(on_services_stopped);
		if (services_down)
			break;
	}
	timeline_end("shutdown");
	shutdown_final(pending);
}
