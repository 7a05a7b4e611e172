/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <linux/landlock.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "mountinfo.h"
#include "sandbox.h"
#include "seccomp-compile.h"
#include "seccomp-policy.h"
#include "util.h"

bool sandbox_syscall_known(const char *name)
{
	return seccomp_syscall_resolve_name(name) != __NR_SCMP_ERROR &&
	       seccomp_policy_extra_ok(name);
}

/* The node's one seccomp policy (lib/policy), the same pods get, plus the service's own names;
 * then the filter that logs the dangerous refusals. */
static int apply_seccomp(const ServiceConfig *c)
{
	scmp_filter_ctx ctx;
	int r;

	if (!c->seccomp)
		return 0;
	r = seccomp_policy_compile((const char *const *)c->syscalls, c->n_syscalls, &ctx);
	if (r < 0)
		return r;
	r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r < 0)
		return r;
	/* Stacked on top: the dangerous refusals logged (docs/events.md, the audit stream). */
	r = seccomp_policy_compile_log((const char *const *)c->syscalls, c->n_syscalls, &ctx);
	if (r < 0)
		return r;
	r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r;
}

static int landlock_add(int ruleset, const char *path, __u64 access)
{
	struct landlock_path_beneath_attr pb = { .allowed_access = access };
	int r;

	struct stat st;

	pb.parent_fd = open(path, O_PATH | O_CLOEXEC);
	if (pb.parent_fd < 0)
		return errno == ENOENT ? 0 : -errno;
	/* A rule on a file may only carry the rights that apply to files. */
	if (fstat(pb.parent_fd, &st) == 0 && !S_ISDIR(st.st_mode))
		pb.allowed_access &= LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE |
				     LANDLOCK_ACCESS_FS_WRITE_FILE;
	r = (int)syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
	close(pb.parent_fd);
	return r < 0 ? -errno : 0;
}

#define FS_READ                                                                                    \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define FS_WRITE                                                                                   \
	(LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |                           \
	 LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |                           \
	 LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK | \
	 LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM)

/* Read (and execute) below the root's code and configuration and the service's ro paths; write
 * only below its rw paths. Everything else on every filesystem is denied. */
static int apply_landlock(const ServiceConfig *c)
{
	static const char *const base_ro[] = { "/usr", "/etc", "/dev/zero", "/dev/urandom",
					       "/proc/self" };
	struct landlock_ruleset_attr attr = { .handled_access_fs = FS_READ | FS_WRITE };
	int fd, r = 0;

	if (!c->landlock)
		return 0;
	fd = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (fd < 0)
		return -errno;
	for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(base_ro); i++)
		r = landlock_add(fd, base_ro[i], FS_READ);
	/* Every program writes to /dev/null; a private /tmp is the service's own. */
	if (r >= 0)
		r = landlock_add(fd, "/dev/null", FS_READ | FS_WRITE);
	if (r >= 0 && c->private_tmp)
		r = landlock_add(fd, "/tmp", FS_READ | FS_WRITE);
	for (unsigned i = 0; r >= 0 && i < c->n_ro; i++)
		r = landlock_add(fd, c->ro[i], FS_READ);
	for (unsigned i = 0; r >= 0 && i < c->n_rw; i++)
		r = landlock_add(fd, c->rw[i], FS_READ | FS_WRITE);
	if (r >= 0 && syscall(SYS_landlock_restrict_self, fd, 0) < 0)
		r = -errno;
	close(fd);
	return r;
}

static int remount_readonly(const MountInfo *m, void *data)
{
	struct statvfs sv;
	unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY;

	(void)data;
	if (statvfs(m->mount_point, &sv) < 0)
		return 0;
	flags |= (sv.f_flag & ST_NOSUID ? MS_NOSUID : 0) | (sv.f_flag & ST_NODEV ? MS_NODEV : 0) |
		 (sv.f_flag & ST_NOEXEC ? MS_NOEXEC : 0) | (sv.f_flag & ST_NOATIME ? MS_NOATIME : 0) |
		 (sv.f_flag & ST_RELATIME ? MS_RELATIME : 0);
	if (mount(NULL, m->mount_point, NULL, flags, NULL) < 0 && errno != EINVAL && errno != ENOENT)
		return -errno;
	return 0;
}

