/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Token-only header writes (no keyslot changes): each is one atomic LUKS2 header write. */
#pragma once

/* Adds token_json (a JSON object without "type" and "keyslots") as a token of type for the
 * keyslot token beside refers to; returns the new token id. */
int luks_token_add_beside(const char *node, const char *type, const char *token_json, int beside);
/* Removes token id (its keyslot stays). */
int luks_token_remove(const char *node, int id);
