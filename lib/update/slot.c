/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The slot layout and the slot writer (slot.h, docs/upgrades.md "Slots"). */
#include <ctype.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <limits.h>

#include "esp.h"
#include "slot.h"
#include "util.h"

const char *const slot_step_names[_SLOT_STEP_MAX] = {
	[SLOT_STEP_MARK_EMPTY] = "mark-empty",   [SLOT_STEP_REMOVE_ENTRY] = "remove-entry",
	[SLOT_STEP_WRITE] = "write",             [SLOT_STEP_VERIFY] = "verify",
	[SLOT_STEP_SET_GPT] = "set-gpt",         [SLOT_STEP_INSTALL] = "install",
	[SLOT_STEP_COMMIT] = "commit",           [SLOT_STEP_STAGED] = "staged",
};

struct SlotWriter {
	SlotWriterConfig cfg;
	BundleManifest m; /* a copy of what matters: version, roothash, epoch (parts point into the reader) */
	const BundleManifest *manifest;
	SlotResult result;
	bool refused;
	int disk_fd;
	int file_fd[_BUNDLE_PART_MAX]; /* memfds of the UKI and its signature */
	char err[256];
};

static int fail(SlotWriter *w, bool refused, int r, const char *fmt, ...) _printf_(4, 5);
static int fail(SlotWriter *w, bool refused, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->err, sizeof(w->err), fmt, ap);
	va_end(ap);
	w->refused = refused;
	return r;
}

static int fault(SlotWriter *w, SlotStep step)
{
	int r;

	if (!w->cfg.fault)
		return 0;
	r = w->cfg.fault(w->cfg.fault_userdata, step);
	return r < 0 ? fail(w, false, r, "stopped before step %s (fault point)", slot_step_names[step]) : 0;
}

int slot_roothash_uuids(const char *rh, char root_uuid[GPT_UUID_LEN + 1], char verity_uuid[GPT_UUID_LEN + 1])
{
	char *out[2] = { root_uuid, verity_uuid };

	if (!rh || strlen(rh) != 64)
		return -EINVAL;
	for (size_t i = 0; i < 64; i++)
		if (!isxdigit((unsigned char)rh[i]))
			return -EINVAL;
	for (int h = 0; h < 2; h++) {
		const char *s = rh + 32 * h;
		char lower[33];

		for (int i = 0; i < 32; i++)
			lower[i] = (char)tolower((unsigned char)s[i]);
		lower[32] = 0;
		snprintf(out[h], GPT_UUID_LEN + 1, "%.8s-%.4s-%.4s-%.4s-%.12s", lower, lower + 8, lower + 12,
			 lower + 16, lower + 20);
	}
	return 0;
}

static void uuid_to_hex(const char *uuid, char *out)
{
	for (; *uuid; uuid++)
		if (*uuid != '-')
			*out++ = *uuid;
	*out = 0;
}

static void pair_check(SlotPair *p)
{
	char name[GPT_NAME_MAX + 1], vname[GPT_NAME_MAX + 1];

	snprintf(name, sizeof(name), "root-%c", p->letter);
	snprintf(vname, sizeof(vname), "root-%c-verity", p->letter);
	p->valid = streq(p->root.name, name) && streq(p->verity.name, vname) && !p->root.no_auto && !p->verity.no_auto;
	p->roothash[0] = 0;
	if (p->valid) {
		uuid_to_hex(p->root.uuid, p->roothash);
		uuid_to_hex(p->verity.uuid, p->roothash + 32);
	}
}

