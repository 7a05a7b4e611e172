/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <sys/wait.h>

#include "eventlog.h"
#include "log.h"
#include "measure.h"

static Tpm *tpm;

int measure_open(void)
{
	int r;

	if (tpm)
		return 0;
	/* The TSS prints its own errors; kcc-init logs one line of its own per failure. */
	if (!log_debug_enabled())
		setenv("TSS2_LOG", "all+none", 1);
	r = mkdir_p("/run/kcc", 0755);
	if (r < 0)
		return log_error_errno(r, "Failed to create /run/kcc: %m");
	r = tpm_open(NULL, &tpm);
	if (r < 0) {
		log_error_errno(r, "No usable TPM: %s", tpm ? tpm_error(tpm) : "out of memory");
		measure_close();
		return r;
	}
	return 0;
}

Tpm *measure_tpm(void)
{
	return tpm;
}

void measure_close(void)
{
	tpm_close(tpm);
	tpm = NULL;
}

/* Logs first, then extends: the log may hold one event more than the TPM, never one less. */
static int extend(unsigned pcr, const PcrDigests *d, const char *content_type, const char *type,
		  const char *string)
{
	int r;

	r = eventlog_append(MEASURE_LOG, pcr, d, content_type, type, string);
	if (r < 0)
		return log_error_errno(r, "Failed to append to %s: %m", MEASURE_LOG);
	r = tpm_extend_digests(tpm, pcr, d);
	if (r < 0)
		return log_error_errno(r, "Failed to extend PCR %u with %s: %s", pcr, string,
				       tpm_error(tpm));
	log_debug("PCR %u extended: %s", pcr, string);
	return 0;
}

static int digests_of(const void *data, size_t len, const void *key, size_t key_len,
		      PcrDigests *d)
{
	int r = tpm_banks(tpm, d->bank, PCR_BANKS_MAX, &d->n);

	if (r < 0)
		return log_error_errno(r, "Failed to list the TPM's PCR banks: %s", tpm_error(tpm));
	for (size_t i = 0; i < d->n; i++) {
		r = key ? pcr_hmac(d->bank[i], key, key_len, data, len, d->d[i])
			: pcr_hash(d->bank[i], data, len, d->d[i]);
		if (r < 0)
			return log_error_errno(r, "Failed to hash with %s: %m", d->bank[i]->name);
	}
	return 0;
}

int measure_initial(uint32_t mask, uint32_t also_read)
{
	PcrDigests v[PCR_COUNT];
	int r = tpm_pcr_read_banks(tpm, mask | also_read, v);

	if (r < 0)
		return log_error_errno(r, "Failed to read the PCRs: %s", tpm_error(tpm));
	for (unsigned pcr = 0; pcr < PCR_COUNT; pcr++) {
		if (!(mask & (1u << pcr)))
			continue;
		r = eventlog_append(MEASURE_LOG, pcr, &v[pcr], "kcc", "initial-value", NULL);
		if (r < 0)
			return log_error_errno(r, "Failed to append to %s: %m", MEASURE_LOG);
	}
	return 0;
}

int measure_phase(const char *phase)
{
	PcrDigests d;
	int r = digests_of(phase, strlen(phase), NULL, 0, &d);

	if (r < 0)
		return r;
	r = extend(PCR_KERNEL_BOOT, &d, "systemd", "phase", phase);
	if (r >= 0)
		log_info("PCR 11 extended: %s", phase);
	return r;
}

int measure_cmdline(const char *cmdline)
{
	PcrDigests d;
	int r = digests_of(".cmdline", sizeof(".cmdline"), NULL, 0, &d);

	if (r >= 0)
		r = extend(PCR_KERNEL_BOOT, &d, "kcc", "direct-boot", ".cmdline");
	if (r >= 0)
		r = digests_of(cmdline, strlen(cmdline), NULL, 0, &d);
	if (r >= 0)
		r = extend(PCR_KERNEL_BOOT, &d, "kcc", "direct-boot", cmdline);
	return r;
}

int measure_config(const char *source, const void *data, size_t len)
{
	PcrDigests d;
	/* PCR 12 already holds what the UKI stub measured (its credentials): the log starts from
	 * that value, so it replays. Read only when there is a configuration to measure. */
	int r = measure_initial(1u << PCR_CONFIG, 0);

	if (r >= 0)
		r = digests_of(data, len, NULL, 0, &d);
	if (r >= 0)
		r = extend(PCR_CONFIG, &d, "kcc", "node-config", source);
	return r;
}

int measure_volume(const char *name, const char *uuid, const void *vk, size_t vk_size)
{
	char s[128];
	PcrDigests d;
	int r;

	snprintf(s, sizeof(s), "cryptsetup:%s:%s", name, uuid);
	r = digests_of(s, strlen(s), vk, vk_size, &d);
	if (r < 0)
		return r;
	r = extend(PCR_SYSTEM_IDENTITY, &d, "systemd", "volume-key", s);
	explicit_wipe(&d, sizeof(d));
	if (r >= 0)
		log_info("PCR 15 extended: %s", s);
	return r;
}

bool measure_boot_is_direct(void)
{
	/* The stub's .pcrpkey: present on every UKI boot, even when the ESP lacks the signature. */
	return access(POLICY_UKI_KEY, F_OK) < 0;
}
