/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Static pods: each manifest file is one pod, its UID the hash of the file. A new or changed file
 * starts a pod, a removed one stops it; a manifest that does not parse is a rejected pod with its
 * reason, and the other pods carry on. */
#include <dirent.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "fs.h"
#include "hostpath.h"
#include "kubelet.h"
#include "secret-volume.h"
#include "userns.h"
#include "util.h"

/* Page-aligned so that it can be kept out of transparent huge pages: the array is large (most of
 * it output buffers) and only the pods in use may ever be touched. */
PodState pods[PODS_MAX] __attribute__((aligned(4096)));

void pods_init(void)
{
	(void)madvise(pods, sizeof(pods), MADV_NOHUGEPAGE);
}

static void uid_of(const char *text, size_t len, char uid[37])
{
	unsigned char md[32];
	unsigned mdlen = 0;
	char hex[65];

	EVP_Digest(text, len, md, &mdlen, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	snprintf(uid, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

static PodState *find(const char *source, const char *uid)
{
	for (unsigned k = 0; k < PODS_MAX; k++)
		if (pods[k].used && streq(pods[k].source, source) && streq(pods[k].uid, uid))
			return &pods[k];
	return NULL;
}

static bool name_taken(const PodState *self)
{
	for (unsigned k = 0; k < PODS_MAX; k++) {
		const PodState *o = &pods[k];
		/* a pod whose manifest is gone (being stopped) no longer holds its name */
		if (o != self && o->used && o->seen && !o->rejected && streq(o->ns_name, self->ns_name))
			return true;
	}
	return false;
}

uid_t pod_ids(const PodState *p)
{
	return pod_id_base((unsigned)(p - pods));
}

/* "_" cannot start a container or volume name (DNS labels): no collision with their folders */
void pod_hostpaths_dir(const PodState *p, char *buf, size_t len)
{
	snprintf(buf, len, "%s/_hostpaths", p->dir);
}

int pod_unstage_host_paths(PodState *p)
{
	char dir[400], path[500];
	int ret = 0;

	if (!p->dir[0])
		return 0;
	pod_hostpaths_dir(p, dir, sizeof(dir));
	for (unsigned i = 0; i < p->pod.n_volumes; i++) {
		if (p->pod.volumes[i].kind == VOLUME_EMPTY_DIR)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, p->pod.volumes[i].name);
		int r = host_path_unstage(path);
		if (r < 0) {
			log_info("pod %s: cannot unmount %s: %s", p->ns_name, path, strerror(-r));
			ret = r;
		}
	}
	return ret;
}

/* Each hostPath volume: resolved from "/" without symbolic links, its type checked on the
 * descriptor, and that descriptor mounted on the pod's staging point (writable only when a
 * container mounts it read-write, which admission allowed). */
int pod_stage_host_paths(PodState *p, char *err, size_t errlen)
{
	char dir[400], path[500];
	int r;

	pod_hostpaths_dir(p, dir, sizeof(dir));
	for (unsigned i = 0; i < p->pod.n_volumes; i++) {
		const Volume *v = &p->pod.volumes[i];
		_cleanup_close_ int fd = -EBADF;
		bool writable = false;

		if (v->kind != VOLUME_HOST_PATH)
			continue;
		for (unsigned c = 0; c < p->pod.n_containers; c++)
			for (unsigned j = 0; j < p->pod.containers[c].n_mounts; j++) {
				const VolumeMount *m = &p->pod.containers[c].mounts[j];
				writable = writable || (streq(m->name, v->name) && !m->read_only);
			}
		/* the pod's ids reach the staging points from inside its user namespace */
		if ((mkdir(dir, 0700) < 0 && errno != EEXIST) ||
		    chown(dir, pod_ids(p), pod_ids(p)) < 0)
			return snprintf(err, errlen, "hostPath: cannot create %s: %m", dir), -errno;
		fd = host_path_open(v->host_path, v->host_type, err, errlen);
		if (fd < 0)
			return fd;
		snprintf(path, sizeof(path), "%s/%s", dir, v->name);
		r = host_path_stage(fd, path, !writable, err, errlen);
		if (r < 0)
			return r;
	}
	return 0;
}

int pod_stage_secrets(PodState *p, char *err, size_t errlen)
{
	char dir[400], path[500];

	pod_hostpaths_dir(p, dir, sizeof(dir));
	for (unsigned i = 0; i < p->pod.n_volumes; i++) {
		const Volume *v = &p->pod.volumes[i];
		int r;

		if (v->kind != VOLUME_SECRET)
			continue;
		if ((mkdir(dir, 0700) < 0 && errno != EEXIST) ||
		    chown(dir, pod_ids(p), pod_ids(p)) < 0)
			return snprintf(err, errlen, "secret: cannot create %s: %m", dir), -errno;
		snprintf(path, sizeof(path), "%s/%s", dir, v->name);
		r = secret_volume_stage(v, cfg.secrets_dir, path, pod_ids(p), err, errlen);
		if (r < 0)
			return r;
	}
	return 0;
}

static int prepare_pod(PodState *p)
{
	char cg[400];
	int r;

	snprintf(p->dir, sizeof(p->dir), "%s/pods/%s", cfg.state_dir, p->uid);
	r = mkdir_p(p->dir, 0700);
	if (r < 0)
		return r;
	/* the pod's own ids (its user namespace) reach the container roots inside */
	if (chown(p->dir, pod_ids(p), pod_ids(p)) < 0)
		return -errno;
	r = pod_cgroup(p, cg, sizeof(cg) - 30);
	if (r < 0)
		return r;
	if (mkdir(cg, 0755) < 0 && errno != EEXIST)
		return -errno;
	strcat(cg, "/cgroup.subtree_control");
	return write_string_file(cg, "+cpu +memory +pids");
}

static void add_pod(const char *source, const char *text, size_t len, const char *uid)
{
	PodState *p = NULL;
	char err[512];
	int r;

	for (unsigned k = 0; k < PODS_MAX && !p; k++)
		if (!pods[k].used)
			p = &pods[k];
	if (!p) {
		log_info("too many pods (%d), ignoring %s", PODS_MAX, source);
		return;
	}
	memset(p, 0, sizeof(*p));
	p->used = p->seen = true;
	p->created_ms = now_ms();
	snprintf(p->source, sizeof(p->source), "%s", source);
	snprintf(p->uid, sizeof(p->uid), "%s", uid);
	for (unsigned i = 0; i < POD_CONTAINERS_MAX; i++) {
		CtrState *s = &p->ctrs[i];
		s->out_fd = s->err_fd = s->log_fd = s->unpack_fd = -EBADF;
		s->last_exit = -1;
	}
	r = pod_parse(text, len, &p->pod, err, sizeof(err));
	snprintf(p->ns_name, sizeof(p->ns_name), "%s/%s",
		 p->pod.namespace ? p->pod.namespace : "default", p->pod.name ? p->pod.name : "?");
	if (r >= 0 && name_taken(p)) {
		snprintf(err, sizeof(err), "another manifest already defines pod %s", p->ns_name);
		r = -EEXIST;
	}
	/* the node's pod security policy: restricted, plus what the image's policy file allows */
	if (r >= 0)
		r = pod_admit(&cfg.policy, &p->pod, err, sizeof(err));
	if (r < 0) {
		p->rejected = true;
		snprintf(p->reason, sizeof(p->reason), "%s",
			 r == -EEXIST ? "DuplicatePod" : r == -EPERM ? "PodSecurity" : "InvalidManifest");
		snprintf(p->message, sizeof(p->message), "%s", err);
		log_info("rejected pod %s from %s: %s", p->ns_name, source, err);
		return;
	}
	r = prepare_pod(p);
	if (r < 0) {
		p->rejected = true;
		snprintf(p->reason, sizeof(p->reason), "CreatePodSandboxError");
		snprintf(p->message, sizeof(p->message), "cannot set up the pod: %s", strerror(-r));
		log_info("pod %s: %s", p->ns_name, p->message);
		return;
	}
	r = pod_stage_host_paths(p, err, sizeof(err));
	if (r < 0) {
		p->rejected = true;
		snprintf(p->reason, sizeof(p->reason), "PodSecurity");
		snprintf(p->message, sizeof(p->message), "%s", err);
		log_info("rejected pod %s from %s: %s", p->ns_name, source, err);
		ctr_cleanup_pod(p); /* what was staged comes off before the folder goes */
		p->dir[0] = '\0';
		return;
	}
	log_info("pod %s (uid %s) from %s: %u container(s)", p->ns_name, p->uid, source,
	     p->pod.n_containers);
	for (unsigned i = 0; i < p->pod.n_containers; i++)
		p->ctrs[i].phase = CTR_WAITING; /* started by pods_tick */
}

int manifest_file_read(int dirfd, const char *name, char **ret, char *err, size_t errlen)
{
	return read_regular_fileat(dirfd, name, MANIFEST_FILE_MAX, ret, err, errlen);
}

/* Manifest files that cannot be read are logged once, not on every scan, until they change. */
static struct {
	char path[256], why[128];
	bool seen;
} unreadable[PODS_MAX];

static void note_unreadable(const char *path, const char *why)
{
	size_t free_slot = ARRAY_SIZE(unreadable);

	for (size_t i = 0; i < ARRAY_SIZE(unreadable); i++) {
		if (streq(unreadable[i].path, path) && streq(unreadable[i].why, why)) {
			unreadable[i].seen = true;
			return;
		}
		if (!unreadable[i].path[0] && free_slot == ARRAY_SIZE(unreadable))
			free_slot = i;
	}
	log_info("manifest %s: %s, ignoring it; the other pods carry on", path, why);
	if (free_slot < ARRAY_SIZE(unreadable)) {
		snprintf(unreadable[free_slot].path, sizeof(unreadable[free_slot].path), "%s", path);
		snprintf(unreadable[free_slot].why, sizeof(unreadable[free_slot].why), "%s", why);
		unreadable[free_slot].seen = true;
	}
}

static void scan_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		const char *dot = strrchr(de->d_name, '.');
		char path[256], uid[37], why[128], *text = NULL;
		PodState *p;
		if (de->d_name[0] == '.' || !dot ||
		    !(streq(dot, ".yaml") || streq(dot, ".yml") || streq(dot, ".json")))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path))
			continue;
		if (manifest_file_read(dirfd(d), de->d_name, &text, why, sizeof(why)) < 0) {
			note_unreadable(path, why);
			continue;
		}
		uid_of(text, strlen(text), uid);
		p = find(path, uid);
		if (p)
			p->seen = true;
		else
			add_pod(path, text, strlen(text), uid);
		free(text);
	}
	closedir(d);
}

