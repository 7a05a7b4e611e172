/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <json-c/json.h>
#include <string.h>

#include "hex.h"
#include "json-get.h"
#include "reencrypt-check.h"
#include "util.h"

#define CIPHER "aes-xts-plain64"
#define KEY_BYTES 64
#define SECTOR 4096

/* A keyslot or token id as LUKS2 writes it: a decimal string, 0 to 31. */
static int slot_id(const char *s)
{
	if (!s || !*s || strlen(s) > 2 || strspn(s, "0123456789") != strlen(s))
		return -1;
	int v = atoi(s);
	return v < 32 ? v : -1;
}

static int record_parse(int id, json_object *tok, ReencryptRecord *rec)
{
	json_object *ks = json_get(tok, "keyslots", json_type_array);
	const char *mac = json_get_str(tok, "kcc-mac");

	rec->token = id;
	rec->old_slot = slot_id(json_get_str(tok, "kcc-old-keyslot"));
	rec->new_slot = slot_id(json_get_str(tok, "kcc-new-keyslot"));
	if (rec->old_slot < 0 || rec->new_slot < 0 || rec->old_slot == rec->new_slot || !mac ||
	    unhexify(mac, rec->mac, sizeof(rec->mac)) < 0 || !ks ||
	    json_object_array_length(ks) != 1 ||
	    slot_id(json_str(json_object_array_get_idx(ks, 0))) != rec->new_slot)
		return -EINVAL;
	return 0;
}

/* Is keyslot slot (a number) in the digest's keyslots? */
static bool digest_has(json_object *digest, const char *member, int id)
{
	json_object *a = json_get(digest, member, json_type_array);

	for (size_t i = 0; a && i < json_object_array_length(a); i++)
		if (slot_id(json_str(json_object_array_get_idx(a, i))) == id)
			return true;
	return false;
}

/* The digest object that covers segment seg (-1: none) or keyslot slot (when seg < 0). */
static json_object *digest_of(json_object *digests, int seg, int slot)
{
	if (!digests)
		return NULL;
	json_object_object_foreach(digests, key, d) {
		(void)key;
		if (seg >= 0 ? digest_has(d, "segments", seg) : digest_has(d, "keyslots", slot))
			return d;
	}
	return NULL;
}

static bool has_flag(json_object *seg, const char *flag)
{
	json_object *a = json_get(seg, "flags", json_type_array);

	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		const char *f = json_str(json_object_array_get_idx(a, i));
		if (f && streq(f, flag))
			return true;
	}
	return false;
}

static bool keyslot_ok(json_object *keyslots, int slot)
{
	char id[4];
	json_object *ks, *area;
	int n = 0, m = 0;

	snprintf(id, sizeof(id), "%d", slot);
	ks = json_get(keyslots, id, json_type_object);
	area = json_get(ks, "area", json_type_object);
	return ks && area && streq(json_get_str(ks, "type") ?: "", "luks2") &&
	       json_get_int(ks, "key_size", &n) >= 0 && n == KEY_BYTES &&
	       streq(json_get_str(area, "encryption") ?: "", CIPHER) &&
	       json_get_int(area, "key_size", &m) >= 0 && m == KEY_BYTES;
}

#define REFUSE(...) errorf(reason, reason_size, -EPERM, __VA_ARGS__)

