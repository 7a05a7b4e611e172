/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-test-probe: in-guest checks of the node's hardening that need system calls busybox cannot
 * make. Static, in test images only. Each check prints "NAME ERRNO-NAME" (or "NAME ok") and the
 * agent compares it with the exact errno it expects. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *errname(int e)
{
	switch (e) {
	case 0: return "ok";
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case ENOENT: return "ENOENT";
	case EINVAL: return "EINVAL";
	case ENOSYS: return "ENOSYS";
	case EBUSY: return "EBUSY";
	default: return strerror(e);
	}
}

static void report(const char *name, int rc)
{
	printf("%s %s\n", name, errname(rc < 0 ? errno : 0));
}

static int open_read(const char *path)
{
	char b;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (read(fd, &b, 1) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	close(fd);
	return 0;
}

/* mmap PROT_EXEC, then mmap PROT_READ + mprotect PROT_EXEC. */
static int map_exec(const char *path, bool via_mprotect)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), e;
	void *p;

	if (fd < 0)
		return -1;
	p = mmap(NULL, 4096, via_mprotect ? PROT_READ : PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	e = errno;
	close(fd);
	if (p == MAP_FAILED) {
		errno = e;
		return -1;
	}
	if (via_mprotect && mprotect(p, 4096, PROT_READ | PROT_EXEC) < 0) {
		e = errno;
		munmap(p, 4096);
		errno = e;
		return -1;
	}
	munmap(p, 4096);
	return 0;
}

static int trace(pid_t pid)
{
	if (ptrace(PTRACE_ATTACH, pid, NULL, NULL) < 0)
		return -1;
	waitpid(pid, NULL, __WALL);
	ptrace(PTRACE_DETACH, pid, NULL, NULL);
	return 0;
}

static int bpf_load(void)
{
	struct bpf_insn prog[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr attr = { 0 };
	int fd;

	attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	attr.insns = (unsigned long)prog;
	attr.insn_cnt = 2;
	attr.license = (unsigned long)"GPL";
	fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	if (fd >= 0)
		close(fd);
	return fd < 0 ? -1 : 0;
}

/* The first id of the objects GET_NEXT_ID lists, then an fd for it by id. */
static int bpf_by_id(int next_cmd, int get_cmd)
{
	union bpf_attr attr = { 0 };
	int fd;

	if (syscall(SYS_bpf, next_cmd, &attr, sizeof(attr)) < 0)
		return -1;
	attr.prog_id = attr.next_id; /* start_id, prog_id, map_id, link_id share the field */
	attr.next_id = 0;
	fd = (int)syscall(SYS_bpf, get_cmd, &attr, sizeof(attr));
	if (fd >= 0)
		close(fd);
	return fd < 0 ? -1 : 0;
}

static int bpf_obj_get(void)
{
	union bpf_attr attr = { 0 };
	int fd;

	attr.pathname = (unsigned long)"/sys/fs/bpf/kcc-probe";
	fd = (int)syscall(SYS_bpf, BPF_OBJ_GET, &attr, sizeof(attr));
	if (fd >= 0)
		close(fd);
	return fd < 0 ? -1 : 0;
}

/* After a raw clone: the child exits at once, the parent reaps it; -1 when clone failed. */
static int exit_child(long pid)
{
	if (pid == 0)
		_exit(0);
	if (pid < 0)
		return -1;
	waitpid((pid_t)pid, NULL, 0);
	return 0;
}

/* clone(flags) with nothing shared: the child exits at once. */
static int clone_flags(unsigned long flags)
{
	return exit_child(syscall(SYS_clone, flags | SIGCHLD, 0UL, NULL, NULL, 0UL));
}

static int clone3_plain(void)
{
	struct clone_args args = { .exit_signal = SIGCHLD };
	return exit_child(syscall(SYS_clone3, &args, sizeof(args)));
}

/* In a child, so that a namespace that is allowed does not change this process. */
static int in_child(int (*fn)(unsigned long), unsigned long arg)
{
	int st, pfd[2], e = 0;
	pid_t pid;

	if (pipe(pfd) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		e = fn(arg) < 0 ? errno : 0;
		(void)!write(pfd[1], &e, sizeof(e));
		_exit(0);
	}
	close(pfd[1]);
	if (pid < 0 || read(pfd[0], &e, sizeof(e)) != sizeof(e))
		e = EIO;
	close(pfd[0]);
	waitpid(pid, &st, 0);
	errno = e;
	return e ? -1 : 0;
}

static int do_unshare(unsigned long flags)
{
	return unshare((int)flags);
}

static int do_setns(unsigned long unused)
{
	int fd = open("/proc/1/ns/net", O_RDONLY | O_CLOEXEC), r;

	(void)unused;
	if (fd < 0)
		fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = setns(fd, CLONE_NEWNET);
	close(fd);
	return r;
}

static int uring_setup(void)
{
	struct io_uring_params p = { 0 };
	int fd = (int)syscall(SYS_io_uring_setup, 4, &p);

	if (fd >= 0)
		close(fd);
	return fd < 0 ? -1 : 0;
}

/* W^X: anonymous executable memory, RW -> RX, a root file mapped writable and executable. */
static int anon_exec(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -1;
	munmap(p, 4096);
	return 0;
}

static int rw_to_rx(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int r, e;

	if (p == MAP_FAILED)
		return -1;
	r = mprotect(p, 4096, PROT_READ | PROT_EXEC);
	e = errno;
	munmap(p, 4096);
	errno = e;
	return r;
}

static int file_wx(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), e;
	void *p;

	if (fd < 0)
		return -1;
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE, fd, 0);
	e = errno;
	close(fd);
	if (p == MAP_FAILED) {
		errno = e;
		return -1;
	}
	munmap(p, 4096);
	return 0;
}

