/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Short-lived helpers of the system stage, the s6 way: what needs libcryptsetup, tpm2-tss,
 * OpenSSL, libbpf, libseccomp or libcap runs in a program of its own, never in PID 1, which links
 * libc only. The big kcc-init has a sub-command for each job (init/main.c): measure-phase,
 * load-lsm, prepare-exitrd; services start through kcc-sandbox (init/sandbox-main.c). */
#pragma once

#define KCC_INIT_PATH "/usr/sbin/kcc-init"
#define KCC_SANDBOX_PATH "/usr/lib/kcc/kcc-sandbox"

/* Runs argv[0] with argv, fd (when >= 0) on fd 3, and waits for it. Returns 0 when it exited 0,
 * -EIO when it failed (it logged why), -errno when it could not run. */
int helper_run(const char *const argv[], int fd);
