/* SPDX-License-Identifier: BSD-2-Clause */
/* cidr: parsing and matching of IPv4/IPv6 prefixes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <string.h>

#include "cidr.h"

static void addr_of(const char *s, uint8_t out[16], int *family)
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET, s, out) == 1) {
		*family = 4;
		return;
	}
	assert_int_equal(inet_pton(AF_INET6, s, out), 1);
	*family = 6;
}

static const struct {
	const char *prefix, *addr;
	bool match;
} cases[] = {
	{ "192.0.2.0/24", "192.0.2.1", true },
	{ "192.0.2.0/24", "192.0.3.1", false },
	{ "192.0.2.77/24", "192.0.2.200", true },	/* host bits ignored */
	{ "10.0.0.0/8", "10.255.255.255", true },
	{ "10.0.0.0/9", "10.128.0.1", false },
	{ "0.0.0.0/0", "203.0.113.9", true },
	{ "192.0.2.1", "192.0.2.1", true },
	{ "192.0.2.1", "192.0.2.2", false },
	{ "192.0.2.0/24", "::ffff:192.0.2.5", true },	/* dual-stack peer */
	{ "192.0.2.0/24", "2001:db8::1", false },
	{ "2001:db8::/32", "2001:db8:ffff::1", true },
	{ "2001:db8::/33", "2001:db8:8000::1", false },
	{ "::/0", "fe80::1", true },
	{ "2001:db8::/32", "192.0.2.1", false },
};

static void test_match_table(void **state)
{
	uint8_t a[16];
	size_t i;
	int fam;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cidr c;

		assert_int_equal(cidr_parse(cases[i].prefix, &c), 0);
		addr_of(cases[i].addr, a, &fam);
		if (cidr_match(&c, a, fam) != cases[i].match)
			fail_msg("%s in %s: want %d", cases[i].addr,
				 cases[i].prefix, cases[i].match);
	}
}

static void test_bad(void **state)
{
	static const char *bad[] = { "", "/24", "192.0.2.0/", "192.0.2.0/33",
				     "2001:db8::/129", "192.0.2.0/-1",
				     "192.0.2.0/24x", "host", "300.1.1.1/8" };
	struct cidr c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_not_equal(cidr_parse(bad[i], &c), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match_table),
		cmocka_unit_test(test_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
