/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <sys/mman.h>

#include "exitrd-handoff.h"
#include "util.h"

#define MAGIC "kcc-exitrd "
#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

int exitrd_handoff_give(const char *action)
{
	_cleanup_close_ int fd = -EBADF;
	char text[64];
	int n;

	n = snprintf(text, sizeof(text), MAGIC "%s", action);
	if (n < 0 || (size_t)n >= sizeof(text))
		return -EINVAL;
	fd = memfd_create("kcc-exitrd", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	if (write(fd, text, (size_t)n) != n)
		return -EIO;
	if (fcntl(fd, F_ADD_SEALS, SEALS) < 0)
		return -errno;
	if (fd == EXITRD_HANDOFF_FD)
		return fcntl(fd, F_SETFD, 0) < 0 ? -errno : TAKE_FD(fd);
	/* dup2 leaves the copy without FD_CLOEXEC: it survives the exec */
	if (dup2(fd, EXITRD_HANDOFF_FD) < 0)
		return -errno;
	return EXITRD_HANDOFF_FD;
}

int exitrd_handoff_take(char *ret, size_t len)
{
	char text[64];
	const char *action;
	ssize_t n;
	int seals;

	seals = fcntl(EXITRD_HANDOFF_FD, F_GET_SEALS);
	if (seals < 0)
		return 0; /* not open, or not a memfd */
	if ((seals & SEALS) != SEALS)
		return 0;
	n = pread(EXITRD_HANDOFF_FD, text, sizeof(text) - 1, 0);
	if (n <= 0)
		return 0;
	text[n] = '\0';
	action = startswith(text, MAGIC);
	if (!action || strlen(action) >= len)
		return 0;
	strcpy(ret, action);
	close(EXITRD_HANDOFF_FD);
	return 1;
}