static void remove_pod(PodState *p)
{
	bool running = false;

	for (unsigned i = 0; i < p->pod.n_containers; i++) {
		p->ctrs[i].stopping = true;
		if (p->ctrs[i].phase == CTR_RUNNING || p->ctrs[i].unpack_pid > 0) {
			running = true;
			ctr_kill(p, i, SIGTERM);
		}
	}
	if (running)
		return; /* again once its containers are gone */
	log_info("pod %s removed", p->ns_name);
	if (!p->rejected)
		ctr_cleanup_pod(p);
	pod_free(&p->pod);
	memset(p, 0, sizeof(*p));
}

void pods_sync(void)
{
	for (unsigned k = 0; k < PODS_MAX; k++)
		if (pods[k].used)
			pods[k].seen = false;
	for (size_t i = 0; i < ARRAY_SIZE(unreadable); i++)
		unreadable[i].seen = false;
	for (size_t i = 0; cfg.manifest_dirs[i]; i++)
		scan_dir(cfg.manifest_dirs[i]);
	for (size_t i = 0; i < ARRAY_SIZE(unreadable); i++)
		if (!unreadable[i].seen)
			unreadable[i].path[0] = '\0';
	for (unsigned k = 0; k < PODS_MAX; k++)
		if (pods[k].used && !pods[k].seen)
			remove_pod(&pods[k]);
}

