/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The boot timeline: start and end of every stage in monotonic milliseconds. The initrd stage
 * leaves its entries in /run/kcc/timeline for the system stage, which writes the JSON. */
#pragma once

#define TIMELINE_MAX 32
#define TIMELINE_STATE "/run/kcc/timeline"
#define TIMELINE_JSON "/run/kcc/boot-timeline.json"

void timeline_begin(const char *stage);
void timeline_end(const char *stage);
int timeline_save(void);
int timeline_load(void);
/* Logs the one-line summary and writes the JSON file. */
int timeline_finish(const char *marker);
