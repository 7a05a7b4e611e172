/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the JSON kcc-init reads from places an attacker may write: the LUKS2 token on
 * the state partition, the signed-policy JSON (with its security-epoch entries), and an event-log file. One input feeds all three. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "eventlog.h"
#include "pcrsig.h"
#include "sealed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t fp[32], pol[32];
	char *s = malloc(size + 1), err[160], path[64];
	json_object *o;
	EventlogReplay rp;
	uint8_t *sig = NULL, p2[32];
	size_t n;
	unsigned epoch;
	Sealed sealed;
	int fd;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	o = json_tokener_parse(s);
	if (o) {
		if (sealed_from_json(o, &sealed, err, sizeof(err)) == 0)
			sealed_done(&sealed);
		json_object_put(o);
	}
	if (pcrsig_find(s, 1u << 11, fp, pol, &sig, &n) == 0)
		free(sig);
	if (pcrsig_first(s, 1u << 11, p2, &sig, &n) == 0)
		free(sig);
	if (pcrsig_first_epoch(s, 1u << 11, p2, &sig, &n, &epoch) == 0)
		free(sig);
	(void)pcrsig_epoch(s, 1u << 11, fp, &epoch);
	if (pcrsig_find_in(s, PCRSIG_EPOCH_WRITE, 0, fp, pol, &sig, &n) == 0)
		free(sig);
	fd = memfd_create("log", 0);
	if (fd >= 0) {
		if (write(fd, data, size) == (ssize_t)size) {
			snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
			(void)eventlog_replay(path, &rp, NULL, err, sizeof(err));
		}
		close(fd);
	}
	free(s);
	return 0;
}
