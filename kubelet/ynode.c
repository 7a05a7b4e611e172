/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "ynode.h"

typedef struct Builder {
	yaml_parser_t parser;
	unsigned nodes;
	char *err;
	size_t errlen;
} Builder;

YNode *ynode_free(YNode *n)
{
	while (n) {
		YNode *next = n->next;
		ynode_free(n->children);
		free(n->value);
		free(n->key);
		free(n);
		n = next;
	}
	return NULL;
}

static int fail(Builder *b, unsigned line, int r, const char *what)
{
	snprintf(b->err, b->errlen, "line %u: %s", line + 1, what);
	return r;
}

static int next_event(Builder *b, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&b->parser, ev))
		return fail(b, (unsigned)b->parser.problem_mark.line, -EINVAL,
			    b->parser.problem ? b->parser.problem : "YAML syntax error");
	return 0;
}

static int build(Builder *b, yaml_event_t *ev, unsigned depth, YNode **ret);

/* Reads children until the end event of a map or a sequence. */
static int build_children(Builder *b, YNode *n, unsigned depth)
{
	YNode **tail = &n->children;

	for (;;) {
		yaml_event_t ev;
		YNode *child = NULL;
		char *key = NULL;
		int r = next_event(b, &ev);
		if (r < 0)
			return r;
		if (ev.type == YAML_MAPPING_END_EVENT || ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		if (n->type == YNODE_MAP) {
			if (ev.type != YAML_SCALAR_EVENT) {
				unsigned line = (unsigned)ev.start_mark.line;
				yaml_event_delete(&ev);
				return fail(b, line, -EINVAL, "a map key must be a plain string");
			}
			key = strndup((const char *)ev.data.scalar.value, ev.data.scalar.length);
			yaml_event_delete(&ev);
			if (!key)
				return -ENOMEM;
			for (YNode *c = n->children; c; c = c->next)
				if (strcmp(c->key, key) == 0) {
					unsigned line = (unsigned)b->parser.mark.line;
					free(key);
					return fail(b, line, -EINVAL, "duplicate map key");
				}
			r = next_event(b, &ev);
			if (r < 0) {
				free(key);
				return r;
			}
		}
		r = build(b, &ev, depth + 1, &child);
		yaml_event_delete(&ev);
		if (r < 0) {
			free(key);
			ynode_free(child);
			return r;
		}
		child->key = key;
		*tail = child;
		tail = &child->next;
		n->n_children++;
	}
}

static int build(Builder *b, yaml_event_t *ev, unsigned depth, YNode **ret)
{
	unsigned line = (unsigned)ev->start_mark.line;
	YNode *n;
	int r;

	if (depth > YAML_DEPTH_MAX)
		return fail(b, line, -E2BIG, "nested too deeply");
	if (++b->nodes > YAML_NODES_MAX)
		return fail(b, line, -E2BIG, "too many nodes");
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		return fail(b, line, -EINVAL, "YAML aliases are not supported");
	case YAML_SCALAR_EVENT:
	case YAML_MAPPING_START_EVENT:
	case YAML_SEQUENCE_START_EVENT:
		break;
	default:
		return fail(b, line, -EINVAL, "unexpected YAML event");
	}
	if ((ev->type == YAML_SCALAR_EVENT && ev->data.scalar.anchor) ||
	    (ev->type == YAML_MAPPING_START_EVENT && ev->data.mapping_start.anchor) ||
	    (ev->type == YAML_SEQUENCE_START_EVENT && ev->data.sequence_start.anchor))
		return fail(b, line, -EINVAL, "YAML anchors are not supported");
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->line = line + 1;
	*ret = n;
	if (ev->type == YAML_SCALAR_EVENT) {
		n->type = YNODE_SCALAR;
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		n->value = strndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
		if (!n->value)
			return -ENOMEM;
		if (strlen(n->value) != ev->data.scalar.length)
			return fail(b, line, -EINVAL, "a string holds a NUL byte");
		return 0;
	}
	n->type = ev->type == YAML_MAPPING_START_EVENT ? YNODE_MAP : YNODE_SEQ;
	r = build_children(b, n, depth);
	return r;
}

int ynode_parse(const char *text, size_t len, YNode **ret, char *err, size_t errlen)
{
	Builder b = { .err = err, .errlen = errlen };
	yaml_event_t ev;
	YNode *root = NULL;
	int r;

	*ret = NULL;
	if (errlen)
		err[0] = '\0';
	if (len > YAML_INPUT_MAX) {
		snprintf(err, errlen, "larger than %d bytes", YAML_INPUT_MAX);
		return -E2BIG;
	}
	if (!yaml_parser_initialize(&b.parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&b.parser, (const unsigned char *)text, len);
	/* stream start, document start */
	for (;;) {
		r = next_event(&b, &ev);
		if (r < 0)
			goto out;
		yaml_event_type_t t = ev.type;
		if (t == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			r = fail(&b, 0, -EINVAL, "empty document");
			goto out;
		}
		if (t == YAML_STREAM_START_EVENT || t == YAML_DOCUMENT_START_EVENT) {
			yaml_event_delete(&ev);
			continue;
		}
		break;
	}
	r = build(&b, &ev, 0, &root);
	yaml_event_delete(&ev);
	if (r < 0)
		goto out;
	r = next_event(&b, &ev); /* document end */
	if (r < 0)
		goto out;
	yaml_event_delete(&ev);
	r = next_event(&b, &ev);
	if (r < 0)
		goto out;
	if (ev.type != YAML_STREAM_END_EVENT) {
		r = fail(&b, (unsigned)ev.start_mark.line, -EINVAL,
			 "more than one document (one pod per file)");
		yaml_event_delete(&ev);
		goto out;
	}
	yaml_event_delete(&ev);
	*ret = root;
	root = NULL;
out:
	ynode_free(root);
	yaml_parser_delete(&b.parser);
	return r;
}

const YNode *ynode_get(const YNode *map, const char *key)
{
	if (!map || map->type != YNODE_MAP)
		return NULL;
	for (const YNode *c = map->children; c; c = c->next)
		if (strcmp(c->key, key) == 0)
			return c;
	return NULL;
}
