/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "manifest.h"
#include "ynode.h"

#define PATH_LEN 160

typedef struct Ctx {
	Pod *pod;
	char *err;
	size_t errlen;
} Ctx;

static int __attribute__((format(printf, 3, 4))) bad(Ctx *c, const char *path, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(c->err, c->errlen, "%s: %s", path, msg);
	return -EINVAL;
}

static char *pool_dup(Ctx *c, const char *s)
{
	Pod *p = c->pod;
	char **pool = realloc(p->pool, (p->n_pool + 1) * sizeof(*pool));
	if (!pool)
		return NULL;
	p->pool = pool;
	pool[p->n_pool] = strdup(s);
	return pool[p->n_pool] ? pool[p->n_pool++] : NULL;
}

void pod_free(Pod *p)
{
	for (size_t i = 0; i < p->n_pool; i++)
		free(p->pool[i]);
	free(p->pool);
	memset(p, 0, sizeof(*p));
}

const char *pod_restart_to_string(PodRestart r)
{
	static const char *const names[] = { "Always", "OnFailure", "Never" };
	return r <= POD_RESTART_NEVER ? names[r] : "?";
}

/* ---- names and quantities ---- */

/* Splits "12.5Mi" into a decimal number scaled by 1000 (12500) and its suffix. */
static int parse_decimal_milli(const char *s, uint64_t *milli, const char **suffix)
{
	uint64_t whole = 0, frac = 0;
	unsigned digits = 0, frac_digits = 0;
	const char *p = s;

	for (; isdigit((unsigned char)*p); p++, digits++) {
		if (whole > (UINT64_MAX / 10000 - 9) / 10)
			return -ERANGE;
		whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		p++;
		for (; isdigit((unsigned char)*p); p++, frac_digits++)
			if (frac_digits < 3)
				frac = frac * 10 + (uint64_t)(*p - '0');
			else if (*p != '0')
				return -EINVAL; /* finer than a thousandth */
		if (frac_digits == 0)
			return -EINVAL;
		for (unsigned k = frac_digits; k < 3; k++)
			frac *= 10;
	}
	if (digits == 0 && frac_digits == 0)
		return -EINVAL;
	*milli = whole * 1000 + frac;
	*suffix = p;
	return 0;
}

int quantity_cpu_millis(const char *s, uint64_t *ret)
{
	const char *suffix;
	uint64_t m;
	int r = parse_decimal_milli(s, &m, &suffix);

	if (r < 0)
		return r;
	if (strcmp(suffix, "m") == 0) {
		if (m % 1000)
			return -EINVAL; /* "0.5m" */
		m /= 1000;
	} else if (*suffix)
		return -EINVAL;
	*ret = m;
	return 0;
}

int quantity_bytes(const char *s, uint64_t *ret)
{
	static const struct {
		const char *suffix;
		uint64_t mult;
	} units[] = {
		{ "", 1 },
		{ "k", 1000ULL },
		{ "M", 1000000ULL },
		{ "G", 1000000000ULL },
		{ "T", 1000000000000ULL },
		{ "Ki", 1ULL << 10 },
		{ "Mi", 1ULL << 20 },
		{ "Gi", 1ULL << 30 },
		{ "Ti", 1ULL << 40 },
	};
	const char *suffix;
	uint64_t m;
	int r = parse_decimal_milli(s, &m, &suffix);

	if (r < 0)
		return r;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(suffix, units[i].suffix) != 0)
			continue;
		if (m > UINT64_MAX / units[i].mult)
			return -ERANGE;
		m = m * units[i].mult;
		if (m % 1000)
			return -EINVAL; /* a fraction of a byte */
		*ret = m / 1000;
		return 0;
	}
	return -EINVAL;
}

/* ---- typed accessors ---- */

static const char *type_name(YNodeType t)
{
	return t == YNODE_MAP ? "a map" : t == YNODE_SEQ ? "a list" : "a scalar";
}

static int want(Ctx *c, const YNode *n, YNodeType t, const char *path)
{
	if (n->type != t)
		return bad(c, path, "must be %s, not %s", type_name(t), type_name(n->type));
	return 0;
}

static int get_str(Ctx *c, const YNode *n, const char *path, char **ret)
{
	int r = want(c, n, YNODE_SCALAR, path);
	if (r < 0)
		return r;
	*ret = pool_dup(c, n->value);
	return *ret ? 0 : -ENOMEM;
}

