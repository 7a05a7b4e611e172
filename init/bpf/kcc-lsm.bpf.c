// SPDX-License-Identifier: GPL-2.0-only
/* kcc-node's BPF LSM policy, loaded by kcc-init (init/bpf-lsm.c) before lockdown:
 *   - host processes execute, and map executable, only files on the verity root;
 *   - no ptrace of PID 1 or of services;
 *   - no BPF program loads once kcc-init has locked it (after boot), but by the one service the
 *     image may name (hardening.conf bpf_allow_service =);
 * processes in the kubelet's pod cgroup are out of scope (their runtime confines them). A denial
 * by an earlier LSM is passed on unchanged. Denials go to a ring buffer, at most
 * EVENTS_PER_SECOND a second. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "kcc-lsm.h"

#define EPERM 1
#define PROT_EXEC 0x4
#define PTRACE_MODE_ATTACH 0x02
#define EVENTS_PER_SECOND 20

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 root_dev = 0;        /* s_dev of the verity root's superblock */
const volatile __u64 pods_cgroup = 0;     /* cgroup id of /sys/fs/cgroup/kubepods, 0: none */
const volatile __u64 services_cgroup = 0; /* cgroup id of /sys/fs/cgroup/services */
const volatile __u64 bpf_allowed_cgroup = 0; /* the one service allowed to load BPF, 0: none */
const volatile __u64 runtime_cgroup = 0; /* the container runtime: cgroup device programs only */

__u32 bpf_locked = 0; /* set by kcc-init once its own programs are in */
__u64 window_start = 0;
__u32 window_count = 0;
__u64 dropped = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
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

SEC("lsm/mmap_file")
int BPF_PROG(kcc_mmap, struct file *file, unsigned long reqprot, unsigned long prot,
	     unsigned long flags, int ret)
{
	if (ret)
		return ret;
	if (!file || !(prot & PROT_EXEC) || in_pods() || on_root(file))
		return 0;
	report(KCC_LSM_MMAP, file, 0);
	return -EPERM;
}

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
	if (!file || on_root(file))
		return 0;
	report(KCC_LSM_MMAP, file, 0);
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

SEC("lsm/bpf")
int BPF_PROG(kcc_bpf, int cmd, union bpf_attr *attr, unsigned int size, int ret)
{
	if (ret)
		return ret;
	if (!bpf_locked || cmd != BPF_PROG_LOAD)
		return 0;
	/* services/NAME is at level 2 of the cgroup tree */
	if (bpf_allowed_cgroup && bpf_get_current_ancestor_cgroup_id(2) == bpf_allowed_cgroup)
		return 0;
	/* crun confines each container's devices with a cgroup device program */
	if (runtime_cgroup && bpf_get_current_ancestor_cgroup_id(2) == runtime_cgroup &&
	    BPF_CORE_READ(attr, prog_type) == BPF_PROG_TYPE_CGROUP_DEVICE)
		return 0;
	report(KCC_LSM_BPF, NULL, 0);
	return -EPERM;
}
