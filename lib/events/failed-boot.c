/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "failed-boot.h"
#include "util.h"

#define MAGIC "kcc-failed-boot 1"

static bool text_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

static bool boot_ok(const char *s, size_t n)
{
	if (n != 36)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return true;
}

/* Decimal, no sign, no leading zero, at most max. */
static bool number(const char *s, size_t n, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;

	if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (max - (uint64_t)(s[i] - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*ret = v;
	return true;
}

int failed_boot_format(const FailedBoot *r, char *buf, size_t size)
{
	int n;

	if (r->count == 0 || r->count > FAILED_BOOT_COUNT_MAX || !boot_ok(r->boot, strlen(r->boot)) ||
	    !r->version[0] || !r->stage[0] || !r->reason[0] ||
	    !text_ok(r->version, strlen(r->version)) || !text_ok(r->stage, strlen(r->stage)) ||
	    !text_ok(r->reason, strlen(r->reason)))
		return -EINVAL;
	n = snprintf(buf, size,
		     MAGIC "\ncount=%" PRIu32 "\nboot=%s\nuptime_ms=%" PRIu64 "\ntime=%" PRIu64
			   "\nversion=%s\nstage=%s\nreason=%s\n",
		     r->count, r->boot, r->uptime_ms, r->time_s, r->version, r->stage, r->reason);
	if (n < 0 || (size_t)n >= size || n > FAILED_BOOT_RECORD_MAX)
		return -E2BIG;
	return n;
}

/* The next line, which must be "key=VALUE": its value (not NUL-terminated). */
static bool take(const char **p, const char *end, const char *key, const char **val, size_t *n)
{
	size_t kl = strlen(key);
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));

	if (!nl || (size_t)(nl - *p) <= kl || memcmp(*p, key, kl) != 0 || (*p)[kl] != '=')
		return false;
	*val = *p + kl + 1;
	*n = (size_t)(nl - *val);
	*p = nl + 1;
	return text_ok(*val, *n);
}

static bool take_text(const char **p, const char *end, const char *key, char *dst, size_t size)
{
	const char *v;
	size_t n;

	if (!take(p, end, key, &v, &n) || n == 0 || n >= size)
		return false;
	memcpy(dst, v, n);
	dst[n] = '\0';
	return true;
}

static bool take_number(const char **p, const char *end, const char *key, uint64_t max,
			uint64_t *ret)
{
	const char *v;
	size_t n;

	return take(p, end, key, &v, &n) && number(v, n, max, ret);
}

int failed_boot_parse(const char *buf, size_t len, FailedBoot *ret)
{
	const char *p = buf, *end = buf + len;
	FailedBoot r = { 0 };
	uint64_t count;

	if (len > FAILED_BOOT_RECORD_MAX || len < sizeof(MAGIC) ||
	    memcmp(buf, MAGIC "\n", sizeof(MAGIC)) != 0)
		return -EBADMSG;
	p += sizeof(MAGIC);
	if (!take_number(&p, end, "count", FAILED_BOOT_COUNT_MAX, &count) || count == 0 ||
	    !take_text(&p, end, "boot", r.boot, sizeof(r.boot)) || !boot_ok(r.boot, strlen(r.boot)) ||
	    !take_number(&p, end, "uptime_ms", UINT64_MAX, &r.uptime_ms) ||
	    !take_number(&p, end, "time", UINT64_MAX, &r.time_s) ||
	    !take_text(&p, end, "version", r.version, sizeof(r.version)) ||
	    !take_text(&p, end, "stage", r.stage, sizeof(r.stage)) ||
	    !take_text(&p, end, "reason", r.reason, sizeof(r.reason)) || p != end)
		return -EBADMSG;
	r.count = (uint32_t)count;
	*ret = r;
	return 0;
}

