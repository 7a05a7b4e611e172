/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The signed PCR policies of a loader boot: systemd-stub hands the ESP's
 * \loader\credentials\ (its *.cred files) to the initrd in /.extra/global_credentials, one
 * kcc-pcrsig_<VERSION>.cred per installed UKI (each signs PCR 4 + 11 of its own UKI). They are
 * merged into one signature JSON whose entries kcc-pcr's selection (pcrsig_find) looks through
 * for the one that approves the current PCR values. */
#pragma once

#define PCRSIG_DIR "/.extra/global_credentials"
#define PCRSIG_PREFIX "kcc-pcrsig_"
#define PCRSIG_SUFFIX ".cred"

/* Every PREFIX*SUFFIX file of dir (in name order) merged: the entries of each bank's array
 * concatenated. -ENOENT when there is none; -EBADMSG when one is not a signature JSON (one bad file
 * is skipped with a warning, the others still count). */
int pcrsig_files_merge(const char *dir, char **ret_json);
