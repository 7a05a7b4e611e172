/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-update status, apply, rollback, cancel (commands.h, docs/upgrades.md "kcc-update"). */
#include <getopt.h>
#include <json-c/json.h>
#include <stdarg.h>

#include "apply.h"
#include "commands.h"
#include "bundle-source.h"
#include "condition.h"
#include "pull.h"
#include "status.h"
#include "util.h"

int say_error(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("kcc-update: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

int node_args_parse(int argc, char **argv, NodeArgs *ret)
{
	enum { O_KEY = 1, O_SOCKET, O_DISK, O_ESP, O_CMDLINE, O_OSREL, O_RUN, O_CONFIG, O_PULL, O_INTERVAL, O_PID };
	static const struct option opts[] = {
		{ "key", required_argument, NULL, O_KEY },         { "socket", optional_argument, NULL, O_SOCKET },
		{ "disk", required_argument, NULL, O_DISK },       { "esp-dir", required_argument, NULL, O_ESP },
		{ "cmdline", required_argument, NULL, O_CMDLINE }, { "os-release", required_argument, NULL, O_OSREL },
		{ "run-dir", required_argument, NULL, O_RUN },     { "config", required_argument, NULL, O_CONFIG },
		{ "pull", no_argument, NULL, O_PULL },             { "interval", required_argument, NULL, O_INTERVAL },
		{ "init-pid", required_argument, NULL, O_PID },    {},
	};
	NodeArgs a = { .key = DEFAULT_UPDATE_KEY, .interval_s = PULL_INTERVAL_S, .init_pid = 1 };
	unsigned long v;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case O_KEY: a.key = optarg; break;
		case O_SOCKET: a.socket = optarg ?: DEFAULT_SOCKET; break;
		case O_DISK: a.paths.disk = optarg; break;
		case O_ESP: a.paths.esp_dir = optarg; break;
		case O_CMDLINE: a.paths.cmdline = optarg; break;
		case O_OSREL: a.paths.os_release = optarg; break;
		case O_RUN: a.paths.run_dir = optarg; break;
		case O_CONFIG: a.config = optarg; break;
		case O_PULL: a.pull = true; break;
		case O_INTERVAL:
			if (parse_uint(optarg, 1, 86400, &v) < 0)
				return -EINVAL;
			a.interval_s = (unsigned)v;
			break;
		case O_PID:
			if (parse_uint(optarg, 1, 4194304, &v) < 0)
				return -EINVAL;
			a.init_pid = (pid_t)v;
			break;
		default: return -EINVAL;
		}
	}
	if (optind < argc - 1)
		return -EINVAL;
	a.operand = optind < argc ? argv[optind] : NULL;
	*ret = a;
	return 0;
}

static int open_node(const NodeArgs *a, Node *n)
{
	char err[300];
	int r = node_open(n, &a->paths, err, sizeof(err));

	return r < 0 ? say_error(EXIT_SYSTEM, "%s", err) : 0;
}

static int cmd_status(int argc, char **argv)
{
	NodeArgs a;
	Node n;
	struct json_object *o;
	int code;

	if (node_args_parse(argc, argv, &a) < 0 || a.operand)
		return say_error(EXIT_USAGE, "usage: kcc-update status [--socket [PATH]] [NODE OPTIONS]");
	if (a.socket)
		return client_request(a.socket, "status", NULL);
	code = open_node(&a, &n);
	if (code)
		return code;
	o = status_json(&n);
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	node_close(&n);
	return 0;
}

static int cmd_apply(int argc, char **argv)
{
	NodeArgs a;
	Node n;
	BundleKey *key = NULL;
	ApplyResult res;
	char err[300];
	int code, fd;

	if (node_args_parse(argc, argv, &a) < 0 || !a.operand)
		return say_error(EXIT_USAGE, "usage: kcc-update apply [--key PEM] [--socket [PATH]] [NODE OPTIONS] FILE|-|URL");
	if (a.socket)
		return client_request(a.socket, "apply", a.operand);
	fd = source_open(a.operand, err, sizeof(err));
	if (fd < 0)
		return say_error(fd == -EPROTONOSUPPORT || fd == -EINVAL ? EXIT_USAGE : EXIT_SYSTEM, "%s", err);
	if (bundle_key_load(a.key, false, &key, err, sizeof(err)) < 0) {
		close(fd);
		return say_error(EXIT_USAGE, "%s", err);
	}
	code = open_node(&a, &n);
	if (code == 0) {
		apply_stream(&n, key, fd, a.operand, &res);
		node_close(&n);
		code = res.code;
		if (code == 0)
			puts(res.line);
		else
			say_error(code, "%s", res.line);
	}
	close(fd);
	bundle_key_free(key);
	return code;
}

