/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-kubelet's OCI image layouts, built here with libarchive: lookup by name, digest checks as
 * the blob is unpacked, whiteouts that must stay inside the root, limits (gzip and zstd bombs),
 * links and FIFOs in a layout, `kcc-kubelet import`, and the pod folder's namespaces. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

#include "fs.h"
#include "import.h"
#include "oci-image.h"
#include "pod-dir.h"
#include "unpack.h"
#include "util.h"

static char dir[64];

static void sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned n;
	EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void at(char *buf, size_t len, const char *rel)
{
	snprintf(buf, len, "%s/%s", dir, rel);
}

static bool exists(const char *rel)
{
	char path[256];
	struct stat st;
	at(path, sizeof(path), rel);
	return lstat(path, &st) == 0;
}

/* Writes a blob, returns "sha256:..." and its size. */
static void put_blob(const void *data, size_t len, char digest[72], size_t *size)
{
	char hex[65], path[256];
	FILE *f;
	sha256_hex(data, len, hex);
	snprintf(digest, 72, "sha256:%s", hex);
	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", dir, hex);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
	*size = len;
}

enum { PLAIN, GZIP, ZSTD };

/* A tar of entries: "path=content", "path/" a folder, "path->target" a symbolic link,
 * "path=>target" a hard link, "path=@N" N zero bytes, "path=#N" N empty files path0..path(N-1). */
