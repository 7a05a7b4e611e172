/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The node's pod security policy (policy.h, docs/kubelet.md).
 *
 * The policy file, one rule a line ('#' starts a comment, fields split by blanks):
 *   allow NAMESPACE hostNetwork|runAsRoot|allowPrivilegeEscalation
 *   allow NAMESPACE capability CAP...      (NET_ADMIN or CAP_NET_ADMIN, several allowed)
 *   hostPath NAMESPACE PREFIX readOnly|readWrite
 * NAMESPACE is a DNS label or '*'. PREFIX is canonical, absolute, and not a never-mountable path
 * or a parent of one. */
#include <ctype.h>
#include <stdarg.h>

#include "caps.h"
#include "policy.h"
#include "util.h"

/* Never mountable, nor anything below them, nor a folder that contains them. */
static const char *const forbidden_paths[] = {
	"/proc", "/sys", "/dev", "/run", "/etc", "/var/lib/kcc", "/var/lib/kcc-kubelet", "/",
};

/* A refusal: the reason into err, -EPERM. */
#define refuse(err, errlen, ...) errorf((err), (errlen), -EPERM, __VA_ARGS__)

/* ---- host paths ---- */

int host_path_canonical(const char *in, char *out, size_t len)
{
	size_t n = 0;

	if (in[0] != '/' || len < 2)
		return -EINVAL;
	for (const char *s = in; *s;) {
		const char *e;
		size_t l;

		while (*s == '/')
			s++;
		e = strchrnul(s, '/');
		l = (size_t)(e - s);
		if (l == 0 || (l == 1 && s[0] == '.')) {
			/* nothing, or "." */
		} else if (l == 2 && s[0] == '.' && s[1] == '.') {
			while (n > 0 && out[n - 1] != '/')
				n--;
			if (n > 0)
				n--; /* the slash; ".." of "/" is "/" */
		} else {
			if (n + 1 + l + 1 > len)
				return -ENAMETOOLONG;
			out[n++] = '/';
			memcpy(out + n, s, l);
			n += l;
		}
		s = e;
	}
	if (n == 0)
		out[n++] = '/';
	out[n] = '\0';
	return 0;
}

/* a is b or lies below it (both canonical) */
static bool path_under(const char *a, const char *b)
{
	size_t l = strlen(b);

	if (streq(b, "/"))
		return true;
	return strncmp(a, b, l) == 0 && (a[l] == '\0' || a[l] == '/');
}

bool host_path_forbidden(const char *canonical, const char **which)
{
	for (size_t i = 0; i < ARRAY_SIZE(forbidden_paths); i++)
		/* below "/" is everything: "/" itself only */
		if ((streq(forbidden_paths[i], "/") ? streq(canonical, "/")
						    : path_under(canonical, forbidden_paths[i])) ||
		    path_under(forbidden_paths[i], canonical)) {
			*which = forbidden_paths[i];
			return true;
		}
	return false;
}

/* ---- the policy file ---- */

static bool ns_matches(const PolicyRule *r, const char *ns)
{
	return streq(r->ns, "*") || streq(r->ns, ns);
}

static unsigned ns_allows(const PodPolicy *pol, const char *ns)
{
	unsigned a = 0;

	for (unsigned i = 0; pol && i < pol->n_rules; i++)
		if (ns_matches(&pol->rules[i], ns))
			a |= pol->rules[i].allow;
	return a;
}

static bool ns_allows_cap(const PodPolicy *pol, const char *ns, int cap)
{
	for (unsigned i = 0; pol && i < pol->n_rules; i++)
		if (ns_matches(&pol->rules[i], ns) && (pol->rules[i].caps & (1ULL << cap)))
			return true;
	return false;
}

/* 0: not allowed, 1: read-only, 2: read-write */
static int ns_allows_path(const PodPolicy *pol, const char *ns, const char *canonical)
{
	int best = 0;

	for (unsigned i = 0; pol && i < pol->n_rules; i++) {
		const PolicyRule *r = &pol->rules[i];
		if (r->path[0] && ns_matches(r, ns) && path_under(canonical, r->path))
			best = best > 1 || r->writable ? 2 : 1;
	}
	return best;
}

