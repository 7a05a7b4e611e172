/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/events: the catalogue, RFC 5424 + octet counting, the kernel log's records. */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "event.h"
#include "kmsg.h"
#include "syslog.h"
#include "util.h"

static void test_catalogue(void **state)
{
	(void)state;
	/* Stable: these IDs are what SIEM rules match on (docs/events.md). */
	assert_string_equal(event_type(EV_LSM_DENIAL)->msgid, "KCC-LSM-DENIAL");
	assert_int_equal(event_type(EV_INTEGRITY_FAILURE)->severity, SEV_CRIT);
	for (int i = 0; i < _EV_MAX; i++) {
		const EventType *t = event_type((EventId)i);
		assert_non_null(t);
		assert_true(strlen(t->msgid) <= 32);
		assert_int_equal(event_id_from_msgid(t->msgid), i);
	}
	assert_null(event_type(_EV_MAX));
	assert_null(event_type(EV_INVALID));
	assert_int_equal(event_id_from_msgid("KCC-NOPE"), EV_INVALID);
}

static Event *sample(void)
{
	Event *e = calloc(1, sizeof(*e));

	e->id = EV_LSM_DENIAL;
	e->seq = 42;
	snprintf(e->boot_id, sizeof(e->boot_id), "0b0e5a34-5d6c-4b55-8d7e-3c2e9b1f4a10");
	e->time_us = 1796601600123456ULL; /* 2026-12-07T00:00:00.123456Z */
	snprintf(e->host, sizeof(e->host), "node-1");
	snprintf(e->app, sizeof(e->app), "kcc-init");
	e->pid = 1;
	snprintf(e->message, sizeof(e->message), "denied \"x\"");
	return e;
}

static void test_fields(void **state)
{
	Event *e = sample();

	(void)state;
	assert_int_equal(event_add_field(e, "comm", "sh"), 0);
	assert_int_equal(event_add_field(e, "", "x"), -EINVAL);
	assert_int_equal(event_add_field(e, "a b", "x"), -EINVAL);
	assert_int_equal(event_add_field(e, "a=b", "x"), -EINVAL);
	assert_int_equal(event_add_field(e, "a]", "x"), -EINVAL);
	assert_int_equal(event_add_field(e, "a\"", "x"), -EINVAL);
	assert_int_equal(event_add_field(e, "0123456789012345678901234567890123", "x"), -E2BIG);
	for (int i = 1; i < EVENT_FIELDS_MAX; i++)
		assert_int_equal(event_add_field(e, "k", "v"), 0);
	assert_int_equal(event_add_field(e, "k", "v"), -E2BIG);
	free(e);
}

static void test_syslog(void **state)
{
	Event *e = sample();
	char buf[2048], *sp, *json;
	const char *want = "<108>1 2026-12-07T00:00:00.123456Z node-1 kcc-init 1 KCC-LSM-DENIAL "
			   "[kcc@32473 id=\"KCC-LSM-DENIAL\" boot=\"0b0e5a34-5d6c-4b55-8d7e-3c2e9b1f4a10\" "
			   "seq=\"42\"][kcc-fields@32473 comm=\"a\\\"b\\\\c\\]d\"] \xef\xbb\xbf{";
	unsigned long n;
	int len;

	(void)state;
	assert_int_equal(event_add_field(e, "comm", "a\"b\\c]d"), 0);
	len = event_to_syslog(e, buf, sizeof(buf));
	assert_true(len > 0);
	assert_int_equal((size_t)len, strlen(buf));
	/* Octet counting: the number is the length of what follows the space. */
	n = strtoul(buf, &sp, 10);
	assert_int_equal(*sp, ' ');
	assert_int_equal(n, strlen(sp + 1));
	assert_memory_equal(sp + 1, want, strlen(want));
	/* The body is JSON with the ECS names. */
	json = strstr(buf, "\xef\xbb\xbf") + 3;
	{
		json_object *o = json_tokener_parse(json), *v;
		assert_non_null(o);
		assert_true(json_object_object_get_ex(o, "event", &v));
		assert_string_equal(json_object_get_string(json_object_object_get(v, "code")),
				    "KCC-LSM-DENIAL");
		assert_int_equal(json_object_get_int(json_object_object_get(v, "sequence")), 42);
		assert_string_equal(json_object_get_string(json_object_object_get(o, "message")),
				    "denied \"x\"");
		assert_string_equal(
			json_object_get_string(json_object_object_get(
				json_object_object_get(o, "kcc"), "comm")), "a\"b\\c]d");
		json_object_put(o);
	}
	/* Too small a buffer: refused, not cut; the line and its NUL fit exactly, one byte less not. */
	assert_int_equal(event_to_syslog(e, buf, 100), -E2BIG);
	assert_int_equal(event_to_syslog(e, buf, (size_t)len + 1), len);
	assert_int_equal(event_to_syslog(e, buf, (size_t)len), -E2BIG);
	/* Empty header fields are the NILVALUE; spaces in them cannot split the header. */
	e->host[0] = '\0';
	snprintf(e->app, sizeof(e->app), "a b");
	e->pid = 0;
	assert_true(event_to_syslog(e, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "Z - a_b - KCC-LSM-DENIAL ["));
	e->id = _EV_MAX;
	assert_int_equal(event_to_syslog(e, buf, sizeof(buf)), -EINVAL);
	free(e);
}

