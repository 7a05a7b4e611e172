/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <linux/netlink.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/socket.h>

#include "blkid.h"
#include "dps.h"
#include "log.h"
#include "stage-verity.h"
#include "cryptsetup.h"

/* A uevent socket lets the stage wait for disks that appear late, without polling sleeps. */
static int uevent_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	int fd;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_KOBJECT_UEVENT);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

static void uevent_drain(int fd)
{
	char buf[4096];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

static int find_pair(PartitionMatch m[2], unsigned rootwait_s)
{
	_cleanup_close_ int ufd = -EBADF;
	unsigned long long deadline = now_ms() + rootwait_s * 1000ULL;
	int r;

	ufd = uevent_open();
	if (ufd < 0)
		log_warning_errno(ufd, "No uevent socket, looking for the root once: %m");
	for (;;) {
		long long left;
		struct pollfd pfd;

		r = blkid_find_partitions(m, 2);
		if (r < 0 || r == 2)
			return r;
		left = (long long)(deadline - now_ms());
		if (ufd < 0 || left <= 0)
			return -ENXIO;
		pfd = (struct pollfd){ .fd = ufd, .events = POLLIN };
		r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno != EINTR)
			return -errno;
		uevent_drain(ufd);
	}
}

int stage_verity_run(const KccCmdline *c, const char *target, char *ret_disk)
{
	char root_uuid[DPS_UUID_STRING_MAX], verity_uuid[DPS_UUID_STRING_MAX];
	char expect_label[32];
	PartitionMatch m[2] = {};
	int r;

	if (c->roothash_size == 0)
		return log_error_errno(-EINVAL, "No kcc.roothash= on the kernel command line, "
						"refusing to boot an unverified root");
	r = dps_verity_partition_uuids(c->roothash, c->roothash_size, root_uuid, verity_uuid);
	if (r < 0)
		return log_error_errno(r, "Bad root hash: %m");
	m[0].type_uuid = DPS_TYPE_ROOT_X86_64;
	m[0].part_uuid = root_uuid;
	m[1].type_uuid = DPS_TYPE_ROOT_X86_64_VERITY;
	m[1].part_uuid = verity_uuid;

	r = find_pair(m, c->rootwait_s);
	if (r == -ENOTUNIQ)
		return log_error_errno(r, "Two partitions carry the UUID of root %s or verity %s, "
					  "refusing an ambiguous root",
				       root_uuid, verity_uuid);
	if (r < 0)
		return log_error_errno(r, "No root partition %s with verity partition %s for the "
					  "root hash on the command line after %us (%s%s%s)",
				       root_uuid, verity_uuid, c->rootwait_s,
				       m[0].ret_node[0] ? "root found at " : "root missing",
				       m[0].ret_node, m[1].ret_node[0] ? ", verity found" : ", verity missing");
	if (c->slot) {
		snprintf(expect_label, sizeof(expect_label), "root-%c", c->slot);
		if (!streq(m[0].ret_label, expect_label))
			return log_error_errno(-EINVAL, "Root partition %s is labelled '%s', "
							"but kcc.slot=%c asks for '%s'",
					       m[0].ret_node, m[0].ret_label, c->slot, expect_label);
	}
	log_info("root %s (%s) verified by %s", m[0].ret_node, m[0].ret_label, m[1].ret_node);

	r = mkdir_p("/run/cryptsetup", 0700);
	if (r < 0)
		return log_error_errno(r, "Failed to create /run/cryptsetup: %m");
	r = verity_open(VERITY_ROOT_NAME, m[0].ret_node, m[1].ret_node, c->roothash,
			c->roothash_size);
	if (r < 0)
		return log_error_errno(r, "Failed to open dm-verity on %s with hash tree %s: %m",
				       m[0].ret_node, m[1].ret_node);
	r = mkdir_p(target, 0755);
	if (r < 0)
		return log_error_errno(r, "Failed to create %s: %m", target);
	/* A wrong root hash or a corrupted block surfaces here as a kernel panic (panic on
	 * corruption); an I/O error that does not panic is still fatal. */
	if (mount("/dev/mapper/" VERITY_ROOT_NAME, target, "erofs", MS_RDONLY | MS_NODEV, NULL) < 0)
		return log_error_errno(-errno, "Failed to mount the verity root on %s: %m", target);
	log_info("verity root mounted read-only on %s", target);
	memcpy(ret_disk, m[0].ret_disk, sizeof(m[0].ret_disk));
	return 0;
}
