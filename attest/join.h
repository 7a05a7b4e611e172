/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The node's side of the join (docs/attestation.md): start, ActivateCredential, quote, finish. */
#pragma once

#include <json-c/json.h>
#include <sys/types.h>

#include "attest-keys.h"
#include "kubelet-creds.h"
#include "tpm.h"

typedef struct JoinConfig {
	const char *url, *ca;       /* the verifier and the CA (file) its TLS certificate chains to */
	const char *ca_pem;         /* the CA as PEM text, when ca is NULL (the node configuration) */
	const char *node;           /* the node's name */
	const char *ek_cert;        /* a DER file instead of the TPM's NV certificate (optional) */
	const char *cel_log;        /* kcc-init's CEL-JSON log */
	const char *firmware_log;   /* the firmware's TCG log; NULL or missing: none */
	const char *key_out, *cert_out; /* where the client key and certificate go */
	mode_t key_mode;            /* 0: 0600 */
	const char *save_finish;    /* writes the finish request there too (optional) */
	const char *secrets_dir;    /* where released secrets go (released.h); NULL: not opened */
	const char *ek;             /* "rsa" or "ecc"; NULL: tpm_ek_type_auto() */
	const char *snp_device;     /* SEV-SNP: the guest device; NULL: /dev/sev-guest */
	const char *snp_vcek;       /* the VCEK certificate (DER) sent with the report (optional) */
	const char *snp_stand_in_key; /* tests only: the device's stand-in (snp-guest.h) */
	const KubeletCreds *kubelet; /* the upstream kubelet's files (kubelet-creds.h); NULL: none */
} JoinConfig;

/* With kubelet set, an affirming join also writes the kubelet's files (after the key and the
 * certificate; a failure to write them fails the join). A result with released secrets: they are opened and written to secrets_dir after the key and
 * the certificate; a secret this TPM cannot open fails the join (-EBADMSG, -EPERM).
 * Returns 1 joined (*ret the result), 0 refused (*ret the result, when the verifier sent one),
 * -errno failure with the reason in err. */
int join(Tpm *t, const JoinConfig *c, json_object **ret, char *err, size_t err_size);
/* The EK type name names ("rsa", "ecc"), or for NULL the TPM's (tpm_ek_type_auto). -EINVAL for
 * another name; -errno with the reason in err. */
int join_ek_type(Tpm *t, const char *name, TpmEkType *ret, char *err, size_t err_size);
