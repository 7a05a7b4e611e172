/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The ESP's boot entries (docs/upgrades.md, "Slots" and "Boot counting and bless rules"): the
 * signed UKIs in \EFI\Linux named kcc-node_<VERSION>[+<LEFT>[-<DONE>]].efi, which systemd-boot 252
 * counts down, and their PCR policy signatures in \loader\credentials\kcc-pcrsig_<VERSION>.cred.
 * Every function works on a mounted ESP given as a directory (a temp directory in the unit tests),
 * never logs, and returns >= 0 or -errno. Every change is made atomic the same way: write a dot-temp
 * name (the loader ignores it), fsync the file, rename, fsync the directory. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define ESP_ENTRY_PREFIX "kcc-node_"
#define ESP_ENTRY_SUFFIX ".efi"
#define ESP_ENTRIES_DIR "EFI/Linux"
#define ESP_CREDS_DIR "loader/credentials"
#define ESP_PCRSIG_PREFIX "kcc-pcrsig_"
#define ESP_PCRSIG_SUFFIX ".cred"
#define ESP_TRIES_DEFAULT 3u /* a newly installed UKI gets 3 tries */
#define ESP_TRIES_MAX 9999u
#define ESP_VERSION_MAX 64u
#define ESP_NAME_MAX 128u /* longest entry file name format can produce, with NUL */
#define ESP_ENTRIES_MAX 16u /* esp_list's bound: more kcc-node entries than this is an error */

typedef struct EspEntry {
	char version[ESP_VERSION_MAX + 1];
	bool counted;  /* the name carries +LEFT[-DONE]: not blessed */
	unsigned left; /* tries left (counted only) */
	unsigned done; /* tries used (counted only; 0 when the name has no -DONE) */
} EspEntry;

/* Parses a file name (no directory): "kcc-node_1.2+3.efi", "kcc-node_1.2+2-1.efi", "kcc-node_1.2.efi".
 * -EINVAL for anything else (other prefix or suffix, dot-temp names, a bad version, numbers with
 * leading zeros or above ESP_TRIES_MAX, a "-DONE" without "+LEFT"). The version follows
 * bundle_version_valid(): 1..64 of [A-Za-z0-9._~-], starting with an alphanumeric. */
int esp_entry_parse(const char *name, EspEntry *ret);
/* Formats e's file name into buf (at least ESP_NAME_MAX bytes); -EINVAL when e is not valid. A counted
 * entry with done == 0 is written "+LEFT" (as installed), otherwise "+LEFT-DONE". */
int esp_entry_format(const EspEntry *e, char *buf, size_t size);
/* The order systemd-boot 252 puts entries in (the first one boots): entries with tries left (or
 * blessed) before entries at +0, then by version, newest first (the loader's strverscmp). <0 when a
 * boots before b. */
int esp_entry_compare(const EspEntry *a, const EspEntry *b);
/* The loader's order of two versions (systemd's strverscmp_improved()): <0 when a is older. */
int esp_version_compare(const char *a, const char *b);
/* true when the entry's file name marks it as bad: counted with no tries left (+0). */
bool esp_entry_is_bad(const EspEntry *e);

/* Lists the kcc-node entries in <esp>/EFI/Linux, sorted with esp_entry_compare (boot order first);
 * other files (dot-temp names included) are skipped. *ret_n gets their number (0 is not an error);
 * -E2BIG when there are more than max. */
int esp_list(const char *esp, EspEntry *ret, size_t max, size_t *ret_n);
/* Finds the entry of a version, whatever its counter; -ENOENT when there is none. */
int esp_find(const char *esp, const char *version, EspEntry *ret);
/* The entry the loader boots next if skip_version's fails: the first in boot order of another version
 * that is not bad. 1 with *ret set, 0 when there is none (nothing to fall back to), or -errno. */
int esp_next(const char *esp, const char *skip_version, EspEntry *ret);

/* Installs a UKI and its PCR signature for version from two open files (read from offset 0 to EOF):
 * first the signature as <esp>/loader/credentials/kcc-pcrsig_<V>.cred, then the UKI as
 * <esp>/EFI/Linux/kcc-node_<V>+<tries>.efi through .kcc-node_<V>.efi.tmp, so the UKI's rename is the
 * single commit point. -EEXIST when an entry of that version exists already (counted or not: a counted
 * and an uncounted copy side by side get the boot marked bad, systemd #33504). Creates the directories
 * when missing. */
int esp_install(const char *esp, const char *version, int uki_fd, int pcrsig_fd, unsigned tries);
/* The same with a fault point (tests): before_commit is called once the UKI's dot-temp file is
 * written and synced, just before the rename; a negative return stops the install there and
 * leaves the temp file, as a power cut would. */
int esp_install_hooked(const char *esp, const char *version, int uki_fd, int pcrsig_fd, unsigned tries,
		       int (*before_commit)(void *), void *userdata);
/* Removes an entry of a version (whatever its counter) and its signature; -ENOENT when there is none.
 * Also removes a left-over dot-temp file of that version. */
int esp_remove(const char *esp, const char *version);
/* Removes left-over dot-temp files (.kcc-node_*.efi.tmp, .kcc-pcrsig_*.cred.tmp) of an interrupted
 * install; returns how many it removed. */
int esp_clean_temp(const char *esp);

/* Blesses the counted entry whose path on the ESP is path (LoaderBootCountPath, with '\' or '/'
 * separators, e.g. "\EFI\Linux\kcc-node_1.2+2-1.efi"): renames it to kcc-node_<V>.efi. 0 when blessed,
 * -ENOENT when the file is gone, -EINVAL when path does not name a counted kcc-node entry in
 * \EFI\Linux, -EROFS when the ESP is read-only. If ret_e is non-NULL it gets the parsed entry. */
int esp_bless(const char *esp, const char *path, EspEntry *ret_e);
/* Marks the counted entry at path bad: renames it to kcc-node_<V>+0-<DONE>.efi (DONE: the tries used so
 * far, at least 1), so the loader sorts it last and boots the next entry. Same errors as esp_bless. */
int esp_mark_bad(const char *esp, const char *path, EspEntry *ret_e);
/* Sets the counter of the entry of version (found with esp_find) to +tries (rollback, re-try). */
int esp_set_tries(const char *esp, const char *version, unsigned tries);

/* 0 when the ESP at esp can be written (a probe file is created, fsynced and removed), -EROFS when its
 * file system is read-only (mount flag or write refused), another -errno otherwise. */
int esp_check_writable(const char *esp);
