/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/sendfile.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "bpf-lsm.h"
#include "log.h"
#include "mountinfo.h"
#include "shutdown.h"
#include "stage-state.h"
#include "stage-verity.h"
#include "cryptsetup.h"
#include "exitrd-handoff.h"

#define EXITRD "/run/kcc/exitrd"
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
	for (int i = 0; i < _SHUTDOWN_ACTION_MAX; i++)
		if (streq(s, action_names[i]))
			return (ShutdownAction)i;
	return _SHUTDOWN_ACTION_INVALID;
}

_Noreturn static void do_reboot(ShutdownAction a)
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
	do_reboot(a);
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

static int copy_file(const char *src, const char *dst)
{
	_cleanup_close_ int in = -EBADF, out = -EBADF;
	struct stat st;
	char dir[512];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", dst);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		(void)mkdir_p(dir, 0755);
	}
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0 || fstat(in, &st) < 0)
		return -errno;
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 07755);
	if (out < 0)
		return errno == EEXIST ? 0 : -errno;
	for (off_t left = st.st_size; left > 0;) {
		ssize_t k = sendfile(out, in, NULL, (size_t)left);
		if (k <= 0)
			return k < 0 ? -errno : -EIO;
		left -= k;
	}
	return 0;
}

/* The dynamic loader's path as the kernel looks it up (PT_INTERP), often a symlink that the
 * mapped file names of /proc/self/maps do not show. */
static const char *interpreter_path(void)
{
	const ElfW(Phdr) *ph = (const ElfW(Phdr) *)getauxval(AT_PHDR);
	unsigned long n = getauxval(AT_PHNUM);
	uintptr_t base = 0;

	if (!ph)
		return NULL;
	for (unsigned long i = 0; i < n; i++)
		if (ph[i].p_type == PT_PHDR)
			base = (uintptr_t)ph - ph[i].p_vaddr;
	for (unsigned long i = 0; i < n; i++)
		if (ph[i].p_type == PT_INTERP)
			return (const char *)(base + ph[i].p_vaddr);
	return NULL;
}

/* Copies kcc-init and every file it has mapped (its libraries) into the exitrd. */
static int populate_exitrd(void)
{
	_cleanup_fclose_ FILE *maps = NULL;
	const char *interp = interpreter_path();
	char line[1024], dst[600];
	int r;

	r = copy_file("/proc/self/exe", EXITRD "/kcc-init");
	if (r < 0)
		return r;
	if (interp) {
		snprintf(dst, sizeof(dst), EXITRD "%s", interp);
		r = copy_file(interp, dst);
		if (r < 0)
			return r;
	}
	maps = fopen("/proc/self/maps", "re");
	if (!maps)
		return -errno;
	while (fgets(line, sizeof(line), maps)) {
		char *path = strchr(line, '/');
		if (!path)
			continue;
		path[strcspn(path, "\n")] = '\0';
		if (strstr(path, " (deleted)"))
			continue;
		snprintf(dst, sizeof(dst), EXITRD "%s", path);
		r = copy_file(path, dst);
		if (r < 0)
			return r;
	}
	return 0;
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
	r = populate_exitrd();
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
	bpf_lsm_unload();
	r = setup_exitrd();
	if (r < 0) {
		log_error_errno(r, "Failed to set up the exit root, root stays mounted: %m");
		do_reboot(a);
	}
	r = exitrd_handoff_give(shutdown_action_to_string(a));
	if (r < 0) {
		log_error_errno(r, "Failed to hand the shutdown over to the exit root: %m");
		do_reboot(a);
	}
	execl("/kcc-init", "kcc-init", (char *)NULL);
	log_error_errno(-errno, "Failed to execute kcc-init in the exit root: %m");
	do_reboot(a);
}

static int cmp_longest_first(const void *a, const void *b)
{
	size_t la = strlen(*(char *const *)a), lb = strlen(*(char *const *)b);

	return la < lb ? 1 : la > lb ? -1 : strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct OldMounts {
	char *paths[128];
	unsigned n;
} OldMounts;

static int collect_oldroot(const MountInfo *m, void *data)
{
	OldMounts *o = data;

	if (o->n < ARRAY_SIZE(o->paths) && startswith(m->mount_point, "/oldroot") &&
	    (o->paths[o->n] = strdup(m->mount_point)))
		o->n++;
	return 0;
}

_Noreturn void shutdown_exitrd(ShutdownAction a)
{
	OldMounts old = { .n = 0 };
	char **mounts = old.paths;
	unsigned n, failed = 0;
	int r;

	log_open_kmsg();
	r = mountinfo_foreach("/proc/self/mountinfo", collect_oldroot, &old);
	if (r < 0)
		log_warning_errno(r, "Failed to read the mount table, unmounting what was read: %m");
	n = old.n;
	/* Mounts moved in from the initrd come before the root in mountinfo, so the order there says
	 * nothing: a child's path is always longer than its parent's, so unmount longest first. */
	qsort(mounts, n, sizeof(char *), cmp_longest_first);
	for (unsigned i = 0; i < n; i++) {
		char *mp = mounts[i];
		const char *shown;

		shown = mp[strlen("/oldroot")] ? mp + strlen("/oldroot") : "/";
		if (umount2(mp, 0) == 0)
			log_info("unmounted %s", shown);
		else if (umount2(mp, MNT_DETACH) == 0)
			log_warning("detached busy mount %s", shown);
		else {
			log_warning_errno(-errno, "Failed to unmount %s: %m", mp);
			failed++;
		}
		free(mp);
	}
	/* The state volume lives on /var, below the root: close it first. */
	r = dm_close(STATE_DM_NAME);
	if (r < 0 && r != -ENODEV)
		log_warning_errno(r, "Failed to close LUKS2 device %s: %m", STATE_DM_NAME);
	else if (r == 0)
		log_info("closed LUKS2 device %s", STATE_DM_NAME);
	r = dm_close(VERITY_ROOT_NAME);
	if (r < 0 && r != -ENODEV)
		log_warning_errno(r, "Failed to close verity device %s: %m", VERITY_ROOT_NAME);
	else if (r == 0)
		log_info("closed verity device %s", VERITY_ROOT_NAME);
	log_info("shutdown complete (%u mounts left)", failed);
	do_reboot(a);
}
