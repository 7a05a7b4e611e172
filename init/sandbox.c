/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <linux/landlock.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "sandbox.h"
#include "util.h"

/* The default allowlist: what ordinary programs and daemons use (files, memory, processes,
 * signals, time, sockets). Left out on purpose: module, kexec, reboot, swap, mount, pivot_root,
 * ptrace, bpf, perf_event_open, keyctl, add_key, userfaultfd, init/delete_module, acct,
 * settimeofday, clock_settime, adjtimex, iopl, ioperm, modify_ldt, lookup_dcookie, nfsservctl,
 * open_by_handle_at, name_to_handle_at, kcmp, process_vm_readv/writev, unshare, setns,
 * fanotify_init, quotactl, syslog, vhangup, personality. */
static const char *const default_allow[] = {
	"read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "preadv2",
	"pwritev2", "open", "openat", "openat2", "close", "close_range", "creat", "stat", "fstat",
	"lstat", "newfstatat", "statx", "statfs", "fstatfs", "access", "faccessat", "faccessat2",
	"lseek", "mmap", "munmap", "mprotect", "mremap", "msync", "mincore", "madvise", "mlock",
	"mlock2", "munlock", "brk", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending",
	"rt_sigtimedwait", "rt_sigqueueinfo", "rt_sigsuspend", "sigaltstack", "ioctl", "pipe", "pipe2",
	"select", "pselect6", "poll", "ppoll", "epoll_create", "epoll_create1", "epoll_ctl",
	"epoll_wait", "epoll_pwait", "epoll_pwait2", "eventfd", "eventfd2", "signalfd", "signalfd4",
	"timerfd_create", "timerfd_settime", "timerfd_gettime", "inotify_init", "inotify_init1",
	"inotify_add_watch", "inotify_rm_watch", "sched_yield", "sched_getaffinity",
	"sched_setaffinity", "sched_getparam", "sched_getscheduler", "sched_get_priority_max",
	"sched_get_priority_min", "nanosleep", "clock_nanosleep", "clock_gettime", "clock_getres",
	"gettimeofday", "time", "times", "getitimer", "setitimer", "alarm", "timer_create",
	"timer_settime", "timer_gettime", "timer_getoverrun", "timer_delete", "dup", "dup2", "dup3",
	"fcntl", "flock", "fsync", "fdatasync", "sync_file_range", "truncate", "ftruncate",
	"fallocate", "getdents", "getdents64", "getcwd", "chdir", "fchdir", "rename", "renameat",
	"renameat2", "mkdir", "mkdirat", "rmdir", "link", "linkat", "unlink", "unlinkat", "symlink",
	"symlinkat", "readlink", "readlinkat", "chmod", "fchmod", "fchmodat", "chown", "fchown",
	"lchown", "fchownat", "umask", "utime", "utimes", "utimensat", "futimesat", "mknod",
	"mknodat", "getpid", "getppid", "gettid", "getpgrp", "getpgid", "setpgid", "getsid",
	"setsid", "getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid", "getgroups",
	"capget", "prctl", "arch_prctl", "set_tid_address", "set_robust_list", "get_robust_list",
	"rseq", "futex", "futex_waitv", "clone", "clone3", "fork", "vfork", "execve", "execveat",
	"exit", "exit_group", "wait4", "waitid", "kill", "tgkill", "tkill", "getrlimit",
	"setrlimit", "prlimit64", "getrusage", "getpriority", "setpriority", "uname", "sysinfo",
	"getrandom", "memfd_create", "socket", "socketpair", "connect", "accept", "accept4", "bind",
	"listen", "sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg", "shutdown",
	"getsockname", "getpeername", "setsockopt", "getsockopt", "sendfile", "splice", "tee",
	"vmsplice", "copy_file_range", "fadvise64", "readahead", "get_mempolicy", "membarrier",
	"pidfd_open", "pidfd_send_signal", "io_setup", "io_destroy", "io_submit", "io_getevents",
	"io_cancel", "shmget", "shmat", "shmdt", "shmctl", "semget", "semop", "semctl", "msgget",
	"msgsnd", "msgrcv", "msgctl", "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive",
	"getxattr", "fgetxattr", "lgetxattr", "listxattr", "flistxattr", "llistxattr",
};

bool sandbox_syscall_known(const char *name)
{
	return seccomp_syscall_resolve_name(name) != __NR_SCMP_ERROR;
}

static int apply_seccomp(const ServiceConfig *c)
{
	scmp_filter_ctx ctx;
	int r = 0;

	if (!c->seccomp)
		return 0;
	/* Anything else fails with EPERM; other ABIs (x32, i386) kill the process. */
	ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	if (!ctx)
		return -ENOMEM;
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) < 0)
		r = -EINVAL;
	for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(default_allow); i++) {
		int nr = seccomp_syscall_resolve_name(default_allow[i]);
		if (nr != __NR_SCMP_ERROR)
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
	}
	for (unsigned i = 0; r >= 0 && i < c->n_syscalls; i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, seccomp_syscall_resolve_name(c->syscalls[i]), 0);
	if (r >= 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r;
}

