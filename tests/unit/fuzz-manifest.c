/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: kcc-kubelet's manifest parser (libyaml tree, then the Pod subset). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	Pod p;

	pod_parse((const char *)data, size, &p, err, sizeof(err));
	pod_free(&p);
	return 0;
}
