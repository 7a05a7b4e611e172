/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The image version's syntax, shared by the bundle manifest and the ESP's entry names (its own file,
 * so that a user of esp.c does not link the manifest's json-c code). */
#include <string.h>

#include "bundle.h"

bool bundle_version_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > BUNDLE_VERSION_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

		if (!alnum && (i == 0 || !strchr("._~-", c)))
			return false;
	}
	return true;
}