static int landlock_add(int ruleset, const char *path, __u64 access)
{
	struct landlock_path_beneath_attr pb = { .allowed_access = access };
	int r;

	struct stat st;

	pb.parent_fd = open(path, O_PATH | O_CLOEXEC);
	if (pb.parent_fd < 0)
		return errno == ENOENT ? 0 : -errno;
	/* A rule on a file may only carry the rights that apply to files. */
	if (fstat(pb.parent_fd, &st) == 0 && !S_ISDIR(st.st_mode))
		pb.allowed_access &= LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE |
				     LANDLOCK_ACCESS_FS_WRITE_FILE;
	r = (int)syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
	close(pb.parent_fd);
	return r < 0 ? -errno : 0;
}

#define FS_READ                                                                                    \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define FS_WRITE                                                                                   \
	(LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |                           \
	 LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |                           \
	 LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK | \
	 LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM)

/* Read (and execute) below the root's code and configuration and the service's ro paths; write
 * only below its rw paths. Everything else on every filesystem is denied. */
static int apply_landlock(const ServiceConfig *c)
{
	static const char *const base_ro[] = { "/usr", "/etc", "/dev/zero", "/dev/urandom",
					       "/proc/self" };
	struct landlock_ruleset_attr attr = { .handled_access_fs = FS_READ | FS_WRITE };
	int fd, r = 0;

	if (!c->landlock)
		return 0;
	fd = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (fd < 0)
		return -errno;
	for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(base_ro); i++)
		r = landlock_add(fd, base_ro[i], FS_READ);
	/* Every program writes to /dev/null; a private /tmp is the service's own. */
	if (r >= 0)
		r = landlock_add(fd, "/dev/null", FS_READ | FS_WRITE);
	if (r >= 0 && c->private_tmp)
		r = landlock_add(fd, "/tmp", FS_READ | FS_WRITE);
	for (unsigned i = 0; r >= 0 && i < c->n_ro; i++)
		r = landlock_add(fd, c->ro[i], FS_READ);
	for (unsigned i = 0; r >= 0 && i < c->n_rw; i++)
		r = landlock_add(fd, c->rw[i], FS_READ | FS_WRITE);
	if (r >= 0 && syscall(SYS_landlock_restrict_self, fd, 0) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* Every mount of the namespace read-only, keeping its other flags. */
static int remount_all_readonly(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[1024];

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char mp[512];
		struct statvfs sv;
		unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY;

		/* id parent major:minor root mountpoint ... (no spaces in our mount points) */
		if (sscanf(line, "%*s %*s %*s %*s %511s", mp) != 1 || statvfs(mp, &sv) < 0)
			continue;
		flags |= (sv.f_flag & ST_NOSUID ? MS_NOSUID : 0) | (sv.f_flag & ST_NODEV ? MS_NODEV : 0) |
			 (sv.f_flag & ST_NOEXEC ? MS_NOEXEC : 0) |
			 (sv.f_flag & ST_NOATIME ? MS_NOATIME : 0) |
			 (sv.f_flag & ST_RELATIME ? MS_RELATIME : 0);
		if (mount(NULL, mp, NULL, flags, NULL) < 0 && errno != EINVAL && errno != ENOENT)
			return -errno;
	}
	return 0;
}

/* A read-write view of path: bound onto itself, then remounted without MS_RDONLY. */
static int writable_view(const char *path)
{
	struct statvfs sv;
	unsigned long flags = MS_BIND | MS_REMOUNT;

	if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (statvfs(path, &sv) == 0)
		flags |= (sv.f_flag & ST_NOSUID ? MS_NOSUID : 0) | (sv.f_flag & ST_NODEV ? MS_NODEV : 0) |
			 (sv.f_flag & ST_NOEXEC ? MS_NOEXEC : 0);
	return mount(NULL, path, NULL, flags, NULL) < 0 ? -errno : 0;
}

/* Its own mount namespace: nothing it mounts reaches the host, every mount is a read-only view
 * but its writable_paths, and /tmp is a fresh tmpfs of its own. */
int sandbox_mounts(const ServiceConfig *c)
{
	int r;

	if (!c->private_tmp)
		return 0;
	/* writable_paths on /var and /run are the service's state: created when missing */
	for (unsigned i = 0; i < c->n_rw; i++)
		if (startswith(c->rw[i], "/var/") || startswith(c->rw[i], "/run/"))
			(void)mkdir_p(c->rw[i], 0755);
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	r = remount_all_readonly();
	if (r < 0)
		return r;
	for (unsigned i = 0; i < c->n_rw; i++) {
		r = writable_view(c->rw[i]);
		if (r < 0)
			return r;
	}
	if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=10%") < 0)
		return -errno;
	return 0;
}

int sandbox_confine(const ServiceConfig *c, const char **what)
{
	int r;

	*what = "Landlock ruleset";
	r = apply_landlock(c);
	if (r < 0)
		return r;
	*what = "seccomp filter";
	return apply_seccomp(c);
}
