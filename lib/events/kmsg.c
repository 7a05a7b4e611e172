/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "kmsg.h"
#include "util.h"

static int parse_u64(const char *s, size_t n, uint64_t *ret)
{
	uint64_t v = 0;

	if (n == 0 || n > 20)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*ret = v;
	return 0;
}

/* Copies a continuation value ("KEY=VALUE") into out when the key matches. */
static void dict_value(const char *line, size_t n, const char *key, char *out, size_t size)
{
	size_t k = strlen(key);

	if (n > k && memcmp(line, key, k) == 0 && line[k] == '=')
		snprintf(out, size, "%.*s", (int)(n - k - 1), line + k + 1);
}

int kmsg_parse(const char *rec, size_t len, KmsgRecord *ret)
{
	const char *semi = memchr(rec, ';', len), *p = rec, *end;
	const char *field[4];
	size_t flen[4], nf = 0;
	uint64_t pri;

	memset(ret, 0, sizeof(*ret));
	if (!semi)
		return -EINVAL;
	/* The prefix: PRI,SEQ,USEC,FLAGS and maybe more fields (caller=...), comma-separated. */
	while (p < semi && nf < 4) {
		const char *c = memchr(p, ',', (size_t)(semi - p));
		end = c ? c : semi;
		field[nf] = p;
		flen[nf++] = (size_t)(end - p);
		p = c ? c + 1 : semi;
	}
	if (nf < 4 || parse_u64(field[0], flen[0], &pri) < 0 || pri > 1023 ||
	    parse_u64(field[1], flen[1], &ret->seq) < 0 ||
	    parse_u64(field[2], flen[2], &ret->usec) < 0 || flen[3] == 0)
		return -EINVAL;
	ret->facility = (int)(pri >> 3);
	ret->level = (int)(pri & 7);
	ret->continuation = field[3][0] == 'c' || field[3][0] == '+';
	/* The text up to the newline, with the kernel's \xNN escapes decoded. */
	p = semi + 1;
	end = rec + len;
	while (p < end && *p != '\n') {
		char c = *p++;
		if (c == '\\' && end - p >= 3 && p[0] == 'x' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
			c = (char)(hexval(p[1]) << 4 | hexval(p[2]));
			p += 3;
		}
		if (c == '\0')
			c = '?';
		if (ret->text_len + 1 < sizeof(ret->text))
			ret->text[ret->text_len++] = c;
	}
	ret->text[ret->text_len] = '\0';
	/* Continuation lines: " KEY=VALUE\n". */
	while (p < end) {
		const char *nl;
		size_t n;

		p++; /* the newline */
		if (p >= end || *p != ' ')
			break;
		p++;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		dict_value(p, n, "SUBSYSTEM", ret->subsystem, sizeof(ret->subsystem));
		dict_value(p, n, "DEVICE", ret->device, sizeof(ret->device));
		p += n;
	}
	return 0;
}

/* "Lockdown: COMM: WHAT is restricted; see man kernel_lockdown.7" */
static bool lockdown(const char *t, Event *e)
{
	const char *rest = startswith(t, "Lockdown: "), *colon, *is;

	if (!rest || !(colon = strstr(rest, ": ")) || !(is = strstr(colon, " is restricted")))
		return false;
	char comm[64], what[128];
	snprintf(comm, sizeof(comm), "%.*s", (int)(colon - rest), rest);
	snprintf(what, sizeof(what), "%.*s", (int)(is - colon - 2), colon + 2);
	(void)event_add_field(e, "comm", comm);
	(void)event_add_field(e, "what", what);
	return true;
}

/* "device-mapper: verity: 254:0: data block 17 is corrupted" (or metadata block) */
static bool verity(const char *t, Event *e)
{
	const char *rest = startswith(t, "device-mapper: verity: ");

	if (!rest || !strstr(rest, " is corrupted"))
		return false;
	(void)event_add_field(e, "component", "dm-verity");
	return true;
}

/* "Out of memory: Killed process PID (COMM) ..." and the memory cgroup's variant */
static bool oom(const char *t, Event *e)
{
	const char *k = strstr(t, "out of memory: Killed process ");
	char comm[32], pid[16];
	unsigned p;

	if (!k)
		k = strstr(t, "Out of memory: Killed process ");
	if (!k || sscanf(strstr(k, "Killed process ") + 15, "%u (%31[^)])", &p, comm) != 2)
		return false;
	snprintf(pid, sizeof(pid), "%u", p);
	(void)event_add_field(e, "pid", pid);
	(void)event_add_field(e, "comm", comm);
	return true;
}

