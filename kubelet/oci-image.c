/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/openat2.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs.h"
#include "oci-image.h"
#include "util.h"

#define MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"

int oci_digest_valid(const char *d)
{
	const char *hex = startswith(d, "sha256:");
	if (!hex || strlen(hex) != 64)
		return -EINVAL;
	for (const char *p = hex; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return -EINVAL;
	return 0;
}

/* Opens a blob, checks its size and sha256 against the descriptor, and returns it rewound. */
static int blob_open(const char *layout, const char *digest, int64_t size, char *err, size_t errlen)
{
	char path[512], hex[65];
	unsigned char md[EVP_MAX_MD_SIZE], buf[65536];
	unsigned mdlen = 0;
	struct stat st;
	_cleanup_close_ int fd = -EBADF;
	EVP_MD_CTX *ctx;
	ssize_t k;
	int r = 0;

	if (oci_digest_valid(digest) < 0)
		return errorf(err, errlen, -EINVAL, "invalid digest '%.80s'", digest);
	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", layout, digest + 7);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st) < 0)
		return errorf(err, errlen, -errno, "blob %s: %s", digest, strerror(errno));
	if (!S_ISREG(st.st_mode) || (size >= 0 && st.st_size != size))
		return errorf(err, errlen, -EBADMSG, "blob %s: size %lld, the descriptor says %lld",
			    digest, (long long)st.st_size, (long long)size);
	ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(ctx);
		return -ENOMEM;
	}
	while ((k = read(fd, buf, sizeof(buf))) > 0)
		if (!EVP_DigestUpdate(ctx, buf, (size_t)k))
			r = -EIO;
	if (k < 0)
		r = -errno;
	if (r >= 0 && !EVP_DigestFinal_ex(ctx, md, &mdlen))
		r = -EIO;
	EVP_MD_CTX_free(ctx);
	if (r < 0)
		return errorf(err, errlen, r, "blob %s: cannot read it", digest);
	for (unsigned i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	if (strcmp(hex, digest + 7) != 0)
		return errorf(err, errlen, -EBADMSG, "blob %s: its content has digest sha256:%s",
			    digest, hex);
	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	return TAKE_FD(fd);
}

static int json_file(int fd, const char *what, json_object **ret, char *err, size_t errlen)
{
	_cleanup_free_ char *text = NULL;
	struct stat st;
	size_t len = 0, cap;
	ssize_t k;

	if (fstat(fd, &st) < 0)
		return errorf(err, errlen, -errno, "%s: %s", what, strerror(errno));
	if (st.st_size > OCI_JSON_MAX)
		return errorf(err, errlen, -E2BIG, "%s: larger than %d bytes", what, OCI_JSON_MAX);
	cap = (size_t)st.st_size + 1; /* sized to the file: no large buffer stays in the heap */
	text = malloc(cap);
	if (!text)
		return -ENOMEM;
	while (len < cap - 1 && (k = read(fd, text + len, cap - 1 - len)) > 0)
		len += (size_t)k;
	text[len] = '\0';
	*ret = json_tokener_parse(text);
	if (!*ret || !json_object_is_type(*ret, json_type_object)) {
		json_object_put(*ret);
		*ret = NULL;
		return errorf(err, errlen, -EINVAL, "%s: not a JSON object", what);
	}
	return 0;
}

static int json_blob(const char *layout, json_object *desc, json_object **ret, char *err,
		     size_t errlen)
{
	json_object *d, *s;
	_cleanup_close_ int fd = -EBADF;

	if (!json_object_object_get_ex(desc, "digest", &d) ||
	    !json_object_is_type(d, json_type_string) ||
	    !json_object_object_get_ex(desc, "size", &s) || !json_object_is_type(s, json_type_int))
		return errorf(err, errlen, -EINVAL, "a descriptor without digest or size");
	fd = blob_open(layout, json_object_get_string(d), json_object_get_int64(s), err, errlen);
	if (fd < 0)
		return fd;
	return json_file(fd, json_object_get_string(d), ret, err, errlen);
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool ref_matches(json_object *desc, const char *want)
{
	json_object *ann;
	const char *names[2];

	if (!json_object_object_get_ex(desc, "annotations", &ann))
		return false;
	names[0] = jstr(ann, "org.opencontainers.image.ref.name");
	names[1] = jstr(ann, "io.containerd.image.name");
	for (size_t i = 0; i < 2; i++) {
		if (!names[i])
			continue;
		if (streq(names[i], want))
			return true;
		/* docker.io/library/busybox:1.36 also answers to busybox:1.36 */
		const char *short_name = startswith(names[i], "docker.io/library/");
		if (short_name && streq(short_name, want))
			return true;
	}
	return false;
}

/* A manifest for linux/amd64 in an image index (multi-platform images). */
static int pick_platform(const char *layout, json_object *desc, char *out, size_t outlen,
			 char *err, size_t errlen)
{
	json_object *index = NULL, *list;
	int r = json_blob(layout, desc, &index, err, errlen);

	if (r < 0)
		return r;
	r = errorf(err, errlen, -ENOENT, "the image index has no linux/amd64 manifest");
	if (json_object_object_get_ex(index, "manifests", &list) &&
	    json_object_is_type(list, json_type_array))
		for (size_t i = 0; i < json_object_array_length(list); i++) {
			json_object *m = json_object_array_get_idx(list, i), *plat;
			if (!json_object_object_get_ex(m, "platform", &plat) ||
			    !jstr(plat, "os") || !streq(jstr(plat, "os"), "linux") ||
			    !jstr(plat, "architecture") || !streq(jstr(plat, "architecture"), "amd64"))
				continue;
			if (!jstr(m, "digest") || oci_digest_valid(jstr(m, "digest")) < 0)
				continue;
			snprintf(out, outlen, "%s", jstr(m, "digest"));
			r = 0;
			break;
		}
	json_object_put(index);
	return r;
}

static int find_in_layout(const char *layout, const char *want, OciImage *ret, char *err,
			  size_t errlen)
{
	char path[512];
	json_object *index = NULL, *list;
	_cleanup_close_ int fd = -EBADF;
	int r = -ENOENT;

	snprintf(path, sizeof(path), "%s/index.json", layout);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -ENOENT;
	r = json_file(fd, path, &index, err, errlen);
	if (r < 0)
		return r;
	r = -ENOENT;
	if (json_object_object_get_ex(index, "manifests", &list) &&
	    json_object_is_type(list, json_type_array))
		for (size_t i = 0; i < json_object_array_length(list) && r == -ENOENT; i++) {
			json_object *m = json_object_array_get_idx(list, i);
			const char *mt = jstr(m, "mediaType"), *digest = jstr(m, "digest");
			if (!ref_matches(m, want) || !digest)
				continue;
			if (oci_digest_valid(digest) < 0) {
				r = errorf(err, errlen, -EINVAL, "%s: invalid digest", path);
				break;
			}
			snprintf(ret->layout, sizeof(ret->layout), "%s", layout);
			snprintf(ret->ref, sizeof(ret->ref), "%s", want);
			if (mt && (streq(mt, MT_INDEX) || streq(mt, MT_DOCKER_LIST)))
				r = pick_platform(layout, m, ret->manifest, sizeof(ret->manifest), err,
						  errlen);
			else {
				snprintf(ret->manifest, sizeof(ret->manifest), "%s", digest);
				r = 0;
			}
		}
	json_object_put(index);
	return r;
}

int oci_find(const char *const *dirs, const char *ref, OciImage *ret, char *err, size_t errlen)
{
	char want[160];
	const char *slash = strrchr(ref, '/');

	if (strlen(ref) >= sizeof(want) - 8 || strchr(ref, '@'))
		return errorf(err, errlen, -EINVAL, "image '%.80s': digests and long names are not supported", ref);
	/* a name without a tag is name:latest */
	snprintf(want, sizeof(want), "%s%s", ref, strchr(slash ? slash : ref, ':') ? "" : ":latest");
	for (size_t i = 0; dirs[i]; i++) {
		char sub[512];
		DIR *d;
		struct dirent *de;
		int r = find_in_layout(dirs[i], want, ret, err, errlen);
		if (r != -ENOENT)
			return r;
		d = opendir(dirs[i]);
		if (!d)
			continue;
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", dirs[i], de->d_name);
			r = find_in_layout(sub, want, ret, err, errlen);
			if (r != -ENOENT) {
				closedir(d);
				return r;
			}
		}
		closedir(d);
	}
	return errorf(err, errlen, -ENOENT, "image %s is in no image layout on this node", want);
}

static int load_manifest(const OciImage *img, json_object **ret, char *err, size_t errlen)
{
	json_object *desc = json_object_new_object();
	int r;

	if (!desc)
		return -ENOMEM;
	json_object_object_add(desc, "digest", json_object_new_string(img->manifest));
	json_object_object_add(desc, "size", json_object_new_int64(-1));
	r = json_blob(img->layout, desc, ret, err, errlen);
	json_object_put(desc);
	if (r < 0)
		return r;
	const char *mt = jstr(*ret, "mediaType");
	if (mt && !streq(mt, MT_MANIFEST) && !streq(mt, MT_DOCKER_MANIFEST)) {
		json_object_put(*ret);
		*ret = NULL;
		return errorf(err, errlen, -EINVAL, "manifest %s: media type %s is not an image manifest",
			    img->manifest, mt);
	}
	return 0;
}

static int strv_from_json(json_object *arr, char **v, size_t max)
{
	size_t n = 0;

	v[0] = NULL;
	if (!arr || !json_object_is_type(arr, json_type_array))
		return 0;
	if (json_object_array_length(arr) > max)
		return -E2BIG;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *s = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(s, json_type_string))
			return -EINVAL;
		v[n] = strdup(json_object_get_string(s));
		if (!v[n])
			return -ENOMEM;
		v[++n] = NULL;
	}
	return 0;
}

