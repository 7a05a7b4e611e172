/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <sys/auxv.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>

#include "cryptsetup.h"
#include "exitrd.h"
#include "log.h"
#include "mountinfo.h"
#include "stage-state.h"
#include "stage-verity.h"

static int copy_file(const char *src, const char *dst)
{
	_cleanup_close_ int in = -EBADF, out = -EBADF;
	struct stat st;
	char dir[512];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", dst);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		(void)mkdir_p(dir, 0755);
	}
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0 || fstat(in, &st) < 0)
		return -errno;
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 07755);
	if (out < 0)
		return errno == EEXIST ? 0 : -errno;
	for (off_t left = st.st_size; left > 0;) {
		ssize_t k = sendfile(out, in, NULL, (size_t)left);
		if (k <= 0)
			return k < 0 ? -errno : -EIO;
		left -= k;
	}
	return 0;
}

/* The dynamic loader's path as the kernel looks it up (PT_INTERP), often a symlink that the
 * mapped file names of /proc/self/maps do not show. */
static const char *interpreter_path(void)
{
	const ElfW(Phdr) *ph = (const ElfW(Phdr) *)getauxval(AT_PHDR);
	unsigned long n = getauxval(AT_PHNUM);
	uintptr_t base = 0;

	if (!ph)
		return NULL;
	for (unsigned long i = 0; i < n; i++)
		if (ph[i].p_type == PT_PHDR)
			base = (uintptr_t)ph - ph[i].p_vaddr;
	for (unsigned long i = 0; i < n; i++)
		if (ph[i].p_type == PT_INTERP)
			return (const char *)(base + ph[i].p_vaddr);
	return NULL;
}

int exitrd_populate(const char *dir)
{
	_cleanup_fclose_ FILE *maps = NULL;
	const char *interp = interpreter_path();
	char line[1024], dst[600];
	int r;

	snprintf(dst, sizeof(dst), "%s/kcc-init", dir);
	r = copy_file("/proc/self/exe", dst);
	if (r < 0)
		return r;
	if (interp) {
		snprintf(dst, sizeof(dst), "%s%s", dir, interp);
		r = copy_file(interp, dst);
		if (r < 0)
			return r;
	}
	maps = fopen("/proc/self/maps", "re");
	if (!maps)
		return -errno;
	while (fgets(line, sizeof(line), maps)) {
		char *path = strchr(line, '/');
		if (!path)
			continue;
		path[strcspn(path, "\n")] = '\0';
		if (strstr(path, " (deleted)"))
			continue;
		snprintf(dst, sizeof(dst), "%s%s", dir, path);
		r = copy_file(path, dst);
		if (r < 0)
			return r;
	}
	return 0;
}

static int cmp_longest_first(const void *a, const void *b)
{
	size_t la = strlen(*(char *const *)a), lb = strlen(*(char *const *)b);

	return la < lb ? 1 : la > lb ? -1 : strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct OldMounts {
	char *paths[128];
	unsigned n;
} OldMounts;

static int collect_oldroot(const MountInfo *m, void *data)
{
	OldMounts *o = data;

	if (o->n < ARRAY_SIZE(o->paths) && startswith(m->mount_point, "/oldroot") &&
	    (o->paths[o->n] = strdup(m->mount_point)))
		o->n++;
	return 0;
}

_Noreturn void exitrd_run(ShutdownAction a)
{
	OldMounts old = { .n = 0 };
	char **mounts = old.paths;
	unsigned n, failed = 0;
	int r;

	log_open_kmsg();
	r = mountinfo_foreach("/proc/self/mountinfo", collect_oldroot, &old);
	if (r < 0)
		log_warning_errno(r, "Failed to read the mount table, unmounting what was read: %m");
	n = old.n;
	/* Mounts moved in from the initrd come before the root in mountinfo, so the order there says
	 * nothing: a child's path is always longer than its parent's, so unmount longest first. */
	qsort(mounts, n, sizeof(char *), cmp_longest_first);
	for (unsigned i = 0; i < n; i++) {
		char *mp = mounts[i];
		const char *shown;

		shown = mp[strlen("/oldroot")] ? mp + strlen("/oldroot") : "/";
		if (umount2(mp, 0) == 0)
			log_info("unmounted %s", shown);
		else if (umount2(mp, MNT_DETACH) == 0)
			log_warning("detached busy mount %s", shown);
		else {
			log_warning_errno(-errno, "Failed to unmount %s: %m", mp);
			failed++;
		}
		free(mp);
	}
	/* The state volume lives on /var, below the root: close it first. */
	r = dm_close(STATE_DM_NAME);
	if (r < 0 && r != -ENODEV)
		log_warning_errno(r, "Failed to close LUKS2 device %s: %m", STATE_DM_NAME);
	else if (r == 0)
		log_info("closed LUKS2 device %s", STATE_DM_NAME);
	r = dm_close(VERITY_ROOT_NAME);
	if (r < 0 && r != -ENODEV)
		log_warning_errno(r, "Failed to close verity device %s: %m", VERITY_ROOT_NAME);
	else if (r == 0)
		log_info("closed verity device %s", VERITY_ROOT_NAME);
	log_info("shutdown complete (%u mounts left)", failed);
	shutdown_reboot(a);
}
