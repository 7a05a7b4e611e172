/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "event.h"
#include "util.h"

static const EventType types[_EV_MAX] = {
	[EV_BOOT_MEASURED] = { "KCC-BOOT-MEASURED", "boot-measured", SEV_NOTICE, "host" },
	[EV_INTEGRITY_FAILURE] = { "KCC-INTEGRITY-FAILURE", "integrity-failure", SEV_CRIT,
				   "intrusion_detection" },
	[EV_UNLOCK_FAILURE] = { "KCC-UNLOCK-FAILURE", "unlock-failure", SEV_CRIT, "authentication" },
	[EV_LSM_DENIAL] = { "KCC-LSM-DENIAL", "lsm-denial", SEV_WARNING, "intrusion_detection" },
	[EV_LOCKDOWN_REFUSAL] = { "KCC-LOCKDOWN-REFUSAL", "lockdown-refusal", SEV_WARNING,
				  "intrusion_detection" },
	[EV_SERVICE_CRASH] = { "KCC-SERVICE-CRASH", "service-crash", SEV_ERR, "process" },
	[EV_SERVICE_OOM] = { "KCC-SERVICE-OOM", "service-oom", SEV_ERR, "process" },
	[EV_POD_FAILURE] = { "KCC-POD-FAILURE", "pod-failure", SEV_WARNING, "process" },
	[EV_UPDATE_APPLIED] = { "KCC-UPDATE-APPLIED", "update-applied", SEV_NOTICE, "package" },
	[EV_UPDATE_ROLLED_BACK] = { "KCC-UPDATE-ROLLED-BACK", "update-rolled-back", SEV_ERR,
				    "package" },
	[EV_ATTESTATION_VERDICT] = { "KCC-ATTESTATION-VERDICT", "attestation-verdict", SEV_NOTICE,
				     "authentication" },
	[EV_KEY_ROTATED] = { "KCC-KEY-ROTATED", "key-rotated", SEV_NOTICE, "configuration" },
	[EV_CONFIG_REJECTED] = { "KCC-CONFIG-REJECTED", "config-rejected", SEV_ERR,
				 "configuration" },
	[EV_EVENTS_LOST] = { "KCC-EVENTS-LOST", "events-lost", SEV_ALERT, "host" },
	[EV_EVENTS_SUPPRESSED] = { "KCC-EVENTS-SUPPRESSED", "events-suppressed", SEV_WARNING,
				   "host" },
	[EV_ATTESTATION_RENEWAL_FAILED] = { "KCC-ATTESTATION-RENEWAL-FAILED",
					    "attestation-renewal-failed", SEV_WARNING,
					    "authentication" },
	[EV_SECCOMP_DENIED] = { "KCC-SECCOMP-DENIED", "seccomp-denied", SEV_WARNING,
				"intrusion_detection" },
	[EV_BOOT_FAILED_EARLIER] = { "KCC-BOOT-FAILED-EARLIER", "boot-failed-earlier", SEV_CRIT,
				     "host" },
};

const EventType *event_type(EventId id)
{
	return id >= 0 && id < _EV_MAX ? &types[id] : NULL;
}

EventId event_id_from_msgid(const char *msgid)
{
	for (int i = 0; i < _EV_MAX; i++)
		if (streq(types[i].msgid, msgid))
			return (EventId)i;
	return EV_INVALID;
}

int event_add_field(Event *e, const char *key, const char *value)
{
	size_t n = strlen(key);

	if (n == 0 || n >= sizeof(e->fields[0].key))
		return n ? -E2BIG : -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (key[i] <= 32 || key[i] >= 127 || strchr("=]\"", key[i]))
			return -EINVAL;
	if (e->n_fields == EVENT_FIELDS_MAX || strlen(value) >= EVENT_VALUE_MAX)
		return -E2BIG;
	memcpy(e->fields[e->n_fields].key, key, n + 1);
	snprintf(e->fields[e->n_fields].value, EVENT_VALUE_MAX, "%s", value);
	e->n_fields++;
	return 0;
}
