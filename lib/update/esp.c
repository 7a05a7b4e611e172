/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The ESP's boot entries (esp.h): names as systemd-boot 252 parses and counts them, the order it boots
 * them in, and atomic changes (dot-temp name, fsync, rename, fsync of the directory). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "bundle.h"
#include "esp.h"
#include "util.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* A decimal number as the name carries it: no sign, no leading zero, at most ESP_TRIES_MAX. */
static int parse_count(const char *s, size_t n, unsigned *ret)
{
	unsigned v = 0;

	if (n == 0 || n > 4 || (n > 1 && s[0] == '0'))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return -EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*ret = v;
	return 0;
}

int esp_entry_parse(const char *name, EspEntry *ret)
{
	const char *rest = startswith(name, ESP_ENTRY_PREFIX), *plus, *end;
	size_t n, slen = strlen(ESP_ENTRY_SUFFIX);
	EspEntry e = {};

	if (!rest)
		return -EINVAL;
	n = strlen(rest);
	if (n <= slen || !streq(rest + n - slen, ESP_ENTRY_SUFFIX))
		return -EINVAL;
	end = rest + n - slen;
	plus = memchr(rest, '+', (size_t)(end - rest));
	if (plus) {
		const char *dash = memchr(plus, '-', (size_t)(end - plus));

		e.counted = true;
		if (parse_count(plus + 1, (size_t)((dash ?: end) - plus - 1), &e.left) < 0)
			return -EINVAL;
		if (dash && parse_count(dash + 1, (size_t)(end - dash - 1), &e.done) < 0)
			return -EINVAL;
	} else
		plus = end;
	if ((size_t)(plus - rest) > ESP_VERSION_MAX)
		return -EINVAL;
	memcpy(e.version, rest, (size_t)(plus - rest));
	if (!bundle_version_valid(e.version))
		return -EINVAL;
	*ret = e;
	return 0;
}

static bool entry_valid(const EspEntry *e)
{
	return bundle_version_valid(e->version) && e->left <= ESP_TRIES_MAX && e->done <= ESP_TRIES_MAX &&
	       (e->counted || (e->left == 0 && e->done == 0));
}

int esp_entry_format(const EspEntry *e, char *buf, size_t size)
{
	int n;

	if (!entry_valid(e))
		return -EINVAL;
	if (!e->counted)
		n = snprintf(buf, size, ESP_ENTRY_PREFIX "%s" ESP_ENTRY_SUFFIX, e->version);
	else if (e->done == 0)
		n = snprintf(buf, size, ESP_ENTRY_PREFIX "%s+%u" ESP_ENTRY_SUFFIX, e->version, e->left);
	else
		n = snprintf(buf, size, ESP_ENTRY_PREFIX "%s+%u-%u" ESP_ENTRY_SUFFIX, e->version, e->left, e->done);
	return n < 0 || (size_t)n >= size ? -ENOBUFS : 0;
}

#define CMP(a, b) ((a) < (b) ? -1 : (a) > (b) ? 1 : 0)

/* systemd's strverscmp_improved() (the loader's version order): segments of digits compare as
 * numbers, '~' sorts before everything, '-' before '.', more segments is newer. */
static int verscmp(const char *a, const char *b)
{
	for (;;) {
		const char *aa, *bb;
		int r;

		while (*a && !is_digit(*a) && !is_alpha(*a) && !strchr("~-^.", *a))
			a++;
		while (*b && !is_digit(*b) && !is_alpha(*b) && !strchr("~-^.", *b))
			b++;
		if (*a == '~' || *b == '~') {
			r = CMP(*a != '~', *b != '~');
			if (r != 0)
				return r;
			a++, b++;
		}
		if (*a == '\0' || *b == '\0')
			return CMP(strcmp(a, b), 0);
		for (const char *sep = "-^."; *sep; sep++)
			if (*a == *sep || *b == *sep) {
				r = CMP(*a != *sep, *b != *sep);
				if (r != 0)
					return r;
				a++, b++;
			}
		if (is_digit(*a) || is_digit(*b)) {
			for (aa = a; is_digit(*aa); aa++)
				;
			for (bb = b; is_digit(*bb); bb++)
				;
			r = CMP(a != aa, b != bb);
			if (r != 0)
				return r;
			while (*a == '0')
				a++;
			while (*b == '0')
				b++;
			r = CMP(aa - a, bb - b);
			if (r == 0)
				r = CMP(strncmp(a, b, (size_t)(aa - a)), 0);
		} else {
			for (aa = a; is_alpha(*aa); aa++)
				;
			for (bb = b; is_alpha(*bb); bb++)
				;
			r = CMP(strncmp(a, b, (size_t)(aa - a < bb - b ? aa - a : bb - b)), 0);
			if (r == 0)
				r = CMP(aa - a, bb - b);
		}
		if (r != 0)
			return r;
		a = aa;
		b = bb;
	}
}

