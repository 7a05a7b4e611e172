/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <linux/capability.h>
#include <signal.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <linux/types.h>

#include "bless.h"
#include "control-server.h"
#include "kcc-lsm.h"
#include "peer.h"
#include "log.h"
#include "loop.h"
#include "lsm-events.h"
#include "pid1.h"
#include "shutdown.h"
#include "stage-system.h"
#include "supervise.h"
#include "timeline.h"
#include "watchdog.h"

/* kured's reboot signal (its --reboot-signal default, systemd's SIGRTMIN+5: 39 with glibc's
 * SIGRTMIN of 34), and kured's sentinel, which kcc-update writes while an update waits. The BPF
 * LSM lets this one signal through to PID 1 (init/bpf/kcc-lsm.h). */
#define KCC_REBOOT_SIGNAL KCC_LSM_REBOOT_SIGNAL
#define REBOOT_SENTINEL "/run/reboot-required"

static Source sig_src, bpf_src, watchdog_src;
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

/* A signal that stops the node comes from the kernel (ctrl-alt-del) or from a process holding
 * CAP_SYS_BOOT, the rule of the control socket: uid 0 without it cannot reboot the node with
 * kill(1, SIGTERM). Checked before the sender is reaped (reap() runs after), so a sender that
 * exited at once is still the process its pid names. */
static bool signal_allowed(const struct signalfd_siginfo *si)
{
	int r;

	if (si->ssi_code == SI_KERNEL)
		return true;
	r = peer_pid_has_cap((pid_t)si->ssi_pid, CAP_SYS_BOOT);
	if (r == 1)
		return true;
	if (r < 0)
		log_warning_errno(r, "ignoring %s from pid %u (uid %u): %m", strsignal((int)si->ssi_signo),
				  si->ssi_pid, si->ssi_uid);
	else
		log_warning("ignoring %s from pid %u (uid %u): no CAP_SYS_BOOT in its effective set",
			    strsignal((int)si->ssi_signo), si->ssi_pid, si->ssi_uid);
	return false;
}

static void on_signal(Source *src, uint32_t events)
{
	struct signalfd_siginfo si;

	(void)events;
	while (read(src->fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo != SIGCHLD && !signal_allowed(&si))
			continue;
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
		case KCC_REBOOT_SIGNAL:
			/* kured's signal mode: a reboot only while an applied update waits for it
			 * (kcc-update wrote kured's sentinel); never a way to stop the node otherwise */
			if (access(REBOOT_SENTINEL, F_OK) == 0)
				request_shutdown(SHUTDOWN_REBOOT, "SIGRTMIN+5 (" REBOOT_SENTINEL ")");
			else
				log_warning("ignoring SIGRTMIN+5 from pid %u: no " REBOOT_SENTINEL ", no update waits",
					    si.ssi_pid);
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
	lsm_events_consume();
}

static void on_control_request(ControlRequest req)
{
	request_shutdown(req == CONTROL_REBOOT ? SHUTDOWN_REBOOT : SHUTDOWN_POWEROFF, "kcc-ctl");
}

static void on_services_ready(unsigned running, unsigned failed)
{
	timeline_end("services");
	log_info("services started (%u running, %u failed)", running, failed);
	(void)timeline_finish("services started");
	bless_on_ready(running, failed);
}

static void on_bless_reboot(const char *why)
{
	request_shutdown(SHUTDOWN_REBOOT, why);
}

static void on_watchdog(Source *src, uint32_t events)
{
	(void)events;
	watchdog_ping();
	(void)timer_arm(src->fd, watchdog_timeout() * 1000u / 3);
}

/* Pets the hardware watchdog three times per time-out from the loop: a PID 1 that stops looping
 * gets the machine reset. */
static void watchdog_start(void)
{
	unsigned t = watchdog_timeout();
	int fd;

	if (t == 0)
		return;
	fd = timer_new();
	if (fd < 0 || timer_arm(fd, t * 1000u / 3) < 0 || loop_add(&watchdog_src, fd, on_watchdog) < 0)
		log_error_errno(fd < 0 ? fd : -errno, "Failed to pet the watchdog from the loop, the machine will be reset: %m");
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
	sigaddset(&mask, KCC_REBOOT_SIGNAL);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	/* ctrl-alt-del becomes SIGINT to us instead of an immediate reboot. */
	(void)reboot(RB_DISABLE_CAD);

	r = loop_init();
	if (r < 0)
		shutdown_fatal(c, "event loop", r);
	fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0 || loop_add(&sig_src, fd, on_signal) < 0)
		shutdown_fatal(c, "signalfd", -errno);
	r = control_server_start(on_control_request);
	if (r < 0)
		shutdown_fatal(c, "control socket " CONTROL_SOCKET, r);
	fd = lsm_events_fd();
	if (fd >= 0 && loop_add(&bpf_src, fd, on_bpf_events) < 0)
		shutdown_fatal(c, "BPF LSM events", -errno);
	lsm_events_consume(); /* denials from before the loop */
	watchdog_start();
	bless_start(c, on_bless_reboot);

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
