/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-kubelet: the OCI runtime spec it generates, the restart backoff, and OCI image layouts
 * (lookup by name, digest checks, layers with whiteouts) built here with libarchive. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

#include "backoff.h"
#include "fs.h"
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
		"  volumes: [{name: d, emptyDir: {}}, {name: h, hostPath: {path: /etc/kcc}}]\n"
		"  containers:\n  - name: c\n    image: i\n    args: [x]\n"
		"    env: [{name: PATH, value: /mine}]\n"
		"    resources: {limits: {cpu: 250m, memory: 32Mi}}\n"
		"    securityContext: {runAsUser: 1000, readOnlyRootFilesystem: true,\n"
		"                      capabilities: {add: [NET_BIND_SERVICE]}}\n"
		"    volumeMounts: [{name: d, mountPath: /d}, {name: h, mountPath: /h}]\n";
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

/* ---- a layout built here ---- */

static char dir[64];

static void sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned n;
	EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* Writes a blob, returns "sha256:..." and its size. */
static void put_blob(const void *data, size_t len, char digest[72], size_t *size)
{
	char hex[65], path[256];
	FILE *f;
	sha256_hex(data, len, hex);
	snprintf(digest, 72, "sha256:%s", hex);
	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", dir, hex);
	f = fopen(path, "w");
	assert_non_null(f);
	fwrite(data, 1, len, f);
	fclose(f);
	*size = len;
}

