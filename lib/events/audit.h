/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Kernel audit records (docs/events.md, "From the audit stream"): "audit(SEC.MSEC:SERIAL): KEY=VALUE
 * ..." as the kernel multicasts them on NETLINK_AUDIT (the type in the netlink header) or prints
 * them to its log ("audit: type=N audit(...): ..."). A process chooses its own comm and exe, so the
 * parser is strict and bounded (fuzz-audit): a value is a bare token, a "quoted" string without
 * quotes inside, or (the kernel's encoding of an untrusted string with a space, a quote or a
 * control character) hex digits, decoded with anything unprintable shown as '?'. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

#define AUDIT_FIELDS_MAX 24
#define AUDIT_TYPE_SECCOMP 1326 /* AUDIT_SECCOMP, linux/audit.h */

typedef struct AuditRecord {
	int type;
	uint64_t sec, msec, serial; /* audit(SEC.MSEC:SERIAL): the serial is unique in a boot */
	size_t n_fields;
	struct {
		char key[32];
		char value[EVENT_VALUE_MAX]; /* decoded: printable ASCII only */
	} fields[AUDIT_FIELDS_MAX];
} AuditRecord;

/* One record of len bytes (trailing NULs and a newline allowed) of the given type: 0, or -EINVAL
 * for anything malformed (a key or value over its bound, more than AUDIT_FIELDS_MAX fields, a bad
 * quote or hex string, a NUL inside). */
int audit_parse(int type, const char *text, size_t len, AuditRecord *ret);
/* A kernel log line "audit: type=N audit(...): ...": 0, -ENOENT for a line that is not an audit
 * record, -EINVAL for a malformed one. */
int audit_parse_kmsg(const char *line, AuditRecord *ret);
/* The kernel's count of audit records it could not deliver, from its log line "audit:
 * audit_lost=N audit_rate_limit=N audit_backlog_limit=N": true and *ret_lost, or false. */
bool audit_lost_kmsg(const char *line, uint64_t *ret_lost);

/* The messages of one NETLINK_AUDIT datagram of n bytes: fn(type, payload, payload length) for
 * each whole one, in order. The walk ends at a header whose length is short or runs past the
 * datagram, and after the last message (whose aligned length may pass its end): nothing past
 * buf + n is read. */
void audit_netlink_each(const void *buf, size_t n,
			void (*fn)(int type, const char *text, size_t len, void *userdata),
			void *userdata);

/* The decoded value of key, or NULL. */
const char *audit_field(const AuditRecord *r, const char *key);

/* Maps a record to a catalogue event: KCC-SECCOMP-DENIED for an AUDIT_SECCOMP record of a refused
 * call (errno, trap, kill), with exe, comm, pid, uid, syscall (number and name) and action. The id,
 * app, message and fields of *e are filled. EV_INVALID for any other record. */
EventId audit_classify(const AuditRecord *r, Event *e);
