/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* "kcc-init sysinit-helper": the system stage's set-up helper (init/sys/helper.h has the
 * protocol). On fd 3 it serves, in any order and as often as asked:
 *   measure-phase PHASE                           PCR 11 <- PHASE (one TPM context for all)
 *   load-lsm ROOT SERVICES PODS BPF|- RUNTIME|-    load, attach and lock the BPF LSM and hand its
 *                                                  links and maps to PID 1 (bpf-lsm.h)
 * and exits 0 when PID 1 closes its end. */
#pragma once

int sysinit_helper_main(int fd);