/* A gzip tar layer of entries "path=content" ("path/" a directory, "path->target" a link). */
static void layer(const char *const *entries, char digest[72], size_t *size)
{
	static char buf[1 << 16];
	size_t used = 0;
	struct archive *a = archive_write_new();
	archive_write_add_filter_gzip(a);
	archive_write_set_format_pax_restricted(a);
	archive_write_open_memory(a, buf, sizeof(buf), &used);
	for (size_t i = 0; entries[i]; i++) {
		struct archive_entry *e = archive_entry_new();
		char name[128];
		const char *eq = strchr(entries[i], '='), *arrow = strstr(entries[i], "->");
		size_t n = eq ? (size_t)(eq - entries[i]) : arrow ? (size_t)(arrow - entries[i]) : strlen(entries[i]);
		snprintf(name, sizeof(name), "%.*s", (int)n, entries[i]);
		archive_entry_set_pathname(e, name);
		archive_entry_set_mode(e, name[n - 1] == '/' ? AE_IFDIR | 0755 : arrow ? AE_IFLNK | 0777 : AE_IFREG | 0644);
		if (arrow)
			archive_entry_set_symlink(e, arrow + 2);
		archive_entry_set_size(e, eq ? (la_int64_t)strlen(eq + 1) : 0);
		archive_write_header(a, e);
		if (eq)
			archive_write_data(a, eq + 1, strlen(eq + 1));
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
	put_blob(buf, used, digest, size);
}

static void make_layout(void)
{
	static const char *const l1[] = { "bin/", "bin/tool=v1", "etc/", "etc/gone=x", "etc/keep=k",
					   "opq/", "opq/old=o", "bin/link->tool", NULL };
	static const char *const l2[] = { "bin/tool=v2", "etc/.wh.gone", "opq/.wh..wh..opq",
					   "opq/new=n", "../escape=x", NULL };
	char d1[72], d2[72], dc[72], dm[72], json[2048], path[256];
	size_t s1, s2, sc, sm;
	FILE *f;

	snprintf(dir, sizeof(dir), "/tmp/kcc-oci-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/blobs/sha256", dir);
	assert_int_equal(mkdir_p(path, 0755), 0);
	layer(l1, d1, &s1);
	layer(l2 + 0, d2, &s2);
	snprintf(json, sizeof(json),
		 "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"/bin/tool\"],"
		 "\"Env\":[\"A=1\"],\"WorkingDir\":\"/etc\",\"User\":\"5\"}}");
	put_blob(json, strlen(json), dc, &sc);
	snprintf(json, sizeof(json),
		 "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
		 "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"%s\",\"size\":%zu},"
		 "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"%s\",\"size\":%zu},"
		 "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"%s\",\"size\":%zu}]}",
		 dc, sc, d1, s1, d2, s2);
	put_blob(json, strlen(json), dm, &sm);
	snprintf(path, sizeof(path), "%s/index.json", dir);
	f = fopen(path, "w");
	fprintf(f, "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
		   "\"digest\":\"%s\",\"size\":%zu,\"annotations\":{\"org.opencontainers.image.ref.name\":\"tool:2\"}},"
		   "{\"digest\":\"%s\",\"size\":%zu,\"annotations\":{\"io.containerd.image.name\":\"docker.io/library/tool:latest\"}}]}",
		dm, sm, dm, sm);
	fclose(f);
}

static void test_oci(void **state)
{
	const char *dirs[] = { "/nonexistent", NULL, NULL };
	char err[512], root[128], *text = NULL;
	OciImage img;
	OciConfig cfg;
	struct stat st;

	(void)state;
	make_layout();
	dirs[1] = dir;
	assert_int_equal(oci_find(dirs, "tool:3", &img, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "image tool:3 is in no image layout"));
	assert_int_equal(oci_find(dirs, "tool", &img, err, sizeof(err)), 0); /* :latest, containerd name */
	assert_int_equal(oci_find(dirs, "tool:2", &img, err, sizeof(err)), 0);
	assert_int_equal(oci_config(&img, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.cmd[0], "/bin/tool");
	assert_string_equal(cfg.env[0], "A=1");
	assert_string_equal(cfg.workdir, "/etc");
	assert_string_equal(cfg.user, "5");
	oci_config_done(&cfg);

	/* The second layer's "../escape" is refused: nothing outside the root, the unpack fails. */
	snprintf(root, sizeof(root), "%s/root", dir);
	assert_int_equal(mkdir(root, 0755), 0);
	assert_true(oci_unpack(&img, root, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "escape"));
	snprintf(root, sizeof(root), "%s/escape", dir);
	assert_int_equal(stat(root, &st), -1);
	/* What came before the bad entry is applied: the upper layer's file, its whiteouts. */
	snprintf(root, sizeof(root), "%s/root/bin/tool", dir);
	assert_true(read_small_file(root, 100, &text) >= 0);
	assert_string_equal(text, "v2");
	free(text);
	snprintf(root, sizeof(root), "%s/root/etc/gone", dir);
	assert_int_equal(stat(root, &st), -1);
	snprintf(root, sizeof(root), "%s/root/etc/keep", dir);
	assert_int_equal(stat(root, &st), 0);
	snprintf(root, sizeof(root), "%s/root/opq/old", dir);
	assert_int_equal(stat(root, &st), -1);
	snprintf(root, sizeof(root), "%s/root/bin/link", dir);
	assert_int_equal(lstat(root, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	(void)rm_rf(dir);
}

static void test_oci_tamper(void **state)
{
	const char *dirs[] = { NULL, NULL };
	char err[512], root[128], path[300], hex[65];
	OciImage img;
	int fd;

	(void)state;
	make_layout();
	dirs[0] = dir;
	assert_int_equal(oci_find(dirs, "tool:2", &img, err, sizeof(err)), 0);
	/* One byte changed in the manifest blob: its digest no longer matches, nothing is used. */
	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", dir, img.manifest + 7);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "X", 1, 3), 1);
	close(fd);
	snprintf(root, sizeof(root), "%s/root", dir);
	assert_int_equal(mkdir(root, 0755), 0);
	assert_int_equal(oci_unpack(&img, root, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "its content has digest"));
	/* A blob replaced by a symbolic link is refused too. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	assert_true(oci_config(&img, &(OciConfig){ 0 }, err, sizeof(err)) < 0);
	/* A malformed digest in the index is refused, never turned into a path. */
	sha256_hex("x", 1, hex);
	snprintf(path, sizeof(path), "%s/index.json", dir);
	FILE *f = fopen(path, "w");
	fprintf(f, "{\"manifests\":[{\"digest\":\"sha256:../../%s\",\"annotations\":"
		   "{\"org.opencontainers.image.ref.name\":\"tool:2\"}}]}", hex);
	fclose(f);
	assert_int_equal(oci_find(dirs, "tool:2", &img, err, sizeof(err)), -EINVAL);
	assert_int_equal(oci_digest_valid("sha256:ABC"), -EINVAL);
	(void)rm_rf(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec),	     cmocka_unit_test(test_spec_defaults),
		cmocka_unit_test(test_backoff),	     cmocka_unit_test(test_oci),
		cmocka_unit_test(test_oci_tamper),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
