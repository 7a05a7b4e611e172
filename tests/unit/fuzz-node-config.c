/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the node configuration (JSON from fw_cfg, SMBIOS or a partition: whoever runs
 * the hypervisor writes it) and the SMBIOS type 11 structure it may come in. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node-config.h"
#include "source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static NodeConfig c;
	char err[512];
	const char *v;

	if (node_config_parse((const char *)data, size, &c, err, sizeof(err)) == 0 &&
	    (memchr(c.hostname, '\0', sizeof(c.hostname)) == NULL || c.net.n_dns > NC_DNS_MAX ||
	     c.kubelet.n_labels > NC_LABELS_MAX))
		abort();
	(void)smbios11_find(data, size, SMBIOS_CONFIG_KEY, &v);
	return 0;
}
