/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The state volume's re-encryption record (docs/measured-boot.md, "Volume-key rotation"). Before
 * kcc-init starts a LUKS2 online re-encryption of /var it writes its own token,
 *   {"type":"kcc-reencrypt","keyslots":["N"],"kcc-old-keyslot":"O","kcc-new-keyslot":"N",
 *    "kcc-mac":"<hex HMAC-SHA256 keyed with the sealed binding of the old volume key over the
 *    binding of the new one>"}
 * and a header that carries the online-reencrypt requirement is accepted only when that token is
 * there and the re-encryption metadata is exactly what kcc-init starts: re-encryption (not
 * encryption or decryption) forward, checksum resilience, aes-xts-plain64 with 512-bit keys and
 * 4 KiB sectors in every segment, the old segment's digest opened by the recorded old keyslot,
 * the new one's by the recorded new keyslot. A pure function of the header's JSON (as libcryptsetup
 * dumps it): no device, no key. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define REENCRYPT_TOKEN_TYPE "kcc-reencrypt"
#define REENCRYPT_MAC_SIZE 32
#define REENCRYPT_MAC_LABEL "kcc-reencrypt-v1:"

typedef enum ReencryptState {
	REENCRYPT_NONE,	     /* no requirement, no record */
	REENCRYPT_UNSTARTED, /* a record whose new keyslot is unbound: a start cut before the
				re-encryption metadata was written */
	REENCRYPT_RUNNING,   /* the requirement, and our record matches it */
	REENCRYPT_FINISHED,  /* no requirement, the record's new keyslot opens the data segment:
				done, the record and the sealed key not yet updated */
} ReencryptState;

typedef struct ReencryptRecord {
	int token;	/* the kcc-reencrypt token's id, -1: none */
	int old_slot, new_slot;
	uint8_t mac[REENCRYPT_MAC_SIZE];
} ReencryptRecord;

/* header_json: the LUKS2 JSON metadata. Returns the state, or -EPERM (refused: the reason in
 * reason) or -EBADMSG (not JSON). */
int reencrypt_header_check(const char *header_json, ReencryptRecord *ret, char *reason,
			   size_t reason_size);
/* The record's token body (without "type" and "keyslots"), for token_add(). Free the result. */
char *reencrypt_record_json(int old_slot, int new_slot, const uint8_t mac[REENCRYPT_MAC_SIZE]);
