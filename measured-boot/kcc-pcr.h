/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-pcr's commands, split over two files. Exit codes: 0 ok, 1 a check failed (policy refused,
 * log and TPM differ, quote does not verify), 100 bad usage or input, 111 TPM or system error. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "epoch.h"
#include "tpm.h"
#include "util.h" /* cli_fail() */

#define streq_p(a, b) (strcmp((a), (b)) == 0)

#define EXIT_CHECK 1
#define EXIT_USAGE 100
#define EXIT_SYSTEM 111

extern const char *arg_tcti;

int read_file_all(const char *path, size_t max, char **ret, size_t *size);
int read_pubkey(const char *path, uint8_t **der, size_t *der_size);
Tpm *tpm_or_die(void);
int tpm_exit(Tpm *t, int r);

int cmd_seal(int argc, char **argv);
int cmd_epoch(int argc, char **argv);
int cmd_raise_epoch(int argc, char **argv);

/* kcc-pcr-epoch.c: signs pol with the PEM private key and policyRef ref, appends the entry to
 * root's array (epoch >= 0: with "kcc-epoch"). Prints the reason; -1 on failure. */
int sign_add(json_object *root, const char *array, const char *key, uint32_t mask,
	     const uint8_t fp[32], const uint8_t pol[32], const char *ref, int epoch);
/* The approval that checks epoch: pol (PolicyPCR) + PolicyNV on the index named nv. */
int sign_epoch(json_object *root, const char *key, uint32_t mask, const uint8_t fp[32],
	       const uint8_t pol[32], const uint8_t nv[EPOCH_NAME_SIZE], unsigned epoch);
/* The write approval at `ready`: PolicyPCR(mask, values) + PolicyCommandCode(NV_SetBits). */
int sign_epoch_write(json_object *root, const char *key, uint32_t mask, const uint8_t fp[32],
		     const uint8_t (*values)[32]);
/* The provisioning's bit-less first write: PolicyCpHash(NV_SetBits(index, 0)). */
int sign_epoch_init(json_object *root, const char *key, const uint8_t fp[32], const uint8_t *der,
		    size_t der_size);
int cmd_unseal(int argc, char **argv);
int cmd_quote(int argc, char **argv);
int cmd_verify_quote(int argc, char **argv);