/* The running entry to +0 (the loader orders it last), in two renames: counted with one try, then
 * marked bad; a power cut between them leaves it bootable with one try. */
static int demote_running(const Node *n)
{
	EspEntry e = { .counted = true, .left = 1 };
	char name[ESP_NAME_MAX], path[ESP_NAME_MAX + 16];
	int r;

	snprintf(e.version, sizeof(e.version), "%s", n->version);
	r = esp_set_tries(n->esp, n->version, 1);
	if (r >= 0)
		r = esp_entry_format(&e, name, sizeof(name));
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "/" ESP_ENTRIES_DIR "/%s", name);
	return esp_mark_bad(n->esp, path, NULL);
}

/* The other slot's entry boots next: the running entry goes to +0, so the loader orders it last. */
static int cmd_rollback(int argc, char **argv)
{
	NodeArgs a;
	Node n;
	const EspEntry *oe;
	const SlotPair *op;
	int code, r;

	if (node_args_parse(argc, argv, &a) < 0 || a.operand)
		return say_error(EXIT_USAGE, "usage: kcc-update rollback [NODE OPTIONS]");
	code = open_node(&a, &n);
	if (code)
		return code;
	oe = node_other_entry(&n);
	op = &n.layout.pairs[n.layout.other];
	if (!oe || !op->valid)
		code = say_error(EXIT_REFUSED, "rollback: refused: the other slot %c holds no bootable version", op->letter);
	else if (esp_entry_is_bad(oe))
		code = say_error(EXIT_REFUSED, "rollback: refused: the other slot's version %s is marked bad", oe->version);
	else if (node_reboot_needed(&n))
		printf("rollback: %s boots next already\n", oe->version);
	else if ((r = demote_running(&n)) < 0)
		code = say_error(EXIT_SYSTEM, "rollback: cannot change the boot entry of %s: %s", n.version, strerror(-r));
	else if ((r = node_sentinel(&n, true)) < 0)
		code = say_error(EXIT_SYSTEM, "rollback: cannot write the reboot sentinel: %s", strerror(-r));
	else
		printf("rollback: %s (slot %c) boots after the next reboot\n", oe->version, op->letter);
	node_close(&n);
	return code;
}

/* A staged update (written, never booted) goes: its entry first (so it can no longer boot),
 * then its slot is marked empty. */
static int cmd_cancel(int argc, char **argv)
{
	NodeArgs a;
	Node n;
	const EspEntry *oe;
	char err[300];
	int code, r;

	if (node_args_parse(argc, argv, &a) < 0 || a.operand)
		return say_error(EXIT_USAGE, "usage: kcc-update cancel [NODE OPTIONS]");
	code = open_node(&a, &n);
	if (code)
		return code;
	oe = node_other_entry(&n);
	if (!oe || !oe->counted || oe->done != 0 || esp_entry_is_bad(oe)) {
		printf("cancel: no staged update\n");
	} else if ((r = esp_remove(n.esp, oe->version)) < 0)
		code = say_error(EXIT_SYSTEM, "cancel: cannot remove the boot entry of %s: %s", oe->version, strerror(-r));
	else if (slot_mark_empty(n.disk, &n.layout.pairs[n.layout.other], err, sizeof(err)) < 0)
		code = say_error(EXIT_SYSTEM, "cancel: %s", err);
	else if ((r = node_sentinel(&n, false)) < 0)
		code = say_error(EXIT_SYSTEM, "cancel: cannot remove the reboot sentinel: %s", strerror(-r));
	else
		printf("cancel: the staged update %s is removed\n", oe->version);
	node_close(&n);
	return code;
}

const NodeCommand node_commands[8] = {
	{ "status", cmd_status }, { "apply", cmd_apply }, { "rollback", cmd_rollback },   { "cancel", cmd_cancel },
	{ "serve", cmd_serve },   { "pull", cmd_pull },   { "condition", cmd_condition }, { "status-server", cmd_status_server },
};
