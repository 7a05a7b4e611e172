/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <blkid.h>
#include <dirent.h>
#include <fcntl.h>
#include <strings.h>

#include "blkid.h"
#include "log.h"

static void blkid_free_probep(blkid_probe *p)
{
	if (*p)
		blkid_free_probe(*p);
}

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

/* Finds the /dev node of partition number partno of disk, through sysfs. */
static int partition_node(const char *disk, int partno, char *out, size_t outlen)
{
	char path[PATH_MAX];
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;

	snprintf(path, sizeof(path), "/sys/class/block/%s", disk);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		_cleanup_free_ char *s = NULL;
		unsigned long v;
		char *nl;

		if (!startswith(de->d_name, disk))
			continue;
		snprintf(path, sizeof(path), "/sys/class/block/%s/%s/partition", disk, de->d_name);
		if (read_small_file(path, 32, &s) < 0)
			continue;
		nl = strchr(s, '\n');
		if (nl)
			*nl = '\0';
		if (parse_uint(s, 1, 4096, &v) < 0 || (int)v != partno)
			continue;
		snprintf(out, outlen, "/dev/%s", de->d_name);
		return 0;
	}
	return -ENOENT;
}

static int probe_disk(const char *disk, PartitionMatch *m, unsigned n, unsigned *found)
{
	_cleanup_(blkid_free_probep) blkid_probe pr = NULL;
	char node[PATH_MAX];
	blkid_partlist pl;
	int count;

	snprintf(node, sizeof(node), "/dev/%s", disk);
	pr = blkid_new_probe_from_filename(node);
	if (!pr)
		return -errno ?: -EIO;
	blkid_probe_enable_superblocks(pr, 0);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
	pl = blkid_probe_get_partitions(pr);
	if (!pl)
		return 0; /* no partition table */
	count = blkid_partlist_numof_partitions(pl);
	for (int i = 0; i < count; i++) {
		blkid_partition p = blkid_partlist_get_partition(pl, i);
		const char *type = blkid_partition_get_type_string(p);
		const char *uuid = blkid_partition_get_uuid(p);
		const char *name = blkid_partition_get_name(p);

		if (!type || !uuid)
			continue;
		for (unsigned j = 0; j < n; j++) {
			int r;

			if (strcasecmp(type, m[j].type_uuid) != 0 ||
			    (m[j].part_uuid && strcasecmp(uuid, m[j].part_uuid) != 0) ||
			    (m[j].disk && !streq(m[j].disk, disk)))
				continue;
			if (m[j].ret_node[0])
				return -ENOTUNIQ;
			r = partition_node(disk, blkid_partition_get_partno(p), m[j].ret_node,
					   sizeof(m[j].ret_node));
			if (r < 0)
				return r;
			snprintf(m[j].ret_label, sizeof(m[j].ret_label), "%s", name ? name : "");
			snprintf(m[j].ret_disk, sizeof(m[j].ret_disk), "%s", disk);
			(*found)++;
		}
	}
	return 0;
}

int blkid_find_partitions(PartitionMatch *m, unsigned n)
{
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;
	unsigned found = 0;

	for (unsigned j = 0; j < n; j++)
		m[j].ret_node[0] = m[j].ret_label[0] = m[j].ret_disk[0] = '\0';
	d = opendir("/sys/class/block");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char path[PATH_MAX];
		int r;

		if (de->d_name[0] == '.' || startswith(de->d_name, "dm-") ||
		    startswith(de->d_name, "loop") || startswith(de->d_name, "ram"))
			continue;
		snprintf(path, sizeof(path), "/sys/class/block/%s/partition", de->d_name);
		if (access(path, F_OK) == 0)
			continue; /* a partition, not a whole disk */
		r = probe_disk(de->d_name, m, n, &found);
		if (r == -ENOTUNIQ)
			return r;
		if (r < 0)
			log_debug_errno(r, "Probing /dev/%s failed, ignoring: %m", de->d_name);
	}
	return (int)found;
}

int blkid_probe_content(const char *node, char *type, size_t size)
{
	_cleanup_(blkid_free_probep) blkid_probe pr = NULL;
	const char *v = NULL;
	int r;

	pr = blkid_new_probe_from_filename(node);
	if (!pr)
		return -errno ?: -EIO;
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
	blkid_probe_enable_partitions(pr, 1);
	r = blkid_do_fullprobe(pr);
	if (r == 1)
		return -ENOENT;
	if (r < 0)
		return -EIO;
	if (blkid_probe_lookup_value(pr, "TYPE", &v, NULL) < 0 &&
	    blkid_probe_lookup_value(pr, "PTTYPE", &v, NULL) < 0)
		v = "unknown";
	snprintf(type, size, "%s", v);
	return 0;
}
