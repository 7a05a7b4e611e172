/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Removing trees without following symbolic links (image whiteouts, a removed pod's folder). */
#pragma once

/* Removes name (below the directory parent) and everything under it; 0 when it did not exist. */
int rm_rf_at(int parent, const char *name);
int rm_rf(const char *path);
