/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kv.h"
#include "log.h"
#include "lsm-events.h"
#include "service.h"
#include "stage-harden.h"
#include "stage-system.h"

typedef struct Sysctl {
	const char *name; /* dotted, as sysctl(8) and hardening.conf spell it */
	const char *value;
} Sysctl;

/* The reasons are in docs/security-profiles.md, one row each. */
static const Sysctl sysctls[] = {
	{ "kernel.kptr_restrict", "2" },
	{ "kernel.dmesg_restrict", "1" },
	{ "kernel.kexec_load_disabled", "1" },
	{ "kernel.unprivileged_bpf_disabled", "1" },
	{ "net.core.bpf_jit_harden", "2" },
	{ "kernel.yama.ptrace_scope", "2" },
	{ "kernel.perf_event_paranoid", "3" },
	{ "kernel.sysrq", "0" },
	{ "kernel.core_pattern", "|/bin/false" },
	{ "fs.suid_dumpable", "0" },
	{ "fs.protected_symlinks", "1" },
	{ "fs.protected_hardlinks", "1" },
	{ "fs.protected_fifos", "2" },
	{ "fs.protected_regular", "2" },
	{ "kernel.randomize_va_space", "2" },
	{ "vm.mmap_min_addr", "65536" },
	{ "vm.unprivileged_userfaultfd", "0" },
	{ "dev.tty.ldisc_autoload", "0" },
	{ "kernel.panic_on_oops", "1" },
	{ "net.ipv4.tcp_syncookies", "1" },
	{ "net.ipv4.conf.all.accept_redirects", "0" },
	{ "net.ipv4.conf.default.accept_redirects", "0" },
	{ "net.ipv4.conf.all.send_redirects", "0" },
	{ "net.ipv4.conf.all.accept_source_route", "0" },
	{ "net.ipv4.conf.all.rp_filter", "1" },
	{ "net.ipv4.conf.all.log_martians", "1" },
	{ "net.ipv4.icmp_echo_ignore_broadcasts", "1" },
	{ "net.ipv6.conf.all.accept_redirects", "0" },
	{ "net.ipv6.conf.default.accept_redirects", "0" },
	{ "net.ipv6.conf.all.accept_source_route", "0" },
};

/* Sysctls that guard a feature kcc-node's kernel does not have at all (kernel-config/build/): when
 * the sysctl is missing, the feature's absence is proven (its system call says ENOSYS, its /proc
 * file does not exist) and logged, instead of refusing the boot. Any other missing sysctl, or a
 * feature that is there without its sysctl, still refuses. */
typedef struct GoneFeature {
	const char *sysctl, *what;
	long syscall_nr;  /* ENOSYS proves it gone; 0: see path */
	const char *path; /* its absence proves it gone */
} GoneFeature;

static const GoneFeature gone_features[] = {
	{ "kernel.kexec_load_disabled", "kexec_load", SYS_kexec_load, NULL },
	{ "vm.unprivileged_userfaultfd", "userfaultfd", SYS_userfaultfd, NULL },
	{ "kernel.sysrq", "SysRq", 0, "/proc/sysrq-trigger" },
};

/* 1 when the feature name guards is proven absent from the kernel, 0 otherwise. */
static int feature_gone(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(gone_features); i++) {
		const GoneFeature *g = &gone_features[i];
		long r;

		if (!streq(g->sysctl, name))
			continue;
		if (g->path) {
			if (access(g->path, F_OK) == 0 || errno != ENOENT)
				return 0;
			log_info("hardening: %s not needed: the kernel has no %s (no %s)", name, g->what,
				 g->path);
			return 1;
		}
		/* all-zero arguments: if the call existed, it would do nothing (kexec_load unloads
		 * nothing, userfaultfd returns a descriptor, closed below) */
		r = syscall(g->syscall_nr, 0L, 0L, 0L, 0L);
		if (r >= 0 && g->syscall_nr == SYS_userfaultfd)
			close((int)r);
		if (r >= 0 || errno != ENOSYS)
			return 0;
		log_info("hardening: %s not needed: the kernel has no %s (ENOSYS)", name, g->what);
		return 1;
	}
	return 0;
}

/* "KEY = service name" into out (SERVICE_NAME_MAX + 1 bytes). */
static int service_key(const char *key, const char *v, char *out, unsigned lineno, char *err,
		       size_t err_size)
{
	if (!service_name_is_valid(v)) {
		snprintf(err, err_size, "line %u: %s= '%s' is not a service name", lineno, key, v);
		return -EINVAL;
	}
	snprintf(out, SERVICE_NAME_MAX + 1, "%s", v);
	return 0;
}

static bool hardening_sysctl(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(sysctls); i++)
		if (streq(sysctls[i].name, name))
			return true;
	return false;
}

