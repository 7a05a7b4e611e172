/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `kcc-kubelet import ARCHIVE [--name NAME]`: an OCI archive (a tar of an image layout, as
 * `skopeo copy ... oci-archive:` writes it) into IMAGES/NAME on /var. It is unpacked into a
 * temporary folder, every blob checked against its digest, and only then renamed into place; a
 * bad archive, or one over its limits (unpacked bytes, entries; the free space kept on the file
 * system), leaves nothing behind. */
#pragma once

#include "unpack.h"

int image_import(const char *archive, const char *images_dir, const char *name,
		 const UnpackLimits *limits, char *err, size_t errlen);
