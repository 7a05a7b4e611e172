/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What UEFI firmware measures into PCR 4 before it runs a PE image: the image's Authenticode
 * digest (the PE/COFF hash that Secure Boot signatures cover: headers without the checksum and
 * the certificate-table entry, sections in file order, trailing data without the certificate
 * table), and the boot-manager events around it. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "pcr.h"

/* -EBADMSG with a reason in err for anything that is not a well-formed PE image. */
int pe_authenticode(const uint8_t *pe, size_t size, const PcrBank *b, uint8_t *digest, char *err,
		    size_t err_size);

/* PCR 4 (SHA-256) as UEFI firmware leaves it when it runs the images whose Authenticode digests
 * are given, in load order: EV_EFI_ACTION "Calling EFI Application from Boot Option",
 * EV_SEPARATOR, then for each boot option tried before ours that loaded nothing
 * "Returning from EFI Application from Boot Option" and "Calling …" again, then one
 * EV_EFI_BOOT_SERVICES_APPLICATION per image. */
int firmware_pcr4(const uint8_t (*digests)[32], size_t n, unsigned failed_attempts,
		  uint8_t value[32]);
