/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared includes of the cmocka unit tests. */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
