/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: kcc-kubelet's manifest parser (libyaml tree, then the Pod subset), then the
 * node's restricted admission of what it parsed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const PodPolicy restricted;
	char err[512];
	uid_t uid;
	gid_t gid;
	Pod p;

	if (pod_parse((const char *)data, size, &p, err, sizeof(err)) == 0) {
		pod_admit(&restricted, &p, err, sizeof(err));
		for (unsigned i = 0; i < p.n_containers; i++)
			pod_user(&restricted, &p, &p.containers[i], "0", &uid, &gid, err, sizeof(err));
	}
	pod_free(&p);
	return 0;
}
