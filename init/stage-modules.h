/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Initrd stage: loads the modules named in /etc/kcc/modules.conf (one name per line). A name
 * with a leading '?' is optional: its driver may find no device here (efivarfs without UEFI). */
#pragma once

#include <sys/types.h>

int stage_modules_run(const char *config_path);
/* The same in a child, so that the kernel's work (signature checks, relocation, the drivers'
 * probes, the crypto self-tests) runs while kcc-init waits on the TPM: the pid for
 * stage_modules_wait(), or -errno. */
pid_t stage_modules_start(const char *config_path);
/* 0 when the child loaded every module (it logged its own errors), -EIO otherwise. */
int stage_modules_wait(pid_t pid);
