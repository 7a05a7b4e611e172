/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the kernel command line parser (untrusted in direct-kernel boots). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), err[160];
	KccCmdline c;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)cmdline_parse(s, &c, err, sizeof(err));
	free(s);
	return 0;
}
