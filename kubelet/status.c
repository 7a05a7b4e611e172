/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The read-only status of every pod and container, as JSON (GET /pods, `kcc-kubelet pods`). The
 * redacted one (127.0.0.1, any local user) has no host PIDs and nothing a container or a manifest
 * wrote (messages, the last log line); the full one is for root over the Unix socket. */
#include <json-c/json.h>

#include "kubelet.h"
#include "util.h"

static const char *phase_of(const PodState *p)
{
	bool running = false, all_done = true, any_failed = false;

	if (p->rejected)
		return "Failed";
	for (unsigned i = 0; i < p->pod.n_containers; i++) {
		const CtrState *s = &p->ctrs[i];
		running = running || s->phase == CTR_RUNNING;
		all_done = all_done && s->phase == CTR_TERMINATED;
		any_failed = any_failed || (s->phase == CTR_TERMINATED && s->last_exit != 0);
	}
	if (all_done)
		return any_failed ? "Failed" : "Succeeded";
	return running ? "Running" : "Pending";
}

static json_object *container_json(const PodState *p, unsigned i, bool full)
{
	const CtrState *s = &p->ctrs[i];
	json_object *c = json_object_new_object();
	static const char *const phases[] = { "waiting", "running", "terminated" };

	json_object_object_add(c, "name", json_object_new_string(p->pod.containers[i].name));
	json_object_object_add(c, "image", json_object_new_string(p->pod.containers[i].image));
	json_object_object_add(c, "state", json_object_new_string(phases[s->phase]));
	if (s->phase == CTR_WAITING && s->waiting_reason[0])
		json_object_object_add(c, "reason", json_object_new_string(s->waiting_reason));
	if (full && s->message[0])
		json_object_object_add(c, "message", json_object_new_string(s->message));
	json_object_object_add(c, "ready", json_object_new_boolean(s->ready));
	json_object_object_add(c, "restarts", json_object_new_int((int)s->restarts));
	if (full && s->phase == CTR_RUNNING && s->init_pid > 0)
		json_object_object_add(c, "pid", json_object_new_int(s->init_pid));
	if (s->last_exit >= 0) {
		json_object *t = json_object_new_object();
		json_object_object_add(t, "exitCode", json_object_new_int(s->last_exit));
		json_object_object_add(t, "reason", json_object_new_string(s->last_reason));
		if (full && s->exit_message[0])
			json_object_object_add(t, "message", json_object_new_string(s->exit_message));
		json_object_object_add(c, "lastExit", t);
	}
	return c;
}

char *status_json(bool full)
{
	json_object *root = json_object_new_object(), *list = json_object_new_array();
	char *out;

	for (unsigned k = 0; k < PODS_MAX; k++) {
		const PodState *p = &pods[k];
		json_object *o, *cs;
		bool ready = !p->rejected;
		if (!p->used)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "namespace",
				       json_object_new_string(p->pod.namespace ? p->pod.namespace : ""));
		json_object_object_add(o, "name", json_object_new_string(p->pod.name ? p->pod.name : ""));
		json_object_object_add(o, "uid", json_object_new_string(p->uid));
		if (full)
			json_object_object_add(o, "source", json_object_new_string(p->source));
		json_object_object_add(o, "phase", json_object_new_string(phase_of(p)));
		if (p->rejected) {
			json_object_object_add(o, "reason", json_object_new_string(p->reason));
			if (full)
				json_object_object_add(o, "message",
						       json_object_new_string(p->message));
		}
		cs = json_object_new_array();
		for (unsigned i = 0; !p->rejected && i < p->pod.n_containers; i++) {
			json_object_array_add(cs, container_json(p, i, full));
			ready = ready && p->ctrs[i].ready;
		}
		json_object_object_add(o, "ready", json_object_new_boolean(ready));
		json_object_object_add(o, "containers", cs);
		json_object_array_add(list, o);
	}
	json_object_object_add(root, "pods", list);
	out = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
	json_object_put(root);
	return out;
}
