/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The TPM, through tpm2-tss ESAPI: the only code of kcc-node that calls Esys_*.
 * kcc-init and kcc-pcr both use it. Every call returns 0 or -errno; the TPM's own reason
 * (Tss2_RC_Decode) is kept and tpm_error() returns it for the caller's log line.
 *
 * Errno mapping: -ENODEV no TPM; -EPERM a policy, PCR or signature check refused the key;
 * -EBUSY dictionary-attack lockout; -EBADMSG a blob the TPM does not accept (corrupt, other TPM);
 * -EKEYREJECTED the storage key is not the one the blob was sealed under; -EIO anything else. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <tss2/tss2_tcti.h>

#include "pcr.h"

typedef struct Tpm Tpm;

/* tcti: a tctildr configuration ("device:/dev/tpmrm0", "swtpm:path=SOCK"); NULL means
 * $KCC_TPM2_TCTI, else "device:/dev/tpmrm0". */
int tpm_open(const char *tcti, Tpm **ret);
/* Uses a TCTI the caller made (tests wrap one to watch the bytes on the wire). Not owned. */
int tpm_open_tcti(TSS2_TCTI_CONTEXT *tcti, Tpm **ret);
void tpm_close(Tpm *t);
const char *tpm_error(const Tpm *t);
/* Records a message of the caller's as the last error (tpm_error) and returns -error. */
int tpm_failf(Tpm *t, int error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Commands sent to the TPM so far. */
unsigned long tpm_commands(const Tpm *t);
/* Sees every command (is_response false) and response on the wire, as the bus would. */
typedef void (*TpmWireHook)(bool is_response, const uint8_t *buf, size_t size, void *data);
void tpm_set_wire_hook(Tpm *t, TpmWireHook hook, void *data);

/* The banks that have PCRs allocated, as PcrBank entries of pcr.h. */
int tpm_banks(Tpm *t, const PcrBank **banks, size_t max, size_t *n);
/* Extends pcr in every active bank with that bank's hash of data; digests_out (optional) gets
 * one digest per active bank, in the order of tpm_banks(). */
int tpm_extend(Tpm *t, unsigned pcr, const void *data, size_t len, PcrDigests *digests_out);
/* Extends with precomputed digests (one per active bank, as tpm_banks() orders them). */
int tpm_extend_digests(Tpm *t, unsigned pcr, const PcrDigests *d);
int tpm_pcr_read(Tpm *t, const PcrBank *bank, unsigned pcr, uint8_t value[PCR_DIGEST_MAX]);
/* Reads the PCRs of mask in every active bank with as few PCR_Read commands as the TPM allows
 * (one for up to 8 digests): values[pcr] gets one digest per active bank, as tpm_banks() orders
 * them. */
int tpm_pcr_read_banks(Tpm *t, uint32_t mask, PcrDigests values[PCR_COUNT]);
/* The SHA-256 values of the PCRs of mask, lowest PCR first (as PolicyPCR takes them). A Tpm
 * remembers every SHA-256 value it read and follows its own extends, so PCRs it knows cost no
 * command; the others take one PCR_Read. *remembered (optional) tells whether any value came from
 * memory: another process's extend since then makes it stale, which only the TPM can tell (a
 * policy that does not match); tpm_pcr_forget() then makes the next call read them all. */
int tpm_pcr_values(Tpm *t, uint32_t mask, uint8_t (*values)[32], bool *remembered);
void tpm_pcr_forget(Tpm *t);

/* Name (nameAlg + SHA-256 of the public area) of the ECC P-256 storage primary key made from the
 * standard SRK template in the owner hierarchy. */
#define TPM_NAME_SIZE 34
int tpm_srk_name(Tpm *t, uint8_t name[TPM_NAME_SIZE]);

/* The storage key (SRK) a blob is sealed under (the same shape also holds the security-epoch
 * NV index: its name and serialized ESYS_TR). Sealing also makes it persistent at
 * TPM_SRK_HANDLE (the TCG provisioning guidance's SRK handle, where systemd keeps the same key)
 * unless another key is there; tr then holds ESAPI's serialized ESYS_TR of it (handle and public
 * area), so an unseal salts its session with it without a single TPM command. Its public area must
 * hash to name (checked before use), so the token that carries both cannot point the salt at
 * another key. tr_size 0: the key is recreated with CreatePrimary on every unseal. */
#define TPM_SRK_HANDLE 0x81000001u
#define TPM_SRK_TR_MAX 512
typedef struct TpmSrk {
	uint8_t name[TPM_NAME_SIZE];
	uint8_t tr[TPM_SRK_TR_MAX];
	size_t tr_size;
} TpmSrk;

/* The policy a secret is sealed under: PolicyAuthorize(key, policy_ref) over the signed PCRs,
 * then PolicyPCR with literal values. key_der: the PCR signing key (RSA, SubjectPublicKeyInfo
 * DER). policy_ref: PCR_POLICY_REF for everything kcc-node seals (size 0: empty, as before v2). */
typedef struct TpmPolicy {
	const uint8_t *key_der;
	size_t key_der_size;
	const uint8_t *policy_ref;
	size_t policy_ref_size;
	uint32_t literal_mask;
	uint8_t literal_values[PCR_COUNT][32]; /* SHA-256 bank */
} TpmPolicy;

/* A signed approval: the PolicyPCR digest for signed_mask, and its RSA signature over
 * aHash = SHA-256(digest || the policy's policy_ref). */
typedef struct TpmApproval {
	uint32_t signed_mask;
	uint8_t policy[32];
	const uint8_t *sig;
	size_t sig_size;
	/* What the approved policy holds besides PolicyPCR(signed_mask), in this order (epoch.h):
	 * nv: PolicyNV on the security-epoch index (its name and serialized ESYS_TR, tr_size 0:
	 * looked up, one command more) for an image of security epoch `epoch`; setbits:
	 * PolicyCommandCode(NV_SetBits); cphash: PolicyCpHash. */
	const TpmSrk *nv;
	unsigned epoch;
	bool setbits;
	const uint8_t *cphash;
} TpmApproval;

/* Computes the sealed object's policy digest (needs the TPM for the signing key's name). */
int tpm_policy_digest(Tpm *t, const TpmPolicy *p, uint8_t digest[32]);

/* Seals secret under the policy, below the SRK, through a salted session with the secret
 * encrypted on the wire. blob: TPM2B_PRIVATE then TPM2B_PUBLIC, marshalled; free() it.
 * srk gets the parent the blob belongs to. */
int tpm_seal(Tpm *t, const TpmPolicy *p, const void *secret, size_t size, uint8_t **blob,
	     size_t *blob_size, TpmSrk *srk);

/* Unseals: checks the SRK's name, verifies the approval's signature in the TPM, satisfies the
 * policy in a salted policy session whose response is encrypted, unseals into out (size in
 * *out_size, capacity passed in). 10 commands with a persistent SRK (docs/measured-boot.md). */
int tpm_unseal(Tpm *t, const TpmPolicy *p, const TpmApproval *a, const uint8_t *blob,
	       size_t blob_size, const TpmSrk *srk, void *out, size_t *out_size);

/* The security-epoch index (epoch.h): -ENOENT if it is not defined. */
int tpm_epoch_read(Tpm *t, uint64_t *bits);
/* Defines the index for key_der if it is missing and makes its one bit-less write, approved by
 * init (PolicyCpHash, signed with EPOCH_WRITE_REF); an index already there must be this key's
 * (-EEXIST otherwise). nv gets its name and serialized ESYS_TR. */
int tpm_epoch_define(Tpm *t, const uint8_t *key_der, size_t key_der_size, const TpmApproval *init,
		     TpmSrk *nv);
/* Sets bits in the index through a policy session satisfying approval a (signed with
 * EPOCH_WRITE_REF: PolicyPCR + PolicyCommandCode(NV_SetBits)). -EPERM: the TPM refused it. */
int tpm_epoch_set(Tpm *t, const uint8_t *key_der, size_t key_der_size, const TpmApproval *a,
		  uint64_t bits);

/* A quote over the SHA-256 bank of mask with the caller's nonce, signed by the attestation key
 * (a restricted ECC P-256 signing primary in the owner hierarchy, the same on every call).
 * attest: marshalled TPMS_ATTEST; sig: marshalled TPMT_SIGNATURE; ak_der: the key as
 * SubjectPublicKeyInfo DER. All three are malloc'ed. */
typedef struct TpmQuote {
	uint8_t *attest, *sig, *ak_der;
	size_t attest_size, sig_size, ak_der_size;
} TpmQuote;
int tpm_quote(Tpm *t, uint32_t mask, const uint8_t *nonce, size_t nonce_size, TpmQuote *q);
void tpm_quote_done(TpmQuote *q);
