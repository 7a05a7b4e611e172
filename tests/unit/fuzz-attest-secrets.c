/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the verifier's affirming result as the node reads it, before its TPM sees any
 * of it: the "secrets" member (names, base64, the duplicate blob's parser). The input is the
 * JSON text, and also the raw bytes as one blob. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "duplicate.h"
#include "secrets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	TPM2B_PUBLIC pub;
	TPM2B_PRIVATE dup;
	TPM2B_ENCRYPTED_SECRET seed;
	json_tokener *tok = json_tokener_new();
	json_object *o = tok ? json_tokener_parse_ex(tok, (const char *)data, (int)size) : NULL;
	AttestSecrets s;
	char err[200];

	if (o && attest_secrets_parse(o, &s, err, sizeof(err)) == 0)
		attest_secrets_done(&s);
	json_object_put(o);
	json_tokener_free(tok);
	(void)tpm_duplicate_parse(data, size, &pub, &dup, &seed);
	return 0;
}
