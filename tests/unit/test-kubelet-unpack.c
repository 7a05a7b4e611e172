/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-kubelet unpacks a container's image in a child process: while the unpack is held inside
 * the open() of its layer blob (a fanotify permission event this test answers), the real loop
 * answers /healthz and shows the container as ContainerCreating; once allowed, the unpack ends,
 * is reaped by SIGCHLD and its root is committed; the image manifest was read once for all of it.
 * An unpack killed midway leaves nothing behind. */
#include <archive.h>
#include <archive_entry.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"

#include "fs.h"
#include "kubelet.h"
#include "loop.h"
#include "userns.h"
#include "util.h"

static char dir[64], blob[256], manifest_blob[256];
static unsigned port;

static void at(char *buf, size_t len, const char *rel)
{
	snprintf(buf, len, "%s/%s", dir, rel);
}

/* Writes a blob of the layout, returns its "sha256:..." digest. */
static void put_blob(const void *data, size_t len, char digest[72], char *path, size_t plen)
{
	unsigned char md[32];
	unsigned n;
	char hex[65], p[256];

	EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	snprintf(digest, 72, "sha256:%s", hex);
	snprintf(p, sizeof(p), "%s/img/blobs/sha256/%s", dir, hex);
	assert_int_equal(write_new_file(p, "", 0644), 0);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
	if (path)
		snprintf(path, plen, "%s", p);
}

/* An image layout with "tool:1": one layer with bin/tool. */
static void make_image(void)
{
	static char tar[16384];
	char dl[72], dc[72], dm[72], json[2048], path[256];
	size_t used = 0;
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();

	archive_write_set_format_pax_restricted(a);
	archive_write_set_bytes_in_last_block(a, 1);
	assert_int_equal(archive_write_open_memory(a, tar, sizeof(tar), &used), ARCHIVE_OK);
	archive_entry_set_pathname(e, "bin/tool");
	archive_entry_set_mode(e, AE_IFREG | 0755);
	archive_entry_set_size(e, 5);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	archive_write_data(a, "tool\n", 5);
	archive_entry_free(e);
	archive_write_close(a);
	archive_write_free(a);
	at(path, sizeof(path), "img/blobs/sha256");
	assert_int_equal(mkdir_p(path, 0755), 0);
	at(path, sizeof(path), "img/oci-layout");
	assert_int_equal(write_new_file(path, "{\"imageLayoutVersion\":\"1.0.0\"}", 0644), 0);
	put_blob(tar, used, dl, blob, sizeof(blob));
	snprintf(json, sizeof(json), "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":"
				     "{\"Cmd\":[\"/bin/tool\"],\"User\":\"1000\"}}");
	put_blob(json, strlen(json), dc, NULL, 0);
	size_t sc = strlen(json);
	snprintf(json, sizeof(json),
		 "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
		 "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"%s\",\"size\":%zu},"
		 "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"%s\",\"size\":%zu}]}",
		 dc, sc, dl, used);
	put_blob(json, strlen(json), dm, manifest_blob, sizeof(manifest_blob));
	size_t sm = strlen(json);
	snprintf(json, sizeof(json),
		 "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
		 "\"digest\":\"%s\",\"size\":%zu,\"annotations\":{\"org.opencontainers.image.ref.name\":\"tool:1\"}}]}",
		 dm, sm);
	at(path, sizeof(path), "img/index.json");
	assert_int_equal(write_new_file(path, json, 0644), 0);
}

static const char manifest[] =
	"apiVersion: v1\nkind: Pod\nmetadata:\n  name: u\n  namespace: t\nspec:\n"
	"  containers:\n  - name: c\n    image: tool:1\n    securityContext:\n"
	"      runAsNonRoot: true\n      runAsUser: 1000\n      allowPrivilegeEscalation: false\n"
	"      capabilities:\n        drop: [\"ALL\"]\n      seccompProfile:\n"
	"        type: RuntimeDefault\n";

static PodState *p;
static Source sig_src;

static void on_sigchld(Source *s, uint32_t events)
{
	struct signalfd_siginfo si;
	int st;
	pid_t pid;

	(void)events;
	while (read(s->fd, &si, sizeof(si)) == sizeof(si))
		;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		if (!ctr_unpack_reaped(pid, st) && pid == p->ctrs[0].crun_pid)
			ctr_exited(p, 0, st);
}

