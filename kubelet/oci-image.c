/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "oci-image.h"
#include "unpack.h"
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

/* Opens a blob below the layout without following any link (the layout's own folders included)
 * and without blocking on a FIFO: a regular file of the descriptor's size, or a clear reason. */
static int blob_open(int layoutfd, const char *digest, int64_t size, char *err, size_t errlen)
{
	char path[128];
	struct stat st;
	_cleanup_close_ int fd = -EBADF;

	if (oci_digest_valid(digest) < 0)
		return errorf(err, errlen, -EINVAL, "invalid digest '%.80s'", digest);
	snprintf(path, sizeof(path), "blobs/sha256/%s", digest + 7);
	fd = open_beneath(layoutfd, path, O_RDONLY | O_NONBLOCK);
	if (fd == -ELOOP || fd == -EXDEV)
		return errorf(err, errlen, -EBADMSG, "blob %s: a symbolic link, refused", digest);
	if (fd < 0)
		return errorf(err, errlen, fd, "blob %s: %s", digest, strerror(-fd));
	if (fstat(fd, &st) < 0)
		return errorf(err, errlen, -errno, "blob %s: %s", digest, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return errorf(err, errlen, -EBADMSG, "blob %s: not a regular file", digest);
	if (size >= 0 && st.st_size != size)
		return errorf(err, errlen, -EBADMSG, "blob %s: size %lld, the descriptor says %lld",
			      digest, (long long)st.st_size, (long long)size);
	return TAKE_FD(fd);
}

static int layout_open(const char *layout, char *err, size_t errlen)
{
	int fd = open(layout, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd >= 0 ? fd : errorf(err, errlen, -errno, "%s: %s", layout, strerror(errno));
}

/* Reads a whole small file (one read pass, up to OCI_JSON_MAX) into a NUL-terminated buffer. */
static int read_all(int fd, const char *what, char **ret, size_t *ret_len, char *err, size_t errlen)
{
	_cleanup_free_ char *text = NULL;
	struct stat st;
	size_t len = 0, cap;
	ssize_t k;

	if (fstat(fd, &st) < 0)
		return errorf(err, errlen, -errno, "%s: %s", what, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return errorf(err, errlen, -EBADMSG, "%s: not a regular file", what);
	if (st.st_size > OCI_JSON_MAX)
		return errorf(err, errlen, -E2BIG, "%s: larger than %d bytes", what, OCI_JSON_MAX);
	cap = (size_t)st.st_size + 2; /* sized to the file; one byte more shows that it grew */
	text = malloc(cap);
	if (!text)
		return -ENOMEM;
	while (len < cap - 1 && (k = read(fd, text + len, cap - 1 - len)) != 0) {
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return errorf(err, errlen, -errno, "%s: %s", what, strerror(errno));
		}
		len += (size_t)k;
	}
	if (len != (size_t)st.st_size)
		return errorf(err, errlen, -EBADMSG, "%s: changed while it was read", what);
	text[len] = '\0';
	*ret = TAKE_PTR(text);
	*ret_len = len;
	return 0;
}

static int json_parse(const char *text, const char *what, json_object **ret, char *err,
		      size_t errlen)
{
	*ret = json_tokener_parse(text);
	if (!*ret || !json_object_is_type(*ret, json_type_object)) {
		json_object_put(*ret);
		*ret = NULL;
		return errorf(err, errlen, -EINVAL, "%s: not a JSON object", what);
	}
	return 0;
}

static int json_file(int fd, const char *what, json_object **ret, char *err, size_t errlen)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = read_all(fd, what, &text, &len, err, errlen);

	return r < 0 ? r : json_parse(text, what, ret, err, errlen);
}

/* The sha256 of a buffer against "sha256:<hex>". */
static int digest_check(const void *data, size_t len, const char *digest, char *err, size_t errlen)
{
	unsigned char md[32];
	unsigned mdlen = 0;
	char hex[65];

	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
		return errorf(err, errlen, -EIO, "blob %s: cannot hash it", digest);
	for (unsigned i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	if (strcmp(hex, digest + 7) != 0)
		return errorf(err, errlen, -EBADMSG, "blob %s: its content has digest sha256:%s",
			      digest, hex);
	return 0;
}

/* A JSON blob: read once into memory, and the bytes hashed are the bytes parsed. */
static int json_blob_digest(int layoutfd, const char *digest, int64_t size, json_object **ret,
			    char *err, size_t errlen)
{
	_cleanup_close_ int fd = blob_open(layoutfd, digest, size, err, errlen);
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r;

	if (fd < 0)
		return fd;
	r = read_all(fd, digest, &text, &len, err, errlen);
	if (r >= 0)
		r = digest_check(text, len, digest, err, errlen);
	return r < 0 ? r : json_parse(text, digest, ret, err, errlen);
}

static int json_blob(int layoutfd, json_object *desc, json_object **ret, char *err, size_t errlen)
{
	json_object *d, *s;

	if (!json_object_object_get_ex(desc, "digest", &d) ||
	    !json_object_is_type(d, json_type_string) ||
	    !json_object_object_get_ex(desc, "size", &s) || !json_object_is_type(s, json_type_int))
		return errorf(err, errlen, -EINVAL, "a descriptor without digest or size");
	return json_blob_digest(layoutfd, json_object_get_string(d), json_object_get_int64(s), ret,
				err, errlen);
}

/* Hashes a whole blob in one pass (a layout's check: nothing of it is used here). */
static int blob_check(int layoutfd, const char *digest, int64_t size, char *err, size_t errlen)
{
	_cleanup_close_ int fd = blob_open(layoutfd, digest, size, err, errlen);
	HashedReader *h = NULL;
	int r;

	if (fd < 0)
		return fd;
	r = hashed_reader_new(fd, size, &h);
	if (r >= 0)
		r = hashed_reader_finish(h, digest, err, errlen);
	hashed_reader_free(h);
	return r;
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
static int pick_platform(int layoutfd, json_object *desc, char *out, size_t outlen, char *err,
			 size_t errlen)
{
	json_object *index = NULL, *list;
	int r = json_blob(layoutfd, desc, &index, err, errlen);

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

/* index.json of a layout folder: no link followed, no FIFO waited for. -ENOENT: not a layout. */
static int index_open(int layoutfd, json_object **ret, char *err, size_t errlen)
{
	_cleanup_close_ int fd = open_beneath(layoutfd, "index.json", O_RDONLY | O_NONBLOCK);

	if (fd == -ENOENT)
		return -ENOENT;
	if (fd < 0)
		return errorf(err, errlen, fd, "index.json: %s", strerror(-fd));
	return json_file(fd, "index.json", ret, err, errlen);
}

static int find_in_layout(const char *layout, const char *want, OciImage *ret, char *err,
			  size_t errlen)
{
	json_object *index = NULL, *list;
	_cleanup_close_ int lfd = open(layout, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char why[256];
	int r;

	if (lfd < 0)
		return -ENOENT;
	r = index_open(lfd, &index, why, sizeof(why));
	if (r < 0)
		return r == -ENOENT ? r : errorf(err, errlen, r, "%s: %s", layout, why);
	r = -ENOENT;
	if (json_object_object_get_ex(index, "manifests", &list) &&
	    json_object_is_type(list, json_type_array))
		for (size_t i = 0; i < json_object_array_length(list) && r == -ENOENT; i++) {
			json_object *m = json_object_array_get_idx(list, i);
			const char *mt = jstr(m, "mediaType"), *digest = jstr(m, "digest");
			if (!ref_matches(m, want) || !digest)
				continue;
			if (oci_digest_valid(digest) < 0) {
				r = errorf(err, errlen, -EINVAL, "%s/index.json: invalid digest", layout);
				break;
			}
			snprintf(ret->layout, sizeof(ret->layout), "%s", layout);
			snprintf(ret->ref, sizeof(ret->ref), "%s", want);
			if (mt && (streq(mt, MT_INDEX) || streq(mt, MT_DOCKER_LIST)))
				r = pick_platform(lfd, m, ret->manifest, sizeof(ret->manifest), err,
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

static int load_manifest(int layoutfd, const OciImage *img, json_object **ret, char *err,
			 size_t errlen)
{
	int r = json_blob_digest(layoutfd, img->manifest, -1, ret, err, errlen);

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
	free(c->layers);
	memset(c, 0, sizeof(*c));
}

/* The manifest's layer descriptors, each with a valid digest, a size and a tar media type. */
static int read_layers(json_object *manifest, const OciImage *img, OciConfig *ret, char *err,
		       size_t errlen)
{
	json_object *layers;
	size_t n;

	if (!json_object_object_get_ex(manifest, "layers", &layers) ||
	    !json_object_is_type(layers, json_type_array))
		return errorf(err, errlen, -EINVAL, "manifest %s has no layers", img->manifest);
	n = json_object_array_length(layers);
	if (n > OCI_LAYERS_MAX)
		return errorf(err, errlen, -E2BIG, "manifest %s has more than %d layers",
			      img->manifest, OCI_LAYERS_MAX);
	ret->layers = calloc(n ? n : 1, sizeof(OciLayer));
	if (!ret->layers)
		return errorf(err, errlen, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		json_object *l = json_object_array_get_idx(layers, i), *size;
		const char *digest = jstr(l, "digest"), *mt = jstr(l, "mediaType");
		if (!digest || oci_digest_valid(digest) < 0 ||
		    !json_object_object_get_ex(l, "size", &size) ||
		    !json_object_is_type(size, json_type_int))
			return errorf(err, errlen, -EINVAL, "layer %zu has no valid digest or size", i);
		if (mt && !startswith(mt, "application/vnd.oci.image.layer.v1.tar") &&
		    !startswith(mt, "application/vnd.docker.image.rootfs.diff.tar"))
			return errorf(err, errlen, -EINVAL, "layer %s: media type %s is not supported",
				      digest, mt);
		snprintf(ret->layers[i].digest, sizeof(ret->layers[i].digest), "%s", digest);
		ret->layers[i].size = json_object_get_int64(size);
		ret->n_layers++;
	}
	return 0;
}

int oci_config(const OciImage *img, OciConfig *ret, char *err, size_t errlen)
{
	json_object *manifest = NULL, *desc, *config = NULL, *cc;
	_cleanup_close_ int lfd = -EBADF;
	int r;

	memset(ret, 0, sizeof(*ret));
	lfd = layout_open(img->layout, err, errlen);
	if (lfd < 0)
		return lfd;
	r = load_manifest(lfd, img, &manifest, err, errlen);
	if (r < 0)
		return r;
	r = read_layers(manifest, img, ret, err, errlen);
	if (r >= 0 && !json_object_object_get_ex(manifest, "config", &desc))
		r = errorf(err, errlen, -EINVAL, "manifest %s has no config", img->manifest);
	else if (r >= 0)
		r = json_blob(lfd, desc, &config, err, errlen);
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

/* A whiteout entry (path checked safe): ".wh.NAME" removes NAME from its folder, ".wh..wh..opq"
 * empties the folder. The folder is resolved below the root without following any link, and
 * NAME is one plain name in it, so nothing outside the root can be reached. */
static int whiteout(int rootfd, const char *path, WhiteoutKind kind, const char *target)
{
	_cleanup_free_ char *copy = strdup(path);
	_cleanup_close_ int dfd = -EBADF;
	char *slash;

	if (!copy)
		return -ENOMEM;
	slash = strrchr(copy, '/');
	if (slash)
		*slash = '\0';
	dfd = open_beneath(rootfd, slash && *copy ? copy : ".", O_RDONLY | O_DIRECTORY);
	if (dfd == -ENOENT)
		return 0; /* nothing below to hide */
	if (dfd < 0)
		return dfd;
	if (kind == WHITEOUT_OPAQUE) {
		DIR *d = fdopendir(fcntl(dfd, F_DUPFD_CLOEXEC, 3));
		struct dirent *de;
		if (!d)
			return -errno;
		while ((de = readdir(d)))
			if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
				(void)rm_rf_at(dfd, de->d_name);
		closedir(d);
		return 0;
	}
	return rm_rf_at(dfd, target);
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

/* One layer through h (every byte libarchive reads is hashed) into the folder rootfd. */
static int unpack_layer(HashedReader *h, int rootfd, int cwd, const char *digest, UnpackBudget *b,
			char *err, size_t errlen)
{
	struct archive *a = archive_read_new(), *w = archive_write_disk_new();
	struct archive_entry *e;
	char why[400];
	int r = 0, ar;

	if (!a || !w) {
		r = -ENOMEM;
		goto out;
	}
	oci_archive_setup(a, w, ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_TIME |
				     ARCHIVE_EXTRACT_UNLINK);
	if (archive_read_open(a, h, NULL, hashed_reader_read, NULL) != ARCHIVE_OK) {
		r = errorf(err, errlen, -EINVAL, "layer %s: %s", digest, archive_error_string(a));
		goto out;
	}
	/* paths stay relative to the root, where libarchive's SECURE_* checks hold them */
	if (fchdir(rootfd) < 0) {
		r = -errno;
		goto out;
	}
	while ((ar = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *base, *target = NULL, *name = archive_entry_pathname(e);
		mode_t type = archive_entry_filetype(e);
		char last[256];
		WhiteoutKind wk;
		size_t n;

		r = unpack_check_entry(a, e, b, why, sizeof(why));
		if (r < 0) {
			errorf(err, errlen, r, "layer %s: %s", digest, why);
			goto out;
		}
		/* the last component, trailing slashes dropped ("dir/" is "dir") */
		n = strlen(name);
		while (n > 1 && name[n - 1] == '/')
			n--;
		base = memrchr(name, '/', n);
		base = base ? base + 1 : name;
		snprintf(last, sizeof(last), "%.*s", (int)(n - (size_t)(base - name)), base);
		if (streq(last, ".") || streq(last, "./"))
			continue;
		base = last;
		wk = whiteout_kind(base, &target);
		if (wk == _WHITEOUT_INVALID) {
			r = errorf(err, errlen, -EINVAL,
				   "layer %s: whiteout '%.200s' names no file", digest, name);
			goto out;
		}
		if (wk != WHITEOUT_NONE) {
			r = whiteout(rootfd, name, wk, target);
			if (r < 0) {
				errorf(err, errlen, r, "layer %s: whiteout %.200s failed: %s",
				       digest, name, strerror(-r));
				goto out;
			}
			continue;
		}
		if (type == AE_IFCHR || type == AE_IFBLK)
			continue; /* the runtime provides /dev */
		if (archive_write_header(w, e) < ARCHIVE_WARN) {
			r = errorf(err, errlen, -EINVAL, "layer %s: %.200s: %s", digest, name,
				   archive_error_string(w));
			goto out;
		}
		if (archive_entry_size(e) > 0 && oci_archive_copy(a, w) != ARCHIVE_OK) {
			r = errorf(err, errlen, -EIO, "layer %s: %.200s: %s", digest, name,
				   archive_error_string(a) ? archive_error_string(a)
							   : archive_error_string(w));
			goto out;
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

/* One layer blob (fd, the descriptor's size and digest) into rootfd: hashed as libarchive reads it,
 * then the rest of it; -EBADMSG when its size or digest does not match. */
static int layer_fd(int fd, int64_t size, const char *digest, int rootfd, int cwd, UnpackBudget *b,
		    char *err, size_t errlen)
{
	HashedReader *h = NULL;
	int r = hashed_reader_new(fd, size, &h);

	if (r >= 0)
		r = unpack_layer(h, rootfd, cwd, digest, b, err, errlen);
	/* a layer that failed to unpack may still be one whose blob was swapped: say so */
	if (h && (r >= 0 || r == -EINVAL || r == -EIO)) {
		char why[400];
		int k = hashed_reader_finish(h, digest, why, sizeof(why));
		if (k < 0) {
			r = k;
			snprintf(err, errlen, "%s", why);
		}
	}
	hashed_reader_free(h);
	return r;
}

int oci_unpack_layer(int fd, int64_t size, const char *digest, int rootfd, UnpackBudget *b,
		     char *err, size_t errlen)
{
	_cleanup_close_ int cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (cwd < 0)
		return errorf(err, errlen, -errno, "cannot open the current folder: %s",
			      strerror(errno));
	return layer_fd(fd, size, digest, rootfd, cwd, b, err, errlen);
}

/* Every layer of ic in order into the folder tmpfd; each blob opened once, hashed as it is read,
 * its digest and size compared when its tar has been read to the end. */
static int unpack_layers(int lfd, const OciConfig *ic, int tmpfd, UnpackBudget *b, char *err,
			 size_t errlen)
{
	_cleanup_close_ int cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = 0;

	if (cwd < 0)
		return errorf(err, errlen, -errno, "cannot open the current folder: %s",
			      strerror(errno));
	for (size_t i = 0; r >= 0 && i < ic->n_layers; i++) {
		const OciLayer *l = &ic->layers[i];
		_cleanup_close_ int fd = blob_open(lfd, l->digest, l->size, err, errlen);
		if (fd < 0)
			return fd;
		r = layer_fd(fd, l->size, l->digest, tmpfd, cwd, b, err, errlen);
	}
	return r;
}

int oci_unpack(const OciImage *img, const OciConfig *ic, const char *rootfs, UnpackBudget *budget,
	       char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	_cleanup_close_ int tmpfd = -EBADF, lfd = -EBADF;
	int r;

	if (snprintf(tmp, sizeof(tmp), "%s.unpack", rootfs) >= (int)sizeof(tmp))
		return errorf(err, errlen, -ENAMETOOLONG, "%s: path too long", rootfs);
	(void)rm_rf(tmp);
	if (mkdir(tmp, 0755) < 0)
		return errorf(err, errlen, -errno, "cannot create %s: %s", tmp, strerror(errno));
	tmpfd = open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (tmpfd < 0)
		r = errorf(err, errlen, -errno, "%s: %s", tmp, strerror(errno));
	else
		r = budget_limit_free_space(budget, tmpfd);
	if (r >= 0)
		r = lfd = layout_open(img->layout, err, errlen);
	if (r >= 0)
		r = unpack_layers(lfd, ic, tmpfd, budget, err, errlen);
	/* committed only when every layer's digest and size matched */
	if (r >= 0 && rename(tmp, rootfs) < 0)
		r = errorf(err, errlen, -errno, "cannot rename %s to %s: %s", tmp, rootfs,
			   strerror(errno));
	if (r < 0)
		(void)rm_rf(tmp);
	return r;
}

/* Checks one image manifest: its config and every layer against their digests and sizes. */
static int verify_manifest(int lfd, json_object *desc, char *err, size_t errlen)
{
	json_object *manifest = NULL, *config, *layers;
	int r = json_blob(lfd, desc, &manifest, err, errlen);

	if (r < 0)
		return r;
	if (!json_object_object_get_ex(manifest, "config", &config) ||
	    !json_object_object_get_ex(manifest, "layers", &layers) ||
	    !json_object_is_type(layers, json_type_array))
		r = errorf(err, errlen, -EINVAL, "manifest %s has no config or layers", jstr(desc, "digest"));
	else {
		json_object *cfg = NULL;
		r = json_blob(lfd, config, &cfg, err, errlen);
		json_object_put(cfg);
	}
	for (size_t i = 0; r >= 0 && i < json_object_array_length(layers); i++) {
		json_object *l = json_object_array_get_idx(layers, i), *size;
		const char *digest = jstr(l, "digest");
		if (!digest || !json_object_object_get_ex(l, "size", &size) ||
		    !json_object_is_type(size, json_type_int)) {
			r = errorf(err, errlen, -EINVAL, "a layer without digest or size");
			break;
		}
		r = blob_check(lfd, digest, json_object_get_int64(size), err, errlen);
	}
	json_object_put(manifest);
	return r;
}

int oci_verify_layout(const char *layout, char *err, size_t errlen)
{
	json_object *index = NULL, *list;
	_cleanup_close_ int lfd = -EBADF, fd = -EBADF;
	int r, n = 0;

	lfd = layout_open(layout, err, errlen);
	if (lfd < 0)
		return lfd;
	fd = open_beneath(lfd, "oci-layout", O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return errorf(err, errlen, -EINVAL, "not an OCI image layout (no oci-layout file)");
	r = index_open(lfd, &index, err, errlen);
	if (r == -ENOENT)
		return errorf(err, errlen, -EINVAL, "not an OCI image layout (no index.json)");
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
			r = json_blob(lfd, m, &sub, err, errlen);
			if (r >= 0 && json_object_object_get_ex(sub, "manifests", &subl) &&
			    json_object_is_type(subl, json_type_array))
				for (size_t k = 0; r >= 0 && k < json_object_array_length(subl); k++, n++)
					r = verify_manifest(lfd, json_object_array_get_idx(subl, k), err,
							    errlen);
			json_object_put(sub);
		} else {
			r = verify_manifest(lfd, m, err, errlen);
			n++;
		}
	}
	json_object_put(index);
	return r < 0 ? r : n;
}
