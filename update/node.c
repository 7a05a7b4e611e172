/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The node kcc-update runs on (node.h). */
#include <blkid.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "kv.h"
#include "node.h"
#include "util.h"

static int read_roothash(Node *n, char *err, size_t errlen)
{
	_cleanup_free_ char *text = NULL;
	const char *path = n->paths.cmdline ?: "/proc/cmdline";
	int r = read_small_file(path, 16384, &text);

	if (r < 0)
		return errorf(err, errlen, r, "cannot read %s: %s", path, strerror(-r));
	for (char *tok = strtok(text, " \t\n"); tok; tok = strtok(NULL, " \t\n")) {
		const char *v = startswith(tok, "kcc.roothash=");

		if (v && strlen(v) == 64) {
			snprintf(n->roothash, sizeof(n->roothash), "%s", v);
			return 0;
		}
	}
	return errorf(err, errlen, -ENOENT, "no kcc.roothash= of 64 hex digits in %s", path);
}

static int read_os_release(Node *n, char *err, size_t errlen)
{
	_cleanup_free_ char *text = NULL;
	const char *path = n->paths.os_release ?: "/etc/os-release";
	char line[512], *k, *v;
	KvParser p;
	int r = read_small_file(path, 65536, &text);

	if (r < 0)
		return errorf(err, errlen, r, "cannot read %s: %s", path, strerror(-r));
	n->epoch = 0;
	n->version[0] = 0;
	kv_init(&p, text, line, sizeof(line));
	while ((r = kv_next(&p, &k, &v, err, errlen)) > 0) {
		size_t l = strlen(v);

		if (l >= 2 && v[0] == '"' && v[l - 1] == '"') {
			v[l - 1] = 0;
			v++;
		}
		if (streq(k, "IMAGE_VERSION"))
			snprintf(n->version, sizeof(n->version), "%s", v);
		else if (streq(k, "KCC_SECURITY_EPOCH")) {
			unsigned long e;

			if (parse_uint(v, 0, BUNDLE_EPOCH_MAX, &e) < 0)
				return errorf(err, errlen, -EINVAL, "%s: bad KCC_SECURITY_EPOCH '%s'", path, v);
			n->epoch = (unsigned)e;
		}
	}
	if (r < 0)
		return r;
	if (!bundle_version_valid(n->version))
		return errorf(err, errlen, -EINVAL, "%s: no valid IMAGE_VERSION", path);
	return 0;
}

/* The device node of a partition UUID (libblkid). */
static int partuuid_device(const char *uuid, char *buf, size_t size)
{
	char *dev = blkid_evaluate_tag("PARTUUID", uuid, NULL);

	if (!dev)
		return -ENOENT;
	snprintf(buf, size, "%s", dev);
	free(dev);
	return 0;
}

static int find_disk(Node *n, char *err, size_t errlen)
{
	char ru[GPT_UUID_LEN + 1], vu[GPT_UUID_LEN + 1], part[256], name[64];
	dev_t whole;
	struct stat st;

	if (slot_roothash_uuids(n->roothash, ru, vu) < 0 || partuuid_device(ru, part, sizeof(part)) < 0)
		return errorf(err, errlen, -ENOENT, "no partition has the running root's UUID %s", ru);
	if (stat(part, &st) < 0 || !S_ISBLK(st.st_mode))
		return errorf(err, errlen, -ENODEV, "%s is not a block device", part);
	if (blkid_devno_to_wholedisk(st.st_rdev, name, sizeof(name), &whole) < 0)
		return errorf(err, errlen, -ENODEV, "cannot find the disk of %s", part);
	snprintf(n->disk, sizeof(n->disk), "/dev/%s", name);
	return 0;
}

static int mount_esp(Node *n, char *err, size_t errlen)
{
	char dev[256];

	if (partuuid_device(n->layout.esp.uuid, dev, sizeof(dev)) < 0)
		return errorf(err, errlen, -ENOENT, "no device for the ESP (PARTUUID %s)", n->layout.esp.uuid);
	(void)mkdir_p(NODE_ESP_MOUNT, 0700);
	if (mount(dev, NODE_ESP_MOUNT, "vfat", MS_NOSUID | MS_NODEV | MS_NOEXEC, "umask=0077") < 0)
		return errorf(err, errlen, -errno, "cannot mount the ESP %s at %s: %m", dev, NODE_ESP_MOUNT);
	n->esp_mounted = true;
	snprintf(n->esp, sizeof(n->esp), "%s", NODE_ESP_MOUNT);
	return 0;
}

int node_reload(Node *n, char *err, size_t errlen)
{
	int r = slot_layout_read(n->disk, n->roothash, &n->layout, err, errlen);

	if (r < 0)
		return r;
	r = esp_list(n->esp, n->entries, ESP_ENTRIES_MAX, &n->n_entries);
	if (r < 0)
		return errorf(err, errlen, r, "cannot list the boot entries on the ESP: %s", strerror(-r));
	return 0;
}

int node_open(Node *n, const NodePaths *paths, char *err, size_t errlen)
{
	int r;

	*n = (Node){ .paths = *paths };
	r = read_roothash(n, err, errlen);
	if (r >= 0)
		r = read_os_release(n, err, errlen);
	if (r < 0)
		return r;
	if (paths->disk)
		snprintf(n->disk, sizeof(n->disk), "%s", paths->disk);
	else if ((r = find_disk(n, err, errlen)) < 0)
		return r;
	r = slot_layout_read(n->disk, n->roothash, &n->layout, err, errlen);
	if (r < 0)
		return r;
	if (paths->esp_dir)
		snprintf(n->esp, sizeof(n->esp), "%s", paths->esp_dir);
	else if ((r = mount_esp(n, err, errlen)) < 0)
		return r;
	r = node_reload(n, err, errlen);
	if (r < 0)
		node_close(n);
	return r;
}

void node_close(Node *n)
{
	if (n->esp_mounted) {
		sync();
		(void)umount2(NODE_ESP_MOUNT, 0);
		n->esp_mounted = false;
	}
}

const EspEntry *node_entry(const Node *n, const char *version)
{
	for (size_t i = 0; i < n->n_entries; i++)
		if (streq(n->entries[i].version, version))
			return &n->entries[i];
	return NULL;
}

const EspEntry *node_other_entry(const Node *n)
{
	for (size_t i = 0; i < n->n_entries; i++)
		if (!streq(n->entries[i].version, n->version))
			return &n->entries[i];
	return NULL;
}

const char *node_next_boot(const Node *n)
{
	return n->n_entries > 0 ? n->entries[0].version : NULL;
}

bool node_reboot_needed(const Node *n)
{
	const char *next = node_next_boot(n);

	return next && !streq(next, n->version);
}

bool node_blessed(const Node *n)
{
	const EspEntry *e = node_entry(n, n->version);

	return !e || !e->counted;
}

int node_sentinel(const Node *n, bool present)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/" NODE_SENTINEL, n->paths.run_dir ?: NODE_RUN_DIR);
	if (present)
		return write_new_file(path, "kcc-update: an update waits for its reboot\n", 0644);
	return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}