void oci_config_done(OciConfig *c)
{
	for (char **v = c->entrypoint; *v; v++)
		free(*v);
	for (char **v = c->cmd; *v; v++)
		free(*v);
	for (char **v = c->env; *v; v++)
		free(*v);
	free(c->workdir);
	free(c->user);
	memset(c, 0, sizeof(*c));
}

int oci_config(const OciImage *img, OciConfig *ret, char *err, size_t errlen)
{
	json_object *manifest = NULL, *desc, *config = NULL, *cc;
	int r;

	memset(ret, 0, sizeof(*ret));
	r = load_manifest(img, &manifest, err, errlen);
	if (r < 0)
		return r;
	if (!json_object_object_get_ex(manifest, "config", &desc))
		r = errorf(err, errlen, -EINVAL, "manifest %s has no config", img->manifest);
	else
		r = json_blob(img->layout, desc, &config, err, errlen);
	if (r >= 0 && json_object_object_get_ex(config, "config", &cc)) {
		json_object *v;
		r = strv_from_json(json_object_object_get_ex(cc, "Entrypoint", &v) ? v : NULL,
				   ret->entrypoint, OCI_ARGS_MAX);
		if (r >= 0)
			r = strv_from_json(json_object_object_get_ex(cc, "Cmd", &v) ? v : NULL,
					   ret->cmd, OCI_ARGS_MAX);
		if (r >= 0)
			r = strv_from_json(json_object_object_get_ex(cc, "Env", &v) ? v : NULL,
					   ret->env, OCI_ARGS_MAX);
		if (r >= 0 && jstr(cc, "WorkingDir") && *jstr(cc, "WorkingDir"))
			ret->workdir = strdup(jstr(cc, "WorkingDir"));
		if (r >= 0 && jstr(cc, "User") && *jstr(cc, "User"))
			ret->user = strdup(jstr(cc, "User"));
		if (r < 0)
			errorf(err, errlen, r, "image config of %s is malformed", img->ref);
	}
	json_object_put(config);
	json_object_put(manifest);
	if (r < 0)
		oci_config_done(ret);
	return r;
}