int slot_layout_read(const char *disk, const char *running_roothash, SlotLayout *ret, char *err, size_t errlen)
{
	char ru[GPT_UUID_LEN + 1], vu[GPT_UUID_LEN + 1];
	GptTable t;
	SlotLayout l = { .running = -1, .other = -1 };
	size_t n_pairs = 0;
	bool have_esp = false;
	int r;

	if (slot_roothash_uuids(running_roothash, ru, vu) < 0)
		return errorf(err, errlen, -EINVAL, "the running root hash '%s' is not 64 hex digits", running_roothash);
	r = gpt_read(disk, &t, err, errlen);
	if (r < 0)
		return r;
	for (size_t i = 0; i < t.n; i++) {
		if (streq(t.parts[i].type, GPT_TYPE_ESP) && !have_esp) {
			l.esp = t.parts[i];
			have_esp = true;
		}
		if (!streq(t.parts[i].type, GPT_TYPE_ROOT))
			continue;
		if (i + 1 >= t.n || !streq(t.parts[i + 1].type, GPT_TYPE_ROOT_VERITY))
			return errorf(err, errlen, -EINVAL, "%s: root partition %zu is not followed by its verity partition",
				      disk, t.parts[i].partno + 1);
		if (n_pairs == 2)
			return errorf(err, errlen, -EINVAL, "%s: more than two root slots", disk);
		l.pairs[n_pairs] = (SlotPair){ .letter = (char)('a' + n_pairs), .root = t.parts[i], .verity = t.parts[i + 1] };
		pair_check(&l.pairs[n_pairs]);
		if (streq(t.parts[i].uuid, ru) && streq(t.parts[i + 1].uuid, vu))
			l.running = (int)n_pairs;
		n_pairs++;
	}
	if (n_pairs != 2)
		return errorf(err, errlen, -EINVAL, "%s: %zu root slots, an A/B disk has 2", disk, n_pairs);
	if (!have_esp)
		return errorf(err, errlen, -EINVAL, "%s: no ESP", disk);
	if (l.running < 0)
		return errorf(err, errlen, -ENOENT, "%s: no slot has the running root hash %s", disk, running_roothash);
	l.other = 1 - l.running;
	*ret = l;
	return 0;
}

static int random_uuid(char out[GPT_UUID_LEN + 1])
{
	uint8_t b[16];
	char hex[65];

	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		return -errno;
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", b[i]);
	for (int i = 32; i < 64; i++)
		hex[i] = '0';
	hex[64] = 0;
	char unused[GPT_UUID_LEN + 1];
	return slot_roothash_uuids(hex, out, unused);
}

int slot_mark_empty(const char *disk, const SlotPair *p, char *err, size_t errlen)
{
	char u1[GPT_UUID_LEN + 1], u2[GPT_UUID_LEN + 1];
	int r = random_uuid(u1);

	if (r >= 0)
		r = random_uuid(u2);
	if (r < 0)
		return errorf(err, errlen, r, "cannot get random bytes: %s", strerror(-r));
	const GptChange ch[2] = {
		{ .partno = p->root.partno, .name = SLOT_EMPTY_NAME, .uuid = u1, .no_auto = true },
		{ .partno = p->verity.partno, .name = SLOT_EMPTY_NAME, .uuid = u2, .no_auto = true },
	};
	return gpt_change(disk, ch, 2, err, errlen);
}

int slot_writer_new(const SlotWriterConfig *cfg, SlotWriter **ret)
{
	SlotWriter *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	w->cfg = *cfg;
	w->disk_fd = -EBADF;
	for (size_t i = 0; i < _BUNDLE_PART_MAX; i++)
		w->file_fd[i] = -EBADF;
	*ret = w;
	return 0;
}

SlotWriter *slot_writer_free(SlotWriter *w)
{
	if (!w)
		return NULL;
	closep(&w->disk_fd);
	for (size_t i = 0; i < _BUNDLE_PART_MAX; i++)
		closep(&w->file_fd[i]);
	free(w);
	return NULL;
}

SlotResult slot_writer_result(const SlotWriter *w)
{
	return w->result;
}

const BundleManifest *slot_writer_manifest(const SlotWriter *w)
{
	return w->manifest ? &w->m : NULL;
}

const char *slot_writer_error(const SlotWriter *w)
{
	return w->err;
}

bool slot_writer_refused(const SlotWriter *w)
{
	return w->refused;
}