/* "sysctl = KEY VALUE": appended to x->sysctls as "KEY VALUE\n". */
static int extra_sysctl(const char *v, HardenExtras *x, unsigned lineno, char *err, size_t err_size)
{
	char buf[256], *save = NULL, *key, *value;
	size_t off = strlen(x->sysctls);

	snprintf(buf, sizeof(buf), "%s", v);
	key = strtok_r(buf, " \t", &save);
	value = key ? strtok_r(NULL, " \t", &save) : NULL;
	if (!value || strtok_r(NULL, " \t", &save) || strlen(v) >= sizeof(buf) || strlen(key) > 127 ||
	    strlen(value) > 127 || strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789._-") != strlen(key) || key[0] == '.' ||
	    strstr(key, "..")) {
		snprintf(err, err_size, "line %u: sysctl= needs a key and one value", lineno);
		return -EINVAL;
	}
	if (hardening_sysctl(key)) {
		snprintf(err, err_size, "line %u: %s is a hardening sysctl; only allow_weaker may touch it",
			 lineno, key);
		return -EINVAL;
	}
	if (off + strlen(key) + strlen(value) + 3 > sizeof(x->sysctls)) {
		snprintf(err, err_size, "too many sysctl= entries");
		return -EINVAL;
	}
	snprintf(x->sysctls + off, sizeof(x->sysctls) - off, "%s %s\n", key, value);
	return 0;
}

