/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-sysinit: PID 1 of kcc-node's system stage, on the verity root after switch_root (the
 * initrd's kcc-init executes it). PCR 11 "sysinit", /tmp, cgroup2, host name, hardening (sysctls,
 * the BPF LSM, modules_disabled, lockdown=confidentiality), PCR 11 "ready", then the supervised
 * services until shutdown. It links libc only and stays small: what needs tpm2-tss, libbpf,
 * libcap, libseccomp or libcryptsetup runs in short-lived helpers (helper.h).
 * Every failure logs one line and ends in poweroff (or reboot with kcc.on_failure=reboot).
 * As PID 1 it never reads its argv or environment (the kernel's leftover command-line words). */
#include <fcntl.h>
#include <sys/stat.h>

#include "cmdline.h"
#include "failed-boot-collect.h"
#include "helper.h"
#include "log.h"
#include "pid1.h"
#include "shutdown.h"
#include "stage-harden.h"
#include "stage-system.h"
#include "timeline.h"
#include "watchdog.h"


static KccCmdline arg_cmdline;

/* PCR 11 (tpm2-tss), by kcc-init sysinit-helper. */
static int measure_phase(const char *phase)
{
	return sysinit_helper_call((const char *const[]){ "measure-phase", phase, NULL });
}

int main(int argc, char **argv)
{
	int r;

	(void)argc;
	(void)argv;
	if (getpid() != 1) {
		fprintf(stderr, "kcc-sysinit is PID 1 of the system stage; it takes no arguments\n");
		return 100;
	}
	umask(022);
	log_open_kmsg();
	ensure_std_fds();
	(void)timeline_load();
	timeline_end("switch-root");
	timeline_begin("system");
	log_info("system stage started on the verity root");
	r = cmdline_load(&arg_cmdline, NULL, 0);
	if (r < 0)
		shutdown_fatal(NULL, "command line", r);
	/* The initrd armed it; from here PID 1 pets it (pid1.c), so a hang resets the machine. */
	r = watchdog_open(arg_cmdline.watchdog_s);
	if (r >= 0)
		log_info("hardware watchdog: %us, petted by PID 1", watchdog_timeout());
	else if (r != -ENOENT)
		log_warning_errno(r, "Failed to open the hardware watchdog, ignoring: %m");
	/* The helper starts (kcc-init and its libraries, from the root) and measures while PID 1
	 * sets up the system; nothing of that set-up reads or extends a PCR. */
	r = sysinit_helper_start();
	if (r >= 0)
		r = sysinit_helper_request((const char *const[]){ "measure-phase", "sysinit", NULL });
	if (r < 0)
		shutdown_fatal(&arg_cmdline, "tpm", r);
	watchdog_ping();
	r = stage_system_run(&arg_cmdline);
	if (r < 0)
		shutdown_fatal(&arg_cmdline, "system set-up", r);
	/* /var is open: an earlier boot's failure record (EFI variable) goes to the forwarder */
	failed_boot_collect();
	failed_boot_collect_pstore();
	r = sysinit_helper_flush();
	if (r < 0)
		shutdown_fatal(&arg_cmdline, "tpm", r);
	watchdog_ping();
	r = stage_harden_run();
	if (r < 0)
		shutdown_fatal(&arg_cmdline, "hardening", r);
	r = measure_phase("ready");
	if (r < 0)
		shutdown_fatal(&arg_cmdline, "tpm", r);
	sysinit_helper_stop();
	watchdog_ping();
	timeline_end("system");
	pid1_run(&arg_cmdline);
}
