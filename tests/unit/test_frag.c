/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * frag table tests: later fragments borrow the first fragment's ports only
 * for the same datagram identity and only while the entry is fresh; every
 * outcome lands in the right counter.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "frag.h"

static const uint8_t SEED[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
	13, 14, 15, 16 };

static struct pkt_info mk(uint8_t ver, uint8_t last_octet, uint8_t proto,
			  uint32_t id, enum pkt_frag frag, uint16_t sport,
			  uint16_t dport)
{
	struct pkt_info p;

	memset(&p, 0, sizeof(p));
	p.key.ip_version = ver;
	p.key.src_addr[0] = ver == 4 ? 10 : 0x20;
	p.key.src_addr[ver == 4 ? 3 : 15] = last_octet;
	p.key.dst_addr[0] = ver == 4 ? 192 : 0xfd;
	p.key.dst_addr[ver == 4 ? 3 : 15] = 1;
	p.key.proto = proto;
	p.frag_id = id;
	p.frag = (uint8_t)frag;
	p.key.src_port = sport;
	p.key.dst_port = dport;
	return p;
}

static void expect_stats(const struct frag_table *t, uint64_t first,
			 uint64_t matched, uint64_t unmatched)
{
	struct frag_stats s;

	frag_table_stats(t, &s);
	assert_int_equal(s.first, first);
	assert_int_equal(s.matched, matched);
	assert_int_equal(s.unmatched, unmatched);
}

static void test_first_then_later(void **state)
{
	struct frag_table *t = frag_table_new(64, SEED);
	struct pkt_info first, later;
	int i;

	(void)state;
	assert_non_null(t);
	first = mk(4, 1, 17, 0x1234, PKT_FRAG_FIRST, 5060, 5061);
	frag_table_resolve(t, &first, 1000);
	assert_int_equal(first.key.src_port, 5060);	/* untouched */
	for (i = 0; i < 3; i++) {
		later = mk(4, 1, 17, 0x1234, PKT_FRAG_LATER, 0, 0);
		frag_table_resolve(t, &later, 1000 + (uint64_t)i * 10);
		assert_int_equal(later.key.src_port, 5060);
		assert_int_equal(later.key.dst_port, 5061);
	}
	expect_stats(t, 1, 3, 0);

	/* IPv6 with a 32-bit identification. */
	first = mk(6, 1, 6, 0xcafe0001, PKT_FRAG_FIRST, 443, 50000);
	frag_table_resolve(t, &first, 2000);
	later = mk(6, 1, 6, 0xcafe0001, PKT_FRAG_LATER, 0, 0);
	frag_table_resolve(t, &later, 2001);
	assert_int_equal(later.key.src_port, 443);
	assert_int_equal(later.key.dst_port, 50000);
	expect_stats(t, 2, 4, 0);
	frag_table_free(t);
}

static void test_later_before_first(void **state)
{
	struct frag_table *t = frag_table_new(16, SEED);
	struct pkt_info first, later;

	(void)state;
	assert_non_null(t);
	later = mk(4, 1, 17, 77, PKT_FRAG_LATER, 0, 0);
	frag_table_resolve(t, &later, 10);
	assert_int_equal(later.key.src_port, 0);
	assert_int_equal(later.key.dst_port, 0);
	expect_stats(t, 0, 0, 1);

	/* The first arriving afterwards helps the fragments after it. */
	first = mk(4, 1, 17, 77, PKT_FRAG_FIRST, 53, 3333);
	frag_table_resolve(t, &first, 11);
	later = mk(4, 1, 17, 77, PKT_FRAG_LATER, 0, 0);
	frag_table_resolve(t, &later, 12);
	assert_int_equal(later.key.src_port, 53);
	expect_stats(t, 1, 1, 1);
	frag_table_free(t);
}

/*
 * Any identity field that differs means another datagram.  With one slot
 * every identity shares it, so the comparison, not the hash, must tell
 * them apart.
 */
static void test_identity(void **state)
{
	static const uint32_t sizes[] = { 1, 1024 };
	struct pkt_info first, later[6];
	size_t i, s;

	(void)state;
	for (s = 0; s < 2; s++) {
		struct frag_table *t = frag_table_new(sizes[s], SEED);

		assert_non_null(t);
		first = mk(4, 1, 17, 500, PKT_FRAG_FIRST, 1, 2);
		frag_table_resolve(t, &first, 0);
		later[0] = mk(4, 2, 17, 500, PKT_FRAG_LATER, 0, 0);	/* src */
		later[1] = mk(4, 1, 6, 500, PKT_FRAG_LATER, 0, 0);	/* proto */
		later[2] = mk(4, 1, 17, 501, PKT_FRAG_LATER, 0, 0);	/* id */
		later[3] = mk(4, 1, 17, 500, PKT_FRAG_LATER, 0, 0);
		later[3].key.ip_version = 6;		/* same bytes, v6 */
		later[4] = mk(4, 1, 17, 500, PKT_FRAG_LATER, 0, 0);
		later[4].key.dst_addr[2] = 9;				/* dst */
		later[5] = mk(4, 1, 17, 500, PKT_FRAG_LATER, 0, 0);	/* same */
		for (i = 0; i < 6; i++) {
			frag_table_resolve(t, &later[i], 1);
			assert_int_equal(later[i].key.src_port, i == 5 ? 1 : 0);
			assert_int_equal(later[i].key.dst_port, i == 5 ? 2 : 0);
		}
		expect_stats(t, 1, 1, 5);
		frag_table_free(t);
	}
}

