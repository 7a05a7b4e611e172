/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "spool.h"
#include "util.h"

#define MAGIC 0x5343434bu /* "KCCS" */
#define SEG_MAX (256 * 1024)
#define SEG_MIN (4 * 1024)
#define LOW_SEVERITY 5 /* notice and below are dropped first */

typedef struct RecHeader {
	uint32_t magic, len;
	uint64_t index;
	uint8_t severity, pad[3];
	uint32_t crc; /* crc32 of the header up to here, then the data */
} RecHeader;

typedef struct Segment {
	uint64_t first, last; /* indexes; last < first: empty */
	uint64_t bytes;
	uint64_t n_low; /* records of low severity in it */
} Segment;

struct Spool {
	int dirfd;
	uint64_t quota, seg_max;
	uint64_t next, acked, bytes;
	Segment *segs;
	size_t n_segs;
	SpoolLoss loss;
};

static void seg_name(uint64_t first, char name[32])
{
	snprintf(name, 32, "%016" PRIx64 ".seg", first);
}

static uint32_t rec_crc(const RecHeader *h, const void *data)
{
	uLong c = crc32(0L, Z_NULL, 0);

	c = crc32(c, (const Bytef *)h, offsetof(RecHeader, crc));
	return (uint32_t)crc32(c, (const Bytef *)data, h->len);
}

/* Reads the record at off of fd: 1 with *h (and the data in buf when given), 0 at a clean end,
 * -EBADMSG for a torn or damaged record. */
static int read_record(int fd, uint64_t off, RecHeader *h, void *buf, size_t size)
{
	_cleanup_free_ void *tmp = NULL;
	ssize_t n = pread(fd, h, sizeof(*h), (off_t)off);

	if (n == 0)
		return 0;
	if (n < 0)
		return -errno;
	if ((size_t)n < sizeof(*h) || h->magic != MAGIC || h->len > SPOOL_RECORD_MAX ||
	    h->severity > 7)
		return -EBADMSG;
	if (!buf || size < h->len) {
		tmp = malloc(h->len ? h->len : 1);
		if (!tmp)
			return -ENOMEM;
		buf = tmp;
	}
	n = pread(fd, buf, h->len, (off_t)(off + sizeof(*h)));
	if (n < 0)
		return -errno;
	if ((size_t)n != h->len || rec_crc(h, buf) != h->crc)
		return -EBADMSG;
	return 1;
}

static int fsync_dir(Spool *s)
{
	return RET_NERRNO(fsync(s->dirfd));
}

/* Scans one segment: counts, last index; cuts a torn tail off (and counts what it cut as lost
 * when it was not the end of the newest segment). */
static int scan_segment(Spool *s, Segment *g)
{
	char name[32];
	_cleanup_close_ int fd = -EBADF;
	uint64_t off = 0;
	RecHeader h;
	int r;

	seg_name(g->first, name);
	fd = openat(s->dirfd, name, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	g->last = g->first - 1;
	while ((r = read_record(fd, off, &h, NULL, 0)) > 0) {
		if (h.index <= g->last && g->last >= g->first)
			break; /* out of order: treat as damage */
		g->last = h.index;
		g->n_low += h.severity >= LOW_SEVERITY;
		off += sizeof(h) + h.len;
	}
	if (r < 0 && r != -EBADMSG)
		return r;
	if (r == -EBADMSG || r > 0) {
		struct stat st;
		if (fstat(fd, &st) == 0 && (uint64_t)st.st_size > off) {
			if (ftruncate(fd, (off_t)off) < 0 || fsync(fd) < 0)
				return -errno;
		}
	}
	g->bytes = off;
	return 0;
}

static int cmp_seg(const void *a, const void *b)
{
	const Segment *x = a, *y = b;
	return x->first < y->first ? -1 : x->first > y->first;
}

static int load(Spool *s)
{
	_cleanup_free_ char *cur = NULL;
	DIR *d;
	struct dirent *de;
	int dfd, r;

	dfd = openat(s->dirfd, "cursor", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (dfd >= 0) {
		char buf[32] = "";
		ssize_t n = read(dfd, buf, sizeof(buf) - 1);
		close(dfd);
		if (n > 0) {
			buf[n] = '\0';
			s->acked = strtoull(buf, NULL, 10);
		}
	}
	d = opendir_at(s->dirfd, NULL);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char *end;
		uint64_t first = strtoull(de->d_name, &end, 16);
		if (strlen(de->d_name) != 20 || !streq(end, ".seg") || first == 0)
			continue;
		Segment *n = realloc(s->segs, (s->n_segs + 1) * sizeof(*n));
		if (!n) {
			closedir(d);
			return -ENOMEM;
		}
		s->segs = n;
		s->segs[s->n_segs++] = (Segment){ .first = first };
	}
	closedir(d);
	if (s->n_segs > 1)
		qsort(s->segs, s->n_segs, sizeof(Segment), cmp_seg);
	s->next = s->acked + 1;
	for (size_t i = 0; i < s->n_segs; i++) {
		r = scan_segment(s, &s->segs[i]);
		if (r < 0)
			return r;
		s->bytes += s->segs[i].bytes;
		if (s->segs[i].last >= s->segs[i].first && s->segs[i].last + 1 > s->next)
			s->next = s->segs[i].last + 1;
	}
	return 0;
}

int spool_open(const char *dir, uint64_t quota, Spool **ret)
{
	Spool *s;
	int r;

	r = mkdir_p(dir, 0700);
	if (r < 0)
		return r;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->quota = quota;
	s->seg_max = quota / 4 < SEG_MAX ? quota / 4 : SEG_MAX;
	if (s->seg_max < SEG_MIN)
		s->seg_max = SEG_MIN;
	s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0) {
		r = -errno;
		free(s);
		return r;
	}
	r = load(s);
	if (r < 0) {
		spool_close(s);
		return r;
	}
	*ret = s;
	return 0;
}