static void test_kmsg_parse(void **state)
{
	KmsgRecord r;
	const char *rec = "4,1234,5678901,-,caller=T1;Lockdown: cat: /dev/mem,kmem,port is "
			  "restricted; see man kernel_lockdown.7\n SUBSYSTEM=mem\n DEVICE=c1:1\n";

	(void)state;
	assert_int_equal(kmsg_parse(rec, strlen(rec), &r), 0);
	assert_int_equal(r.level, 4);
	assert_int_equal(r.facility, 0);
	assert_int_equal(r.seq, 1234);
	assert_int_equal(r.usec, 5678901);
	assert_false(r.continuation);
	assert_string_equal(r.text, "Lockdown: cat: /dev/mem,kmem,port is restricted; see man "
				    "kernel_lockdown.7");
	assert_string_equal(r.subsystem, "mem");
	assert_string_equal(r.device, "c1:1");
	/* \xNN decoded; an escaped NUL cannot end the text early. */
	rec = "14,1,2,c;a\\x41b\\x00c\\x4";
	assert_int_equal(kmsg_parse(rec, strlen(rec), &r), 0);
	assert_string_equal(r.text, "aAb?c\\x4");
	assert_int_equal(r.facility, 1);
	assert_true(r.continuation);
	/* Malformed prefixes. */
	assert_int_equal(kmsg_parse("6,1,2;x", 7, &r), -EINVAL);
	assert_int_equal(kmsg_parse("6,1,2,-", 7, &r), -EINVAL);
	assert_int_equal(kmsg_parse("x,1,2,-;t", 9, &r), -EINVAL);
	assert_int_equal(kmsg_parse("6,,2,-;t", 8, &r), -EINVAL);
	assert_int_equal(kmsg_parse("6,1,2,;t", 8, &r), -EINVAL);
	assert_int_equal(kmsg_parse("2000,1,2,-;t", 12, &r), -EINVAL);
	assert_int_equal(kmsg_parse("6,99999999999999999999999,2,-;t", 31, &r), -EINVAL);
}

static void classify(const char *text, EventId want, const char *field, const char *value)
{
	char rec[1200];
	KmsgRecord r;
	Event e = { 0 };

	snprintf(rec, sizeof(rec), "4,7,100,-;%s", text);
	assert_int_equal(kmsg_parse(rec, strlen(rec), &r), 0);
	assert_int_equal(kmsg_classify(&r, &e), want);
	if (want == EV_INVALID)
		return;
	assert_int_equal(e.id, want);
	assert_string_equal(e.message, text);
	if (field) {
		bool found = false;
		for (size_t i = 0; i < e.n_fields; i++)
			if (streq(e.fields[i].key, field) && streq(e.fields[i].value, value))
				found = true;
		if (!found)
			fail_msg("%s: no field %s=%s", text, field, value);
	}
}

