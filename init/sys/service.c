/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <linux/capability.h>
#include <stdio.h>
#include <strings.h>

#include "caps.h"
#include "kv.h"
#include "service.h"
#include "util.h"

bool service_name_is_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > SERVICE_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-' ||
		      s[i] == '_'))
			return false;
	return true;
}

void service_config_done(ServiceConfig *c)
{
	for (unsigned i = 0; i < c->n_args; i++)
		free(c->argv[i]);
	for (unsigned i = 0; i < c->n_env; i++)
		free(c->env[i]);
	for (unsigned i = 0; i < c->n_after; i++)
		free(c->after[i]);
	for (unsigned i = 0; i < c->n_syscalls; i++)
		free(c->syscalls[i]);
	for (unsigned i = 0; i < c->n_ro; i++)
		free(c->ro[i]);
	for (unsigned i = 0; i < c->n_rw; i++)
		free(c->rw[i]);
	free(c->condition);
	free(c->wait_path);
	memset(c, 0, sizeof(*c));
}

uid_t service_default_uid(const char *name)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 16777619u;
	return (uid_t)(SERVICE_UID_MIN + h % (SERVICE_UID_MAX - SERVICE_UID_MIN + 1));
}

static bool uid_taken(ServiceConfig *const *c, unsigned n, uid_t uid)
{
	for (unsigned i = 0; i < n; i++)
		if (c[i]->uid == uid)
			return true;
	return false;
}

int service_assign_uids(ServiceConfig *const *c, unsigned n)
{
	const unsigned span = SERVICE_UID_MAX - SERVICE_UID_MIN + 1;

	for (unsigned i = 0; i < n; i++) {
		uid_t uid = service_default_uid(c[i]->name);
		unsigned tries = 0;

		if (c[i]->uid != SERVICE_UID_AUTO)
			continue;
		while (uid_taken(c, n, uid)) {
			if (++tries == span)
				return -ENOSPC;
			uid = uid == SERVICE_UID_MAX ? SERVICE_UID_MIN : uid + 1;
		}
		c[i]->uid = uid;
		c[i]->gid = (gid_t)uid;
	}
	return 0;
}

#define FAIL(r, ...)                                                                            \
	do {                                                                                    \
		int _o = snprintf(err, errlen, "line %u: ", lineno);                            \
		if (_o >= 0 && (size_t)_o < errlen)                                             \
			snprintf(err + _o, errlen - (size_t)_o, __VA_ARGS__);                   \
		return (r);                                                                     \
	} while (0)

/* Splits v into words: whitespace separates, double quotes group, backslash escapes " and \. */
static int split_words(const char *v, ServiceConfig *c, unsigned lineno, char *err, size_t errlen)
{
	const char *p = v;

	for (;;) {
		char word[SERVICE_LINE_MAX];
		size_t n = 0;
		bool quoted = false, any = false;

		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		for (; *p && (quoted || !isspace((unsigned char)*p)); p++) {
			any = true;
			if (*p == '"') {
				quoted = !quoted;
				continue;
			}
			if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
				p++;
			word[n++] = *p; /* n < line length < sizeof(word) */
		}
		if (quoted)
			FAIL(-EINVAL, "unbalanced quote in exec=");
		if (!any)
			break;
		word[n] = '\0';
		if (c->n_args >= SERVICE_ARGS_MAX)
			FAIL(-E2BIG, "more than %d words in exec=", SERVICE_ARGS_MAX);
		c->argv[c->n_args] = strdup(word);
		if (!c->argv[c->n_args])
			return -ENOMEM;
		c->n_args++;
	}
	return 0;
}

static int parse_ms(const char *v, unsigned long max, unsigned *ret)
{
	unsigned long x;
	int r = parse_uint(v, 1, max, &x);

	if (r < 0)
		return r;
	*ret = (unsigned)x;
	return 0;
}

bool (*service_syscall_check)(const char *name);

static bool syscall_name_ok(const char *w)
{
	if (service_syscall_check)
		return service_syscall_check(w);
	for (const char *p = w; *p; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '_')
			return false;
	return *w != '\0';
}

