/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What kubelet/main.c gives the rest of the kubelet, for tests that run its parts without main.c:
 * the configuration (each test fills it in) and the pipe watches (container output is not read). */
#include "kubelet.h"

KubeletConfig cfg;

int pipe_watch(int fd, PodState *p, unsigned ctr, int stream)
{
	(void)fd, (void)p, (void)ctr, (void)stream;
	return 0;
}

void pipe_unwatch(int fd)
{
	(void)fd;
}