static size_t make_tar(const char *const *entries, int filter, char *buf, size_t cap)
{
	static char zeros[1 << 16];
	size_t used = 0;
	struct archive *a = archive_write_new();

	if (filter == GZIP)
		archive_write_add_filter_gzip(a);
	else if (filter == ZSTD)
		archive_write_add_filter_zstd(a);
	archive_write_set_format_pax_restricted(a);
	archive_write_set_bytes_in_last_block(a, 1);
	assert_int_equal(archive_write_open_memory(a, buf, cap, &used), ARCHIVE_OK);
	for (size_t i = 0; entries[i]; i++) {
		const char *eq = strstr(entries[i], "="), *arrow = strstr(entries[i], "->");
		const char *hard = strstr(entries[i], "=>");
		size_t n = eq ? (size_t)(eq - entries[i]) : arrow ? (size_t)(arrow - entries[i])
								  : strlen(entries[i]);
		long long zero = eq && eq[1] == '@' ? atoll(eq + 2) : -1;
		long long count = eq && eq[1] == '#' ? atoll(eq + 2) : 1;
		for (long long k = 0; k < count; k++) {
			struct archive_entry *e = archive_entry_new();
			char name[256];
			if (eq && eq[1] == '#')
				snprintf(name, sizeof(name), "%.*s%lld", (int)n, entries[i], k);
			else
				snprintf(name, sizeof(name), "%.*s", (int)n, entries[i]);
			archive_entry_set_pathname(e, name);
			if (hard) {
				archive_entry_set_hardlink(e, hard + 2);
				archive_entry_set_mode(e, AE_IFREG | 0644);
				archive_entry_set_size(e, 0);
			} else if (arrow) {
				archive_entry_set_mode(e, AE_IFLNK | 0777);
				archive_entry_set_symlink(e, arrow + 2);
			} else if (name[n - 1] == '/') {
				archive_entry_set_mode(e, AE_IFDIR | 0755);
			} else {
				archive_entry_set_mode(e, AE_IFREG | 0644);
				archive_entry_set_size(e, zero >= 0 ? zero : eq && eq[1] != '#'
										? (la_int64_t)strlen(eq + 1)
										: 0);
			}
			assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
			if (zero >= 0)
				for (long long left = zero; left > 0; left -= (long long)sizeof(zeros))
					archive_write_data(a, zeros,
							   left < (long long)sizeof(zeros) ? (size_t)left
											   : sizeof(zeros));
			else if (eq && !hard && eq[1] != '#')
				archive_write_data(a, eq + 1, strlen(eq + 1));
			archive_entry_free(e);
		}
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	return used;
}

static char tarbuf[4 << 20];

static void layer(const char *const *entries, int filter, char digest[72], size_t *size)
{
	size_t n = make_tar(entries, filter, tarbuf, sizeof(tarbuf));
	put_blob(tarbuf, n, digest, size);
}

/* A layout in dir with image "tool:2" of the given layers (NULL-separated lists). */
static void make_layout_of(const char *const *const *layers, int filter)
{
	char d[8][72], dc[72], dm[72], json[4096], path[256];
	size_t s[8], sc, sm, off;
	FILE *f;
	unsigned n = 0;

	snprintf(dir, sizeof(dir), "/tmp/kcc-oci-XXXXXX");
	assert_non_null(mkdtemp(dir));
	at(path, sizeof(path), "blobs/sha256");
	assert_int_equal(mkdir_p(path, 0755), 0);
	at(path, sizeof(path), "oci-layout");
	f = fopen(path, "w");
	fputs("{\"imageLayoutVersion\":\"1.0.0\"}", f);
	fclose(f);
	for (; layers[n]; n++)
		layer(layers[n], filter, d[n], &s[n]);
	snprintf(json, sizeof(json),
		 "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"/bin/tool\"],"
		 "\"Env\":[\"A=1\"],\"WorkingDir\":\"/etc\",\"User\":\"5\"}}");
	put_blob(json, strlen(json), dc, &sc);
	off = (size_t)snprintf(json, sizeof(json),
			       "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
			       "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"%s\",\"size\":%zu},"
			       "\"layers\":[", dc, sc);
	for (unsigned i = 0; i < n; i++)
		off += (size_t)snprintf(json + off, sizeof(json) - off,
					"%s{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar%s\",\"digest\":\"%s\",\"size\":%zu}",
					i ? "," : "", filter == GZIP ? "+gzip" : filter == ZSTD ? "+zstd" : "",
					d[i], s[i]);
	snprintf(json + off, sizeof(json) - off, "]}");
	put_blob(json, strlen(json), dm, &sm);
	at(path, sizeof(path), "index.json");
	f = fopen(path, "w");
	fprintf(f, "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
		   "\"digest\":\"%s\",\"size\":%zu,\"annotations\":{\"org.opencontainers.image.ref.name\":\"tool:2\"}},"
		   "{\"digest\":\"%s\",\"size\":%zu,\"annotations\":{\"io.containerd.image.name\":\"docker.io/library/tool:latest\"}}]}",
		dm, sm, dm, sm);
	fclose(f);
	/* what the unpacks below go into, and a file next to it that nothing may touch */
	at(path, sizeof(path), "bundle");
	assert_int_equal(mkdir(path, 0755), 0);
	at(path, sizeof(path), "bundle/sentinel");
	assert_int_equal(write_new_file(path, "keep", 0644), 0);
}

static const char *const base_layer[] = { "bin/", "bin/tool=v1", "etc/", "etc/gone=x",
					  "etc/keep=k", "opq/", "opq/old=o", "bin/link->tool",
					  "sub/", "sub/deep/", "sub/deep/f=1", NULL };

static int unpack(OciImage *img, UnpackBudget *b, char *err, size_t errlen)
{
	const char *dirs[] = { dir, NULL };
	char root[256];
	UnpackBudget unlimited;
	OciConfig ic;
	int r = oci_find(dirs, "tool:2", img, err, errlen);

	if (r < 0)
		return r;
	if (!b) {
		budget_init(&unlimited);
		b = &unlimited;
	}
	at(root, sizeof(root), "bundle/rootfs");
	r = oci_config(img, &ic, err, errlen);
	if (r < 0)
		return r;
	r = oci_unpack(img, &ic, root, b, err, errlen);
	oci_config_done(&ic);
	return r;
}

/* Nothing of a failed unpack is left, and nothing next to it was touched. */
static void assert_nothing_left(void)
{
	assert_false(exists("bundle/rootfs"));
	assert_false(exists("bundle/rootfs.unpack"));
	assert_true(exists("bundle/sentinel"));
	assert_true(exists("index.json"));
}

static void test_find_config(void **state)
{
	const char *const *layers[] = { base_layer, NULL };
	const char *dirs[] = { "/nonexistent", NULL, NULL };
	char err[512];
	OciImage img;
	OciConfig cfg;

	(void)state;
	make_layout_of(layers, GZIP);
	dirs[1] = dir;
	assert_int_equal(oci_find(dirs, "tool:3", &img, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "image tool:3 is in no image layout"));
	assert_int_equal(oci_find(dirs, "tool", &img, err, sizeof(err)), 0); /* :latest, containerd name */
	assert_int_equal(oci_find(dirs, "tool:2", &img, err, sizeof(err)), 0);
	assert_int_equal(oci_config(&img, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.cmd[0], "/bin/tool");
	assert_string_equal(cfg.env[0], "A=1");
	assert_string_equal(cfg.workdir, "/etc");
	assert_string_equal(cfg.user, "5");
	oci_config_done(&cfg);
	assert_int_equal(oci_verify_layout(dir, err, sizeof(err)), 2);
	(void)rm_rf(dir);
}

static void test_unpack_whiteouts(void **state)
{
	static const char *const upper[] = { "bin/tool=v2", "etc/.wh.gone", "opq/.wh..wh..opq",
					     "opq/new=n", "./sub/.wh.deep", NULL };
	const char *const *layers[] = { base_layer, upper, NULL };
	char err[512], path[256], *text = NULL;
	OciImage img;
	UnpackBudget b;
	struct stat st;

	(void)state;
	for (int filter = PLAIN; filter <= ZSTD; filter++) {
		make_layout_of(layers, filter);
		budget_init(&b);
		assert_int_equal(unpack(&img, &b, err, sizeof(err)), 0);
		at(path, sizeof(path), "bundle/rootfs/bin/tool");
		assert_true(read_small_file(path, 100, &text) >= 0);
		assert_string_equal(text, "v2");
		free(text);
		assert_false(exists("bundle/rootfs/etc/gone"));
		assert_true(exists("bundle/rootfs/etc/keep"));
		assert_false(exists("bundle/rootfs/opq/old"));
		assert_true(exists("bundle/rootfs/opq/new"));
		assert_false(exists("bundle/rootfs/sub/deep"));
		assert_true(exists("bundle/rootfs/sub"));
		at(path, sizeof(path), "bundle/rootfs/bin/link");
		assert_int_equal(lstat(path, &st), 0);
		assert_true(S_ISLNK(st.st_mode));
		/* committed: no temporary folder, and what was unpacked is counted */
		assert_false(exists("bundle/rootfs.unpack"));
		assert_int_equal(b.files, 16);
		assert_int_equal(b.bytes, 9);
		(void)rm_rf(dir);
	}
}

/* Whiteouts that name no file in their folder, at the top and below it: each is refused and
 * nothing outside the root (the sentinel next to it, the layout) is removed. */
static void test_whiteout_names(void **state)
{
	static const char *const bad[] = { ".wh..",	   ".wh...",	    ".wh.",
					   "./.wh..",	   "sub/.wh..",	    "sub/.wh...",
					   "sub/deep/.wh...", "sub/.wh.",   ".wh..wh.plnk",
					   "sub/.wh..wh..wh..opq", NULL };
	char err[512];
	OciImage img;

	(void)state;
	for (size_t i = 0; bad[i]; i++) {
		const char *upper[] = { "new=1", bad[i], NULL };
		const char *const *layers[] = { base_layer, upper, NULL };
		make_layout_of(layers, GZIP);
		assert_int_equal(unpack(&img, NULL, err, sizeof(err)), -EINVAL);
		if (!strstr(err, "names no file"))
			fail_msg("%s: %s", bad[i], err);
		assert_nothing_left();
		assert_true(exists("blobs/sha256"));
		(void)rm_rf(dir);
	}
	/* the classification itself */
	const char *t = NULL;
	assert_int_equal(whiteout_kind("file", &t), WHITEOUT_NONE);
	assert_int_equal(whiteout_kind(".wh.x", &t), WHITEOUT_FILE);
	assert_string_equal(t, "x");
	assert_int_equal(whiteout_kind(".wh...x", &t), WHITEOUT_FILE); /* "..x" is a plain name */
	assert_string_equal(t, "..x");
	assert_int_equal(whiteout_kind(".wh..wh..opq", &t), WHITEOUT_OPAQUE);
	assert_int_equal(whiteout_kind(".wh..", &t), _WHITEOUT_INVALID);
	assert_int_equal(whiteout_kind(".wh...", &t), _WHITEOUT_INVALID);
	assert_int_equal(whiteout_kind(".wh.", &t), _WHITEOUT_INVALID);
	assert_int_equal(whiteout_kind(".wh.a/b", &t), _WHITEOUT_INVALID);
}

static void test_entry_paths(void **state)
{
	static const char *const good[] = { "a", "./a", "a/b/c", "a/", "..a", "a..", "a/...", ".", NULL };
	static const char *const bad[] = { "", "/a", "..", "../a", "a/..", "a/../b", "./..",
					   "a//../b", "a\nb", NULL };
	(void)state;
	for (size_t i = 0; good[i]; i++)
		if (!entry_path_is_safe(good[i]))
			fail_msg("'%s' refused", good[i]);
	for (size_t i = 0; bad[i]; i++)
		if (entry_path_is_safe(bad[i]))
			fail_msg("'%s' accepted", bad[i]);
}

/* Entries that leave the root, as names or as hard link targets: refused, nothing kept. */
static void test_unpack_escapes(void **state)
{
	static const char *const bad[] = { "../escape=x", "a/../../escape=x", "/abs=x",
					   "h=>../../index.json", "h=>/etc/passwd", NULL };
	char err[512];
	OciImage img;
	int r;

	(void)state;
	for (size_t i = 0; bad[i]; i++) {
		const char *upper[] = { "new=1", bad[i], NULL };
		const char *const *layers[] = { base_layer, upper, NULL };
		make_layout_of(layers, PLAIN);
		assert_int_equal(unpack(&img, NULL, err, sizeof(err)), -EINVAL);
		if (!strstr(err, "leaves the folder"))
			fail_msg("%s: %s", bad[i], err);
		assert_nothing_left();
		assert_false(exists("escape"));
		assert_false(exists("bundle/escape"));
		(void)rm_rf(dir);
	}
	/* a whiteout through a symbolic link the layer made: refused, the target kept */
	static const char *const through[][3] = { { "lnk->..", "lnk/.wh.sentinel", NULL },
						  { "lnk->../..", "lnk/.wh.index.json", NULL },
						  { "lnk->..", "lnk/sentinel=x", NULL } };
	for (size_t i = 0; i < ARRAY_SIZE(through); i++) {
		const char *const *layers[] = { base_layer, through[i], NULL };
		char *text = NULL, path[256];
		make_layout_of(layers, GZIP);
		r = unpack(&img, NULL, err, sizeof(err));
		if (i < 2) {
			assert_true(r == -ELOOP || r == -ENOTDIR); /* the link is not followed */
			assert_nothing_left();
		} else {
			/* libarchive (SECURE_SYMLINKS with UNLINK) replaces the link by a folder */
			assert_int_equal(r, 0);
			at(path, sizeof(path), "bundle/rootfs/lnk/sentinel");
			assert_true(read_small_file(path, 100, &text) >= 0);
			assert_string_equal(text, "x");
			free(text);
		}
		at(path, sizeof(path), "bundle/sentinel");
		assert_true(read_small_file(path, 100, &text) >= 0);
		assert_string_equal(text, "keep");
		free(text);
		assert_true(exists("index.json"));
		(void)rm_rf(dir);
	}
}

/* A layer blob changed after its digest was written (same size, still a valid tar): it unpacks,
 * but the bytes read do not hash to the digest, so the folder is never committed. */
static void test_digest_mismatch_after_unpack(void **state)
{
	static const char *const upper[] = { "data=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL };
	const char *const *layers[] = { base_layer, upper, NULL };
	char err[512], path[300], *blob = NULL, *hit;
	const char *dirs[2];
	OciImage img;
	int fd, n;

	(void)state;
	make_layout_of(layers, PLAIN);
	/* the upper layer is the blob holding the A's: one A becomes a B */
	dirs[0] = dir;
	dirs[1] = NULL;
	assert_int_equal(oci_find(dirs, "tool:2", &img, err, sizeof(err)), 0);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "grep -l AAAAAAAAAAAAAAAAAAAA %s/blobs/sha256/*", dir);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(path, sizeof(path), p));
	pclose(p);
	path[strcspn(path, "\n")] = '\0';
	n = read_small_file(path, sizeof(tarbuf), &blob);
	assert_true(n > 0);
	hit = memmem(blob, (size_t)n, "AAAAAAAAAAAAAAAAAAAA", 20);
	assert_non_null(hit);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "B", 1, hit - blob), 1);
	close(fd);
	free(blob);
	assert_int_equal(unpack(&img, NULL, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "its content has digest"));
	assert_nothing_left();
	/* a blob with bytes appended after its tar: the size no longer matches */
	fd = open(path, O_WRONLY | O_APPEND);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
	assert_int_equal(unpack(&img, NULL, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "the descriptor says"));
	assert_nothing_left();
	(void)rm_rf(dir);
}

