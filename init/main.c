/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-init: PID 1 of kcc-node's initrd stage, and the big helper of the system stage.
 *   initrd stage (the initramfs has /etc/initrd-release): early mounts, command line, TPM
 *     (PCR 11 "enter-initrd"), modules, dm-verity root, the node configuration (PCR 12), the
 *     LUKS2 state partition on /var (PCR 15), PCR 11 "leave-initrd", switch_root into the root
 *     and exec kcc-sysinit there, the small system-stage PID 1 (init/sys/main.c), which links
 *     libc only;
 *   exitrd: re-executed as PID 1 in the exit root at shutdown (recognised by an inherited sealed
 *     memfd, exitrd-handoff.h), it unmounts the root and closes the LUKS2 and verity devices.
 * Every failure logs one line and ends in poweroff (or reboot with kcc.on_failure=reboot).
 * As PID 1 it never reads its argv (the kernel's leftover command-line words).
 * Not as PID 1: "kcc-init check-services DIR" validates service files (exit 0, 1 bad, 100 usage);
 * and the system stage's helpers (init/sys/helper.h): sysinit-helper (PCR 11 phases, the BPF LSM;
 * sysinit-helper.h), prepare-exitrd DIR (copy itself and its libraries), bless and mark-bad REASON
 * (boot counting on the ESP, boot-count.h).
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "cmdline.h"
#include "boot-count.h"
#include "exitrd.h"
#include "exitrd-handoff.h"
#include "failed-boot-save.h"
#include "log.h"
#include "measure.h"
#include "shutdown.h"
#include "stage-config.h"
#include "stage-early.h"
#include "stage-modules.h"
#include "stage-state.h"
#include "stage-switchroot.h"
#include "stage-verity.h"
#include "sandbox.h"
#include "service.h"
#include "supervise.h"
#include "sysinit-helper.h"
#include "timeline.h"
#include "watchdog.h"

#define SYSROOT "/sysroot"
#define SYSINIT_PATH "/usr/lib/kcc/kcc-sysinit"
/* The system stage's helper, started soon after switch_root: warmed while the initrd waits. */
#define INIT_PATH "/usr/sbin/kcc-init"

static KccCmdline arg_cmdline;
static char arg_cmdline_raw[CMDLINE_MAX];

/* A failure before efivarfs is mounted (failed_boot_save mounts it when it can). */
_Noreturn static void initrd_stop(const KccCmdline *c, const char *stage, int r)
{
	failed_boot_save(stage, r);
	shutdown_fatal(c, stage, r);
}

/* A failure once efivarfs is mounted: on a counted boot (the loader set LoaderBootCountPath) the
 * entry is marked bad and, when another entry is there to fall back to, the machine reboots into it
 * (a rollback rather than a node that stays off). Otherwise (not counted, or nothing else to boot:
 * a reboot would only loop) the boot stops as kcc.on_failure says. */
_Noreturn static void initrd_fatal(const char *stage, int r)
{
	failed_boot_save(stage, r);
	if (boot_is_counted()) {
		char reason[96];
		int k;

		log_error_errno(r, "boot stopped: stage '%s' failed (%m); counted boot: marking it bad", stage);
		snprintf(reason, sizeof(reason), "stage '%s' failed in the initrd", stage);
		k = boot_count_act(BOOT_MARK_BAD, reason);
		if (k > 0 || (k < 0 && k != -ENOENT)) /* not marked: the loader's counter decides */
			shutdown_reboot(SHUTDOWN_REBOOT);
	}
	shutdown_fatal(&arg_cmdline, stage, r);
}

