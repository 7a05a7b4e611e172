/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-test-probe: in-guest checks of the node's hardening that need system calls busybox cannot
 * make. Static, in test images only. Each check prints "NAME ERRNO-NAME" (or "NAME ok") and the
 * agent compares it with the exact errno it expects. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
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

int main(void)
{
	static const char image[] = "not a module";
	int fd;

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
