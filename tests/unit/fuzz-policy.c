/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the node's pod policy file parser, the host path spelling, and admission of a
 * pod with a hostPath under the parsed policy. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char pod_text[] =
		"apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: data}\nspec:\n"
		"  hostNetwork: true\n"
		"  volumes: [{name: h, hostPath: {path: /var/lib/data/x}}]\n"
		"  containers:\n  - name: c\n    image: i\n"
		"    securityContext: {runAsUser: 0, capabilities: {add: [NET_ADMIN]}}\n"
		"    volumeMounts: [{name: h, mountPath: /h, readOnly: false}]\n";
	static PodPolicy pol;
	char err[1024], path[300], canon[300];
	const char *which;
	uid_t uid;
	gid_t gid;
	Pod p;

	pod_policy_parse((const char *)data, size, "fuzz", &pol, err, sizeof(err));
	if (size < sizeof(path)) {
		memcpy(path, data, size);
		path[size] = '\0';
		if (host_path_canonical(path, canon, sizeof(canon)) == 0)
			(void)host_path_forbidden(canon, &which);
	}
	if (pod_parse(pod_text, strlen(pod_text), &p, err, sizeof(err)) == 0) {
		pod_admit(&pol, &p, err, sizeof(err));
		pod_user(&pol, &p, &p.containers[0], "1000:1000", &uid, &gid, err, sizeof(err));
	}
	pod_free(&p);
	return 0;
}
