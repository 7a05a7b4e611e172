/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-update status (status.h). */
#include <json-c/json.h>
#include <stdio.h>
#include <sys/stat.h>

#include "status.h"
#include "util.h"

static void add_entry(struct json_object *o, const EspEntry *e)
{
	json_object_object_add(o, "blessed", e ? json_object_new_boolean(!e->counted) : NULL);
	json_object_object_add(o, "tries_left", e && e->counted ? json_object_new_int((int)e->left) : NULL);
	json_object_object_add(o, "bad", json_object_new_boolean(e && esp_entry_is_bad(e)));
}

/* The state of the other slot: empty (no bootable root), staged (written, its UKI not booted
 * yet), installed (booted before: the fallback), bad (its entry is at +0), or orphan (a root
 * without an entry, e.g. a power cut before the commit). */
static const char *other_state(const Node *n, const SlotPair *p, const EspEntry *e)
{
	if (!p->valid)
		return "empty";
	if (!e)
		return "orphan";
	if (esp_entry_is_bad(e))
		return "bad";
	if (e->counted && e->done == 0)
		return "staged";
	(void)n;
	return "installed";
}

struct json_object *status_json(const Node *n)
{
	const SlotPair *run = &n->layout.pairs[n->layout.running], *oth = &n->layout.pairs[n->layout.other];
	const EspEntry *re = node_entry(n, n->version), *oe = node_other_entry(n);
	const char *state = other_state(n, oth, oe), *next = node_next_boot(n);
	struct json_object *o = json_object_new_object(), *r = json_object_new_object(), *x = json_object_new_object();
	char slot[2] = { run->letter, 0 };

	json_object_object_add(r, "slot", json_object_new_string(slot));
	json_object_object_add(r, "version", json_object_new_string(n->version));
	json_object_object_add(r, "roothash", json_object_new_string(n->roothash));
	json_object_object_add(r, "security_epoch", json_object_new_int((int)n->epoch));
	json_object_object_add(r, "boot_entry", json_object_new_boolean(re != NULL));
	add_entry(r, re);
	if (!re) /* direct kernel boot: no loader counts tries, nothing to bless */
		json_object_object_add(r, "blessed", json_object_new_boolean(true));
	json_object_object_add(o, "running", r);

	slot[0] = oth->letter;
	json_object_object_add(x, "slot", json_object_new_string(slot));
	json_object_object_add(x, "state", json_object_new_string(state));
	json_object_object_add(x, "version", oe && oth->valid ? json_object_new_string(oe->version) : NULL);
	json_object_object_add(x, "roothash", oth->valid ? json_object_new_string(oth->roothash) : NULL);
	add_entry(x, oth->valid ? oe : NULL);
	json_object_object_add(o, "other", x);

	json_object_object_add(o, "staged_update", streq(state, "staged") ? json_object_new_string(oe->version) : NULL);
	json_object_object_add(o, "next_boot", next ? json_object_new_string(next) : json_object_new_string(n->version));
	json_object_object_add(o, "reboot_required", json_object_new_boolean(node_reboot_needed(n)));
	json_object_object_add(o, "rolled_back", json_object_new_boolean(re && oe && !streq(state, "staged") &&
									   esp_entry_is_bad(oe) && oth->valid));
	return o;
}

int status_write(const Node *n)
{
	char path[512];
	struct json_object *o;
	const char *s;
	struct stat st;
	int r;

	snprintf(path, sizeof(path), "%s/" STATUS_DIR, n->paths.run_dir ?: NODE_RUN_DIR);
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) /* no status endpoint configured */
		return 0;
	o = status_json(n);
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	snprintf(path, sizeof(path), "%s/" STATUS_DIR "/" STATUS_FILE, n->paths.run_dir ?: NODE_RUN_DIR);
	r = replace_file_durably(path, s, strlen(s), 0644);
	json_object_put(o);
	return r;
}
