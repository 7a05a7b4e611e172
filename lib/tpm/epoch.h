/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Anti-rollback: the security-epoch bit field in TPM NV (docs/measured-boot.md, "Security
 * epoch"), computed in software: the index's public area and name, the policies that read and
 * write it. No TPM needed: the builder signs with these, the TPM checks them.
 *
 * Bit k of the index set means "the fleet moved past security epoch k-1": an image of epoch E
 * unseals only while no bit above E is set (PolicyNV, TPM_EO_BITCLEAR), and raising the node to
 * epoch N sets bits 1..N. Bits are only ever set (TPM_NT_BITS), so the value is monotonic and the
 * same on every node: a build can sign it, unlike a counter. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <tss2/tss2_tpm2_types.h>

/* In the owner range of the TCG handle registry (0x01000000..0x013fffff). */
#define EPOCH_NV_INDEX 0x01000cc0u
/* 64 bits, bit 0 unused: epochs 0..63 can be enforced. */
#define EPOCH_MAX 63u
/* The policyRef of unseal approvals that include the epoch check. Objects sealed under it accept
 * no approval signed before (v2, PCRs alone): booting a pre-epoch image does not unseal them. */
#define EPOCH_POLICY_REF "kcc-node/pcr-policy/v3"
#define EPOCH_POLICY_REF_SIZE (sizeof(EPOCH_POLICY_REF) - 1)
/* The policyRef of approvals to write the index, so no unseal approval can ever write it. */
#define EPOCH_WRITE_REF "kcc-node/epoch-write/v1"
#define EPOCH_WRITE_REF_SIZE (sizeof(EPOCH_WRITE_REF) - 1)
#define EPOCH_NAME_SIZE 34

/* The PCR signing key (RSA, SubjectPublicKeyInfo DER) as the TPM holds it after LoadExternal,
 * and its TPM name (nameAlg + SHA-256 of the public area). -EINVAL: not an RSA key. */
int key_public_from_der(const uint8_t *der, size_t der_size, TPM2B_PUBLIC *pub);
int key_name_from_der(const uint8_t *der, size_t der_size, uint8_t name[EPOCH_NAME_SIZE]);

/* The index of the nodes that trust this key: TPM_NT_BITS, 8 bytes, read with its (empty)
 * authValue, written only through a policy session satisfying PolicyAuthorize(key,
 * EPOCH_WRITE_REF). written: the TPMA_NV_WRITTEN bit (part of the name) as after the first write. */
int epoch_nv_public(const uint8_t *key_der, size_t key_der_size, bool written, TPM2B_NV_PUBLIC *pub);
int epoch_nv_name(const uint8_t *key_der, size_t key_der_size, bool written,
		  uint8_t name[EPOCH_NAME_SIZE]);

/* The bits that must be clear for an image of epoch e (those above e), and the bits that raise a
 * node to epoch n (1..n). */
uint64_t epoch_bits_above(unsigned e);
uint64_t epoch_bits_upto(unsigned n);
/* The highest epoch the bits record (0: none set). */
unsigned epoch_of_bits(uint64_t bits);
/* operandB of the PolicyNV check: bits big-endian, as the TPM compares them with the index. */
void epoch_operand(uint64_t bits, uint8_t out[8]);

/* PolicyNV(index name, operand = epoch_bits_above(e), offset 0, TPM_EO_BITCLEAR) on policy. */
int epoch_policy_nv(uint8_t policy[32], const uint8_t name[EPOCH_NAME_SIZE], unsigned e);
/* PolicyCommandCode(TPM_CC_NV_SetBits) on policy: the write approval of a running image. */
int epoch_policy_setbits(uint8_t policy[32]);
/* The cpHash of NV_SetBits(index, index, bits = 0) on the index as defined (not yet written),
 * and PolicyCpHash(it) on policy: the one write a provisioning makes, which sets no bit. */
int epoch_init_cphash(const uint8_t *key_der, size_t key_der_size, uint8_t cphash[32]);
int epoch_policy_init(uint8_t policy[32], const uint8_t cphash[32]);
