/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-sandbox DIR NAME UID:GID: the chain-loader PID 1 executes in a service's child (already in
 * its cgroup, its session, with its standard descriptors and readiness fd). It reads the service
 * file DIR/NAME.conf again (on the verity root: the same text PID 1 read), applies its security
 * profile (sandbox.h) as the user UID:GID that PID 1 chose, and executes the service. PID 1 thus
 * links neither libcap nor libseccomp. Exit status 126: the profile could not be applied, 127:
 * the service could not be executed, as a shell does; the reason goes to stderr, the service's
 * log. */
#include <grp.h>
#include <sys/prctl.h>

#include "sandbox.h"
#include "service.h"
#include "util.h"

_Noreturn static void fail(int status, const char *fmt, int error, const char *what)
{
	errno = error;
	dprintf(STDERR_FILENO, fmt, what);
	_exit(status);
}

int main(int argc, char **argv)
{
	_cleanup_free_ char *text = NULL;
	char path[512], err[256], *envp[SERVICE_ENV_MAX + 3], svcenv[64];
	ServiceConfig c = {};
	const char *what;
	unsigned uid, gid, n = 0;
	int r;

	if (argc != 4 || !service_name_is_valid(argv[2]) ||
	    sscanf(argv[3], "%u:%u", &uid, &gid) != 2) {
		fprintf(stderr, "usage: kcc-sandbox DIR NAME UID:GID   (PID 1 runs it for a service)\n");
		return 100;
	}
	service_syscall_check = sandbox_syscall_known;
	snprintf(path, sizeof(path), "%s/%s.conf", argv[1], argv[2]);
	r = read_small_file(path, SERVICE_FILE_MAX, &text);
	if (r < 0)
		fail(126, "kcc-sandbox: cannot read %s: %m\n", -r, path);
	if (service_config_parse(argv[2], text, &c, err, sizeof(err)) < 0)
		fail(126, "kcc-sandbox: bad service file: %s\n", 0, err);
	c.uid = uid;
	c.gid = gid;

	r = sandbox_mounts(&c);
	if (r < 0)
		fail(126, "kcc-sandbox: cannot set up the private mount namespace%s: %m\n", -r, "");
	r = sandbox_drop_bounding(&c);
	if (r < 0)
		fail(126, "kcc-sandbox: cannot drop the bounding set%s: %m\n", -r, "");
	if (c.gid != 0 && (setgroups(0, NULL) < 0 || setgid(c.gid) < 0))
		fail(126, "kcc-sandbox: setgid(%s): %m\n", errno, argv[3]);
	/* Keep the permitted set across setuid, to hand the profile's capabilities on. */
	if (c.uid != 0 && (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setuid(c.uid) < 0))
		fail(126, "kcc-sandbox: setuid(%s): %m\n", errno, argv[3]);
	r = sandbox_drop_privileges(&c);
	if (r < 0)
		fail(126, "kcc-sandbox: cannot apply the security profile%s: %m\n", -r, "");
	if (chdir("/") < 0)
		fail(126, "kcc-sandbox: chdir(%s): %m\n", errno, "/");
	envp[n++] = (char *)"PATH=/usr/sbin:/usr/bin";
	snprintf(svcenv, sizeof(svcenv), "KCC_SERVICE=%s", c.name);
	envp[n++] = svcenv;
	for (unsigned i = 0; i < c.n_env; i++)
		envp[n++] = c.env[i];
	envp[n] = NULL;
	/* Last: after this, even a chdir or an open outside the profile fails. */
	r = sandbox_confine(&c, &what);
	if (r < 0)
		fail(126, "kcc-sandbox: cannot apply the %s: %m\n", -r, what);
	execve(c.argv[0], c.argv, envp);
	fail(127, "kcc-sandbox: cannot execute %s: %m\n", errno, c.argv[0]);
}
