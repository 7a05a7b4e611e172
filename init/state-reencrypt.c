/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <sys/random.h>

#include "cryptsetup.h"
#include "log.h"
#include "luks-reencrypt.h"
#include "pcr.h"
#include "stage-state.h"
#include "state-reencrypt.h"
#include "state-rotate.h"
#include "test-hooks.h"

typedef struct Budget {
	unsigned long long t0, deadline, seconds;
	uint64_t size, first, last;
	bool seen;
} Budget;

/* libcryptsetup calls it once before the first hotzone, then after each. The boot's time counts
 * from that first call (opening both keys and setting up the device-mapper stack before it take
 * seconds under emulation), and every boot re-encrypts at least one hotzone: a budget shorter than
 * the set-up never starves the rotation. */
static bool progress(uint64_t size, uint64_t offset, void *data)
{
	Budget *b = data;

	b->size = size;
	b->last = offset;
	if (!b->seen) {
		b->first = offset;
		b->seen = true;
		b->t0 = now_ms();
		b->deadline = b->t0 + 1000ULL * b->seconds;
		return false;
	}
	test_checkpoint("reencrypt-progress"); /* a hotzone is done, the next one starts */
	return now_ms() >= b->deadline;
}

/* The record's MAC: the new key's binding, keyed with the sealed binding of the old one (a
 * secret only the TPM's unseal or the old volume key gives). */
static int record_mac(const uint8_t *old_bind, const uint8_t *new_bind, uint8_t *out)
{
	uint8_t msg[sizeof(REENCRYPT_MAC_LABEL) - 1 + STATE_BIND_SIZE];

	memcpy(msg, REENCRYPT_MAC_LABEL, sizeof(REENCRYPT_MAC_LABEL) - 1);
	memcpy(msg + sizeof(REENCRYPT_MAC_LABEL) - 1, new_bind, STATE_BIND_SIZE);
	return pcr_hmac(PCR_BANK_SHA256, old_bind, STATE_BIND_SIZE, msg, sizeof(msg), out);
}

static int start(const StateReencrypt *a, uint8_t *new_bind)
{
	uint8_t mac[REENCRYPT_MAC_SIZE];
	ReencryptRecord rec;
	unsigned n;
	int r;

	/* What a start cut short left (an unbound keyslot, a record) goes first. */
	r = luks_reencrypt_forget(a->node, &n);
	if (r < 0)
		return r;
	if (getrandom(a->vk, LUKS_KEY_SIZE, 0) != LUKS_KEY_SIZE)
		return -errno;
	r = state_volume_binding(LUKS_CIPHER, LUKS_CIPHER_MODE, LUKS_KEY_SIZE, a->uuid, a->vk,
				 LUKS_KEY_SIZE, new_bind);
	if (r >= 0)
		r = record_mac(a->secret + STATE_PASS_SIZE, new_bind, mac);
	if (r >= 0)
		r = luks_reencrypt_start(a->node, STATE_DM_NAME, a->secret, STATE_PASS_SIZE, a->vk,
					 a->token_id, mac, test_checkpoint, &rec);
	explicit_wipe(a->vk, LUKS_KEY_SIZE);
	if (r < 0)
		return r;
	log_info("state: volume key rotation started: keyslot %d -> %d (a new volume key), token "
		 "%d records it; re-encrypting %s online",
		 rec.old_slot, rec.new_slot, rec.token, a->node);
	return 0;
}

/* One boot's share: 1 when the re-encryption is done. */
static int resume(const StateReencrypt *a)
{
	unsigned days, seconds;
	Budget b = { .t0 = now_ms() };
	unsigned long long ms;
	int r;

	state_config(&days, &seconds);
	b.seconds = seconds ?: STATE_REENCRYPT_SECONDS;
	r = luks_reencrypt_resume(a->node, STATE_DM_NAME, a->secret, STATE_PASS_SIZE,
				  STATE_REENCRYPT_HOTZONE, progress, &b);
	if (r < 0)
		return r;
	ms = now_ms() - b.t0 ?: 1;
	log_info("state: volume key rotation %s: %llu of %llu MiB re-encrypted, %llu MiB in %llu "
		 "ms this boot (%.1f MiB/s)%s",
		 r > 0 ? "re-encrypted the volume" : "in progress", (unsigned long long)(b.last >> 20),
		 (unsigned long long)(b.size >> 20), (unsigned long long)((b.last - b.first) >> 20),
		 ms, (double)(b.last - b.first) / 1048576.0 * 1000.0 / (double)ms,
		 r > 0 ? "" : "; it goes on at the next boot");
	return r;
}

/* The end: the key sealed anew for the new volume key (a key rotation whose binding is the new
 * key's), then the record and what the old key left removed. */
static int finish(const StateReencrypt *a, const uint8_t *new_bind)
{
	unsigned n = 0;
	int r;

	memcpy(a->secret + STATE_PASS_SIZE, new_bind, STATE_BIND_SIZE);
	r = state_rotate_run(a->node, a->var, "the volume key was replaced", a->token_id,
			     a->token_json, /* recovery_token= */ -1, a->key_der, a->key_der_size,
			     a->secret, a->fresh, a->recovery);
	if (r < 0)
		return r;
	r = luks_reencrypt_forget(a->node, &n);
	if (r < 0)
		return log_warning_errno(r, "state: volume key rotation not finished, retried at the "
					    "next boot: removing its record: %m");
	(void)state_request_remove(a->var, STATE_REENCRYPT_FILE);
	log_info("state: volume key rotated: the volume is re-encrypted, the key sealed for the "
		 "new volume key, the old volume key and keyslot gone (%u leftovers removed)",
		 n);
	return 0;
}

StateReencryptResult state_reencrypt_run(const StateReencrypt *a)
{
	StateReencryptResult res = STATE_REENCRYPT_IDLE;
	uint8_t new_bind[STATE_BIND_SIZE];
	ReencryptState st = a->state;
	int r;

	if (a->new_bind)
		memcpy(new_bind, a->new_bind, sizeof(new_bind));
	if (st == REENCRYPT_UNSTARTED) /* a start cut before its metadata: start() undoes it */
		st = REENCRYPT_NONE;
	if (st == REENCRYPT_NONE) {
		if (!state_request_present(a->var, STATE_REENCRYPT_FILE))
			goto out;
		r = start(a, new_bind);
		if (r < 0) {
			log_warning_errno(r, "state: volume key rotation could not start, keeping the "
					     "current key (retried at the next boot): %m");
			/* the metadata may be on disk: only the next boot's check tells */
			res = STATE_REENCRYPT_BUSY;
			goto out;
		}
		(void)state_request_remove(a->var, STATE_REENCRYPT_FILE);
		st = REENCRYPT_RUNNING;
	}
	if (st == REENCRYPT_RUNNING) {
		res = STATE_REENCRYPT_BUSY;
		r = resume(a);
		if (r < 0)
			log_warning_errno(r, "state: volume key rotation stopped, resumed at the next "
					     "boot: %m");
		if (r <= 0)
			goto out;
		st = REENCRYPT_FINISHED;
	}
	/* Not sealed anew (a failure): the next boot finishes; no key rotation before. */
	if (st == REENCRYPT_FINISHED)
		res = finish(a, new_bind) >= 0 ? STATE_REENCRYPT_SEALED : STATE_REENCRYPT_BUSY;
out:
	explicit_wipe(new_bind, sizeof(new_bind));
	return res;
}