static const GptPart *part_target(const SlotWriter *w, BundlePartId id)
{
	const SlotPair *p = &w->cfg.layout->pairs[w->cfg.layout->other];

	return id == BUNDLE_PART_ROOT ? &p->root : id == BUNDLE_PART_VERITY ? &p->verity : NULL;
}

/* The entries on the ESP that are not the running version's: the other slot's (at most one in
 * a sane ESP; every one goes). */
static int remove_other_entries(SlotWriter *w)
{
	EspEntry e[ESP_ENTRIES_MAX];
	size_t n = 0;
	int r;

	r = esp_list(w->cfg.esp, e, ESP_ENTRIES_MAX, &n);
	if (r < 0)
		return fail(w, false, r, "cannot list the boot entries on the ESP: %s", strerror(-r));
	for (size_t i = 0; i < n; i++) {
		if (streq(e[i].version, w->cfg.running_version))
			continue;
		r = esp_remove(w->cfg.esp, e[i].version);
		if (r < 0 && r != -ENOENT)
			return fail(w, false, r, "cannot remove the boot entry of %s from the ESP: %s", e[i].version,
				    strerror(-r));
	}
	r = esp_clean_temp(w->cfg.esp);
	return r < 0 ? fail(w, false, r, "cannot remove temporary files from the ESP: %s", strerror(-r)) : 0;
}

/* true when <esp>/<sub>/<name> holds exactly the part (its size and SHA-256): a file a power cut
 * left short (a vfat entry renamed but not yet given its size) is not an installed one. */
static bool esp_file_is_part(const char *esp, const char *sub, const char *name, const BundlePart *p)
{
	_cleanup_free_ uint8_t *buf = malloc(1u << 16);
	_cleanup_close_ int fd = -EBADF;
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	char path[PATH_MAX];
	EVP_MD_CTX *ctx;
	struct stat st;
	bool ok = false;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s/%s", esp, sub, name);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (!buf || fd < 0 || fstat(fd, &st) < 0 || (uint64_t)st.st_size != p->size || !(ctx = EVP_MD_CTX_new()))
		return false;
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto out;
	while ((n = read(fd, buf, 1u << 16)) > 0)
		if (EVP_DigestUpdate(ctx, buf, (size_t)n) != 1)
			goto out;
	ok = n == 0 && EVP_DigestFinal_ex(ctx, d, &dlen) == 1 && memcmp(d, p->sha256, BUNDLE_DIGEST_SIZE) == 0;
out:
	EVP_MD_CTX_free(ctx);
	return ok;
}

static bool already_staged(const SlotWriter *w, const BundleManifest *m)
{
	const SlotPair *o = &w->cfg.layout->pairs[w->cfg.layout->other];
	char name[ESP_NAME_MAX], sig[ESP_NAME_MAX];
	EspEntry e;

	if (!o->valid || strcasecmp(o->roothash, m->roothash) != 0 || esp_find(w->cfg.esp, m->version, &e) < 0 ||
	    esp_entry_is_bad(&e) || esp_entry_format(&e, name, sizeof(name)) < 0)
		return false;
	snprintf(sig, sizeof(sig), ESP_PCRSIG_PREFIX "%s" ESP_PCRSIG_SUFFIX, m->version);
	return esp_file_is_part(w->cfg.esp, ESP_ENTRIES_DIR, name, &m->parts[BUNDLE_PART_UKI]) &&
	       esp_file_is_part(w->cfg.esp, ESP_CREDS_DIR, sig, &m->parts[BUNDLE_PART_PCRSIG]);
}

