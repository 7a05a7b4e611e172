/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "keep-joined.h"
#include "send.h"
#include "tpm.h"
#include "util.h"

long keep_joined_renew_in(const char *cert_path)
{
	_cleanup_fclose_ FILE *f = fopen(cert_path, "re");
	X509 *x;
	int days = 0, secs = 0;
	long left;

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
	left = (long)days * 86400 + secs;
	left = left / 3 * 2;
	return left < KEEP_JOINED_RENEW_MIN_S ? KEEP_JOINED_RENEW_MIN_S : left;
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

int keep_joined(const JoinConfig *c)
{
	unsigned backoff = KEEP_JOINED_BACKOFF_MIN_S;
	char err[512];

	if (!c->url || (!c->ca && !c->ca_pem) || !c->node || !c->key_out || !c->cert_out)
		return -EINVAL;
	for (;;) {
		int r = join_once(c, err, sizeof(err));
		long renew;

		if (r > 0 && (renew = keep_joined_renew_in(c->cert_out)) > 0) {
			fprintf(stderr, "kcc-attest: joined as system:node:%s; key and certificate in "
				"%s and %s; renewing in %ld s\n", c->node, c->key_out, c->cert_out,
				renew);
			backoff = KEEP_JOINED_BACKOFF_MIN_S;
			sleep((unsigned)renew);
			continue;
		}
		if (r > 0)
			snprintf(err, sizeof(err), "%s: the certificate cannot be read back", c->cert_out);
		fprintf(stderr, "kcc-attest: not joined (%s); the node stays unjoined, retrying in "
			"%u s\n", err, backoff);
		sleep(backoff);
		backoff = backoff * 2 > KEEP_JOINED_BACKOFF_MAX_S ? KEEP_JOINED_BACKOFF_MAX_S
								   : backoff * 2;
	}
}
