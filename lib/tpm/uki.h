/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Predicting PCR 11: what systemd-stub (252) measures of a UKI, and kcc-init's phases. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "pcr.h"

/* Extends value (start it at zeros) with the stub's measurements of the UKI in pe: for each of
 * .linux .osrel .cmdline .initrd .splash .dtb .pcrpkey present, H(name + "\0") then
 * H(section contents). -EBADMSG with a reason in err for something that is not a PE image. */
int uki_measure(const uint8_t *pe, size_t size, const PcrBank *b, uint8_t *value, char *err,
		size_t err_size);
/* Direct kernel boot has no stub: kcc-init measures the command line the same way. */
int direct_measure(const char *cmdline, const PcrBank *b, uint8_t *value);
/* One kcc-init boot phase ("enter-initrd", …): H(phase). */
int phase_measure(const char *phase, const PcrBank *b, uint8_t *value);
