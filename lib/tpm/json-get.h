/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Typed JSON accessors for everything measured-boot/ parses (tokens, signed policies, event logs,
 * quotes). json-c hands back NULL or a default for a member that is missing, JSON null or of
 * another type; these return one thing only: the member, of the asked type, or nothing. Every
 * parser goes through them, so `null`, a number where a string belongs or an object where an
 * array belongs is refused, never dereferenced. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

/* obj[key] when obj is an object and the member exists with that type, else NULL. */
json_object *json_get(json_object *obj, const char *key, json_type type);
/* obj[key] as a string, or NULL (missing, null, another type). */
const char *json_get_str(json_object *obj, const char *key);
/* A JSON integer (not a double, string or bool) that fits an int, at obj[key] or at index i of an
 * array. -EBADMSG otherwise. */
int json_get_int(json_object *obj, const char *key, int *ret);
int json_array_int(json_object *arr, size_t i, int *ret);
/* v itself as a string, or NULL. */
const char *json_str(json_object *v);
