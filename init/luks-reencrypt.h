/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* LUKS2 online re-encryption of the state volume through libcryptsetup (the second half of
 * kcc-init's libcryptsetup adapter, cryptsetup.c the first): a new volume key in a new keyslot
 * for the same passphrase, kcc-init's record of it (reencrypt-check.h), the re-encryption run
 * chunk by chunk until a deadline and resumed later. docs/measured-boot.md, "Volume-key
 * rotation". */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reencrypt-check.h"

/* The header's re-encryption state checked against kcc-init's record (reencrypt_header_check()
 * on what libcryptsetup loaded). -EPERM: refused, the reason in reason. */
int luks_reencrypt_inspect(const char *node, ReencryptRecord *ret, char *reason,
			   size_t reason_size);

/* Starts a re-encryption of node to new_vk (LUKS_KEY_SIZE bytes), active as name (NULL:
 * offline, for tests): the keyslot pass opens for the data segment stays; a new keyslot for
 * pass holds new_vk (unbound), token tpm_token is assigned to it too (so that it still refers to a
 * keyslot when the old one goes at the end), the record token (mac) is written, then the
 * re-encryption metadata (checksum resilience). Each step one
 * header write; checkpoint (optional) after each: "reencrypt-keyslot", "reencrypt-token",
 * "reencrypt-init". */
int luks_reencrypt_start(const char *node, const char *name, const void *pass, size_t pass_size,
			 const uint8_t *new_vk, int tpm_token, const uint8_t *mac,
			 void (*checkpoint)(const char *step), ReencryptRecord *ret);

/* Progress of a run, for the caller's callback: return true to stop after this chunk. */
typedef bool (*LuksReencryptProgress)(uint64_t size, uint64_t offset, void *data);
/* Resumes a started re-encryption (recovering a cut hotzone first) and runs it, hotzones of at
 * most hotzone_bytes (one header write each), until done or until progress() asks to stop. 1:
 * finished (the old keyslot and volume key are gone), 0: stopped before the end. */
int luks_reencrypt_resume(const char *node, const char *name, const void *pass,
			  size_t pass_size, uint64_t hotzone_bytes, LuksReencryptProgress progress,
			  void *data);

/* What a re-encryption leaves once the sealed key is about the new volume key again: the record
 * token, keyslots no token refers to, kcc-recovery tokens that refer to no keyslot. Also undoes a
 * start cut before its metadata (unbound keyslots go too). ret_n: how many were removed. */
int luks_reencrypt_forget(const char *node, unsigned *ret_n);
