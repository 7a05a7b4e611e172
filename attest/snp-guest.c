/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/sev-guest.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "snp-guest.h"
#include "util.h"

/* MSG_REPORT_RSP (SEV-SNP ABI, "Guest Messages"): status, report size, 24 reserved, report. */
#define RSP_STATUS 0
#define RSP_SIZE 4
#define RSP_REPORT 32

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#define CERTS_SIZE (4 * 4096) /* the kernel's largest, SEV_FW_BLOB_MAX_SIZE */

/* The host's certificate table: the VCEK's copy, or nothing (a table without one, or garbled:
 * the verifier's cache then serves). */
static void vcek_from_table(const uint8_t *certs, uint8_t **ret, size_t *ret_size)
{
	const uint8_t *p;
	size_t n;

	if (snp_cert_table_vcek(certs, CERTS_SIZE, &p, &n) < 0 || n > 4096)
		return;
	*ret = malloc(n);
	if (*ret) {
		memcpy(*ret, p, n);
		*ret_size = n;
	}
}

int snp_guest_report(const char *device, const uint8_t report_data[SNP_REPORT_DATA_SIZE],
		     uint8_t ret[SNP_REPORT_SIZE], uint8_t **ret_vcek, size_t *ret_vcek_size,
		     char *err, size_t err_size)
{
	struct snp_ext_report_req ext = { .data.vmpl = 0, .certs_len = CERTS_SIZE };
	struct snp_report_resp resp = { 0 };
	struct snp_guest_request_ioctl io = {
		.msg_version = 1,
		.req_data = (__u64)(uintptr_t)&ext,
		.resp_data = (__u64)(uintptr_t)&resp,
	};
	uint8_t *certs = aligned_alloc(4096, CERTS_SIZE);
	int fd, r = 0;

	*ret_vcek = NULL;
	*ret_vcek_size = 0;
	if (!certs)
		return -ENOMEM;
	memset(certs, 0, CERTS_SIZE);
	fd = open(device, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		r = errno == ENOENT ? -ENOENT : errorf(err, err_size, -errno, "%s: %s", device,
							 strerror(errno));
		free(certs);
		return r;
	}
	memcpy(ext.data.user_data, report_data, SNP_REPORT_DATA_SIZE);
	ext.certs_address = (__u64)(uintptr_t)certs;
	if (ioctl(fd, SNP_GET_EXT_REPORT, &io) >= 0)
		vcek_from_table(certs, ret_vcek, ret_vcek_size);
	else {
		/* no extended requests here: the plain report, the same binding */
		io = (struct snp_guest_request_ioctl){ .msg_version = 1,
						       .req_data = (__u64)(uintptr_t)&ext.data,
						       .resp_data = (__u64)(uintptr_t)&resp };
		memset(&resp, 0, sizeof(resp));
		if (ioctl(fd, SNP_GET_REPORT, &io) < 0)
			r = errorf(err, err_size, -errno, "%s: SNP_GET_REPORT: %s (firmware error "
				   "0x%llx)", device, strerror(errno),
				   (unsigned long long)io.exitinfo2);
	}
	if (r == 0 && (le32(resp.data + RSP_STATUS) != 0 ||
		       le32(resp.data + RSP_SIZE) != SNP_REPORT_SIZE))
		r = errorf(err, err_size, -EPROTO, "%s: the report answer has status 0x%x and size %u",
			   device, le32(resp.data + RSP_STATUS), le32(resp.data + RSP_SIZE));
	if (r == 0)
		memcpy(ret, resp.data + RSP_REPORT, SNP_REPORT_SIZE);
	if (r < 0) {
		free(*ret_vcek);
		*ret_vcek = NULL;
		*ret_vcek_size = 0;
	}
	close(fd);
	free(certs);
	return r;
}