static int on_manifest(void *userdata, const BundleManifest *m)
{
	SlotWriter *w = userdata;
	const SlotLayout *l = w->cfg.layout;
	int r;

	if (!streq(m->image_id, "kcc-node"))
		return fail(w, true, -EPERM, "the bundle is an image of '%s', not kcc-node", m->image_id);
	if (m->security_epoch < w->cfg.node_epoch)
		return fail(w, true, -EPERM, "version %s has security epoch %u, below this node's %u: refused (downgrade)",
			    m->version, m->security_epoch, w->cfg.node_epoch);
	for (BundlePartId id = BUNDLE_PART_ROOT; id <= BUNDLE_PART_VERITY; id++)
		if (m->parts[id].size > part_target(w, id)->size)
			return fail(w, true, -EFBIG, "part %s (%" PRIu64 " bytes) does not fit its partition (%" PRIu64 " bytes)",
				    m->parts[id].name, m->parts[id].size, part_target(w, id)->size);
	memcpy(&w->m, m, sizeof(w->m));
	w->manifest = m;
	if (strcasecmp(m->roothash, l->pairs[l->running].roothash) == 0 ||
	    (streq(m->version, w->cfg.running_version) && l->pairs[l->running].roothash[0] == 0)) {
		w->result = SLOT_RESULT_RUNNING;
		return -EALREADY;
	}
	if (streq(m->version, w->cfg.running_version))
		return fail(w, true, -EPERM, "version %s is the running version, under another root hash", m->version);
	/* The loader boots the newest version first: an older one would be staged and never booted. */
	if (esp_version_compare(m->version, w->cfg.running_version) < 0)
		return fail(w, true, -EPERM, "version %s sorts before the running %s: the loader would never boot it "
					     "(going back to the other slot's release is kcc-update rollback)",
			    m->version, w->cfg.running_version);
	/* A release this node rolled back: applying it again would only roll back again (and a
	 * re-run of a pipeline's job would stage it in a loop). A fix is a newer version. */
	EspEntry be;
	if (esp_find(w->cfg.esp, m->version, &be) >= 0 && esp_entry_is_bad(&be))
		return fail(w, true, -EPERM, "version %s was rolled back on this node (its boot entry is marked bad): "
					     "refused; publish a newer version",
			    m->version);
	if (already_staged(w, m)) {
		w->result = SLOT_RESULT_ALREADY_STAGED;
		return -EALREADY;
	}

	/* Before any byte: the other pair can no longer be booted (no UUID a UKI names, no entry). */
	r = fault(w, SLOT_STEP_MARK_EMPTY);
	if (r < 0)
		return r;
	r = slot_mark_empty(w->cfg.disk, &l->pairs[l->other], w->err, sizeof(w->err));
	if (r < 0)
		return r;
	r = fault(w, SLOT_STEP_REMOVE_ENTRY);
	if (r < 0)
		return r;
	r = remove_other_entries(w);
	if (r < 0)
		return r;
	w->disk_fd = open(w->cfg.disk, O_RDWR | O_CLOEXEC);
	if (w->disk_fd < 0)
		return fail(w, false, -errno, "cannot open %s: %m", w->cfg.disk);
	for (BundlePartId id = BUNDLE_PART_UKI; id < _BUNDLE_PART_MAX; id++) {
		w->file_fd[id] = memfd_create(bundle_part_names[id], MFD_CLOEXEC);
		if (w->file_fd[id] < 0)
			return fail(w, false, -errno, "cannot create a memory file: %m");
	}
	return 0;
}

