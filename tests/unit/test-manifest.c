/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-kubelet's manifest parser: the supported Pod subset from YAML and JSON, and each rejection
 * with the field it names. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "manifest.h"
#include "ynode.h"

static const char web_yaml[] =
	"apiVersion: v1\n"
	"kind: Pod\n"
	"metadata:\n"
	"  name: web\n"
	"  labels: {app: web, tier: \"1\"}\n"
	"spec:\n"
	"  hostNetwork: true\n"
	"  restartPolicy: OnFailure\n"
	"  volumes:\n"
	"    - name: data\n"
	"      emptyDir: {}\n"
	"    - name: conf\n"
	"      hostPath: {path: /etc/kcc, type: Directory}\n"
	"  containers:\n"
	"    - name: httpd\n"
	"      image: busybox:1.35\n"
	"      imagePullPolicy: Never\n"
	"      command: [/bin/httpd, -f]\n"
	"      args: [\"-p\", \"8080\"]\n"
	"      env: [{name: A, value: \"x=y\"}, {name: EMPTY}]\n"
	"      workingDir: /www\n"
	"      ports: [{containerPort: 8080}]\n"
	"      resources: {limits: {cpu: 250m, memory: 64Mi}, requests: {cpu: 100m}}\n"
	"      securityContext:\n"
	"        runAsUser: 1000\n"
	"        runAsGroup: 1000\n"
	"        readOnlyRootFilesystem: true\n"
	"        allowPrivilegeEscalation: false\n"
	"        capabilities: {add: [NET_BIND_SERVICE], drop: [ALL]}\n"
	"        seccompProfile: {type: RuntimeDefault}\n"
	"      volumeMounts:\n"
	"        - {name: data, mountPath: /data}\n"
	"        - {name: conf, mountPath: /conf}\n"
	"        - {name: conf, mountPath: /conf-rw, readOnly: false}\n"
	"      readinessProbe: {httpGet: {path: /healthz, port: 8080}, periodSeconds: 2}\n"
	"      livenessProbe: {exec: {command: [cat, /tmp/ok]}, failureThreshold: 5}\n";

static void test_yaml(void **state)
{
	Pod p;
	char err[256];
	const Container *c;

	(void)state;
	assert_int_equal(pod_parse(web_yaml, strlen(web_yaml), &p, err, sizeof(err)), 0);
	assert_string_equal(p.name, "web");
	assert_string_equal(p.namespace, "default");
	assert_int_equal(p.n_labels, 2);
	assert_string_equal(p.label_values[1], "1");
	assert_true(p.host_network);
	assert_int_equal(p.restart, POD_RESTART_ON_FAILURE);
	assert_int_equal(p.n_containers, 1);
	c = &p.containers[0];
	assert_string_equal(c->command[0], "/bin/httpd");
	assert_string_equal(c->args[1], "8080");
	assert_null(c->args[2]);
	assert_string_equal(c->env[0], "A=x=y");
	assert_string_equal(c->env[1], "EMPTY=");
	assert_int_equal(c->cpu_millis, 250);
	assert_int_equal(c->memory_bytes, 64 << 20);
	assert_true(c->has_uid && c->uid == 1000 && c->gid == 1000);
	assert_true(c->read_only_root);
	assert_false(c->allow_privilege_escalation);
	assert_string_equal(c->cap_add[0], "CAP_NET_BIND_SERVICE");
	assert_null(c->cap_add[1]);
	assert_int_equal(c->n_mounts, 3);
	assert_false(c->mounts[0].read_only); /* emptyDir: writable */
	assert_true(c->mounts[1].read_only);  /* hostPath: read-only by default */
	assert_false(c->mounts[2].read_only); /* unless the mount says so */
	assert_int_equal(c->readiness.kind, PROBE_HTTP);
	assert_int_equal(c->readiness.port, 8080);
	assert_int_equal(c->readiness.period_s, 2);
	assert_int_equal(c->readiness.failure_threshold, 3);
	assert_int_equal(c->liveness.kind, PROBE_EXEC);
	assert_string_equal(c->liveness.exec[1], "/tmp/ok");
	assert_int_equal(c->liveness.failure_threshold, 5);
	pod_free(&p);
}

static void test_json(void **state)
{
	static const char json[] =
		"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"a.b\",\"namespace\":\"ns1\"},"
		"\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"img\"}]}}";
	Pod p;
	char err[256];

	(void)state;
	assert_int_equal(pod_parse(json, strlen(json), &p, err, sizeof(err)), 0);
	assert_string_equal(p.name, "a.b");
	assert_string_equal(p.namespace, "ns1");
	assert_int_equal(p.restart, POD_RESTART_ALWAYS);
	assert_false(p.containers[0].has_command);
	pod_free(&p);
}

