/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Signed PCR policies in systemd-measure's JSON format (.pcrsig; /.extra/tpm2-pcr-signature.json):
 *   {"sha256":[{"pcrs":[11],"pkfp":"<SHA-256 of the key's DER>","pol":"<policy digest>",
 *               "sig":"<base64 RSASSA-PKCS1-v1_5 SHA-256 signature of pol || policyRef>"}]}
 * and the PEM public key that goes with it (.pcrpkey). */
#pragma once

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

/* PEM text of a public key -> SubjectPublicKeyInfo DER (malloc'ed). -EBADMSG if not one. */
int pem_pubkey_to_der(const char *pem, size_t len, uint8_t **der, size_t *der_size);

/* Signs aHash = SHA-256(pol || ref) (what PolicyAuthorize with that policyRef accepts) with the
 * PEM private key in key_path; kcc-node signs with ref PCR_POLICY_REF. systemd-measure signs
 * with an empty ref (ref_size 0): same "pol", another "sig". sig is malloc'ed. */
int pcrsig_sign(const char *key_path, const uint8_t pol[32], const uint8_t *ref, size_t ref_size,
		uint8_t **sig, size_t *sig_size);
/* Appends an entry for bank "sha256" to root (an object). */
int pcrsig_add(json_object *root, uint32_t mask, const uint8_t fp[32], const uint8_t pol[32],
	       const uint8_t *sig, size_t sig_size);
/* Finds the entry that approves pol for mask and key fp. -ENOENT if there is none, -EBADMSG if
 * the JSON is malformed. sig is malloc'ed. */
int pcrsig_find(const char *json, uint32_t mask, const uint8_t fp[32], const uint8_t pol[32],
		uint8_t **sig, size_t *sig_size);
/* The first entry for mask, whatever policy it approves (pol and sig filled). */
int pcrsig_first(const char *json, uint32_t mask, uint8_t pol[32], uint8_t **sig,
		 size_t *sig_size);
