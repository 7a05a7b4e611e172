/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-kubelet's pod security policy: the policy file parser, host path spelling and the
 * never-mountable paths, every admission rule, the container's user, hostPath resolution from a
 * descriptor and the image owners' shift (table-driven). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

#include "fs.h"
#include "hostpath.h"
#include "manifest.h"
#include "policy.h"
#include "userns.h"
#include "util.h"

static void test_policy_parse_good(void **state)
{
	static const char text[] =
		"# comment\n"
		"\n"
		"allow default hostNetwork   # trailing comment\n"
		"allow * runAsRoot\n"
		"allow ops allowPrivilegeEscalation\n"
		"allow net capability NET_ADMIN CAP_NET_RAW\n"
		"hostPath data /var/lib/data readWrite\n"
		"\thostPath  data  /srv/ro  readOnly\n"
		"hostPath * /var/lib/kcc-data readOnly\n";
	PodPolicy pol;
	char err[512];

	(void)state;
	assert_int_equal(pod_policy_parse(text, strlen(text), "p", &pol, err, sizeof(err)), 0);
	assert_int_equal(pol.n_rules, 7);
	assert_string_equal(pol.rules[0].ns, "default");
	assert_int_equal(pol.rules[0].allow, POLICY_HOST_NETWORK);
	assert_int_equal(pol.rules[3].caps, (1ULL << 12) | (1ULL << 13));
	assert_string_equal(pol.rules[4].path, "/var/lib/data");
	assert_true(pol.rules[4].writable);
	assert_false(pol.rules[5].writable);
}

/* Every bad line: one error naming its line; the file then grants nothing. */
static void test_policy_parse_bad(void **state)
{
	static const struct {
		const char *line, *error;
	} cases[] = {
		{ "alow default hostNetwork", "p:2: unknown rule 'alow' (allow or hostPath)" },
		{ "allow default", "p:2: allow needs a namespace and what it allows" },
		{ "allow Default hostNetwork", "p:2: namespace 'Default' is not a DNS label or '*'" },
		{ "allow default hostPID", "p:2: unknown permission 'hostPID'" },
		{ "allow default hostNetwork yes", "p:2: 'allow default hostNetwork' takes nothing more" },
		{ "allow default capability", "p:2: capability needs at least one name" },
		{ "allow default capability FLY", "p:2: unknown capability 'FLY'" },
		{ "allow default capability net_admin", "p:2: unknown capability 'net_admin'" },
		{ "allow default capability SYS_ADMIN", "p:2: SYS_ADMIN is never allowed" },
		{ "allow default capability CAP_SYS_MODULE", "p:2: CAP_SYS_MODULE is never allowed" },
		{ "allow default capability BPF", "p:2: BPF is never allowed" },
		{ "hostPath default /data", "p:2: hostPath needs NAMESPACE PREFIX readOnly|readWrite" },
		{ "hostPath default data readOnly", "p:2: 'data' is not a canonical absolute path" },
		{ "hostPath default /data/ readOnly", "p:2: '/data/' is not a canonical absolute path" },
		{ "hostPath default /x/../data readOnly", "is not a canonical absolute path" },
		{ "hostPath default //data readOnly", "is not a canonical absolute path" },
		{ "hostPath default /proc readOnly", "p:2: '/proc' is never mountable" },
		{ "hostPath default /proc/sys readOnly", "'/proc/sys' is never mountable" },
		{ "hostPath default /var/lib readOnly", "contains /var/lib/kcc)" },
		{ "hostPath default /var readOnly", "'/var' is never mountable" },
		{ "hostPath default / readOnly", "'/' is never mountable" },
		{ "hostPath default /var/lib/kcc/keys readOnly", "'/var/lib/kcc/keys' is never mountable" },
		{ "hostPath default /data rw", "p:2: 'rw' is not readOnly or readWrite" },
	};
	char text[600], err[1024];
	PodPolicy pol;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		snprintf(text, sizeof(text), "allow ok hostNetwork\n%s\nallow ok runAsRoot\n",
			 cases[i].line);
		int r = pod_policy_parse(text, strlen(text), "p", &pol, err, sizeof(err));
		if (r != -EINVAL || !strstr(err, cases[i].error) || pol.n_rules != 0)
			fail_msg("'%s': expected '%s', got %d '%s' (%u rules)", cases[i].line,
				 cases[i].error, r, err, pol.n_rules);
	}
	/* one error per bad line, each with its number */
	snprintf(text, sizeof(text), "x\nallow ok hostNetwork\ny z\n");
	assert_int_equal(pod_policy_parse(text, strlen(text), "f", &pol, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "f:1: unknown rule 'x' (allow or hostPath)\n"
				 "f:3: unknown rule 'y' (allow or hostPath)");
	/* a NUL byte, an over-long line */
	assert_int_equal(pod_policy_parse("allow a\0b hostNetwork\n", 22, "f", &pol, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "f:1: holds a NUL byte"));
	{
		char big[POLICY_LINE_MAX + 40];
		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		assert_int_equal(pod_policy_parse(big, strlen(big), "f", &pol, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "f:1: longer than 512 characters"));
	}
	/* a missing file is the restricted profile */
	assert_int_equal(pod_policy_load("/nonexistent/pod-policy.conf", &pol, err, sizeof(err)), 0);
	assert_int_equal(pol.n_rules, 0);
}

