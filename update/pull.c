/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pull mode (pull.h). */
#include <signal.h>

#include "apply.h"
#include "bundle-source.h"
#include "condition.h"
#include "fleetlock.h"
#include "node-config.h"
#include "pull.h"
#include "status.h"
#include "util.h"

#define READ_SIZE 4096u
#define REBOOT_SIGNAL (SIGRTMIN + 5) /* kured's, honoured by PID 1 while reboot-required exists */

static int load_config(const char *path, NodeConfig *nc)
{
	_cleanup_free_ char *data = NULL;
	char err[1024];
	int r = read_small_file(path, NODE_CONFIG_MAX, &data);

	if (r == -ENOENT) {
		printf("pull: no node configuration (%s): nothing to poll\n", path);
		return -ENOENT;
	}
	if (r < 0) {
		say_error(EXIT_SYSTEM, "pull: cannot read %s: %s", path, strerror(-r));
		return r;
	}
	if (node_config_parse(data, (size_t)r, nc, err, sizeof(err)) < 0) {
		err[strcspn(err, "\n")] = '\0'; /* the first error line */
		say_error(EXIT_REFUSED, "pull: %s: %s", path, err);
		return -EINVAL;
	}
	return 0;
}

/* The signed manifest at the start of the bundle of url (the rest is not read). */
static int fetch_manifest(const char *url, const char *ca, const BundleKey *key, BundleReader **ret, char *err,
			  size_t errlen)
{
	_cleanup_close_ int fd = source_open_ca(url, ca, err, errlen);
	BundleReader *r = NULL;
	uint8_t buf[READ_SIZE];

	if (fd < 0)
		return fd;
	if (bundle_reader_new(key, NULL, NULL, &r) < 0)
		return errorf(err, errlen, -ENOMEM, "out of memory");
	/* READ_SIZE at a time: the connection is closed once the manifest is in */
	while (!bundle_reader_manifest(r)) {
		ssize_t n = read(fd, buf, sizeof(buf));
		int k;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			k = n < 0 ? -errno : bundle_reader_finish(r);
			errorf(err, errlen, k < 0 ? k : -EPIPE, "%s: %s", url,
			       n < 0 ? strerror(errno) : bundle_reader_error(r));
			bundle_reader_free(r);
			return -EBADMSG;
		}
		k = bundle_reader_feed(r, buf, (size_t)n);
		if (k < 0) {
			errorf(err, errlen, k, "%s: %s", url, bundle_reader_error(r));
			bundle_reader_free(r);
			return k;
		}
	}
	*ret = r;
	return 0;
}

static bool endswith_slash(const char *s)
{
	return s[0] && s[strlen(s) - 1] == '/';
}

static int node_id(char *id, size_t len)
{
	if (gethostname(id, len) < 0 || !id[0])
		return -errno ?: -ENOENT;
	return 0;
}

static int take_lock_and_reboot(const NodeArgs *a, const NodeConfig *nc, const char *id, const char *group)
{
	char err[400];
	int r;

	if (nc->update.fleetlock_url[0]) {
		r = fleetlock_request(nc->update.fleetlock_url, nc->update.ca, FLEETLOCK_PRE_REBOOT, id, group, err, sizeof(err));
		if (r == -EBUSY) {
			printf("pull: reboot lock not granted (%s): waiting\n", err);
			return -EBUSY;
		}
		if (r < 0)
			return say_error(EXIT_SYSTEM, "pull: reboot lock: %s", err);
		printf("pull: reboot lock taken from %s (id %s, group %s)\n", nc->update.fleetlock_url, id, group);
	} else
		printf("pull: no update.fleetlock-url: rebooting without a lock\n");
	if (kill(a->init_pid, REBOOT_SIGNAL) < 0)
		return say_error(EXIT_SYSTEM, "pull: cannot ask pid %d to reboot: %m", (int)a->init_pid);
	printf("pull: asked pid %d for an orderly reboot (SIGRTMIN+5)\n", (int)a->init_pid);
	return 0;
}

/* The published bundle's manifest against the node: 1 apply it, 0 nothing to do (said why). */
static int worth_applying(const Node *n, const BundleManifest *m)
{
	const EspEntry *oe = node_other_entry(n);

	if (streq(m->version, n->version)) {
		printf("pull: up to date (%s)\n", n->version);
		return 0;
	}
	if (esp_version_compare(m->version, n->version) < 0) {
		printf("pull: the published %s is older than the running %s: ignored\n", m->version, n->version);
		return 0;
	}
	if (oe && streq(oe->version, m->version) && esp_entry_is_bad(oe)) {
		printf("pull: %s rolled back on this node (its boot entry is marked bad): not applied again; "
		       "publish a newer version\n", m->version);
		return 0;
	}
	return 1;
}

