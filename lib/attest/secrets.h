/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Secrets released with an affirming attestation result (docs/attestation.md, "Released
 * secrets"): the verifier wraps each to the node's EK and to the PCR values it just appraised
 * (lib/tpm/duplicate.h) and adds them to the result as
 *     "secrets": {"NAME": B64, ...}
 * The node parses that member (untrusted: tests/unit/fuzz-attest-secrets.c) before its TPM sees
 * any of it. NAME is a Kubernetes secret name (a DNS subdomain), the file name the node uses. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "messages.h"

#define ATTEST_SECRETS_MAX 16
#define ATTEST_SECRET_BLOB_MAX 1024 /* a wrapped secret of TPM_SECRET_MAX bytes is ~460 */

typedef struct AttestSecret {
	char name[ATTEST_NODE_MAX + 1];
	AttestBlob blob; /* duplicate.h's blob */
} AttestSecret;

typedef struct AttestSecrets {
	size_t n;
	AttestSecret s[ATTEST_SECRETS_MAX];
} AttestSecrets;

bool attest_secret_name_is_valid(const char *name);
/* The "secrets" member of result (absent: none): an object of at most ATTEST_SECRETS_MAX valid
 * names, each canonical base64 of a blob tpm_duplicate_parse() accepts. 0, or -EBADMSG with the
 * reason in err (nothing kept). */
int attest_secrets_parse(json_object *result, AttestSecrets *ret, char *err, size_t err_size);
void attest_secrets_done(AttestSecrets *s);
