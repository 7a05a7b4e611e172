/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "seccomp-oci.h"
#include "seccomp-policy.h"

static int add(json_object *o, const char *key, json_object *v)
{
	if (!v)
		return -1;
	if (json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return -1;
	}
	return 0;
}

static int push(json_object *a, json_object *v)
{
	if (!v)
		return -1;
	if (json_object_array_add(a, v) < 0) {
		json_object_put(v);
		return -1;
	}
	return 0;
}

static json_object *strv(const char *const *v, size_t n)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; a && i < n; i++)
		if (push(a, json_object_new_string(v[i])) < 0) {
			json_object_put(a);
			return NULL;
		}
	return a;
}

/* One entry of "syscalls": names, action, errnoRet, args (OCI: for SCMP_CMP_MASKED_EQ, value is
 * the mask and valueTwo the value, as libseccomp's datum_a and datum_b). */
static json_object *rule_obj(const char *const *names, size_t n, const SeccompPolicyRule *r)
{
	json_object *o = json_object_new_object(), *a = strv(names, n);
	int e = !o || !a;

	if (!e) {
		e = add(o, "names", a);
		a = NULL;
	}
	if (!e)
		e = add(o, "action", json_object_new_string(r->action == SECCOMP_POLICY_ERRNO
								    ? "SCMP_ACT_ERRNO"
								    : "SCMP_ACT_ALLOW"));
	if (!e && r->action == SECCOMP_POLICY_ERRNO)
		e = add(o, "errnoRet", json_object_new_int(r->errno_ret));
	if (!e && r->masked) {
		json_object *args = json_object_new_array(), *arg = json_object_new_object();

		e = !args || !arg;
		if (!e)
			e = add(arg, "index", json_object_new_int((int)r->arg)) ||
			    add(arg, "value", json_object_new_uint64(r->mask)) ||
			    add(arg, "valueTwo", json_object_new_uint64(r->value)) ||
			    add(arg, "op", json_object_new_string("SCMP_CMP_MASKED_EQ"));
		if (!e) {
			e = push(args, arg);
			arg = NULL;
		}
		if (!e) {
			e = add(o, "args", args);
			args = NULL;
		}
		json_object_put(arg);
		json_object_put(args);
	}
	json_object_put(a);
	if (e) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

json_object *seccomp_policy_oci(void)
{
	static const char *const arches[] = { "SCMP_ARCH_X86_64" };
	json_object *s = json_object_new_object(), *rules = json_object_new_array();
	const SeccompPolicyRule *special;
	const char *const *allowed;
	size_t n_special, n;
	int e = !s || !rules;

	special = seccomp_policy_rules(&n_special);
	allowed = seccomp_policy_allowed(&n);
	if (!e)
		e = add(s, "defaultAction", json_object_new_string("SCMP_ACT_ERRNO")) ||
		    add(s, "defaultErrnoRet", json_object_new_int(SECCOMP_POLICY_DEFAULT_ERRNO)) ||
		    add(s, "architectures", strv(arches, 1));
	if (!e)
		e = push(rules, rule_obj(allowed, n, &(SeccompPolicyRule){ 0 }));
	for (size_t i = 0; !e && i < n_special; i++)
		e = push(rules, rule_obj(&special[i].name, 1, &special[i]));
	if (!e) {
		e = add(s, "syscalls", rules);
		rules = NULL;
	}
	json_object_put(rules);
	if (e) {
		json_object_put(s);
		return NULL;
	}
	return s;
}
