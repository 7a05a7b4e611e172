/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-pcr's commands, split over two files. Exit codes: 0 ok, 1 a check failed (policy refused,
 * log and TPM differ, quote does not verify), 100 bad usage or input, 111 TPM or system error. */
#pragma once

#include <stddef.h>
#include <stdint.h>

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
int cmd_unseal(int argc, char **argv);
int cmd_quote(int argc, char **argv);
int cmd_verify_quote(int argc, char **argv);
