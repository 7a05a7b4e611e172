/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-kubelet: the OCI runtime spec it generates and the restart backoff (OCI image layouts:
 * test-oci-image.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "backoff.h"
#include "manifest.h"
#include "oci-image.h"
#include "policy.h"
#include "spec.h"
#include "util.h"

static Pod parse(const char *text)
{
	Pod p;
	char err[256];
	if (pod_parse(text, strlen(text), &p, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	return p;
}

#define ID_BASE 0x40010000U

/* The container's user as the kubelet resolves it (a policy that allows root), then its spec. */
static json_object *build(const Pod *p, const OciConfig *img, char *err, size_t errlen, int *r)
{
	static const char allow_root[] = "allow * runAsRoot\n";
	json_object *spec = NULL;
	PodPolicy pol;
	SpecInput in = { .pod = p, .ctr = &p->containers[0], .image = img, .rootfs = "/r",
			 .volumes_dir = "/v", .hostpaths_dir = "/hp", .cgroup = "/kubepods/podU/c",
			 .pod_uid = "U", .id_base = ID_BASE };

	assert_int_equal(pod_policy_parse(allow_root, strlen(allow_root), "t", &pol, err, errlen), 0);
	*r = pod_user(&pol, p, in.ctr, img->user, &in.uid, &in.gid, err, errlen);
	if (*r < 0)
		return NULL;
	*r = spec_build(&in, &spec, err, errlen);
	return spec;
}

static const char *get(json_object *o, const char *path)
{
	/* "a.b.c" through objects, "[n]" into arrays; the value as JSON text */
	char buf[256], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *t = strtok_r(buf, ".", &save); t && o; t = strtok_r(NULL, ".", &save)) {
		char *br = strchr(t, '[');
		int idx = -1;
		if (br) {
			idx = atoi(br + 1);
			*br = '\0';
		}
		if (*t && !json_object_object_get_ex(o, t, &o))
			return "(missing)";
		if (idx >= 0)
			o = json_object_array_get_idx(o, (size_t)idx);
	}
	return o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : "(missing)";
}

static void test_spec(void **state)
{
	static const char yaml[] =
		"apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n"
		"  volumes: [{name: d, emptyDir: {}}, {name: h, hostPath: {path: /etc/kcc}},\n"
		"            {name: k, secret: {secretName: db}}]\n"
		"  containers:\n  - name: c\n    image: i\n    args: [x]\n"
		"    env: [{name: PATH, value: /mine}]\n"
		"    resources: {limits: {cpu: 250m, memory: 32Mi}}\n"
		"    securityContext: {runAsUser: 1000, readOnlyRootFilesystem: true,\n"
		"                      capabilities: {add: [NET_BIND_SERVICE]}}\n"
		"    volumeMounts: [{name: d, mountPath: /d}, {name: h, mountPath: /h},\n"
		"                   {name: k, mountPath: /k}]\n";
	Pod p = parse(yaml);
	OciConfig img = { .entrypoint = { "/bin/ep", NULL }, .cmd = { "dropped", NULL },
			  .env = { "PATH=/img", "IMG=1", NULL } };
	char err[256];
	int r;
	json_object *s = build(&p, &img, err, sizeof(err), &r);

	(void)state;
	assert_int_equal(r, 0);
	/* args replace the image's Cmd, the Entrypoint stays */
	assert_string_equal(get(s, "process.args"), "[\"\\/bin\\/ep\",\"x\"]");
	assert_string_equal(get(s, "process.env"),
			    "[\"IMG=1\",\"PATH=\\/mine\",\"HOSTNAME=web\"]");
	assert_string_equal(get(s, "process.user.uid"), "1000");
	assert_string_equal(get(s, "process.noNewPrivileges"), "true");
	assert_string_equal(get(s, "process.capabilities.bounding"), "[\"CAP_NET_BIND_SERVICE\"]");
	assert_string_equal(get(s, "process.capabilities.ambient"), "[\"CAP_NET_BIND_SERVICE\"]");
	assert_string_equal(get(s, "root.readonly"), "true");
	assert_string_equal(get(s, "hostname"), "\"web\"");
	assert_string_equal(get(s, "linux.cgroupsPath"), "\"\\/kubepods\\/podU\\/c\"");
	assert_string_equal(get(s, "linux.resources.memory.limit"), "33554432");
	assert_string_equal(get(s, "linux.resources.cpu.quota"), "25000");
	assert_string_equal(get(s, "linux.resources.pids.limit"), "1024");
	assert_string_equal(get(s, "linux.seccomp.defaultAction"), "\"SCMP_ACT_ERRNO\"");
	assert_non_null(strstr(get(s, "linux.seccomp.syscalls[0].names"), "\"execve\""));
	assert_null(strstr(get(s, "linux.seccomp.syscalls[0].names"), "\"mount\""));
	assert_null(strstr(get(s, "linux.seccomp.syscalls[0].names"), "\"bpf\""));
	assert_non_null(strstr(get(s, "linux.maskedPaths"), "kcore"));
	assert_non_null(strstr(get(s, "linux.namespaces"), "\"network\""));
	/* the read-only root gets a /tmp; emptyDir read-write, hostPath read-only */
	assert_non_null(strstr(get(s, "mounts"), "\"destination\":\"\\/tmp\""));
	assert_string_equal(get(s, "mounts[8].source"), "\"\\/v\\/d\"");
	assert_string_equal(get(s, "mounts[8].options[1]"), "\"rw\"");
	/* a hostPath is mounted from where the kubelet staged its descriptor, never the string */
	assert_string_equal(get(s, "mounts[9].source"), "\"\\/hp\\/h\"");
	assert_string_equal(get(s, "mounts[9].options[1]"), "\"ro\"");
	/* a secret volume: the tmpfs the kubelet staged there (secret-volume.c), always read-only */
	assert_string_equal(get(s, "mounts[10].source"), "\"\\/hp\\/k\"");
	assert_string_equal(get(s, "mounts[10].options[1]"), "\"ro\"");
	/* its own user namespace: container ids 0..65535 are host ids ID_BASE.. */
	assert_non_null(strstr(get(s, "linux.namespaces"), "{\"type\":\"user\"}"));
	assert_string_equal(get(s, "linux.uidMappings"),
			    "[{\"containerID\":0,\"hostID\":1073807360,\"size\":65536}]");
	assert_string_equal(get(s, "linux.gidMappings"),
			    "[{\"containerID\":0,\"hostID\":1073807360,\"size\":65536}]");
	/* its own network namespace: a sysfs of its own */
	assert_string_equal(get(s, "mounts[5].type"), "\"sysfs\"");
	json_object_put(s);
	pod_free(&p);
}

static void test_spec_defaults(void **state)
{
	static const char yaml[] = "apiVersion: v1\nkind: Pod\nmetadata: {name: n}\nspec:\n"
				   "  hostNetwork: true\n  containers: [{name: c, image: i, command: [run]}]\n";
	Pod p = parse(yaml);
	OciConfig img = { .cmd = { "ignored", NULL }, .user = "nobody" };
	OciConfig none = { 0 };
	char err[256];
	int r;
	json_object *s;

	(void)state;
	/* a non-numeric image user cannot be resolved without passwd lookups */
	s = build(&p, &img, err, sizeof(err), &r);
	assert_int_equal(r, -EPERM);
	assert_non_null(strstr(err, "imageUser: container c: the image's user 'nobody' is not numeric"));
	img.user = "7:8";
	s = build(&p, &img, err, sizeof(err), &r);
	assert_int_equal(r, 0);
	assert_string_equal(get(s, "process.args"), "[\"run\"]");
	assert_string_equal(get(s, "process.user.gid"), "8");
	assert_string_equal(get(s, "process.capabilities.bounding"), "[]");
	assert_string_equal(get(s, "root.readonly"), "false");
	assert_null(strstr(get(s, "linux.namespaces"), "network"));
	assert_non_null(strstr(get(s, "linux.namespaces"), "user"));
	/* the host's network from a user namespace: the host's /sys, read-only all the way down */
	assert_string_equal(get(s, "mounts[5].source"), "\"\\/sys\"");
	assert_string_equal(get(s, "mounts[5].options"),
			    "[\"rbind\",\"rro\",\"rnosuid\",\"rnoexec\",\"rnodev\"]");
	assert_string_equal(get(s, "hostname"), "(missing)");
	assert_string_equal(get(s, "linux.resources.memory"), "(missing)");
	json_object_put(s);
	pod_free(&p);
	p = parse("apiVersion: v1\nkind: Pod\nmetadata: {name: n}\nspec: {containers: [{name: c, image: i}]}\n");
	s = build(&p, &none, err, sizeof(err), &r);
	assert_int_equal(r, -EINVAL);
	assert_non_null(strstr(err, "nothing to run"));
	pod_free(&p);
}

static void test_backoff(void **state)
{
	(void)state;
	assert_int_equal(backoff_delay_s(1), 0);
	assert_int_equal(backoff_delay_s(2), 10);
	assert_int_equal(backoff_delay_s(3), 20);
	assert_int_equal(backoff_delay_s(5), 80);
	assert_int_equal(backoff_delay_s(6), 160);
	assert_int_equal(backoff_delay_s(7), 300);
	assert_int_equal(backoff_delay_s(60), 300);
	assert_int_equal(backoff_next(0, 0), 1);
	assert_int_equal(backoff_next(4, 599), 5);
	assert_int_equal(backoff_next(4, 600), 1); /* ran 10 minutes: starts over */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec),	     cmocka_unit_test(test_spec_defaults),
		cmocka_unit_test(test_backoff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
