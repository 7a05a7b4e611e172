/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Initrd stage: loads the modules named in /etc/kcc/modules.conf (one name per line). A name
 * with a leading '?' is optional: its driver may find no device here (efivarfs without UEFI). */
#pragma once

int stage_modules_run(const char *config_path);
