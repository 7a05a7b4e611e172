/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The verifier's side of released secrets (secrets.h): the --secret files and their wrapping
 * for an affirmed node. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "verifier.h"

int verifier_load_secret(Verifier *v, const char *spec, char *err, size_t err_size)
{
	const char *eq = spec ? strchr(spec, '=') : NULL;
	char name[ATTEST_NODE_MAX + 1], *data = NULL;
	VerifierSecret *s;
	int r;

	if (!eq || (size_t)(eq - spec) >= sizeof(name))
		return errorf(err, err_size, -EINVAL, "--secret: NAME=FILE, not '%s'", spec ?: "");
	memcpy(name, spec, (size_t)(eq - spec));
	name[eq - spec] = '\0';
	if (!attest_secret_name_is_valid(name))
		return errorf(err, err_size, -EINVAL, "--secret: '%s' is not a DNS name", name);
	for (size_t i = 0; i < v->n_secrets; i++)
		if (streq(v->secrets[i].name, name))
			return errorf(err, err_size, -EINVAL, "--secret: %s given twice", name);
	if (v->n_secrets >= ATTEST_SECRETS_MAX)
		return errorf(err, err_size, -EINVAL, "--secret: more than %d", ATTEST_SECRETS_MAX);
	r = read_small_file(eq + 1, TPM_SECRET_MAX, &data);
	if (r == 0)
		r = -ENODATA;
	if (r < 0) {
		free(data);
		return errorf(err, err_size, r, "--secret %s: %s (1 to %d bytes)", name, strerror(-r),
			      TPM_SECRET_MAX);
	}
	s = &v->secrets[v->n_secrets++];
	snprintf(s->name, sizeof(s->name), "%s", name);
	memcpy(s->data, data, (size_t)r);
	s->size = (size_t)r;
	explicit_wipe(data, (size_t)r);
	free(data);
	return 0;
}

int verifier_release(const Verifier *v, const TPM2B_PUBLIC *ek, const uint8_t values[PCR_COUNT][32],
		     json_object *result)
{
	json_object *o = json_object_new_object();
	int r = o ? 0 : -ENOMEM;

	for (size_t i = 0; r >= 0 && i < v->n_secrets; i++) {
		const VerifierSecret *s = &v->secrets[i];
		uint8_t *blob = NULL;
		size_t n = 0;
		char *b64;

		r = tpm_duplicate_sealed(ek, ATTEST_PCR_MASK, values, s->data, s->size, &blob, &n);
		if (r < 0)
			break;
		b64 = b64_encode(blob, n);
		free(blob);
		if (!b64 || json_object_object_add(o, s->name, json_object_new_string(b64)) < 0)
			r = -ENOMEM;
		free(b64);
	}
	if (r < 0) {
		json_object_put(o);
		return r;
	}
	json_object_object_add(result, "secrets", o);
	return 0;
}