static int cap_parse(const char *name, int *ret)
{
	char full[64];

	if (strlen(name) > 40)
		return -EINVAL;
	snprintf(full, sizeof(full), "%s%s", startswith(name, "CAP_") ? "" : "CAP_", name);
	for (char *s = full; *s; s++)
		if (!isupper((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '_')
			return -EINVAL;
	return cap_from_string(full, ret);
}

/* One line into rule; -EINVAL with the reason in why. An empty line leaves rule->ns empty. */
static int parse_line(char *line, PolicyRule *rule, char *why, size_t whylen)
{
	char *w[16], *save = NULL;
	unsigned n = 0;

	*rule = (PolicyRule){ 0 };
	line[strcspn(line, "#")] = '\0';
	for (char *t = strtok_r(line, " \t\r", &save); t; t = strtok_r(NULL, " \t\r", &save)) {
		if (n == ARRAY_SIZE(w))
			return snprintf(why, whylen, "too many fields"), -EINVAL;
		w[n++] = t;
	}
	if (n == 0)
		return 0;
	if (!streq(w[0], "allow") && !streq(w[0], "hostPath"))
		return snprintf(why, whylen, "unknown rule '%.40s' (allow or hostPath)", w[0]),
		       -EINVAL;
	if (n < 3)
		return snprintf(why, whylen, "%s needs a namespace and what it allows", w[0]),
		       -EINVAL;
	if (!streq(w[1], "*") && !dns_label_is_valid(w[1]))
		return snprintf(why, whylen, "namespace '%.64s' is not a DNS label or '*'", w[1]),
		       -EINVAL;
	snprintf(rule->ns, sizeof(rule->ns), "%s", w[1]);

	if (streq(w[0], "hostPath")) {
		char canon[POLICY_PATH_LEN];
		const char *which;
		if (n != 4)
			return snprintf(why, whylen,
					"hostPath needs NAMESPACE PREFIX readOnly|readWrite"),
			       -EINVAL;
		if (host_path_canonical(w[2], canon, sizeof(canon)) < 0 || !streq(canon, w[2]))
			return snprintf(why, whylen, "'%.200s' is not a canonical absolute path",
					w[2]),
			       -EINVAL;
		if (host_path_forbidden(canon, &which))
			return snprintf(
				       why, whylen,
				       "'%.200s' is never mountable (it is, lies below or contains %s)",
				       canon, which),
			       -EINVAL;
		if (!streq(w[3], "readOnly") && !streq(w[3], "readWrite"))
			return snprintf(why, whylen, "'%.40s' is not readOnly or readWrite", w[3]),
			       -EINVAL;
		snprintf(rule->path, sizeof(rule->path), "%s", canon);
		rule->writable = streq(w[3], "readWrite");
		return 0;
	}
	if (streq(w[2], "capability")) {
		if (n < 4)
			return snprintf(why, whylen, "capability needs at least one name"), -EINVAL;
		for (unsigned i = 3; i < n; i++) {
			int cap;
			if (cap_parse(w[i], &cap) < 0)
				return snprintf(why, whylen, "unknown capability '%.40s'", w[i]),
				       -EINVAL;
			if (cap_pod_never(cap))
				return snprintf(why, whylen,
						"%.40s is never allowed in a pod on kcc-node",
						w[i]),
				       -EINVAL;
			rule->caps |= 1ULL << cap;
		}
		return 0;
	}
	if (n != 3)
		return snprintf(why, whylen, "'allow %s %s' takes nothing more", w[1], w[2]),
		       -EINVAL;
	if (streq(w[2], "hostNetwork"))
		rule->allow = POLICY_HOST_NETWORK;
	else if (streq(w[2], "runAsRoot"))
		rule->allow = POLICY_RUN_AS_ROOT;
	else if (streq(w[2], "allowPrivilegeEscalation"))
		rule->allow = POLICY_PRIVILEGE_ESCALATION;
	else
		return snprintf(why, whylen,
				"unknown permission '%.40s' (hostNetwork, runAsRoot, "
				"allowPrivilegeEscalation, capability)",
				w[2]),
		       -EINVAL;
	return 0;
}

int pod_policy_parse(const char *text, size_t len, const char *name, PodPolicy *ret, char *err,
		     size_t errlen)
{
	size_t used = 0;
	unsigned lineno = 0, bad = 0;

	*ret = (PodPolicy){ 0 };
	if (errlen)
		err[0] = '\0';
	for (size_t off = 0; off < len;) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t l = nl ? (size_t)(nl - (text + off)) : len - off;
		char line[POLICY_LINE_MAX + 1], why[300];
		PolicyRule rule;
		int r;

		lineno++;
		if (l > POLICY_LINE_MAX) {
			snprintf(why, sizeof(why), "longer than %d characters", POLICY_LINE_MAX);
			r = -EINVAL;
		} else if (memchr(text + off, '\0', l)) {
			snprintf(why, sizeof(why), "holds a NUL byte");
			r = -EINVAL;
		} else {
			memcpy(line, text + off, l);
			line[l] = '\0';
			r = parse_line(line, &rule, why, sizeof(why));
		}
		if (r >= 0 && rule.ns[0]) {
			if (ret->n_rules == POLICY_RULES_MAX) {
				snprintf(why, sizeof(why), "more than %d rules", POLICY_RULES_MAX);
				r = -EINVAL;
			} else
				ret->rules[ret->n_rules++] = rule;
		}
		if (r < 0) {
			bad++;
			if (used < errlen) {
				int k = snprintf(err + used, errlen - used, "%s%s:%u: %s",
						 used ? "\n" : "", name, lineno, why);
				used += k > 0 ? (size_t)k : 0;
			}
		}
		off += l + (nl ? 1 : 0);
	}
	if (bad) {
		*ret = (PodPolicy){ 0 };
		return -EINVAL;
	}
	return 0;
}

int pod_policy_load(const char *path, PodPolicy *ret, char *err, size_t errlen)
{
	_cleanup_free_ char *text = NULL;
	int r = read_small_file(path, 256 * 1024, &text);

	*ret = (PodPolicy){ 0 };
	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(-r));
		return r;
	}
	return pod_policy_parse(text, strlen(text), path, ret, err, errlen);
}

