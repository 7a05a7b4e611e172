/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "swtpm-fixture.h"

int swtpm_fixture_start(SwtpmFixture *s)
{
	char sock[100], ctrl[120], state[100], srv[120], logf[100];

	snprintf(s->dir, sizeof(s->dir), "/tmp/kcc-test-swtpm-XXXXXX");
	if (!mkdtemp(s->dir))
		return -1;
	snprintf(sock, sizeof(sock), "%s/sock", s->dir);
	snprintf(ctrl, sizeof(ctrl), "type=unixio,path=%s.ctrl", sock);
	snprintf(state, sizeof(state), "dir=%s", s->dir);
	snprintf(srv, sizeof(srv), "type=unixio,path=%s", sock);
	snprintf(logf, sizeof(logf), "%s/swtpm.log", s->dir);
	s->pid = fork();
	if (s->pid < 0)
		return -1;
	if (s->pid == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || !freopen(logf, "we", stdout) ||
		    !freopen(logf, "ae", stderr))
			_exit(127);
		execlp("swtpm", "swtpm", "socket", "--tpm2", "--tpmstate", state, "--server", srv,
		       "--ctrl", ctrl, "--flags", "not-need-init,startup-clear", (char *)NULL);
		_exit(127);
	}
	/* swtpm creates the socket when it is ready to accept */
	for (int i = 0; i < 250 && access(sock, F_OK) < 0; i++)
		usleep(20000);
	snprintf(s->tcti, sizeof(s->tcti), "swtpm:path=%s", sock);
	return access(sock, F_OK);
}

int swtpm_fixture_stop(SwtpmFixture *s)
{
	char cmd[100];

	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
	return system(cmd) == 0 ? 0 : -1;
}
