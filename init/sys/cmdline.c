/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hex.h"
#include "cmdline.h"
#include "log.h"
#include "util.h"

#define WORD_MAX 512

void cmdline_init(KccCmdline *c)
{
	memset(c, 0, sizeof(*c));
	c->on_failure = FAILURE_POWEROFF;
	c->rootwait_s = 30;
	c->bless_timeout_s = 120;
	c->watchdog_s = 60;
}

bool hostname_is_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > KCC_HOSTNAME_MAX || s[0] == '-' || s[0] == '.' || s[n - 1] == '-' ||
	    s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!(isascii((unsigned char)c) && (isalnum((unsigned char)c) || c == '-' || c == '.')))
			return false;
		if (c == '.' && s[i + 1] == '.')
			return false;
	}
	return true;
}

/* kcc.KEY=S, a number of seconds in min..max (or 0 when zero_ok), with one error line. */
static int parse_seconds(const char *key, const char *val, unsigned min, unsigned max, bool zero_ok,
			 unsigned *ret, char *err, size_t errlen)
{
	unsigned long v;
	int r = parse_uint(val, zero_ok ? 0 : min, max, &v);

	if (r == 0 && zero_ok && v > 0 && v < min)
		r = -ERANGE;
	if (r < 0)
		return errorf(err, errlen, r, "kcc.%s=%.40s is not %sa number of seconds in %u..%u", key,
			      val ? val : "", zero_ok ? "0 (off) or " : "", min, max);
	*ret = (unsigned)v;
	return 0;
}

static int parse_bool(const char *v, bool *ret)
{
	if (!v || streq(v, "1") || streq(v, "yes") || streq(v, "true") || streq(v, "on"))
		*ret = true;
	else if (streq(v, "0") || streq(v, "no") || streq(v, "false") || streq(v, "off"))
		*ret = false;
	else
		return -EINVAL;
	return 0;
}

#define FAIL(r, ...) return errorf(err, errlen, (r), __VA_ARGS__)

static int parse_option(KccCmdline *c, const char *key, const char *val, char *err, size_t errlen)
{
	if (streq(key, "roothash")) {
		int n;
		if (!val || !*val)
			FAIL(-EINVAL, "kcc.roothash= needs a value");
		n = unhex(val, strlen(val), c->roothash, sizeof(c->roothash));
		if (n != 32 && n != 64)
			FAIL(-EINVAL, "kcc.roothash=%.80s is not 64 or 128 hex digits", val);
		c->roothash_size = (size_t)n;
	} else if (streq(key, "slot")) {
		if (!val || (!streq(val, "a") && !streq(val, "b")))
			FAIL(-EINVAL, "kcc.slot=%.40s is not 'a' or 'b'", val ? val : "");
		c->slot = val[0];
	} else if (streq(key, "debug")) {
		if (parse_bool(val, &c->debug) < 0)
			FAIL(-EINVAL, "kcc.debug=%.40s is not a boolean", val);
	} else if (streq(key, "on_failure")) {
		if (val && streq(val, "poweroff"))
			c->on_failure = FAILURE_POWEROFF;
		else if (val && streq(val, "reboot"))
			c->on_failure = FAILURE_REBOOT;
		else
			FAIL(-EINVAL, "kcc.on_failure=%.40s is not 'poweroff' or 'reboot'",
			     val ? val : "");
	} else if (streq(key, "rootwait")) {
		return parse_seconds(key, val, 1, 600, false, &c->rootwait_s, err, errlen);
	} else if (streq(key, "bless_timeout")) {
		return parse_seconds(key, val, 10, 3600, false, &c->bless_timeout_s, err, errlen);
	} else if (streq(key, "watchdog")) {
		return parse_seconds(key, val, 10, 600, true, &c->watchdog_s, err, errlen);
	} else if (streq(key, "hostname")) {
		if (!val || !hostname_is_valid(val))
			FAIL(-EINVAL, "kcc.hostname=%.80s is not a valid host name", val ? val : "");
		snprintf(c->hostname, sizeof(c->hostname), "%s", val);
	} else
		FAIL(-EINVAL, "unknown option kcc.%.80s", key);
	return 0;
}

int cmdline_parse(const char *line, KccCmdline *ret, char *err, size_t errlen)
{
	KccCmdline c;
	const char *p = line;

	cmdline_init(&c);
	for (;;) {
		char word[WORD_MAX];
		size_t n = 0;
		bool quoted = false;
		const char *rest;
		char *eq;
		int r;

		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		/* The kernel's rule: double quotes group, and are removed. */
		for (; *p && (quoted || !isspace((unsigned char)*p)); p++) {
			if (*p == '"') {
				quoted = !quoted;
				continue;
			}
			if (n + 1 >= sizeof(word))
				FAIL(-E2BIG, "a command line word is longer than %d bytes", WORD_MAX - 1);
			word[n++] = *p;
		}
		word[n] = '\0';
		if (quoted)
			FAIL(-EINVAL, "unbalanced quote on the command line");
		rest = startswith(word, "kcc.");
		if (!rest)
			continue;
		eq = strchr(word, '=');
		if (eq)
			*eq = '\0';
		r = parse_option(&c, rest, eq ? eq + 1 : NULL, err, errlen);
		if (r < 0)
			return r;
	}
	*ret = c;
	return 0;
}

int cmdline_load(KccCmdline *ret, char *raw, size_t rawsize)
{
	_cleanup_free_ char *line = NULL;
	char err[160];
	int r;

	r = read_small_file("/proc/cmdline", CMDLINE_MAX, &line);
	if (r < 0)
		return log_error_errno(r, "Failed to read /proc/cmdline: %m");
	if (raw)
		snprintf(raw, rawsize, "%.*s", (int)strcspn(line, "\n"), line);
	r = cmdline_parse(line, ret, err, sizeof(err));
	if (r < 0)
		return log_error_errno(r, "Bad kernel command line: %s", err);
	log_set_debug(ret->debug);
	return 0;
}
