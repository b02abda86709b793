/* SPDX-License-Identifier: BSD-2-Clause */
/* sampler: RouterOS sampling-interval / sampling-space selection. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sampler.h"

static void test_off_takes_all(void **state)
{
	struct sampler s;
	int i;

	(void)state;
	sampler_init(&s, 0, 0);
	for (i = 0; i < 1000; i++)
		assert_true(sampler_take(&s));
	assert_int_equal(sampler_rate(&s), 1);
	sampler_init(&s, 5, 0);
	for (i = 0; i < 1000; i++)
		assert_true(sampler_take(&s));
}

static const struct {
	uint32_t interval, space;
	const char *pattern;	/* one cycle, x taken, . skipped */
	uint32_t rate;
} cases[] = {
	{ 2, 1, "xx.", 2 },		/* 2 of 3: rate 1.5, rounds to 2 */
	{ 1, 1, "x.", 2 },
	{ 1, 9, "x.........", 10 },
	{ 3, 2, "xxx..", 2 },
	{ 10, 1, "xxxxxxxxxx.", 1 },
};

static void test_patterns(void **state)
{
	size_t c, i, n;
	int cycle;

	(void)state;
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct sampler s;

		sampler_init(&s, cases[c].interval, cases[c].space);
		n = __builtin_strlen(cases[c].pattern);
		for (cycle = 0; cycle < 50; cycle++)
			for (i = 0; i < n; i++)
				assert_int_equal(sampler_take(&s),
						 cases[c].pattern[i] == 'x');
		assert_int_equal(sampler_rate(&s), cases[c].rate);
	}
}

static void test_two_of_three_exact(void **state)
{
	struct sampler s;
	int i, taken = 0;

	(void)state;
	sampler_init(&s, 2, 1);
	for (i = 0; i < 3000; i++)
		taken += sampler_take(&s);
	assert_int_equal(taken, 2000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_off_takes_all),
		cmocka_unit_test(test_patterns),
		cmocka_unit_test(test_two_of_three_exact),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
