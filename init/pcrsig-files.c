/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <json-c/json.h>
#include <stdlib.h>

#include "log.h"
#include "pcrsig-files.h"
#include "util.h"

static int name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_pcrsig(const struct dirent *d)
{
	size_t n = strlen(d->d_name), s = strlen(PCRSIG_SUFFIX);

	return startswith(d->d_name, PCRSIG_PREFIX) && n > s && streq(d->d_name + n - s, PCRSIG_SUFFIX);
}

/* Appends the entries of each bank of one file to merged. */
static int merge_one(json_object *merged, const char *path)
{
	_cleanup_free_ char *text = NULL;
	json_object *o;
	int r = read_small_file(path, 256 * 1024, &text);

	if (r < 0)
		return r;
	o = json_tokener_parse(text);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return -EBADMSG;
	}
	json_object_object_foreach(o, bank, entries)
	{
		json_object *dst;

		if (!json_object_is_type(entries, json_type_array))
			continue;
		if (!json_object_object_get_ex(merged, bank, &dst)) {
			dst = json_object_new_array();
			json_object_object_add(merged, bank, dst);
		}
		for (size_t i = 0; i < json_object_array_length(entries); i++)
			json_object_array_add(dst, json_object_get(json_object_array_get_idx(entries, i)));
	}
	json_object_put(o);
	return 0;
}

int pcrsig_files_merge(const char *dir, char **ret_json)
{
	struct dirent **names = NULL;
	json_object *merged;
	int n = scandir(dir, &names, is_pcrsig, name_cmp), used = 0;

	if (n < 0)
		return -errno;
	merged = json_object_new_object();
	for (int i = 0; i < n; i++) {
		char path[512];
		int r;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		r = merge_one(merged, path);
		if (r < 0)
			log_warning_errno(r, "Failed to read the PCR signature %s, ignoring: %m", path);
		else
			used++;
		free(names[i]);
	}
	free(names);
	if (used > 0)
		*ret_json = strdup(json_object_to_json_string_ext(merged, JSON_C_TO_STRING_PLAIN));
	json_object_put(merged);
	if (used == 0)
		return -ENOENT;
	return *ret_json ? 0 : -ENOMEM;
}
