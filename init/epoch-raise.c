/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <stdlib.h>

#include "epoch-raise.h"
#include "epoch.h"
#include "esp.h"
#include "log.h"
#include "pcr.h"
#include "pcrsig.h"
#include "sealed.h"
#include "stage-state.h"
#include "tpm.h"
#include "util.h"

#define RUN_KEY STATE_RUN_DIR "/tpm2-pcr-public-key.pem"
#define RUN_SIG STATE_RUN_DIR "/tpm2-pcr-signature.json"
#define ENTRIES_MAX 16

static int key_read(const char *path, uint8_t **der, size_t *der_size, uint8_t fp[32])
{
	_cleanup_free_ char *pem = NULL;
	int r = read_small_file(path, 64 * 1024, &pem);

	if (r < 0)
		return r;
	r = pem_pubkey_to_der(pem, strlen(pem), der, der_size);
	if (r < 0)
		return r;
	if (pcr_key_fingerprint(*der, *der_size, fp) < 0) {
		free(*der);
		return -EBADMSG;
	}
	return 0;
}

/* A release's epoch: from its signature's first entry that carries one, else 0. */
static unsigned entry_epoch(const char *esp, const char *version, const uint8_t fp[32])
{
	_cleanup_free_ char *json = NULL;
	char path[512];
	unsigned e = 0;

	snprintf(path, sizeof(path), "%s/" ESP_CREDS_DIR "/" ESP_PCRSIG_PREFIX "%s.cred", esp, version);
	if (read_small_file(path, 1 << 20, &json) < 0 ||
	    (pcrsig_epoch(json, SEALED_SIGNED_UKI, fp, &e) < 0 &&
	     pcrsig_epoch(json, SEALED_SIGNED_DIRECT, fp, &e) < 0))
		return 0;
	return e;
}

int epoch_installed_limit(const char *esp, const char *key_pem, unsigned *ret)
{
	EspEntry entries[ENTRIES_MAX];
	_cleanup_free_ uint8_t *der = NULL;
	size_t n = 0, der_size;
	uint8_t fp[32];
	unsigned lim = EPOCH_MAX;
	bool any = false;
	int r;

	r = key_read(key_pem ? key_pem : RUN_KEY, &der, &der_size, fp);
	if (r < 0)
		return r;
	r = esp_list(esp, entries, ENTRIES_MAX, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n && i < ENTRIES_MAX; i++) {
		unsigned e;

		if (esp_entry_is_bad(&entries[i]))
			continue;
		e = entry_epoch(esp, entries[i].version, fp);
		lim = e < lim ? e : lim;
		any = true;
	}
	if (!any)
		return -ENOENT;
	*ret = lim;
	return 0;
}

int epoch_raise_to_limit(unsigned limit)
{
	_cleanup_free_ char *sig = NULL;
	_cleanup_free_ uint8_t *der = NULL;
	size_t der_size;
	uint8_t fp[32];
	unsigned own = 0, n;
	Tpm *t = NULL;
	int r;

	r = key_read(RUN_KEY, &der, &der_size, fp);
	if (r >= 0)
		r = read_small_file(RUN_SIG, 1 << 20, &sig);
	if (r < 0)
		return log_error_errno(r, "security epoch not raised: cannot read %s or %s: %m", RUN_KEY,
				       RUN_SIG);
	if (pcrsig_epoch(sig, SEALED_SIGNED_UKI, fp, &own) < 0 &&
	    pcrsig_epoch(sig, SEALED_SIGNED_DIRECT, fp, &own) < 0) {
		log_info("security epoch not raised: this image was signed without one");
		return 0;
	}
	n = own < limit ? own : limit;
	r = tpm_open(NULL, &t);
	if (r < 0)
		return log_error_errno(r, "security epoch not raised: no TPM: %m");
	r = sealed_epoch_raise(t, der, der_size, sig, n, limit, NULL);
	if (r < 0)
		log_error("security epoch not raised to %u: %s", n, tpm_error(t));
	else if (r == 1)
		log_info("security epoch: the node is at %u or above already (this image %u, lowest "
			 "installed %u)", n, own, limit);
	else
		log_info("security epoch raised to %u (this image %u, lowest installed %u)", n, own, limit);
	tpm_close(t);
	return r < 0 ? r : 0;
}
