/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the two libcryptsetup adapter files of kcc-init (cryptsetup.c, luks-reencrypt.c) share;
 * nothing else includes it. */
#pragma once

#include <stdbool.h>

struct crypt_device;

#define LUKS2_TOKENS 32
#define LUKS2_KEYSLOTS 32

void crypt_log_glue(int level, const char *msg, void *usrptr);
void crypt_freep(struct crypt_device **cd);
int crypt_load_luks2(const char *node, struct crypt_device **cd);
/* True when token id exists and has the given type. */
bool token_is(struct crypt_device *cd, int id, const char *want);
/* Adds token_json (a JSON object without "type" and "keyslots") as a token of type for keyslot
 * slot; returns the token id. */
int token_add(struct crypt_device *cd, const char *type, const char *token_json, int slot);
/* pbkdf2 at the minimum and aes-xts-plain64 with 512 bits for the next keyslot added. */
int keyslot_params(struct crypt_device *cd);