/* Copy-on-write into a verity-root file's private mapping, then to executable without ever being
 * writable and executable at once: RW (copy code in), R, RX. The copied pages would run. With
 * copy == false the same mapping is never written (no private pages): R -> RX, what the loader
 * may do, is allowed. */
static int cow_exec(const char *path, bool copy)
{
	static const unsigned char ret = 0xc3;
	int fd = open(path, O_RDONLY | O_CLOEXEC), r, e;
	unsigned char *p;

	if (fd < 0)
		return -1;
	p = mmap(NULL, 4096, PROT_READ | (copy ? PROT_WRITE : 0), MAP_PRIVATE, fd, 0);
	e = errno;
	close(fd);
	if (p == MAP_FAILED) {
		errno = e;
		return -1;
	}
	if (copy)
		memcpy(p, &ret, sizeof(ret));
	r = mprotect(p, 4096, PROT_READ);
	if (r == 0)
		r = mprotect(p, 4096, PROT_READ | PROT_EXEC);
	e = errno;
	munmap(p, 4096);
	errno = e;
	return r;
}

/* Open a sysctl for writing (nothing is written); and for reading, which stays allowed. */
static int proc_sys_open(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* A write through /proc/self/mem into this process's own read-only data (as a write into its
 * code would be: the kernel forces it through the page protection). */
static const char readonly_target[64] = "kcc";

static int proc_mem_write(const char *path)
{
	static const char ret = (char)0xc3;
	int fd = open(path, O_RDWR | O_CLOEXEC);
	ssize_t n;
	int e;

	if (fd < 0)
		return -1;
	n = pwrite(fd, &ret, 1, (off_t)(uintptr_t)readonly_target);
	e = errno;
	close(fd);
	errno = e;
	return n < 0 ? -1 : 0;
}

/* F_SETOWN PID 1 with F_SETSIG sig on a pipe, then make it readable: the kernel signals PID 1
 * unless the BPF LSM refuses (silently: there is no errno, the denial is in PID 1's log). */
static int sigio_pid1(int sig)
{
	int pfd[2], r = 0;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	if (fcntl(pfd[0], F_SETOWN, 1) < 0 || fcntl(pfd[0], F_SETSIG, sig) < 0 ||
	    fcntl(pfd[0], F_SETFL, O_ASYNC | O_NONBLOCK) < 0 || write(pfd[1], "x", 1) != 1)
		r = -1;
	close(pfd[0]);
	close(pfd[1]);
	return r;
}

/* probe                  the lockdown, module and kexec checks
 * probe exec PATH        execve PATH (which, if it is this probe, prints "exec ok")
 * probe mmap PATH        executable mappings of PATH, directly and through mprotect
 * probe ptrace PID       PTRACE_ATTACH
 * probe bpf              load a trivial socket filter
 * probe bpf-ids          BPF maps, programs and links by id, a pinned object, then a load again
 * probe kill PID SIG     kill(PID, SIG)
 * probe sigio SIG        have the kernel send SIG to PID 1 through F_SETOWN on a pipe
 * probe ns               user and network namespaces by clone and unshare, setns, clone3
 * probe uring            io_uring_setup
 * probe wx PATH          W^X: anonymous executable memory, RW -> RX, PATH mapped W+X, and a
 *                        write through /proc/self/mem, PATH copied-on-write then made
 *                        executable (and, allowed, PATH made executable with no copies)
 * probe proc-sys         /proc/sys/kernel/core_pattern opened for writing (nothing written), and
 *                        for reading
 * probe as-user ID CMD [ARG]...  CMD (a full path) as uid and gid ID, no groups, no capabilities */
