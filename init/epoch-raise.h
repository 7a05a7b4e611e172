/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The bless path's half of anti-rollback (docs/upgrades.md, "Anti-rollback and security epochs"):
 * once a boot is blessed, the node's security epoch (the TPM's NV bit field) is raised to this
 * image's own epoch, but never above the lowest epoch of any release still installed on the ESP
 * that is not marked bad, so the fallback release keeps unsealing /var. */
#pragma once

/* The lowest security epoch among the ESP's entries that are not bad (each one's from its PCR
 * signature <esp>/loader/credentials/kcc-pcrsig_<V>.cred signed by key_pem's key; a release
 * signed without an epoch counts as 0, an unreadable signature too). -ENOENT: no entry. */
int epoch_installed_limit(const char *esp, const char *key_pem, unsigned *ret);
/* Raises the node's epoch to min(this image's, limit) with the image's signed write approval at
 * `ready` (the public key and signature kcc-init left in /run/kcc). One log line; 0 raised or
 * already there, -errno (logged) otherwise. */
int epoch_raise_to_limit(unsigned limit);
