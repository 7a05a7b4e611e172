/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uki.h"

static const char *const measured_sections[] = {
	".linux", ".osrel", ".cmdline", ".initrd", ".splash", ".dtb", ".pcrpkey",
};

/* A section may be longer in memory than in the file (the loader fills zeros), but not absurdly. */
#define ZERO_FILL_MAX (1u << 20)

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static int extend_blob(const PcrBank *b, uint8_t *value, const void *data, size_t len)
{
	uint8_t d[PCR_DIGEST_MAX];
	int r = pcr_hash(b, data, len, d);

	return r < 0 ? r : pcr_extend_value(b, value, d);
}

int uki_measure(const uint8_t *pe, size_t size, const PcrBank *b, uint8_t *value, char *err,
		size_t err_size)
{
	uint32_t lfanew, table;
	uint16_t nsect, opt;

#define BAD(...) (snprintf(err, err_size, __VA_ARGS__), -EBADMSG)
	if (size < 0x40 || pe[0] != 'M' || pe[1] != 'Z')
		return BAD("not a PE image (no MZ header)");
	lfanew = le32(pe + 0x3c);
	if ((uint64_t)lfanew + 24 > size || memcmp(pe + lfanew, "PE\0\0", 4) != 0)
		return BAD("not a PE image (no PE signature)");
	nsect = le16(pe + lfanew + 6);
	opt = le16(pe + lfanew + 20);
	table = lfanew + 24 + opt;
	if ((uint64_t)table + (uint64_t)nsect * 40 > size)
		return BAD("section table runs past the end of the file");

	for (size_t m = 0; m < sizeof(measured_sections) / sizeof(*measured_sections); m++) {
		const char *want = measured_sections[m];

		for (unsigned i = 0; i < nsect; i++) {
			const uint8_t *s = pe + table + 40 * i;
			uint32_t vsize = le32(s + 8), rawsize = le32(s + 16), rawptr = le32(s + 20);
			uint8_t *buf;
			int r;

			if (strncmp((const char *)s, want, 8) != 0)
				continue;
			if ((uint64_t)rawptr + rawsize > size)
				return BAD("section %s runs past the end of the file", want);
			if (vsize > rawsize && vsize - rawsize > ZERO_FILL_MAX)
				return BAD("section %s claims %u bytes of memory for %u bytes of data",
					   want, vsize, rawsize);
			r = extend_blob(b, value, want, strlen(want) + 1);
			if (r < 0)
				return r;
			/* The stub measures VirtualSize bytes of the loaded image; beyond the raw
			 * data the loader fills zeros. */
			if (vsize <= rawsize) {
				r = extend_blob(b, value, pe + rawptr, vsize);
			} else {
				buf = calloc(1, vsize);
				if (!buf)
					return -ENOMEM;
				memcpy(buf, pe + rawptr, rawsize);
				r = extend_blob(b, value, buf, vsize);
				free(buf);
			}
			if (r < 0)
				return r;
			break;
		}
	}
	return 0;
#undef BAD
}

int direct_measure(const char *cmdline, const PcrBank *b, uint8_t *value)
{
	int r = extend_blob(b, value, ".cmdline", sizeof(".cmdline"));

	return r < 0 ? r : extend_blob(b, value, cmdline, strlen(cmdline));
}

int phase_measure(const char *phase, const PcrBank *b, uint8_t *value)
{
	return extend_blob(b, value, phase, strlen(phase));
}
