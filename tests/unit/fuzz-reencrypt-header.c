/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the LUKS2 metadata JSON kcc-init checks before it accepts a re-encryption of
 * the state volume (init/reencrypt-check.c): whoever writes the disk writes it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reencrypt-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), reason[200];
	ReencryptRecord rec;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)reencrypt_header_check(s, &rec, reason, sizeof(reason));
	free(s);
	return 0;
}
