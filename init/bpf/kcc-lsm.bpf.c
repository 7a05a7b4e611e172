// SPDX-License-Identifier: GPL-2.0-only
/* kcc-node's BPF LSM policy, loaded by kcc-init (init/bpf-lsm.c) before lockdown:
 *   - host processes execute, and map executable, only files on the verity root, and W^X: no
 *     anonymous executable memory, nothing writable and executable at once, nothing made
 *     executable that was writable or has private copied pages (execmod); no writes through
 *     /proc/PID/mem;
 *   - no writes below /proc/sys but PID 1's (the sysctls are set before the programs load);
 *   - no ptrace of PID 1 or of services;
 *   - signals: nobody but PID 1 signals PID 1 (the kernel's own signals never reach this hook); a
 *     service signals only its own cgroup subtree, the container runtime also the pods;
 *   - user namespaces are created by the container runtime only;
 *   - BPF: no program loads, no object by id, no pinned object, no fd of our programs, from the
 *     moment the programs are attached (a read-only, frozen setting: nothing can clear it), but
 *     for the one service the image may name (hardening.conf bpf_allow_service =) and the cgroup
 *     device programs of the container runtime;
 * processes in the kubelet's pod cgroup are out of scope for code and memory (their runtime
 * confines them). A denial
 * by an earlier LSM is passed on unchanged. Denials go to a ring buffer, at most
 * EVENTS_PER_SECOND a second. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "kcc-lsm.h"

#define EPERM 1
#define PROT_WRITE 0x2
#define PROT_EXEC 0x4
#define VM_WRITE 0x2
#define VM_EXEC 0x4
#define FMODE_WRITE 0x2
#define PROC_SUPER_MAGIC 0x9fa0
#define PTRACE_MODE_ATTACH 0x02
#define EVENTS_PER_SECOND 64
/* Levels walked up from a procfs file to find /proc/sys: the deepest sysctl
 * (/proc/sys/net/ipv6/neigh/IFACE/...) is 5 below it. */
#define PROC_SYS_DEPTH 12

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 root_dev = 0;        /* s_dev of the verity root's superblock */
const volatile __u64 pods_cgroup = 0;     /* cgroup id of /sys/fs/cgroup/kubepods, 0: none */
const volatile __u64 services_cgroup = 0; /* cgroup id of /sys/fs/cgroup/services */
const volatile __u64 bpf_allowed_cgroup = 0; /* the one service allowed to load BPF, 0: none */
const volatile __u64 runtime_cgroup = 0; /* the container runtime: cgroup device programs only */
/* Set before load: .rodata is frozen by libbpf, and get-by-id is refused, so nothing in user space
 * can clear it (it was a writable global that a CAP_SYS_ADMIN process could look up and reset). */
const volatile __u32 bpf_locked = 0;

__u64 window_start = 0;
__u32 window_count = 0;
__u64 dropped = 0;

/* 16 KiB: some 290 records, over 4 s of the rate limit's most (64 a second). PID 1 maps it whole
 * (twice the data area, the kernel's layout), which counts in its resident memory. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 * 1024);
} events SEC(".maps");

static __always_inline bool in_pods(void)
{
	return pods_cgroup && bpf_get_current_ancestor_cgroup_id(1) == pods_cgroup;
}

static __always_inline void report(__u32 kind, struct file *file, __u32 target)
{
	__u64 now = bpf_ktime_get_ns();
	struct kcc_lsm_event *e;

	if (now - window_start > 1000000000ULL) {
		window_start = now;
		window_count = 0;
	}
	if (++window_count > EVENTS_PER_SECOND) {
		__sync_fetch_and_add(&dropped, 1);
		return;
	}
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&dropped, 1);
		return;
	}
	e->kind = kind;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->target = target;
	e->dev = file ? BPF_CORE_READ(file, f_inode, i_sb, s_dev) : 0;
	e->ino = file ? BPF_CORE_READ(file, f_inode, i_ino) : 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
}

static __always_inline bool on_root(struct file *file)
{
	return BPF_CORE_READ(file, f_inode, i_sb, s_dev) == root_dev;
}

SEC("lsm/bprm_check_security")
int BPF_PROG(kcc_exec, struct linux_binprm *bprm, int ret)
{
	struct file *file;

	if (ret)
		return ret;
	if (in_pods())
		return 0;
	file = BPF_CORE_READ(bprm, file);
	if (!file || on_root(file))
		return 0;
	report(KCC_LSM_EXEC, file, 0);
	return -EPERM;
}

/* An executable mapping for a host process: only of a verity-root file, never anonymous, never
 * writable at the same time (W^X). Shared by mmap and mprotect. */
static __always_inline int exec_mapping(struct file *file, bool writable)
{
	if (!file) {
		report(KCC_LSM_ANON_EXEC, NULL, 0);
		return -EPERM;
	}
	if (!on_root(file)) {
		report(KCC_LSM_MMAP, file, 0);
		return -EPERM;
	}
	if (writable) {
		report(KCC_LSM_WX, file, 0);
		return -EPERM;
	}
	return 0;
}