/* Each manifest must be rejected with this text in its reason. */
static void rejects(const char *text, const char *reason)
{
	Pod p;
	char err[256] = "";
	int r = pod_parse(text, strlen(text), &p, err, sizeof(err));

	if (r >= 0 || !strstr(err, reason))
		fail_msg("manifest:\n%s\nexpected a rejection with '%s', got %d '%s'", text, reason, r,
			 err);
	pod_free(&p);
}

#define POD(spec) "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n" spec
#define CTR(extra) POD("  containers:\n  - name: c\n    image: i\n" extra)

static void test_rejects(void **state)
{
	(void)state;
	rejects("apiVersion: v2\nkind: Pod\n", "apiVersion: must be v1");
	rejects("kind: Pod\n", "needs apiVersion: v1 and kind: Pod");
	rejects("apiVersion: v1\nkind: Deployment\n", "kind: must be Pod");
	rejects("apiVersion: v1\nkind: Pod\nspec: {containers: [{name: c, image: i}]}\n",
		"metadata.name: is required");
	rejects(POD("  containers: []\n"), "spec.containers: must hold 1 to 8 containers");
	rejects(CTR("    stdin: true\n"), "spec.containers[0].stdin: unsupported field");
	rejects(POD("  nodeName: x\n  containers: [{name: c, image: i}]\n"),
		"spec.nodeName: unsupported field");
	rejects(CTR("    resources: {limits: {memory: 64Q}}\n"),
		"spec.containers[0].resources.limits.memory: invalid quantity '64Q'");
	rejects(CTR("    resources: {limits: {cpu: 0.0001}}\n"), "limits.cpu: invalid quantity");
	rejects(CTR("    resources: {limits: {nvidia.com/gpu: 1}}\n"),
		"limits.nvidia.com/gpu: unsupported field");
	rejects(CTR("    securityContext: {privileged: true}\n"), "privileged containers are not supported");
	rejects(POD("  volumes: [{name: v, hostPath: {path: /dev/sda, type: BlockDevice}}]\n"
		    "  containers: [{name: c, image: i}]\n"),
		"spec.volumes[0].hostPath.type: device types are refused on kcc-node");
	rejects(POD("  volumes: [{name: v, hostPath: {path: /dev/tty, type: CharDevice}}]\n"
		    "  containers: [{name: c, image: i}]\n"),
		"device types are refused");
	rejects(POD("  volumes: [{name: v, hostPath: {path: /x, type: Fifo}}]\n"
		    "  containers: [{name: c, image: i}]\n"),
		"must be Directory, DirectoryOrCreate, File, FileOrCreate or Socket, not 'Fifo'");
	rejects(POD("  volumes: [{name: v, hostPath: {path: x/y}}]\n  containers: [{name: c, image: i}]\n"),
		"spec.volumes[0].hostPath.path: must be an absolute path");
	rejects(CTR("    securityContext: {runAsUser: 4294967295}\n"),
		"runAsUser: must be a whole number up to 2147483647, not '4294967295'");
	rejects(CTR("    securityContext: {runAsGroup: 2147483648}\n"), "runAsGroup: must be a whole number");
	rejects(CTR("    securityContext: {capabilities: {add: [FLY]}}\n"), "unknown capability 'FLY'");
	rejects(CTR("    securityContext: {seccompProfile: {type: Unconfined}}\n"),
		"only RuntimeDefault is supported");
	rejects(CTR("    securityContext: {runAsUser: -1}\n"), "runAsUser: must be a whole number");
	rejects(CTR("    securityContext: {readOnlyRootFilesystem: yes}\n"), "must be true or false");
	rejects(CTR("    env: [{name: A, valueFrom: {secretKeyRef: {name: s}}}]\n"),
		"valueFrom is not supported");
	rejects(CTR("    volumeMounts: [{name: v, mountPath: /v}]\n"), "no volume named 'v'");
	rejects(CTR("    livenessProbe: {tcpSocket: {port: 80}}\n"), "livenessProbe.tcpSocket: unsupported field");
	rejects(CTR("    livenessProbe: {httpGet: {port: http}}\n"), "named ports are not supported");
	rejects(CTR("    livenessProbe: {httpGet: {port: 80, scheme: HTTPS}}\n"), "only HTTP");
	rejects(CTR("    livenessProbe: {periodSeconds: 0, exec: {command: [x]}}\n"),
		"periodSeconds: must be at least 1");
	rejects(POD("  containers:\n  - {name: c, image: i}\n  - {name: c, image: i}\n"),
		"duplicate container name 'c'");
	rejects(POD("  containers: [{name: C_1, image: i}]\n"), "'C_1' is not a DNS label");
	rejects(POD("  restartPolicy: Sometimes\n  containers: [{name: c, image: i}]\n"),
		"must be Always, OnFailure or Never");
	rejects(POD("  volumes: [{name: v, hostPath: {path: ../etc}}]\n  containers: [{name: c, image: i}]\n"),
		"hostPath.path: must be an absolute path");
	rejects(POD("  volumes: [{name: v, emptyDir: {medium: Memory}}]\n  containers: [{name: c, image: i}]\n"),
		"medium and sizeLimit are not supported");
}