void pod_ready_check(PodState *p)
{
	bool all_ready = true;

	for (unsigned i = 0; i < p->pod.n_containers; i++)
		all_ready = all_ready && !p->ctrs[i].stopping && p->ctrs[i].ready;
	if (all_ready && !p->announced_ready) {
		p->announced_ready = true;
		log_info("pod %s is ready", p->ns_name);
	} else if (!all_ready)
		p->announced_ready = false;
}

void pods_tick(unsigned long long now)
{
	for (unsigned k = 0; k < PODS_MAX; k++) {
		PodState *p = &pods[k];
		if (!p->used || p->rejected)
			continue;
		for (unsigned i = 0; i < p->pod.n_containers; i++) {
			CtrState *s = &p->ctrs[i];
			if (s->stopping)
				continue;
			if (s->phase == CTR_WAITING && now >= s->next_start_ms)
				(void)ctr_start(p, i);
			probes_tick(p, i, now);
		}
		pod_ready_check(p);
		/* a removed pod whose containers have all stopped */
		bool gone = !p->seen;
		for (unsigned i = 0; gone && i < p->pod.n_containers; i++)
			gone = p->ctrs[i].phase != CTR_RUNNING && !p->ctrs[i].unpack_pid;
		if (gone)
			remove_pod(p);
	}
}

void pods_stop_all(void)
{
	for (unsigned k = 0; k < PODS_MAX; k++) {
		PodState *p = &pods[k];
		if (!p->used)
			continue;
		for (unsigned i = 0; i < p->pod.n_containers; i++) {
			p->ctrs[i].stopping = true;
			ctr_kill(p, i, SIGTERM);
		}
	}
}

bool pods_all_stopped(void)
{
	for (unsigned k = 0; k < PODS_MAX; k++)
		for (unsigned i = 0; pods[k].used && i < pods[k].pod.n_containers; i++)
			if (pods[k].ctrs[i].phase == CTR_RUNNING || pods[k].ctrs[i].unpack_pid > 0)
				return false;
	return true;
}