static int setup(void **state)
{
	static char paths[6][256];
	char err[512];
	sigset_t mask;

	(void)state;
	log_open_stderr("kcc-kubelet");
	snprintf(dir, sizeof(dir), "/tmp/kcc-unpack-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	make_image();
	at(paths[0], 256, "img");
	at(paths[1], 256, "run");
	at(paths[2], 256, "logs");
	at(paths[3], 256, "cgroup");
	at(paths[4], 256, "kubelet.sock");
	at(paths[5], 256, "run/crun");
	mkdir_p(paths[5], 0700);
	cfg = (KubeletConfig){ .image_dirs = { paths[0] }, .state_dir = dir, .run_dir = paths[1],
			       .log_dir = paths[2], .cgroup_root = paths[3], .cgroup_name = "/kp",
			       .crun = "/bin/false", .socket = paths[4],
			       .image_limits = { UNPACK_IMAGE_BYTES, UNPACK_IMAGE_FILES },
			       .pod_limits = { UNPACK_POD_BYTES, UNPACK_POD_FILES } };
	p = &pods[0];
	*p = (PodState){ .used = true, .seen = true };
	for (unsigned i = 0; i < POD_CONTAINERS_MAX; i++)
		p->ctrs[i].out_fd = p->ctrs[i].err_fd = p->ctrs[i].log_fd = p->ctrs[i].unpack_fd = -EBADF;
	if (pod_parse(manifest, strlen(manifest), &p->pod, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	snprintf(p->uid, sizeof(p->uid), "00000000-0000-0000-0000-000000000001");
	snprintf(p->ns_name, sizeof(p->ns_name), "t/u");
	snprintf(p->dir, sizeof(p->dir), "%s/pods/%s", dir, p->uid);
	mkdir_p(p->dir, 0700);
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (loop_init() < 0 ||
	    loop_add(&sig_src, signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK), on_sigchld) < 0)
		return -1;
	for (unsigned tries = 0; tries < 50; tries++) {
		port = 20000 + (unsigned)((getpid() * 13 + tries * 131) % 30000);
		if (http_start(port, cfg.socket, err, sizeof(err)) == 0)
			return 0;
	}
	return -1;
}

static int teardown(void **state)
{
	(void)state;
	(void)rm_rf(dir);
	return 0;
}

static int client(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	assert_true(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno == EINPROGRESS);
	return fd;
}

/* GET path on a connection (a new one: fd < 0), answered by the loop run here meanwhile; the
 * answer once the kubelet closed the connection. */
static char *ask_on(int fd, const char *path)
{
	static char buf[8192];
	size_t got = 0;
	ssize_t k = -1;
	char req[128];

	if (fd < 0)
		fd = client();
	alarm(20); /* a connection that never ends (held open by another process) */
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\n\r\n", path);
	while (send(fd, req, strlen(req), MSG_NOSIGNAL) < 0) {
		assert_int_equal(errno, EAGAIN);
		assert_true(loop_run_once(100) >= 0);
	}
	while (k != 0) {
		assert_true(loop_run_once(100) >= 0);
		while ((k = recv(fd, buf + got, sizeof(buf) - 1 - got, MSG_DONTWAIT)) > 0)
			got += (size_t)k;
	}
	alarm(0);
	buf[got] = '\0';
	close(fd);
	return buf;
}

static char *ask(const char *path)
{
	return ask_on(-1, path);
}

/* Holds the next open() of the layer blob: returns the fanotify fd, or skips the test. */
static int hold_blob(void)
{
	int fan = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC, O_RDONLY | O_LARGEFILE);

	if (fan < 0 || fanotify_mark(fan, FAN_MARK_ADD, FAN_OPEN_PERM, AT_FDCWD, blob) < 0) {
		if (fan >= 0)
			close(fan);
		skip();
	}
	return fan;
}

/* Waits (blocking) for the unpack child's open of the blob; returns the event. */
static struct fanotify_event_metadata held(int fan)
{
	struct fanotify_event_metadata ev;

	alarm(30); /* an unpack that runs in the loop's own process never gets here */
	assert_int_equal(read(fan, &ev, sizeof(ev)), sizeof(ev));
	alarm(0);
	assert_int_equal(ev.pid, p->ctrs[0].unpack_pid);
	return ev;
}

static void release(int fan, struct fanotify_event_metadata *ev)
{
	struct fanotify_response resp = { .fd = ev->fd, .response = FAN_ALLOW };
	assert_int_equal(write(fan, &resp, sizeof(resp)), sizeof(resp));
	close(ev->fd);
	close(fan);
}

/* Counts the opens of the image manifest's blob (by any process) from now on. */
static int count_manifest_opens(void)
{
	int fan = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK, O_RDONLY | O_LARGEFILE);

	assert_true(fan >= 0);
	assert_int_equal(fanotify_mark(fan, FAN_MARK_ADD, FAN_OPEN, AT_FDCWD, manifest_blob), 0);
	return fan;
}

