/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authenticode.h"

#define SECTIONS_MAX 96
#define DIR_SECURITY 4

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

typedef struct Range {
	uint32_t off, size;
} Range;

static int by_offset(const void *a, const void *b)
{
	const Range *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

static void md_freep(EVP_MD_CTX **c)
{
	EVP_MD_CTX_free(*c);
}

/* The layout follows the PE/COFF specification's "Calculating the PE Image Hash", as EDK2's
 * measured boot (Tcg2MeasurePeImage) does it. */
int pe_authenticode(const uint8_t *pe, size_t size, const PcrBank *b, uint8_t *digest, char *err,
		    size_t err_size)
{
	__attribute__((cleanup(md_freep))) EVP_MD_CTX *ctx = NULL;
	Range sect[SECTIONS_MAX];
	uint32_t lfanew, opt, table, headers, ndirs, cert_size = 0, cksum, dirs;
	uint64_t hashed;
	uint16_t nsect, magic, optsize;
	const EVP_MD *md = EVP_get_digestbyname(b->name);
	unsigned len = 0;

#define BAD(...) (snprintf(err, err_size, __VA_ARGS__), -EBADMSG)
	if (!md)
		return -EOPNOTSUPP;
	if (size < 0x40 || pe[0] != 'M' || pe[1] != 'Z')
		return BAD("not a PE image (no MZ header)");
	lfanew = le32(pe + 0x3c);
	if ((uint64_t)lfanew + 24 + 2 > size || memcmp(pe + lfanew, "PE\0\0", 4) != 0)
		return BAD("not a PE image (no PE signature)");
	nsect = le16(pe + lfanew + 6);
	optsize = le16(pe + lfanew + 20);
	opt = lfanew + 24;
	magic = le16(pe + opt);
	if (magic != 0x20b && magic != 0x10b)
		return BAD("unknown optional header magic 0x%x", magic);
	dirs = opt + (magic == 0x20b ? 112 : 96);
	if ((uint64_t)dirs > (uint64_t)opt + optsize || (uint64_t)opt + optsize > size)
		return BAD("optional header runs past the end of the file");
	cksum = opt + 64;
	headers = le32(pe + opt + 60);
	ndirs = le32(pe + dirs - 4);
	if (ndirs > (optsize - (dirs - opt)) / 8)
		return BAD("more data directories than the optional header holds");
	table = opt + optsize;
	if (nsect > SECTIONS_MAX || (uint64_t)table + (uint64_t)nsect * 40 > size)
		return BAD("bad section table");
	if (headers > size || headers < table + (uint32_t)nsect * 40)
		return BAD("SizeOfHeaders does not cover the section table");

	ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestInit_ex(ctx, md, NULL) != 1 || EVP_DigestUpdate(ctx, pe, cksum) != 1)
		return -ENOMEM;
	if (ndirs <= DIR_SECURITY) {
		if (EVP_DigestUpdate(ctx, pe + cksum + 4, headers - cksum - 4) != 1)
			return -EIO;
	} else {
		uint32_t sec = dirs + 8 * DIR_SECURITY;
		if (EVP_DigestUpdate(ctx, pe + cksum + 4, sec - cksum - 4) != 1 ||
		    EVP_DigestUpdate(ctx, pe + sec + 8, headers - sec - 8) != 1)
			return -EIO;
		cert_size = le32(pe + sec + 4);
	}
	hashed = headers;
	for (unsigned i = 0; i < nsect; i++) {
		const uint8_t *s = pe + table + 40 * i;
		sect[i] = (Range){ .off = le32(s + 20), .size = le32(s + 16) };
		if ((uint64_t)sect[i].off + sect[i].size > size)
			return BAD("section %u runs past the end of the file", i);
	}
	qsort(sect, nsect, sizeof(*sect), by_offset);
	for (unsigned i = 0; i < nsect; i++) {
		if (sect[i].size == 0)
			continue;
		if (EVP_DigestUpdate(ctx, pe + sect[i].off, sect[i].size) != 1)
			return -EIO;
		hashed += sect[i].size;
	}
	if (size > hashed) {
		if (cert_size > size - hashed)
			return BAD("the certificate table runs past the end of the file");
		if (size - hashed > cert_size &&
		    EVP_DigestUpdate(ctx, pe + hashed, size - hashed - cert_size) != 1)
			return -EIO;
	}
	if (EVP_DigestFinal_ex(ctx, digest, &len) != 1 || len != b->size)
		return -EIO;
	return 0;
#undef BAD
}

static int extend_str(uint8_t value[32], const char *s)
{
	uint8_t d[32];
	int r = pcr_hash(PCR_BANK_SHA256, s, strlen(s), d);

	return r < 0 ? r : pcr_extend_value(PCR_BANK_SHA256, value, d);
}

int firmware_pcr4(const uint8_t (*digests)[32], size_t n, unsigned failed_attempts,
		  uint8_t value[32])
{
	static const char calling[] = "Calling EFI Application from Boot Option",
			  returning[] = "Returning from EFI Application from Boot Option";
	static const uint8_t separator[4];
	uint8_t d[32];
	int r;

	memset(value, 0, 32);
	r = extend_str(value, calling);
	if (r >= 0)
		r = pcr_hash(PCR_BANK_SHA256, separator, sizeof(separator), d);
	if (r >= 0)
		r = pcr_extend_value(PCR_BANK_SHA256, value, d);
	for (unsigned i = 0; r >= 0 && i < failed_attempts; i++) {
		r = extend_str(value, returning);
		if (r >= 0)
			r = extend_str(value, calling);
	}
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = pcr_extend_value(PCR_BANK_SHA256, value, digests[i]);
	return r;
}
