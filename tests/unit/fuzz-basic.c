/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: lib/basic's text readers, the key = value reader (service files,
 * network.conf, hardening.conf) and the mountinfo line parser (paths anyone can choose). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kv.h"
#include "mountinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), buf[128], err[96], *k, *v;
	MountInfo *m = malloc(sizeof(*m));
	KvParser kv;

	if (s && m) {
		memcpy(s, data, size);
		s[size] = '\0';
		kv_init(&kv, s, buf, sizeof(buf));
		while (kv_next(&kv, &k, &v, err, sizeof(err)) > 0)
			if (strlen(k) + strlen(v) >= sizeof(buf))
				abort();
		(void)mountinfo_parse_line(s, m);
	}
	free(m);
	free(s);
	return 0;
}
