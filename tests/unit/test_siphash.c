/* SPDX-License-Identifier: BSD-2-Clause */
/* siphash: reference vectors of SipHash-2-4 (key 00..0f, message 00..n-1)
 * and the properties the flow hash relies on. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "siphash.h"

static const struct {
	size_t len;
	uint64_t want;
} vectors24[] = {
	{ 0, 0x726fdb47dd0e0e31ULL },
	{ 1, 0x74f839c593dc67fdULL },
	{ 15, 0xa129ca6149be45e5ULL },
};

static void test_siphash24_reference(void **state)
{
	uint8_t key[16], msg[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	for (i = 0; i < sizeof(vectors24) / sizeof(vectors24[0]); i++)
		assert_int_equal(siphash24(key, msg, vectors24[i].len),
				 vectors24[i].want);
}

static void test_siphash13_keyed(void **state)
{
	uint8_t k1[16] = { 1 }, k2[16] = { 2 }, msg[44];
	uint64_t h;
	size_t len;

	(void)state;
	memset(msg, 0x5a, sizeof(msg));
	h = siphash13(k1, msg, sizeof(msg));
	assert_int_equal(h, siphash13(k1, msg, sizeof(msg)));
	assert_int_not_equal(h, siphash13(k2, msg, sizeof(msg)));
	assert_int_not_equal(h, siphash24(k1, msg, sizeof(msg)));
	/* Every tail length goes through its own branch. */
	for (len = 0; len < 16; len++)
		assert_int_not_equal(siphash13(k1, msg, len),
				     siphash13(k1, msg, len + 1));
	/* One flipped bit changes the hash. */
	msg[43] ^= 1;
	assert_int_not_equal(h, siphash13(k1, msg, sizeof(msg)));
}

static void test_random_key(void **state)
{
	uint8_t a[16], b[16];

	(void)state;
	assert_int_equal(siphash_random_key(a), 0);
	assert_int_equal(siphash_random_key(b), 0);
	assert_memory_not_equal(a, b, sizeof(a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash24_reference),
		cmocka_unit_test(test_siphash13_keyed),
		cmocka_unit_test(test_random_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
