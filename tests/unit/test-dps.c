/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "unit.h"

#include "cmdline.h"
#include "dps.h"

/* The systemd rule: data partition UUID = first 128 bits, verity = last 128 bits. The expected
 * strings are what sfdisk writes for image/mkdisk.sh, independently formatted. */
static void test_derivation(void **state)
{
	uint8_t h[32];
	char root[DPS_UUID_STRING_MAX], verity[DPS_UUID_STRING_MAX];

	(void)state;
	assert_int_equal(
		unhex("27dabf0a6d8a1a625098e0af3fccaecb2afebd6f4c98be9dddb0929a305af685", 64, h, 32),
		32);
	assert_int_equal(dps_verity_partition_uuids(h, 32, root, verity), 0);
	assert_string_equal(root, "27dabf0a-6d8a-1a62-5098-e0af3fccaecb");
	assert_string_equal(verity, "2afebd6f-4c98-be9d-ddb0-929a305af685");
}

static void test_sha512_hash(void **state)
{
	uint8_t h[64];
	char root[DPS_UUID_STRING_MAX], verity[DPS_UUID_STRING_MAX];

	(void)state;
	for (int i = 0; i < 64; i++)
		h[i] = (uint8_t)i;
	assert_int_equal(dps_verity_partition_uuids(h, 64, root, verity), 0);
	assert_string_equal(root, "00010203-0405-0607-0809-0a0b0c0d0e0f");
	assert_string_equal(verity, "30313233-3435-3637-3839-3a3b3c3d3e3f");
}

static void test_too_short(void **state)
{
	uint8_t h[16] = {};
	char root[DPS_UUID_STRING_MAX], verity[DPS_UUID_STRING_MAX];

	(void)state;
	assert_int_equal(dps_verity_partition_uuids(h, 16, root, verity), -EINVAL);
	assert_int_equal(dps_verity_partition_uuids(NULL, 32, root, verity), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_derivation),
		cmocka_unit_test(test_sha512_hash),
		cmocka_unit_test(test_too_short),
	};
	return cmocka_run_group_tests_name("dps", tests, NULL, NULL);
}
