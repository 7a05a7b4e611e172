/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <bpf/libbpf.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <linux/types.h>

#include "bpf-lsm.h"
#include "kcc-lsm.h"
#include "kcc-lsm.skel.h"
#include "log.h"
#include "lsm-events.h"

static struct kcc_lsm *skel;

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[512];

	if (level == LIBBPF_DEBUG && !log_debug_enabled())
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	log_debug("libbpf: %.*s", (int)strcspn(line, "\n"), line);
	return 0;
}

static int cgroup_id(const char *path, uint64_t *id)
{
	struct stat st;

	*id = 0;
	if (!path || stat(path, &st) < 0)
		return errno == ENOENT || !path ? 0 : -errno;
	*id = st.st_ino; /* a cgroup2 directory's inode number is its cgroup id */
	return 0;
}

int bpf_lsm_load(const char *root, const char *services, const char *pods, const char *bpf_allowed,
		 const char *runtime)
{
	struct stat st;
	int r;

	libbpf_set_print(libbpf_log);
	if (stat(root, &st) < 0)
		return log_error_errno(-errno, "Failed to stat %s: %m", root);
	skel = kcc_lsm__open();
	if (!skel)
		return log_error_errno(-errno, "Failed to open the BPF LSM programs: %m");
	/* The kernel encodes devices as major << 20 | minor. */
	skel->rodata->root_dev = major(st.st_dev) << 20 | minor(st.st_dev);
	r = cgroup_id(services, (uint64_t *)&skel->rodata->services_cgroup);
	if (r >= 0)
		r = cgroup_id(pods, (uint64_t *)&skel->rodata->pods_cgroup);
	if (r >= 0)
		r = cgroup_id(bpf_allowed, (uint64_t *)&skel->rodata->bpf_allowed_cgroup);
	if (r >= 0)
		r = cgroup_id(runtime, (uint64_t *)&skel->rodata->runtime_cgroup);
	if (r < 0)
		return log_error_errno(r, "Failed to look up the service cgroups: %m");
	/* Locked from the moment the programs are attached: .rodata is frozen at load. */
	skel->rodata->bpf_locked = 1;
	r = kcc_lsm__load(skel);
	if (r < 0)
		return log_error_errno(r, "Failed to load the BPF LSM programs: %m");
	r = kcc_lsm__attach(skel);
	if (r < 0)
		return log_error_errno(r, "Failed to attach the BPF LSM programs: %m");
	log_info("hardening: BPF LSM attached (exec and executable mappings only from the verity "
		 "root %u:%u, W^X, no ptrace of PID 1 or services, no signals to PID 1 or across "
		 "services, user namespaces for the container runtime only, no /proc/sys writes "
		 "but PID 1's)",
		 major(st.st_dev), minor(st.st_dev));
	if (skel->rodata->bpf_allowed_cgroup)
		log_warning("hardening: the image lets %s load BPF programs after boot", bpf_allowed);
	if (skel->rodata->runtime_cgroup)
		log_info("hardening: the container runtime %s may load cgroup device programs, no "
			 "other BPF", runtime);
	return 0;
}

int bpf_lsm_lock(void)
{
	if (!skel)
		return -EBADF;
	/* Set before load in .rodata, which libbpf froze: this reads the kernel's copy. */
	if (!skel->rodata->bpf_locked)
		return -ENOTRECOVERABLE;
	log_info("hardening: BPF program loading locked (and objects by id or pin, a frozen "
		 "setting)");
	return 0;
}

int bpf_lsm_hand_over(int sock)
{
	const struct bpf_object_skeleton *sk;
	LsmHandoff h = { .magic = LSM_HANDOFF_MAGIC };
	union {
		char buf[CMSG_SPACE(sizeof(int) * (LSM_HANDOFF_MAX_LINKS + 2))];
		struct cmsghdr align;
	} ctl = {};
	int fds[LSM_HANDOFF_MAX_LINKS + 2];
	struct iovec iov = { &h, sizeof(h) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf };
	struct cmsghdr *cm;

	if (!skel)
		return -EBADF;
	sk = skel->skeleton;
	if (sk->prog_cnt > LSM_HANDOFF_MAX_LINKS)
		return log_error_errno(-E2BIG, "Too many BPF LSM programs to hand over: %m");
	fds[0] = bpf_map__fd(skel->maps.events);
	fds[1] = bpf_map__fd(skel->maps.bss);
	for (int i = 0; i < sk->prog_cnt; i++) {
		struct bpf_link *l = *sk->progs[i].link;
		if (!l)
			return log_error_errno(-ENOLINK, "BPF LSM program %s is not attached: %m",
					       sk->progs[i].name);
		fds[2 + h.n_links++] = bpf_link__fd(l);
	}
	h.ring_size = bpf_map__max_entries(skel->maps.events);
	h.bss_size = bpf_map__value_size(skel->maps.bss);
	h.dropped_offset = (uint32_t)((const char *)&skel->bss->dropped - (const char *)skel->bss);
	msg.msg_controllen = CMSG_SPACE(sizeof(int) * (h.n_links + 2));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int) * (h.n_links + 2));
	memcpy(CMSG_DATA(cm), fds, sizeof(int) * (h.n_links + 2));
	if (sendmsg(sock, &msg, MSG_NOSIGNAL) != sizeof(h))
		return log_error_errno(-errno, "Failed to hand the BPF LSM over to PID 1: %m");
	return 0;
}
