/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <sys/socket.h>

#include "bpf-lsm.h"
#include "helper.h"
#include "log.h"
#include "measure.h"
#include "sysinit-helper.h"
#include "test-hooks.h"

#define WORDS_MAX 8

static int load_lsm(int fd, char **w)
{
	int r;

	r = bpf_lsm_load(w[0], w[1], w[2], streq(w[3], "-") ? NULL : w[3],
			 streq(w[4], "-") ? NULL : w[4]);
	if (r >= 0)
		r = bpf_lsm_lock();
	if (r >= 0)
		r = bpf_lsm_hand_over(fd);
	return r;
}

static int measure(const char *phase, bool *open)
{
	int r;

	if (!*open) {
		r = measure_open();
		if (r < 0)
			return r;
		*open = true;
	}
	return measure_phase(phase);
}

int sysinit_helper_main(int fd)
{
	bool tpm_open = false;
	char buf[512];

	log_open_kmsg();
	for (;;) {
		char *w[WORDS_MAX + 1] = {};
		unsigned char status;
		unsigned n = 0;
		ssize_t k;
		int r;

		k = recv(fd, buf, sizeof(buf) - 1, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break; /* PID 1 closed its end: done */
		buf[k] = '\0';
		for (char *p = buf; p < buf + k && n < WORDS_MAX; p += strlen(p) + 1)
			w[n++] = p;
		if (n == 2 && streq(w[0], "measure-phase")) {
			r = measure(w[1], &tpm_open);
			test_checkpoint(w[1]); /* kcc_test.hang=sysinit: a hang after PID 1 started */
		}
		else if (n == 6 && streq(w[0], "load-lsm")) {
			r = load_lsm(fd, w + 1);
			if (r >= 0)
				continue; /* the hand-over was the answer */
		} else
			r = log_error_errno(-EINVAL, "sysinit-helper: unknown request '%s'", w[0] ? w[0] : "");
		status = r < 0 ? HELPER_FAILED : HELPER_OK;
		if (send(fd, &status, 1, MSG_NOSIGNAL) != 1)
			return 1;
	}
	if (tpm_open)
		measure_close();
	return 0;
}