static int subcommand(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "as-user") == 0) {
		unsigned id = (unsigned)atoi(argv[2]);
		if (id == 0 || setgroups(0, NULL) < 0 || setgid(id) < 0 || setuid(id) < 0) {
			perror("as-user");
			return 111;
		}
		execv(argv[3], argv + 3);
		perror(argv[3]);
		return 127;
	}
	if (argc == 2 && strcmp(argv[1], "ok") == 0) {
		printf("exec ok\n");
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "exec") == 0) {
		fflush(stdout);
		execl(argv[2], argv[2], "ok", (char *)NULL);
		report("exec", -1);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "mmap") == 0) {
		report("mmap-exec", map_exec(argv[2], false));
		report("mprotect-exec", map_exec(argv[2], true));
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "ptrace") == 0) {
		report("ptrace", trace((pid_t)atoi(argv[2])));
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "bpf") == 0) {
		report("bpf-load", bpf_load());
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "bpf-ids") == 0) {
		report("map-by-id", bpf_by_id(BPF_MAP_GET_NEXT_ID, BPF_MAP_GET_FD_BY_ID));
		report("prog-by-id", bpf_by_id(BPF_PROG_GET_NEXT_ID, BPF_PROG_GET_FD_BY_ID));
		report("link-by-id", bpf_by_id(BPF_LINK_GET_NEXT_ID, BPF_LINK_GET_FD_BY_ID));
		report("obj-get", bpf_obj_get());
		report("bpf-load-after", bpf_load());
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "kill") == 0) {
		report("kill", kill((pid_t)atoi(argv[2]), atoi(argv[3])));
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "sigio") == 0) {
		report("sigio", sigio_pid1(atoi(argv[2])));
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "ns") == 0) {
		report("clone-newuser", in_child(clone_flags, CLONE_NEWUSER));
		report("clone-newnet", in_child(clone_flags, CLONE_NEWNET));
		report("unshare-newuser", in_child(do_unshare, CLONE_NEWUSER));
		report("unshare-newnet", in_child(do_unshare, CLONE_NEWNET));
		report("setns-net", in_child(do_setns, 0));
		report("clone3", clone3_plain());
		report("clone-plain", clone_flags(0));
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "uring") == 0) {
		report("io-uring-setup", uring_setup());
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "wx") == 0) {
		report("anon-exec", anon_exec());
		report("mprotect-rw-rx", rw_to_rx());
		report("file-wx", file_wx(argv[2]));
		report("proc-self-mem", proc_mem_write("/proc/self/mem"));
		report("cow-exec", cow_exec(argv[2], true));
		report("mprotect-root-rx", cow_exec(argv[2], false));
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "proc-sys") == 0) {
		report("proc-sys-write", proc_sys_open("/proc/sys/kernel/core_pattern", O_WRONLY));
		report("proc-sys-read", proc_sys_open("/proc/sys/kernel/core_pattern", O_RDONLY));
		return 0;
	}
	fprintf(stderr, "usage: probe [ok | exec PATH | mmap PATH | ptrace PID | bpf | bpf-ids | "
			"kill PID SIG | sigio SIG | ns | uring | wx PATH | proc-sys]\n");
	return 100;
}

int main(int argc, char **argv)
{
	static const char image[] = "not a module";
	int fd;

	if (argc > 1)
		return subcommand(argc, argv);
	report("devmem", open_read("/dev/mem"));
	report("kcore", open_read("/proc/kcore"));
	report("devport", open_read("/dev/port"));
	fd = open("/sys/kernel/security/lockdown", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		report("lockdown-none", -1);
	else {
		report("lockdown-none", write(fd, "none", 4) < 0 ? -1 : 0);
		close(fd);
	}
	report("init-module", (int)syscall(SYS_init_module, image, sizeof(image), ""));
	report("kexec-load", (int)syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0UL));
	report("kexec-file-load", (int)syscall(SYS_kexec_file_load, -1, -1, 0UL, "", 0UL));
	return 0;
}