bool esp_entry_is_bad(const EspEntry *e)
{
	return e->counted && e->left == 0;
}

int esp_version_compare(const char *a, const char *b)
{
	return verscmp(a, b);
}

int esp_entry_compare(const EspEntry *a, const EspEntry *b)
{
	int r = CMP(esp_entry_is_bad(a), esp_entry_is_bad(b));

	if (r == 0)
		r = -verscmp(a->version, b->version);
	if (r == 0 && a->counted && b->counted) {
		r = -CMP(a->left, b->left);
		if (r == 0)
			r = CMP(a->done, b->done);
	}
	return r;
}

static int compare_qsort(const void *a, const void *b)
{
	return esp_entry_compare(a, b);
}

static int open_dir(const char *esp, const char *sub, bool create)
{
	_cleanup_close_ int root = open(esp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char path[256];
	int fd;

	if (root < 0)
		return -errno;
	fd = openat(root, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 || errno != ENOENT || !create)
		return fd >= 0 ? fd : -errno;
	if (snprintf(path, sizeof(path), "%s/%s", esp, sub) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	int r = mkdir_p(path, 0755);
	if (r < 0)
		return r;
	fd = openat(root, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd >= 0 ? fd : -errno;
}

/* A subdirectory of the ESP to read: 1 with *ret set, 0 when it does not exist, or -errno. */
static int opendir_sub(const char *esp, const char *sub, DIR **ret)
{
	int fd = open_dir(esp, sub, false);

	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	*ret = fdopendir(fd);
	if (!*ret) {
		close(fd);
		return -errno;
	}
	return 1;
}

int esp_list(const char *esp, EspEntry *ret, size_t max, size_t *ret_n)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d;
	int r = opendir_sub(esp, ESP_ENTRIES_DIR, &d);

	*ret_n = 0;
	if (r <= 0)
		return r;
	while ((de = readdir(d))) {
		EspEntry e;

		if (esp_entry_parse(de->d_name, &e) < 0)
			continue;
		if (n == max) {
			closedir(d);
			return -E2BIG;
		}
		ret[n++] = e;
	}
	closedir(d);
	qsort(ret, n, sizeof(*ret), compare_qsort);
	*ret_n = n;
	return 0;
}

/* The first entry in boot order whose version is version (same) or, not same, another version that
 * is not bad: 1 with *ret set, 0 when there is none, or -errno. */
static int first_entry(const char *esp, const char *version, bool same, EspEntry *ret)
{
	EspEntry list[ESP_ENTRIES_MAX];
	size_t n;
	int r = esp_list(esp, list, ESP_ENTRIES_MAX, &n);

	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if (same ? streq(list[i].version, version)
			 : !streq(list[i].version, version) && !esp_entry_is_bad(&list[i])) {
			*ret = list[i];
			return 1;
		}
	return 0;
}

int esp_find(const char *esp, const char *version, EspEntry *ret)
{
	int r = first_entry(esp, version, true, ret);

	return r == 0 ? -ENOENT : r < 0 ? r : 0;
}

int esp_next(const char *esp, const char *skip_version, EspEntry *ret)
{
	return first_entry(esp, skip_version, false, ret);
}

/* The dot-temp name of a final name: the loader ignores names that start with a dot. The temp name of
 * a UKI has no counter (".kcc-node_<V>.efi.tmp"), so an interrupted install of any counter is found. */
static int temp_name(const char *name, char *buf, size_t size)
{
	char plain[ESP_NAME_MAX];
	EspEntry e;

	if (esp_entry_parse(name, &e) == 0 && e.counted) {
		e.counted = false;
		e.left = e.done = 0;
		if (esp_entry_format(&e, plain, sizeof(plain)) < 0)
			return -EINVAL;
		name = plain;
	}
	return snprintf(buf, size, ".%s.tmp", name) >= (int)size ? -ENAMETOOLONG : 0;
}

/* After a rename of the file open as fd in dir: the file synced again, then the directory. On vfat
 * the rename writes the new directory entry with size 0 and no first cluster (Linux's
 * vfat_rename); the size and the cluster reach that entry only when the file's inode is written
 * again, which fsync(dir) does not do: a power cut after the rename and fsync(dir) left a 0-byte
 * UKI under its final name (seen in tests/vm/long/66-apply-power-cut.bats). */
static int synced_rename(int dir, int fd)
{
	if (fsync(fd) < 0)
		return -errno;
	return RET_NERRNO(fsync(dir));
}

/* Copies in_fd (from offset 0) to the dot-temp name of name in dir, fsyncs it, renames it to name and
 * fsyncs the directory: the rename is the commit point. before_rename (may be NULL) is called once
 * the temp file is synced; a negative return stops there and leaves the temp file, as a power cut
 * would. */
static int write_atomic(int dir, const char *name, int in_fd, int (*before_rename)(void *), void *userdata)
{
	char tmp[ESP_NAME_MAX + 8], buf[65536];
	_cleanup_close_ int out = -EBADF;
	off_t off = 0;
	int r;

	r = temp_name(name, tmp, sizeof(tmp));
	if (r < 0)
		return r;
	out = openat(dir, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (out < 0)
		return -errno;
	for (;;) {
		ssize_t k = pread(in_fd, buf, sizeof(buf), off);

		if (k < 0) {
			r = -errno;
			goto fail;
		}
		if (k == 0)
			break;
		for (ssize_t w = 0; w < k;) {
			ssize_t m = write(out, buf + w, (size_t)(k - w));

			if (m < 0) {
				r = -errno;
				goto fail;
			}
			w += m;
		}
		off += k;
	}
	if (fsync(out) < 0) {
		r = -errno;
		goto fail;
	}
	if (before_rename) {
		r = before_rename(userdata);
		if (r < 0)
			return r;
	}
	if (renameat(dir, tmp, dir, name) < 0) {
		r = -errno;
		goto fail;
	}
	return synced_rename(dir, out);
fail:
	unlinkat(dir, tmp, 0);
	return r;
}

static int rename_sync(int dir, const char *from, const char *to)
{
	_cleanup_close_ int fd = -EBADF;

	if (renameat(dir, from, dir, to) < 0)
		return -errno;
	fd = openat(dir, to, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	return synced_rename(dir, fd);
}

static int pcrsig_name(const char *version, char *buf, size_t size)
{
	int n = snprintf(buf, size, ESP_PCRSIG_PREFIX "%s" ESP_PCRSIG_SUFFIX, version);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int esp_install_hooked(const char *esp, const char *version, int uki_fd, int pcrsig_fd, unsigned tries,
		       int (*before_commit)(void *), void *userdata)
{
	_cleanup_close_ int entries = -EBADF, creds = -EBADF;
	EspEntry e = { .counted = true, .left = tries }, old;
	char name[ESP_NAME_MAX], sig[ESP_NAME_MAX];
	int r;

	if (strlen(version) > ESP_VERSION_MAX || !bundle_version_valid(version) || tries == 0 || tries > ESP_TRIES_MAX)
		return -EINVAL;
	strcpy(e.version, version);
	r = esp_find(esp, version, &old);
	if (r >= 0)
		return -EEXIST;
	if (r != -ENOENT)
		return r;
	r = esp_entry_format(&e, name, sizeof(name));
	if (r < 0)
		return r;
	r = pcrsig_name(version, sig, sizeof(sig));
	if (r < 0)
		return r;
	creds = open_dir(esp, ESP_CREDS_DIR, true);
	if (creds < 0)
		return creds;
	entries = open_dir(esp, ESP_ENTRIES_DIR, true);
	if (entries < 0)
		return entries;
	r = write_atomic(creds, sig, pcrsig_fd, NULL, NULL);
	if (r < 0)
		return r;
	return write_atomic(entries, name, uki_fd, before_commit, userdata);
}

int esp_install(const char *esp, const char *version, int uki_fd, int pcrsig_fd, unsigned tries)
{
	return esp_install_hooked(esp, version, uki_fd, pcrsig_fd, tries, NULL, NULL);
}

int esp_remove(const char *esp, const char *version)
{
	_cleanup_close_ int entries = -EBADF, creds = -EBADF;
	char name[ESP_NAME_MAX], tmp[ESP_NAME_MAX + 8];
	EspEntry e;
	int r = esp_find(esp, version, &e);

	if (r < 0)
		return r;
	entries = open_dir(esp, ESP_ENTRIES_DIR, false);
	if (entries < 0)
		return entries;
	r = esp_entry_format(&e, name, sizeof(name));
	if (r < 0)
		return r;
	if (unlinkat(entries, name, 0) < 0)
		return -errno;
	if (temp_name(name, tmp, sizeof(tmp)) == 0)
		(void)unlinkat(entries, tmp, 0);
	r = RET_NERRNO(fsync(entries));
	if (r < 0)
		return r;
	creds = open_dir(esp, ESP_CREDS_DIR, false);
	if (creds == -ENOENT)
		return 0;
	if (creds < 0)
		return creds;
	if (pcrsig_name(version, name, sizeof(name)) < 0)
		return -ENAMETOOLONG;
	if (unlinkat(creds, name, 0) < 0 && errno != ENOENT)
		return -errno;
	return RET_NERRNO(fsync(creds));
}

static int clean_dir(const char *esp, const char *sub, const char *prefix, const char *suffix)
{
	struct dirent *de;
	DIR *d;
	int n = 0, r = opendir_sub(esp, sub, &d);

	if (r <= 0)
		return r;
	while ((de = readdir(d))) {
		const char *p = startswith(de->d_name, ".");
		size_t l = strlen(de->d_name), sl = strlen(suffix);

		if (!p || !startswith(p, prefix) || l < sl || !streq(de->d_name + l - sl, suffix))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) < 0) {
			r = -errno;
			break;
		}
		n++;
	}
	if (r >= 0 && n > 0 && fsync(dirfd(d)) < 0)
		r = -errno;
	closedir(d);
	return r < 0 ? r : n;
}

int esp_clean_temp(const char *esp)
{
	int a = clean_dir(esp, ESP_ENTRIES_DIR, ESP_ENTRY_PREFIX, ESP_ENTRY_SUFFIX ".tmp"), b;

	if (a < 0)
		return a;
	b = clean_dir(esp, ESP_CREDS_DIR, ESP_PCRSIG_PREFIX, ESP_PCRSIG_SUFFIX ".tmp");
	return b < 0 ? b : a + b;
}

/* The file name of a LoaderBootCountPath ("\EFI\Linux\NAME", any case, '\' or '/'), when it is in
 * \EFI\Linux and names a counted kcc-node entry. */
static int count_path_entry(const char *path, const char **ret_name, EspEntry *ret)
{
	const char *want = "/efi/linux/", *name;
	size_t i;

	for (i = 0; want[i]; i++) {
		char c = path[i] == '\\' ? '/' : path[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != want[i])
			return -EINVAL;
	}
	name = path + i;
	if (strchr(name, '/') || strchr(name, '\\') || esp_entry_parse(name, ret) < 0 || !ret->counted)
		return -EINVAL;
	*ret_name = name;
	return 0;
}

static int rename_entry(const char *esp, const char *path, bool bless, EspEntry *ret_e)
{
	_cleanup_close_ int entries = -EBADF;
	char to[ESP_NAME_MAX];
	const char *from;
	EspEntry e, n;
	int r = count_path_entry(path, &from, &e);

	if (r < 0)
		return r;
	entries = open_dir(esp, ESP_ENTRIES_DIR, false);
	if (entries < 0)
		return entries;
	if (faccessat(entries, from, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	n = e;
	if (bless) {
		n.counted = false;
		n.left = n.done = 0;
	} else {
		n.left = 0;
		if (n.done == 0)
			n.done = 1; /* the loader counted this boot already; "+0" alone reads as never tried */
	}
	r = esp_entry_format(&n, to, sizeof(to));
	if (r < 0)
		return r;
	r = rename_sync(entries, from, to);
	if (r == -EACCES || r == -EPERM)
		r = -EROFS;
	if (r < 0)
		return r;
	if (ret_e)
		*ret_e = n;
	return 0;
}

int esp_bless(const char *esp, const char *path, EspEntry *ret_e)
{
	return rename_entry(esp, path, true, ret_e);
}

int esp_mark_bad(const char *esp, const char *path, EspEntry *ret_e)
{
	return rename_entry(esp, path, false, ret_e);
}

int esp_set_tries(const char *esp, const char *version, unsigned tries)
{
	_cleanup_close_ int entries = -EBADF;
	char from[ESP_NAME_MAX], to[ESP_NAME_MAX];
	EspEntry e, n = {};
	int r;

	if (tries == 0 || tries > ESP_TRIES_MAX)
		return -EINVAL;
	r = esp_find(esp, version, &e);
	if (r < 0)
		return r;
	n = e;
	n.counted = true;
	n.left = tries;
	n.done = 0;
	if (esp_entry_format(&e, from, sizeof(from)) < 0 || esp_entry_format(&n, to, sizeof(to)) < 0)
		return -EINVAL;
	if (streq(from, to))
		return 0;
	entries = open_dir(esp, ESP_ENTRIES_DIR, false);
	if (entries < 0)
		return entries;
	return rename_sync(entries, from, to);
}

int esp_check_writable(const char *esp)
{
	_cleanup_close_ int root = -EBADF, fd = -EBADF;
	const char *probe = ".kcc-write-probe.tmp";
	struct statvfs sv;

	if (statvfs(esp, &sv) < 0)
		return -errno;
	if (sv.f_flag & ST_RDONLY)
		return -EROFS;
	root = open(esp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return -errno;
	fd = openat(root, probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return errno == EACCES || errno == EPERM ? -EROFS : -errno;
	int r = fsync(fd) < 0 ? -errno : 0;
	if (unlinkat(root, probe, 0) < 0 && r == 0)
		r = -errno;
	return r < 0 ? r : RET_NERRNO(fsync(root));
}