static bool lsm_denial(const char *t, Event *e)
{
	if (!startswith(t, "kcc-init: bpf-lsm: denied "))
		return false;
	(void)event_add_field(e, "lsm", "kcc-lsm");
	return true;
}

static bool config_rejected(const char *t, Event *e)
{
	(void)e;
	return startswith(t, "kcc-init: node config: refused ") != NULL;
}

/* kcc-init's line after a keyslot rotation in the initrd (init/state-rotate.c), before any
 * forwarder runs: the kernel log keeps it for the forwarder to read from the boot's start. */
static bool key_rotated(const char *t, Event *e)
{
	static const struct {
		const char *prefix, *phase;
	} volume[] = {
		{ "kcc-init: state: volume key rotation started: ", "started" },
		{ "kcc-init: state: volume key rotation in progress: ", "progress" },
		{ "kcc-init: state: volume key rotated: ", "done" },
	};

	if (startswith(t, "kcc-init: state: key rotated (")) {
		(void)event_add_field(e, "component", "state-partition");
		return true;
	}
	/* A PCR-signing-key rollover (init/state-rollover.c): re-sealed to the next key, then the
	 * old key's token retired by an image of the new key. */
	if (startswith(t, "kcc-init: state: PCR signing key rolled over (")) {
		(void)event_add_field(e, "component", "pcr-signing-key");
		(void)event_add_field(e, "phase", startswith(t, "kcc-init: state: PCR signing key "
								 "rolled over (re-sealed)") ?
							  "resealed" :
							  "retired");
		return true;
	}
	/* The volume-key rotation (init/state-reencrypt.c): started, one line per boot, done. */
	for (size_t i = 0; i < ARRAY_SIZE(volume); i++)
		if (startswith(t, volume[i].prefix)) {
			(void)event_add_field(e, "component", "state-volume-key");
			(void)event_add_field(e, "phase", volume[i].phase);
			return true;
		}
	return false;
}

/* kcc-update's rollback line (update/condition.c) as PID 1 relays a service's output: the
 * "kcc-init[SERVICE]:" prefix is PID 1's, so no other service can write it. */
static bool rolled_back(const char *t, Event *e)
{
	if (!startswith(t, "kcc-init[kcc-update]: kcc-update: ROLLED BACK: "))
		return false;
	(void)event_add_field(e, "component", "kcc-update");
	return true;
}

/* "kcc-init: boot stopped: stage 'STAGE' failed (...)" */
static EventId boot_stopped(const char *t, Event *e)
{
	const char *s = startswith(t, "kcc-init: boot stopped: stage '");
	char stage[32];

	if (!s || sscanf(s, "%31[^']", stage) != 1)
		return EV_INVALID;
	(void)event_add_field(e, "stage", stage);
	if (streq(stage, "state partition") || streq(stage, "tpm"))
		return EV_UNLOCK_FAILURE;
	return EV_INTEGRITY_FAILURE;
}

EventId kmsg_classify(const KmsgRecord *r, Event *e)
{
	const char *t = r->text;
	EventId id = EV_INVALID;

	e->n_fields = 0;
	if (lockdown(t, e))
		id = EV_LOCKDOWN_REFUSAL;
	else if (verity(t, e))
		id = EV_INTEGRITY_FAILURE;
	else if (oom(t, e))
		id = EV_SERVICE_OOM;
	else if (lsm_denial(t, e))
		id = EV_LSM_DENIAL;
	else if (config_rejected(t, e))
		id = EV_CONFIG_REJECTED;
	else if (key_rotated(t, e))
		id = EV_KEY_ROTATED;
	else if (rolled_back(t, e))
		id = EV_UPDATE_ROLLED_BACK;
	else
		id = boot_stopped(t, e);
	if (id == EV_INVALID) {
		e->n_fields = 0;
		return id;
	}
	e->id = id;
	snprintf(e->message, sizeof(e->message), "%s", t);
	snprintf(e->app, sizeof(e->app), "%s",
		 id == EV_UPDATE_ROLLED_BACK ? "kcc-update" :
		 startswith(t, "kcc-init:")  ? "kcc-init" :
					       "kernel");
	return id;
}
