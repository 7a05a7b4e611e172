/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "seccomp-oci.h"
#include "spec.h"
#include "util.h"

static const char *const masked_paths[] = {
	"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
	"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
	"/sys/firmware", "/sys/devices/virtual/powercap",
};
static const char *const readonly_paths[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

static int __attribute__((format(printf, 3, 4))) fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static json_object *jstrv(const char *const *v, size_t n)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; a && i < n && v[i]; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

static size_t strv_len(char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

int spec_argv(const Container *c, const OciConfig *img, const char **argv, size_t max)
{
	char *const *first = c->has_command ? c->command : img->entrypoint;
	char *const *rest = c->has_args ? c->args : c->has_command ? NULL : img->cmd;
	size_t n = 0;

	for (size_t i = 0; first && first[i]; i++)
		if (n < max)
			argv[n++] = first[i];
	for (size_t i = 0; rest && rest[i]; i++)
		if (n < max)
			argv[n++] = rest[i];
	if (n == max)
		return -E2BIG;
	argv[n] = NULL;
	return n == 0 ? -EINVAL : (int)n;
}

/* Image env, then the pod's (a pod variable replaces the image's of the same name). */
static json_object *env_array(const Pod *pod, const Container *c, const OciConfig *img)
{
	const char *all[OCI_ARGS_MAX + CTR_ENV_MAX + 3];
	size_t n = 0;
	bool has_path = false;
	char host[300];

	for (size_t i = 0; img->env[i]; i++) {
		const char *eq = strchr(img->env[i], '=');
		bool replaced = false;
		for (size_t j = 0; eq && c->env[j]; j++)
			if (strncmp(c->env[j], img->env[i], (size_t)(eq - img->env[i]) + 1) == 0)
				replaced = true;
		if (!replaced)
			all[n++] = img->env[i];
	}
	for (size_t j = 0; c->env[j]; j++)
		all[n++] = c->env[j];
	for (size_t i = 0; i < n; i++)
		if (startswith(all[i], "PATH="))
			has_path = true;
	if (!has_path)
		all[n++] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	snprintf(host, sizeof(host), "HOSTNAME=%s", pod->name);
	all[n++] = host;
	return jstrv(all, n);
}

static json_object *mount_obj(const char *dst, const char *type, const char *src,
			      const char *const *opts, size_t n)
{
	json_object *m = json_object_new_object();
	json_object_object_add(m, "destination", json_object_new_string(dst));
	json_object_object_add(m, "type", json_object_new_string(type));
	json_object_object_add(m, "source", json_object_new_string(src));
	json_object_object_add(m, "options", jstrv(opts, n));
	return m;
}

static json_object *mounts_array(const SpecInput *in, char *err, size_t errlen, int *r)
{
	static const char *const proc_o[] = { "nosuid", "noexec", "nodev" };
	static const char *const dev_o[] = { "nosuid", "strictatime", "mode=755", "size=65536k" };
	static const char *const pts_o[] = { "nosuid", "noexec", "newinstance", "ptmxmode=0666",
					     "mode=0620" };
	static const char *const shm_o[] = { "nosuid", "noexec", "nodev", "mode=1777",
					     "size=65536k" };
	static const char *const mq_o[] = { "nosuid", "noexec", "nodev" };
	static const char *const sys_o[] = { "nosuid", "noexec", "nodev", "ro" };
	/* sysfs cannot be mounted from a user namespace without its own network namespace: a pod on
	 * the host's network sees the host's /sys, read-only */
	static const char *const sys_bind_o[] = { "rbind", "rro", "rnosuid", "rnoexec", "rnodev" };
	static const char *const cg_o[] = { "nosuid", "noexec", "nodev", "relatime", "ro" };
	static const char *const tmp_o[] = { "nosuid", "nodev", "mode=1777", "size=65536k" };
	json_object *a = json_object_new_array();
	const Container *c = in->ctr;

	json_object_array_add(a, mount_obj("/proc", "proc", "proc", proc_o, 3));
	json_object_array_add(a, mount_obj("/dev", "tmpfs", "tmpfs", dev_o, 4));
	json_object_array_add(a, mount_obj("/dev/pts", "devpts", "devpts", pts_o, 5));
	json_object_array_add(a, mount_obj("/dev/shm", "tmpfs", "shm", shm_o, 5));
	json_object_array_add(a, mount_obj("/dev/mqueue", "mqueue", "mqueue", mq_o, 3));
	if (in->pod->host_network)
		json_object_array_add(a, mount_obj("/sys", "bind", "/sys", sys_bind_o, 5));
	else
		json_object_array_add(a, mount_obj("/sys", "sysfs", "sysfs", sys_o, 4));
	json_object_array_add(a, mount_obj("/sys/fs/cgroup", "cgroup", "cgroup", cg_o, 5));
	/* a read-only root still gets a writable /tmp, as most programs need one */
	if (c->read_only_root)
		json_object_array_add(a, mount_obj("/tmp", "tmpfs", "tmpfs", tmp_o, 4));
	for (unsigned i = 0; i < c->n_mounts; i++) {
		const VolumeMount *m = &c->mounts[i];
		const Volume *v = NULL;
		char src[512];
		const char *opts[4] = { "rbind", m->read_only ? "ro" : "rw", "nosuid", "nodev" };
		for (unsigned k = 0; k < in->pod->n_volumes; k++)
			if (streq(in->pod->volumes[k].name, m->name))
				v = &in->pod->volumes[k];
		if (!v) {
			*r = fail(err, errlen, "no volume named '%s'", m->name);
			break;
		}
		if (v->kind == VOLUME_EMPTY_DIR)
			snprintf(src, sizeof(src), "%s/%s", in->volumes_dir, v->name);
		else /* the descriptor the kubelet resolved, mounted there (hostpath.c) */
			snprintf(src, sizeof(src), "%s/%s", in->hostpaths_dir, v->name);
		json_object_array_add(a, mount_obj(m->path, "bind", src, opts, 4));
	}
	return a;
}

static json_object *resources_obj(const Container *c)
{
	json_object *res = json_object_new_object(), *dev = json_object_new_object(),
		    *devs = json_object_new_array(), *pids = json_object_new_object();

	json_object_object_add(dev, "allow", json_object_new_boolean(0));
	json_object_object_add(dev, "access", json_object_new_string("rwm"));
	json_object_array_add(devs, dev);
	json_object_object_add(res, "devices", devs);
	json_object_object_add(pids, "limit", json_object_new_int64(SPEC_PIDS_MAX));
	json_object_object_add(res, "pids", pids);
	if (c->memory_bytes) {
		json_object *mem = json_object_new_object();
		json_object_object_add(mem, "limit", json_object_new_int64((int64_t)c->memory_bytes));
		json_object_object_add(mem, "swap", json_object_new_int64((int64_t)c->memory_bytes));
		json_object_object_add(res, "memory", mem);
	}
	if (c->cpu_millis) {
		json_object *cpu = json_object_new_object();
		json_object_object_add(cpu, "quota", json_object_new_int64((int64_t)c->cpu_millis * 100));
		json_object_object_add(cpu, "period", json_object_new_int64(100000));
		json_object_object_add(res, "cpu", cpu);
	}
	return res;
}

static json_object *id_mappings(uid_t base)
{
	json_object *a = json_object_new_array(), *m = json_object_new_object();

	json_object_object_add(m, "containerID", json_object_new_int64(0));
	json_object_object_add(m, "hostID", json_object_new_int64((int64_t)base));
	json_object_object_add(m, "size", json_object_new_int64(POD_IDS));
	json_object_array_add(a, m);
	return a;
}

static json_object *namespaces_array(const Pod *pod)
{
	static const char *const always[] = { "user", "pid", "ipc", "mount", "cgroup" };
	static const char *const own_net[] = { "network", "uts" };
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < ARRAY_SIZE(always); i++) {
		json_object *ns = json_object_new_object();
		json_object_object_add(ns, "type", json_object_new_string(always[i]));
		json_object_array_add(a, ns);
	}
	for (size_t i = 0; !pod->host_network && i < ARRAY_SIZE(own_net); i++) {
		json_object *ns = json_object_new_object();
		json_object_object_add(ns, "type", json_object_new_string(own_net[i]));
		json_object_array_add(a, ns);
	}
	return a;
}

int spec_build(const SpecInput *in, json_object **ret, char *err, size_t errlen)
{
	const char *argv[2 * OCI_ARGS_MAX + 2];
	unsigned long uid = in->uid, gid = in->gid;
	json_object *spec, *proc, *user, *caps, *root, *linux_, *mounts;
	int r = spec_argv(in->ctr, in->image, argv, ARRAY_SIZE(argv));

	if (r == -EINVAL)
		return fail(err, errlen, "nothing to run: no command in the pod and none in the image");
	if (r < 0)
		return fail(err, errlen, "too many arguments");
	if (uid >= POD_IDS || gid >= POD_IDS || in->id_base == 0 ||
	    in->id_base > POD_ID_LIMIT - POD_IDS)
		return fail(err, errlen, "user %lu:%lu or id range %u out of range", uid, gid,
			    (unsigned)in->id_base);
	r = 0;
	mounts = mounts_array(in, err, errlen, &r);
	if (r < 0) {
		json_object_put(mounts);
		return r;
	}

	spec = json_object_new_object();
	json_object_object_add(spec, "ociVersion", json_object_new_string("1.0.2"));
	proc = json_object_new_object();
	json_object_object_add(proc, "terminal", json_object_new_boolean(0));
	user = json_object_new_object();
	json_object_object_add(user, "uid", json_object_new_int64((int64_t)uid));
	json_object_object_add(user, "gid", json_object_new_int64((int64_t)gid));
	json_object_object_add(proc, "user", user);
	json_object_object_add(proc, "args", jstrv(argv, ARRAY_SIZE(argv)));
	json_object_object_add(proc, "env", env_array(in->pod, in->ctr, in->image));
	json_object_object_add(proc, "cwd",
			       json_object_new_string(in->ctr->working_dir ? in->ctr->working_dir
					       : in->image->workdir ? in->image->workdir : "/"));
	caps = json_object_new_object();
	{
		size_t n = strv_len(in->ctr->cap_add);
		const char *const *v = (const char *const *)in->ctr->cap_add;
		json_object_object_add(caps, "bounding", jstrv(v, n));
		json_object_object_add(caps, "permitted", jstrv(v, n));
		json_object_object_add(caps, "effective", jstrv(v, n));
		/* a non-root process keeps what it was given across exec only as ambient
		 * capabilities, which must be inheritable too */
		json_object_object_add(caps, "inheritable", uid ? jstrv(v, n) : json_object_new_array());
		json_object_object_add(caps, "ambient", uid ? jstrv(v, n) : json_object_new_array());
	}
	json_object_object_add(proc, "capabilities", caps);
	json_object_object_add(proc, "noNewPrivileges",
			       json_object_new_boolean(!in->ctr->allow_privilege_escalation));
	json_object_object_add(proc, "oomScoreAdj", json_object_new_int(1000));
	json_object_object_add(spec, "process", proc);

	root = json_object_new_object();
	json_object_object_add(root, "path", json_object_new_string(in->rootfs));
	json_object_object_add(root, "readonly", json_object_new_boolean(in->ctr->read_only_root));
	json_object_object_add(spec, "root", root);
	if (!in->pod->host_network)
		json_object_object_add(spec, "hostname", json_object_new_string(in->pod->name));
	json_object_object_add(spec, "mounts", mounts);

	linux_ = json_object_new_object();
	json_object_object_add(linux_, "namespaces", namespaces_array(in->pod));
	json_object_object_add(linux_, "uidMappings", id_mappings(in->id_base));
	json_object_object_add(linux_, "gidMappings", id_mappings(in->id_base));
	json_object_object_add(linux_, "cgroupsPath", json_object_new_string(in->cgroup));
	json_object_object_add(linux_, "resources", resources_obj(in->ctr));
	json_object_object_add(linux_, "maskedPaths", jstrv(masked_paths, ARRAY_SIZE(masked_paths)));
	json_object_object_add(linux_, "readonlyPaths",
			       jstrv(readonly_paths, ARRAY_SIZE(readonly_paths)));
	/* RuntimeDefault is the node's one policy (lib/policy), the one its services get */
	json_object_object_add(linux_, "seccomp", seccomp_policy_oci());
	json_object_object_add(spec, "linux", linux_);
	{
		json_object *ann = json_object_new_object();
		json_object_object_add(ann, "io.kubernetes.pod.name", json_object_new_string(in->pod->name));
		json_object_object_add(ann, "io.kubernetes.pod.namespace",
				       json_object_new_string(in->pod->namespace));
		json_object_object_add(ann, "io.kubernetes.pod.uid", json_object_new_string(in->pod_uid));
		json_object_object_add(ann, "io.kubernetes.container.name",
				       json_object_new_string(in->ctr->name));
		json_object_object_add(spec, "annotations", ann);
	}
	*ret = spec;
	return 0;
}
