/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libfdisk adapter (gpt.h). */
#include <ctype.h>
#include <fcntl.h>
#include <libfdisk/libfdisk.h>
#include <string.h>

#include "gpt.h"
#include "util.h"

static void fdisk_unref_contextp(struct fdisk_context **c)
{
	if (*c)
		fdisk_unref_context(*c);
}

static void fdisk_unref_tablep(struct fdisk_table **t)
{
	if (*t)
		fdisk_unref_table(*t);
}

static void copy_case(char *dst, size_t size, const char *src, bool upper)
{
	size_t i;

	for (i = 0; src && src[i] && i + 1 < size; i++)
		dst[i] = (char)(upper ? toupper((unsigned char)src[i]) : tolower((unsigned char)src[i]));
	dst[i] = 0;
}

static int open_gpt(const char *disk, bool readonly, struct fdisk_context **ret, char *err, size_t errlen)
{
	struct fdisk_context *c = fdisk_new_context();
	int r;

	if (!c)
		return errorf(err, errlen, -ENOMEM, "out of memory");
	r = fdisk_assign_device(c, disk, readonly);
	if (r < 0) {
		fdisk_unref_context(c);
		return errorf(err, errlen, r, "cannot open the disk %s: %s", disk, strerror(-r));
	}
	if (!fdisk_is_labeltype(c, FDISK_DISKLABEL_GPT)) {
		fdisk_deassign_device(c, 1);
		fdisk_unref_context(c);
		return errorf(err, errlen, -EMEDIUMTYPE, "%s has no GPT", disk);
	}
	*ret = c;
	return 0;
}

int gpt_read(const char *disk, GptTable *ret, char *err, size_t errlen)
{
	_cleanup_(fdisk_unref_contextp) struct fdisk_context *c = NULL;
	_cleanup_(fdisk_unref_tablep) struct fdisk_table *tb = NULL;
	struct fdisk_iter *itr = NULL;
	struct fdisk_partition *pa;
	unsigned long ssz;
	GptTable t = {};
	int r;

	r = open_gpt(disk, true, &c, err, errlen);
	if (r < 0)
		return r;
	ssz = fdisk_get_sector_size(c);
	r = fdisk_get_partitions(c, &tb);
	if (r < 0) {
		fdisk_deassign_device(c, 1);
		return errorf(err, errlen, r, "cannot read the GPT of %s", disk);
	}
	itr = fdisk_new_iter(FDISK_ITER_FORWARD);
	if (!itr) {
		fdisk_deassign_device(c, 1);
		return errorf(err, errlen, -ENOMEM, "out of memory");
	}
	while (fdisk_table_next_partition(tb, itr, &pa) == 0) {
		GptPart *p;
		struct fdisk_parttype *type = fdisk_partition_get_type(pa);
		uint64_t attrs = 0;

		if (!fdisk_partition_has_partno(pa) || !fdisk_partition_has_start(pa) || !fdisk_partition_has_size(pa))
			continue;
		if (t.n == GPT_PARTS_MAX) {
			r = errorf(err, errlen, -E2BIG, "%s has more than %u partitions", disk, GPT_PARTS_MAX);
			break;
		}
		p = &t.parts[t.n++];
		p->partno = fdisk_partition_get_partno(pa);
		p->start = (uint64_t)fdisk_partition_get_start(pa) * ssz;
		p->size = (uint64_t)fdisk_partition_get_size(pa) * ssz;
		copy_case(p->type, sizeof(p->type), type ? fdisk_parttype_get_string(type) : "", true);
		copy_case(p->uuid, sizeof(p->uuid), fdisk_partition_get_uuid(pa), false);
		snprintf(p->name, sizeof(p->name), "%s", fdisk_partition_get_name(pa) ?: "");
		if (fdisk_gpt_get_partition_attrs(c, p->partno, &attrs) < 0) {
			r = errorf(err, errlen, -EIO, "cannot read the attributes of partition %zu of %s",
				   p->partno + 1, disk);
			break;
		}
		p->no_auto = attrs & (1ull << GPT_ATTR_NO_AUTO);
	}
	fdisk_free_iter(itr);
	fdisk_deassign_device(c, 1);
	if (r < 0)
		return r;
	*ret = t;
	return 0;
}

int gpt_change(const char *disk, const GptChange *changes, size_t n, char *err, size_t errlen)
{
	_cleanup_(fdisk_unref_contextp) struct fdisk_context *c = NULL;
	int r;

	r = open_gpt(disk, false, &c, err, errlen);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n && r >= 0; i++) {
		const GptChange *ch = &changes[i];
		struct fdisk_partition *pa = NULL;
		uint64_t attrs = 0;

		r = fdisk_get_partition(c, ch->partno, &pa);
		if (r >= 0) {
			fdisk_unref_partition(pa);
			pa = fdisk_new_partition();
			r = pa ? fdisk_partition_set_name(pa, ch->name) : -ENOMEM;
		}
		if (r >= 0 && ch->uuid)
			r = fdisk_partition_set_uuid(pa, ch->uuid);
		if (r >= 0)
			r = fdisk_set_partition(c, ch->partno, pa);
		fdisk_unref_partition(pa);
		if (r >= 0)
			r = fdisk_gpt_get_partition_attrs(c, ch->partno, &attrs);
		if (r >= 0) {
			attrs &= ~(1ull << GPT_ATTR_NO_AUTO);
			attrs |= ch->no_auto ? 1ull << GPT_ATTR_NO_AUTO : 0;
			r = fdisk_gpt_set_partition_attrs(c, ch->partno, attrs);
		}
		if (r < 0)
			errorf(err, errlen, r, "cannot change partition %zu of %s", ch->partno + 1, disk);
	}
	if (r >= 0) {
		r = fdisk_write_disklabel(c);
		if (r < 0)
			errorf(err, errlen, r, "cannot write the GPT of %s: %s", disk, strerror(-r));
	}
	/* nosync = 0: fsync(2) of the disk before it is closed */
	if (fdisk_deassign_device(c, r < 0) < 0 && r >= 0)
		r = errorf(err, errlen, -EIO, "cannot sync the GPT of %s", disk);
	return r < 0 ? r : 0;
}
