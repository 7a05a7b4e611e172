/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libkmod adapter: the only file that calls kmod_*. */
#pragma once

/* Loads a module by name or alias with its dependencies and soft dependencies. Returns 0 when
 * loaded or already present (built in or loaded), -ENOENT when unknown, or another -errno. */
int kmod_load(const char *name);
void kmod_done(void);
