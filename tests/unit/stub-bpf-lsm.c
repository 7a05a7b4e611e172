/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-harden exercises the configuration parser only; the BPF LSM adapter is not linked in. */
#include <errno.h>

#include "bpf-lsm.h"

int bpf_lsm_load(const char *root, const char *services, const char *pods, const char *bpf_allowed,
		 const char *runtime)
{
	(void)bpf_allowed;
	(void)runtime;
	(void)root;
	(void)services;
	(void)pods;
	return -EOPNOTSUPP;
}

int bpf_lsm_lock(void)
{
	return -EOPNOTSUPP;
}