static int write_all_at(int fd, const uint8_t *buf, size_t len, uint64_t off)
{
	while (len > 0) {
		ssize_t n = pwrite(fd, buf, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		buf += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int on_data(void *userdata, const BundlePart *part, uint64_t offset, const uint8_t *buf, size_t len)
{
	SlotWriter *w = userdata;
	const GptPart *t = part_target(w, part->id);
	int r;

	if (!t) { /* UKI and signature: kept in memory until the slot is verified */
		r = write_all_at(w->file_fd[part->id], buf, len, offset);
		return r < 0 ? fail(w, false, r, "cannot keep part %s in memory: %s", part->name, strerror(-r)) : 0;
	}
	r = fault(w, SLOT_STEP_WRITE);
	if (r < 0)
		return r;
	if (offset + len > t->size)
		return fail(w, false, -EFBIG, "part %s overflows its partition", part->name);
	r = write_all_at(w->disk_fd, buf, len, t->start + offset);
	return r < 0 ? fail(w, false, r, "cannot write part %s to %s: %s", part->name, w->cfg.disk, strerror(-r)) : 0;
}

const BundleCallbacks slot_writer_callbacks = { .manifest = on_manifest, .data = on_data };

/* Reads a written part back from the disk (not the page cache: synced, then dropped) and checks
 * every chunk against the signed manifest's hashes. */
static int verify_part(SlotWriter *w, const BundlePart *p)
{
	const GptPart *t = part_target(w, p->id);
	_cleanup_free_ uint8_t *buf = malloc(w->m.chunk_size);
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned dlen;

	if (!buf)
		return fail(w, false, -ENOMEM, "out of memory");
	(void)posix_fadvise(w->disk_fd, (off_t)t->start, (off_t)p->size, POSIX_FADV_DONTNEED);
	for (size_t i = 0; i < p->n_chunks; i++) {
		uint64_t off = (uint64_t)i * w->m.chunk_size;
		size_t len = (size_t)(p->size - off < w->m.chunk_size ? p->size - off : w->m.chunk_size);
		ssize_t n = pread(w->disk_fd, buf, len, (off_t)(t->start + off));

		if (n != (ssize_t)len)
			return fail(w, false, n < 0 ? -errno : -EIO, "cannot read part %s back from %s", p->name, w->cfg.disk);
		if (EVP_Digest(buf, len, d, &dlen, EVP_sha256(), NULL) != 1)
			return fail(w, false, -ENOMEM, "cannot compute SHA-256");
		if (memcmp(d, p->chunks[i], BUNDLE_DIGEST_SIZE) != 0)
			return fail(w, false, -EIO, "part %s: chunk %zu read back from the disk does not match its hash",
				    p->name, i);
	}
	return 0;
}

static int fault_commit(void *userdata)
{
	return fault(userdata, SLOT_STEP_COMMIT);
}

int slot_writer_finish(SlotWriter *w)
{
	const SlotLayout *l = w->cfg.layout;
	const SlotPair *o = &l->pairs[l->other];
	char ru[GPT_UUID_LEN + 1], vu[GPT_UUID_LEN + 1], name[GPT_NAME_MAX + 1], vname[GPT_NAME_MAX + 1];
	int r;

	if (!w->manifest || w->disk_fd < 0)
		return fail(w, false, -EINVAL, "no bundle was written");
	if (fdatasync(w->disk_fd) < 0)
		return fail(w, false, -errno, "cannot sync %s: %m", w->cfg.disk);
	r = fault(w, SLOT_STEP_VERIFY);
	if (r < 0)
		return r;
	for (BundlePartId id = BUNDLE_PART_ROOT; id <= BUNDLE_PART_VERITY; id++) {
		r = verify_part(w, &w->m.parts[id]);
		if (r < 0)
			return r;
	}
	r = fault(w, SLOT_STEP_SET_GPT);
	if (r < 0)
		return r;
	(void)slot_roothash_uuids(w->m.roothash, ru, vu);
	snprintf(name, sizeof(name), "root-%c", o->letter);
	snprintf(vname, sizeof(vname), "root-%c-verity", o->letter);
	const GptChange ch[2] = {
		{ .partno = o->root.partno, .name = name, .uuid = ru, .no_auto = false },
		{ .partno = o->verity.partno, .name = vname, .uuid = vu, .no_auto = false },
	};
	r = gpt_change(w->cfg.disk, ch, 2, w->err, sizeof(w->err));
	if (r < 0)
		return r;
	r = fault(w, SLOT_STEP_INSTALL);
	if (r < 0)
		return r;
	r = esp_install_hooked(w->cfg.esp, w->m.version, w->file_fd[BUNDLE_PART_UKI], w->file_fd[BUNDLE_PART_PCRSIG],
			       SLOT_TRIES, fault_commit, w);
	if (r < 0 && w->err[0]) /* the fault point's own message */
		return r;
	if (r < 0)
		return fail(w, false, r, "cannot install the boot entry of %s on the ESP: %s", w->m.version, strerror(-r));
	w->result = SLOT_RESULT_STAGED;
	return fault(w, SLOT_STEP_STAGED);
}