static int check_running(json_object *hdr, const ReencryptRecord *rec, char *reason,
			 size_t reason_size)
{
	json_object *keyslots = json_get(hdr, "keyslots", json_type_object);
	json_object *segments = json_get(hdr, "segments", json_type_object);
	json_object *digests = json_get(hdr, "digests", json_type_object);
	json_object *reenc = NULL, *d;
	int n_reenc = 0, prev = -1, final = -1, sector = 0;

	if (!keyslots || !segments || !digests)
		return REFUSE("its metadata lacks keyslots, segments or digests");
	json_object_object_foreach(keyslots, kid, ks) {
		(void)kid;
		if (streq(json_get_str(ks, "type") ?: "", "reencrypt")) {
			reenc = ks;
			n_reenc++;
		}
	}
	if (n_reenc != 1)
		return REFUSE("it has %d re-encryption keyslots, not one", n_reenc);
	if (!streq(json_get_str(reenc, "mode") ?: "", "reencrypt") ||
	    !streq(json_get_str(reenc, "direction") ?: "", "forward"))
		return REFUSE("its re-encryption is %s %s, not reencrypt forward",
			      json_get_str(reenc, "mode") ?: "?",
			      json_get_str(reenc, "direction") ?: "?");
	if (!streq(json_get_str(json_get(reenc, "area", json_type_object), "type") ?: "",
		   "checksum"))
		return REFUSE("its re-encryption resilience is not checksum");
	json_object_object_foreach(segments, sid, seg) {
		const char *type = json_get_str(seg, "type"), *enc = json_get_str(seg, "encryption");

		if (!type || !streq(type, "crypt") || !enc || !streq(enc, CIPHER) ||
		    json_get_int(seg, "sector_size", &sector) < 0 || sector != SECTOR)
			return REFUSE("its segment %s is %s %s, not %s with 4096-byte sectors", sid,
				      type ?: "?", enc ?: "unencrypted", CIPHER);
		if (has_flag(seg, "backup-previous"))
			prev = slot_id(sid);
		if (has_flag(seg, "backup-final"))
			final = slot_id(sid);
	}
	if (prev < 0 || final < 0)
		return REFUSE("its re-encryption has no previous or final segment");
	d = digest_of(digests, prev, -1);
	if (!d || !digest_has(d, "keyslots", rec->old_slot))
		return REFUSE("its old volume key is not the one of keyslot %d recorded in token %d",
			      rec->old_slot, rec->token);
	d = digest_of(digests, final, -1);
	if (!d || !digest_has(d, "keyslots", rec->new_slot))
		return REFUSE("its new volume key is not the one of keyslot %d recorded in token %d",
			      rec->new_slot, rec->token);
	if (!keyslot_ok(keyslots, rec->old_slot) || !keyslot_ok(keyslots, rec->new_slot))
		return REFUSE("keyslot %d or %d is not %s with 512 bits", rec->old_slot,
			      rec->new_slot, CIPHER);
	return REENCRYPT_RUNNING;
}

int reencrypt_header_check(const char *header_json, ReencryptRecord *ret, char *reason,
			   size_t reason_size)
{
	json_object *hdr = json_tokener_parse(header_json), *tokens, *req;
	ReencryptRecord rec = { .token = -1, .old_slot = -1, .new_slot = -1 };
	bool online = false;
	int n = 0, r;

	if (!hdr || !json_object_is_type(hdr, json_type_object)) {
		json_object_put(hdr);
		return errorf(reason, reason_size, -EBADMSG, "its metadata is not JSON");
	}
	req = json_get(json_get(json_get(hdr, "config", json_type_object), "requirements",
				json_type_object),
		       "mandatory", json_type_array);
	for (size_t i = 0; req && i < json_object_array_length(req); i++) {
		const char *v = json_str(json_object_array_get_idx(req, i));

		if (v && startswith(v, "online-reencrypt"))
			online = true;
		else {
			r = REFUSE("it carries the requirement %s", v ?: "?");
			goto out;
		}
	}
	tokens = json_get(hdr, "tokens", json_type_object);
	if (tokens) {
		json_object_object_foreach(tokens, tid, tok) {
			if (!streq(json_get_str(tok, "type") ?: "", REENCRYPT_TOKEN_TYPE))
				continue;
			if (++n > 1 || record_parse(slot_id(tid), tok, &rec) < 0 || rec.token < 0) {
				r = REFUSE("its %s token %s is malformed or not the only one",
					   REENCRYPT_TOKEN_TYPE, tid);
				goto out;
			}
		}
	}
	if (online && n == 0)
		r = REFUSE("it carries the online-reencrypt requirement and no %s token records "
			   "that kcc-init started it",
			   REENCRYPT_TOKEN_TYPE);
	else if (online)
		r = check_running(hdr, &rec, reason, reason_size);
	else if (n == 0)
		r = REENCRYPT_NONE;
	else {
		/* No requirement: the new keyslot opens the data segment (finished) or nothing yet. */
		json_object *d = digest_of(json_get(hdr, "digests", json_type_object), -1,
					   rec.new_slot);
		json_object *segs = json_get(d, "segments", json_type_array);

		r = segs && json_object_array_length(segs) > 0 ? REENCRYPT_FINISHED :
								  REENCRYPT_UNSTARTED;
		if (r == REENCRYPT_FINISHED &&
		    !keyslot_ok(json_get(hdr, "keyslots", json_type_object), rec.new_slot))
			r = REFUSE("keyslot %d is not %s with 512 bits", rec.new_slot, CIPHER);
	}
out:
	json_object_put(hdr);
	if (r >= 0)
		*ret = rec;
	return r;
}

char *reencrypt_record_json(int old_slot, int new_slot, const uint8_t mac[REENCRYPT_MAC_SIZE])
{
	char hex[2 * REENCRYPT_MAC_SIZE + 1], *out = NULL;

	hexify(mac, REENCRYPT_MAC_SIZE, hex);
	if (asprintf(&out, "{\"kcc-old-keyslot\":\"%d\",\"kcc-new-keyslot\":\"%d\",\"kcc-mac\":\"%s\"}",
		     old_slot, new_slot, hex) < 0)
		return NULL;
	return out;
}