/* Bombs: a small gzip or zstd layer that unpacks to far more than the limit, or to more entries:
 * refused with the limit named, nothing left behind. */
static void test_limits(void **state)
{
	static const char *const big[] = { "zeros=@8388608", NULL };   /* 8 MiB of zeros */
	static const char *const many[] = { "f=#300", NULL };	      /* 300 empty files */
	static const char *const sum[] = { "a=@700000", "b=@700000", NULL }; /* each fits alone */
	char err[512];
	OciImage img;
	UnpackBudget b;

	(void)state;
	for (int filter = GZIP; filter <= ZSTD; filter++) {
		const char *const *layers[] = { base_layer, big, NULL };
		make_layout_of(layers, filter);
		budget_init(&b);
		budget_limit(&b, 1 << 20, 1000, "the per-image limit");
		assert_int_equal(unpack(&img, &b, err, sizeof(err)), -EFBIG);
		if (!strstr(err, "more than 1048576 bytes unpacked (the per-image limit)"))
			fail_msg("%s", err);
		assert_nothing_left();
		/* the same image within a larger limit unpacks */
		budget_init(&b);
		budget_limit(&b, 16 << 20, 1000, "the per-image limit");
		assert_int_equal(unpack(&img, &b, err, sizeof(err)), 0);
		(void)rm_rf(dir);
	}
	{
		const char *const *layers[] = { base_layer, many, NULL };
		make_layout_of(layers, ZSTD);
		budget_init(&b);
		budget_limit(&b, 1 << 20, 1000, "the per-image limit");
		budget_limit(&b, 1 << 30, 100, "the per-pod limit");
		assert_int_equal(unpack(&img, &b, err, sizeof(err)), -EMLINK);
		if (!strstr(err, "more than 100 entries (the per-pod limit)"))
			fail_msg("%s", err);
		assert_nothing_left();
		(void)rm_rf(dir);
	}
	{
		const char *const *layers[] = { base_layer, sum, NULL };
		make_layout_of(layers, GZIP);
		budget_init(&b);
		budget_limit(&b, 1 << 20, 1000, "the per-pod limit");
		assert_int_equal(unpack(&img, &b, err, sizeof(err)), -EFBIG);
		assert_non_null(strstr(err, "(the per-pod limit)"));
		assert_nothing_left();
		(void)rm_rf(dir);
	}
}

