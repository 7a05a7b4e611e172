/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* secret volumes (docs/kubelet.md, "Secret volumes"): a secret the verifier released to this node
 * (kcc-attest writes it to the secrets folder, docs/attestation.md) offered to a pod as one
 * read-only file. The volume is a tmpfs of its own, mounted on the pod's staging point and
 * bound read-only into the container by crun: the secret never reaches a disk, and the pod sees
 * only the secrets it names. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "manifest.h"

#define SECRETS_DIR "/run/kcc-identity/secrets"
#define SECRET_FILE_MAX 128

/* (Re)stages the secret volume v on staging (a folder): a tmpfs owned by ids (the pod's root),
 * the file secret_name (0444) holding the secret's bytes, then made read-only. -ENOKEY with
 * "secret \"NAME\" was not released to this node" in err when secrets_dir has no such secret. */
int secret_volume_stage(const Volume *v, const char *secrets_dir, const char *staging, uid_t ids,
			char *err, size_t errlen);
