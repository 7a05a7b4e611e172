/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kconfig-check: reads kcc-node's kernel config fragments and a kernel .config, and reports every
 * option of the fragments as ok, weaker or missing, with the reason the fragment gives.
 *
 *   kconfig-check [--quiet] KERNEL_CONFIG FRAGMENT...
 *
 * A fragment is Kconfig syntax in which every option is preceded by one annotation line:
 *   # required: why          (the node refuses a kernel without it)
 *   # recommended: why       (reported; kcc-node makes up for it, see docs/kernel-config.md)
 * optionally with ", module ok" after the level when =m is as good as =y, and ", if CONFIG_X"
 * after that when the option only applies to a kernel that has CONFIG_X (y or m): without it,
 * the option is "ok" as not applicable (module signatures in a kernel without modules).
 *   CONFIG_X=y | CONFIG_X=m | CONFIG_X=NUMBER (at least) | CONFIG_X="string" | # CONFIG_X is not set
 * Exit codes: 0 every required option is ok, 1 a required option is missing or weaker, 100 bad
 * usage or a malformed fragment, 111 a file cannot be read. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE_MAX_LEN 4096

typedef struct Want {
	char name[128];
	char value[256]; /* "y", "m", "n", a number or a quoted string */
	bool required, module_ok;
	char cond[128]; /* "" or the CONFIG_ name the option depends on */
	char reason[512];
	char where[160];
} Want;

typedef struct Config {
	char **names, **values;
	size_t n, cap;
} Config;

static int config_add(Config *c, const char *name, const char *value)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 1024;
		char **n = realloc(c->names, cap * sizeof(*n)), **v;
		if (!n)
			return -ENOMEM;
		c->names = n;
		v = realloc(c->values, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		c->values = v;
		c->cap = cap;
	}
	c->names[c->n] = strdup(name);
	c->values[c->n] = strdup(value);
	if (!c->names[c->n] || !c->values[c->n])
		return -ENOMEM;
	c->n++;
	return 0;
}

static const char *config_get(const Config *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->names[i], name) == 0)
			return c->values[i];
	return NULL;
}

static void chomp(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
		s[--n] = '\0';
}

/* "CONFIG_X=v" or "# CONFIG_X is not set" into name/value; 0 when the line is neither. */
static int parse_assignment(const char *line, char *name, size_t nsize, char *value, size_t vsize)
{
	const char *eq;

	if (strncmp(line, "CONFIG_", 7) == 0 && (eq = strchr(line, '='))) {
		if ((size_t)(eq - line) >= nsize || strlen(eq + 1) >= vsize)
			return -EINVAL;
		memcpy(name, line, (size_t)(eq - line));
		name[eq - line] = '\0';
		snprintf(value, vsize, "%s", eq + 1);
		return 1;
	}
	if (strncmp(line, "# CONFIG_", 9) == 0) {
		const char *end = strstr(line, " is not set");
		if (!end || end[11] != '\0' || (size_t)(end - line - 2) >= nsize)
			return 0;
		memcpy(name, line + 2, (size_t)(end - line - 2));
		name[end - line - 2] = '\0';
		snprintf(value, vsize, "n");
		return 1;
	}
	return 0;
}

static int read_config(const char *path, Config *c)
{
	char line[LINE_MAX_LEN], name[128], value[LINE_MAX_LEN];
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		chomp(line);
		if (parse_assignment(line, name, sizeof(name), value, sizeof(value)) == 1 &&
		    config_add(c, name, value) < 0) {
			fclose(f);
			return -ENOMEM;
		}
	}
	fclose(f);
	return 0;
}

