/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <stdio.h>

#include "log.h"
#include "timeline.h"

typedef struct Entry {
	char name[24];
	unsigned long long start, end;
} Entry;

static Entry entries[TIMELINE_MAX];
static unsigned n_entries;

void timeline_begin(const char *stage)
{
	if (n_entries >= TIMELINE_MAX)
		return;
	snprintf(entries[n_entries].name, sizeof(entries[0].name), "%s", stage);
	entries[n_entries].start = now_ms();
	entries[n_entries].end = 0;
	n_entries++;
}

void timeline_end(const char *stage)
{
	for (unsigned i = n_entries; i > 0; i--)
		if (streq(entries[i - 1].name, stage) && entries[i - 1].end == 0) {
			entries[i - 1].end = now_ms();
			return;
		}
}

int timeline_save(void)
{
	_cleanup_fclose_ FILE *f = NULL;
	int r;

	r = mkdir_p("/run/kcc", 0755);
	if (r < 0)
		return r;
	f = fopen(TIMELINE_STATE, "we");
	if (!f)
		return -errno;
	for (unsigned i = 0; i < n_entries; i++)
		fprintf(f, "%s %llu %llu\n", entries[i].name, entries[i].start, entries[i].end);
	return fflush(f) == 0 ? 0 : -errno;
}

int timeline_load(void)
{
	_cleanup_fclose_ FILE *f = NULL;
	char line[96];

	f = fopen(TIMELINE_STATE, "re");
	if (!f)
		return -errno;
	n_entries = 0;
	/* "NAME START END" lines, as timeline_save() writes them */
	while (n_entries < TIMELINE_MAX && fgets(line, sizeof(line), f)) {
		char *save = NULL, *name = strtok_r(line, " \n", &save);
		char *start = name ? strtok_r(NULL, " \n", &save) : NULL;
		char *end = start ? strtok_r(NULL, " \n", &save) : NULL;
		Entry e = {};

		if (!end || strlen(name) >= sizeof(e.name))
			break;
		snprintf(e.name, sizeof(e.name), "%s", name);
		e.start = strtoull(start, NULL, 10);
		e.end = strtoull(end, NULL, 10);
		entries[n_entries++] = e;
	}
	return (int)n_entries;
}

int timeline_finish(const char *marker)
{
	_cleanup_fclose_ FILE *f = NULL;
	char line[768];
	size_t off = 0;
	unsigned long long t = now_ms();

	for (unsigned i = 0; i < n_entries && off < sizeof(line); i++)
		off += (size_t)snprintf(line + off, sizeof(line) - off, "%s%s %llu-%llu",
					i ? ", " : "", entries[i].name, entries[i].start,
					entries[i].end);
	log_info("boot timeline (ms since kernel start): %s; %s at %llu ms", line, marker, t);
	f = fopen(TIMELINE_JSON, "we");
	if (!f)
		return -errno;
	fprintf(f, "{\"clock\":\"monotonic\",\"unit\":\"ms\",\"ready\":%llu,\"stages\":[", t);
	for (unsigned i = 0; i < n_entries; i++)
		fprintf(f, "%s{\"name\":\"%s\",\"start\":%llu,\"end\":%llu}", i ? "," : "",
			entries[i].name, entries[i].start, entries[i].end);
	fprintf(f, "]}\n");
	return fflush(f) == 0 ? 0 : -errno;
}
