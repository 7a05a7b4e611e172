/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node-config.h"
#include "source.h"
#include "util.h"

const char *config_source_name(ConfigSource s)
{
	static const char *const names[] = {
		[CONFIG_NONE] = "none",
		[CONFIG_FW_CFG] = "fw_cfg",
		[CONFIG_SMBIOS] = "smbios",
		[CONFIG_PARTITION] = "partition",
	};
	return (unsigned)s < ARRAY_SIZE(names) ? names[s] : "?";
}

/* Reads at most max bytes of path; -E2BIG when there are more, -ENOENT when it does not exist. */
static int read_bounded(const char *path, size_t max, char **ret, size_t *len)
{
	int r = read_small_file(path, max, ret);

	if (r < 0)
		return r == -EFBIG ? -E2BIG : r;
	*len = (size_t)r;
	return 0;
}

int smbios11_find(const uint8_t *raw, size_t len, const char *key, const char **value)
{
	size_t off, klen = strlen(key);
	unsigned count;

	/* type, length, handle (2), count; then the strings, each NUL-terminated, then a NUL. */
	if (len < 5 || raw[0] != 11 || raw[1] < 5 || raw[1] > len)
		return -EBADMSG;
	count = raw[4];
	off = raw[1];
	for (unsigned i = 0; i < count; i++) {
		const uint8_t *s = raw + off, *nul = memchr(s, '\0', len - off);

		if (off >= len || !nul)
			return -EBADMSG;
		if ((size_t)(nul - s) >= klen && memcmp(s, key, klen) == 0) {
			*value = (const char *)s + klen;
			return 1;
		}
		off += (size_t)(nul - s) + 1;
	}
	return 0;
}

static int b64_decode(const char *s, char **ret, size_t *len)
{
	size_t n = strlen(s), pad = 0;
	_cleanup_free_ char *out = NULL;
	int k;

	if (n == 0 || n % 4 != 0 || n / 4 * 3 > NODE_CONFIG_MAX + 2)
		return n / 4 * 3 > NODE_CONFIG_MAX + 2 ? -E2BIG : -EBADMSG;
	for (size_t i = 0; i < n; i++)
		if (!(s[i] >= 'A' && s[i] <= 'Z') && !(s[i] >= 'a' && s[i] <= 'z') &&
		    !(s[i] >= '0' && s[i] <= '9') && s[i] != '+' && s[i] != '/' &&
		    !(s[i] == '=' && i >= n - 2 && (i == n - 1 || s[n - 1] == '=')))
			return -EBADMSG;
	pad = (s[n - 1] == '=') + (s[n - 2] == '=');
	out = malloc(n / 4 * 3 + 1);
	if (!out)
		return -ENOMEM;
	k = EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
	if (k < 0 || (size_t)k < pad)
		return -EBADMSG;
	*len = (size_t)k - pad;
	if (*len > NODE_CONFIG_MAX)
		return -E2BIG;
	out[*len] = '\0';
	*ret = TAKE_PTR(out);
	return 0;
}

static int read_smbios(const char *dmi_dir, char **ret, size_t *len)
{
	if (access(dmi_dir, F_OK) < 0)
		return errno == ENOENT ? 0 : -errno;
	/* Type 11 entries are named 11-0, 11-1, ...: the first one with the key wins. */
	for (unsigned i = 0; i < 64; i++) {
		_cleanup_free_ char *raw = NULL;
		char path[512];
		const char *v;
		size_t n;
		int r;

		snprintf(path, sizeof(path), "%s/11-%u/raw", dmi_dir, i);
		r = read_bounded(path, 128 * 1024, &raw, &n);
		if (r == -ENOENT)
			break;
		if (r < 0)
			return r;
		r = smbios11_find((const uint8_t *)raw, n, SMBIOS_CONFIG_KEY, &v);
		if (r < 0)
			return r;
		if (r > 0) {
			r = b64_decode(v, ret, len);
			return r < 0 ? r : 1;
		}
	}
	return 0;
}

int node_config_read_firmware(const char *fw_cfg_path, const char *dmi_dir, char **ret, size_t *len,
			      ConfigSource *source)
{
	int r = read_bounded(fw_cfg_path, NODE_CONFIG_MAX, ret, len);

	if (r == 0) {
		*source = CONFIG_FW_CFG;
		return 1;
	}
	if (r != -ENOENT)
		return r;
	r = read_smbios(dmi_dir, ret, len);
	if (r > 0)
		*source = CONFIG_SMBIOS;
	return r;
}

int node_config_read_partition(const char *path, char **ret, size_t *len)
{
	_cleanup_free_ char *buf = NULL;
	size_t n;
	int r;

	r = read_bounded(path, NODE_CONFIG_MAX, &buf, &n);
	if (r == -E2BIG) {
		/* A partition is larger than the config: what counts ends at the first NUL. */
		_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t k;

		if (fd < 0)
			return -errno;
		buf = malloc(NODE_CONFIG_MAX + 1);
		if (!buf)
			return -ENOMEM;
		k = pread(fd, buf, NODE_CONFIG_MAX + 1, 0);
		if (k < 0)
			return -errno;
		n = (size_t)k;
		if (!memchr(buf, '\0', n))
			return -E2BIG;
	} else if (r < 0)
		return r;
	n = strnlen(buf, n);
	if (n == 0)
		return 0;
	buf[n] = '\0';
	*len = n;
	*ret = TAKE_PTR(buf);
	return 1;
}