/* "CAP_A cap_b ..." or "all", the names of linux/capability.h in either case. */
static int parse_caps(const char *v, uint64_t *caps)
{
	char buf[SERVICE_LINE_MAX], *save = NULL;
	uint64_t m = 0;

	if (streq(v, "all")) {
		*caps = ~0ULL;
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", v);
	for (char *w = strtok_r(buf, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		int cap;

		if (cap_from_string(w, &cap) < 0 || cap > 63)
			return -EINVAL;
		m |= 1ULL << cap;
	}
	*caps = m;
	return 0;
}

/* "max", or a number (with K/M/G when bytes); normalised to what cgroupfs takes. */
static int parse_limit(const char *v, bool bytes, char *out, size_t size)
{
	unsigned long long n, mult = 1;
	char *end;

	if (streq(v, "max")) {
		snprintf(out, size, "max");
		return 0;
	}
	if (!isdigit((unsigned char)*v))
		return -EINVAL;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno)
		return -EINVAL;
	if (bytes && *end && !end[1])
		mult = *end == 'K' ? 1ULL << 10 : *end == 'M' ? 1ULL << 20 : *end == 'G' ? 1ULL << 30 : 0;
	else if (*end)
		return -EINVAL;
	if (mult == 0 || n == 0 || n > (1ULL << 50) / mult)
		return -EINVAL;
	snprintf(out, size, "%llu", n * mult);
	return 0;
}

static int parse_cpu_max(const char *v, char *out, size_t size)
{
	unsigned long quota, period;
	char buf[48], *save = NULL, *q, *p;

	if (streq(v, "max")) {
		snprintf(out, size, "max");
		return 0;
	}
	if (strlen(v) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", v);
	q = strtok_r(buf, " \t", &save);
	p = q ? strtok_r(NULL, " \t", &save) : NULL;
	if (!p || strtok_r(NULL, " \t", &save) || parse_uint(q, 1000, 10000000, &quota) < 0 ||
	    parse_uint(p, 1000, 1000000, &period) < 0)
		return -EINVAL;
	snprintf(out, size, "%lu %lu", quota, period);
	return 0;
}

/* Space-separated words into list: absolute paths, or known syscall names. */
static int add_words(const char *v, char **list, unsigned *n, unsigned max, bool paths)
{
	char buf[SERVICE_LINE_MAX], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", v);
	for (char *w = strtok_r(buf, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (paths ? (w[0] != '/' || strstr(w, "/../") || strstr(w, "/./"))
			  : !syscall_name_ok(w))
			return -EINVAL;
		if (*n >= max)
			return -E2BIG;
		if (!(list[*n] = strdup(w)))
			return -ENOMEM;
		(*n)++;
	}
	return 0;
}

static int parse_line(ServiceConfig *c, const char *key, const char *v, unsigned lineno,
		      bool *seen_exec, char *err, size_t errlen)
{
	int r;

	if (streq(key, "exec")) {
		if (*seen_exec)
			FAIL(-EINVAL, "exec= given twice");
		*seen_exec = true;
		r = split_words(v, c, lineno, err, errlen);
		if (r < 0)
			return r;
		if (c->n_args == 0 || c->argv[0][0] != '/')
			FAIL(-EINVAL, "exec= needs an absolute path");
	} else if (streq(key, "env")) {
		const char *eq = strchr(v, '=');
		if (!eq || eq == v)
			FAIL(-EINVAL, "env= needs KEY=VALUE");
		for (const char *k = v; k < eq; k++)
			if (!(isalnum((unsigned char)*k) || *k == '_'))
				FAIL(-EINVAL, "env= key '%.*s' is not a valid name", (int)(eq - v), v);
		if (c->n_env >= SERVICE_ENV_MAX)
			FAIL(-E2BIG, "more than %d env= lines", SERVICE_ENV_MAX);
		if (!(c->env[c->n_env] = strdup(v)))
			return -ENOMEM;
		c->n_env++;
	} else if (streq(key, "user")) {
		char buf[32];
		char *colon;
		unsigned long uid, gid;

		if (strlen(v) >= sizeof(buf))
			FAIL(-EINVAL, "user= '%s' is not UID:GID", v);
		strcpy(buf, v);
		colon = strchr(buf, ':');
		if (!colon)
			FAIL(-EINVAL, "user= '%s' is not UID:GID (numbers)", v);
		*colon = '\0';
		if (parse_uint(buf, 0, 65534, &uid) < 0 || parse_uint(colon + 1, 0, 65534, &gid) < 0)
			FAIL(-EINVAL, "user= '%s' is not UID:GID with numbers up to 65534", v);
		if ((uid >= SERVICE_UID_MIN && uid <= SERVICE_UID_MAX) ||
		    (gid >= SERVICE_UID_MIN && gid <= SERVICE_UID_MAX))
			FAIL(-ERANGE, "user= '%s' is in %u..%u, the range of per-service uids", v,
			     SERVICE_UID_MIN, SERVICE_UID_MAX);
		c->uid = (uid_t)uid;
		c->gid = (gid_t)gid;
	} else if (streq(key, "after")) {
		if (!service_name_is_valid(v))
			FAIL(-EINVAL, "after= '%s' is not a service name", v);
		if (c->n_after >= SERVICE_AFTER_MAX)
			FAIL(-E2BIG, "more than %d after= lines", SERVICE_AFTER_MAX);
		if (!(c->after[c->n_after] = strdup(v)))
			return -ENOMEM;
		c->n_after++;
	} else if (streq(key, "condition_path") || streq(key, "start_after_path")) {
		char **p = streq(key, "condition_path") ? &c->condition : &c->wait_path;
		if (*p)
			FAIL(-EINVAL, "%s= given twice", key);
		if (v[0] != '/' || strstr(v, "/../") || strstr(v, "/./") || strpbrk(v, " \t") ||
		    v[strlen(v) - 1] == '/' || strrchr(v, '/') == v)
			FAIL(-EINVAL, "%s= '%s' is not an absolute path of a file in a folder", key,
			     v);
		if (!(*p = strdup(v)))
			return -ENOMEM;
	} else if (streq(key, "restart")) {
		if (streq(v, "always"))
			c->restart = RESTART_ALWAYS;
		else if (streq(v, "on-failure"))
			c->restart = RESTART_ON_FAILURE;
		else if (streq(v, "never"))
			c->restart = RESTART_NEVER;
		else
			FAIL(-EINVAL, "restart= '%s' is not always, on-failure or never", v);
	} else if (streq(key, "restart_base_ms")) {
		if (parse_ms(v, 600000, &c->restart_base_ms) < 0)
			FAIL(-ERANGE, "restart_base_ms= '%s' is not 1..600000", v);
	} else if (streq(key, "restart_max_ms")) {
		if (parse_ms(v, 3600000, &c->restart_max_ms) < 0)
			FAIL(-ERANGE, "restart_max_ms= '%s' is not 1..3600000", v);
	} else if (streq(key, "stop_timeout_ms")) {
		if (parse_ms(v, 600000, &c->stop_timeout_ms) < 0)
			FAIL(-ERANGE, "stop_timeout_ms= '%s' is not 1..600000", v);
	} else if (streq(key, "start_timeout_ms")) {
		if (parse_ms(v, 3600000, &c->start_timeout_ms) < 0)
			FAIL(-ERANGE, "start_timeout_ms= '%s' is not 1..3600000", v);
	} else if (streq(key, "ready")) {
		const char *n;
		unsigned long fd;
		if (streq(v, "none"))
			c->ready_fd = -1;
		else if ((n = startswith(v, "fd:")) && parse_uint(n, 3, 99, &fd) == 0)
			c->ready_fd = (int)fd;
		else if ((n = startswith(v, "http:"))) {
			char port[8];
			const char *slash = strchr(n, '/');
			size_t pl = slash ? (size_t)(slash - n) : 0;
			unsigned long p;
			if (!slash || pl == 0 || pl >= sizeof(port) ||
			    strlen(slash) >= sizeof(c->ready_http_path) || strpbrk(slash, " \t\r\n"))
				FAIL(-EINVAL, "ready= '%s' is not http:PORT/PATH", v);
			memcpy(port, n, pl);
			port[pl] = '\0';
			if (parse_uint(port, 1, 65535, &p) < 0)
				FAIL(-EINVAL, "ready= '%s': the port must be 1..65535", v);
			c->ready_http_port = (unsigned)p;
			snprintf(c->ready_http_path, sizeof(c->ready_http_path), "%s", slash);
		} else
			FAIL(-EINVAL, "ready= '%s' is not none, fd:N (3..99) or http:PORT/PATH", v);
	} else if (streq(key, "capabilities")) {
		r = parse_caps(v, &c->caps);
		if (r < 0)
			FAIL(-EINVAL, "capabilities= '%s' is not a list of capability names", v);
	} else if (streq(key, "no_new_privs")) {
		if (streq(v, "yes"))
			c->no_new_privs = true;
		else if (streq(v, "no"))
			c->no_new_privs = false;
		else
			FAIL(-EINVAL, "no_new_privs= '%s' is not yes or no", v);
	} else if (streq(key, "memory_max")) {
		if (parse_limit(v, true, c->memory_max, sizeof(c->memory_max)) < 0)
			FAIL(-EINVAL, "memory_max= '%s' is not max or bytes with K, M or G", v);
	} else if (streq(key, "pids_max")) {
		if (parse_limit(v, false, c->pids_max, sizeof(c->pids_max)) < 0)
			FAIL(-EINVAL, "pids_max= '%s' is not max or a number", v);
	} else if (streq(key, "cpu_max")) {
		if (parse_cpu_max(v, c->cpu_max, sizeof(c->cpu_max)) < 0)
			FAIL(-EINVAL, "cpu_max= '%s' is not max or QUOTA_US PERIOD_US", v);
	} else if (streq(key, "seccomp") || streq(key, "landlock") || streq(key, "private_tmp")) {
		bool *b = streq(key, "seccomp") ? &c->seccomp : streq(key, "landlock") ? &c->landlock
											: &c->private_tmp;
		if (!streq(v, "yes") && !streq(v, "no"))
			FAIL(-EINVAL, "%s= '%s' is not yes or no", key, v);
		*b = streq(v, "yes");
	} else if (streq(key, "syscalls_allow")) {
		r = add_words(v, c->syscalls, &c->n_syscalls, SERVICE_ARGS_MAX, false);
		if (r < 0)
			FAIL(r, "syscalls_allow= '%s' is not a list of known system calls", v);
	} else if (streq(key, "read_only_paths") || streq(key, "writable_paths")) {
		bool ro = streq(key, "read_only_paths");
		r = add_words(v, ro ? c->ro : c->rw, ro ? &c->n_ro : &c->n_rw, SERVICE_PATHS_MAX, true);
		if (r < 0)
			FAIL(r, "%s= '%s' is not a list of absolute paths", key, v);
	} else
		FAIL(-EINVAL, "unknown key '%s'", key);
	return 0;
}

int service_config_parse(const char *name, const char *text, ServiceConfig *ret, char *err,
			 size_t errlen)
{
	ServiceConfig c = {
		.restart = RESTART_ALWAYS,
		.restart_base_ms = 100,
		.restart_max_ms = 30000,
		.stop_timeout_ms = 5000,
		.start_timeout_ms = 90000,
		.uid = SERVICE_UID_AUTO,
		.gid = (gid_t)SERVICE_UID_AUTO,
		.ready_fd = -1,
		.no_new_privs = true,
		.pids_max = "1024",
		.seccomp = true,
		.landlock = true,
		.private_tmp = true,
	};
	char line[SERVICE_LINE_MAX], *key, *val;
	KvParser kv;
	bool seen_exec = false;
	int r = 0;

	if (!service_name_is_valid(name)) {
		snprintf(err, errlen, "'%s' is not a valid service name ([a-z0-9_-], 1..%d)", name,
			 SERVICE_NAME_MAX);
		return -EINVAL;
	}
	snprintf(c.name, sizeof(c.name), "%s", name);
	kv_init(&kv, text, line, sizeof(line));
	while ((r = kv_next(&kv, &key, &val, err, errlen)) > 0) {
		r = parse_line(&c, key, val, kv.lineno, &seen_exec, err, errlen);
		if (r < 0)
			goto fail;
	}
	if (r < 0)
		goto fail;
	if (!seen_exec) {
		snprintf(err, errlen, "no exec= line");
		r = -EINVAL;
		goto fail;
	}
	if (c.restart_max_ms < c.restart_base_ms) {
		snprintf(err, errlen, "restart_max_ms= is below restart_base_ms=");
		r = -ERANGE;
		goto fail;
	}
	/* Without CAP_SYS_ADMIN, the kernel takes Landlock and seccomp only with no_new_privs. */
	if (!c.no_new_privs && (c.seccomp || c.landlock) && !(c.caps & (1ULL << CAP_SYS_ADMIN))) {
		snprintf(err, errlen, "no_new_privs = no needs seccomp = no and landlock = no");
		r = -EINVAL;
		goto fail;
	}
	for (unsigned i = 0; i < c.n_after; i++)
		if (streq(c.after[i], c.name)) {
			snprintf(err, errlen, "after= names the service itself");
			r = -EINVAL;
			goto fail;
		}
	*ret = c;
	return 0;
fail:
	service_config_done(&c);
	return r;
}
