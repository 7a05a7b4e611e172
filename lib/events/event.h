/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Security events (docs/events.md): the catalogue of stable message IDs and severities, and one
 * event as the forwarder carries it. The catalogue is append-only: an ID never changes meaning. */
#pragma once

#include <stddef.h>
#include <stdint.h>

typedef enum EventId {
	EV_BOOT_MEASURED,
	EV_INTEGRITY_FAILURE,
	EV_UNLOCK_FAILURE,
	EV_LSM_DENIAL,
	EV_LOCKDOWN_REFUSAL,
	EV_SERVICE_CRASH,
	EV_SERVICE_OOM,
	EV_POD_FAILURE,
	EV_UPDATE_APPLIED,
	EV_UPDATE_ROLLED_BACK,
	EV_ATTESTATION_VERDICT,
	EV_KEY_ROTATED,
	EV_CONFIG_REJECTED,
	EV_EVENTS_LOST,
	EV_EVENTS_SUPPRESSED,
	EV_ATTESTATION_RENEWAL_FAILED,
	EV_SECCOMP_DENIED,
	EV_BOOT_FAILED_EARLIER,
	_EV_MAX,
	EV_INVALID = -1,
} EventId;

/* syslog severities (RFC 5424 section 6.2.1) */
enum { SEV_EMERG, SEV_ALERT, SEV_CRIT, SEV_ERR, SEV_WARNING, SEV_NOTICE, SEV_INFO, SEV_DEBUG };

typedef struct EventType {
	const char *msgid; /* RFC 5424 MSGID, e.g. "KCC-LSM-DENIAL": stable, 32 characters at most */
	const char *action; /* the same in ECS's event.action spelling, e.g. "lsm-denial" */
	int severity;
	const char *category; /* ECS event.category */
} EventType;

const EventType *event_type(EventId id);
EventId event_id_from_msgid(const char *msgid);

#define EVENT_FIELDS_MAX 12
#define EVENT_VALUE_MAX 256

typedef struct Event {
	EventId id;
	uint64_t seq;        /* per boot, from 1, no gaps */
	char boot_id[37];    /* /proc/sys/kernel/random/boot_id */
	uint64_t time_us;    /* CLOCK_REALTIME, microseconds */
	char host[64];
	char app[49];        /* RFC 5424 APP-NAME: 48 characters at most */
	uint32_t pid;        /* 0: none */
	char message[512];
	size_t n_fields;
	struct {
		char key[33]; /* RFC 5424 PARAM-NAME: 32 characters at most */
		char value[EVENT_VALUE_MAX];
	} fields[EVENT_FIELDS_MAX];
} Event;

/* Adds key=value; -E2BIG when full or too long, -EINVAL for a key RFC 5424 does not allow
 * (empty, '=', ' ', ']', '"', not printable ASCII). */
int event_add_field(Event *e, const char *key, const char *value);
