/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "control.h"
#include "util.h"

static const char *const names[_CONTROL_REQUEST_MAX] = {
	[CONTROL_POWEROFF] = "poweroff",
	[CONTROL_REBOOT] = "reboot",
	[CONTROL_STATUS] = "status",
};

ControlRequest control_request_from_string(const char *s)
{
	return (ControlRequest)string_table_lookup(names, _CONTROL_REQUEST_MAX, s);
}

const char *control_request_to_string(ControlRequest r)
{
	return r >= 0 && r < _CONTROL_REQUEST_MAX ? names[r] : NULL;
}
