/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/sev-guest.h>
#include <openssl/pem.h>
#include <stdio.h>
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

int snp_guest_report(const char *device, const uint8_t report_data[SNP_REPORT_DATA_SIZE],
		     uint8_t ret[SNP_REPORT_SIZE], char *err, size_t err_size)
{
	struct snp_report_req req = { .vmpl = 0 };
	struct snp_report_resp resp = { 0 };
	struct snp_guest_request_ioctl io = {
		.msg_version = 1,
		.req_data = (__u64)(uintptr_t)&req,
		.resp_data = (__u64)(uintptr_t)&resp,
	};
	int fd, r = 0;

	fd = open(device, O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return -ENOENT;
	if (fd < 0)
		return errorf(err, err_size, -errno, "%s: %s", device, strerror(errno));
	memcpy(req.user_data, report_data, SNP_REPORT_DATA_SIZE);
	if (ioctl(fd, SNP_GET_REPORT, &io) < 0)
		r = errorf(err, err_size, -errno, "%s: SNP_GET_REPORT: %s (firmware error 0x%llx)",
			   device, strerror(errno), (unsigned long long)io.exitinfo2);
	else if (le32(resp.data + RSP_STATUS) != 0 ||
		 le32(resp.data + RSP_SIZE) != SNP_REPORT_SIZE)
		r = errorf(err, err_size, -EPROTO, "%s: the report answer has status 0x%x and size %u",
			   device, le32(resp.data + RSP_STATUS), le32(resp.data + RSP_SIZE));
	else
		memcpy(ret, resp.data + RSP_REPORT, SNP_REPORT_SIZE);
	close(fd);
	return r;
}

int snp_stand_in_report(const char *key_path, const uint8_t report_data[SNP_REPORT_DATA_SIZE],
			uint8_t ret[SNP_REPORT_SIZE], char *err, size_t err_size)
{
	FILE *f = fopen(key_path, "re");
	EVP_PKEY *key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
	int r;

	if (f)
		fclose(f);
	if (!key)
		return errorf(err, err_size, -EINVAL, "%s: not a PEM private key", key_path);
	r = snp_report_sign(/* template= */ NULL, report_data, key, ret);
	EVP_PKEY_free(key);
	return r < 0 ? errorf(err, err_size, r, "%s: cannot sign the stand-in report", key_path) : 0;
}
