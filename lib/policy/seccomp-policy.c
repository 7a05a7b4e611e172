/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "seccomp-policy.h"

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

/* clone only without namespace flags: a new user namespace gives a process every capability
 * inside it, and with them network namespaces and nf_tables, mount namespaces and so on.
 * clone3 passes its flags in memory a filter cannot read: ENOSYS makes libc fall back to clone. */
static const SeccompPolicyRule special[] = {
	{ .name = "clone", .action = SECCOMP_POLICY_ALLOW, .masked = true, .arg = 0,
	  .mask = SECCOMP_POLICY_NS_FLAGS, .value = 0 },
	{ .name = "clone3", .action = SECCOMP_POLICY_ERRNO, .errno_ret = ENOSYS },
};

/* What ordinary programs and daemons use: files, memory, processes, signals, time, sockets,
 * System V and POSIX IPC, extended attributes, scheduling. Left out on purpose (EPERM): unshare,
 * setns, io_uring_setup/enter/register (a second system call interface no filter sees), mount and
 * the new mount API, pivot_root, chroot, modules, kexec, reboot, swap, ptrace,
 * process_vm_readv/writev, bpf, perf_event_open, keyctl, add_key, request_key, userfaultfd,
 * clock and time setting, acct, quotactl, syslog, open_by_handle_at, name_to_handle_at, kcmp,
 * iopl, ioperm, modify_ldt, personality, vhangup, fanotify_init, lookup_dcookie, NUMA policy
 * changes, and everything the kernel adds later. */
static const char *const allowed[] = {
	"accept", "accept4", "access", "alarm", "arch_prctl", "bind", "brk", "capget", "capset",
	"chdir", "chmod", "chown", "clock_getres", "clock_gettime", "clock_nanosleep", "close",
	"close_range", "connect", "copy_file_range", "creat", "dup", "dup2", "dup3",
	"epoll_create", "epoll_create1", "epoll_ctl", "epoll_pwait", "epoll_pwait2", "epoll_wait",
	"eventfd", "eventfd2", "execve", "execveat", "exit", "exit_group", "faccessat",
	"faccessat2", "fadvise64", "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat",
	"fchown", "fchownat", "fcntl", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork",
	"fremovexattr", "fsetxattr", "fstat", "fstatfs", "fsync", "ftruncate", "futex",
	"futex_waitv", "futimesat", "get_mempolicy", "get_robust_list", "get_thread_area",
	"getcpu", "getcwd", "getdents", "getdents64", "getegid", "geteuid", "getgid", "getgroups",
	"getitimer", "getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority",
	"getrandom", "getresgid", "getresuid", "getrlimit", "getrusage", "getsid", "getsockname",
	"getsockopt", "gettid", "gettimeofday", "getuid", "getxattr", "inotify_add_watch",
	"inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel", "io_destroy",
	"io_getevents", "io_pgetevents", "io_setup", "io_submit", "ioctl", "ioprio_get",
	"ioprio_set", "kill", "lchown", "lgetxattr", "link", "linkat", "listen", "listxattr",
	"llistxattr", "lremovexattr", "lseek", "lsetxattr", "lstat", "madvise", "membarrier",
	"memfd_create", "mincore", "mkdir", "mkdirat", "mknod", "mknodat", "mlock", "mlock2",
	"mlockall", "mmap", "mprotect", "mq_getsetattr", "mq_notify", "mq_open",
	"mq_timedreceive", "mq_timedsend", "mq_unlink", "mremap", "msgctl", "msgget", "msgrcv",
	"msgsnd", "msync", "munlock", "munlockall", "munmap", "nanosleep", "newfstatat", "open",
	"openat", "openat2", "pause", "pidfd_getfd", "pidfd_open", "pidfd_send_signal", "pipe",
	"pipe2", "poll", "ppoll", "prctl", "pread64", "preadv", "preadv2", "prlimit64",
	"pselect6", "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink",
	"readlinkat", "readv", "recvfrom", "recvmmsg", "recvmsg", "remap_file_pages",
	"removexattr", "rename", "renameat", "renameat2", "restart_syscall", "rmdir", "rseq",
	"rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn",
	"rt_sigsuspend", "rt_sigtimedwait", "rt_tgsigqueueinfo", "sched_get_priority_max",
	"sched_get_priority_min", "sched_getaffinity", "sched_getattr", "sched_getparam",
	"sched_getscheduler", "sched_rr_get_interval", "sched_setaffinity", "sched_setattr",
	"sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select", "semctl",
	"semget", "semop", "semtimedop", "sendfile", "sendmmsg", "sendmsg", "sendto",
	"set_robust_list", "set_thread_area", "set_tid_address", "setfsgid", "setfsuid", "setgid",
	"setgroups", "setitimer", "setpgid", "setpriority", "setregid", "setresgid", "setresuid",
	"setreuid", "setrlimit", "setsid", "setsockopt", "setuid", "setxattr", "shmat", "shmctl",
	"shmdt", "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4", "socket",
	"socketpair", "splice", "stat", "statfs", "statx", "symlink", "symlinkat", "sync",
	"sync_file_range", "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create",
	"timer_delete", "timer_getoverrun", "timer_gettime", "timer_settime", "timerfd_create",
	"timerfd_gettime", "timerfd_settime", "times", "tkill", "truncate", "umask", "uname",
	"unlink", "unlinkat", "utime", "utimensat", "utimes", "vfork", "vmsplice", "wait4",
	"waitid", "write", "writev",
};

/* Refused on purpose and worth an alarm: what an attacker inside a service reaches for (new
 * namespaces, mounts, modules, kexec, another process's memory, BPF, the keyrings, io_uring, the
 * clock). None is in allowed[]; each is refused with the default error already. Services stack a
 * second filter that refuses these with SECCOMP_FILTER_FLAG_LOG, so the kernel writes an audit
 * record for them and not for the probes libc makes (docs/events.md, "From the audit stream"). */
static const char *const logged[] = {
	"unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "fsopen", "fsconfig",
	"fsmount", "fspick", "move_mount", "open_tree", "mount_setattr", "init_module",
	"finit_module", "delete_module", "kexec_load", "kexec_file_load", "reboot", "swapon",
	"swapoff", "ptrace", "process_vm_readv", "process_vm_writev", "bpf", "perf_event_open",
	"keyctl", "add_key", "request_key", "userfaultfd", "open_by_handle_at", "kcmp", "iopl",
	"ioperm", "modify_ldt", "io_uring_setup", "io_uring_enter", "io_uring_register",
	"settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "syslog", "acct", "quotactl",
};

static const char *const never_extra[] = {
	"unshare", "setns", "io_uring_setup", "io_uring_enter", "io_uring_register",
};

const SeccompPolicyRule *seccomp_policy_rules(size_t *ret_n)
{
	*ret_n = ELEMENTSOF(special);
	return special;
}

const char *const *seccomp_policy_allowed(size_t *ret_n)
{
	*ret_n = ELEMENTSOF(allowed);
	return allowed;
}

const char *const *seccomp_policy_logged(size_t *ret_n)
{
	*ret_n = ELEMENTSOF(logged);
	return logged;
}

bool seccomp_policy_extra_ok(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(special); i++)
		if (strcmp(name, special[i].name) == 0)
			return false;
	for (size_t i = 0; i < ELEMENTSOF(never_extra); i++)
		if (strcmp(name, never_extra[i]) == 0)
			return false;
	return true;
}
