/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Initrd stage: loads the modules named in /etc/kcc/modules.conf (one name per line). */
#pragma once

int stage_modules_run(const char *config_path);
