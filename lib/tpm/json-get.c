/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>

#include "json-get.h"

json_object *json_get(json_object *obj, const char *key, json_type type)
{
	json_object *v;

	if (!obj || !json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, key, &v) || !v || !json_object_is_type(v, type))
		return NULL;
	return v;
}

const char *json_str(json_object *v)
{
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

const char *json_get_str(json_object *obj, const char *key)
{
	return json_str(json_get(obj, key, json_type_string));
}

static int int_of(json_object *v, int *ret)
{
	int64_t n;

	if (!v || !json_object_is_type(v, json_type_int))
		return -EBADMSG;
	errno = 0;
	n = json_object_get_int64(v);
	if (errno || n < INT_MIN || n > INT_MAX)
		return -EBADMSG;
	*ret = (int)n;
	return 0;
}

int json_get_int(json_object *obj, const char *key, int *ret)
{
	return int_of(json_get(obj, key, json_type_int), ret);
}

int json_array_int(json_object *arr, size_t i, int *ret)
{
	if (!arr || !json_object_is_type(arr, json_type_array) || i >= json_object_array_length(arr))
		return -EBADMSG;
	return int_of(json_object_array_get_idx(arr, i), ret);
}
