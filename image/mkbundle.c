/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mkbundle: the builder's writer of the update bundle (lib/update, docs/upgrades.md).
 * mkbundle --key PRIVATE.pem --version V --epoch N --variant prod|test --roothash HEX
 *          [--chunk-size BYTES] --out FILE ROOT.EROFS ROOT.VERITY UKI.EFI PCR-SIGNATURE.JSON
 * Exit codes: 0 ok, 100 bad input, 111 system failure. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bundle.h"
#include "util.h"

static int copy_str(char *dst, size_t size, const char *src, const char *what)
{
	if (strlen(src) >= size)
		return cli_fail(100, "%s '%s' is too long", what, src);
	strcpy(dst, src);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },	 { "version", required_argument, NULL, 'v' },
		{ "epoch", required_argument, NULL, 'e' },	 { "variant", required_argument, NULL, 'V' },
		{ "roothash", required_argument, NULL, 'r' },	 { "out", required_argument, NULL, 'o' },
		{ "chunk-size", required_argument, NULL, 'c' }, {},
	};
	const char *keypath = NULL, *out = NULL;
	BundleManifest m = { .format = BUNDLE_FORMAT };
	int fds[_BUNDLE_PART_MAX], ofd, c, r;
	unsigned long x;
	BundleKey *key = NULL;
	char err[256];

	strcpy(m.image_id, "kcc-node");
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'k': keypath = optarg; break;
		case 'o': out = optarg; break;
		case 'v':
			if (copy_str(m.version, sizeof(m.version), optarg, "version"))
				return 100;
			break;
		case 'V':
			if (copy_str(m.variant, sizeof(m.variant), optarg, "variant"))
				return 100;
			break;
		case 'r':
			if (copy_str(m.roothash, sizeof(m.roothash), optarg, "root hash"))
				return 100;
			break;
		case 'e':
			if (parse_uint(optarg, 0, BUNDLE_EPOCH_MAX, &x) < 0)
				return cli_fail(100, "--epoch %s: not a number in 0..%u", optarg, BUNDLE_EPOCH_MAX);
			m.security_epoch = (unsigned)x;
			break;
		case 'c':
			if (parse_uint(optarg, BUNDLE_CHUNK_MIN, BUNDLE_CHUNK_MAX, &x) < 0)
				return cli_fail(100, "--chunk-size %s: not a number in %u..%u", optarg, BUNDLE_CHUNK_MIN,
					   BUNDLE_CHUNK_MAX);
			m.chunk_size = (uint32_t)x;
			break;
		default: return 100;
		}
	}
	if (!keypath || !out || !m.version[0] || !m.variant[0] || !m.roothash[0] ||
	    argc - optind != _BUNDLE_PART_MAX)
		return cli_fail(100, "usage: mkbundle --key PEM --version V --epoch N --variant V --roothash HEX "
				"--out FILE ROOT.EROFS ROOT.VERITY UKI.EFI PCR-SIGNATURE.JSON");
	if (bundle_key_load(keypath, true, &key, err, sizeof(err)) < 0)
		return cli_fail(100, "%s", err);
	for (int i = 0; i < _BUNDLE_PART_MAX; i++) {
		fds[i] = open(argv[optind + i], O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0)
			return cli_fail(100, "cannot open %s: %m", argv[optind + i]);
	}
	ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (ofd < 0)
		return cli_fail(111, "cannot create %s: %m", out);
	r = bundle_write(ofd, &m, fds, key, err, sizeof(err));
	bundle_key_free(key);
	if (r < 0) {
		unlink(out);
		return cli_fail(r == -EINVAL ? 100 : 111, "%s", err);
	}
	if (fsync(ofd) < 0 || close(ofd) < 0) {
		unlink(out);
		return cli_fail(111, "cannot write %s: %m", out);
	}
	return 0;
}