static void test_host_path_spelling(void **state)
{
	static const struct {
		const char *in, *canonical, *forbidden; /* NULL: mountable */
	} cases[] = {
		{ "/proc", "/proc", "/proc" },
		{ "//proc", "/proc", "/proc" },
		{ "/proc/.", "/proc", "/proc" },
		{ "/x/../proc", "/proc", "/proc" },
		{ "/x/../../../proc/sys/kernel", "/proc/sys/kernel", "/proc" },
		{ "/./sys/", "/sys", "/sys" },
		{ "/dev/sda", "/dev/sda", "/dev" },
		{ "/run/kcc/control", "/run/kcc/control", "/run" },
		{ "/etc", "/etc", "/etc" },
		{ "/etc/kcc", "/etc/kcc", "/etc" },
		{ "/var/lib/kcc", "/var/lib/kcc", "/var/lib/kcc" },
		{ "/var/lib/kcc/", "/var/lib/kcc", "/var/lib/kcc" },
		{ "/var/lib/kcc-kubelet/pods", "/var/lib/kcc-kubelet/pods", "/var/lib/kcc-kubelet" },
		{ "/var/lib", "/var/lib", "/var/lib/kcc" },
		{ "/var", "/var", "/var/lib/kcc" },
		{ "/", "/", "/proc" },
		{ "/..", "/", "/proc" },
		{ "/.", "/", "/proc" },
		{ "/var/lib/kcc-data", "/var/lib/kcc-data", NULL },
		{ "/var/lib/kccx", "/var/lib/kccx", NULL },
		{ "/var/log/app", "/var/log/app", NULL },
		{ "/procx", "/procx", NULL },
		{ "/usr/share/kcc-kubelet", "/usr/share/kcc-kubelet", NULL },
	};
	char out[256];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *which = NULL;
		assert_int_equal(host_path_canonical(cases[i].in, out, sizeof(out)), 0);
		if (!streq(out, cases[i].canonical))
			fail_msg("%s: canonical '%s', expected '%s'", cases[i].in, out,
				 cases[i].canonical);
		bool f = host_path_forbidden(out, &which);
		if (f != !!cases[i].forbidden || (f && !streq(which, cases[i].forbidden)))
			fail_msg("%s: forbidden %d (%s), expected %s", cases[i].in, f,
				 f ? which : "-", cases[i].forbidden ? cases[i].forbidden : "mountable");
	}
	assert_int_equal(host_path_canonical("proc", out, sizeof(out)), -EINVAL);
	assert_int_equal(host_path_canonical("/aaaaaaaaaa", out, 8), -ENAMETOOLONG);
}