static int get_bool(Ctx *c, const YNode *n, const char *path, bool *ret)
{
	int r = want(c, n, YNODE_SCALAR, path);
	if (r < 0)
		return r;
	if (n->plain && strcmp(n->value, "true") == 0)
		*ret = true;
	else if (n->plain && strcmp(n->value, "false") == 0)
		*ret = false;
	else
		return bad(c, path, "must be true or false, not '%s'", n->value);
	return 0;
}

static int get_uint(Ctx *c, const YNode *n, const char *path, uint64_t max, uint64_t *ret)
{
	char *end;
	int r = want(c, n, YNODE_SCALAR, path);

	if (r < 0)
		return r;
	errno = 0;
	unsigned long long v = strtoull(n->value, &end, 10);
	if (!n->plain || !isdigit((unsigned char)n->value[0]) || *end || errno || v > max)
		return bad(c, path, "must be a whole number up to %" PRIu64 ", not '%s'", max,
			   n->value);
	*ret = v;
	return 0;
}

/* A list of strings into a NULL-terminated array of at most max. */
static int get_strv(Ctx *c, const YNode *n, const char *path, char **v, unsigned max)
{
	unsigned i = 0;
	char p[PATH_LEN];
	int r = want(c, n, YNODE_SEQ, path);

	if (r < 0)
		return r;
	if (n->n_children > max)
		return bad(c, path, "more than %u entries", max);
	for (const YNode *e = n->children; e; e = e->next, i++) {
		snprintf(p, sizeof(p), "%s[%u]", path, i);
		r = get_str(c, e, p, &v[i]);
		if (r < 0)
			return r;
	}
	v[i] = NULL;
	return 0;
}

/* Fields a static pod may carry that do not change how kcc-kubelet runs it. */
static bool ignored(const char *path, const char *key)
{
	static const char *const list[] = {
		".metadata.annotations", ".metadata.uid", ".metadata.creationTimestamp",
		".spec.containers[].imagePullPolicy", ".spec.containers[].ports",
		".spec.containers[].terminationMessagePath",
		".spec.containers[].terminationMessagePolicy", ".spec.containers[].resources.requests",
		".spec.terminationGracePeriodSeconds", ".spec.dnsPolicy", ".status",
	};
	char full[PATH_LEN * 2], norm[PATH_LEN * 2];
	size_t k = 0;

	snprintf(full, sizeof(full), ".%s.%s", path, key);
	/* drop the indexes: spec.containers[3].ports -> spec.containers[].ports */
	for (const char *s = full; *s && k + 1 < sizeof(norm); s++) {
		norm[k++] = *s;
		if (*s == '[')
			while (s[1] && s[1] != ']')
				s++;
	}
	norm[k] = '\0';
	for (size_t i = 0; i < sizeof(list) / sizeof(list[0]); i++)
		if (strcmp(norm, list[i]) == 0)
			return true;
	return false;
}

typedef int (*field_fn)(Ctx *c, const YNode *n, const char *path, void *obj);
typedef struct Field {
	const char *key;
	field_fn fn;
} Field;

