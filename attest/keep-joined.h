/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The join at every boot (docs/attestation.md, "The join service"): join, keep the key and the
 * certificate, renew after two thirds of the certificate's life (the same join again); after a
 * failure or a refusal one clear line, then again with a growing backoff. The node stays up and
 * unjoined meanwhile. Each verdict goes to the SIEM as KCC-ATTESTATION-VERDICT. */
#pragma once

#include "join.h"

#define KEEP_JOINED_BACKOFF_MIN_S 5
#define KEEP_JOINED_BACKOFF_MAX_S 300
#define KEEP_JOINED_RENEW_MIN_S 30

/* Runs until killed (SIGTERM); returns only for a usage error (-EINVAL). */
int keep_joined(const JoinConfig *c);
/* Seconds from now to two thirds of the way to the certificate's expiry (at least
 * KEEP_JOINED_RENEW_MIN_S), or -errno when the file holds no certificate. */
long keep_joined_renew_in(const char *cert_path);
