/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the ESP entry name parser (lib/update/esp.c), which reads names from the ESP,
 * a FAT file system anyone with the disk can write, and the LoaderBootCountPath parser of bless and
 * mark-bad (an EFI variable). A parsed name formats back to itself, except a counted "+L-0"
 * (written "+L"). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "esp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[300], out[ESP_NAME_MAX];
	EspEntry e, f;

	if (size >= sizeof(name))
		return 0;
	memcpy(name, data, size);
	name[size] = '\0';
	/* no such ESP: only the path is parsed */
	if (esp_bless("/nonexistent-esp", name, &e) == 0 || esp_mark_bad("/nonexistent-esp", name, &e) == 0)
		abort();
	if (esp_entry_parse(name, &e) < 0)
		return 0;
	if (esp_entry_format(&e, out, sizeof(out)) < 0)
		abort();
	if (esp_entry_parse(out, &f) < 0 || esp_entry_compare(&e, &f) != 0 ||
	    strcmp(e.version, f.version) != 0 || e.counted != f.counted || e.left != f.left || e.done != f.done)
		abort();
	return 0;
}