int harden_conf_parse(const char *text, char *allowed, size_t size, HardenExtras *x, char *err,
		      size_t err_size)
{
	static const char *const named[] = { "lockdown", "bpf-lsm", "modules-disabled" };
	char buf[512], *key, *v;
	size_t off = 0;
	KvParser kv;
	int r;

	off += (size_t)snprintf(allowed, size, " ");
	*x = (HardenExtras){ 0 };
	kv_init(&kv, text, buf, sizeof(buf));
	while ((r = kv_next(&kv, &key, &v, err, err_size)) > 0) {
		unsigned lineno = kv.lineno;
		char *save = NULL;

		if (streq(key, "bpf_allow_service"))
			r = service_key(key, v, x->bpf_service, lineno, err, err_size);
		else if (streq(key, "runtime_service"))
			r = service_key(key, v, x->runtime_service, lineno, err, err_size);
		else if (streq(key, "sysctl"))
			r = extra_sysctl(v, x, lineno, err, err_size);
		else if (!streq(key, "allow_weaker")) {
			snprintf(err, err_size, "line %u: unknown setting '%s' (allow_weaker = ..., "
				 "bpf_allow_service = ..., runtime_service = ..., sysctl = ...)", lineno, key);
			return -EINVAL;
		}
		if (r < 0)
			return r;
		if (!streq(key, "allow_weaker"))
			continue;
		for (char *w = strtok_r(v, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
			bool ok = false;

			for (size_t i = 0; i < ARRAY_SIZE(named); i++)
				ok |= streq(w, named[i]);
			for (size_t i = 0; i < ARRAY_SIZE(sysctls); i++)
				ok |= streq(w, sysctls[i].name);
			if (!ok) {
				snprintf(err, err_size, "line %u: '%s' is not a hardening step", lineno, w);
				return -EINVAL;
			}
			if (off + strlen(w) + 2 >= size) {
				snprintf(err, err_size, "too many allow_weaker entries");
				return -EINVAL;
			}
			off += (size_t)snprintf(allowed + off, size - off, "%s ", w);
		}
	}
	return r;
}

static bool allowed(const char *list, const char *name)
{
	char key[128];

	snprintf(key, sizeof(key), " %s ", name);
	return strstr(list, key) != NULL;
}

/* A step the kernel could not do: fatal unless the image allows the weaker mode. */
static int weaker(const char *list, const char *name, int error, const char *what)
{
	if (allowed(list, name)) {
		log_warning("hardening: %s (%s); continuing in the weaker mode %s allows", what, name,
			    HARDEN_CONF);
		return 0;
	}
	return log_error_errno(error, "hardening: %s; refusing to go on (allow_weaker = %s in %s "
				      "would accept it)",
			       what, name, HARDEN_CONF);
}

static int set_sysctl(const Sysctl *s, const char *list)
{
	_cleanup_free_ char *back = NULL;
	char path[160], what[200];
	int r;

	snprintf(path, sizeof(path), "/proc/sys/%s", s->name);
	for (char *p = path + strlen("/proc/sys/"); *p; p++)
		if (*p == '.')
			*p = '/';
	r = write_string_file(path, s->value);
	if (r >= 0)
		r = read_small_file(path, 256, &back);
	if (r >= 0)
		r = strncmp(back, s->value, strlen(s->value)) == 0 && back[strlen(s->value)] == '\n'
			    ? 0
			    : -EIO;
	if (r >= 0)
		return 0;
	if (r == -ENOENT && feature_gone(s->name))
		return 1;
	snprintf(what, sizeof(what), "%s = %s did not take (%s)", s->name, s->value,
		 r == -ENOENT ? "the kernel has no such sysctl" : strerror(-r));
	return weaker(list, s->name, r, what);
}

static int lsm_active(const char *lsm)
{
	_cleanup_free_ char *list = NULL;
	char *save = NULL;
	int r = read_small_file("/sys/kernel/security/lsm", 1024, &list);

	if (r < 0)
		return r;
	list[strcspn(list, "\n")] = '\0';
	for (char *w = strtok_r(list, ",", &save); w; w = strtok_r(NULL, ",", &save))
		if (streq(w, lsm))
			return 1;
	return 0;
}

static int lockdown(const char *list)
{
	static const char path[] = "/sys/kernel/security/lockdown";
	_cleanup_free_ char *back = NULL;
	int r;

	if (access(path, F_OK) < 0)
		return weaker(list, "lockdown", -ENOENT, "the kernel has no lockdown LSM");
	r = write_string_file(path, "confidentiality");
	if (r >= 0)
		r = read_small_file(path, 256, &back);
	if (r >= 0 && !strstr(back, "[confidentiality]"))
		r = -EIO;
	if (r < 0)
		return weaker(list, "lockdown", r, "lockdown=confidentiality did not take");
	log_info("hardening: kernel lockdown is confidentiality");
	return 0;
}

int stage_harden_run(void)
{
	_cleanup_free_ char *conf = NULL;
	char list[1024] = " ", err[200], bpf_cg[128] = "", runtime_cg[128] = "";
	HardenExtras x = {};
	const char *bpf_service = x.bpf_service, *runtime_service = x.runtime_service;
	int r, n = 0, gone = 0;

	r = read_small_file(HARDEN_CONF, 16 * 1024, &conf);
	if (r < 0 && r != -ENOENT)
		return log_error_errno(r, "Failed to read %s: %m", HARDEN_CONF);
	if (r >= 0 && harden_conf_parse(conf, list, sizeof(list), &x, err, sizeof(err)) < 0)
		return log_error_errno(-EINVAL, "%s: %s", HARDEN_CONF, err);
	if (!streq(list, " "))
		log_warning("hardening: the image allows weaker modes for:%s", list);

	for (size_t i = 0; i < ARRAY_SIZE(sysctls); i++) {
		r = set_sysctl(&sysctls[i], list);
		if (r < 0)
			return r;
		if (r > 0)
			gone++;
		else
			n++;
	}
	if (gone)
		log_info("hardening: %d sysctls set and read back, %d not needed (the kernel lacks what they "
			 "guard)", n, gone);
	else
		log_info("hardening: %d sysctls set and read back", n);
	/* the image's own sysctls (never one of the table above): set and read back too */
	n = 0;
	for (char *save = NULL, *l = strtok_r(x.sysctls, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(l, ' ');
		*sp = '\0';
		r = set_sysctl(&(Sysctl){ l, sp + 1 }, " ");
		if (r < 0)
			return r;
		n++;
	}
	if (n)
		log_info("hardening: %d sysctls of %s set and read back", n, HARDEN_CONF);

	/* The BPF LSM only acts when "bpf" is among the active LSMs (lsm= on the command line);
	 * the programs go in before lockdown, which would refuse some of what loading needs. */
	r = lsm_active("bpf");
	if (r <= 0)
		r = weaker(list, "bpf-lsm", r < 0 ? r : -ENOPROTOOPT,
			   "the BPF LSM is not active (bpf missing from /sys/kernel/security/lsm)");
	else {
		if (bpf_service[0]) {
			/* Its cgroup exists before the programs, which take its id. */
			snprintf(bpf_cg, sizeof(bpf_cg), CGROUP_SERVICES "/%s", bpf_service);
			if (mkdir(bpf_cg, 0755) < 0 && errno != EEXIST)
				return log_error_errno(-errno, "Failed to create %s: %m", bpf_cg);
		}
		if (runtime_service[0]) {
			snprintf(runtime_cg, sizeof(runtime_cg), CGROUP_SERVICES "/%s", runtime_service);
			if (mkdir(runtime_cg, 0755) < 0 && errno != EEXIST)
				return log_error_errno(-errno, "Failed to create %s: %m", runtime_cg);
		}
		/* In a one-shot child: PID 1 links no libbpf (lsm-events.h). */
		r = lsm_events_load((const char *const[]){ "/", CGROUP_SERVICES, CGROUP_PODS,
							    bpf_cg[0] ? bpf_cg : "-",
							    runtime_cg[0] ? runtime_cg : "-", NULL });
		if (r < 0)
			r = weaker(list, "bpf-lsm", r, "the BPF LSM programs could not be loaded");
	}
	if (r < 0)
		return r;

	r = write_string_file("/proc/sys/kernel/modules_disabled", "1");
	if (r < 0) {
		r = weaker(list, "modules-disabled", r, "kernel.modules_disabled=1 did not take");
		if (r < 0)
			return r;
	} else
		log_info("hardening: module loading disabled");
	r = lockdown(list);
	if (r < 0)
		return r;
	return 0;
}
