/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Service files: /etc/kcc/services/NAME.conf, "key = value" lines, '#' comments.
 *   exec = /path/to/binary arg "quoted arg"     (required; absolute path)
 *   env = KEY=VALUE                             (repeatable)
 *   user = UID:GID                              (numeric, no NSS in PID 1; default: the service's
 *                                                own uid and gid in SERVICE_UID_MIN..MAX, never
 *                                                0; root services say "user = 0:0")
 *   after = NAME                                (repeatable: start once NAME is ready; a NAME
 *                                                not started for its condition_path counts as
 *                                                ready)
 *   condition_path = /run/kcc/FILE              (start only when FILE exists at boot, e.g. a
 *                                                configuration generated from the node's; else
 *                                                the service is not started, which is logged)
 *   start_after_path = /run/FOLDER/FILE         (start only once FILE exists, waiting for it:
 *                                                PID 1 watches its folder with inotify. A file
 *                                                another service writes last, by rename, once
 *                                                what this one needs is complete and valid.
 *                                                Its folder missing at boot: not started,
 *                                                logged, as condition_path)
 *   restart = always | on-failure | never       (default always)
 *   restart_base_ms = 100, restart_max_ms = 30000  (exponential backoff and its cap)
 *   ready = none | fd:N | http:PORT/PATH         (s6-style: the service writes a newline on fd N;
 *                                                or GET 127.0.0.1:PORT/PATH answers 200)
 *   stop_timeout_ms = 5000                      (SIGTERM to every process of its cgroup, then
 *                                                SIGKILL of the whole cgroup)
 *   start_timeout_ms = 90000                    (readiness must come within it, or the service
 *                                                is killed, counts as failed and restarts)
 * The security profile, deny by default (docs/security-profiles.md):
 *   capabilities = CAP_NET_BIND_SERVICE ...     (bounding, permitted, effective, inheritable and
 *                                                ambient set; default none; "all" for test agents)
 *   no_new_privs = yes | no                     (default yes)
 *   memory_max = 64M | max, pids_max = 128 | max, cpu_max = QUOTA_US PERIOD_US | max
 *                                               (cgroup v2 limits; default pids_max = 1024)
 *   seccomp = yes | no                          (default yes: the default syscall allowlist)
 *   syscalls_allow = NAME ...                   (more syscalls for the allowlist)
 *   landlock = yes | no                         (default yes: read /usr /etc, write nothing)
 *   read_only_paths = /a /b, writable_paths = /c (more Landlock rules; missing writable paths
 *                                                below /var and /run are created)
 *   private_tmp = yes | no                      (default yes: own mount namespace with read-only
 *                                                views but writable_paths, and its own /tmp)
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define SERVICE_NAME_MAX 32
#define SERVICE_ARGS_MAX 64
#define SERVICE_ENV_MAX 32
#define SERVICE_AFTER_MAX 8
#define SERVICE_PATHS_MAX 16
#define SERVICE_FILE_MAX 16384
#define SERVICE_LINE_MAX 4096
/* Per-service uids (and gids of the same number) for services without user=: a stable hash of the
 * name into this range (systemd's dynamic-user range, unused by Debian's packages); on a collision
 * the next free number in name order. Explicit user= may not name a number in it. */
#define SERVICE_UID_MIN 61184u
#define SERVICE_UID_MAX 65519u
#define SERVICE_UID_AUTO ((uid_t)-1)

typedef enum RestartPolicy {
	RESTART_ALWAYS,
	RESTART_ON_FAILURE,
	RESTART_NEVER,
	_RESTART_POLICY_MAX,
	_RESTART_POLICY_INVALID = -22,
} RestartPolicy;

typedef struct ServiceConfig {
	char name[SERVICE_NAME_MAX + 1];
	char *argv[SERVICE_ARGS_MAX + 1]; /* NULL-terminated */
	char *env[SERVICE_ENV_MAX + 1];   /* NULL-terminated */
	char *after[SERVICE_AFTER_MAX];
	char *condition; /* condition_path=, or NULL */
	char *wait_path; /* start_after_path=, or NULL */
	unsigned n_args, n_env, n_after;
	uid_t uid; /* SERVICE_UID_AUTO until the supervisor gives it its own */
	gid_t gid;
	RestartPolicy restart;
	unsigned restart_base_ms, restart_max_ms, stop_timeout_ms, start_timeout_ms;
	int ready_fd; /* -1: ready as soon as started (or by HTTP) */
	unsigned ready_http_port; /* 0: none */
	char ready_http_path[64];
	uint64_t caps; /* bit N: capability N */
	bool no_new_privs;
	char memory_max[24], pids_max[24], cpu_max[48]; /* as cgroupfs takes them */
	bool seccomp, landlock, private_tmp;
	char *syscalls[SERVICE_ARGS_MAX], *ro[SERVICE_PATHS_MAX], *rw[SERVICE_PATHS_MAX];
	unsigned n_syscalls, n_ro, n_rw;
} ServiceConfig;

bool service_name_is_valid(const char *s);
/* How syscalls_allow names are checked: programs that link libseccomp (kcc-init check-services,
 * kcc-sandbox) set the full check (sandbox.h); PID 1 itself, without it, only checks that they
 * are words of [a-z0-9_]: the image build has checked them all, and kcc-sandbox refuses to start
 * a service whose file names one the kernel lacks. */
extern bool (*service_syscall_check)(const char *name);
/* Parses text as the service called name. On error returns -EINVAL/-E2BIG/-ERANGE and writes
 * "line N: reason" into err. The result owns its strings: release it with service_config_done. */
int service_config_parse(const char *name, const char *text, ServiceConfig *ret, char *err,
			 size_t errlen);
void service_config_done(ServiceConfig *c);
/* The first choice of a service's own uid: FNV-1a of its name into SERVICE_UID_MIN..MAX. */
uid_t service_default_uid(const char *name);
/* Gives every service of the array without user= its own uid and gid: the first choice, or on a
 * collision the next free number of the range (in array order, so sort it by name first). */
int service_assign_uids(ServiceConfig *const *c, unsigned n);
