/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <string.h>

#include "dns-name.h"

static bool label_ok(const char *s, size_t n)
{
	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-'))
			return false;
	return true;
}

bool dns_label_is_valid(const char *s)
{
	return label_ok(s, strlen(s));
}

bool dns_subdomain_is_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253)
		return false;
	for (;;) {
		size_t l = strcspn(s, ".");
		if (!label_ok(s, l))
			return false;
		if (!s[l])
			return true;
		s += l + 1; /* a trailing dot leaves an empty label: refused above */
	}
}
