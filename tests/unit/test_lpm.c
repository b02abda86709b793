/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lpm: longest-prefix match tables for IPv4 and IPv6.  Hand-written tables
 * (default route, host routes, overlapping prefixes, deletes falling back
 * to the covering prefix) and a randomised comparison against a
 * brute-force scan over thousands of prefixes with inserts and deletes.
 *
 * With TFLOW_LPM_BENCH=1 in the environment it also loads a table shaped
 * like the Internet's (1M IPv4, 200k IPv6 prefixes) and prints the time
 * per lookup; that part asserts nothing about speed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lpm.h"

static unsigned parse(const char *s, uint8_t out[16])
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned width = 0;

	assert_true(n < sizeof(buf));
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(out, 0, 16);
	if (inet_pton(AF_INET, buf, out) == 1)
		width = 32;
	else if (inet_pton(AF_INET6, buf, out) == 1)
		width = 128;
	else
		fail_msg("bad address %s", s);
	return slash ? (unsigned)atoi(slash + 1) : width;
}

struct step {
	char op;		/* '+' insert, '-' delete, '?' lookup */
	const char *what;	/* prefix or address */
	uint32_t value;		/* '+': value; '?': expected value */
	int len;		/* '?': expected length, -1: miss */
};

static void run_steps(unsigned width, const struct step *st, size_t n)
{
	struct lpm *t = lpm_new(width, 42);
	uint8_t a[16];
	size_t i;

	assert_non_null(t);
	for (i = 0; i < n; i++) {
		unsigned plen = parse(st[i].what, a), got_len = 999;
		uint32_t got = 0;
		bool found;

		switch (st[i].op) {
		case '+':
			assert_int_equal(lpm_insert(t, a, plen, st[i].value), 0);
			break;
		case '-':
			assert_int_equal(lpm_delete(t, a, plen, NULL), 0);
			break;
		case '?':
			found = lpm_lookup(t, a, &got, &got_len);
			if (st[i].len < 0) {
				if (found)
					fail_msg("step %zu %s: want miss, got %u/%u",
						 i, st[i].what, got, got_len);
			} else if (!found || got != st[i].value ||
				   got_len != (unsigned)st[i].len) {
				fail_msg("step %zu %s: want %u/%d, got %s %u/%u",
					 i, st[i].what, st[i].value, st[i].len,
					 found ? "hit" : "miss", got, got_len);
			}
			break;
		}
	}
	lpm_free(t);
}

static const struct step v4_steps[] = {
	{ '?', "10.1.2.3", 0, -1 },			/* empty table */
	{ '+', "10.0.0.0/8", 8, 0 },
	{ '+', "10.1.0.0/16", 16, 0 },
	{ '+', "10.1.2.0/24", 24, 0 },
	{ '+', "10.1.2.3/32", 32, 0 },
	{ '+', "10.1.2.128/25", 25, 0 },
	{ '+', "10.1.128.0/17", 17, 0 },
	{ '?', "10.1.2.3", 32, 32 },			/* host route */
	{ '?', "10.1.2.4", 24, 24 },
	{ '?', "10.1.2.200", 25, 25 },
	{ '?', "10.1.3.1", 16, 16 },
	{ '?', "10.1.200.1", 17, 17 },
	{ '?', "10.2.0.1", 8, 8 },
	{ '?', "11.0.0.1", 0, -1 },			/* no default yet */
	{ '+', "0.0.0.0/0", 1, 0 },
	{ '?', "11.0.0.1", 1, 0 },			/* default route */
	{ '?', "255.255.255.255", 1, 0 },
	{ '?', "10.1.2.3", 32, 32 },
	{ '-', "10.1.2.3/32", 0, 0 },
	{ '?', "10.1.2.3", 24, 24 },			/* back to the /24 */
	{ '-', "10.1.2.0/24", 0, 0 },
	{ '?', "10.1.2.3", 16, 16 },
	{ '?', "10.1.2.130", 25, 25 },			/* /25 outlives its /24 */
	{ '-', "10.1.0.0/16", 0, 0 },
	{ '?', "10.1.2.3", 8, 8 },
	{ '?', "10.1.130.3", 17, 17 },
	{ '-', "10.0.0.0/8", 0, 0 },
	{ '?', "10.1.2.3", 1, 0 },
	{ '-', "0.0.0.0/0", 0, 0 },
	{ '?', "10.1.2.3", 0, -1 },
	{ '?', "10.1.2.129", 25, 25 },
	/* Prefixes of 16 bits and less share the front array. */
	{ '+', "172.16.0.0/12", 12, 0 },
	{ '+', "172.16.0.0/16", 116, 0 },
	{ '+', "172.0.0.0/8", 108, 0 },
	{ '?', "172.16.9.9", 116, 16 },
	{ '?', "172.17.9.9", 12, 12 },
	{ '?', "172.32.0.1", 108, 8 },
	{ '-', "172.16.0.0/12", 0, 0 },
	{ '?', "172.17.9.9", 108, 8 },
	{ '?', "172.16.9.9", 116, 16 },
	{ '-', "172.16.0.0/16", 0, 0 },
	{ '?', "172.16.9.9", 108, 8 },
	{ '+', "128.0.0.0/1", 2, 0 },
	{ '?', "200.0.0.1", 2, 1 },
	{ '?', "100.0.0.1", 0, -1 },
};