/* Every mount of the namespace read-only, keeping its other flags. */
static int remount_all_readonly(void)
{
	return mountinfo_foreach("/proc/self/mountinfo", remount_readonly, NULL);
}

/* A read-write view of path: bound onto itself, then remounted without MS_RDONLY. */
static int writable_view(const char *path)
{
	struct statvfs sv;
	unsigned long flags = MS_BIND | MS_REMOUNT;

	if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (statvfs(path, &sv) == 0)
		flags |= (sv.f_flag & ST_NOSUID ? MS_NOSUID : 0) | (sv.f_flag & ST_NODEV ? MS_NODEV : 0) |
			 (sv.f_flag & ST_NOEXEC ? MS_NOEXEC : 0);
	return mount(NULL, path, NULL, flags, NULL) < 0 ? -errno : 0;
}

/* Its own mount namespace: nothing it mounts reaches the host, every mount is a read-only view
 * but its writable_paths, and /tmp is a fresh tmpfs of its own. */
int sandbox_mounts(const ServiceConfig *c)
{
	int r;

	if (!c->private_tmp)
		return 0;
	/* writable_paths on /var and /run are the service's state: created when missing, owned
	 * by the service's user (a service with its own uid could not write a root-owned one) */
	for (unsigned i = 0; i < c->n_rw; i++)
		if ((startswith(c->rw[i], "/var/") || startswith(c->rw[i], "/run/")) &&
		    access(c->rw[i], F_OK) < 0 && errno == ENOENT && mkdir_p(c->rw[i], 0755) >= 0 &&
		    chown(c->rw[i], c->uid, c->gid) < 0)
			return -errno;
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	r = remount_all_readonly();
	if (r < 0)
		return r;
	for (unsigned i = 0; i < c->n_rw; i++) {
		r = writable_view(c->rw[i]);
		if (r < 0)
			return r;
	}
	if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=10%") < 0)
		return -errno;
	return 0;
}

int sandbox_confine(const ServiceConfig *c, const char **what)
{
	int r;

	*what = "Landlock ruleset";
	r = apply_landlock(c);
	if (r < 0)
		return r;
	*what = "seccomp filter";
	return apply_seccomp(c);
}

int sandbox_drop_bounding(const ServiceConfig *c)
{
	for (cap_value_t cap = 0; cap <= CAP_LAST_CAP; cap++)
		if (!(c->caps & (1ULL << cap)) && cap_drop_bound(cap) < 0 && errno != EINVAL)
			return -errno;
	return 0;
}

int sandbox_drop_privileges(const ServiceConfig *c)
{
	cap_value_t list[64];
	int n = 0, r = 0;
	cap_t caps;

	for (cap_value_t cap = 0; cap <= CAP_LAST_CAP; cap++)
		if (c->caps & (1ULL << cap))
			list[n++] = cap;
	caps = cap_init();
	if (!caps)
		return -errno;
	if ((n > 0 && (cap_set_flag(caps, CAP_PERMITTED, n, list, CAP_SET) < 0 ||
		       cap_set_flag(caps, CAP_EFFECTIVE, n, list, CAP_SET) < 0 ||
		       cap_set_flag(caps, CAP_INHERITABLE, n, list, CAP_SET) < 0)) ||
	    cap_set_proc(caps) < 0)
		r = -errno;
	cap_free(caps);
	if (r < 0)
		return r;
	if (cap_reset_ambient() < 0)
		return -errno;
	for (int i = 0; i < n; i++)
		if (cap_set_ambient(list[i], CAP_SET) < 0)
			return -errno;
	if (c->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return 0;
}
