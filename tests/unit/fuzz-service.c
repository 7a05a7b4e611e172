/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the service file parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "service.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), err[256];
	ServiceConfig c;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (service_config_parse("fuzz", s, &c, err, sizeof(err)) == 0)
		service_config_done(&c);
	free(s);
	return 0;
}
