/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Signed PCR policies in systemd-measure's JSON format (.pcrsig; /.extra/tpm2-pcr-signature.json):
 *   {"sha256":[{"pcrs":[11],"pkfp":"<SHA-256 of the key's DER>","pol":"<policy digest>",
 *               "sig":"<base64 RSASSA-PKCS1-v1_5 SHA-256 signature of pol || policyRef>"}]}
 * and the PEM public key that goes with it (.pcrpkey).
 *
 * kcc-node's extension (docs/measured-boot.md, "Security epoch"), which systemd ignores: entries
 * of "sha256" that carry "kcc-epoch": E approve PolicyPCR followed by PolicyNV(no bit above E)
 * and are signed with EPOCH_POLICY_REF; the top-level array "kcc-epoch-write" holds the approvals
 * to write the epoch index (EPOCH_WRITE_REF): PolicyPCR(ready) + PolicyCommandCode(NV_SetBits),
 * and one with "pcrs": [] for the provisioning's bit-less first write (PolicyCpHash). */
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
#define PCRSIG_BANK "sha256"
#define PCRSIG_EPOCH_WRITE "kcc-epoch-write"

/* Appends an entry for bank "sha256" to root (an object). */
int pcrsig_add(json_object *root, uint32_t mask, const uint8_t fp[32], const uint8_t pol[32],
	       const uint8_t *sig, size_t sig_size);
/* Appends an entry to root's array (PCRSIG_BANK or PCRSIG_EPOCH_WRITE); epoch >= 0 adds
 * "kcc-epoch". */
int pcrsig_add_to(json_object *root, const char *array, uint32_t mask, const uint8_t fp[32],
		  const uint8_t pol[32], const uint8_t *sig, size_t sig_size, int epoch);
/* The same search in another array; -ENOENT also when the array is missing. */
int pcrsig_find_in(const char *json, const char *array, uint32_t mask, const uint8_t fp[32],
		   const uint8_t pol[32], uint8_t **sig, size_t *sig_size);
/* The security epoch of the first "sha256" entry for mask and key fp that has one; -ENOENT: the
 * image was signed without an epoch. */
int pcrsig_epoch(const char *json, uint32_t mask, const uint8_t fp[32], unsigned *epoch);
/* Finds the entry that approves pol for mask and key fp. -ENOENT if there is none, -EBADMSG if
 * the JSON is malformed. sig is malloc'ed. */
int pcrsig_find(const char *json, uint32_t mask, const uint8_t fp[32], const uint8_t pol[32],
		uint8_t **sig, size_t *sig_size);
/* The first entry for mask, whatever policy it approves (pol and sig filled). */
int pcrsig_first(const char *json, uint32_t mask, uint8_t pol[32], uint8_t **sig,
		 size_t *sig_size);
/* The first entry for mask that carries a security epoch (pol, sig and epoch filled). */
int pcrsig_first_epoch(const char *json, uint32_t mask, uint8_t pol[32], uint8_t **sig,
		       size_t *sig_size, unsigned *epoch);