static unsigned opens(int fan)
{
	struct fanotify_event_metadata ev[16];
	unsigned n = 0;
	ssize_t k;

	while ((k = read(fan, ev, sizeof(ev))) > 0)
		for (struct fanotify_event_metadata *e = ev; FAN_EVENT_OK(e, k); e = FAN_EVENT_NEXT(e, k)) {
			n++;
			close(e->fd);
		}
	close(fan);
	return n;
}

static void test_healthz_during_unpack(void **state)
{
	CtrState *s = &p->ctrs[0];
	char path[400];
	struct stat st;
	int fan = hold_blob(), mfan = count_manifest_opens();

	(void)state;
	/* a client connected before the unpack starts (accepted by the loop) */
	int early = client();
	assert_int_equal(loop_run_once(5000), 1);
	alarm(30); /* a synchronous unpack would block here, in ctr_start */
	assert_int_equal(ctr_start(p, 0), 0);
	alarm(0);
	assert_true(s->unpack_pid > 0);
	struct fanotify_event_metadata ev = held(fan);
	/* the unpack is inside open() of its layer, and the loop answers; the early client's
	 * connection ends when the kubelet closes it (the unpack holds none of its descriptors) */
	assert_non_null(strstr(ask_on(early, "/healthz"), "HTTP/1.1 200 OK"));
	assert_non_null(strstr(ask("/healthz"), "HTTP/1.1 200 OK"));
	assert_non_null(strstr(ask("/pods"), "\"reason\":\"ContainerCreating\""));
	assert_int_equal(kill(s->unpack_pid, 0), 0);
	release(fan, &ev);
	while (!s->unpacked)
		assert_true(loop_run_once(1000) >= 0);
	assert_int_equal(s->unpack_pid, 0);
	assert_int_equal(s->unpacked_files, 1); /* bin/tool */
	snprintf(path, sizeof(path), "%s/containers/c/rootfs/bin/tool", p->dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_uid, pod_ids(p)); /* container root's files: the pod's base id */
	snprintf(path, sizeof(path), "%s/containers/c/rootfs.unpack", p->dir);
	assert_int_equal(stat(path, &st), -1);
	snprintf(path, sizeof(path), "%s/containers/c/config.json", p->dir);
	assert_int_equal(stat(path, &st), 0); /* then the bundle was written and crun ran */
	/* one start read and verified the image manifest once, for the config and the unpack */
	assert_int_equal(opens(mfan), 1);
	/* crun (here /bin/false) ends: the container backs off to a restart */
	while (s->phase == CTR_RUNNING)
		assert_true(loop_run_once(1000) >= 0);
}

static void test_killed_unpack_leaves_nothing(void **state)
{
	CtrState *s = &p->ctrs[0];
	char path[400];
	struct stat st;
	int fan = hold_blob();

	(void)state;
	s->phase = CTR_WAITING;
	assert_int_equal(ctr_start(p, 0), 0); /* a writable root: unpacked afresh */
	struct fanotify_event_metadata ev = held(fan);
	snprintf(path, sizeof(path), "%s/containers/c/rootfs.unpack", p->dir);
	assert_int_equal(stat(path, &st), 0); /* begun */
	snprintf(path, sizeof(path), "%s/containers/c/rootfs", p->dir);
	assert_int_equal(stat(path, &st), -1); /* the old root went first */
	ctr_kill(p, 0, SIGTERM);
	while (s->unpack_pid)
		assert_true(loop_run_once(1000) >= 0);
	release(fan, &ev);
	assert_false(s->unpacked);
	assert_string_equal(s->waiting_reason, "InvalidImage");
	assert_int_equal(stat(path, &st), -1);
	snprintf(path, sizeof(path), "%s/containers/c/rootfs.unpack", p->dir);
	assert_int_equal(stat(path, &st), -1);
	assert_false(unpack_busy());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_healthz_during_unpack),
		cmocka_unit_test(test_killed_unpack_leaves_nothing),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
