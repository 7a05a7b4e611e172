/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <stdarg.h>
#include <sys/uio.h>

#include "log.h"

static int kmsg_fd = -EBADF;
static bool debug_on;
static const char *ident = "kcc-init";

void log_open_kmsg_at(const char *path)
{
	if (kmsg_fd >= 0)
		return;
	kmsg_fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
}

void log_open_kmsg(void)
{
	log_open_kmsg_at("/dev/kmsg");
}

void log_open_stderr(const char *s)
{
	if (kmsg_fd >= 0)
		close(kmsg_fd);
	kmsg_fd = -EBADF;
	ident = s;
}

void log_set_debug(bool on)
{
	debug_on = on;
}

bool log_debug_enabled(void)
{
	return debug_on;
}

void log_set_ident(const char *s)
{
	ident = s;
}

static void emit(int level, const char *prefix, const char *msg, size_t len)
{
	char head[96];
	int hl;

	/* Debug lines are written at notice level so that kcc.debug makes them visible. */
	if (level == LOG_DEBUG)
		level = LOG_NOTICE;
	if (kmsg_fd >= 0) {
		/* the newline ends the record: without it the kernel keeps the record open for a
		 * continuation and the console does not print it until another message comes (the
		 * last line of a quiet boot would never show) */
		hl = snprintf(head, sizeof(head), "<%d>%s: ", level, prefix);
		struct iovec iov[3] = { { head, (size_t)hl }, { (void *)msg, len }, { (void *)"\n", 1 } };
		if (writev(kmsg_fd, iov, 3) >= 0)
			return;
	}
	hl = snprintf(head, sizeof(head), "%s: ", prefix);
	struct iovec iov[3] = { { head, (size_t)hl }, { (void *)msg, len }, { (void *)"\n", 1 } };
	(void)!writev(STDERR_FILENO, iov, 3);
}

static char last_error[256];

int log_internal(int level, int error, const char *fmt, ...)
{
	char buf[1024];
	int saved = errno, n;
	va_list ap;

	if (error != 0)
		errno = abs(error);
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	emit(level, ident, buf, (size_t)n);
	if (level <= LOG_ERR)
		snprintf(last_error, sizeof(last_error), "%.*s", n, buf);
	errno = saved;
	return -abs(error);
}

const char *log_last_error(void)
{
	return last_error;
}

void log_service_line(const char *service, const char *line, size_t len)
{
	char prefix[64];

	snprintf(prefix, sizeof(prefix), "%s[%s]", ident, service);
	emit(LOG_NOTICE, prefix, line, len);
}
