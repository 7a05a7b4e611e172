/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The join at every boot (docs/attestation.md, "The join service"): join, keep the key and the
 * certificate (and the upstream kubelet's files), renew at two thirds of the certificate's life
 * with a bounded jitter (attest_renew_delay, the same join again); after a failure or a refusal
 * one clear line, then again with a growing backoff. The node stays up and unjoined meanwhile; a
 * failed renewal keeps the current certificate (KCC-ATTESTATION-RENEWAL-FAILED) and retries
 * before it expires. Each verdict goes to the SIEM as KCC-ATTESTATION-VERDICT. */
#pragma once

#include "join.h"

#define KEEP_JOINED_BACKOFF_MIN_S 5
#define KEEP_JOINED_BACKOFF_MAX_S 300

/* Runs until killed (SIGTERM); returns only for a usage error (-EINVAL). */
int keep_joined(const JoinConfig *c);
/* Seconds the certificate in cert_path has left (negative: expired), or -errno when the file
 * holds no certificate. */
int keep_joined_left(const char *cert_path, long *ret);
