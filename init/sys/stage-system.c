/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <sys/mount.h>
#include <sys/stat.h>

#include "log.h"
#include "stage-network.h"
#include "node-config-files.h"
#include "stage-system.h"

typedef struct SystemMount {
	const char *what, *where, *type;
	unsigned long flags;
	const char *data;
} SystemMount;

/* /var is the encrypted state partition, mounted by the initrd stage. */
static const SystemMount system_mounts[] = {
	{ "tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=20%" },
	{ "cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, "nsdelegate" },
};

static int enable_controllers(const char *cg)
{
	static const char *const wanted[] = { "cpu", "memory", "pids", "io" };
	_cleanup_free_ char *have = NULL;
	char path[256], line[64];
	size_t off = 0;
	int r;

	snprintf(path, sizeof(path), "%s/cgroup.controllers", cg);
	r = read_small_file(path, 4096, &have);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(wanted); i++) {
		size_t l = strlen(wanted[i]);

		/* A whole word: "cpu" must not match inside "cpuset". */
		for (const char *p = strstr(have, wanted[i]); p; p = strstr(p + 1, wanted[i]))
			if ((p == have || p[-1] == ' ') && (p[l] == ' ' || p[l] == '\n' || !p[l])) {
				off += (size_t)snprintf(line + off, sizeof(line) - off, "+%s ",
							wanted[i]);
				break;
			}
	}
	if (off == 0)
		return 0;
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", cg);
	return write_string_file(path, line);
}

/* The command line's hostname=, else the node configuration's (node-config-files.h), else
 * /etc/hostname, else "kcc-node". */
static int set_hostname(const KccCmdline *c)
{
	static const char *const files[] = { NODE_CONFIG_HOSTNAME, "/etc/hostname" };
	_cleanup_free_ char *file = NULL;
	const char *name = "kcc-node";

	if (c->hostname[0])
		name = c->hostname;
	for (size_t i = 0; !c->hostname[0] && i < ARRAY_SIZE(files); i++) {
		if (read_small_file(files[i], 128, &file) <= 0)
			continue;
		file[strcspn(file, "\n")] = '\0';
		if (hostname_is_valid(file)) {
			name = file;
			break;
		}
		log_warning("%s holds no valid host name, ignoring it", files[i]);
		free(TAKE_PTR(file));
	}
	if (sethostname(name, strlen(name)) < 0)
		return log_error_errno(-errno, "Failed to set the host name %s: %m", name);
	log_info("host name %s", name);
	return 0;
}

int stage_system_run(const KccCmdline *c)
{
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(system_mounts); i++) {
		const SystemMount *m = &system_mounts[i];
		if (mount(m->what, m->where, m->type, m->flags, m->data) < 0)
			return log_error_errno(-errno, "Failed to mount %s on %s: %m", m->type,
					       m->where);
	}
	r = enable_controllers("/sys/fs/cgroup");
	if (r < 0)
		return log_error_errno(r, "Failed to enable cgroup controllers: %m");
	if (mkdir(CGROUP_SERVICES, 0755) < 0 && errno != EEXIST)
		return log_error_errno(-errno, "Failed to create %s: %m", CGROUP_SERVICES);
	r = enable_controllers(CGROUP_SERVICES);
	if (r < 0)
		return log_error_errno(r, "Failed to enable controllers in %s: %m", CGROUP_SERVICES);
	/* the kubelet's pods: created now so that the BPF LSM (loaded next) knows its id */
	if (mkdir(CGROUP_PODS, 0755) < 0 && errno != EEXIST)
		return log_error_errno(-errno, "Failed to create %s: %m", CGROUP_PODS);
	r = enable_controllers(CGROUP_PODS);
	if (r < 0)
		return log_error_errno(r, "Failed to enable controllers in %s: %m", CGROUP_PODS);
	/* A static network from the node configuration replaces the image's. */
	r = stage_network_run(access(NODE_CONFIG_NETWORK, F_OK) == 0 ? NODE_CONFIG_NETWORK :
								       "/etc/kcc/network.conf");
	if (r < 0)
		return r;
	r = mkdir_p("/run/kcc", 0755);
	if (r < 0)
		return log_error_errno(r, "Failed to create /run/kcc: %m");
	return set_hostname(c);
}
