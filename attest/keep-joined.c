/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "keep-joined.h"
#include "kubelet-creds.h"
#include "send.h"
#include "tpm.h"
#include "util.h"

int keep_joined_left(const char *cert_path, long *ret)
{
	_cleanup_fclose_ FILE *f = fopen(cert_path, "re");
	X509 *x;
	int days = 0, secs = 0;

	if (!f)
		return -errno;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	if (!x)
		return -EBADMSG;
	if (!ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(x))) {
		X509_free(x);
		return -EBADMSG;
	}
	X509_free(x);
	*ret = (long)days * 86400 + secs;
	return 0;
}

static uint32_t random_u32(void)
{
	uint32_t v = 0;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != sizeof(v))
		v = (uint32_t)time(NULL);
	return v;
}

static void send_verdict(const JoinConfig *c, json_object *res, int joined)
{
	json_object *reasons = res ? json_object_object_get(res, "reasons") : NULL;
	const char *verdict = res ? json_object_get_string(json_object_object_get(res, "verdict"))
				  : NULL;
	const char *policy = res ? json_object_get_string(json_object_object_get(res, "policy"))
				 : NULL;
	const char *reason = json_object_array_length(reasons) > 0 ?
		json_object_get_string(json_object_array_get_idx(reasons, 0)) : "";
	const char *fields[] = { "verdict", verdict ?: "-", "policy", policy ?: "-", "node",
				 c->node, "verifier", c->url, NULL };

	/* Never blocks: without a forwarder the event is a counted drop. */
	(void)event_sendf(EV_ATTESTATION_VERDICT, "kcc-attest", fields, "%s%s%.400s",
			  joined ? "joined as system:node:" : "refused: ",
			  joined ? c->node : "", joined ? "" : reason);
}

/* One join: 1 joined, 0 refused, -errno failed; the reason in err. */
static int join_once(const JoinConfig *c, char *err, size_t err_size)
{
	json_object *res = NULL;
	Tpm *t = NULL;
	int r = tpm_open(NULL, &t);

	if (r < 0) {
		snprintf(err, err_size, "cannot open the TPM: %s", tpm_error(t));
		tpm_close(t);
		return r;
	}
	r = join(t, c, &res, err, err_size);
	tpm_close(t);
	if (r == 0 && res) {
		json_object *reasons = json_object_object_get(res, "reasons");
		size_t n = json_object_array_length(reasons);
		snprintf(err, err_size, "%s%s", n ? "refused: " : "refused",
			 n ? json_object_get_string(json_object_array_get_idx(reasons, 0)) : "");
		for (size_t i = 1; i < n; i++)
			fprintf(stderr, "kcc-attest: refused: %s\n",
				json_object_get_string(json_object_array_get_idx(reasons, i)));
	}
	if (r >= 0 && res)
		send_verdict(c, res, r);
	json_object_put(res);
	return r;
}

/* A failed renewal while the certificate is still valid: it stays (never deleted), the SIEM hears
 * of it, and the retry comes before it expires. */
static unsigned renewal_failed(const JoinConfig *c, const char *err, long left, unsigned backoff)
{
	unsigned wait = attest_retry_delay(backoff, left);
	char left_s[24];
	const char *fields[] = { "node", c->node, "verifier", c->url, "valid_for_s", left_s, NULL };

	snprintf(left_s, sizeof(left_s), "%ld", left);
	fprintf(stderr, "kcc-attest: renewal failed (%s); keeping the current certificate, valid "
		"%ld s more; retrying in %u s\n", err, left, wait);
	(void)event_sendf(EV_ATTESTATION_RENEWAL_FAILED, "kcc-attest", fields, "%.400s", err);
	return wait;
}

int keep_joined(const JoinConfig *c)
{
	unsigned backoff = KEEP_JOINED_BACKOFF_MIN_S;
	char err[512];

	if (!c->url || (!c->ca && !c->ca_pem) || !c->node || !c->key_out || !c->cert_out)
		return -EINVAL;
	for (;;) {
		int r = join_once(c, err, sizeof(err));
		unsigned wait = backoff;
		long left = 0, renew;
		bool held = keep_joined_left(c->cert_out, &left) == 0;

		if (r > 0 && held && left > 0) {
			renew = attest_renew_delay(left, random_u32());
			fprintf(stderr, "kcc-attest: joined as system:node:%s; key and certificate in "
				"%s and %s%s%s; renewing in %ld s\n", c->node, c->key_out, c->cert_out,
				c->kubelet ? ", the kubelet's in " : "",
				c->kubelet ? c->kubelet->kubeconfig_path : "", renew);
			backoff = KEEP_JOINED_BACKOFF_MIN_S;
			sleep((unsigned)renew);
			continue;
		}
		if (r > 0)
			snprintf(err, sizeof(err), "%s: the certificate cannot be read back", c->cert_out);
		if (held && left > 0)
			wait = renewal_failed(c, err, left, backoff);
		else
			fprintf(stderr, "kcc-attest: not joined (%s); the node stays unjoined, retrying "
				"in %u s\n", err, wait);
		sleep(wait);
		backoff = backoff * 2 > KEEP_JOINED_BACKOFF_MAX_S ? KEEP_JOINED_BACKOFF_MAX_S
								   : backoff * 2;
	}
}
