/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/basic/log.c with its stderr target: each line "IDENT: message\n" in one write, %m of the
 * error given, the -errno result, errno kept, debug lines only when enabled, a service's lines
 * with its name, and an overlong message cut instead of split; its kmsg records end with a newline. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

#include "log.h"
#include "util.h"

static int rfd = -EBADF;

/* stderr into a pipe, read back after each line */
static int setup(void **state)
{
	int p[2];

	(void)state;
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0 || dup2(p[1], STDERR_FILENO) < 0)
		return -1;
	close(p[1]);
	rfd = p[0];
	log_open_stderr("kcc-test-ident");
	return 0;
}

static const char *got(void)
{
	static char buf[4096];
	ssize_t k = read(rfd, buf, sizeof(buf) - 1);

	buf[k > 0 ? k : 0] = '\0';
	return buf;
}

static void test_lines(void **state)
{
	(void)state;
	assert_int_equal(log_info("pod %s is ready", "a/b"), 0);
	assert_string_equal(got(), "kcc-test-ident: pod a/b is ready\n");
	errno = EBUSY;
	assert_int_equal(log_error_errno(-ENOENT, "cannot open %s: %m", "x"), -ENOENT);
	assert_int_equal(errno, EBUSY);
	assert_string_equal(got(), "kcc-test-ident: cannot open x: No such file or directory\n");
	assert_int_equal(log_warning_errno(EACCES, "w"), -EACCES);
	assert_string_equal(got(), "kcc-test-ident: w\n");
	log_set_debug(false);
	assert_int_equal(log_debug("hidden"), 0);
	assert_string_equal(got(), "");
	log_set_debug(true);
	log_debug("shown");
	assert_string_equal(got(), "kcc-test-ident: shown\n");
	log_set_debug(false);
	log_service_line("svc", "hello", 5);
	assert_string_equal(got(), "kcc-test-ident[svc]: hello\n");
}

static void test_long_line(void **state)
{
	char big[3000];
	const char *line;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_info("%s", big);
	line = got();
	/* one line, cut at the buffer, its newline kept */
	assert_true(strlen(line) < 1100);
	assert_true(startswith(line, "kcc-test-ident: xxx"));
	assert_int_equal(line[strlen(line) - 1], '\n');
	assert_null(strchr(line, '\n') + 1 < line + strlen(line) ? "two lines" : NULL);
}

/* The kmsg target (a pipe here): each record "<LEVEL>IDENT: message" ends with its newline, or
 * the kernel holds the last one back from the console (the production image's last line, "pod
 * kcc-web/web is ready", never showed). */
static void test_kmsg_records(void **state)
{
	char path[64];
	int p[2];

	(void)state;
	assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", p[1]);
	log_open_kmsg_at(path);
	log_info("pod %s is ready", "kcc-web/web");
	log_error("x");
	log_service_line("svc", "line", 4);
	char buf[256];
	ssize_t k = read(p[0], buf, sizeof(buf) - 1);
	assert_true(k > 0);
	buf[k] = '\0';
	assert_string_equal(buf, "<5>kcc-test-ident: pod kcc-web/web is ready\n<3>kcc-test-ident: x\n"
				 "<5>kcc-test-ident[svc]: line\n");
	log_open_stderr("kcc-test-ident"); /* closes the kmsg target */
	log_info("back");
	assert_string_equal(got(), "kcc-test-ident: back\n");
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_kmsg_records),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