#define POD_NS(ns, spec) "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: " ns "}\nspec:\n" spec
#define CTR_NS(ns, extra) POD_NS(ns, "  containers:\n  - name: c\n    image: i\n" extra)
#define VOL(ns, path, ro)                                                                        \
	POD_NS(ns, "  volumes: [{name: h, hostPath: {path: '" path "'}}]\n"                     \
		   "  containers:\n  - name: c\n    image: i\n"                                   \
		   "    volumeMounts: [{name: h, mountPath: /h, readOnly: " ro "}]\n")

static const char test_policy[] =
	"allow net hostNetwork\n"
	"allow root runAsRoot\n"
	"allow esc allowPrivilegeEscalation\n"
	"allow net capability NET_ADMIN NET_RAW\n"
	"allow * capability CHOWN\n"
	"hostPath data /var/lib/data readWrite\n"
	"hostPath data /srv/ro readOnly\n"
	"hostPath * /var/lib/shared readOnly\n";

/* Every admission rule, under the restricted profile and the policy above. */
static void test_admission(void **state)
{
	static const struct {
		const char *manifest;
		bool restricted_ok, policy_ok;
		const char *error; /* of the first refusal */
		const char *restricted_error; /* when restricted refuses it differently */
	} cases[] = {
		{ CTR_NS("default", "    securityContext: {runAsUser: 1000}\n"), true, true, NULL },
		{ POD_NS("default", "  hostNetwork: true\n  containers: [{name: c, image: i}]\n"),
		  false, false, "hostNetwork: spec.hostNetwork: true is not allowed in namespace default" },
		{ POD_NS("net", "  hostNetwork: true\n  containers: [{name: c, image: i}]\n"), false,
		  true, "hostNetwork:" },
		{ CTR_NS("default", "    securityContext: {runAsUser: 0}\n"), false, false,
		  "runAsRoot: spec.containers[0].securityContext.runAsUser: 0 (root) is not allowed in namespace default" },
		{ CTR_NS("root", "    securityContext: {runAsUser: 0}\n"), false, true, "runAsRoot:" },
		{ CTR_NS("root", "    securityContext: {runAsUser: 0, runAsNonRoot: true}\n"), false,
		  false, "runAsNonRoot: spec.containers[0].securityContext: runAsUser 0 contradicts runAsNonRoot" },
		{ CTR_NS("default", "    securityContext: {runAsUser: 65536}\n"), false, false,
		  "runAsUser: spec.containers[0].securityContext.runAsUser: 65536 is outside the pod's user namespace (0-65535)" },
		{ CTR_NS("default", "    securityContext: {runAsUser: 2147483647}\n"), false, false,
		  "is outside the pod's user namespace" },
		{ CTR_NS("default", "    securityContext: {runAsGroup: 70000}\n"), false, false,
		  "runAsGroup: spec.containers[0].securityContext.runAsGroup: 70000 is outside" },
		{ CTR_NS("default", "    securityContext: {allowPrivilegeEscalation: true}\n"), false,
		  false, "allowPrivilegeEscalation: spec.containers[0].securityContext.allowPrivilegeEscalation: true is not allowed" },
		{ CTR_NS("esc", "    securityContext: {allowPrivilegeEscalation: true}\n"), false, true,
		  "allowPrivilegeEscalation:" },
		{ CTR_NS("default", "    securityContext: {capabilities: {add: [NET_BIND_SERVICE]}}\n"),
		  true, true, NULL },
		{ CTR_NS("default", "    securityContext: {capabilities: {add: [NET_ADMIN]}}\n"), false,
		  false, "capabilities: spec.containers[0].securityContext.capabilities.add[0]: CAP_NET_ADMIN is not allowed in namespace default (restricted allows NET_BIND_SERVICE only)" },
		{ CTR_NS("net", "    securityContext: {capabilities: {add: [NET_ADMIN, net_raw]}}\n"),
		  false, true, "CAP_NET_ADMIN is not allowed" },
		{ CTR_NS("default", "    securityContext: {capabilities: {add: [CHOWN]}}\n"), false, true,
		  "CAP_CHOWN is not allowed" },
		{ CTR_NS("net", "    securityContext: {capabilities: {add: [SYS_RESOURCE]}}\n"), false,
		  false, "add[0]: CAP_SYS_RESOURCE is not allowed in namespace net" },
		{ CTR_NS("default", "    securityContext: {capabilities: {add: [DAC_READ_SEARCH]}}\n"),
		  false, false, "CAP_DAC_READ_SEARCH is not allowed" },
		{ CTR_NS("net", "    securityContext: {capabilities: {add: [NET_BIND_SERVICE, SYS_ADMIN]}}\n"),
		  false, false, "add[1]: CAP_SYS_ADMIN is never allowed in a pod on kcc-node" },
		{ CTR_NS("net", "    securityContext: {capabilities: {add: [sys_ptrace]}}\n"), false,
		  false, "CAP_SYS_PTRACE is never allowed" },
		{ VOL("data", "/var/lib/data", "false"), false, true,
		  "hostPath: spec.volumes[0].hostPath.path: '/var/lib/data' is not allowed in namespace data" },
		{ VOL("data", "/var/lib/data/sub/dir", "false"), false, true, "hostPath:" },
		{ VOL("data", "/var/lib/database", "true"), false, false, "'/var/lib/database' is not allowed" },
		{ VOL("data", "/srv/ro/x", "true"), false, true, "hostPath:" },
		{ VOL("data", "/srv/ro/x", "false"), false, false,
		  "hostPathReadWrite: spec.containers[0].volumeMounts[0]: '/srv/ro/x' may be mounted read-only only in namespace data",
		  "hostPath: spec.volumes[0].hostPath.path: '/srv/ro/x' is not allowed in namespace data" },
		{ VOL("other", "/var/lib/shared", "true"), false, true, "hostPath:" },
		{ VOL("other", "/var/lib/data", "true"), false, false, "not allowed in namespace other" },
		{ VOL("data", "/proc", "false"), false, false,
		  "hostPathForbidden: spec.volumes[0].hostPath.path: '/proc' is never mountable (it is, lies below or contains /proc)" },
		{ VOL("data", "/var/lib/data/../kcc", "true"), false, false,
		  "'/var/lib/data/../kcc' is never mountable (it is, lies below or contains /var/lib/kcc)" },
		{ VOL("data", "//etc", "true"), false, false, "contains /etc)" },
		{ VOL("data", "/var/lib/data/./x", "true"), false, false,
		  "hostPath: spec.volumes[0].hostPath.path: '/var/lib/data/./x' is not canonical (write '/var/lib/data/x')" },
		{ VOL("data", "/var/lib/data/", "true"), false, false, "is not canonical" },
		{ VOL("data", "/", "true"), false, false, "contains /proc)" },
		{ VOL("data", "/var/lib/kcc-kubelet/pods", "true"), false, false,
		  "contains /var/lib/kcc-kubelet)" },
		{ VOL("data", "/run/kcc/control", "true"), false, false, "contains /run)" },
		{ VOL("data", "/dev", "true"), false, false, "contains /dev)" },
		{ VOL("data", "/sys/kernel", "true"), false, false, "contains /sys)" },
	};
	PodPolicy restricted = { 0 }, pol;
	char err[512];

	(void)state;
	assert_int_equal(pod_policy_parse(test_policy, strlen(test_policy), "t", &pol, err,
					  sizeof(err)), 0);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		Pod p;
		assert_int_equal(pod_parse(cases[i].manifest, strlen(cases[i].manifest), &p, err,
					   sizeof(err)), 0);
		for (int k = 0; k < 2; k++) {
			bool ok = k ? cases[i].policy_ok : cases[i].restricted_ok;
			const char *want = !k && cases[i].restricted_error ? cases[i].restricted_error
									    : cases[i].error;
			err[0] = '\0';
			int r = pod_admit(k ? &pol : &restricted, &p, err, sizeof(err));
			if (ok ? r != 0 : r != -EPERM || !strstr(err, want))
				fail_msg("case %zu (%s): expected %s '%s', got %d '%s'\n%s", i,
					 k ? "policy" : "restricted", ok ? "ok" : "refusal",
					 ok ? "" : want, r, err, cases[i].manifest);
		}
		pod_free(&p);
	}
}