/* A blob replaced by a symbolic link to an intact copy of itself: the link is the only fault, and
 * it is refused. So is a link anywhere on the blob's path, and a FIFO in a blob's place. */
static void test_links_and_fifos(void **state)
{
	const char *const *layers[] = { base_layer, NULL };
	const char *dirs[] = { NULL, NULL };
	char err[512], path[300], copy[300];
	OciImage img;
	OciConfig cfg;

	(void)state;
	make_layout_of(layers, GZIP);
	dirs[0] = dir;
	assert_int_equal(oci_find(dirs, "tool:2", &img, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", dir, img.manifest + 7);
	at(copy, sizeof(copy), "manifest-copy");
	assert_int_equal(rename(path, copy), 0);
	assert_int_equal(symlink(copy, path), 0);
	assert_true(oci_config(&img, &cfg, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "a symbolic link, refused"));
	assert_true(unpack(&img, NULL, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "a symbolic link, refused"));
	assert_nothing_left();
	/* the same blob in place again: accepted (the copy was intact) */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rename(copy, path), 0);
	assert_int_equal(oci_config(&img, &cfg, err, sizeof(err)), 0);
	oci_config_done(&cfg);
	/* blobs/ itself a link to the real folder */
	at(path, sizeof(path), "blobs");
	at(copy, sizeof(copy), "real-blobs");
	assert_int_equal(rename(path, copy), 0);
	assert_int_equal(symlink("real-blobs", path), 0);
	assert_true(oci_config(&img, &cfg, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "a symbolic link, refused"));
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rename(copy, path), 0);
	/* a FIFO where the manifest blob was: refused at once, never waited on */
	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", dir, img.manifest + 7);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkfifo(path, 0644), 0);
	alarm(10);
	assert_true(oci_config(&img, &cfg, err, sizeof(err)) < 0);
	alarm(0);
	assert_non_null(strstr(err, "not a regular file"));
	/* a malformed digest in the index is refused, never turned into a path */
	char hex[65];
	sha256_hex("x", 1, hex);
	at(path, sizeof(path), "index.json");
	FILE *f = fopen(path, "w");
	fprintf(f, "{\"manifests\":[{\"digest\":\"sha256:../../%s\",\"annotations\":"
		   "{\"org.opencontainers.image.ref.name\":\"tool:2\"}}]}", hex);
	fclose(f);
	assert_int_equal(oci_find(dirs, "tool:2", &img, err, sizeof(err)), -EINVAL);
	assert_int_equal(oci_digest_valid("sha256:ABC"), -EINVAL);
	(void)rm_rf(dir);
}