static void test_yaml_limits(void **state)
{
	static const char alias[] = "a: &x [1, 2]\nb: *x\n";
	static const char two[] = "a: 1\n---\nb: 2\n";
	static const char dup[] = "a: 1\na: 2\n";
	YNode *n = NULL;
	char err[256], *deep;
	size_t k = 0;

	(void)state;
	assert_int_equal(ynode_parse(alias, strlen(alias), &n, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "anchors are not supported"));
	assert_int_equal(ynode_parse(two, strlen(two), &n, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "more than one document"));
	assert_int_equal(ynode_parse(dup, strlen(dup), &n, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "duplicate map key"));
	assert_int_equal(ynode_parse("a: [1, 2", 8, &n, err, sizeof(err)), -EINVAL);
	assert_null(n);
	deep = malloc(200);
	for (; k < 80; k++)
		deep[k] = '[';
	deep[k] = '\0';
	assert_int_equal(ynode_parse(deep, k, &n, err, sizeof(err)), -E2BIG);
	assert_non_null(strstr(err, "nested too deeply"));
	free(deep);
	rejects("- just\n- a list\n", "needs apiVersion: v1 and kind: Pod");
	rejects("", "empty document");
}

static void test_quantities(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(quantity_cpu_millis("500m", &v), 0);
	assert_int_equal(v, 500);
	assert_int_equal(quantity_cpu_millis("2", &v), 0);
	assert_int_equal(v, 2000);
	assert_int_equal(quantity_cpu_millis("0.5", &v), 0);
	assert_int_equal(v, 500);
	assert_int_equal(quantity_cpu_millis("1.5m", &v), -EINVAL);
	assert_int_equal(quantity_cpu_millis("", &v), -EINVAL);
	assert_int_equal(quantity_cpu_millis("1k", &v), -EINVAL);
	assert_int_equal(quantity_bytes("128Mi", &v), 0);
	assert_int_equal(v, 128ULL << 20);
	assert_int_equal(quantity_bytes("1G", &v), 0);
	assert_int_equal(v, 1000000000ULL);
	assert_int_equal(quantity_bytes("1.5Gi", &v), 0);
	assert_int_equal(v, 3ULL << 29);
	assert_int_equal(quantity_bytes("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(quantity_bytes("0.5", &v), -EINVAL);
	assert_int_equal(quantity_bytes("99999999999Ti", &v), -ERANGE);
	assert_int_equal(quantity_bytes("1e3", &v), -EINVAL);
	assert_true(dns_subdomain_is_valid("a.b-c"));
	assert_false(dns_subdomain_is_valid("a..b"));
	assert_false(dns_label_is_valid("-a"));
}

/* secret: {secretName: NAME}: always read-only, a DNS subdomain, nothing else in it */
static void test_secret_volume(void **state)
{
	static const char text[] = POD("  volumes: [{name: k, secret: {secretName: db-password}}]\n"
				       "  containers:\n  - name: c\n    image: i\n"
				       "    volumeMounts: [{name: k, mountPath: /etc/db}]\n");
	Pod p;
	char err[256] = "";

	(void)state;
	assert_int_equal(pod_parse(text, strlen(text), &p, err, sizeof(err)), 0);
	assert_int_equal(p.volumes[0].kind, VOLUME_SECRET);
	assert_string_equal(p.volumes[0].secret_name, "db-password");
	assert_true(p.containers[0].mounts[0].read_only);
	pod_free(&p);
	rejects(POD("  volumes: [{name: k, secret: {secretName: db-password}}]\n"
		    "  containers:\n  - name: c\n    image: i\n"
		    "    volumeMounts: [{name: k, mountPath: /etc/db, readOnly: false}]\n"),
		"volumeMounts[0]: a secret volume is read-only");
	rejects(POD("  volumes: [{name: k, secret: {secretName: ../x}}]\n  containers: [{name: c, image: i}]\n"),
		"spec.volumes[0].secret.secretName: '../x' is not a DNS subdomain");
	rejects(POD("  volumes: [{name: k, secret: {}}]\n  containers: [{name: c, image: i}]\n"),
		"spec.volumes[0].secret: needs secretName");
	rejects(POD("  volumes: [{name: k, secret: {secretName: a, defaultMode: 256}}]\n"
		    "  containers: [{name: c, image: i}]\n"),
		"secret.defaultMode: unsupported field");
	rejects(POD("  volumes: [{name: k, emptyDir: {}, secret: {secretName: a}}]\n"
		    "  containers: [{name: c, image: i}]\n"),
		"needs exactly one of emptyDir, hostPath and secret");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yaml),	   cmocka_unit_test(test_json),
		cmocka_unit_test(test_rejects),	   cmocka_unit_test(test_yaml_limits),
		cmocka_unit_test(test_quantities), cmocka_unit_test(test_secret_volume),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
