/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The client certificate the verifier issues after an affirming appraisal: for the key of the
 * node's CSR (whose signature proves the node holds it), CN system:node:NAME, O system:nodes,
 * clientAuth only, valid validity_s seconds (the kubelet's client certificate, docs/attestation.md). */
#pragma once

#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>

/* Checks the CSR (DER): one request, its signature, an ECC P-256 or RSA >= 2048 key. 0, or
 * -EPERM with the reason in err. *ret (optional) gets it. */
int csr_check(const uint8_t *der, size_t size, X509_REQ **ret, char *err, size_t err_size);
/* The certificate as PEM (malloc'ed). */
int csr_issue(X509_REQ *req, const char *node, X509 *issuer, EVP_PKEY *issuer_key,
	      unsigned validity_s, char **ret_pem);