/* `kcc-kubelet import`: an OCI archive within its limits lands; a bomb (bytes or entries) is
 * refused with the limit named and leaves nothing in the images folder. */
static void test_import(void **state)
{
	const char *const *layers[] = { base_layer, NULL };
	char err[512], images[300], archive[300], cmd[700];
	UnpackLimits lim = { 16 << 20, 1000 };
	static const char *const bomb[] = { "oci-layout=x", "blobs/", "big=@8388608", NULL };
	static const char *const many[] = { "oci-layout=x", "f=#300", NULL };
	int fd;
	size_t n;

	(void)state;
	make_layout_of(layers, GZIP);
	snprintf(images, sizeof(images), "%s-images", dir);
	snprintf(archive, sizeof(archive), "%s-a.tar", dir);
	snprintf(cmd, sizeof(cmd), "tar -C %s -cf %s oci-layout index.json blobs", dir, archive);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(image_import(archive, images, "good", &lim, err, sizeof(err)), 2);
	/* bytes */
	n = make_tar(bomb, GZIP, tarbuf, sizeof(tarbuf));
	assert_true(n < 100000);
	fd = open(archive, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, tarbuf, n), (ssize_t)n);
	close(fd);
	lim = (UnpackLimits){ 1 << 20, 1000 };
	assert_int_equal(image_import(archive, images, "bomb", &lim, err, sizeof(err)), -EFBIG);
	assert_non_null(strstr(err, "(the per-import limit)"));
	/* entries, zstd */
	n = make_tar(many, ZSTD, tarbuf, sizeof(tarbuf));
	fd = open(archive, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, tarbuf, n), (ssize_t)n);
	close(fd);
	lim = (UnpackLimits){ 1 << 20, 100 };
	assert_int_equal(image_import(archive, images, "many", &lim, err, sizeof(err)), -EMLINK);
	assert_non_null(strstr(err, "more than 100 entries (the per-import limit)"));
	/* only the good import is there: no temporary folder, no partial image */
	snprintf(cmd, sizeof(cmd), "test \"$(ls -A %s)\" = good", images);
	assert_int_equal(system(cmd), 0);
	(void)rm_rf(images);
	(void)unlink(archive);
	(void)rm_rf(dir);
}

