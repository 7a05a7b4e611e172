/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Test images only (linked into kcc-init-test, never into kcc-init): kcc_test.pause=STEP on the
 * command line holds the boot after STEP so that a test can cut the power there (kill qemu) and
 * prove the next boot recovers (tests/vm/40-state.bats); kcc_test.hang=STEP hangs there for good,
 * so that the hardware watchdog has to reset the machine; kcc_test.unready=NAME (at "sysinit",
 * before PID 1 loads the service files) points service NAME's readiness check at a port nobody
 * serves, by a bind mount over its service file: a kubelet that never gets healthy
 * (tests/vm/35-boot-counting.bats). The same pause can come from the fw_cfg item
 * opt/io.kcc-node/test-pause (run-vm.sh --test-pause STEP), which no PCR measures: a boot that must
 * unseal /var before it pauses (a key rotation, tests/vm/42-rotate.bats) keeps its PCR 11. */
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "log.h"
#include "test-hooks.h"
#include "util.h"

static void make_unready(const char *name)
{
	_cleanup_free_ char *conf = NULL;
	char src[128], dst[128], *out, *line, *save = NULL;
	size_t n = 0;

	snprintf(src, sizeof(src), "/etc/kcc/services/%s.conf", name);
	snprintf(dst, sizeof(dst), "/run/kcc-test-%s.conf", name);
	if (read_small_file(src, 65536, &conf) < 0 || !(out = calloc(1, strlen(conf) + 64)))
		return;
	for (line = strtok_r(conf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		n += (size_t)sprintf(out + n, "%s\n", startswith(line, "ready") ? "ready = http:10249/never" : line);
	if (write_new_file(dst, out, 0644) >= 0 && mount(dst, src, NULL, MS_BIND, NULL) == 0)
		log_info("test: %s's readiness check points at a port nobody serves", name);
	free(out);
}

#define FW_CFG_PAUSE "/sys/firmware/qemu_fw_cfg/by_name/opt/io.kcc-node/test-pause/raw"

static void pause_here(const char *step)
{
	log_info("test: pausing after %s", step);
	sleep(60);
}

void test_checkpoint(const char *step)
{
	_cleanup_free_ char *line = NULL, *fw = NULL;
	char want[64], hang[64];

	if (read_small_file(FW_CFG_PAUSE, 64, &fw) >= 0 && streq(fw, step))
		pause_here(step);
	if (read_small_file("/proc/cmdline", 4096, &line) < 0)
		return;
	snprintf(want, sizeof(want), "kcc_test.pause=%s", step);
	snprintf(hang, sizeof(hang), "kcc_test.hang=%s", step);
	for (char *w = strtok(line, " \n"); w; w = strtok(NULL, " \n")) {
		const char *unready = startswith(w, "kcc_test.unready=");

		if (unready && streq(step, "sysinit"))
			make_unready(unready);
		if (streq(w, want))
			pause_here(step);
		if (streq(w, hang)) {
			log_info("test: hanging after %s", step);
			for (;;)
				pause();
		}
	}
}