SEC("lsm/mmap_file")
int BPF_PROG(kcc_mmap, struct file *file, unsigned long reqprot, unsigned long prot,
	     unsigned long flags, int ret)
{
	if (ret)
		return ret;
	if (!(prot & PROT_EXEC) || in_pods())
		return 0;
	return exec_mapping(file, prot & PROT_WRITE);
}

/* To executable: only a mapping of a verity-root file that is not and was not writable, and
 * that has no private copied pages unless it is executable already (SELinux's execmod): a
 * MAP_PRIVATE mapping made writable, written, then read-only has lost VM_WRITE but keeps the
 * copies (vma->anon_vma), which mprotect(PROT_EXEC) would otherwise run. */
SEC("lsm/file_mprotect")
int BPF_PROG(kcc_mprotect, struct vm_area_struct *vma, unsigned long reqprot, unsigned long prot,
	     int ret)
{
	struct file *file;

	if (ret)
		return ret;
	if (!(prot & PROT_EXEC) || in_pods())
		return 0;
	file = BPF_CORE_READ(vma, vm_file);
	ret = exec_mapping(file, (prot & PROT_WRITE) || (BPF_CORE_READ(vma, vm_flags) & VM_WRITE));
	if (ret)
		return ret;
	if (!(BPF_CORE_READ(vma, vm_flags) & VM_EXEC) && BPF_CORE_READ(vma, anon_vma)) {
		report(KCC_LSM_EXECMOD, file, 0);
		return -EPERM;
	}
	return 0;
}

/* d is a file of procfs below its top-level "sys" folder: walk up at most PROC_SYS_DEPTH
 * levels to the child of the superblock's root and compare its name. */
static __always_inline bool below_proc_sys(struct dentry *d)
{
	struct dentry *root = BPF_CORE_READ(d, d_sb, s_root), *parent;
	char name[4];

	for (int i = 0; i < PROC_SYS_DEPTH; i++) {
		parent = BPF_CORE_READ(d, d_parent);
		if (!parent || parent == d)
			return false;
		if (parent == root)
			return BPF_CORE_READ(d, d_name.len) == 3 &&
			       bpf_probe_read_kernel_str(name, sizeof(name),
							 BPF_CORE_READ(d, d_name.name)) == 4 &&
			       name[0] == 's' && name[1] == 'y' && name[2] == 's';
		d = parent;
	}
	return false;
}

/* Opened for writing in procfs:
 *   - /proc/PID/mem (and /proc/PID/task/TID/mem): the one file of procfs by that name, whatever
 *     path (/proc/self, a bind mount, a reopened fd) led to it;
 *   - a file below /proc/sys, by anyone but PID 1, which set the sysctls before the programs
 *     were attached (and sets kernel.modules_disabled after): a read-only bind of /proc/sys is
 *     undone by anyone with CAP_SYS_ADMIN in its mount namespace (a remount, a fresh proc). */
SEC("lsm/file_open")
int BPF_PROG(kcc_file_open, struct file *file, int ret)
{
	char name[4];
	struct dentry *d;

	if (ret)
		return ret;
	if (!(BPF_CORE_READ(file, f_mode) & FMODE_WRITE) ||
	    BPF_CORE_READ(file, f_inode, i_sb, s_magic) != PROC_SUPER_MAGIC)
		return 0;
	d = BPF_CORE_READ(file, f_path.dentry);
	if (BPF_CORE_READ(d, d_name.len) == 3 &&
	    bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(d, d_name.name)) == 4 &&
	    name[0] == 'm' && name[1] == 'e' && name[2] == 'm') {
		if (in_pods())
			return 0;
		report(KCC_LSM_PROCMEM, NULL, 0);
		return -EPERM;
	}
	if (bpf_get_current_pid_tgid() >> 32 == 1 || !below_proc_sys(d))
		return 0;
	report(KCC_LSM_PROCSYS, file, 0);
	return -EPERM;
}

static __always_inline bool is_service(struct task_struct *t)
{
	struct cgroup *cg = BPF_CORE_READ(t, cgroups, dfl_cgrp);
	struct cgroup *top;

	if (!services_cgroup || !cg || BPF_CORE_READ(cg, level) < 1)
		return false;
	top = BPF_CORE_READ(cg, ancestors[1]);
	return top && BPF_CORE_READ(top, kn, id) == services_cgroup;
}

SEC("lsm/ptrace_access_check")
int BPF_PROG(kcc_ptrace, struct task_struct *child, unsigned int mode, int ret)
{
	__u32 tgid;

	if (ret)
		return ret;
	/* Attaching only: reading /proc/PID/status and the like stays as the kernel allows it. */
	if (!(mode & PTRACE_MODE_ATTACH))
		return 0;
	tgid = BPF_CORE_READ(child, tgid);
	if (tgid != 1 && !is_service(child))
		return 0;
	report(KCC_LSM_PTRACE, NULL, tgid);
	return -EPERM;
}

