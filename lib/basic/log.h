/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Logging: each line "IDENT: message", to /dev/kmsg once log_open_kmsg() opened it (kcc-init),
 * else to stderr in one write (kcc-kubelet, whose stderr its supervisor puts into the boot log). */
#pragma once

#include <stdbool.h>
#include <syslog.h>

#include "util.h"

void log_open_kmsg(void);
/* The same for another path than /dev/kmsg (a unit test's pipe). */
void log_open_kmsg_at(const char *path);
/* Lines to stderr only, with ident as their prefix ("kcc-kubelet"); closes kmsg if it was open. */
void log_open_stderr(const char *ident);
void log_set_debug(bool on);
void log_set_ident(const char *ident);
bool log_debug_enabled(void);

/* Logs at level; when error != 0 sets errno to |error| so %m prints it; returns -|error|. */
int log_internal(int level, int error, const char *fmt, ...) _printf_(3, 4);
/* The text of the last line logged at error level or worse ("" before any): a fail-closed path
 * keeps it as the failure's reason (lib/events/failed-boot.h). */
const char *log_last_error(void);
/* Writes one raw line that a service printed, with its name as prefix. */
void log_service_line(const char *service, const char *line, size_t len);

#define log_debug(...) (log_debug_enabled() ? log_internal(LOG_DEBUG, 0, __VA_ARGS__) : 0)
#define log_info(...) log_internal(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) log_internal(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...) log_internal(LOG_ERR, 0, __VA_ARGS__)
#define log_warning_errno(e, ...) log_internal(LOG_WARNING, (e), __VA_ARGS__)
#define log_error_errno(e, ...) log_internal(LOG_ERR, (e), __VA_ARGS__)
#define log_debug_errno(e, ...)                                                                  \
	(log_debug_enabled() ? log_internal(LOG_DEBUG, (e), __VA_ARGS__) : -abs(e))