int pull_round(const NodeArgs *a, const BundleKey *key, PullState *st)
{
	NodeConfig *nc = calloc(1, sizeof(*nc));
	BundleReader *br = NULL;
	ApplyResult res;
	char err[400], id[256], url[NC_URL_MAX + sizeof(PULL_BUNDLE_NAME)];
	const char *group;
	bool open = false;
	int code = 0, r, fd;
	Node n;

	if (!nc)
		return say_error(EXIT_SYSTEM, "out of memory");
	st->waiting = false;
	r = load_config(a->config ?: DEFAULT_NODE_CONFIG, nc);
	if (r < 0) {
		code = r == -ENOENT ? 0 : r == -EINVAL ? EXIT_REFUSED : EXIT_SYSTEM;
		goto out;
	}
	st->interval_s = nc->update.poll_seconds;
	if (!nc->update.url[0]) {
		printf("pull: no update.url in the node configuration: nothing to poll\n");
		goto out;
	}
	group = nc->update.fleetlock_group[0] ? nc->update.fleetlock_group : "default";
	if (node_id(id, sizeof(id)) < 0) {
		code = say_error(EXIT_SYSTEM, "pull: the node has no host name for its FleetLock id");
		goto out;
	}
	if (node_open(&n, &a->paths, err, sizeof(err)) < 0) {
		code = say_error(EXIT_SYSTEM, "pull: %s", err);
		goto out;
	}
	open = true;
	(void)condition_write(&n);
	(void)status_write(&n);
	if (!node_blessed(&n)) {
		printf("pull: waiting: the running boot (%s) is not blessed yet\n", n.version);
		st->waiting = true;
		goto out;
	}
	if (node_reboot_needed(&n)) {
		code = take_lock_and_reboot(a, nc, id, group);
		goto out;
	}
	if (nc->update.fleetlock_url[0] && !st->released) {
		r = fleetlock_request(nc->update.fleetlock_url, nc->update.ca, FLEETLOCK_STEADY_STATE, id, group, err, sizeof(err));
		if (r < 0) {
			code = say_error(EXIT_SYSTEM, "pull: releasing the reboot lock: %s", err);
			goto out;
		}
		st->released = true;
		printf("pull: steady: %s blessed, reboot lock released (id %s, group %s)\n", n.version, id, group);
	}
	/* a URL ending in "/" is a channel directory: its bundle has the well-known name */
	snprintf(url, sizeof(url), "%s%s", nc->update.url, endswith_slash(nc->update.url) ? PULL_BUNDLE_NAME : "");
	r = fetch_manifest(url, nc->update.ca, key, &br, err, sizeof(err));
	if (r < 0) {
		code = say_error(r == -EBADMSG || r == -EKEYREJECTED ? EXIT_REFUSED : EXIT_SYSTEM, "pull: %s", err);
		goto out;
	}
	if (worth_applying(&n, bundle_reader_manifest(br)) == 0)
		goto out;
	printf("pull: %s is published (running %s): applying\n", bundle_reader_manifest(br)->version, n.version);
	fd = source_open_ca(url, nc->update.ca, err, sizeof(err));
	if (fd < 0) {
		code = say_error(EXIT_SYSTEM, "pull: %s", err);
		goto out;
	}
	apply_stream(&n, key, fd, url, &res);
	close(fd);
	if (res.code != 0) {
		code = say_error(res.code, "pull: %s", res.line);
		goto out;
	}
	printf("pull: %s\n", res.line);
	node_close(&n);
	open = false;
	code = take_lock_and_reboot(a, nc, id, group);
out:
	if (code == -EBUSY) { /* the lock refused: ask again soon */
		st->waiting = true;
		code = 0;
	}
	if (code == EXIT_SYSTEM) /* e.g. no network yet at the service's start */
		st->waiting = true;
	if (open)
		node_close(&n);
	bundle_reader_free(br);
	free(nc);
	return code;
}

int cmd_pull(int argc, char **argv)
{
	BundleKey *key = NULL;
	PullState st = {};
	NodeArgs a;
	char err[300];
	int code;

	if (node_args_parse(argc, argv, &a) < 0 || a.operand || a.socket)
		return say_error(EXIT_USAGE, "usage: kcc-update pull [--key PEM] [--config JSON] [--init-pid PID] [NODE OPTIONS]");
	if (bundle_key_load(a.key, false, &key, err, sizeof(err)) < 0)
		return say_error(EXIT_USAGE, "%s", err);
	code = pull_round(&a, key, &st);
	bundle_key_free(key);
	return code;
}
