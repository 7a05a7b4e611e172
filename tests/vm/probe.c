/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-test-probe: in-guest checks of the node's hardening that need system calls busybox cannot
 * make. Static, in test images only. Each check prints "NAME ERRNO-NAME" (or "NAME ok") and the
 * agent compares it with the exact errno it expects. */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <linux/bpf.h>
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

/* probe                  the lockdown, module and kexec checks
 * probe exec PATH        execve PATH (which, if it is this probe, prints "exec ok")
 * probe mmap PATH        executable mappings of PATH, directly and through mprotect
 * probe ptrace PID       PTRACE_ATTACH
 * probe bpf              load a trivial socket filter
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
	fprintf(stderr, "usage: probe [ok | exec PATH | mmap PATH | ptrace PID | bpf]\n");
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