/* A pod's containers and volumes have separate folders: a container named "volumes" (or any
 * name) never gets a volume's folder, and names that are not DNS labels get none at all. */
static void test_pod_dir(void **state)
{
	static const char *const names[] = { "volumes", "containers", "web", "v", NULL };
	static const char *const invalid[] = { "", ".", "..", "a/b", "../x", "Web", "-a",
					       "a_b", "x\n", NULL };
	char c[256], v[256], vols[256];

	(void)state;
	assert_int_equal(pod_dir_volumes("/p", vols, sizeof(vols)), 0);
	for (size_t i = 0; names[i]; i++)
		for (size_t k = 0; names[k]; k++) {
			assert_int_equal(pod_dir_path("/p", POD_DIR_CONTAINER, names[i], c, sizeof(c)), 0);
			assert_int_equal(pod_dir_path("/p", POD_DIR_VOLUME, names[k], v, sizeof(v)), 0);
			/* neither is the other, nor inside it, nor the volumes folder */
			assert_false(startswith(v, c));
			assert_false(startswith(c, v));
			assert_false(startswith(c, vols));
			assert_true(startswith(v, vols) && v[strlen(vols)] == '/');
		}
	assert_int_equal(pod_dir_path("/p", POD_DIR_CONTAINER, "volumes", c, sizeof(c)), 0);
	assert_string_equal(c, "/p/containers/volumes");
	for (size_t i = 0; invalid[i]; i++) {
		assert_int_equal(pod_dir_path("/p", POD_DIR_CONTAINER, invalid[i], c, sizeof(c)), -EINVAL);
		assert_int_equal(pod_dir_path("/p", POD_DIR_VOLUME, invalid[i], c, sizeof(c)), -EINVAL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_config),
		cmocka_unit_test(test_unpack_whiteouts),
		cmocka_unit_test(test_whiteout_names),
		cmocka_unit_test(test_entry_paths),
		cmocka_unit_test(test_unpack_escapes),
		cmocka_unit_test(test_digest_mismatch_after_unpack),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_links_and_fifos),
		cmocka_unit_test(test_import),
		cmocka_unit_test(test_pod_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
