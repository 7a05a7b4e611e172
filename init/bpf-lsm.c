/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <bpf/libbpf.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <linux/types.h>

#include "bpf-lsm.h"
#include "kcc-lsm.h"
#include "kcc-lsm.skel.h"
#include "log.h"

static struct kcc_lsm *skel;
static struct ring_buffer *events;
static uint64_t dropped_seen;

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[512];

	if (level == LIBBPF_DEBUG && !log_debug_enabled())
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	log_debug("libbpf: %.*s", (int)strcspn(line, "\n"), line);
	return 0;
}

static const char *kind_name(uint32_t kind)
{
	switch (kind) {
	case KCC_LSM_EXEC: return "exec";
	case KCC_LSM_MMAP: return "executable mapping";
	case KCC_LSM_PTRACE: return "ptrace";
	case KCC_LSM_BPF: return "BPF";
	case KCC_LSM_USERNS: return "user namespace creation";
	case KCC_LSM_ANON_EXEC: return "anonymous executable memory";
	case KCC_LSM_PROCMEM: return "write to /proc/PID/mem";
	default: return "operation";
	}
}

static int on_event(void *ctx, void *data, size_t size)
{
	const struct kcc_lsm_event *e = data;
	char comm[sizeof(e->comm) + 1];

	(void)ctx;
	if (size < sizeof(*e))
		return 0;
	memcpy(comm, e->comm, sizeof(e->comm));
	comm[sizeof(e->comm)] = '\0';
	if (e->kind == KCC_LSM_EXEC || e->kind == KCC_LSM_MMAP)
		log_warning("bpf-lsm: denied %s of inode %llu on device %u:%u (not the verity root) "
			    "to pid %u (%s)",
			    kind_name(e->kind), (unsigned long long)e->ino, e->dev >> 20,
			    e->dev & 0xfffff, e->pid, comm);
	else if (e->kind == KCC_LSM_WX)
		log_warning("bpf-lsm: denied a writable and executable mapping of inode %llu "
			    "to pid %u (%s)",
			    (unsigned long long)e->ino, e->pid, comm);
	else if (e->kind == KCC_LSM_EXECMOD)
		log_warning("bpf-lsm: denied making copy-on-write pages of inode %llu executable "
			    "to pid %u (%s)",
			    (unsigned long long)e->ino, e->pid, comm);
	else if (e->kind == KCC_LSM_PROCSYS)
		log_warning("bpf-lsm: denied a write to /proc/sys (inode %llu) to pid %u (%s)",
			    (unsigned long long)e->ino, e->pid, comm);
	else if (e->kind == KCC_LSM_PTRACE)
		log_warning("bpf-lsm: denied ptrace of pid %u to pid %u (%s)", e->target, e->pid, comm);
	else if (e->kind == KCC_LSM_SIGNAL)
		log_warning("bpf-lsm: denied a signal to pid %u from pid %u (%s)", e->target,
			    e->pid, comm);
	else if (e->kind == KCC_LSM_SIGIO)
		log_warning("bpf-lsm: denied an I/O signal (F_SETOWN) to pid %u, raised by pid %u "
			    "(%s)",
			    e->target, e->pid, comm);
	else if (e->kind == KCC_LSM_BPF)
		log_warning("bpf-lsm: denied BPF %s to pid %u (%s)",
			    e->target == BPF_PROG_LOAD ? "program load" : "object access", e->pid,
			    comm);
	else
		log_warning("bpf-lsm: denied %s to pid %u (%s)", kind_name(e->kind), e->pid, comm);
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
	events = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, NULL, NULL);
	if (!events)
		return log_error_errno(-errno, "Failed to open the BPF LSM ring buffer: %m");
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

int bpf_lsm_events_fd(void)
{
	return events ? ring_buffer__epoll_fd(events) : -EBADF;
}

void bpf_lsm_consume(void)
{
	if (!events)
		return;
	(void)ring_buffer__consume(events);
	if (skel->bss->dropped != dropped_seen) {
		log_warning("bpf-lsm: %llu denials not logged (rate limit)",
			    (unsigned long long)(skel->bss->dropped - dropped_seen));
		dropped_seen = skel->bss->dropped;
	}
}

void bpf_lsm_unload(void)
{
	if (!skel)
		return;
	bpf_lsm_consume();
	ring_buffer__free(events);
	events = NULL;
	kcc_lsm__destroy(skel);
	skel = NULL;
	log_info("BPF LSM detached: only PID 1 is left, and it moves to the exit root");
}