/* The container's user: securityContext over the image's user, ids in range, root rules. */
static void test_user(void **state)
{
	static const struct {
		const char *ns, *sc, *image_user;
		int uid, gid; /* -1: refused */
		const char *error;
	} cases[] = {
		{ "default", "{runAsUser: 1000}", NULL, 1000, 0, NULL },
		{ "default", "{runAsUser: 1000, runAsGroup: 7}", "0:0", 1000, 7, NULL },
		{ "default", "{}", "1000", 1000, 0, NULL },
		{ "default", "{}", "1000:2000", 1000, 2000, NULL },
		{ "default", "{runAsNonRoot: true}", "65534:65534", 65534, 65534, NULL },
		{ "default", "{}", NULL, -1, -1,
		  "runAsRoot: spec.containers[0]: the image's user (unset: root) is root, not allowed in namespace default" },
		{ "default", "{}", "", -1, -1, "runAsRoot:" },
		{ "default", "{}", "0", -1, -1, "runAsRoot: spec.containers[0]: the image's user is root" },
		{ "default", "{}", "0:1000", -1, -1, "runAsRoot:" },
		{ "default", "{}", "00", -1, -1, "runAsRoot:" },
		{ "root", "{}", NULL, 0, 0, NULL },
		{ "root", "{runAsNonRoot: true}", NULL, -1, -1,
		  "runAsNonRoot: spec.containers[0]: the image's user (unset: root) is root and runAsNonRoot is true" },
		{ "root", "{runAsNonRoot: true}", "0", -1, -1, "runAsNonRoot:" },
		{ "root", "{runAsNonRoot: true, runAsUser: 5}", "0", 5, 0, NULL },
		{ "root", "{}", "-1", -1, -1, "imageUser: container c: the image's user '-1' is not numeric" },
		{ "root", "{}", "4294967295", -1, -1,
		  "imageUser: container c: the image's user '4294967295' is at or above 2^31" },
		{ "root", "{}", "2147483648", -1, -1, "at or above 2^31" },
		{ "root", "{}", "99999999999", -1, -1, "at or above 2^31" },
		{ "root", "{}", "1000:4294967295", -1, -1, "at or above 2^31" },
		{ "root", "{runAsUser: 5}", "4294967295", -1, -1, "at or above 2^31" },
		{ "root", "{}", "2147483647", -1, -1,
		  "runAsUser: container c: the image's user 2147483647:0 is outside the pod's user namespace" },
		{ "root", "{}", "65536", -1, -1, "outside the pod's user namespace (0-65535)" },
		{ "root", "{}", "+5", -1, -1, "is not numeric" },
		{ "root", "{}", " 5", -1, -1, "is not numeric" },
		{ "root", "{}", "5:", -1, -1, "is not numeric" },
		{ "root", "{}", "nobody", -1, -1, "'nobody' is not numeric" },
		{ "root", "{runAsUser: 9}", "nobody", 9, 0, NULL },
		{ "root", "{runAsUser: 9}", "nobody:staff", -1, -1, "is not numeric" },
		{ "root", "{runAsUser: 9, runAsGroup: 9}", "nobody:staff", 9, 9, NULL },
	};
	PodPolicy pol;
	char err[512], text[512];

	(void)state;
	assert_int_equal(pod_policy_parse(test_policy, strlen(test_policy), "t", &pol, err,
					  sizeof(err)), 0);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		Pod p;
		uid_t uid = 4242;
		gid_t gid = 4242;
		snprintf(text, sizeof(text),
			 "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: %s}\nspec:\n"
			 "  containers: [{name: c, image: i, securityContext: %s}]\n",
			 cases[i].ns, cases[i].sc);
		assert_int_equal(pod_parse(text, strlen(text), &p, err, sizeof(err)), 0);
		err[0] = '\0';
		int r = pod_user(&pol, &p, &p.containers[0], cases[i].image_user, &uid, &gid, err,
				 sizeof(err));
		if (cases[i].uid >= 0 ? r != 0 || (int)uid != cases[i].uid || (int)gid != cases[i].gid
				      : r != -EPERM || !strstr(err, cases[i].error) || uid != 4242)
			fail_msg("case %zu (%s, '%s'): expected %d:%d '%s', got %d %u:%u '%s'", i,
				 cases[i].sc, cases[i].image_user ? cases[i].image_user : "(unset)",
				 cases[i].uid, cases[i].gid, cases[i].error ? cases[i].error : "",
				 r, (unsigned)uid, (unsigned)gid, err);
		pod_free(&p);
	}
}