static const struct step v6_steps[] = {
	{ '+', "::/0", 1, 0 },
	{ '+', "2001:db8::/32", 32, 0 },
	{ '+', "2001:db8:1::/48", 48, 0 },
	{ '+', "2001:db8:1:2::/64", 64, 0 },
	{ '+', "2001:db8:1:2::1/128", 128, 0 },
	{ '+', "2001:db8:1:2:8000::/65", 65, 0 },
	{ '+', "2001:db8:1:2::/127", 127, 0 },
	{ '+', "2001:db8:8000::/33", 33, 0 },
	{ '+', "fe80::/10", 10, 0 },
	{ '?', "2001:db8:1:2::1", 128, 128 },
	{ '?', "2001:db8:1:2::", 127, 127 },
	{ '?', "2001:db8:1:2::2", 64, 64 },
	{ '?', "2001:db8:1:2:8000::5", 65, 65 },
	{ '?', "2001:db8:1:3::1", 48, 48 },
	{ '?', "2001:db8:2::1", 32, 32 },
	{ '?', "2001:db8:9000::1", 33, 33 },
	{ '?', "2001:db9::1", 1, 0 },
	{ '?', "fe80::1", 10, 10 },
	{ '?', "febf::1", 10, 10 },
	{ '?', "fec0::1", 1, 0 },
	{ '-', "2001:db8:1:2::1/128", 0, 0 },
	{ '?', "2001:db8:1:2::1", 127, 127 },
	{ '-', "2001:db8:1:2::/127", 0, 0 },
	{ '?', "2001:db8:1:2::1", 64, 64 },
	{ '-', "2001:db8:1:2::/64", 0, 0 },
	{ '?', "2001:db8:1:2::1", 48, 48 },
	{ '?', "2001:db8:1:2:8000::5", 65, 65 },	/* outlives its /64 */
	{ '-', "2001:db8:1::/48", 0, 0 },
	{ '?', "2001:db8:1:2::1", 32, 32 },
	{ '-', "::/0", 0, 0 },
	{ '?', "2001:db9::1", 0, -1 },
	{ '?', "2001:db8:1:2::1", 32, 32 },
};

static void test_v4_table(void **state)
{
	(void)state;
	run_steps(32, v4_steps, sizeof(v4_steps) / sizeof(v4_steps[0]));
}

static void test_v6_table(void **state)
{
	(void)state;
	run_steps(128, v6_steps, sizeof(v6_steps) / sizeof(v6_steps[0]));
}

static void test_api(void **state)
{
	struct lpm *t = lpm_new(32, 7);
	uint8_t a[16];
	uint32_t v = 0;
	unsigned l;

	(void)state;
	assert_null(lpm_new(64, 0));
	assert_int_equal(errno, EINVAL);
	assert_non_null(t);
	parse("192.0.2.77", a);
	/* Host bits are ignored: 192.0.2.77/24 is 192.0.2.0/24. */
	assert_int_equal(lpm_insert(t, a, 24, 5), 0);
	assert_int_equal(lpm_insert(t, a, 24, 6), 1);
	assert_int_equal(lpm_count(t), 1);
	parse("192.0.2.0", a);
	assert_true(lpm_find(t, a, 24, &v));
	assert_int_equal(v, 6);
	assert_false(lpm_find(t, a, 25, NULL));
	assert_true(lpm_lookup(t, a, &v, &l));
	assert_int_equal(l, 24);
	assert_int_equal(lpm_insert(t, a, 33, 1), -EINVAL);
	assert_int_equal(lpm_delete(t, a, 23, NULL), -ENOENT);
	assert_int_equal(lpm_delete(t, a, 24, &v), 0);
	assert_int_equal(v, 6);
	assert_int_equal(lpm_count(t), 0);
	assert_false(lpm_lookup(t, a, NULL, NULL));
	/* Clear keeps the table usable. */
	assert_int_equal(lpm_insert(t, a, 0, 9), 0);
	assert_true(lpm_memory(t) > 0);
	lpm_clear(t);
	assert_false(lpm_lookup(t, a, NULL, NULL));
	assert_int_equal(lpm_insert(t, a, 32, 3), 0);
	assert_true(lpm_lookup(t, a, &v, NULL));
	assert_int_equal(v, 3);
	lpm_free(t);
	lpm_free(NULL);
}