/* ---- layers ---- */

static int open_in_root(int rootfd, const char *path, int flags)
{
	struct open_how how = { .flags = (uint64_t)flags | O_CLOEXEC,
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	return RET_NERRNO(syscall(SYS_openat2, rootfd, path, &how, sizeof(how)));
}

/* ".wh.NAME" removes NAME from the lower layers, ".wh..wh..opq" empties its directory. */
static int whiteout(int rootfd, const char *path)
{
	_cleanup_free_ char *copy = strdup(path);
	_cleanup_close_ int dfd = -EBADF;
	char *slash, *base;

	if (!copy)
		return -ENOMEM;
	slash = strrchr(copy, '/');
	base = slash ? slash + 1 : copy;
	if (slash)
		*slash = '\0';
	dfd = open_in_root(rootfd, slash ? copy : ".", O_RDONLY | O_DIRECTORY);
	if (dfd < 0)
		return dfd == -ENOENT ? 0 : dfd;
	if (streq(base, ".wh..wh..opq")) {
		DIR *d = fdopendir(dup(dfd));
		struct dirent *de;
		if (!d)
			return -errno;
		while ((de = readdir(d)))
			if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
				(void)rm_rf_at(dfd, de->d_name);
		closedir(d);
		return 0;
	}
	return rm_rf_at(dfd, base + 4);
}

int oci_archive_copy(struct archive *in, struct archive *out)
{
	const void *buf;
	size_t size;
	la_int64_t off;
	int r;

	while ((r = archive_read_data_block(in, &buf, &size, &off)) == ARCHIVE_OK)
		if (archive_write_data_block(out, buf, size, off) != ARCHIVE_OK)
			return ARCHIVE_FATAL;
	return r == ARCHIVE_EOF ? ARCHIVE_OK : r;
}

void oci_archive_setup(struct archive *in, struct archive *out, int flags)
{
	archive_read_support_format_tar(in);
	archive_read_support_filter_gzip(in);
	archive_read_support_filter_zstd(in);
	archive_write_disk_set_options(out, flags | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
						    ARCHIVE_EXTRACT_SECURE_NODOTDOT |
						    ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
}

static int unpack_layer(int fd, int rootfd, int cwd, const char *digest, char *err, size_t errlen)
{
	struct archive *a = archive_read_new(), *w = archive_write_disk_new();
	struct archive_entry *e;
	int r = 0, ar;

	if (!a || !w) {
		r = -ENOMEM;
		goto out;
	}
	oci_archive_setup(a, w, ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_TIME |
				     ARCHIVE_EXTRACT_UNLINK);
	if (archive_read_open_fd(a, fd, 65536) != ARCHIVE_OK) {
		r = errorf(err, errlen, -EINVAL, "layer %s: %s", digest, archive_error_string(a));
		goto out;
	}
	/* paths stay relative to the root, where libarchive's SECURE_* checks hold them */
	if (fchdir(rootfd) < 0) {
		r = -errno;
		goto out;
	}
	while ((ar = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *base, *hl;
		char name[512];
		mode_t type = archive_entry_filetype(e);

		snprintf(name, sizeof(name), "%s", archive_entry_pathname(e));
		if (!name[0] || streq(name, ".") || streq(name, "./"))
			continue;
		base = strrchr(name, '/');
		base = base && base[1] ? base + 1 : name;
		if (startswith(base, ".wh.")) {
			r = whiteout(rootfd, name);
			if (r < 0) {
				errorf(err, errlen, r, "layer %s: whiteout %.200s failed", digest, name);
				goto out;
			}
			continue;
		}
		if (type == AE_IFCHR || type == AE_IFBLK)
			continue; /* the runtime provides /dev */
		hl = archive_entry_hardlink(e);
		if (hl && (hl[0] == '/' || strstr(hl, "../"))) {
			r = errorf(err, errlen, -EINVAL, "layer %s: hard link to %.200s", digest, hl);
			goto out;
		}
		if (archive_write_header(w, e) < ARCHIVE_WARN) {
			r = errorf(err, errlen, -EINVAL, "layer %s: %.200s: %s", digest, name,
				 archive_error_string(w));
			goto out;
		}
		if (archive_entry_size(e) > 0) {
			if (oci_archive_copy(a, w) != ARCHIVE_OK) {
				r = errorf(err, errlen, -EIO, "layer %s: %.200s: %s", digest, name,
					 archive_error_string(a) ? archive_error_string(a)
								 : archive_error_string(w));
				goto out;
			}
		}
		if (archive_write_finish_entry(w) < ARCHIVE_WARN) {
			r = errorf(err, errlen, -EIO, "layer %s: %.200s: %s", digest, name,
				 archive_error_string(w));
			goto out;
		}
	}
	if (ar != ARCHIVE_EOF)
		r = errorf(err, errlen, -EINVAL, "layer %s: %s", digest, archive_error_string(a));
out:
	if (fchdir(cwd) < 0 && r >= 0)
		r = -errno;
	if (w) {
		archive_write_close(w);
		archive_write_free(w);
	}
	if (a)
		archive_read_free(a);
	return r;
}

int oci_unpack(const OciImage *img, const char *rootfs, char *err, size_t errlen)
{
	json_object *manifest = NULL, *layers;
	_cleanup_close_ int rootfd = -EBADF, cwd = -EBADF;
	int r;

	cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cwd < 0)
		return errorf(err, errlen, -errno, "cannot open the current directory: %s", strerror(errno));
	rootfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return errorf(err, errlen, -errno, "%s: %s", rootfs, strerror(errno));
	r = load_manifest(img, &manifest, err, errlen);
	if (r < 0)
		return r;
	if (!json_object_object_get_ex(manifest, "layers", &layers) ||
	    !json_object_is_type(layers, json_type_array))
		r = errorf(err, errlen, -EINVAL, "manifest %s has no layers", img->manifest);
	for (size_t i = 0; r >= 0 && i < json_object_array_length(layers); i++) {
		json_object *l = json_object_array_get_idx(layers, i), *size;
		const char *digest = jstr(l, "digest"), *mt = jstr(l, "mediaType");
		_cleanup_close_ int fd = -EBADF;
		if (!digest || !json_object_object_get_ex(l, "size", &size)) {
			r = errorf(err, errlen, -EINVAL, "layer %zu has no digest or size", i);
			break;
		}
		if (mt && !startswith(mt, "application/vnd.oci.image.layer.v1.tar") &&
		    !startswith(mt, "application/vnd.docker.image.rootfs.diff.tar")) {
			r = errorf(err, errlen, -EINVAL, "layer %s: media type %s is not supported",
				 digest, mt);
			break;
		}
		fd = blob_open(img->layout, digest, json_object_get_int64(size), err, errlen);
		if (fd < 0) {
			r = fd;
			break;
		}
		r = unpack_layer(fd, rootfd, cwd, digest, err, errlen);
	}
	json_object_put(manifest);
	return r;
}

/* Checks one image manifest: its config and every layer against their digests and sizes. */
static int verify_manifest(const char *layout, json_object *desc, char *err, size_t errlen)
{
	json_object *manifest = NULL, *config, *layers;
	int r = json_blob(layout, desc, &manifest, err, errlen);

	if (r < 0)
		return r;
	if (!json_object_object_get_ex(manifest, "config", &config) ||
	    !json_object_object_get_ex(manifest, "layers", &layers) ||
	    !json_object_is_type(layers, json_type_array))
		r = errorf(err, errlen, -EINVAL, "manifest %s has no config or layers", jstr(desc, "digest"));
	else {
		json_object *cfg = NULL;
		r = json_blob(layout, config, &cfg, err, errlen);
		json_object_put(cfg);
	}
	for (size_t i = 0; r >= 0 && i < json_object_array_length(layers); i++) {
		json_object *l = json_object_array_get_idx(layers, i), *size;
		const char *digest = jstr(l, "digest");
		if (!digest || !json_object_object_get_ex(l, "size", &size)) {
			r = errorf(err, errlen, -EINVAL, "a layer without digest or size");
			break;
		}
		r = blob_open(layout, digest, json_object_get_int64(size), err, errlen);
		if (r >= 0)
			close(r);
	}
	json_object_put(manifest);
	return r;
}

int oci_verify_layout(const char *layout, char *err, size_t errlen)
{
	char path[512];
	json_object *index = NULL, *list;
	_cleanup_close_ int fd = -EBADF;
	int r, n = 0;

	snprintf(path, sizeof(path), "%s/oci-layout", layout);
	if (access(path, F_OK) < 0)
		return errorf(err, errlen, -EINVAL, "not an OCI image layout (no oci-layout file)");
	snprintf(path, sizeof(path), "%s/index.json", layout);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errorf(err, errlen, -EINVAL, "not an OCI image layout (no index.json)");
	r = json_file(fd, "index.json", &index, err, errlen);
	if (r < 0)
		return r;
	if (!json_object_object_get_ex(index, "manifests", &list) ||
	    !json_object_is_type(list, json_type_array) || json_object_array_length(list) == 0)
		r = errorf(err, errlen, -EINVAL, "index.json lists no manifests");
	for (size_t i = 0; r >= 0 && i < json_object_array_length(list); i++) {
		json_object *m = json_object_array_get_idx(list, i);
		const char *mt = jstr(m, "mediaType");
		if (mt && (streq(mt, MT_INDEX) || streq(mt, MT_DOCKER_LIST))) {
			json_object *sub = NULL, *subl;
			r = json_blob(layout, m, &sub, err, errlen);
			if (r >= 0 && json_object_object_get_ex(sub, "manifests", &subl) &&
			    json_object_is_type(subl, json_type_array))
				for (size_t k = 0; r >= 0 && k < json_object_array_length(subl); k++, n++)
					r = verify_manifest(layout, json_object_array_get_idx(subl, k), err,
							    errlen);
			json_object_put(sub);
		} else {
			r = verify_manifest(layout, m, err, errlen);
			n++;
		}
	}
	json_object_put(index);
	return r < 0 ? r : n;
}
