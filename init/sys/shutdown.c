/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "exitrd-handoff.h"
#include "helper.h"
#include "log.h"
#include "lsm-events.h"
#include "shutdown.h"

#define KILL_WAIT_MS 3000

static const char *const action_names[_SHUTDOWN_ACTION_MAX] = {
	[SHUTDOWN_POWEROFF] = "poweroff",
	[SHUTDOWN_REBOOT] = "reboot",
};

const char *shutdown_action_to_string(ShutdownAction a)
{
	return a >= 0 && a < _SHUTDOWN_ACTION_MAX ? action_names[a] : "invalid";
}

ShutdownAction shutdown_action_from_string(const char *s)
{
	return (ShutdownAction)string_table_lookup(action_names, _SHUTDOWN_ACTION_MAX, s);
}

_Noreturn void shutdown_reboot(ShutdownAction a)
{
	sync();
	log_info("%s now", a == SHUTDOWN_REBOOT ? "rebooting" : "powering off");
	(void)reboot(a == SHUTDOWN_REBOOT ? RB_AUTOBOOT : RB_POWER_OFF);
	/* reboot(2) failing as PID 1 leaves nothing sane to do but stop here. */
	for (;;)
		pause();
}

_Noreturn void shutdown_fatal(const KccCmdline *c, const char *stage, int error)
{
	ShutdownAction a = c && c->on_failure == FAILURE_REBOOT ? SHUTDOWN_REBOOT : SHUTDOWN_POWEROFF;

	log_error_errno(error, "boot stopped: stage '%s' failed (%m); %s", stage,
			shutdown_action_to_string(a));
	shutdown_reboot(a);
}

/* Sends sig to every process but us and reaps until none is left or the time is up. */
static void kill_all(int sig, unsigned ms)
{
	unsigned long long deadline = now_ms() + ms;
	sigset_t chld;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	if (kill(-1, sig) < 0 && errno == ESRCH)
		return;
	for (;;) {
		struct timespec ts;
		long long left;
		pid_t pid;

		while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
			;
		if (pid < 0 && errno == ECHILD)
			return;
		left = (long long)(deadline - now_ms());
		if (left <= 0)
			return;
		ts = (struct timespec){ .tv_sec = left / 1000, .tv_nsec = (left % 1000) * 1000000 };
		(void)sigtimedwait(&chld, NULL, &ts);
	}
}

static int setup_exitrd(void)
{
	static const char *const dirs[] = { "/oldroot", "/dev", "/proc", "/sys", "/run",
					    "/run/cryptsetup" };
	int r;

	r = mkdir_p(EXITRD, 0700);
	if (r < 0)
		return r;
	if (mount("tmpfs", EXITRD, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64m") < 0)
		return -errno;
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		char p[128];
		snprintf(p, sizeof(p), EXITRD "%s", dirs[i]);
		r = mkdir_p(p, 0755);
		if (r < 0)
			return r;
	}
	/* kcc-init, not this small PID 1, runs in the exitrd: it closes the LUKS2 and verity devices
	 * (libcryptsetup). It copies itself and the libraries it has mapped. */
	r = helper_run((const char *const[]){ KCC_INIT_PATH, "prepare-exitrd", EXITRD, NULL });
	if (r < 0)
		return r;
	if (mount("devtmpfs", EXITRD "/dev", "devtmpfs", MS_NOSUID | MS_NOEXEC, NULL) < 0 ||
	    mount("proc", EXITRD "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 ||
	    mount("sysfs", EXITRD "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return -errno;
	if (chdir(EXITRD) < 0)
		return -errno;
	if (syscall(SYS_pivot_root, ".", "oldroot") < 0)
		return -errno;
	if (chroot(".") < 0 || chdir("/") < 0)
		return -errno;
	return 0;
}

_Noreturn void shutdown_final(ShutdownAction a)
{
	int r;

	log_info("sending SIGTERM to remaining processes");
	kill_all(SIGTERM, KILL_WAIT_MS);
	kill_all(SIGKILL, KILL_WAIT_MS);
	sync();
	lsm_events_close();
	r = setup_exitrd();
	if (r < 0) {
		log_error_errno(r, "Failed to set up the exit root, root stays mounted: %m");
		shutdown_reboot(a);
	}
	r = exitrd_handoff_give(shutdown_action_to_string(a));
	if (r < 0) {
		log_error_errno(r, "Failed to hand the shutdown over to the exit root: %m");
		shutdown_reboot(a);
	}
	execl("/kcc-init", "kcc-init", (char *)NULL);
	log_error_errno(-errno, "Failed to execute kcc-init in the exit root: %m");
	shutdown_reboot(a);
}