/* ---- randomised comparison against a linear scan ----------------------- */

struct ref {
	uint8_t p[16];
	unsigned len;
	uint32_t value;
	bool live;
};

static uint64_t rng_state;

static uint32_t rnd(void)
{
	/* xorshift64*: deterministic for a given seed. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ULL) >> 32);
}

static bool bits_equal(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;
	uint8_t m;

	if (memcmp(a, b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	m = (uint8_t)(0xff << (8 - rest));
	return (a[full] & m) == (b[full] & m);
}

static void mask_bytes(uint8_t *p, unsigned len, unsigned width)
{
	unsigned i;

	for (i = len; i < width; i++)
		p[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
}

static const struct ref *ref_lookup(const struct ref *r, size_t n,
				    const uint8_t *a)
{
	const struct ref *best = NULL;
	size_t i;

	for (i = 0; i < n; i++)
		if (r[i].live && bits_equal(r[i].p, a, r[i].len) &&
		    (best == NULL || r[i].len > best->len))
			best = &r[i];
	return best;
}

/* An address near the prefixes: a live prefix with random host bits, or a
 * random one, so both hits at every depth and misses are exercised. */
static void probe_addr(const struct ref *r, size_t n, unsigned width,
		       uint8_t *a)
{
	unsigned i, bytes = width / 8;

	for (i = 0; i < bytes; i++)
		a[i] = (uint8_t)rnd();
	if (n > 0 && rnd() % 4 != 0) {
		const struct ref *p = &r[rnd() % n];

		for (i = 0; i < p->len; i++) {
			uint8_t m = (uint8_t)(0x80 >> (i % 8));

			a[i / 8] = (uint8_t)((a[i / 8] & ~m) | (p->p[i / 8] & m));
		}
	}
}

static void compare(const struct lpm *t, const struct ref *r, size_t n,
		    unsigned width, unsigned probes)
{
	uint8_t a[16] = { 0 };
	unsigned i, got_len;
	uint32_t got;

	for (i = 0; i < probes; i++) {
		const struct ref *want;
		bool found;

		probe_addr(r, n, width, a);
		want = ref_lookup(r, n, a);
		found = lpm_lookup(t, a, &got, &got_len);
		if (want == NULL && found)
			fail_msg("probe %u: want miss, got %u/%u", i, got,
				 got_len);
		if (want != NULL &&
		    (!found || got != want->value || got_len != want->len))
			fail_msg("probe %u: want %u/%u, got %s %u/%u", i,
				 want->value, want->len,
				 found ? "hit" : "miss", got, got_len);
	}
}

static void random_run(unsigned width, uint64_t seed, size_t n)
{
	struct lpm *t = lpm_new(width, seed);
	struct ref *r = calloc(n, sizeof(*r));
	uint8_t bases[8][16];
	size_t i, j, live = 0;

	assert_non_null(t);
	assert_non_null(r);
	rng_state = seed * 0x9e3779b97f4a7c15ULL + 1;
	for (i = 0; i < 8; i++)
		for (j = 0; j < 16; j++)
			bases[i][j] = (uint8_t)rnd();
	/* Prefixes clustered around a few bases overlap at many lengths;
	 * duplicates are skipped so the reference stays a set. */
	for (i = 0; i < n; i++) {
		struct ref *p = &r[i];
		unsigned keep = rnd() % (width + 1), k;
		uint32_t old;

		memcpy(p->p, bases[rnd() % 8], 16);
		for (k = keep; k < width; k++)
			if (rnd() & 1)
				p->p[k / 8] ^= (uint8_t)(0x80 >> (k % 8));
		p->len = rnd() % 8 == 0 ? rnd() % (width + 1) :
			 width / 4 + rnd() % (width - width / 4 + 1);
		mask_bytes(p->p, p->len, width);
		p->value = (uint32_t)i;
		if (lpm_find(t, p->p, p->len, &old)) {
			p->live = false;
			continue;
		}
		assert_int_equal(lpm_insert(t, p->p, p->len, p->value), 0);
		p->live = true;
		live++;
	}
	assert_int_equal(lpm_count(t), live);
	compare(t, r, n, width, 4 * (unsigned)n);

	/* Delete about half, then compare again. */
	for (i = 0; i < n; i++) {
		if (!r[i].live || rnd() % 2 == 0)
			continue;
		assert_int_equal(lpm_delete(t, r[i].p, r[i].len, NULL), 0);
		r[i].live = false;
		live--;
	}
	assert_int_equal(lpm_count(t), live);
	compare(t, r, n, width, 4 * (unsigned)n);

	/* Put some back with new values and change others in place. */
	for (i = 0; i < n; i++) {
		if (rnd() % 3 != 0)
			continue;
		if (lpm_find(t, r[i].p, r[i].len, NULL) && !r[i].live)
			continue;	/* a duplicate of a live one */
		r[i].value = (uint32_t)(n + i);
		assert_true(lpm_insert(t, r[i].p, r[i].len, r[i].value) >= 0);
		if (!r[i].live)
			live++;
		r[i].live = true;
	}
	assert_int_equal(lpm_count(t), live);
	compare(t, r, n, width, 4 * (unsigned)n);

	/* Everything out: the table must be empty again. */
	for (i = 0; i < n; i++)
		if (r[i].live)
			assert_int_equal(lpm_delete(t, r[i].p, r[i].len, NULL),
					 0);
	assert_int_equal(lpm_count(t), 0);
	for (i = 0; i < n; i++)
		r[i].live = false;
	compare(t, r, n, width, 1000);
	lpm_free(t);
	free(r);
}

static void test_random_v4(void **state)
{
	(void)state;
	random_run(32, 1, 4000);
	random_run(32, 2, 3000);
}

static void test_random_v6(void **state)
{
	(void)state;
	random_run(128, 3, 4000);
	random_run(128, 4, 3000);
}

/* ---- optional benchmark --------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Lengths roughly as in a 2024 BGP table: most IPv4 routes are /24,
 * most IPv6 ones /48 and /32..44. */
static unsigned bench_len(unsigned width)
{
	static const unsigned v4[] = { 24, 24, 24, 24, 24, 24, 23, 22, 22,
				       21, 20, 19, 18, 17, 16, 16, 15, 12,
				       10, 8 };
	static const unsigned v6[] = { 48, 48, 48, 48, 48, 44, 40, 36, 32,
				       32, 29, 64, 46, 47, 42, 128 };

	if (width == 32)
		return v4[rnd() % (sizeof(v4) / sizeof(v4[0]))];
	return v6[rnd() % (sizeof(v6) / sizeof(v6[0]))];
}

static void bench_one(unsigned width, size_t n)
{
	struct lpm *t = lpm_new(width, 99);
	uint8_t p[16] = { 0 }, *addrs;
	size_t i, probes = 2000000, hits = 0;
	double t0, t1;

	assert_non_null(t);
	rng_state = 12345;
	t0 = now_s();
	for (i = 0; i < n; i++) {
		unsigned len = bench_len(width), k;

		for (k = 0; k < 16; k++)
			p[k] = (uint8_t)rnd();
		if (width == 128) {
			p[0] = 0x20 | (p[0] & 0x0f);	/* 2000::/4 */
		}
		mask_bytes(p, len, width);
		assert_true(lpm_insert(t, p, len, (uint32_t)i) >= 0);
	}
	t1 = now_s();
	addrs = malloc(probes * 16);
	assert_non_null(addrs);
	for (i = 0; i < probes * 16; i++)
		addrs[i] = (uint8_t)rnd();
	if (width == 128)
		for (i = 0; i < probes; i++)
			addrs[i * 16] = 0x20 | (addrs[i * 16] & 0x0f);
	{
		double l0 = now_s(), l1;

		for (i = 0; i < probes; i++)
			hits += lpm_lookup(t, addrs + i * 16, NULL, NULL);
		l1 = now_s();
		printf("# lpm IPv%d: %zu prefixes, %.1f MiB, insert %.0f ns, "
		       "lookup %.0f ns (random addresses, %zu%% hits)\n",
		       width == 32 ? 4 : 6, lpm_count(t),
		       (double)lpm_memory(t) / 1048576.0,
		       (t1 - t0) * 1e9 / (double)n,
		       (l1 - l0) * 1e9 / (double)probes, hits * 100 / probes);
	}
	free(addrs);
	lpm_free(t);
}

static void test_bench(void **state)
{
	const char *b = getenv("TFLOW_LPM_BENCH");

	(void)state;
	if (b == NULL || *b == '\0' || *b == '0') {
		skip();
		return;
	}
	bench_one(32, 1000000);
	bench_one(128, 200000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4_table),
		cmocka_unit_test(test_v6_table),
		cmocka_unit_test(test_api),
		cmocka_unit_test(test_random_v4),
		cmocka_unit_test(test_random_v6),
		cmocka_unit_test(test_bench),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