void failed_boot_event(const FailedBoot *r, Event *ret)
{
	char v[24];

	*ret = (Event){ .id = EV_BOOT_FAILED_EARLIER };
	snprintf(ret->app, sizeof(ret->app), "kcc-init");
	snprintf(ret->message, sizeof(ret->message),
		 "an earlier boot failed before /var was open: stage '%s': %s (%" PRIu32
		 " failed boot%s; read from an unauthenticated EFI variable)",
		 r->stage, r->reason, r->count, r->count == 1 ? "" : "s");
	(void)event_add_field(ret, "source", "efi-variable-unauthenticated");
	(void)event_add_field(ret, "failed_boot", r->boot);
	(void)event_add_field(ret, "stage", r->stage);
	(void)event_add_field(ret, "reason", r->reason);
	snprintf(v, sizeof(v), "%" PRIu32, r->count);
	(void)event_add_field(ret, "count", v);
	snprintf(v, sizeof(v), "%" PRIu64, r->uptime_ms);
	(void)event_add_field(ret, "uptime_ms", v);
	snprintf(v, sizeof(v), "%" PRIu64, r->time_s);
	(void)event_add_field(ret, "time", v);
	(void)event_add_field(ret, "version", r->version);
}

void failed_boot_event_malformed(size_t size, Event *ret)
{
	char v[24];

	*ret = (Event){ .id = EV_BOOT_FAILED_EARLIER };
	snprintf(ret->app, sizeof(ret->app), "kcc-init");
	snprintf(ret->message, sizeof(ret->message),
		 "an earlier boot left a failure record that is not well-formed (%zu bytes; "
		 "an unauthenticated EFI variable, ignored)", size);
	(void)event_add_field(ret, "source", "efi-variable-unauthenticated");
	(void)event_add_field(ret, "malformed", "true");
	snprintf(v, sizeof(v), "%zu", size);
	(void)event_add_field(ret, "size", v);
}

void failed_boot_text(char *dst, size_t size, const char *src)
{
	size_t i = 0;

	if (size == 0)
		return;
	for (; src[i] && i + 1 < size; i++)
		dst[i] = src[i] >= 0x20 && src[i] <= 0x7e ? src[i] : '?';
	dst[i] = '\0';
}

#define PANIC_PREFIX "Kernel panic - not syncing: "

int failed_boot_panic_line(const char *buf, size_t len, char *ret, size_t size)
{
	const char *end = buf + len, *found = NULL, *found_end = NULL;

	for (const char *p = buf; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *e = nl ? nl : end;
		const char *at = memmem(p, (size_t)(e - p), PANIC_PREFIX, strlen(PANIC_PREFIX));

		if (at) {
			found = at;
			found_end = e;
		}
		p = nl ? nl + 1 : end;
	}
	if (!found || size == 0)
		return -ENOENT;
	size_t n = 0;
	for (const char *p = found; p < found_end && n + 1 < size; p++)
		ret[n++] = *p >= 0x20 && *p <= 0x7e ? *p : '?';
	ret[n] = '\0';
	return 0;
}

void failed_boot_event_panic(const char *name, unsigned files, const char *reason, Event *ret)
{
	char v[24];

	*ret = (Event){ .id = EV_BOOT_FAILED_EARLIER };
	snprintf(ret->app, sizeof(ret->app), "kcc-init");
	snprintf(ret->message, sizeof(ret->message),
		 "an earlier boot ended in a kernel panic: %s (the kernel's log dump in pstore, %u "
		 "part%s; read from unauthenticated EFI variables)",
		 reason[0] ? reason : "no panic line in the dump", files, files == 1 ? "" : "s");
	(void)event_add_field(ret, "source", "efi-pstore-unauthenticated");
	(void)event_add_field(ret, "failed_boot", name);
	(void)event_add_field(ret, "stage", "kernel panic");
	if (reason[0])
		(void)event_add_field(ret, "reason", reason);
	snprintf(v, sizeof(v), "%u", files);
	(void)event_add_field(ret, "parts", v);
}
