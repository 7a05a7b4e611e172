/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small helpers shared by every kcc binary: cleanup attributes, errno conversion, string checks. */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _noreturn_ __attribute__((noreturn))
#define _cleanup_(f) __attribute__((cleanup(f)))

/* Converts a libc "-1 and errno" result into -errno. */
#define RET_NERRNO(expr)                                                                        \
	({                                                                                      \
		long _r = (long)(expr);                                                         \
		_r < 0 ? -errno : (int)_r;                                                      \
	})

/* Hands ownership out of a _cleanup_ variable. */
#define TAKE_PTR(p)                                                                             \
	({                                                                                      \
		__typeof__(p) _p = (p);                                                         \
		(p) = NULL;                                                                     \
		_p;                                                                             \
	})
#define TAKE_FD(fd)                                                                             \
	({                                                                                      \
		int _fd = (fd);                                                                 \
		(fd) = -EBADF;                                                                  \
		_fd;                                                                            \
	})

static inline void freep(void *p)
{
	free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -EBADF;
}
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

static inline bool streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

/* Returns the rest of s after prefix, or NULL when s does not start with it. */
static inline const char *startswith(const char *s, const char *prefix)
{
	size_t l = strlen(prefix);
	return strncmp(s, prefix, l) == 0 ? s + l : NULL;
}

/* The index of s in a table of n names (NULL entries skipped), or -EINVAL: the _from_string() half
 * of an enum's name table. */
static inline int string_table_lookup(const char *const *table, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (table[i] && streq(table[i], s))
			return (int)i;
	return -EINVAL;
}

/* Wipes memory in a way the compiler cannot drop. */
static inline void explicit_wipe(void *p, size_t n)
{
	explicit_bzero(p, n);
}

/* PID 1: the kernel opens /dev/console as 0, 1, 2; where that failed, /dev/null takes their place
 * so that they are never reused for something else. */
void ensure_std_fds(void);
/* Milliseconds of CLOCK_MONOTONIC (close to the kernel's uptime, the clock of the boot timeline). */
unsigned long long now_ms(void);

/* Writes a whole string to a file (sysfs, procfs, cgroupfs), no O_CREAT. */
int write_string_file(const char *path, const char *s);
int write_string_fileat(int dirfd, const char *path, const char *s);
/* Creates (or truncates) a regular file with s as its content. */
int write_new_file(const char *path, const char *s, mode_t mode);
/* Replaces path with data atomically and durably: PATH.tmp written with mode (set before any
 * byte, whatever the umask), fsync'd, renamed over path, then the folder fsync'd. A reader sees
 * the old file or the new one; a leftover PATH.tmp of a power cut is removed first. */
int replace_file_durably(const char *path, const void *data, size_t size, unsigned mode);
/* The same, the file given to uid:gid before its rename (for a folder of another service, whose
 * owner reads it); (uid_t)-1 or (gid_t)-1 keeps that id the caller's. */
int replace_file_durably_owned(const char *path, const void *data, size_t size, unsigned mode,
			       uid_t uid, gid_t gid);
/* Reads a small file into a NUL-terminated buffer (max bytes, newline kept). */
int read_small_file(const char *path, size_t max, char **ret);
/* Opens the folder NAME below dfd (or a duplicate of dfd itself when name is NULL) for readdir,
 * close-on-exec, never following a symbolic link; NULL with errno set on failure. */
DIR *opendir_at(int dfd, const char *name);
/* mkdir -p with mode, ignoring EEXIST. */
int mkdir_p(const char *path, mode_t mode);
/* Formats a reason into err (errlen bytes) and returns r: "return errorf(err, n, -EINVAL, ...)". */
int errorf(char *err, size_t errlen, int r, const char *fmt, ...) _printf_(4, 5);
/* Command-line tools: prints "PROGRAM: reason" and a newline to stderr and returns code, the exit
 * code to give: "return cli_fail(100, ...)". */
int cli_fail(int code, const char *fmt, ...) _printf_(2, 3);
/* strtoul for bounded decimal values with full validation. */
int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *ret);
