/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-kubelet's state: the static pods it found, their containers and probes. One thread, one
 * epoll loop (main.c); pods.c syncs manifests, runtime.c runs containers through crun, probe.c
 * runs probes, http.c serves /healthz and /pods, status.c renders the status. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "log.h"
#include "manifest.h"
#include "unpack.h"
#include "policy.h"

#define PODS_MAX 64
#define DIRS_MAX 8
#define LOGBUF 8192
#define MANIFEST_FILE_MAX (1024 * 1024) /* a manifest file larger than this is refused */

typedef struct KubeletConfig {
	const char *manifest_dirs[DIRS_MAX + 1], *image_dirs[DIRS_MAX + 1];
	const char *state_dir; /* pods/<uid>/ (rootfs, bundles, volumes) */
	const char *log_dir;   /* <ns>_<name>_<uid>/<container>/<n>.log */
	const char *run_dir;   /* crun's state, the pid files */
	const char *cgroup_root; /* cgroupfs path of kubepods, and the name crun gets */
	const char *cgroup_name;
	const char *crun;
	const char *socket; /* the root-only Unix socket of the full status */
	unsigned port;
	UnpackLimits image_limits, pod_limits, import_limits; /* unpack.h, docs/kubelet.md */
	bool exec_mount; /* make state_dir/pods executable in our mount namespace */
	const char *policy_path; /* the node's pod policy file (policy.h) */
	const char *secrets_dir; /* the secrets released to the node (secret-volume.h) */
	PodPolicy policy;
} KubeletConfig;

extern KubeletConfig cfg;

typedef enum CtrPhase { CTR_WAITING, CTR_RUNNING, CTR_TERMINATED } CtrPhase;

typedef struct ProbeState {
	pid_t pid;
	unsigned long long next_ms, deadline_ms;
	unsigned successes, failures;
	bool ok;
} ProbeState;

typedef struct CtrState {
	CtrPhase phase;
	pid_t crun_pid, init_pid;
	int out_fd, err_fd, log_fd;
	char outbuf[2][LOGBUF];
	size_t outlen[2];
	unsigned restarts, backoff;
	int last_exit; /* -1: none yet */
	char last_reason[32], waiting_reason[32], message[256];
	char last_line[200]; /* the last line it wrote (a failed container's message, as the
			      * kubelet's FallbackToLogsOnError) */
	char exit_message[200];
	unsigned long long started_ms, next_start_ms;
	uint64_t oom_kills;
	uint64_t unpacked_bytes, unpacked_files; /* its root's share of the pod's unpack limit */
	bool ready, stopping, unpacked;
	pid_t unpack_pid; /* its root being unpacked (image-unpack.c) */
	int unpack_fd;	  /* the unpack's result pipe */
	struct OciConfig *image; /* its image, read once per start, while its root is unpacked */
	ProbeState liveness, readiness;
} CtrState;

typedef struct PodState {
	bool used, seen, rejected, announced_ready;
	Pod pod;
	char uid[37];
	char source[256];
	char reason[32], message[512];
	char dir[320];
	char ns_name[160]; /* "namespace/name" */
	CtrState ctrs[POD_CONTAINERS_MAX];
	unsigned long long created_ms;
} PodState;

extern PodState pods[PODS_MAX];

/* pods.c */
void pods_init(void);
/* Reads one manifest file of a folder: a regular file of at most MANIFEST_FILE_MAX only, never
 * blocking (a FIFO, a device, a socket, a link is refused); err says what it is instead. */
int manifest_file_read(int dirfd, const char *name, char **ret, char *err, size_t errlen);
void pods_sync(void);
void pods_tick(unsigned long long now);
/* Logs "pod NS/NAME is ready" once all its containers are (again), at once from a probe result. */
void pod_ready_check(PodState *p);
void pods_stop_all(void);
bool pods_all_stopped(void);
/* runtime.c */
_Noreturn void crun_exec(const char *const *args);
int ctr_start(PodState *p, unsigned i);
void ctr_kill(PodState *p, unsigned i, int sig);
void ctr_exited(PodState *p, unsigned i, int status);
void ctr_drain(PodState *p, unsigned i, int stream);
void ctr_cleanup_pod(PodState *p);
/* The end of container i's unpack (r < 0: it failed, err says why): it runs, or backs off. */
void ctr_unpacked(PodState *p, unsigned i, int r, const char *err);
/* image-unpack.c: container i's root unpacked in a child process, one at a time on the node;
 * the loop's SIGCHLD reaps it (ctr_unpack_reaped), which calls ctr_unpacked. */
struct OciImage;
int ctr_unpack_start(PodState *p, unsigned i, const struct OciImage *img,
		     const struct OciConfig *ic, const char *rootfs, const char *bundle, char *err,
		     size_t errlen);
bool unpack_busy(void);
void ctr_unpack_kill(PodState *p, unsigned i);
bool ctr_unpack_reaped(pid_t pid, int status);
/* The pod's host uid/gid range (userns.h) and the folder its hostPath volumes are staged in. */
uid_t pod_ids(const PodState *p);
void pod_hostpaths_dir(const PodState *p, char *buf, size_t len);
int pod_stage_host_paths(PodState *p, char *err, size_t errlen);
int pod_unstage_host_paths(PodState *p); /* < 0: something stayed mounted (secret volumes too) */
/* Each secret volume staged afresh before a container starts (secret-volume.h): -ENOKEY while
 * the node has not been released the secret, err says which. */
int pod_stage_secrets(PodState *p, char *err, size_t errlen);
void ctr_id(const PodState *p, unsigned i, char *buf, size_t len);
int pod_cgroup(const PodState *p, char *buf, size_t len);
/* probe.c */
void probes_tick(PodState *p, unsigned i, unsigned long long now);
bool probe_reaped(pid_t pid, int status);
/* status.c: full with PIDs, messages and exit messages (root only), else without them */
char *status_json(bool full);
/* http.c: 127.0.0.1:port (/healthz, redacted /pods) and the root-only socket (full /pods) */
#define HTTP_CONN_MAX 32	 /* open connections; the oldest gives way to a new one */
#define HTTP_CONN_FULL_RESERVED 4 /* of them, only for the root-only socket's clients */
#define HTTP_DEADLINE_MS 2000 /* for a connection's whole request and answer */
int http_start(unsigned port, const char *socket_path, char *err, size_t errlen);
void http_tick(unsigned long long now);

/* main.c: the container pipes in the loop (lib/basic/loop.h): a pipe is read by ctr_drain; an
 * unwatched pipe's Source is freed after the batch of events it may still be in. */
int pipe_watch(int fd, PodState *p, unsigned ctr, int stream);
void pipe_unwatch(int fd);
