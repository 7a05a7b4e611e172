/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Short-lived helpers of the system stage, the s6 way: what needs libcryptsetup, tpm2-tss,
 * OpenSSL, libbpf, libseccomp or libcap runs in a program of its own, never in PID 1, which links
 * libc only. The big kcc-init does the jobs (init/main.c, tool mode); services start through
 * kcc-sandbox (init/sandbox-main.c).
 *
 * The set-up of the system stage needs kcc-init three times (PCR 11 "sysinit", the BPF LSM,
 * PCR 11 "ready"), and starting kcc-init (some twenty shared libraries, bound at load) costs more
 * than the work itself, so one "kcc-init sysinit-helper" serves all three: it reads requests on
 * fd 3, one SOCK_SEQPACKET message each (words separated by NUL), and answers each with one
 * message; it exits when PID 1 closes its end. */
#pragma once

#include <stddef.h>

#define KCC_INIT_PATH "/usr/sbin/kcc-init"
#define KCC_SANDBOX_PATH "/usr/lib/kcc/kcc-sandbox"

/* The answer of a request that hands nothing over: one byte, 0 done, 1 failed (the helper logged
 * why). */
enum { HELPER_OK = 0, HELPER_FAILED = 1 };

/* Runs argv[0] with argv and waits for it. Returns 0 when it exited 0, -EIO when it failed (it
 * logged why), -errno when it could not run. */
int helper_run(const char *const argv[]);
/* The same, returning its exit status (>= 0); -EIO when it died by a signal, -errno when it could
 * not run. */
int helper_run_status(const char *const argv[]);

/* Starts kcc-init sysinit-helper. Returns -errno. */
int sysinit_helper_start(void);
/* Sends a request whose answer is a status byte (argv: its words, NULL-terminated), without
 * waiting for it: PID 1 goes on with its own work meanwhile. Returns -errno (-ENOTCONN when the
 * helper is not running). */
int sysinit_helper_request(const char *const argv[]);
/* Waits for the status of every request sent so far. Returns 0, or -EIO when one failed. */
int sysinit_helper_flush(void);
/* sysinit_helper_request(), then sysinit_helper_flush(). */
int sysinit_helper_call(const char *const argv[]);
/* Flushes, then sends a request whose answer is not a status byte (the BPF LSM's hand-over).
 * Returns the socket to read the answer from, or -errno. */
int sysinit_helper_send(const char *const argv[]);
/* Closes PID 1's end: the helper exits, and PID 1's loop reaps it. */
void sysinit_helper_stop(void);
