/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The secrets the verifier released with an affirming result (docs/attestation.md, "Released
 * secrets"), opened by this TPM and written where the kubelet offers them to pods. */
#pragma once

#include <json-c/json.h>

#include "attest-keys.h"
#include "tpm.h"

/* dir: made 0700 if missing; each secret becomes dir/NAME (0400, replaced by rename), imported
 * under the EK (of type ek, the one the join used) and unsealed through PolicyPCR. Returns the number written, or -errno with the
 * reason in err (the secret's content never appears in it). */
int released_secrets_write(Tpm *t, TpmEkType ek, json_object *result, const char *dir, char *err,
			   size_t err_size);
