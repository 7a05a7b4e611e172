/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mkcpio: writes a reproducible cpio "newc" archive (the initramfs format) from a list, without
 * privileges: device nodes are described, not created. Entries are sorted by path, owned by
 * root, stamped with SOURCE_DATE_EPOCH (or 0), numbered in order. Lines on stdin:
 *   dir PATH MODE | file PATH MODE SOURCE | slink PATH TARGET | nod PATH MODE c|b MAJOR MINOR
 * MODE is octal. Output on stdout. Exit codes: 0 ok, 100 bad input, 111 system failure. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ENTRIES_MAX 65536
#define LINE_MAX_ 8192

typedef struct Entry {
	char *path, *source, *target;
	unsigned mode;
	unsigned rmajor, rminor;
} Entry;

static Entry entries[ENTRIES_MAX];
static size_t n_entries;
static unsigned long long offset;
static unsigned long mtime;

static int put(const void *p, size_t n)
{
	if (fwrite(p, 1, n, stdout) != n)
		return -EIO;
	offset += n;
	return 0;
}

static int pad4(void)
{
	static const char z[4];
	return put(z, (4 - offset % 4) % 4);
}

static int header(unsigned ino, unsigned mode, unsigned nlink, unsigned long long size,
		  unsigned rmaj, unsigned rmin, const char *name)
{
	char h[111];
	size_t namesize = strlen(name) + 1;

	if (size > 0xffffffffULL)
		return -EFBIG;
	snprintf(h, sizeof(h),
		 "070701%08X%08X%08X%08X%08X%08lX%08llX%08X%08X%08X%08X%08zX%08X", ino, mode, 0, 0,
		 nlink, mtime, size, 0, 0, rmaj, rmin, namesize, 0);
	if (put(h, 110) < 0 || put(name, namesize) < 0)
		return -EIO;
	return pad4();
}

static int cmp(const void *a, const void *b)
{
	return strcmp(((const Entry *)a)->path, ((const Entry *)b)->path);
}

static int write_file(unsigned ino, const Entry *e)
{
	struct stat st;
	char buf[65536];
	int fd = open(e->source, O_RDONLY | O_CLOEXEC), r = 0;

	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "mkcpio: cannot read %s: %m\n", e->source);
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	r = header(ino, S_IFREG | e->mode, 1, (unsigned long long)st.st_size, 0, 0, e->path);
	for (off_t left = st.st_size; r == 0 && left > 0;) {
		ssize_t k = read(fd, buf, sizeof(buf) < (size_t)left ? sizeof(buf) : (size_t)left);
		if (k <= 0) {
			r = -EIO;
			break;
		}
		r = put(buf, (size_t)k);
		left -= k;
	}
	close(fd);
	return r < 0 ? r : pad4();
}

static int parse(char *line, unsigned lineno)
{
	char *tok[7];
	int n = 0;
	Entry *e;

	for (char *s = strtok(line, " \t\n"); s && n < 7; s = strtok(NULL, " \t\n"))
		tok[n++] = s;
	if (n == 0 || tok[0][0] == '#')
		return 0;
	if (n_entries >= ENTRIES_MAX)
		return -E2BIG;
	e = &entries[n_entries];
	memset(e, 0, sizeof(*e));
	if (n >= 2) {
		const char *p = tok[1];
		while (*p == '/')
			p++;
		if (!*p || strstr(p, "..")) {
			fprintf(stderr, "mkcpio: line %u: bad path '%s'\n", lineno, tok[1]);
			return -EINVAL;
		}
		e->path = strdup(p);
	}
	if (n >= 3 && strcmp(tok[0], "slink") != 0) {
		char *end;
		e->mode = (unsigned)strtoul(tok[2], &end, 8);
		if (*end || e->mode > 07777) {
			fprintf(stderr, "mkcpio: line %u: bad mode '%s'\n", lineno, tok[2]);
			return -EINVAL;
		}
	}
	if (strcmp(tok[0], "dir") == 0 && n == 3)
		e->mode |= S_IFDIR;
	else if (strcmp(tok[0], "file") == 0 && n == 4) {
		e->mode |= S_IFREG;
		e->source = strdup(tok[3]);
	} else if (strcmp(tok[0], "slink") == 0 && n == 3) {
		e->mode = S_IFLNK | 0777;
		e->target = strdup(tok[2]);
	} else if (strcmp(tok[0], "nod") == 0 && n == 6 &&
		   (strcmp(tok[3], "c") == 0 || strcmp(tok[3], "b") == 0)) {
		e->mode |= tok[3][0] == 'c' ? S_IFCHR : S_IFBLK;
		e->rmajor = (unsigned)strtoul(tok[4], NULL, 10);
		e->rminor = (unsigned)strtoul(tok[5], NULL, 10);
	} else {
		fprintf(stderr, "mkcpio: line %u: cannot parse\n", lineno);
		return -EINVAL;
	}
	n_entries++;
	return 0;
}

int main(int argc, char **argv)
{
	char line[LINE_MAX_];
	unsigned lineno = 0;
	const char *sde = getenv("SOURCE_DATE_EPOCH");

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: mkcpio < LIST > ARCHIVE\n");
		return 100;
	}
	mtime = sde ? strtoul(sde, NULL, 10) : 0;
	while (fgets(line, sizeof(line), stdin))
		if (parse(line, ++lineno) < 0)
			return 100;
	qsort(entries, n_entries, sizeof(Entry), cmp);
	for (size_t i = 0; i < n_entries; i++) {
		const Entry *e = &entries[i];
		unsigned ino = (unsigned)i + 1;
		int r;

		if (i > 0 && strcmp(e->path, entries[i - 1].path) == 0) {
			fprintf(stderr, "mkcpio: duplicate path %s\n", e->path);
			return 100;
		}
		if (S_ISREG(e->mode))
			r = write_file(ino, e);
		else if (S_ISLNK(e->mode)) {
			r = header(ino, e->mode, 1, strlen(e->target), 0, 0, e->path);
			if (r == 0)
				r = put(e->target, strlen(e->target));
			if (r == 0)
				r = pad4();
		} else
			r = header(ino, e->mode, S_ISDIR(e->mode) ? 2 : 1, 0, e->rmajor, e->rminor,
				   e->path);
		if (r < 0)
			return 111;
	}
	if (header(0, 0, 1, 0, 0, 0, "TRAILER!!!") < 0 || fflush(stdout) != 0)
		return 111;
	return 0;
}
