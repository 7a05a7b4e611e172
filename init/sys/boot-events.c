/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "boot-events.h"
#include "log.h"
#include "send.h"
#include "util.h"

#define PCR_SYSFS "/sys/class/tpm/tpm0/pcr-sha256/"

void boot_events_service_died(const char *name, pid_t pid, int st)
{
	char status[16], p[16];
	const char *fields[] = { "service", name, "status", status, "pid", p, NULL };

	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return;
	snprintf(status, sizeof(status), "%d", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	snprintf(p, sizeof(p), "%d", (int)pid);
	/* An OOM kill is also the kernel's own line, KCC-SERVICE-OOM (kmsg.c); this is the service. */
	(void)event_sendf(EV_SERVICE_CRASH, "kcc-init", fields, "service %s (pid %d) %s %d", name,
			  (int)pid, WIFEXITED(st) ? "exited with status" : "killed by signal",
			  WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

/* PCR n's SHA-256 value as the kernel's TPM driver shows it, or "-". */
static void pcr_value(int n, char *buf, size_t size)
{
	_cleanup_free_ char *s = NULL;
	char path[64];

	snprintf(path, sizeof(path), PCR_SYSFS "%d", n);
	if (read_small_file(path, 128, &s) < 0) {
		snprintf(buf, size, "-");
		return;
	}
	s[strcspn(s, "\n")] = '\0';
	/* the kernel prints upper case; the event log, kcc-pcr and the verifier lower case */
	for (char *c = s; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	snprintf(buf, size, "%s", s);
}

void boot_events_service_ready(const char *name)
{
	static bool sent;
	char p11[72], p12[72], p15[72];
	const char *fields[] = { "pcr11", p11, "pcr12", p12, "pcr15", p15, NULL };
	int r;

	if (sent || !streq(name, BOOT_EVENTS_SINK))
		return;
	sent = true;
	pcr_value(11, p11, sizeof(p11));
	pcr_value(12, p12, sizeof(p12));
	pcr_value(15, p15, sizeof(p15));
	r = event_sendf(EV_BOOT_MEASURED, "kcc-init", fields,
			"the boot reached ready (PCR 11 %.16s..., 12 %.16s..., 15 %.16s...)", p11, p12,
			p15);
	if (r < 0)
		log_warning_errno(r, "Failed to send the boot-measured event, ignoring: %m");
}
