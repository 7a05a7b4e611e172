/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One request of the service: its path and body in, the answer's status and JSON out. */
#include <errno.h>
#include <string.h>

#include "util.h"
#include "verifier.h"

static char *to_string(json_object *o)
{
	char *s = o ? strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE))
		    : NULL;

	json_object_put(o);
	return s;
}

static json_object *message(const char *key, const char *text)
{
	json_object *o = json_object_new_object();

	if (o)
		json_object_object_add(o, key, json_object_new_string(text));
	return o;
}

static json_object *refusal(Verifier *v, const char *why)
{
	json_object *o = message("verdict", "contraindicated"), *reasons = json_object_new_array();

	if (!o || !reasons) {
		json_object_put(o);
		json_object_put(reasons);
		return NULL;
	}
	json_object_object_add(o, "policy",
			       json_object_new_string(verifier_policy_to_string(v->policy)));
	json_object_array_add(reasons, json_object_new_string(why));
	json_object_object_add(o, "reasons", reasons);
	return o;
}

static json_object *handle_start(Verifier *v, const char *body, size_t len, int *status)
{
	AttestStart m;
	AttestChallenge c;
	json_object *o;
	char err[300];
	int r;

	if (attest_start_parse(body, len, &m, err, sizeof(err)) < 0) {
		*status = 400;
		return message("error", err);
	}
	r = verifier_start(v, &m, &c, err, sizeof(err));
	attest_start_done(&m);
	if (r < 0) {
		*status = r == -EPERM ? 403 : 500;
		return r == -EPERM ? refusal(v, err) : message("error", err);
	}
	o = attest_challenge_json(&c);
	attest_challenge_done(&c);
	*status = 200;
	return o;
}

static json_object *handle_finish(Verifier *v, const char *body, size_t len, int *status)
{
	AttestFinish m;
	json_object *o = NULL;
	char err[300];
	int r;

	if (attest_finish_parse(body, len, &m, err, sizeof(err)) < 0) {
		*status = 400;
		return message("error", err);
	}
	r = verifier_finish(v, &m, &o);
	attest_finish_done(&m);
	*status = r > 0 ? 200 : r == 0 ? 403 : 500;
	return r < 0 ? message("error", "the evidence could not be appraised") : o;
}

int verifier_handle(Verifier *v, const char *path, const char *body, size_t len, int *status,
		    char **ret)
{
	json_object *o;

	if (streq(path, "/v1/start"))
		o = handle_start(v, body, len, status);
	else if (streq(path, "/v1/finish"))
		o = handle_finish(v, body, len, status);
	else {
		*status = 404;
		o = message("error", "no such endpoint");
	}
	*ret = to_string(o);
	return *ret ? 0 : -ENOMEM;
}
