/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-update: the node's update tool (docs/upgrades.md, "kcc-update"): verify-bundle and info
 * (a bundle against an update-signing public key), status, apply (into the other slot),
 * rollback, cancel, serve (the node-local socket), pull (pull.h), condition (condition.h) and
 * status-server (status.h).
 * Exit codes: 0 ok, 1 refused, 100 usage, 111 system failure. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "apply.h"
#include "bundle.h"
#include "commands.h"
#include "util.h"

#define DEFAULT_KEY "/usr/lib/kcc/update-key.pem"
#define READ_SIZE (64u << 10)

static void usage(FILE *f)
{
	fputs("usage: kcc-update verify-bundle [--key PEM] BUNDLE|-\n"
	      "       kcc-update info [--key PEM] BUNDLE|-\n"
	      "       kcc-update status [NODE OPTIONS]\n"
	      "       kcc-update apply [--key PEM] [NODE OPTIONS] FILE|-|http://HOST[:PORT]/PATH\n"
	      "       kcc-update apply --socket [PATH] FILE|-    (through kcc-update serve)\n"
	      "       kcc-update rollback|cancel [NODE OPTIONS]\n"
	      "       kcc-update serve [--key PEM] [--socket PATH] [--pull [--interval S] [--config JSON]] [NODE OPTIONS]\n"
	      "       kcc-update pull [--key PEM] [--config JSON] [--init-pid PID] [NODE OPTIONS]\n"
	      "       kcc-update condition [--file PATH]    (node-problem-detector: 0 ok, 1 rolled back, 2 unknown)\n"
	      "       kcc-update status-server [--port-file PATH] [--file PATH] [--address IPV4]    (GET /status, read-only)\n"
	      "--key: the update-signing public key (default " DEFAULT_KEY ")\n"
	      "NODE OPTIONS (tests): --disk FILE --esp-dir DIR --cmdline FILE --os-release FILE --run-dir DIR\n",
	      f);
}

typedef struct Count {
	uint64_t bytes[_BUNDLE_PART_MAX];
} Count;

static int count_data(void *userdata, const BundlePart *part, uint64_t offset, const uint8_t *buf, size_t len)
{
	Count *c = userdata;

	(void)buf;
	if (offset != c->bytes[part->id])
		return -EPROTO;
	c->bytes[part->id] += len;
	return 0;
}

/* Streams path (or stdin) through the reader; stop_at_manifest ends the read once the manifest is
 * known. Returns an exit code. */
static int stream(const char *path, BundleReader *r, bool stop_at_manifest)
{
	_cleanup_close_ int fd = streq(path, "-") ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ uint8_t *buf = malloc(READ_SIZE);
	int k;

	if (fd < 0)
		return say_error(EXIT_SYSTEM, "cannot open %s: %m", path);
	if (!buf)
		return say_error(EXIT_SYSTEM, "out of memory");
	for (;;) {
		ssize_t n = read(fd, buf, READ_SIZE);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return say_error(EXIT_SYSTEM, "cannot read %s: %m", path);
		if (n == 0)
			break;
		k = bundle_reader_feed(r, buf, (size_t)n);
		if (k < 0)
			return say_error(k == -ENOMEM ? EXIT_SYSTEM : EXIT_REFUSED, "%s: %s", path, bundle_reader_error(r));
		if (stop_at_manifest && bundle_reader_manifest(r))
			return 0;
	}
	k = bundle_reader_finish(r);
	if (k < 0)
		return say_error(EXIT_REFUSED, "%s: %s", path, bundle_reader_error(r));
	return 0;
}

static int parse_key_opt(int argc, char **argv, const char **key, const char **path)
{
	static const struct option opts[] = { { "key", required_argument, NULL, 'k' }, {} };
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'k')
			return -EINVAL;
		*key = optarg;
	}
	if (optind != argc - 1)
		return -EINVAL;
	*path = argv[optind];
	return 0;
}

static int cmd_verify(int argc, char **argv)
{
	const char *keypath = DEFAULT_KEY, *path;
	BundleKey *key = NULL;
	BundleReader *r = NULL;
	Count count = {};
	const BundleCallbacks cb = { .data = count_data };
	char err[256];
	int code;

	if (parse_key_opt(argc, argv, &keypath, &path) < 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (bundle_key_load(keypath, false, &key, err, sizeof(err)) < 0)
		return say_error(EXIT_USAGE, "%s", err);
	if (bundle_reader_new(key, &cb, &count, &r) < 0) {
		bundle_key_free(key);
		return say_error(EXIT_SYSTEM, "out of memory");
	}
	code = stream(path, r, false);
	if (code == 0) {
		const BundleManifest *m = bundle_reader_manifest(r);

		printf("bundle: %s %s %s verified: security epoch %u, root hash %s, %" PRIu64 " bytes\n",
		       m->image_id, m->variant, m->version, m->security_epoch, m->roothash, bundle_reader_offset(r));
	}
	bundle_reader_free(r);
	bundle_key_free(key);
	return code;
}

static int cmd_info(int argc, char **argv)
{
	const char *keypath = NULL, *path;
	BundleKey *key = NULL;
	BundleReader *r = NULL;
	char err[256];
	int code;

	if (parse_key_opt(argc, argv, &keypath, &path) < 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (keypath && bundle_key_load(keypath, false, &key, err, sizeof(err)) < 0)
		return say_error(EXIT_USAGE, "%s", err);
	if (bundle_reader_new(key, NULL, NULL, &r) < 0) {
		bundle_key_free(key);
		return say_error(EXIT_SYSTEM, "out of memory");
	}
	code = stream(path, r, true);
	if (code == 0 && !bundle_reader_manifest(r))
		code = say_error(EXIT_REFUSED, "%s: no manifest", path);
	if (code == 0) {
		struct json_object *o = bundle_manifest_to_json(bundle_reader_manifest(r), false);

		/* With a key only the manifest's signature is checked here, not the payload. */
		json_object_object_add(o, "signature", json_object_new_string(key ? "verified" : "not checked"));
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	}
	bundle_reader_free(r);
	bundle_key_free(key);
	return code;
}

int main(int argc, char **argv)
{
	if (argc < 2 || streq(argv[1], "--help") || streq(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	optind = 1;
	if (streq(argv[1], "verify-bundle"))
		return cmd_verify(argc - 1, argv + 1);
	if (streq(argv[1], "info"))
		return cmd_info(argc - 1, argv + 1);
	for (size_t i = 0; i < ARRAY_SIZE(node_commands); i++)
		if (streq(argv[1], node_commands[i].name))
			return node_commands[i].run(argc - 1, argv + 1);
	usage(stderr);
	return say_error(EXIT_USAGE, "unknown command '%s'", argv[1]);
}
