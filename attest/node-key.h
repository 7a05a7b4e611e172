/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The node's client key (ECC P-256, made by OpenSSL on the node, never sent) and its CSR
 * (CN system:node:NAME, O system:nodes), whose hash the quote binds. */
#pragma once

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

int node_key_new(EVP_PKEY **ret);
/* DER of the CSR, OPENSSL_free it. */
int node_csr(EVP_PKEY *key, const char *node, uint8_t **ret, size_t *ret_size);
/* Writes the private key as PEM with mode (0600, or 0640 for a group of readers), replacing path
 * atomically. */
int node_key_write(EVP_PKEY *key, const char *path, mode_t mode);
