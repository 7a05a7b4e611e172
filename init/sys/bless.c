/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <unistd.h>

#include "bless.h"
#include "helper.h"
#include "log.h"
#include "loop.h"

typedef enum BlessState {
	BLESS_OFF,     /* not counted, or done */
	BLESS_WAITING, /* counted, not healthy yet */
} BlessState;

static BlessState state;
static Source deadline_src;
static unsigned deadline_s;
static void (*reboot_fn)(const char *why);

static void stop_deadline(void)
{
	if (deadline_src.fd >= 0) {
		loop_del(&deadline_src);
		close(deadline_src.fd);
		deadline_src.fd = -EBADF;
	}
	state = BLESS_OFF;
}

static void on_deadline(Source *s, uint32_t events)
{
	char reason[96];
	int r;

	(void)s;
	(void)events;
	if (state != BLESS_WAITING)
		return;
	stop_deadline();
	snprintf(reason, sizeof(reason), "not healthy %us after PID 1 started", deadline_s);
	/* kcc-init mark-bad: 0 another entry boots next, 3 none (a reboot would boot this one
	 * again: the node stays up, unhealthy, for its operator), 1 the rename failed (the loader's
	 * counter still decides: reboot). */
	r = helper_run_status((const char *const[]){ KCC_INIT_PATH, "mark-bad", reason, NULL });
	if (r == 3) {
		log_error("%s; no other boot entry to fall back to, staying up", reason);
		return;
	}
	log_error("%s; rebooting to let the loader fall back%s", reason,
		  r != 0 ? " (the entry could not be marked bad: its counter decides)" : "");
	reboot_fn("boot counting");
}

void bless_start(const KccCmdline *c, void (*reboot)(const char *why))
{
	int fd;

	deadline_src.fd = -EBADF;
	reboot_fn = reboot;
	if (access(LOADER_BOOT_COUNT_VAR, F_OK) < 0) {
		log_info("boot not counted (no LoaderBootCountPath: direct kernel or blessed entry), "
			 "nothing to bless");
		return;
	}
	deadline_s = c->bless_timeout_s;
	fd = timer_new();
	if (fd < 0 || timer_arm(fd, deadline_s * 1000u) < 0 || loop_add(&deadline_src, fd, on_deadline) < 0) {
		log_error_errno(fd < 0 ? fd : -errno, "Failed to arm the bless deadline, the loader's "
						       "counter alone decides: %m");
		if (fd >= 0)
			close(fd);
		return;
	}
	state = BLESS_WAITING;
	log_info("counted boot: blessing it once healthy (deadline %us)", deadline_s);
}

void bless_on_ready(unsigned running, unsigned failed)
{
	if (state != BLESS_WAITING)
		return;
	if (failed > 0) {
		log_warning("%u service(s) failed to start: not blessing this boot", failed);
		return; /* the deadline marks it bad */
	}
	stop_deadline();
	(void)running;
	(void)helper_run((const char *const[]){ KCC_INIT_PATH, "bless", NULL }); /* it logged */
}