/* The cgroup id of t's ancestor at level (1: /services, 2: /services/NAME), 0 above t's level. */
static __always_inline __u64 task_ancestor(struct task_struct *t, int level)
{
	struct cgroup *cg = BPF_CORE_READ(t, cgroups, dfl_cgrp);
	struct cgroup *a;

	if (!cg || BPF_CORE_READ(cg, level) < level)
		return 0;
	a = BPF_CORE_READ(cg, ancestors[level]);
	return a ? BPF_CORE_READ(a, kn, id) : 0;
}

static __always_inline bool in_runtime(void)
{
	return runtime_cgroup && bpf_get_current_ancestor_cgroup_id(2) == runtime_cgroup;
}

/* kill, tkill, tgkill, rt_sigqueueinfo, pidfd_send_signal and kill(-1) (one call per target):
 * only signals from user space get here. cred is set for the kernel's USB completion signals. */
SEC("lsm/task_kill")
int BPF_PROG(kcc_task_kill, struct task_struct *p, struct kernel_siginfo *info, int sig,
	     const struct cred *cred, int ret)
{
	__u64 from;
	__u32 tgid;

	if (ret)
		return ret;
	if (cred || bpf_get_current_pid_tgid() >> 32 == 1)
		return 0;
	tgid = BPF_CORE_READ(p, tgid);
	if (tgid == 1 && sig != KCC_LSM_REBOOT_SIGNAL)
		goto deny;
	if (tgid == 1) /* kured's reboot signal: PID 1 decides (init/sys/pid1.c) */
		return 0;
	/* a service: its own subtree, and for the runtime also the pods */
	if (!services_cgroup || bpf_get_current_ancestor_cgroup_id(1) != services_cgroup)
		return 0;
	from = bpf_get_current_ancestor_cgroup_id(2);
	if (from && task_ancestor(p, 2) == from)
		return 0;
	if (in_runtime() && pods_cgroup && task_ancestor(p, 1) == pods_cgroup)
		return 0;
deny:
	report(KCC_LSM_SIGNAL, NULL, tgid);
	return -EPERM;
}

/* F_SETOWN + F_SETSIG: the kernel sends a signal of the owner's choice when I/O is possible. No
 * one may make PID 1 the target. */
SEC("lsm/file_send_sigiotask")
int BPF_PROG(kcc_sigio, struct task_struct *p, struct fown_struct *fown, int sig, int ret)
{
	__u32 tgid;

	if (ret)
		return ret;
	tgid = BPF_CORE_READ(p, tgid);
	if (tgid != 1 || bpf_get_current_pid_tgid() >> 32 == 1)
		return 0;
	report(KCC_LSM_SIGIO, NULL, tgid);
	return -EPERM;
}

/* Every new user namespace (clone, unshare): the container runtime's only. */
SEC("lsm/userns_create")
int BPF_PROG(kcc_userns, const struct cred *cred, int ret)
{
	if (ret)
		return ret;
	if (in_runtime())
		return 0;
	report(KCC_LSM_USERNS, NULL, 0);
	return -EPERM;
}

SEC("lsm/bpf")
int BPF_PROG(kcc_bpf, int cmd, union bpf_attr *attr, unsigned int size, int ret)
{
	if (ret)
		return ret;
	if (!bpf_locked)
		return 0;
	switch (cmd) {
	case BPF_PROG_LOAD:
	case BPF_MAP_GET_FD_BY_ID:
	case BPF_PROG_GET_FD_BY_ID:
	case BPF_LINK_GET_FD_BY_ID:
	case BPF_BTF_GET_FD_BY_ID:
	case BPF_OBJ_GET:
		break;
	default:
		return 0;
	}
	/* services/NAME is at level 2 of the cgroup tree */
	if (bpf_allowed_cgroup && bpf_get_current_ancestor_cgroup_id(2) == bpf_allowed_cgroup)
		return 0;
	/* crun confines each container's devices with a cgroup device program, and replaces the
	 * one a restarted container's cgroup still holds (by id); our LSM programs stay out of its
	 * reach (kcc_bpf_prog) */
	if (in_runtime() && ((cmd == BPF_PROG_LOAD &&
			      BPF_CORE_READ(attr, prog_type) == BPF_PROG_TYPE_CGROUP_DEVICE) ||
			     cmd == BPF_PROG_GET_FD_BY_ID))
		return 0;
	report(KCC_LSM_BPF, NULL, cmd);
	return -EPERM;
}

/* A new fd of an LSM program (by id, pinned): PID 1's only. */
SEC("lsm/bpf_prog")
int BPF_PROG(kcc_bpf_prog, struct bpf_prog *prog, int ret)
{
	if (ret)
		return ret;
	if (!bpf_locked || BPF_CORE_READ(prog, type) != BPF_PROG_TYPE_LSM ||
	    bpf_get_current_pid_tgid() >> 32 == 1)
		return 0;
	report(KCC_LSM_BPF, NULL, BPF_PROG_GET_FD_BY_ID);
	return -EPERM;
}
