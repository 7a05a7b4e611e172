/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>
#include <tss2/tss2_tpm2_types.h>

#include "tcglog.h"
#include "util.h"

#define EV_NO_ACTION 3u
#define SPEC_ID "Spec ID Event03"     /* with its NUL: 16 bytes */
#define STARTUP_LOCALITY "StartupLocality" /* with its NUL: 16 bytes */
#define ALGS_MAX 8

typedef struct Reader {
	const uint8_t *p;
	size_t left;
} Reader;

static bool take(Reader *r, size_t n, const uint8_t **ret)
{
	if (r->left < n)
		return false;
	if (ret)
		*ret = r->p;
	r->p += n;
	r->left -= n;
	return true;
}

static bool u32(Reader *r, uint32_t *v)
{
	const uint8_t *p;

	if (!take(r, 4, &p))
		return false;
	*v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	return true;
}

static bool u16(Reader *r, uint16_t *v)
{
	const uint8_t *p;

	if (!take(r, 2, &p))
		return false;
	*v = (uint16_t)(p[0] | p[1] << 8);
	return true;
}

typedef struct SpecId {
	uint32_t n_algs;
	uint16_t alg[ALGS_MAX], size[ALGS_MAX];
} SpecId;

/* The first record: TCG_PCR_EVENT with EV_NO_ACTION and the Spec ID event. */
static int spec_id(Reader *r, SpecId *s, char *err, size_t err_size)
{
	uint32_t pcr, type, size;
	const uint8_t *digest, *ev;
	Reader e;
	uint8_t vendor;

	if (!u32(r, &pcr) || !u32(r, &type) || !take(r, 20, &digest) || !u32(r, &size) ||
	    !take(r, size, &ev))
		return errorf(err, err_size, -EBADMSG, "the first record is truncated");
	e = (Reader){ ev, size };
	if (pcr != 0 || type != EV_NO_ACTION || !take(&e, 16, &digest) ||
	    memcmp(digest, SPEC_ID, 16) != 0)
		return errorf(err, err_size, -EBADMSG, "no Spec ID Event03 header (not crypto-agile)");
	if (!take(&e, 4 + 4, NULL) || !u32(&e, &s->n_algs) || s->n_algs == 0 ||
	    s->n_algs > ALGS_MAX)
		return errorf(err, err_size, -EBADMSG, "the header names 1 to %d banks", ALGS_MAX);
	for (uint32_t i = 0; i < s->n_algs; i++) {
		const PcrBank *b;
		if (!u16(&e, &s->alg[i]) || !u16(&e, &s->size[i]) || s->size[i] == 0 ||
		    s->size[i] > PCR_DIGEST_MAX)
			return errorf(err, err_size, -EBADMSG, "the header's bank list is malformed");
		b = pcr_bank_by_alg(s->alg[i]);
		if (b && b->size != s->size[i])
			return errorf(err, err_size, -EBADMSG, "the header gives bank 0x%x size %u",
				      s->alg[i], s->size[i]);
	}
	if (!take(&e, 1, &digest))
		return errorf(err, err_size, -EBADMSG, "the header's vendor info is missing");
	vendor = digest[0];
	if (!take(&e, vendor, NULL) || e.left != 0)
		return errorf(err, err_size, -EBADMSG, "the header's length does not add up");
	for (uint32_t i = 0; i < s->n_algs; i++)
		if (s->alg[i] == TPM2_ALG_SHA256)
			return 0;
	return errorf(err, err_size, -EBADMSG, "the log has no SHA-256 bank");
}

static int event2(Reader *r, const SpecId *s, uint8_t out[PCR_COUNT][32], char *err,
		  size_t err_size)
{
	uint32_t pcr, type, count, size;
	const uint8_t *sha256 = NULL, *d, *ev;

	if (!u32(r, &pcr) || !u32(r, &type) || !u32(r, &count))
		return errorf(err, err_size, -EBADMSG, "a record is truncated");
	if (pcr >= PCR_COUNT || count != s->n_algs)
		return errorf(err, err_size, -EBADMSG, "a record for PCR %u with %u of %u digests",
			      pcr, count, s->n_algs);
	for (uint32_t i = 0; i < count; i++) {
		uint16_t alg;
		if (!u16(r, &alg) || alg != s->alg[i] || !take(r, s->size[i], &d))
			return errorf(err, err_size, -EBADMSG,
				      "a record's digests are not the header's banks in order");
		if (alg == TPM2_ALG_SHA256)
			sha256 = d;
	}
	if (!u32(r, &size) || !take(r, size, &ev))
		return errorf(err, err_size, -EBADMSG, "a record's event data is truncated");
	if (type == EV_NO_ACTION) {
		/* Not extended; the startup locality sets PCR 0's starting value. */
		if (pcr == 0 && size == 17 && memcmp(ev, STARTUP_LOCALITY, 16) == 0) {
			memset(out[0], 0, 32);
			out[0][31] = ev[16];
		}
		return 0;
	}
	return pcr_extend_value(PCR_BANK_SHA256, out[pcr], sha256) < 0 ? -EIO : 0;
}

int tcglog_replay(const uint8_t *buf, size_t size, uint8_t out[PCR_COUNT][32], char *err,
		  size_t err_size)
{
	Reader r = { buf, size };
	SpecId s = { 0 };
	unsigned n = 1;
	int k;

	memset(out, 0, PCR_COUNT * 32);
	if (size > TCGLOG_MAX)
		return errorf(err, err_size, -EBADMSG, "the log is longer than %d bytes", TCGLOG_MAX);
	k = spec_id(&r, &s, err, err_size);
	while (k >= 0 && r.left > 0) {
		char sub[120];
		n++;
		k = event2(&r, &s, out, sub, sizeof(sub));
		if (k < 0)
			return errorf(err, err_size, k, "record %u: %s", n, sub);
	}
	return k < 0 ? k : (int)(n - 1);
}
