/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The manifest folders under inotify: a file written (and closed), moved in or out, or removed
 * there calls changed() from the event loop, instead of a periodic re-read of every manifest. */
#pragma once

/* Watches each folder of dirs (NULL-terminated) in the loop (lib/basic/loop.h, loop_init first).
 * A folder that does not exist is logged and not watched (SIGHUP still rescans it). */
int manifest_watch_start(const char *const *dirs, void (*changed)(void));