static char tmp[64];

static int setup_tmp(void **state)
{
	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/kcc-policy-XXXXXX");
	if (!mkdtemp(tmp))
		return -1;
	return 0;
}

static int teardown_tmp(void **state)
{
	(void)state;
	return rm_rf(tmp) < 0 ? -1 : 0;
}

/* hostPath resolution from a descriptor of "/": no symbolic link anywhere, the type checked on
 * what was opened, devices and kernel file systems refused, *OrCreate creates. */
static void test_host_path_open(void **state)
{
	static const struct {
		const char *path; /* below tmp */
		HostPathType type;
		int r; /* 0: a descriptor */
		const char *error;
	} cases[] = {
		{ "dir", HOST_PATH_DIRECTORY, 0, NULL },
		{ "dir", HOST_PATH_UNSET, 0, NULL },
		{ "dir", HOST_PATH_FILE, -EPERM, "hostPathType: '%s/dir' is not a File" },
		{ "file", HOST_PATH_FILE, 0, NULL },
		{ "file", HOST_PATH_DIRECTORY, -EPERM, "is not a Directory" },
		{ "file", HOST_PATH_SOCKET, -EPERM, "is not a Socket" },
		{ "fifo", HOST_PATH_UNSET, -EPERM, "hostPathType: '%s/fifo' is a device or FIFO" },
		{ "link", HOST_PATH_UNSET, -ELOOP,
		  "hostPathSymlink: '%s/link' goes through a symbolic link" },
		{ "link/x", HOST_PATH_UNSET, -ELOOP, "goes through a symbolic link" },
		{ "proclink", HOST_PATH_DIRECTORY, -ELOOP, "goes through a symbolic link" },
		{ "proclink/sys", HOST_PATH_DIRECTORY_OR_CREATE, -ELOOP, "symbolic link" },
		{ "dir/../link", HOST_PATH_UNSET, -ELOOP, "symbolic link" },
		{ "missing", HOST_PATH_DIRECTORY, -ENOENT, "hostPath: '%s/missing': No such file" },
		{ "newdir", HOST_PATH_DIRECTORY_OR_CREATE, 0, NULL },
		{ "newfile", HOST_PATH_FILE_OR_CREATE, 0, NULL },
		{ "newfile", HOST_PATH_FILE_OR_CREATE, 0, NULL }, /* again: it exists */
		{ "dir", HOST_PATH_FILE_OR_CREATE, -EPERM, "is not a FileOrCreate" },
		{ "no/such/parent", HOST_PATH_DIRECTORY_OR_CREATE, -ENOENT,
		  "hostPathType: cannot create DirectoryOrCreate" },
	};
	char path[200], want[300], err[512];
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/dir", tmp);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/file", tmp);
	assert_int_equal(close(open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644)), 0);
	snprintf(path, sizeof(path), "%s/fifo", tmp);
	assert_int_equal(mkfifo(path, 0600), 0);
	snprintf(path, sizeof(path), "%s/link", tmp);
	assert_int_equal(symlink("dir", path), 0);
	snprintf(path, sizeof(path), "%s/proclink", tmp);
	assert_int_equal(symlink("/proc", path), 0);

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmp, cases[i].path);
		err[0] = '\0';
		int fd = host_path_open(path, cases[i].type, err, sizeof(err));
		if (cases[i].error)
			snprintf(want, sizeof(want), cases[i].error, tmp);
		if (cases[i].r == 0 ? fd < 0 : fd != cases[i].r || !strstr(err, want))
			fail_msg("%s (%s): expected %d '%s', got %d '%s'", cases[i].path,
				 host_path_type_to_string(cases[i].type), cases[i].r,
				 cases[i].error ? want : "", fd, err);
		if (fd >= 0)
			close(fd);
	}
	snprintf(path, sizeof(path), "%s/newdir", tmp);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	snprintf(path, sizeof(path), "%s/newfile", tmp);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	/* a kernel file system is refused whatever the path */
	assert_int_equal(host_path_open("/proc/self", HOST_PATH_UNSET, err, sizeof(err)), -ELOOP);
	assert_int_equal(host_path_open("/proc/sys", HOST_PATH_DIRECTORY, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "hostPathForbidden: '/proc/sys' is on a kernel file system"));
	assert_int_equal(host_path_open("/", HOST_PATH_DIRECTORY, err, sizeof(err)), -EPERM);
}

