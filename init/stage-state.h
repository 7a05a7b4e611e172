/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Initrd stage: the state partition (DPS "var" type, on the root's disk), LUKS2 with a random key
 * sealed to the TPM. Blank: provisioned. Provisioning cut short: provisioned again (it never held
 * data). Provisioned: unsealed, activated, PCR 15 extended, mounted. Anything else stops the boot;
 * a partition that may hold data is never formatted. */
#pragma once

#define STATE_DM_NAME "state"
#define STATE_CONF "/etc/kcc/state.conf"
#define STATE_RUN_DIR "/run/kcc"

/* disk: the whole disk of the root ("vda"); target: where /var goes ("/sysroot/var"). */
int stage_state_run(const char *disk, const char *target);
