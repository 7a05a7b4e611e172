/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <limits.h>
#include <sys/inotify.h>

#include "log.h"
#include "loop.h"
#include "manifest-watch.h"
#include "util.h"

/* Complete writes, renames in and out, removals; and the folder itself going away. Not a
 * creation: a file created by cp or a shell's > is read once it is closed (IN_CLOSE_WRITE), not
 * half-written (a hard link or a FIFO made there is seen with the next event, or SIGHUP). */
#define WATCH_MASK                                                                               \
	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF |  \
	 IN_ONLYDIR)

static Source src;
static void (*on_change)(void);

static void on_inotify(Source *s, uint32_t events)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool changed = false;
	ssize_t k;

	(void)events;
	while ((k = read(s->fd, buf, sizeof(buf))) > 0)
		for (char *p = buf; p < buf + k;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			if (ev->mask & IN_Q_OVERFLOW)
				log_info("manifest folders: inotify queue overflow, rescanning");
			if (ev->mask & IN_IGNORED)
				log_info("a manifest folder is gone and no longer watched");
			/* hidden files (an editor's or an installer's temporary) are no manifests */
			if (!(ev->len > 0 && ev->name[0] == '.'))
				changed = true;
			p += sizeof(*ev) + ev->len;
		}
	if (changed)
		on_change();
}

int manifest_watch_start(const char *const *dirs, void (*changed)(void))
{
	_cleanup_close_ int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	int r;

	if (fd < 0)
		return -errno;
	for (size_t i = 0; dirs[i]; i++)
		if (inotify_add_watch(fd, dirs[i], WATCH_MASK) < 0)
			log_info("manifest folder %s is not watched: %m", dirs[i]);
	on_change = changed;
	r = loop_add(&src, fd, on_inotify);
	if (r < 0)
		return r;
	TAKE_FD(fd);
	return 0;
}
