/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The inbox in the spool folder: records of boots that failed before /var was open, which PID 1
 * left there as datagrams (lib/events/failed-boot.h). Each one the strict datagram parser accepts
 * as a KCC-BOOT-FAILED-EARLIER is spooled (fsync'd) and only then deleted; anything else is
 * deleted with one warning. */
#pragma once

#include "event.h"

/* Takes every inbox file of dir, in no particular order, through spool_event (which spools it):
 * the number of events spooled. */
int inbox_take(const char *dir, int (*spool_event)(Event *e));
