/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "confine.h"
#include "util.h"

/* Why each one stays (docs/kubelet.md):
 *   SYS_ADMIN       mounts: the hostPath staging (open_tree, move_mount), crun's container
 *                   mounts and namespaces, its cgroup device programs, setns for probes
 *   NET_ADMIN       crun attaches the cgroup device program
 *   SYS_CHROOT      crun (pivot_root's fallback, exec)
 *   SETUID, SETGID  crun writes the pods' uid_map and gid_map (ids other than ours)
 *   SETFCAP         a uid_map that maps container root needs it (Linux 5.12 and later)
 *   SETPCAP         crun shapes the container's capability sets
 *   CHOWN, FOWNER   image files are given to the pod's ids when unpacked
 *   DAC_OVERRIDE    the pods' folders belong to their ids (removal, restarts)
 *   KILL            stopping containers, which run as the pods' ids
 *   SYS_RESOURCE    crun lifts RLIMIT_MEMLOCK to load its cgroup device program
 *   SYS_PTRACE      entering a container's namespaces (crun exec for probes) */
static const cap_value_t kept[] = {
	CAP_SYS_ADMIN, CAP_NET_ADMIN,  CAP_SYS_CHROOT,	 CAP_SETUID, CAP_SETGID,
	CAP_SETFCAP,   CAP_SETPCAP,    CAP_CHOWN,	 CAP_FOWNER, CAP_DAC_OVERRIDE,
	CAP_KILL,      CAP_SYS_PTRACE, CAP_SYS_RESOURCE,
};

uint64_t kubelet_kept_caps(void)
{
	uint64_t m = 0;

	for (size_t i = 0; i < ARRAY_SIZE(kept); i++)
		m |= 1ULL << kept[i];
	return m;
}

int kubelet_proc_sys_read_only(const char *pids_proc)
{
	/* A user namespace may mount a new proc only if one in its mount namespace is fully
	 * visible (no mount over any of its folders): the read-only /proc/sys below would make
	 * every pod's proc mount fail. A proc of process folders only (subset=pid: no /proc/sys)
	 * is visible and reveals nothing. */
	if ((mkdir(pids_proc, 0700) < 0 && errno != EEXIST) ||
	    mount("proc", pids_proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "subset=pid") < 0)
		return -errno;
	if (mount("/proc/sys", "/proc/sys", NULL, MS_BIND | MS_REC, NULL) < 0)
		return -errno;
	return RET_NERRNO(mount(NULL, "/proc/sys", NULL,
				MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
				NULL));
}

int kubelet_drop_caps(void)
{
	uint64_t keep = kubelet_kept_caps();
	cap_t now, caps;
	int r = 0;

	/* the bounding set first: dropping needs CAP_SETPCAP, which we still have */
	for (cap_value_t c = 0; c <= CAP_LAST_CAP && r >= 0; c++)
		if (!(keep & (1ULL << c)) && CAP_IS_SUPPORTED(c))
			r = RET_NERRNO(cap_drop_bound(c));
	if (r < 0)
		return r;
	if (cap_reset_ambient() < 0)
		return -errno;
	now = cap_get_proc();
	caps = cap_init();
	if (!now || !caps) {
		cap_free(now);
		cap_free(caps);
		return -ENOMEM;
	}
	/* what we keep of what we have: nothing can be raised here anyway */
	for (size_t i = 0; i < ARRAY_SIZE(kept) && r >= 0; i++) {
		cap_flag_value_t v = CAP_CLEAR;
		if (cap_get_flag(now, kept[i], CAP_PERMITTED, &v) < 0)
			r = -errno;
		else if (v == CAP_SET &&
			 (cap_set_flag(caps, CAP_PERMITTED, 1, &kept[i], CAP_SET) < 0 ||
			  cap_set_flag(caps, CAP_EFFECTIVE, 1, &kept[i], CAP_SET) < 0))
			r = -errno;
	}
	if (r >= 0 && cap_set_proc(caps) < 0)
		r = -errno;
	cap_free(now);
	cap_free(caps);
	return r;
}