_Noreturn static void initrd_stage(void)
{
	char disk[32];
	bool direct;
	pid_t prewarm;
	int r;

	timeline_begin("initrd");
	timeline_begin("early");
	r = stage_early_run();
	ensure_std_fds();
	if (r < 0)
		shutdown_fatal(NULL, "early mounts", r);
	log_info("initrd stage started");
	r = cmdline_load(&arg_cmdline, arg_cmdline_raw, sizeof(arg_cmdline_raw));
	if (r < 0)
		initrd_stop(NULL, "command line", r);
	timeline_end("early");

	timeline_begin("tpm");
	direct = measure_boot_is_direct();
	r = measure_open();
	/* One PCR_Read: the initial values, and PCR 4 of a UKI boot, which the unseal needs. */
	if (r >= 0)
		r = measure_initial((1u << PCR_KERNEL_BOOT) | (1u << PCR_SYSTEM_IDENTITY),
				    direct ? 0 : 1u << 4);
	if (r >= 0 && direct) {
		log_info("direct kernel boot (no UKI stub): measuring the command line into PCR 11");
		r = measure_cmdline(arg_cmdline_raw);
	}
	if (r >= 0)
		r = measure_phase("enter-initrd");
	if (r < 0)
		initrd_stop(&arg_cmdline, "tpm", r);
	timeline_end("tpm");

	timeline_begin("modules");
	r = stage_modules_run("/etc/kcc/modules.conf");
	if (r < 0)
		initrd_stop(&arg_cmdline, "modules", r);
	r = stage_early_efivarfs();
	if (r < 0)
		initrd_stop(&arg_cmdline, "efivarfs", r);
	/* Armed here (its driver is a module) and left running across switch_root: the system
	 * stage's PID 1 pets it (init/sys/watchdog.h). */
	r = watchdog_open(arg_cmdline.watchdog_s);
	if (r >= 0) {
		log_info("hardware watchdog armed (%us)", watchdog_timeout());
		watchdog_handover();
	} else if (r != -ENOENT)
		log_warning_errno(r, "Failed to arm the hardware watchdog, ignoring: %m");
	timeline_end("modules");

	timeline_begin("verity");
	r = stage_verity_run(&arg_cmdline, SYSROOT, disk);
	if (r < 0)
		initrd_fatal("verity root", r);
	timeline_end("verity");
	prewarm = stage_switchroot_prewarm(SYSROOT, INIT_PATH);

	timeline_begin("config");
	r = stage_config_run(disk, SYSROOT "/etc/kcc/services/kubelet.conf");
	if (r < 0)
		initrd_fatal("tpm", r);
	timeline_end("config");

	timeline_begin("state");
	r = stage_state_run(disk, SYSROOT "/var");
	if (r < 0)
		initrd_fatal("state partition", r);
	/* From here on the PCR 11 policy no longer holds: nothing later can unseal the key. */
	r = measure_phase("leave-initrd");
	if (r < 0)
		initrd_fatal("tpm", r);
	measure_close();
	timeline_end("state");
	timeline_end("initrd");
	timeline_begin("switch-root");
	r = timeline_save();
	if (r < 0)
		log_warning_errno(r, "Failed to save the boot timeline, ignoring: %m");

	r = stage_switchroot_run(SYSROOT, SYSINIT_PATH, prewarm);
	initrd_fatal("switch root", r);
}

/* Not PID 1: a tool, or a helper of the system stage's PID 1 (init/sys/helper.h). */
static int tool_main(int argc, char **argv)
{
	int r;

	if (argc == 3 && streq(argv[1], "check-services")) {
		service_syscall_check = sandbox_syscall_known;
		r = supervise_check_dir(argv[2]);
		if (r < 0)
			return 1;
		printf("%d service files are valid\n", r);
		return 0;
	}
	if ((argc == 2 && streq(argv[1], "bless")) || (argc == 3 && streq(argv[1], "mark-bad")))
		return boot_count_main(argc, argv);
	if (argc == 2 && streq(argv[1], "sysinit-helper"))
		return sysinit_helper_main(3);
	if (argc == 3 && streq(argv[1], "prepare-exitrd")) {
		log_open_kmsg();
		r = exitrd_populate(argv[2]);
		if (r < 0)
			log_error_errno(r, "Failed to copy kcc-init into %s: %m", argv[2]);
		return r < 0 ? 1 : 0;
	}
	fprintf(stderr, "usage: kcc-init check-services DIR   (as PID 1 it boots the node)\n"
			"helpers of the system stage's PID 1: kcc-init sysinit-helper (requests on fd 3)"
			" | prepare-exitrd DIR | bless | mark-bad REASON\n");
	return 100;
}

int main(int argc, char **argv)
{
	char action[16];

	if (getpid() != 1)
		return tool_main(argc, argv);
	/* As PID 1, argv and the environment are the kernel's, made of command-line words anyone
	 * who edits the command line chooses: never read. The exitrd re-exec is known by what the
	 * command line cannot give, an inherited sealed memfd (exitrd-handoff.h). */
	if (exitrd_handoff_take(action, sizeof(action)) > 0) {
		ShutdownAction a = shutdown_action_from_string(action);
		exitrd_run(a < 0 ? SHUTDOWN_POWEROFF : a);
	}
	umask(022);
	if (access("/etc/initrd-release", F_OK) == 0)
		initrd_stage();
	/* Started on the root itself: the system stage is kcc-sysinit's. */
	execl(SYSINIT_PATH, "kcc-sysinit", (char *)NULL);
	shutdown_fatal(NULL, "exec " SYSINIT_PATH, -errno);
}
