/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The denial record the BPF LSM programs send to kcc-init (shared by both sides). */
#pragma once

enum {
	KCC_LSM_EXEC = 1,
	KCC_LSM_MMAP = 2,
	KCC_LSM_PTRACE = 3,
	KCC_LSM_BPF = 4,
	KCC_LSM_SIGNAL = 5,
	KCC_LSM_USERNS = 6,
	KCC_LSM_ANON_EXEC = 7,
	KCC_LSM_WX = 8,
	KCC_LSM_PROCMEM = 9,
	KCC_LSM_SIGIO = 10,
	KCC_LSM_EXECMOD = 11,
	KCC_LSM_PROCSYS = 12,
};

/* The one signal user space may send to PID 1: kured's reboot signal, SIGRTMIN+5 (39 with glibc's
 * SIGRTMIN of 34; the kernel numbers it the same). PID 1 honours it only while
 * /run/reboot-required exists (an applied update waits) and the sender holds CAP_SYS_BOOT. */
#define KCC_LSM_REBOOT_SIGNAL 39

struct kcc_lsm_event {
	__u32 kind;
	__u32 pid;
	__u32 target; /* ptrace, signal: the target's tgid; bpf: the command */
	__u32 dev;    /* exec/mmap/execmod/proc-sys: the file's device (kernel encoding) */
	__u64 ino;
	char comm[16];
};