/* Reads one fragment; -EBADMSG with a message on stderr for a malformed one. */
static int read_fragment(const char *path, Want **wants, size_t *n, size_t *cap)
{
	char line[LINE_MAX_LEN];
	unsigned lineno = 0;
	Want pending = { 0 };
	bool have = false;
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		const char *rest;
		int r;

		lineno++;
		chomp(line);
		if ((rest = strncmp(line, "# required", 10) == 0	  ? line + 10
			    : strncmp(line, "# recommended", 13) == 0 ? line + 13
								      : NULL)) {
			if (have)
				goto bad;
			pending = (Want){ .required = line[2] == 'r' && line[4] == 'q' };
			if (strncmp(rest, ", module ok", 11) == 0) {
				pending.module_ok = true;
				rest += 11;
			}
			if (strncmp(rest, ", if CONFIG_", 12) == 0) {
				size_t len = strcspn(rest + 5, ":");
				if (len <= 7 || len >= sizeof(pending.cond) ||
				    strspn(rest + 5, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != len)
					goto bad;
				memcpy(pending.cond, rest + 5, len);
				pending.cond[len] = '\0';
				rest += 5 + len;
			}
			if (rest[0] != ':' || rest[1] != ' ' || !rest[2])
				goto bad;
			snprintf(pending.reason, sizeof(pending.reason), "%s", rest + 2);
			snprintf(pending.where, sizeof(pending.where), "%s:%u", path, lineno);
			have = true;
			continue;
		}
		r = parse_assignment(line, pending.name, sizeof(pending.name), pending.value,
				     sizeof(pending.value));
		if (r < 0)
			goto bad;
		if (r == 1) {
			if (!have)
				goto bad;
			if (*n == *cap) {
				Want *w = realloc(*wants, (*cap ? 2 * *cap : 64) * sizeof(Want));
				if (!w) {
					fclose(f);
					return -ENOMEM;
				}
				*wants = w;
				*cap = *cap ? 2 * *cap : 64;
			}
			(*wants)[(*n)++] = pending;
			have = false;
			continue;
		}
		if (line[0] == '\0' || line[0] == '#')
			continue;
		goto bad;
	}
	fclose(f);
	if (have) {
		fprintf(stderr, "kconfig-check: %s: annotation without an option at the end\n", path);
		return -EBADMSG;
	}
	return 0;
bad:
	fprintf(stderr, "kconfig-check: %s:%u: expected '# required: why' or '# recommended: why' "
			"followed by one CONFIG_ line, got '%s'\n",
		path, lineno, line);
	fclose(f);
	return -EBADMSG;
}

static bool is_number(const char *s)
{
	if (*s == '-')
		s++;
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

typedef enum Verdict { OK, WEAKER, MISSING } Verdict;

static Verdict judge(const Want *w, const char *have)
{
	bool set = have && strcmp(have, "n") != 0;

	if (strcmp(w->value, "n") == 0)
		return set ? WEAKER : OK;
	if (!set)
		return MISSING;
	if (strcmp(w->value, "y") == 0)
		return strcmp(have, "y") == 0 || (w->module_ok && strcmp(have, "m") == 0) ? OK : WEAKER;
	if (strcmp(w->value, "m") == 0)
		return strcmp(have, "y") == 0 || strcmp(have, "m") == 0 ? OK : WEAKER;
	if (is_number(w->value) && is_number(have))
		return strtoll(have, NULL, 10) >= strtoll(w->value, NULL, 10) ? OK : WEAKER;
	return strcmp(have, w->value) == 0 ? OK : WEAKER;
}

int main(int argc, char **argv)
{
	static const char *const words[] = { "ok", "weaker", "missing" };
	Config cfg = { 0 };
	Want *wants = NULL;
	size_t n = 0, cap = 0, count[3] = { 0 }, failed = 0;
	bool quiet = false;
	int i = 1, r;

	if (argc > 1 && strcmp(argv[1], "--quiet") == 0) {
		quiet = true;
		i++;
	}
	if (argc - i < 2) {
		fprintf(stderr, "usage: kconfig-check [--quiet] KERNEL_CONFIG FRAGMENT...\n");
		return 100;
	}
	r = read_config(argv[i], &cfg);
	if (r < 0) {
		fprintf(stderr, "kconfig-check: cannot read %s: %s\n", argv[i], strerror(-r));
		return 111;
	}
	if (cfg.n == 0) {
		fprintf(stderr, "kconfig-check: %s has no CONFIG_ lines; not a kernel config\n", argv[i]);
		return 100;
	}
	for (int k = i + 1; k < argc; k++) {
		r = read_fragment(argv[k], &wants, &n, &cap);
		if (r == -EBADMSG)
			return 100;
		if (r < 0) {
			fprintf(stderr, "kconfig-check: cannot read %s: %s\n", argv[k], strerror(-r));
			return 111;
		}
	}
	for (size_t k = 0; k < n; k++) {
		const Want *w = &wants[k];
		const char *have = config_get(&cfg, w->name);
		const char *cond = w->cond[0] ? config_get(&cfg, w->cond) : NULL;
		bool applies = !w->cond[0] || (cond && strcmp(cond, "n") != 0);
		Verdict v = applies ? judge(w, have) : OK;

		count[v]++;
		if (v != OK && w->required)
			failed++;
		if (quiet && v == OK)
			continue;
		printf("%-7s %-12s %s=%s (want %s%s%s%s): %s\n", words[v],
		       w->required ? "required" : "recommended", w->name, have ? have : "<unset>",
		       w->value, w->module_ok ? " or m" : "", applies ? "" : "; n/a without ",
		       applies ? "" : w->cond, w->reason);
	}
	printf("%zu ok, %zu weaker, %zu missing; %zu required option%s not met\n", count[OK],
	       count[WEAKER], count[MISSING], failed, failed == 1 ? "" : "s");
	return failed ? 1 : 0;
}