static void test_aging(void **state)
{
	struct frag_table *t = frag_table_new(8, SEED);
	struct pkt_info first, later;

	(void)state;
	assert_non_null(t);
	first = mk(4, 1, 17, 9, PKT_FRAG_FIRST, 100, 200);
	frag_table_resolve(t, &first, 50000);
	later = mk(4, 1, 17, 9, PKT_FRAG_LATER, 0, 0);
	frag_table_resolve(t, &later, 50000 + FRAG_MAX_AGE_MS);
	assert_int_equal(later.key.src_port, 100);	/* exactly the limit */
	later = mk(4, 1, 17, 9, PKT_FRAG_LATER, 0, 0);
	frag_table_resolve(t, &later, 50000 + FRAG_MAX_AGE_MS + 1);
	assert_int_equal(later.key.src_port, 0);
	assert_int_equal(later.key.dst_port, 0);
	expect_stats(t, 1, 1, 1);

	/* A first fragment seen again refreshes the entry. */
	frag_table_resolve(t, &first, 200000);
	later = mk(4, 1, 17, 9, PKT_FRAG_LATER, 0, 0);
	frag_table_resolve(t, &later, 200500);
	assert_int_equal(later.key.dst_port, 200);
	/* A clock stepping back a little (offline timestamps) is not age. */
	later = mk(4, 1, 17, 9, PKT_FRAG_LATER, 0, 0);
	frag_table_resolve(t, &later, 199000);
	assert_int_equal(later.key.dst_port, 200);
	expect_stats(t, 2, 3, 1);
	frag_table_free(t);
}

static void test_unfragmented_noop(void **state)
{
	struct frag_table *t = frag_table_new(4, SEED);
	struct pkt_info p, before;

	(void)state;
	assert_non_null(t);
	p = mk(4, 1, 6, 0, PKT_FRAG_NONE, 80, 8080);
	before = p;
	frag_table_resolve(t, &p, 5);
	assert_memory_equal(&p, &before, sizeof(p));
	expect_stats(t, 0, 0, 0);
	frag_table_free(t);
}

/* A one-slot table: a second datagram evicts the first, never mixes. */
static void test_collision_overwrites(void **state)
{
	struct frag_table *t = frag_table_new(1, SEED);
	struct pkt_info a, b, la, lb;

	(void)state;
	assert_non_null(t);
	a = mk(4, 1, 17, 1, PKT_FRAG_FIRST, 11, 12);
	b = mk(4, 2, 17, 2, PKT_FRAG_FIRST, 21, 22);
	frag_table_resolve(t, &a, 0);
	frag_table_resolve(t, &b, 0);
	la = mk(4, 1, 17, 1, PKT_FRAG_LATER, 0, 0);
	lb = mk(4, 2, 17, 2, PKT_FRAG_LATER, 0, 0);
	frag_table_resolve(t, &la, 1);
	frag_table_resolve(t, &lb, 1);
	assert_int_equal(la.key.src_port, 0);
	assert_int_equal(lb.key.src_port, 21);
	assert_int_equal(lb.key.dst_port, 22);
	expect_stats(t, 2, 1, 1);
	frag_table_free(t);
}

/* Many concurrent datagrams in a roomy table all resolve. */
static void test_many(void **state)
{
	struct frag_table *t = frag_table_new(3000, SEED);	/* -> 4096 */
	struct pkt_info p;
	struct frag_stats s;
	uint32_t i;

	(void)state;
	assert_non_null(t);
	for (i = 0; i < 200; i++) {
		p = mk(4, (uint8_t)i, 17, i * 7919, PKT_FRAG_FIRST,
		    (uint16_t)(1000 + i), 53);
		frag_table_resolve(t, &p, i);
	}
	for (i = 0; i < 200; i++) {
		p = mk(4, (uint8_t)i, 17, i * 7919, PKT_FRAG_LATER, 0, 0);
		frag_table_resolve(t, &p, 300);
		if (p.key.src_port != 0)
			assert_int_equal(p.key.src_port, 1000 + i);
	}
	frag_table_stats(t, &s);
	assert_int_equal(s.first, 200);
	assert_int_equal(s.matched + s.unmatched, 200);
	/* 200 keys in 4096 slots: a handful of collisions at most. */
	assert_true(s.matched >= 180);
	frag_table_free(t);
}

static void test_new_args(void **state)
{
	struct frag_table *t;

	(void)state;
	errno = 0;
	assert_null(frag_table_new(0, SEED));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(frag_table_new(UINT32_MAX, SEED));
	assert_int_equal(errno, EINVAL);
	t = frag_table_new(5, SEED);
	assert_non_null(t);
	frag_table_free(t);
	frag_table_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_then_later),
		cmocka_unit_test(test_later_before_first),
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_aging),
		cmocka_unit_test(test_unfragmented_noop),
		cmocka_unit_test(test_collision_overwrites),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_new_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
