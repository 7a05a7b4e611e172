/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-kubelet: a minimal kubelet for standalone nodes. It runs the static pods of its manifest
 * folders with crun and serves /healthz and /pods on 127.0.0.1 (docs/kubelet.md).
 *   kcc-kubelet [run] [--manifests DIR]... [--images DIR]... [--state DIR] [--logs DIR]
 *               [--run DIR] [--cgroup DIR] [--crun PATH] [--port N] [--socket PATH]
 *               [--no-exec-mount] [--image-limit BYTES:FILES] [--pod-limit BYTES:FILES]
 *               [--policy FILE] [--no-confine] [--secrets-dir DIR]
 *   kcc-kubelet pods [--json] [--socket PATH] the status of every pod (root: the socket is 0600)
 *   kcc-kubelet check [--policy FILE] FILE... parse manifests and admit them under the node's
 *                                            pod security policy (restricted without --policy)
 *   kcc-kubelet import ARCHIVE [--name NAME] [--import-limit BYTES:FILES]
 *                                             an OCI archive into STATE/images/NAME, verified
 * Exit codes: 0 ok, 1 a check failed (a manifest rejected) or the kubelet is not answering,
 * 100 usage or an invalid policy file, 111 system. */
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>

#include "confine.h"
#include "fs.h"
#include "http-client.h"
#include "import.h"
#include "kubelet.h"
#include "loop.h"
#include "manifest-watch.h"
#include "secret-volume.h"
#include "util.h"

#define TICK_MS 200
#define GRACE_MS 10000

KubeletConfig cfg = {
	.manifest_dirs = { "/etc/kubernetes/manifests", "/var/lib/kcc-kubelet/manifests" },
	.image_dirs = { "/usr/share/kcc-kubelet/images", "/var/lib/kcc-kubelet/images" },
	.state_dir = "/var/lib/kcc-kubelet",
	.log_dir = "/var/log/pods",
	.run_dir = "/run/kcc-kubelet",
	.cgroup_root = "/sys/fs/cgroup/kubepods",
	.crun = "/usr/bin/crun",
	.socket = "/run/kcc-kubelet/kubelet.sock",
	.port = 10248,
	.image_limits = { UNPACK_IMAGE_BYTES, UNPACK_IMAGE_FILES },
	.pod_limits = { UNPACK_POD_BYTES, UNPACK_POD_FILES },
	.import_limits = { UNPACK_IMPORT_BYTES, UNPACK_IMPORT_FILES },
	.exec_mount = true,
	.policy_path = POLICY_PATH,
	.secrets_dir = SECRETS_DIR,
};
static bool arg_confine = true;

/* A container pipe in the loop. Pipes are found again by fd: few, and removed rarely. A removed
 * pipe's Source is freed only after the batch of events it may still be in. */
typedef struct PipeSource {
	Source src;
	PodState *pod;
	unsigned ctr;
	int stream;
} PipeSource;

static PipeSource *pipes[2 * PODS_MAX * POD_CONTAINERS_MAX];
static bool dead_pipes;

static void on_pipe(Source *src, uint32_t events)
{
	PipeSource *ps = container_of(src, PipeSource, src);

	(void)events;
	ctr_drain(ps->pod, ps->ctr, ps->stream);
}

int pipe_watch(int fd, PodState *p, unsigned ctr, int stream)
{
	size_t i;
	int r;

	for (i = 0; i < ARRAY_SIZE(pipes) && pipes[i]; i++)
		;
	if (i == ARRAY_SIZE(pipes))
		return -ENOSPC;
	pipes[i] = malloc(sizeof(PipeSource));
	if (!pipes[i])
		return -ENOMEM;
	*pipes[i] = (PipeSource){ .pod = p, .ctr = ctr, .stream = stream };
	r = loop_add(&pipes[i]->src, fd, on_pipe);
	if (r < 0) {
		free(pipes[i]);
		pipes[i] = NULL;
	}
	return r;
}

void pipe_unwatch(int fd)
{
	for (size_t i = 0; i < ARRAY_SIZE(pipes); i++)
		if (pipes[i] && pipes[i]->src.fd == fd) {
			loop_del(&pipes[i]->src);
			dead_pipes = true;
		}
}