void spool_close(Spool *s)
{
	if (!s)
		return;
	if (s->dirfd >= 0)
		close(s->dirfd);
	free(s->segs);
	free(s);
}

static int remove_segment(Spool *s, size_t i)
{
	char name[32];

	seg_name(s->segs[i].first, name);
	if (unlinkat(s->dirfd, name, 0) < 0 && errno != ENOENT)
		return -errno;
	s->bytes -= s->segs[i].bytes;
	memmove(&s->segs[i], &s->segs[i + 1], (s->n_segs - i - 1) * sizeof(Segment));
	s->n_segs--;
	return 0;
}

/* Rewrites segment i without its low-severity records (and without what is already acked). */
static int compact_segment(Spool *s, size_t i)
{
	Segment *g = &s->segs[i];
	char name[32], tmp[40];
	_cleanup_close_ int in = -EBADF, out = -EBADF;
	_cleanup_free_ uint8_t *buf = malloc(SPOOL_RECORD_MAX);
	uint64_t off = 0, woff = 0, last = g->first - 1;
	RecHeader h;
	int r;

	if (!buf)
		return -ENOMEM;
	seg_name(g->first, name);
	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	in = openat(s->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	out = openat(s->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (in < 0 || out < 0)
		return -errno;
	while ((r = read_record(in, off, &h, buf, SPOOL_RECORD_MAX)) > 0) {
		off += sizeof(h) + h.len;
		if (h.index <= s->acked)
			continue;
		if (h.severity >= LOW_SEVERITY) {
			s->loss.dropped[h.severity]++;
			s->loss.total++;
			continue;
		}
		if (pwrite(out, &h, sizeof(h), (off_t)woff) != (ssize_t)sizeof(h) ||
		    pwrite(out, buf, h.len, (off_t)(woff + sizeof(h))) != (ssize_t)h.len)
			return errno ? -errno : -EIO;
		woff += sizeof(h) + h.len;
		last = h.index;
	}
	if (r < 0)
		return r;
	if (fsync(out) < 0 || renameat(s->dirfd, tmp, s->dirfd, name) < 0)
		return -errno;
	r = fsync_dir(s);
	if (r < 0)
		return r;
	s->bytes = s->bytes - g->bytes + woff;
	g->bytes = woff;
	g->n_low = 0;
	/* The segment keeps its name (its first index) even when its first record went. */
	if (last + 1 > g->first && last > g->last)
		g->last = last;
	return 0;
}

/* Over quota: low-severity records go first, oldest segment first; then whole segments. The
 * newest segment (the one appended to) is kept. */
static int enforce_quota(Spool *s)
{
	int r;

	for (size_t i = 0; s->bytes > s->quota && i + 1 < s->n_segs; i++)
		if (s->segs[i].n_low > 0) {
			r = compact_segment(s, i);
			if (r < 0)
				return r;
		}
	while (s->bytes > s->quota && s->n_segs > 1) {
		Segment *g = &s->segs[0];
		_cleanup_close_ int fd = -EBADF;
		char name[32];
		uint64_t off = 0;
		RecHeader h;

		seg_name(g->first, name);
		fd = openat(s->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		while (fd >= 0 && read_record(fd, off, &h, NULL, 0) > 0) {
			off += sizeof(h) + h.len;
			if (h.index > s->acked) {
				s->loss.dropped[h.severity]++;
				s->loss.total++;
			}
		}
		r = remove_segment(s, 0);
		if (r < 0)
			return r;
	}
	return 0;
}

int64_t spool_append(Spool *s, int severity, const void *data, size_t len)
{
	RecHeader h = { .magic = MAGIC, .len = (uint32_t)len, .index = s->next,
			.severity = (uint8_t)severity };
	Segment *g = s->n_segs ? &s->segs[s->n_segs - 1] : NULL;
	_cleanup_close_ int fd = -EBADF;
	char name[32];
	bool fresh = false;
	int r;

	if (len > SPOOL_RECORD_MAX || severity < 0 || severity > 7)
		return -EINVAL;
	h.crc = rec_crc(&h, data);
	if (!g || g->bytes + sizeof(h) + len > s->seg_max) {
		Segment *n = realloc(s->segs, (s->n_segs + 1) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		s->segs = n;
		g = &s->segs[s->n_segs++];
		*g = (Segment){ .first = s->next, .last = s->next - 1 };
		fresh = true;
	}
	seg_name(g->first, name);
	fd = openat(s->dirfd, name, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	if (pwrite(fd, &h, sizeof(h), (off_t)g->bytes) != (ssize_t)sizeof(h) ||
	    pwrite(fd, data, len, (off_t)(g->bytes + sizeof(h))) != (ssize_t)len || fsync(fd) < 0)
		return errno ? -errno : -EIO;
	if (fresh) {
		r = fsync_dir(s);
		if (r < 0)
			return r;
	}
	g->bytes += sizeof(h) + len;
	g->last = h.index;
	g->n_low += severity >= LOW_SEVERITY;
	s->bytes += sizeof(h) + len;
	s->next++;
	r = enforce_quota(s);
	if (r < 0)
		return r;
	return (int64_t)h.index;
}

int spool_next(Spool *s, uint64_t after, uint64_t *index, int *severity, void *buf, size_t size,
	       size_t *len)
{
	for (size_t i = 0; i < s->n_segs; i++) {
		Segment *g = &s->segs[i];
		_cleanup_close_ int fd = -EBADF;
		char name[32];
		uint64_t off = 0;
		RecHeader h;
		int r;

		if (g->last < g->first || g->last <= after)
			continue;
		seg_name(g->first, name);
		fd = openat(s->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			return -errno;
		while ((r = read_record(fd, off, &h, buf, size)) > 0) {
			if (h.index > after) {
				if (h.len > size)
					return -E2BIG;
				*index = h.index;
				*severity = h.severity;
				*len = h.len;
				return 1;
			}
			off += sizeof(h) + h.len;
		}
		if (r < 0)
			return r;
	}
	return 0;
}

int spool_ack(Spool *s, uint64_t index)
{
	_cleanup_close_ int fd = -EBADF;
	char buf[32];
	int n, r;

	if (index <= s->acked)
		return 0;
	if (index >= s->next)
		return -EINVAL;
	n = snprintf(buf, sizeof(buf), "%" PRIu64 "\n", index);
	fd = openat(s->dirfd, ".cursor.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		    0600);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, (size_t)n) != n || fsync(fd) < 0 ||
	    renameat(s->dirfd, ".cursor.tmp", s->dirfd, "cursor") < 0)
		return errno ? -errno : -EIO;
	r = fsync_dir(s);
	if (r < 0)
		return r;
	s->acked = index;
	while (s->n_segs > 0 && s->segs[0].last <= index) {
		r = remove_segment(s, 0);
		if (r < 0)
			return r;
	}
	return 0;
}

uint64_t spool_acked(const Spool *s)
{
	return s->acked;
}

uint64_t spool_bytes(const Spool *s)
{
	return s->bytes;
}

void spool_take_loss(Spool *s, SpoolLoss *ret)
{
	*ret = s->loss;
	memset(&s->loss, 0, sizeof(s->loss));
}
