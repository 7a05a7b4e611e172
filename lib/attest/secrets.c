/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns-name.h"
#include "duplicate.h"
#include "json-get.h"
#include "pcr.h"
#include "secrets.h"
#include "util.h"

bool attest_secret_name_is_valid(const char *name)
{
	return name && strlen(name) <= ATTEST_NODE_MAX && dns_subdomain_is_valid(name);
}

static int parse_one(const char *name, json_object *val, AttestSecret *s, char *err,
		     size_t err_size)
{
	const char *b64 = json_str(val);
	TPM2B_PUBLIC pub;
	TPM2B_PRIVATE dup;
	TPM2B_ENCRYPTED_SECRET seed;

	if (!attest_secret_name_is_valid(name))
		return errorf(err, err_size, -EBADMSG, "a released secret's name is not a DNS name");
	snprintf(s->name, sizeof(s->name), "%s", name);
	if (!b64 || strlen(b64) > 4 * ((ATTEST_SECRET_BLOB_MAX + 2) / 3) ||
	    b64_decode(b64, &s->blob.p, &s->blob.n) < 0)
		return errorf(err, err_size, -EBADMSG,
			      "secret \"%s\" is not base64 of at most %d bytes", name,
			      ATTEST_SECRET_BLOB_MAX);
	if (tpm_duplicate_parse(s->blob.p, s->blob.n, &pub, &dup, &seed) < 0)
		return errorf(err, err_size, -EBADMSG,
			      "secret \"%s\" is not a sealed object wrapped for import", name);
	return 0;
}

int attest_secrets_parse(json_object *result, AttestSecrets *ret, char *err, size_t err_size)
{
	json_object *o;
	int r = 0;

	*ret = (AttestSecrets){ 0 };
	if (!json_object_object_get_ex(result, "secrets", &o))
		return 0;
	if (!json_object_is_type(o, json_type_object))
		return errorf(err, err_size, -EBADMSG, "\"secrets\" is not an object");
	if (json_object_object_length(o) > ATTEST_SECRETS_MAX)
		return errorf(err, err_size, -EBADMSG, "more than %d released secrets",
			      ATTEST_SECRETS_MAX);
	json_object_object_foreach(o, key, val) {
		if (r >= 0)
			r = parse_one(key, val, &ret->s[ret->n++], err, err_size);
	}
	if (r < 0)
		attest_secrets_done(ret);
	return r;
}

void attest_secrets_done(AttestSecrets *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->s[i].blob.p);
	*s = (AttestSecrets){ 0 };
}