/* ---- admission ---- */

static int admit_host_path(const PodPolicy *pol, const Pod *pod, unsigned vi, char *canon,
			   size_t clen, char *err, size_t errlen)
{
	const Volume *v = &pod->volumes[vi];
	const char *which;

	if (host_path_canonical(v->host_path, canon, clen) < 0)
		return refuse(err, errlen,
			      "hostPath: spec.volumes[%u].hostPath.path: '%.200s' is "
			      "not a usable absolute path",
			      vi, v->host_path);
	if (host_path_forbidden(canon, &which))
		return refuse(err, errlen,
			      "hostPathForbidden: spec.volumes[%u].hostPath.path: "
			      "'%.200s' is never mountable (it is, lies below or contains %s)",
			      vi, v->host_path, which);
	if (!streq(canon, v->host_path))
		return refuse(err, errlen,
			      "hostPath: spec.volumes[%u].hostPath.path: '%.200s' is "
			      "not canonical (write '%.200s')",
			      vi, v->host_path, canon);
	if (!ns_allows_path(pol, pod->namespace, canon))
		return refuse(err, errlen,
			      "hostPath: spec.volumes[%u].hostPath.path: '%.200s' is "
			      "not allowed in namespace %s by the node's pod policy (restricted)",
			      vi, canon, pod->namespace);
	return 0;
}

static int admit_container(const PodPolicy *pol, const Pod *pod, unsigned ci, char *err,
			   size_t errlen)
{
	const Container *c = &pod->containers[ci];
	const char *ns = pod->namespace;
	unsigned allow = ns_allows(pol, ns);

	if (c->allow_privilege_escalation && !(allow & POLICY_PRIVILEGE_ESCALATION))
		return refuse(err, errlen,
			      "allowPrivilegeEscalation: spec.containers[%u]."
			      "securityContext.allowPrivilegeEscalation: true is not allowed in "
			      "namespace %s (restricted)",
			      ci, ns);
	for (unsigned i = 0; c->cap_add[i]; i++) {
		int cap;
		if (cap_parse(c->cap_add[i], &cap) < 0)
			return refuse(err, errlen,
				      "capabilities: spec.containers[%u].securityContext."
				      "capabilities.add[%u]: unknown capability '%.40s'",
				      ci, i, c->cap_add[i]);
		if (cap_pod_default(cap))
			continue;
		if (cap_pod_never(cap))
			return refuse(
				err, errlen,
				"capabilities: spec.containers[%u].securityContext."
				"capabilities.add[%u]: %s is never allowed in a pod on kcc-node",
				ci, i, cap_to_string(cap));
		if (!ns_allows_cap(pol, ns, cap))
			return refuse(err, errlen,
				      "capabilities: spec.containers[%u].securityContext."
				      "capabilities.add[%u]: %s is not allowed in namespace %s "
				      "(restricted allows NET_BIND_SERVICE only)",
				      ci, i, cap_to_string(cap), ns);
	}
	if (c->has_uid && c->uid >= POD_IDS)
		return refuse(err, errlen,
			      "runAsUser: spec.containers[%u].securityContext.runAsUser: "
			      "%u is outside the pod's user namespace (0-%u)",
			      ci, (unsigned)c->uid, POD_IDS - 1);
	if (c->has_gid && c->gid >= POD_IDS)
		return refuse(err, errlen,
			      "runAsGroup: spec.containers[%u].securityContext.runAsGroup: "
			      "%u is outside the pod's user namespace (0-%u)",
			      ci, (unsigned)c->gid, POD_IDS - 1);
	if (c->has_uid && c->uid == 0 && c->run_as_non_root)
		return refuse(err, errlen,
			      "runAsNonRoot: spec.containers[%u].securityContext: "
			      "runAsUser 0 contradicts runAsNonRoot",
			      ci);
	if (c->has_uid && c->uid == 0 && !(allow & POLICY_RUN_AS_ROOT))
		return refuse(err, errlen,
			      "runAsRoot: spec.containers[%u].securityContext.runAsUser: "
			      "0 (root) is not allowed in namespace %s (restricted)",
			      ci, ns);
	for (unsigned j = 0; j < c->n_mounts; j++) {
		const VolumeMount *m = &c->mounts[j];
		for (unsigned k = 0; k < pod->n_volumes; k++) {
			const Volume *v = &pod->volumes[k];
			char canon[POLICY_PATH_LEN];
			if (v->kind != VOLUME_HOST_PATH || !streq(v->name, m->name) || m->read_only)
				continue;
			if (host_path_canonical(v->host_path, canon, sizeof(canon)) < 0 ||
			    ns_allows_path(pol, ns, canon) < 2)
				return refuse(
					err, errlen,
					"hostPathReadWrite: spec.containers[%u]."
					"volumeMounts[%u]: '%.200s' may be mounted read-only only "
					"in namespace %s",
					ci, j, v->host_path, ns);
		}
	}
	return 0;
}

