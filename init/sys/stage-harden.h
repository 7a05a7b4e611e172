/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* System stage, after the mounts and before any service: hardened sysctls, then (BPF LSM programs,
 * once they exist), kernel.modules_disabled=1, then lockdown=confidentiality. Every step is read
 * back. A step the kernel cannot do stops the boot unless /etc/kcc/hardening.conf allows that
 * weaker mode by name, and the log says so either way. */
#pragma once

#define HARDEN_CONF "/etc/kcc/hardening.conf"

int stage_harden_run(void);

/* hardening.conf:
 *   allow_weaker = NAME [NAME...]   NAME: "lockdown", "bpf-lsm", "modules-disabled" or a sysctl
 *   bpf_allow_service = SERVICE     the one service that may load BPF programs after boot
 *   runtime_service = SERVICE       the container runtime's service: it may load cgroup device
 *                                   programs (BPF_PROG_TYPE_CGROUP_DEVICE) only, as crun does
 *                                   for each container's device allowlist
 *   sysctl = KEY VALUE              a sysctl the image needs (repeatable; the upstream kubelet's
 *                                   protectKernelDefaults), set and read back after the
 *                                   hardening ones; a key of the hardening table is refused
 * Returns 0 or -EINVAL with the reason in err. allowed gets a space-separated, space-bracketed
 * list (" a b ") for lookups. */
typedef struct HardenExtras {
	char bpf_service[33], runtime_service[33]; /* a service name or "" */
	char sysctls[1024];                        /* "KEY VALUE\n" lines */
} HardenExtras;
int harden_conf_parse(const char *text, char *allowed, size_t size, HardenExtras *x, char *err,
		      size_t err_size);
