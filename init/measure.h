/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-init's measurements, through the measured-boot library: PCR 11 boot phases (the strings
 * systemd-pcrphase uses), PCR 15 volume identities, each also appended to the event log
 * /run/kcc/tpm2-measure.log. Holds the one open TPM of the boot stage. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tpm.h"

#define MEASURE_LOG "/run/kcc/tpm2-measure.log"
#define PCR_KERNEL_BOOT 11
#define PCR_SYSTEM_IDENTITY 15
#define PCR_CONFIG 12

/* Opens the TPM (/dev/tpmrm0). -ENODEV when there is none. */
int measure_open(void);
Tpm *measure_tpm(void);
void measure_close(void);

/* Records the values the PCRs of mask had when kcc-init took over (first boot stage only), read
 * in one command together with also_read (the TPM library then knows them all). */
int measure_initial(uint32_t mask, uint32_t also_read);
/* PCR 11 <- phase ("enter-initrd", "leave-initrd", "sysinit", "ready"). */
int measure_phase(const char *phase);
/* Direct kernel boot (no UKI stub): PCR 11 <- the command line, as the stub would measure its
 * .cmdline section, so that a changed command line changes PCR 11. */
int measure_cmdline(const char *cmdline);
/* PCR 12 <- the node configuration's bytes as read (event "node-config", the source's name). */
int measure_config(const char *source, const void *data, size_t len);
/* PCR 15 <- HMAC(volume key, "cryptsetup:NAME:UUID") in every bank. */
int measure_volume(const char *name, const char *uuid, const void *vk, size_t vk_size);

/* Where the booted image's PCR signing key and signed policy are. The UKI stub puts its .pcrpkey
 * section into /.extra, and the ESP's \loader\credentials\ (its .cred files) into /.extra/global_credentials:
 * the signed PCR 4 + 11 policies (kcc-pcrsig_VERSION.cred, init/pcrsig-files.h) live there, outside
 * the UKI, because PCR 4 holds the UKI's own digest. A direct kernel boot has none and uses the
 * development pair (another key) in the initramfs, and measures the command line itself. */
#define POLICY_UKI_KEY "/.extra/tpm2-pcr-public-key.pem"
#define POLICY_DIRECT_KEY "/etc/kcc/direct/tpm2-pcr-public-key.pem"
#define POLICY_DIRECT_SIG "/etc/kcc/direct/tpm2-pcr-signature.json"
bool measure_boot_is_direct(void);
