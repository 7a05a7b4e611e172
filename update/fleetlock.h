/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The client side of the FleetLock protocol (the reboot lock of Flatcar's and Fedora CoreOS's
 * Zincati; docs/upgrades.md, "Pull mode"): a POST of {"client_params":{"id":ID,"group":GROUP}}
 * with the header `fleet-lock-protocol: true` to BASE/v1/pre-reboot (take a reboot slot,
 * recursive: a holder asking again gets it again) or BASE/v1/steady-state (release it if held).
 * 200 is success; any other status is a refusal whose body is {"kind":...,"value":...}. */
#pragma once

#include <stddef.h>

typedef enum FleetLockOp {
	FLEETLOCK_PRE_REBOOT,
	FLEETLOCK_STEADY_STATE,
} FleetLockOp;

/* One request to base_url (http(s)://HOST[:PORT][/PATH]; https: the server's certificate must
 * chain to ca_pem and name the host). 0: granted; -EBUSY: the server answered with another status
 * (err: "HTTP N: KIND: VALUE"); else -errno (err: one line). */
int fleetlock_request(const char *base_url, const char *ca_pem, FleetLockOp op, const char *id, const char *group,
		      char *err, size_t errlen);

/* The answer of a FleetLock server (untrusted: tests/unit/fuzz-update-request.c): its status
 * code, and for a refusal the body's kind and value in err (cut to errlen). 0, or -EBADMSG when
 * it is no HTTP answer. */
int fleetlock_answer_parse(const char *buf, size_t len, int *ret_code, char *err, size_t errlen);
