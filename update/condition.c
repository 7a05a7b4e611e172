/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The rollback condition (condition.h). */
#include <json-c/json.h>
#include <stdio.h>

#include "apply.h"
#include "commands.h"
#include "condition.h"
#include "util.h"

#define NPD_OK 0
#define NPD_NONOK 1
#define NPD_UNKNOWN 2

/* The condition file at path already reports this rollback (the same versions): its line was
 * logged before in this boot (the file is on /run), so it is not logged again on every poll. */
static bool already_reported(const char *path, const char *rolled_back, const char *running)
{
	_cleanup_free_ char *data = NULL;
	struct json_object *o, *rb, *run;
	bool same = false;

	if (read_small_file(path, 4096, &data) < 0)
		return false;
	o = json_tokener_parse(data);
	if (o && json_object_object_get_ex(o, "rolled_back", &rb) && json_object_is_type(rb, json_type_string) &&
	    json_object_object_get_ex(o, "running", &run) && json_object_is_type(run, json_type_string))
		same = streq(json_object_get_string(rb), rolled_back) && streq(json_object_get_string(run), running);
	json_object_put(o);
	return same;
}

int condition_write(const Node *n)
{
	const EspEntry *oe = node_other_entry(n);
	const bool rolled = oe && esp_entry_is_bad(oe) && n->layout.pairs[n->layout.other].valid &&
			    node_entry(n, n->version);
	const char *run = n->paths.run_dir ?: NODE_RUN_DIR;
	struct json_object *o = json_object_new_object();
	char msg[300], path[512], tmp[520];
	bool logged = false;
	int r;

	if (rolled)
		snprintf(msg, sizeof(msg), "%s was rolled back: its boot entry is marked bad, the node runs %s again",
			 oe->version, n->version);
	else
		snprintf(msg, sizeof(msg), "running %s, no rollback", n->version);
	json_object_object_add(o, "type", json_object_new_string("KccUpdateRolledBack"));
	json_object_object_add(o, "status", json_object_new_string(rolled ? "True" : "False"));
	json_object_object_add(o, "reason", json_object_new_string(rolled ? "UpdateRolledBack" : "NoRollback"));
	json_object_object_add(o, "message", json_object_new_string(msg));
	json_object_object_add(o, "running", json_object_new_string(n->version));
	json_object_object_add(o, "rolled_back", rolled ? json_object_new_string(oe->version) : NULL);
	snprintf(path, sizeof(path), "%s/kcc", run);
	(void)mkdir_p(path, 0755);
	snprintf(path, sizeof(path), "%s/" CONDITION_FILE, run);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	logged = rolled && already_reported(path, oe->version, n->version);
	r = write_new_file(tmp, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
			   0644);
	json_object_put(o);
	if (r >= 0 && rename(tmp, path) < 0)
		r = -errno;
	/* once a boot: the line becomes KCC-UPDATE-ROLLED-BACK (docs/events.md), one per rollback */
	if (rolled && !logged)
		fprintf(stderr, "kcc-update: ROLLED BACK: %s\n", msg);
	return r < 0 ? r : 0;
}

int cmd_condition(int argc, char **argv)
{
	_cleanup_free_ char *data = NULL;
	const char *path = "/run/" CONDITION_FILE;
	struct json_object *o, *st, *msg;
	int r, code = NPD_UNKNOWN;

	if (argc == 3 && streq(argv[1], "--file"))
		path = argv[2];
	else if (argc != 1)
		return say_error(EXIT_USAGE, "usage: kcc-update condition [--file PATH]");
	r = read_small_file(path, 4096, &data);
	if (r < 0) {
		printf("no update condition (%s: %s)\n", path, strerror(-r));
		return NPD_UNKNOWN;
	}
	o = json_tokener_parse(data);
	if (o && json_object_object_get_ex(o, "status", &st) && json_object_object_get_ex(o, "message", &msg) &&
	    json_object_is_type(msg, json_type_string)) {
		const char *s = json_object_get_string(st);

		code = streq(s, "True") ? NPD_NONOK : streq(s, "False") ? NPD_OK : NPD_UNKNOWN;
		puts(json_object_get_string(msg));
	} else
		printf("bad update condition in %s\n", path);
	json_object_put(o);
	return code;
}