static void test_classify(void **state)
{
	(void)state;
	classify("Lockdown: cat: /dev/mem,kmem,port is restricted; see man kernel_lockdown.7",
		 EV_LOCKDOWN_REFUSAL, "what", "/dev/mem,kmem,port");
	classify("Lockdown: kexec: kexec of unsigned images is restricted; see man "
		 "kernel_lockdown.7", EV_LOCKDOWN_REFUSAL, "comm", "kexec");
	classify("device-mapper: verity: 254:0: data block 17 is corrupted", EV_INTEGRITY_FAILURE,
		 "component", "dm-verity");
	classify("Out of memory: Killed process 412 (hog) total-vm:1kB", EV_SERVICE_OOM, "comm", "hog");
	classify("Memory cgroup out of memory: Killed process 99 (stress) total-vm:9kB",
		 EV_SERVICE_OOM, "pid", "99");
	classify("kcc-init: bpf-lsm: denied a signal to pid 1 from pid 300 (sh)", EV_LSM_DENIAL,
		 "lsm", "kcc-lsm");
	classify("kcc-init: node config: refused (smbios, sha256 00): the node stays unjoined",
		 EV_CONFIG_REJECTED, NULL, NULL);
	classify("kcc-init: boot stopped: stage 'state partition' failed (x); powering off",
		 EV_UNLOCK_FAILURE, "stage", "state partition");
	classify("kcc-init: boot stopped: stage 'verity root' failed (x); powering off",
		 EV_INTEGRITY_FAILURE, "stage", "verity root");
	classify("kcc-init: state: key rotated (requested): keyslot 0 -> 1, token 0 -> 1, sealed "
		 "anew, old keyslot destroyed (759 ms, 11 TPM commands)",
		 EV_KEY_ROTATED, "component", "state-partition");
	classify("kcc-init: state: PCR signing key rolled over (re-sealed): token 1 sealed to the "
		 "next key 0123456789abcdef beside token 0 of fedcba9876543210", EV_KEY_ROTATED,
		 "phase", "resealed");
	classify("kcc-init: state: PCR signing key rolled over (old key retired): token 0 of the "
		 "previous key removed", EV_KEY_ROTATED, "component", "pcr-signing-key");
	classify("kcc-init: state: PCR signing key rolled over (old key retired): token 0",
		 EV_KEY_ROTATED, "phase", "retired");
	classify("kcc-init[hostile]: kcc-init: state: PCR signing key rolled over (re-sealed)",
		 EV_INVALID, NULL, NULL);
	classify("kcc-init: state: volume key rotation started: keyslot 0 -> 1 (a new volume key), "
		 "token 1 records it; re-encrypting /dev/vda6 online",
		 EV_KEY_ROTATED, "component", "state-volume-key");
	classify("kcc-init: state: volume key rotation in progress: 8 of 240 MiB re-encrypted",
		 EV_KEY_ROTATED, "phase", "progress");
	classify("kcc-init: state: volume key rotated: the volume is re-encrypted", EV_KEY_ROTATED,
		 "phase", "done");
	classify("kcc-init[kcc-update]: kcc-update: ROLLED BACK: 2.1 was rolled back: its boot entry "
		 "is marked bad, the node runs 2.0 again", EV_UPDATE_ROLLED_BACK, "component", "kcc-update");
	/* Not security events, and look-alikes that are not at the start. */
	classify("kcc-init: services started (6 running, 0 failed)", EV_INVALID, NULL, NULL);
	classify("x kcc-init: bpf-lsm: denied y", EV_INVALID, NULL, NULL);
	classify("Lockdown: nothing here", EV_INVALID, NULL, NULL);
	classify("Out of memory: Killed process x", EV_INVALID, NULL, NULL);
	/* Another service cannot write kcc-update's line: PID 1 prefixes what a service prints. */
	classify("kcc-init[hostile]: kcc-update: ROLLED BACK: x", EV_INVALID, NULL, NULL);
	classify("kcc-init[hostile]: kcc-init: state: key rotated (requested)", EV_INVALID, NULL, NULL);
	classify("kcc-init[hostile]: kcc-init: state: volume key rotated: x", EV_INVALID, NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_catalogue), cmocka_unit_test(test_fields),
		cmocka_unit_test(test_syslog),	  cmocka_unit_test(test_kmsg_parse),
		cmocka_unit_test(test_classify),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