/* Walks a map: each key goes to its handler; an unknown key rejects the pod. */
static int walk(Ctx *c, const YNode *map, const char *path, const Field *fields, void *obj)
{
	char p[PATH_LEN];
	int r = want(c, map, YNODE_MAP, path);

	if (r < 0)
		return r;
	for (const YNode *e = map->children; e; e = e->next) {
		const Field *f = fields;
		while (f->key && strcmp(f->key, e->key) != 0)
			f++;
		snprintf(p, sizeof(p), "%s%s%s", path, *path ? "." : "", e->key);
		if (!f->key) {
			if (ignored(path, e->key))
				continue;
			return bad(c, p, "unsupported field");
		}
		r = f->fn(c, e, p, obj);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- probes ---- */

static int probe_exec(Ctx *c, const YNode *n, const char *path, void *obj)
{
	Probe *pr = obj;
	const YNode *cmd = ynode_get(n, "command");
	char p[PATH_LEN];
	int r = want(c, n, YNODE_MAP, path);

	if (r < 0)
		return r;
	if (n->n_children != 1 || !cmd)
		return bad(c, path, "must hold exactly 'command'");
	snprintf(p, sizeof(p), "%s.command", path);
	r = get_strv(c, cmd, p, pr->exec, CTR_ARGS_MAX);
	if (r < 0)
		return r;
	if (!pr->exec[0])
		return bad(c, p, "must not be empty");
	pr->kind = PROBE_EXEC;
	return 0;
}

static int http_path(Ctx *c, const YNode *n, const char *path, void *obj)
{
	Probe *pr = obj;
	int r = get_str(c, n, path, &pr->path);
	if (r < 0)
		return r;
	if (pr->path[0] != '/' || strpbrk(pr->path, " \r\n\t"))
		return bad(c, path, "must be an absolute URL path without spaces");
	return 0;
}

static int http_port(Ctx *c, const YNode *n, const char *path, void *obj)
{
	uint64_t v;
	int r = get_uint(c, n, path, 65535, &v);
	if (r < 0)
		return r == -EINVAL && n->type == YNODE_SCALAR && !isdigit((unsigned char)n->value[0])
			       ? bad(c, path, "named ports are not supported, give the number")
			       : r;
	if (v == 0)
		return bad(c, path, "must be 1 to 65535");
	((Probe *)obj)->port = (unsigned)v;
	return 0;
}

static int http_scheme(Ctx *c, const YNode *n, const char *path, void *obj)
{
	(void)obj;
	if (n->type != YNODE_SCALAR || strcmp(n->value, "HTTP") != 0)
		return bad(c, path, "only HTTP is supported");
	return 0;
}

static int http_host(Ctx *c, const YNode *n, const char *path, void *obj)
{
	(void)obj;
	if (n->type != YNODE_SCALAR || strcmp(n->value, "127.0.0.1") != 0)
		return bad(c, path, "only 127.0.0.1 (the pod's own network) is supported");
	return 0;
}

static int probe_http(Ctx *c, const YNode *n, const char *path, void *obj)
{
	static const Field fields[] = { { "path", http_path }, { "port", http_port },
					{ "scheme", http_scheme }, { "host", http_host }, {} };
	Probe *pr = obj;
	int r = walk(c, n, path, fields, pr);

	if (r < 0)
		return r;
	if (!pr->port)
		return bad(c, path, "port is required");
	if (!pr->path)
		pr->path = pool_dup(c, "/");
	pr->kind = PROBE_HTTP;
	return pr->path ? 0 : -ENOMEM;
}

#define PROBE_UINT(fname, member, min, max)                                                     \
	static int fname(Ctx *c, const YNode *n, const char *path, void *obj)                   \
	{                                                                                       \
		uint64_t v;                                                                     \
		int r = get_uint(c, n, path, max, &v);                                          \
		if (r < 0)                                                                      \
			return r;                                                               \
		if (v + 1 < (uint64_t)(min) + 1)                                                \
			return bad(c, path, "must be at least %u", (unsigned)min);              \
		((Probe *)obj)->member = (unsigned)v;                                           \
		return 0;                                                                       \
	}
PROBE_UINT(probe_delay, initial_delay_s, 0, 3600)
PROBE_UINT(probe_period, period_s, 1, 3600)
PROBE_UINT(probe_timeout, timeout_s, 1, 3600)
PROBE_UINT(probe_success, success_threshold, 1, 100)
PROBE_UINT(probe_failure, failure_threshold, 1, 100)

static int probe(Ctx *c, const YNode *n, const char *path, void *obj)
{
	static const Field fields[] = {
		{ "exec", probe_exec },		 { "httpGet", probe_http },
		{ "initialDelaySeconds", probe_delay }, { "periodSeconds", probe_period },
		{ "timeoutSeconds", probe_timeout },	 { "successThreshold", probe_success },
		{ "failureThreshold", probe_failure },	 {},
	};
	Probe *pr = obj;
	int r;

	*pr = (Probe){ .period_s = 10, .timeout_s = 1, .success_threshold = 1,
		       .failure_threshold = 3 };
	r = walk(c, n, path, fields, pr);
	if (r < 0)
		return r;
	if (ynode_get(n, "exec") && ynode_get(n, "httpGet"))
		return bad(c, path, "exec and httpGet are exclusive");
	if (pr->kind == PROBE_NONE)
		return bad(c, path, "needs exec or httpGet (tcpSocket and grpc are not supported)");
	return 0;
}

/* ---- containers ---- */

static int ctr_name(Ctx *c, const YNode *n, const char *path, void *obj)
{
	Container *k = obj;
	int r = get_str(c, n, path, &k->name);
	if (r < 0)
		return r;
	return dns_label_is_valid(k->name) ? 0
					   : bad(c, path, "'%s' is not a DNS label", k->name);
}

static int ctr_image(Ctx *c, const YNode *n, const char *path, void *obj)
{
	Container *k = obj;
	int r = get_str(c, n, path, &k->image);
	if (r < 0)
		return r;
	if (!k->image[0] || strpbrk(k->image, " \t\r\n/") == k->image)
		return bad(c, path, "'%s' is not an image reference", k->image);
	return 0;
}

static int ctr_command(Ctx *c, const YNode *n, const char *path, void *obj)
{
	Container *k = obj;
	k->has_command = true;
	return get_strv(c, n, path, k->command, CTR_ARGS_MAX);
}

static int ctr_args(Ctx *c, const YNode *n, const char *path, void *obj)
{
	Container *k = obj;
	k->has_args = true;
	return get_strv(c, n, path, k->args, CTR_ARGS_MAX);
}

static int ctr_workdir(Ctx *c, const YNode *n, const char *path, void *obj)
{
	Container *k = obj;
	int r = get_str(c, n, path, &k->working_dir);
	if (r < 0)
		return r;
	return k->working_dir[0] == '/' ? 0 : bad(c, path, "must be an absolute path");
}

static int ctr_env(Ctx *c, const YNode *n, const char *path, void *obj)
{
	Container *k = obj;
	char p[PATH_LEN];
	unsigned i = 0;
	int r = want(c, n, YNODE_SEQ, path);

	if (r < 0)
		return r;
	if (n->n_children > CTR_ENV_MAX)
		return bad(c, path, "more than %d variables", CTR_ENV_MAX);
	for (const YNode *e = n->children; e; e = e->next, i++) {
		const YNode *name = ynode_get(e, "name"), *value = ynode_get(e, "value");
		char *kv;
		snprintf(p, sizeof(p), "%s[%u]", path, i);
		r = want(c, e, YNODE_MAP, p);
		if (r < 0)
			return r;
		if (ynode_get(e, "valueFrom"))
			return bad(c, p, "valueFrom is not supported");
		if (!name || name->type != YNODE_SCALAR || !name->value[0] ||
		    strchr(name->value, '='))
			return bad(c, p, "needs a name without '='");
		if (e->n_children != (value ? 2u : 1u))
			return bad(c, p, "only name and value are supported");
		if (value && value->type != YNODE_SCALAR)
			return bad(c, p, "value must be a string");
		if (asprintf(&kv, "%s=%s", name->value, value ? value->value : "") < 0)
			return -ENOMEM;
		k->env[i] = pool_dup(c, kv);
		free(kv);
		if (!k->env[i])
			return -ENOMEM;
	}
	k->env[i] = NULL;
	return 0;
}

static int limit_cpu(Ctx *c, const YNode *n, const char *path, void *obj)
{
	Container *k = obj;
	int r = want(c, n, YNODE_SCALAR, path);
	if (r < 0)
		return r;
	r = quantity_cpu_millis(n->value, &k->cpu_millis);
	if (r < 0 || k->cpu_millis == 0)
		return bad(c, path, "invalid quantity '%s'", n->value);
	return 0;
}

static int limit_memory(Ctx *c, const YNode *n, const char *path, void *obj)
{
	Container *k = obj;
	int r = want(c, n, YNODE_SCALAR, path);
	if (r < 0)
		return r;
	r = quantity_bytes(n->value, &k->memory_bytes);
	if (r < 0 || k->memory_bytes < 4096)
		return bad(c, path, "invalid quantity '%s'", n->value);
	return 0;
}

static int ctr_limits(Ctx *c, const YNode *n, const char *path, void *obj)
{
	static const Field fields[] = { { "cpu", limit_cpu }, { "memory", limit_memory }, {} };
	return walk(c, n, path, fields, obj);
}

static int ctr_resources(Ctx *c, const YNode *n, const char *path, void *obj)
{
	static const Field fields[] = { { "limits", ctr_limits }, {} };
	return walk(c, n, path, fields, obj);
}

static int sc_user(Ctx *c, const YNode *n, const char *path, void *obj)
{
	Container *k = obj;
	uint64_t v;
	int r = get_uint(c, n, path, 2147483647, &v);
	if (r < 0)
		return r;
	k->uid = (uid_t)v;
	k->has_uid = true;
	return 0;
}

static int sc_group(Ctx *c, const YNode *n, const char *path, void *obj)
{
	Container *k = obj;
	uint64_t v;
	int r = get_uint(c, n, path, 2147483647, &v);
	if (r < 0)
		return r;
	k->gid = (gid_t)v;
	k->has_gid = true;
	return 0;
}

static int sc_ro_root(Ctx *c, const YNode *n, const char *path, void *obj)
{
	return get_bool(c, n, path, &((Container *)obj)->read_only_root);
}

static int sc_priv_esc(Ctx *c, const YNode *n, const char *path, void *obj)
{
	return get_bool(c, n, path, &((Container *)obj)->allow_privilege_escalation);
}

static int sc_privileged(Ctx *c, const YNode *n, const char *path, void *obj)
{
	bool v;
	int r = get_bool(c, n, path, &v);
	(void)obj;
	if (r < 0)
		return r;
	return v ? bad(c, path, "privileged containers are not supported") : 0;
}

static int sc_non_root(Ctx *c, const YNode *n, const char *path, void *obj)
{
	/* checked when the container starts, against the image's user (policy.c) */
	return get_bool(c, n, path, &((Container *)obj)->run_as_non_root);
}

static int caps_add(Ctx *c, const YNode *n, const char *path, void *obj)
{
	Container *k = obj;
	char *names[CTR_CAPS_MAX + 1];
	char p[PATH_LEN];
	int r = get_strv(c, n, path, names, CTR_CAPS_MAX);

	if (r < 0)
		return r;
	for (unsigned i = 0; names[i]; i++) {
		char full[64];
		int v;
		snprintf(p, sizeof(p), "%s[%u]", path, i);
		snprintf(full, sizeof(full), "%s%s",
			 strncmp(names[i], "CAP_", 4) == 0 ? "" : "CAP_", names[i]);
		for (char *s = full; *s; s++)
			*s = (char)toupper((unsigned char)*s);
		/* which ones a pod may add is the node's pod policy's call (policy.c) */
		if (cap_from_string(full, &v) < 0)
			return bad(c, p, "unknown capability '%s'", names[i]);
		k->cap_add[i] = pool_dup(c, full);
		if (!k->cap_add[i])
			return -ENOMEM;
	}
	return 0;
}

static int caps_drop(Ctx *c, const YNode *n, const char *path, void *obj)
{
	Container *k = obj;
	char *names[CTR_CAPS_MAX + 1];
	int r = get_strv(c, n, path, names, CTR_CAPS_MAX);
	if (r < 0)
		return r;
	for (unsigned i = 0; names[i]; i++)
		if (strcmp(names[i], "ALL") == 0)
			k->cap_drop_all = true;
	return 0; /* kcc-kubelet drops every capability not added */
}

static int sc_caps(Ctx *c, const YNode *n, const char *path, void *obj)
{
	static const Field fields[] = { { "add", caps_add }, { "drop", caps_drop }, {} };
	return walk(c, n, path, fields, obj);
}

static int seccomp_type(Ctx *c, const YNode *n, const char *path, void *obj)
{
	(void)obj;
	if (n->type != YNODE_SCALAR || strcmp(n->value, "RuntimeDefault") != 0)
		return bad(c, path, "only RuntimeDefault is supported");
	return 0;
}

static int sc_seccomp(Ctx *c, const YNode *n, const char *path, void *obj)
{
	static const Field fields[] = { { "type", seccomp_type }, {} };
	return walk(c, n, path, fields, obj);
}

static int ctr_security(Ctx *c, const YNode *n, const char *path, void *obj)
{
	static const Field fields[] = {
		{ "runAsUser", sc_user },
		{ "runAsGroup", sc_group },
		{ "runAsNonRoot", sc_non_root },
		{ "readOnlyRootFilesystem", sc_ro_root },
		{ "allowPrivilegeEscalation", sc_priv_esc },
		{ "privileged", sc_privileged },
		{ "capabilities", sc_caps },
		{ "seccompProfile", sc_seccomp },
		{},
	};
	return walk(c, n, path, fields, obj);
}

static int mount_name(Ctx *c, const YNode *n, const char *path, void *obj)
{
	return get_str(c, n, path, &((VolumeMount *)obj)->name);
}

static int mount_path(Ctx *c, const YNode *n, const char *path, void *obj)
{
	VolumeMount *m = obj;
	int r = get_str(c, n, path, &m->path);
	if (r < 0)
		return r;
	if (m->path[0] != '/' || strstr(m->path, "/../") || strcmp(m->path, "/") == 0)
		return bad(c, path, "must be an absolute path below /");
	return 0;
}

static int mount_ro(Ctx *c, const YNode *n, const char *path, void *obj)
{
	((VolumeMount *)obj)->read_only_set = true;
	return get_bool(c, n, path, &((VolumeMount *)obj)->read_only);
}

static int ctr_mounts(Ctx *c, const YNode *n, const char *path, void *obj)
{
	static const Field fields[] = { { "name", mount_name }, { "mountPath", mount_path },
					{ "readOnly", mount_ro }, {} };
	Container *k = obj;
	char p[PATH_LEN];
	int r = want(c, n, YNODE_SEQ, path);

	if (r < 0)
		return r;
	if (n->n_children > CTR_MOUNTS_MAX)
		return bad(c, path, "more than %d mounts", CTR_MOUNTS_MAX);
	for (const YNode *e = n->children; e; e = e->next) {
		VolumeMount *m = &k->mounts[k->n_mounts];
		snprintf(p, sizeof(p), "%s[%u]", path, k->n_mounts);
		k->n_mounts++;
		r = walk(c, e, p, fields, m);
		if (r < 0)
			return r;
		if (!m->name || !m->path)
			return bad(c, p, "needs name and mountPath");
	}
	return 0;
}

static int ctr_liveness(Ctx *c, const YNode *n, const char *path, void *obj)
{
	return probe(c, n, path, &((Container *)obj)->liveness);
}

static int ctr_readiness(Ctx *c, const YNode *n, const char *path, void *obj)
{
	return probe(c, n, path, &((Container *)obj)->readiness);
}

static int containers(Ctx *c, const YNode *n, const char *path, void *obj)
{
	static const Field fields[] = {
		{ "name", ctr_name },
		{ "image", ctr_image },
		{ "command", ctr_command },
		{ "args", ctr_args },
		{ "env", ctr_env },
		{ "workingDir", ctr_workdir },
		{ "resources", ctr_resources },
		{ "securityContext", ctr_security },
		{ "volumeMounts", ctr_mounts },
		{ "livenessProbe", ctr_liveness },
		{ "readinessProbe", ctr_readiness },
		{},
	};
	Pod *pod = obj;
	char p[PATH_LEN];
	int r = want(c, n, YNODE_SEQ, path);

	if (r < 0)
		return r;
	if (n->n_children == 0 || n->n_children > POD_CONTAINERS_MAX)
		return bad(c, path, "must hold 1 to %d containers", POD_CONTAINERS_MAX);
	for (const YNode *e = n->children; e; e = e->next) {
		Container *k = &pod->containers[pod->n_containers];
		snprintf(p, sizeof(p), "%s[%u]", path, pod->n_containers);
		pod->n_containers++;
		r = walk(c, e, p, fields, k);
		if (r < 0)
			return r;
		if (!k->name || !k->image)
			return bad(c, p, "needs name and image");
		for (unsigned j = 0; j + 1 < pod->n_containers; j++)
			if (strcmp(pod->containers[j].name, k->name) == 0)
				return bad(c, p, "duplicate container name '%s'", k->name);
	}
	return 0;
}

/* ---- volumes ---- */

static int vol_name(Ctx *c, const YNode *n, const char *path, void *obj)
{
	Volume *v = obj;
	int r = get_str(c, n, path, &v->name);
	if (r < 0)
		return r;
	return dns_label_is_valid(v->name) ? 0 : bad(c, path, "'%s' is not a DNS label", v->name);
}

static int vol_empty(Ctx *c, const YNode *n, const char *path, void *obj)
{
	if (n->type != YNODE_MAP || n->n_children != 0)
		return bad(c, path, "must be {} (medium and sizeLimit are not supported)");
	((Volume *)obj)->kind = VOLUME_EMPTY_DIR;
	return 0;
}

static int hostpath_path(Ctx *c, const YNode *n, const char *path, void *obj)
{
	Volume *v = obj;
	int r = get_str(c, n, path, &v->host_path);
	if (r < 0)
		return r;
	/* which paths may be mounted, and how they are spelt, is the node's pod policy's call */
	if (v->host_path[0] != '/' || strlen(v->host_path) >= 4096)
		return bad(c, path, "must be an absolute path");
	return 0;
}

const char *host_path_type_to_string(HostPathType t)
{
	static const char *const names[] = { "", "Directory", "DirectoryOrCreate", "File",
					     "FileOrCreate", "Socket" };
	return t < _HOST_PATH_TYPE_MAX ? names[t] : "?";
}

static int hostpath_type(Ctx *c, const YNode *n, const char *path, void *obj)
{
	Volume *v = obj;
	int r = want(c, n, YNODE_SCALAR, path);

	if (r < 0)
		return r;
	for (HostPathType t = HOST_PATH_UNSET; t < _HOST_PATH_TYPE_MAX; t++)
		if (strcmp(n->value, host_path_type_to_string(t)) == 0) {
			v->host_type = t;
			return 0;
		}
	if (strcmp(n->value, "CharDevice") == 0 || strcmp(n->value, "BlockDevice") == 0)
		return bad(c, path, "device types are refused on kcc-node");
	return bad(c, path, "must be Directory, DirectoryOrCreate, File, FileOrCreate or Socket, not '%s'",
		   n->value);
}

static int vol_host(Ctx *c, const YNode *n, const char *path, void *obj)
{
	static const Field fields[] = { { "path", hostpath_path }, { "type", hostpath_type }, {} };
	Volume *v = obj;
	int r = walk(c, n, path, fields, v);
	if (r < 0)
		return r;
	if (!v->host_path)
		return bad(c, path, "needs path");
	v->kind = VOLUME_HOST_PATH;
	return 0;
}

static int secret_name(Ctx *c, const YNode *n, const char *path, void *obj)
{
	Volume *v = obj;
	int r = get_str(c, n, path, &v->secret_name);
	if (r < 0)
		return r;
	return dns_subdomain_is_valid(v->secret_name)
		       ? 0
		       : bad(c, path, "'%s' is not a DNS subdomain", v->secret_name);
}

/* secret: {secretName: NAME}; items, defaultMode and optional are not supported */
static int vol_secret(Ctx *c, const YNode *n, const char *path, void *obj)
{
	static const Field fields[] = { { "secretName", secret_name }, {} };
	Volume *v = obj;
	int r = walk(c, n, path, fields, v);
	if (r < 0)
		return r;
	if (!v->secret_name)
		return bad(c, path, "needs secretName");
	v->kind = VOLUME_SECRET;
	return 0;
}

static int volumes(Ctx *c, const YNode *n, const char *path, void *obj)
{
	static const Field fields[] = { { "name", vol_name }, { "emptyDir", vol_empty },
					{ "hostPath", vol_host }, { "secret", vol_secret }, {} };
	Pod *pod = obj;
	char p[PATH_LEN];
	int r = want(c, n, YNODE_SEQ, path);

	if (r < 0)
		return r;
	if (n->n_children > POD_VOLUMES_MAX)
		return bad(c, path, "more than %d volumes", POD_VOLUMES_MAX);
	for (const YNode *e = n->children; e; e = e->next) {
		Volume *v = &pod->volumes[pod->n_volumes];
		snprintf(p, sizeof(p), "%s[%u]", path, pod->n_volumes);
		pod->n_volumes++;
		r = walk(c, e, p, fields, v);
		if (r < 0)
			return r;
		if (!v->name)
			return bad(c, p, "needs a name");
		if (!!ynode_get(e, "emptyDir") + !!ynode_get(e, "hostPath") +
			    !!ynode_get(e, "secret") != 1)
			return bad(c, p, "needs exactly one of emptyDir, hostPath and secret");
		for (unsigned j = 0; j + 1 < pod->n_volumes; j++)
			if (strcmp(pod->volumes[j].name, v->name) == 0)
				return bad(c, p, "duplicate volume name '%s'", v->name);
	}
	return 0;
}

/* ---- pod ---- */

static int spec_restart(Ctx *c, const YNode *n, const char *path, void *obj)
{
	Pod *pod = obj;
	int r = want(c, n, YNODE_SCALAR, path);
	if (r < 0)
		return r;
	for (PodRestart k = POD_RESTART_ALWAYS; k <= POD_RESTART_NEVER; k++)
		if (strcmp(n->value, pod_restart_to_string(k)) == 0) {
			pod->restart = k;
			return 0;
		}
	return bad(c, path, "must be Always, OnFailure or Never, not '%s'", n->value);
}

static int spec_hostnet(Ctx *c, const YNode *n, const char *path, void *obj)
{
	return get_bool(c, n, path, &((Pod *)obj)->host_network);
}

static int meta_name(Ctx *c, const YNode *n, const char *path, void *obj)
{
	Pod *pod = obj;
	int r = get_str(c, n, path, &pod->name);
	if (r < 0)
		return r;
	return dns_subdomain_is_valid(pod->name) ? 0 : bad(c, path, "'%s' is not a DNS name", pod->name);
}

static int meta_namespace(Ctx *c, const YNode *n, const char *path, void *obj)
{
	Pod *pod = obj;
	int r = get_str(c, n, path, &pod->namespace);
	if (r < 0)
		return r;
	return dns_label_is_valid(pod->namespace) ? 0
						  : bad(c, path, "'%s' is not a DNS label", pod->namespace);
}

static int meta_labels(Ctx *c, const YNode *n, const char *path, void *obj)
{
	Pod *pod = obj;
	char p[PATH_LEN];
	int r = want(c, n, YNODE_MAP, path);

	if (r < 0)
		return r;
	if (n->n_children > POD_LABELS_MAX)
		return bad(c, path, "more than %d labels", POD_LABELS_MAX);
	for (const YNode *e = n->children; e; e = e->next) {
		snprintf(p, sizeof(p), "%s.%s", path, e->key);
		if (!e->key[0] || strlen(e->key) > 316)
			return bad(c, p, "invalid label key");
		r = get_str(c, e, p, &pod->label_values[pod->n_labels]);
		if (r < 0)
			return r;
		if (strlen(pod->label_values[pod->n_labels]) > 63)
			return bad(c, p, "label values are at most 63 characters");
		pod->label_keys[pod->n_labels] = pool_dup(c, e->key);
		if (!pod->label_keys[pod->n_labels++])
			return -ENOMEM;
	}
	return 0;
}

static int metadata(Ctx *c, const YNode *n, const char *path, void *obj)
{
	static const Field fields[] = { { "name", meta_name }, { "namespace", meta_namespace },
					{ "labels", meta_labels }, {} };
	return walk(c, n, path, fields, obj);
}

static int spec(Ctx *c, const YNode *n, const char *path, void *obj)
{
	static const Field fields[] = { { "containers", containers }, { "volumes", volumes },
					{ "restartPolicy", spec_restart },
					{ "hostNetwork", spec_hostnet }, {} };
	return walk(c, n, path, fields, obj);
}

static int api_version(Ctx *c, const YNode *n, const char *path, void *obj)
{
	(void)obj;
	if (n->type != YNODE_SCALAR || strcmp(n->value, "v1") != 0)
		return bad(c, path, "must be v1");
	return 0;
}

static int kind(Ctx *c, const YNode *n, const char *path, void *obj)
{
	(void)obj;
	if (n->type != YNODE_SCALAR || strcmp(n->value, "Pod") != 0)
		return bad(c, path, "must be Pod");
	return 0;
}

/* Cross-field checks: mounts name volumes; probes belong to containers that can run them. */
static int check_pod(Ctx *c, Pod *pod)
{
	char p[PATH_LEN];

	if (!pod->name)
		return bad(c, "metadata.name", "is required");
	if (pod->n_containers == 0)
		return bad(c, "spec.containers", "is required");
	for (unsigned i = 0; i < pod->n_containers; i++) {
		Container *k = &pod->containers[i];
		for (unsigned j = 0; j < k->n_mounts; j++) {
			VolumeMount *m = &k->mounts[j];
			Volume *v = NULL;
			snprintf(p, sizeof(p), "spec.containers[%u].volumeMounts[%u]", i, j);
			for (unsigned q = 0; q < pod->n_volumes; q++)
				if (strcmp(pod->volumes[q].name, m->name) == 0)
					v = &pod->volumes[q];
			if (!v)
				return bad(c, p, "no volume named '%s'", m->name);
			/* hostPath is read-only unless the mount says readOnly: false */
			if (v->kind == VOLUME_HOST_PATH && !m->read_only_set)
				m->read_only = true;
			/* a secret volume is always read-only */
			if (v->kind == VOLUME_SECRET && m->read_only_set && !m->read_only)
				return bad(c, p, "a secret volume is read-only");
			if (v->kind == VOLUME_SECRET)
				m->read_only = true;
		}
	}
	return 0;
}

int pod_parse(const char *text, size_t len, Pod *ret, char *err, size_t errlen)
{
	static const Field fields[] = { { "apiVersion", api_version }, { "kind", kind },
					{ "metadata", metadata }, { "spec", spec }, {} };
	Ctx c = { .pod = ret, .err = err, .errlen = errlen };
	YNode *root = NULL;
	int r;

	memset(ret, 0, sizeof(*ret));
	ret->restart = POD_RESTART_ALWAYS;
	r = ynode_parse(text, len, &root, err, errlen);
	if (r < 0)
		return r;
	/* name and namespace first, so that even a rejected pod has them in its status */
	{
		const YNode *meta = ynode_get(root, "metadata");
		const YNode *name = ynode_get(meta, "name"), *ns = ynode_get(meta, "namespace");
		if (name && name->type == YNODE_SCALAR && dns_subdomain_is_valid(name->value))
			ret->name = pool_dup(&c, name->value);
		if (ns && ns->type == YNODE_SCALAR && dns_label_is_valid(ns->value))
			ret->namespace = pool_dup(&c, ns->value);
		else if (!ns)
			ret->namespace = pool_dup(&c, "default");
	}
	if (!ynode_get(root, "apiVersion") || !ynode_get(root, "kind"))
		r = bad(&c, root->type == YNODE_MAP ? "(top)" : "(document)",
			"needs apiVersion: v1 and kind: Pod");
	else
		r = walk(&c, root, "", fields, ret);
	if (r >= 0)
		r = check_pod(&c, ret);
	if (r >= 0 && !ret->namespace)
		ret->namespace = pool_dup(&c, "default");
	if (r >= 0 && !ret->namespace)
		r = -ENOMEM;
	ynode_free(root);
	if (r == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	return r;
}
