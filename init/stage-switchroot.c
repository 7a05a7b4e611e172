/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "log.h"
#include "rm-rf.h"
#include "stage-switchroot.h"

static const char *const moved[] = { "/dev", "/proc", "/sys", "/run" };

pid_t stage_switchroot_prewarm(const char *newroot, const char *init)
{
	char *const argv[] = { (char *)init, NULL }, *const envp[] = { NULL };
	pid_t pid = fork();

	if (pid < 0)
		log_warning_errno(-errno, "Failed to fork to warm up %s, ignoring: %m", init);
	if (pid != 0)
		return pid;
	/* Idle priority: it is to fill the time the initrd waits on the TPM and the disk, not to
	 * slow down the unseal. No output: the tool's usage line would land on the console. */
	(void)sched_setscheduler(0, SCHED_IDLE, &(struct sched_param){ 0 });
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0 ||
	    chroot(newroot) < 0 || chdir("/") < 0)
		_exit(127);
	execve(init, argv, envp);
	_exit(127);
}

int stage_switchroot_run(const char *newroot, const char *init, pid_t prewarm)
{
	char path[256];
	struct stat st;
	int rootfd;

	if (prewarm > 0)
		(void)waitpid(prewarm, NULL, 0);

	snprintf(path, sizeof(path), "%s%s", newroot, init);
	if (access(path, X_OK) < 0)
		return log_error_errno(-errno, "The new root has no executable %s: %m", init);
	for (size_t i = 0; i < ARRAY_SIZE(moved); i++) {
		snprintf(path, sizeof(path), "%s%s", newroot, moved[i]);
		if (mount(moved[i], path, NULL, MS_MOVE, NULL) < 0)
			return log_error_errno(-errno, "Failed to move %s to %s: %m", moved[i], path);
	}
	rootfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0 || fstat(rootfd, &st) < 0)
		return log_error_errno(-errno, "Failed to open the initramfs root: %m");
	if (chdir(newroot) < 0)
		return log_error_errno(-errno, "Failed to enter %s: %m", newroot);
	log_debug("switch-root: removing the initramfs");
	/* Everything on the initramfs, nothing on a mount below it (the new root among them). */
	(void)rm_rf_children(rootfd, RM_RF_ONE_FS);
	close(rootfd);
	log_debug("switch-root: initramfs removed");
	if (mount(newroot, "/", NULL, MS_MOVE, NULL) < 0)
		return log_error_errno(-errno, "Failed to move %s to /: %m", newroot);
	if (chroot(".") < 0 || chdir("/") < 0)
		return log_error_errno(-errno, "Failed to chroot into the new root: %m");
	execl(init, init, (char *)NULL);
	return log_error_errno(-errno, "Failed to execute %s on the new root: %m", init);
}