/* Image files get the pod's ids; set-id bits stay; links are not followed. */
static void test_shift_owners(void **state)
{
	char root[200], path[300];
	struct stat st;

	(void)state;
	if (geteuid() != 0)
		skip();
	snprintf(root, sizeof(root), "%s/rootfs", tmp);
	assert_int_equal(mkdir(root, 0755), 0);
	snprintf(path, sizeof(path), "%s/bin", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/bin/su", root);
	assert_int_equal(close(open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0755)), 0);
	assert_int_equal(chown(path, 0, 5), 0);
	assert_int_equal(chmod(path, 04755), 0);
	snprintf(path, sizeof(path), "%s/far", root);
	assert_int_equal(close(open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644)), 0);
	assert_int_equal(chown(path, 100000, 4000000000U), 0);
	snprintf(path, sizeof(path), "%s/etc-link", root);
	assert_int_equal(symlink("/etc", path), 0);

	assert_int_equal(rootfs_shift_owners(root, pod_id_base(3)), 0);
	assert_int_equal(lstat(root, &st), 0);
	assert_int_equal(st.st_uid, POD_ID_BASE + 3 * POD_IDS);
	snprintf(path, sizeof(path), "%s/bin/su", root);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_uid, pod_id_base(3));
	assert_int_equal(st.st_gid, pod_id_base(3) + 5);
	assert_int_equal(st.st_mode & 07777, 04755);
	snprintf(path, sizeof(path), "%s/far", root);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_uid, pod_id_base(3) + 65534);
	assert_int_equal(st.st_gid, pod_id_base(3) + 65534);
	snprintf(path, sizeof(path), "%s/etc-link", root);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_uid, pod_id_base(3));
	assert_int_equal(stat("/etc", &st), 0);
	assert_int_equal(st.st_uid, 0); /* the link's target is untouched */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_parse_good),
		cmocka_unit_test(test_policy_parse_bad),
		cmocka_unit_test(test_host_path_spelling),
		cmocka_unit_test(test_admission),
		cmocka_unit_test(test_user),
		cmocka_unit_test(test_host_path_open),
		cmocka_unit_test(test_shift_owners),
	};
	return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
