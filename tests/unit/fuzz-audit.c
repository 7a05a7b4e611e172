/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the forwarder's reading of kernel audit records (a process chooses its own
 * comm and exe), in both forms (the netlink text with its type, the kernel log line), their
 * classification and the RFC 5424 rendering of what comes out. The first two bytes pick the
 * netlink type; the rest is the record. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "syslog.h"

static void check(const AuditRecord *r)
{
	static Event e;
	static char buf[8192];

	for (size_t i = 0; i < r->n_fields; i++)
		for (const char *p = r->fields[i].value; *p; p++)
			if (*p < ' ' || *p >= 127)
				abort();
	memset(&e, 0, sizeof(e));
	if (audit_classify(r, &e) != EV_INVALID) {
		int n = event_to_syslog(&e, buf, sizeof(buf));
		if (n > 0 && strlen(buf) != (size_t)n)
			abort();
	}
}

static void each(int type, const char *text, size_t len, void *userdata)
{
	static AuditRecord r;

	(void)userdata;
	if (audit_parse(type, text, len, &r) == 0)
		check(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static AuditRecord r;
	char *line;
	uint64_t lost;

	if (size < 2 || size > 16384)
		return 0;
	/* the whole input as one netlink datagram, walked as kcc-forward walks it */
	audit_netlink_each(data, size, each, NULL);
	if (audit_parse((int)(data[0] | data[1] << 8), (const char *)data + 2, size - 2, &r) == 0)
		check(&r);
	line = strndup((const char *)data + 2, size - 2);
	if (!line)
		return 0;
	if (audit_parse_kmsg(line, &r) == 0)
		check(&r);
	(void)audit_lost_kmsg(line, &lost);
	free(line);
	return 0;
}