int pod_admit(const PodPolicy *pol, const Pod *pod, char *err, size_t errlen)
{
	int r;

	if (pod->host_network && !(ns_allows(pol, pod->namespace) & POLICY_HOST_NETWORK))
		return refuse(err, errlen,
			      "hostNetwork: spec.hostNetwork: true is not allowed in "
			      "namespace %s (restricted)",
			      pod->namespace);
	for (unsigned i = 0; i < pod->n_volumes; i++) {
		char canon[POLICY_PATH_LEN];
		if (pod->volumes[i].kind != VOLUME_HOST_PATH)
			continue;
		r = admit_host_path(pol, pod, i, canon, sizeof(canon), err, errlen);
		if (r < 0)
			return r;
	}
	for (unsigned i = 0; i < pod->n_containers; i++) {
		r = admit_container(pol, pod, i, err, errlen);
		if (r < 0)
			return r;
	}
	return 0;
}

/* "123" -> 123; -ERANGE at or above 2^31, -EINVAL for anything but decimal digits */
static int parse_id(const char *s, size_t n, unsigned long *ret)
{
	unsigned long v = 0;

	if (n == 0 || n > 10)
		return n > 10 && strspn(s, "0123456789") >= n ? -ERANGE : -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v >= POD_ID_LIMIT)
		return -ERANGE;
	*ret = v;
	return 0;
}

int pod_user(const PodPolicy *pol, const Pod *pod, const Container *c, const char *image_user,
	     uid_t *ret_uid, gid_t *ret_gid, char *err, size_t errlen)
{
	unsigned long uid = 0, gid = 0;
	const char *who = "the image's user";
	unsigned ci = (unsigned)(c - pod->containers);

	if (image_user && image_user[0]) {
		const char *colon = strchr(image_user, ':');
		size_t ul = colon ? (size_t)(colon - image_user) : strlen(image_user);
		int ru = parse_id(image_user, ul, &uid);
		int rg = colon ? parse_id(colon + 1, strlen(colon + 1), &gid) : 0;
		if (ru == -ERANGE || rg == -ERANGE)
			return refuse(err, errlen,
				      "imageUser: container %s: the image's user "
				      "'%.64s' is at or above 2^31",
				      c->name, image_user);
		if ((ru < 0 && !c->has_uid) || (rg < 0 && !c->has_gid))
			return refuse(
				err, errlen,
				"imageUser: container %s: the image's user "
				"'%.64s' is not numeric (no passwd lookups); set runAsUser and "
				"runAsGroup",
				c->name, image_user);
	} else
		who = "the image's user (unset: root)";
	if (c->has_uid) {
		uid = c->uid;
		who = "runAsUser";
	}
	if (c->has_gid)
		gid = c->gid;
	if (uid >= POD_IDS || gid >= POD_IDS)
		return refuse(err, errlen,
			      "runAsUser: container %s: %s %lu:%lu is outside the pod's "
			      "user namespace (0-%u)",
			      c->name, who, uid, gid, POD_IDS - 1);
	if (uid == 0 && c->run_as_non_root)
		return refuse(err, errlen,
			      "runAsNonRoot: spec.containers[%u]: %s is root and "
			      "runAsNonRoot is true",
			      ci, who);
	if (uid == 0 && !(ns_allows(pol, pod->namespace) & POLICY_RUN_AS_ROOT))
		return refuse(err, errlen,
			      "runAsRoot: spec.containers[%u]: %s is root, not allowed "
			      "in namespace %s (restricted: set runAsUser)",
			      ci, who, pod->namespace);
	*ret_uid = (uid_t)uid;
	*ret_gid = (gid_t)gid;
	return 0;
}
