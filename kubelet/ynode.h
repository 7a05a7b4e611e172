/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The libyaml adapter: parses one YAML (or JSON) document into a small tree. Untrusted input: the
 * size, depth and node count are bounded; anchors and aliases are refused (no "billion laughs"). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define YAML_INPUT_MAX (1024 * 1024)
#define YAML_DEPTH_MAX 32
#define YAML_NODES_MAX 20000

typedef enum YNodeType { YNODE_SCALAR, YNODE_MAP, YNODE_SEQ } YNodeType;

typedef struct YNode YNode;
struct YNode {
	YNodeType type;
	bool plain;      /* a scalar without quotes (so "true" and "1" may be a bool or a number) */
	char *value;     /* scalars */
	char *key;       /* set when the node is a map's value: its key */
	YNode *children; /* maps (values, each with its key) and sequences */
	YNode *next;
	unsigned n_children, line;
};

/* Parses text; on error returns -EINVAL (or -E2BIG, -ENOMEM) and writes the reason into err. */
int ynode_parse(const char *text, size_t len, YNode **ret, char *err, size_t errlen);
YNode *ynode_free(YNode *n);
/* The value under key in a map, or NULL. */
const YNode *ynode_get(const YNode *map, const char *key);
