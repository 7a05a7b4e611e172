/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dgram.h"
#include "failed-boot.h"
#include "inbox.h"
#include "log.h"
#include "util.h"

static bool inbox_name(const char *n)
{
	size_t l = strlen(n), p = strlen(FAILED_BOOT_INBOX_PREFIX), s = strlen(FAILED_BOOT_INBOX_SUFFIX);

	return l > p + s && strncmp(n, FAILED_BOOT_INBOX_PREFIX, p) == 0 &&
	       streq(n + l - s, FAILED_BOOT_INBOX_SUFFIX);
}

/* One file: 1 spooled, 0 dropped (malformed), -errno when it must stay (spooling failed). */
static int take_one(int dfd, const char *name, int (*spool_event)(Event *e))
{
	char buf[EVENT_DGRAM_MAX + 1];
	_cleanup_free_ Event *e = calloc(1, sizeof(*e));
	_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	ssize_t n;
	int r;

	if (!e)
		return -ENOMEM;
	if (fd < 0)
		return log_warning_errno(-errno, "inbox: Failed to open %s: %m", name);
	n = read(fd, buf, sizeof(buf));
	if (n < 0)
		return log_warning_errno(-errno, "inbox: Failed to read %s: %m", name);
	r = event_dgram_parse(buf, (size_t)n, e);
	if (r < 0 || e->id != EV_BOOT_FAILED_EARLIER) {
		log_warning("inbox: %s is not a failed boot's event, deleting it", name);
		return 0;
	}
	e->pid = 1; /* PID 1 reported it */
	r = spool_event(e);
	return r < 0 ? r : 1;
}

int inbox_take(const char *dir, int (*spool_event)(Event *e))
{
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;
	struct dirent *de;
	int taken = 0;

	if (dfd < 0)
		return -errno;
	d = opendir_at(dfd, NULL);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		int r;

		if (!inbox_name(de->d_name))
			continue;
		r = take_one(dfd, de->d_name, spool_event);
		if (r < 0)
			continue; /* kept: tried again at the next start */
		/* spooled (or worthless): only now gone; a power cut before leaves a duplicate */
		if (unlinkat(dfd, de->d_name, 0) < 0)
			log_warning_errno(-errno, "inbox: Failed to delete %s: %m", de->d_name);
		taken += r;
	}
	closedir(d);
	(void)fsync(dfd);
	return taken;
}