static void free_dead_pipes(void)
{
	for (size_t i = 0; dead_pipes && i < ARRAY_SIZE(pipes); i++)
		if (pipes[i] && pipes[i]->src.fd < 0) {
			free(pipes[i]);
			pipes[i] = NULL;
		}
	dead_pipes = false;
}

static void reap(void)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (probe_reaped(pid, status) || ctr_unpack_reaped(pid, status))
			continue;
		for (unsigned k = 0; k < PODS_MAX; k++)
			for (unsigned i = 0; pods[k].used && i < pods[k].pod.n_containers; i++)
				if (pods[k].ctrs[i].crun_pid == pid)
					ctr_exited(&pods[k], i, status);
	}
}

static int setup(void)
{
	char path[400], err[4096];
	int r;

	snprintf(path, sizeof(path), "%s/pods", cfg.state_dir);
	r = mkdir_p(path, 0700);
	if (r < 0)
		return log_info("cannot create %s: %s", path, strerror(-r)), r;
	/* Container roots live on /var, which is noexec for the host: in our own mount namespace
	 * the pods folder is made executable; the BPF LSM still refuses host processes there. */
	if (cfg.exec_mount &&
	    (mount(path, path, NULL, MS_BIND, NULL) < 0 ||
	     mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV, NULL) < 0))
		return log_info("cannot make %s executable for containers: %m", path), -errno;
	snprintf(path, sizeof(path), "%s/manifests", cfg.state_dir);
	(void)mkdir_p(path, 0700);
	snprintf(path, sizeof(path), "%s/images", cfg.state_dir);
	(void)mkdir_p(path, 0700);
	snprintf(path, sizeof(path), "%s/crun", cfg.run_dir);
	r = mkdir_p(path, 0700);
	if (r >= 0)
		r = mkdir_p(cfg.log_dir, 0750);
	if (r < 0)
		return log_info("cannot create %s or %s: %s", path, cfg.log_dir, strerror(-r)), r;
	r = mkdir_p(cfg.cgroup_root, 0755);
	if (r >= 0) {
		snprintf(path, sizeof(path), "%s/cgroup.subtree_control", cfg.cgroup_root);
		r = write_string_file(path, "+cpu +memory +pids");
	}
	if (r < 0)
		return log_info("cannot set up the cgroup %s: %s", cfg.cgroup_root, strerror(-r)), r;
	/* the pods' own ids (their user namespaces) pass through to their folders */
	snprintf(path, sizeof(path), "%s/pods", cfg.state_dir);
	if (chmod(cfg.state_dir, 0711) < 0 || chmod(path, 0711) < 0)
		return log_info("cannot open %s to the pods' ids: %m", path), -errno;
	r = pod_policy_load(cfg.policy_path, &cfg.policy, err, sizeof(err));
	if (r < 0) { /* fail closed: nothing beyond restricted */
		char *save = NULL;
		log_info("the pod policy %s is invalid, every pod gets the restricted profile only",
		     cfg.policy_path);
		for (char *l = strtok_r(err, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
			log_info("%s", l);
	} else
		log_info("pod policy: restricted, with %u rule(s) from %s", cfg.policy.n_rules,
		     cfg.policy_path);
	if (!arg_confine)
		return 0;
	snprintf(path, sizeof(path), "%s/proc-pids", cfg.run_dir);
	r = kubelet_proc_sys_read_only(path);
	if (r < 0)
		return log_info("cannot make /proc/sys read-only: %s", strerror(-r)), r;
	r = kubelet_drop_caps();
	if (r < 0)
		return log_info("cannot drop capabilities: %s", strerror(-r)), r;
	return 0;
}

/* The loop's own sources: signals and the tick. */
static Source sig_src, tick_src;
static unsigned long long stop_deadline;
static bool stopping, killed, done, resync = true;

static void on_signal(Source *src, uint32_t events)
{
	struct signalfd_siginfo si;

	(void)events;
	while (read(src->fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			reap();
		else if (si.ssi_signo == SIGHUP)
			resync = true;
		else if (!stopping) {
			log_info("stopping every pod (signal %u)", si.ssi_signo);
			stopping = true;
			stop_deadline = now_ms() + GRACE_MS;
			pods_stop_all();
		}
	}
}

static void on_tick(Source *src, uint32_t events)
{
	unsigned long long now = now_ms();
	uint64_t x;

	(void)events;
	(void)!read(src->fd, &x, sizeof(x));
	http_tick(now);
	if (stopping) {
		if (pods_all_stopped()) {
			log_info("every pod stopped");
			done = true;
			return;
		}
		if (!killed && now >= stop_deadline) {
			killed = true;
			for (unsigned k = 0; k < PODS_MAX; k++)
				for (unsigned i = 0; pods[k].used && i < pods[k].pod.n_containers; i++)
					ctr_kill(&pods[k], i, SIGKILL);
		}
		return;
	}
	if (resync) {
		resync = false;
		pods_sync();
	}
	pods_tick(now);
}

static void manifests_changed(void)
{
	if (!stopping)
		pods_sync();
}

static int cmd_run(void)
{
	struct itimerspec its = { .it_interval = { 0, TICK_MS * 1000000L },
				  .it_value = { 0, 1000000L } };
	char err[512];
	sigset_t mask;
	int sfd, tfd, r;

	log_open_stderr("kcc-kubelet");
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (setup() < 0)
		return 111;
	pods_init();
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (loop_init() < 0 || sfd < 0 || tfd < 0 || timerfd_settime(tfd, 0, &its, NULL) < 0 ||
	    loop_add(&sig_src, sfd, on_signal) < 0 || loop_add(&tick_src, tfd, on_tick) < 0) {
		log_error("cannot set up the event loop: %m");
		return 111;
	}
	r = manifest_watch_start(cfg.manifest_dirs, manifests_changed);
	if (r < 0) {
		log_error_errno(r, "cannot watch the manifest folders: %m");
		return 111;
	}
	if (http_start(cfg.port, cfg.socket, err, sizeof(err)) < 0) {
		log_error("%s", err);
		return 111;
	}
	log_info("serving /healthz and /pods (redacted) on 127.0.0.1:%u, the full /pods on %s; "
		 "manifests in %s and %s", cfg.port, cfg.socket,
		 cfg.manifest_dirs[0], cfg.manifest_dirs[1] ? cfg.manifest_dirs[1] : "-");
	while (!done) {
		if (loop_run_once(-1) < 0) {
			log_error("the event loop failed: %m");
			return 111;
		}
		free_dead_pipes();
	}
	return 0;
}

static int cmd_pods(bool json)
{
	_cleanup_free_ char *body = NULL;
	json_object *root, *list;
	int code = 0, r = http_get(cfg.socket, 0, "/pods", 5000, &code, &body);

	if (r < 0 || code != 200) {
		fprintf(stderr, "kcc-kubelet: no status from %s: %s%s\n", cfg.socket,
			r < 0 ? strerror(-r) : code == 403 ? "refused" : "bad status",
			r == -EACCES || code == 403
				? " (the full status is for root; GET 127.0.0.1:10248/pods is redacted)"
				: "");
		return 1;
	}
	if (json) {
		puts(body);
		return 0;
	}
	root = json_tokener_parse(body);
	if (!root || !json_object_object_get_ex(root, "pods", &list)) {
		fprintf(stderr, "kcc-kubelet: malformed status\n");
		json_object_put(root);
		return 1;
	}
	printf("%-32s %-10s %-5s %s\n", "POD", "PHASE", "READY", "CONTAINERS (state, restarts, last exit)");
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *p = json_object_array_get_idx(list, i), *v, *cs;
		char name[160];
		snprintf(name, sizeof(name), "%s/%s",
			 json_object_object_get_ex(p, "namespace", &v) ? json_object_get_string(v) : "",
			 json_object_object_get_ex(p, "name", &v) ? json_object_get_string(v) : "");
		printf("%-32s %-10s %-5s", name,
		       json_object_object_get_ex(p, "phase", &v) ? json_object_get_string(v) : "",
		       json_object_object_get_ex(p, "ready", &v) && json_object_get_boolean(v) ? "yes" : "no");
		if (json_object_object_get_ex(p, "message", &v))
			printf(" %s", json_object_get_string(v));
		json_object_object_get_ex(p, "containers", &cs);
		for (size_t k = 0; cs && k < json_object_array_length(cs); k++) {
			json_object *c = json_object_array_get_idx(cs, k), *le, *x;
			printf(" %s=%s,%d", json_object_object_get_ex(c, "name", &x) ? json_object_get_string(x) : "",
			       json_object_object_get_ex(c, "state", &x) ? json_object_get_string(x) : "",
			       json_object_object_get_ex(c, "restarts", &x) ? json_object_get_int(x) : 0);
			if (json_object_object_get_ex(c, "lastExit", &le))
				printf(",%d/%s",
				       json_object_object_get_ex(le, "exitCode", &x) ? json_object_get_int(x) : 0,
				       json_object_object_get_ex(le, "reason", &x) ? json_object_get_string(x) : "");
		}
		putchar('\n');
	}
	json_object_put(root);
	return 0;
}

static int cmd_check(const char *policy_file, char **files, int n)
{
	PodPolicy *pol = calloc(1, sizeof(*pol));
	char perr[4096];
	int bad = 0;

	if (!pol)
		return 111;
	if (policy_file) {
		int r = pod_policy_load(policy_file, pol, perr, sizeof(perr));
		if (r == 0 && access(policy_file, F_OK) < 0)
			r = -errno, snprintf(perr, sizeof(perr), "%s: %s", policy_file, strerror(errno));
		if (r < 0) {
			fprintf(stderr, "kcc-kubelet: invalid pod policy:\n%s\n", perr);
			free(pol);
			return r == -EINVAL ? 100 : 111;
		}
	}
	for (int i = 0; i < n; i++) {
		char *text = NULL, err[512];
		Pod pod;
		int r = read_regular_fileat(AT_FDCWD, files[i], MANIFEST_FILE_MAX, &text, err,
					    sizeof(err));
		if (r < 0) {
			printf("%s: cannot read: %s\n", files[i], err);
			bad++;
			continue;
		}
		r = pod_parse(text, strlen(text), &pod, err, sizeof(err));
		if (r >= 0)
			r = pod_admit(pol, &pod, err, sizeof(err));
		if (r < 0) {
			printf("%s: rejected: %s\n", files[i], err);
			bad++;
		} else
			printf("%s: ok: pod %s/%s, %u container(s)\n", files[i], pod.namespace, pod.name,
			       pod.n_containers);
		pod_free(&pod);
		free(text);
	}
	free(pol);
	return bad ? 1 : 0;
}

/* BYTES:FILES */
static int parse_limits(const char *s, UnpackLimits *ret)
{
	_cleanup_free_ char *copy = strdup(s);
	unsigned long long bytes;
	unsigned long files;
	char *colon, *end;

	if (!copy)
		return -ENOMEM;
	colon = strchr(copy, ':');
	if (!colon)
		return -EINVAL;
	*colon = '\0';
	errno = 0;
	bytes = strtoull(copy, &end, 10);
	if (errno || end == copy || *end || copy[0] == '-' || bytes == 0 ||
	    parse_uint(colon + 1, 1, ULONG_MAX, &files) < 0)
		return -EINVAL;
	*ret = (UnpackLimits){ bytes, files };
	return 0;
}

static _noreturn_ void usage(const char *msg)
{
	fprintf(stderr, "kcc-kubelet: %s\nusage: kcc-kubelet [run|pods [--json]|check [--policy FILE] FILE...|import ARCHIVE] [options] (see docs/kubelet.md)\n", msg);
	exit(100);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "manifests", required_argument, NULL, 'm' }, { "images", required_argument, NULL, 'i' },
		{ "state", required_argument, NULL, 's' },     { "logs", required_argument, NULL, 'l' },
		{ "run", required_argument, NULL, 'r' },       { "cgroup", required_argument, NULL, 'c' },
		{ "crun", required_argument, NULL, 'C' },      { "port", required_argument, NULL, 'p' },
		{ "no-exec-mount", no_argument, NULL, 'X' },   { "json", no_argument, NULL, 'j' },
		{ "name", required_argument, NULL, 'n' },      { "socket", required_argument, NULL, 'S' },
		{ "image-limit", required_argument, NULL, 'I' }, { "pod-limit", required_argument, NULL, 'P' },
		{ "import-limit", required_argument, NULL, 'L' }, { "policy", required_argument, NULL, 'Y' },
		{ "no-confine", no_argument, NULL, 'N' },      { "secrets-dir", required_argument, NULL, 'E' },
		{},
	};
	unsigned n_m = 0, n_i = 0;
	bool json = false;
	const char *cmd = "run", *name = NULL, *policy = NULL;
	int c;

	if (argc > 1 && argv[1][0] != '-') {
		cmd = argv[1];
		argv++;
		argc--;
	}
	while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
		unsigned long v;
		switch (c) {
		case 'm':
			if (n_m == DIRS_MAX)
				usage("too many --manifests");
			cfg.manifest_dirs[n_m++] = optarg;
			cfg.manifest_dirs[n_m] = NULL;
			break;
		case 'i':
			if (n_i == DIRS_MAX)
				usage("too many --images");
			cfg.image_dirs[n_i++] = optarg;
			cfg.image_dirs[n_i] = NULL;
			break;
		case 's': cfg.state_dir = optarg; break;
		case 'l': cfg.log_dir = optarg; break;
		case 'r': cfg.run_dir = optarg; break;
		case 'c': cfg.cgroup_root = optarg; break;
		case 'C': cfg.crun = optarg; break;
		case 'X': cfg.exec_mount = false; break;
		case 'j': json = true; break;
		case 'n': name = optarg; break;
		case 'S': cfg.socket = optarg; break;
		case 'E': cfg.secrets_dir = optarg; break;
		case 'I':
		case 'P':
		case 'L':
			if (parse_limits(optarg, c == 'I' ? &cfg.image_limits : c == 'P' ? &cfg.pod_limits
										: &cfg.import_limits) < 0)
				usage("a limit is BYTES:FILES, both positive numbers");
			break;
		case 'Y': policy = optarg; break;
		case 'N': arg_confine = false; break;
		case 'p':
			if (parse_uint(optarg, 1, 65535, &v) < 0)
				usage("--port must be 1 to 65535");
			cfg.port = (unsigned)v;
			break;
		default:
			usage("unknown option");
		}
	}
	/* crun takes the cgroup path relative to the cgroup2 mount */
	cfg.cgroup_name = startswith(cfg.cgroup_root, "/sys/fs/cgroup");
	if (!cfg.cgroup_name || cfg.cgroup_name[0] != '/')
		usage("--cgroup must be a folder below /sys/fs/cgroup");
	if (streq(cmd, "run")) {
		if (optind != argc)
			usage("run takes no arguments");
		if (policy)
			cfg.policy_path = policy;
		return cmd_run();
	}
	if (streq(cmd, "pods")) {
		if (optind != argc)
			usage("pods takes no arguments");
		return cmd_pods(json);
	}
	if (streq(cmd, "check")) {
		if (optind == argc)
			usage("check needs manifest files");
		return cmd_check(policy, argv + optind, argc - optind);
	}
	if (streq(cmd, "import")) {
		char images[300], err[512], base[128];
		if (optind + 1 != argc)
			usage("import needs one archive");
		if (!name) { /* the archive's name without folder and extension */
			const char *b = strrchr(argv[optind], '/');
			snprintf(base, sizeof(base), "%s", b ? b + 1 : argv[optind]);
			base[strcspn(base, ".")] = '\0';
			name = base;
		}
		snprintf(images, sizeof(images), "%s/images", cfg.state_dir);
		int r = image_import(argv[optind], images, name, &cfg.import_limits, err, sizeof(err));
		if (r < 0) {
			fprintf(stderr, "kcc-kubelet: import refused: %s\n", err);
			return r == -EINVAL || r == -EBADMSG || r == -EEXIST || r == -E2BIG ||
					       r == -EFBIG || r == -EMLINK
				       ? 1
				       : 111;
		}
		printf("imported %s into %s/%s: %d image manifest(s), every blob verified\n",
		       argv[optind], images, name, r);
		return 0;
	}
	usage("unknown command");
}
