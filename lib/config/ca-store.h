/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The CA fields of the node configuration (verifier.ca, update.ca: PEM text) into an OpenSSL
 * certificate store, for the TLS clients that check a server against them. */
#pragma once

#include <openssl/x509.h>

/* Adds every PEM certificate of pem to store: 0 when at least one was added, else -EINVAL. The
 * OpenSSL error queue is cleared. */
int ca_store_add_pem(X509_STORE *store, const char *pem);
