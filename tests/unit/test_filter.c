/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * filter: every primitive and operator of tflow-query's filter language
 * against selections computed by hand over a small block, error columns,
 * block skipping from summaries, and a large random block against a
 * record-at-a-time reference.
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

#include "blk_fixture.h"
#include "filter.h"

static int addr(const char *s, uint8_t out[16])
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET, s, out) == 1)
		return 4;
	assert_int_equal(inet_pton(AF_INET6, s, out), 1);
	return 6;
}

static const struct rec {
	const char *src, *dst;
	uint16_t sport, dport;
	uint8_t proto, tos;
	uint32_t in_if, out_if;
	uint64_t packets, bytes;
	uint16_t exporter;
	uint64_t first_ms;
} recs[] = {
	/* 0 */ { "10.0.0.1", "192.168.31.5", 12345, 443, 6, 0, 1, 2, 10, 1500, 0, 1000 },
	/* 1 */ { "192.168.31.7", "8.8.8.8", 5353, 53, 17, 0, 2, 1, 1, 80, 0, 2000 },
	/* 2 */ { "10.0.0.2", "10.0.0.1", 0, 0x0800, 1, 0, 1, 1, 3, 252, 1, 3000 },
	/* 3 */ { "2001:db8::1", "2001:db8:1::2", 443, 50000, 6, 32, 3, 2, 1000, 1000000, 1, 4000 },
	/* 4 */ { "2001:db8:1::2", "2001:db8::1", 53, 40000, 17, 0, 2, 3, 2, 200, 0, 5000 },
	/* 5 */ { "172.16.5.5", "10.0.0.1", 22, 2222, 6, 16, 1, 2, 2000000, 2000000000, 2, 6000 },
	/* 6: IPv6 whose first 4 bytes read as 10.0.0.1 */
	/* 6 */ { "a00:1::", "::1", 80, 8080, 6, 0, 4, 4, 5, 5000, 0, 7000 },
	/* 7 */ { "192.168.31.255", "192.168.32.1", 80, 53, 6, 0, 0, 0, 0, 0, 0, 8000 },
};
#define NRECS (sizeof(recs) / sizeof(recs[0]))

static const struct store_exporter exporters[] = {
	{ .addr = { 192, 0, 2, 1 }, .family = 4 },
	{ .addr = { 192, 0, 2, 2 }, .family = 4 },
	{ .addr = { 0x20, 0x01, 0x0d, 0xb8, 0, 0xff, 0, 0, 0, 0, 0, 0, 0, 0,
		    0, 1 }, .family = 6 },
};

static struct blk *small_block(void)
{
	struct blk *b = malloc(sizeof(*b));
	size_t i;

	assert_non_null(b);
	blk_init(b, NRECS);
	for (i = 0; i < NRECS; i++) {
		const struct rec *r = &recs[i];

		b->ipver[i] = (uint8_t)addr(r->src, b->src[i]);
		assert_int_equal(addr(r->dst, b->dst[i]), b->ipver[i]);
		b->sport[i] = r->sport;
		b->dport[i] = r->dport;
		b->proto[i] = r->proto;
		b->tos[i] = r->tos;
		b->in_if[i] = r->in_if;
		b->out_if[i] = r->out_if;
		b->packets[i] = r->packets;
		b->bytes[i] = r->bytes;
		b->exporter[i] = r->exporter;
		b->first_ms[i] = r->first_ms;
		b->last_ms[i] = r->first_ms + 500;
	}
	return b;
}

/* The selection as "10100100": record i selected or not. */
static void run(struct filter *f, const struct blk *b, char *out)
{
	uint32_t sel[NMAX];
	size_t n, i;

	assert_int_equal(filter_eval(f, &b->c, sel, &n), 0);
	memset(out, '0', b->c.n);
	out[b->c.n] = '\0';
	for (i = 0; i < n; i++) {
		assert_true(sel[i] < b->c.n);
		if (i > 0)
			assert_true(sel[i] > sel[i - 1]);
		out[sel[i]] = '1';
	}
}

static const struct {
	const char *expr, *want;
} cases[] = {
	{ "host 10.0.0.1", "10100100" },
	{ "ip 10.0.0.1", "10100100" },
	{ "src host 10.0.0.1", "10000000" },
	{ "dst host 10.0.0.1", "00100100" },
	{ "src ip 10.0.0.1", "10000000" },
	{ "src 10.0.0.2", "00100000" },
	{ "dst 192.168.0.0/16", "10000001" },
	{ "net 192.168.31.0/24", "11000001" },
	{ "src net 192.168.31.0/24", "01000001" },
	{ "dst net 192.168.31.0/24", "10000000" },
	{ "net 10.0.0.0/8", "10100100" },
	{ "net 0.0.0.0/0", "11100101" },
	{ "net 2001:db8::/32", "00011000" },
	{ "src net 2001:db8:1::/48", "00001000" },
	{ "host 2001:db8::1", "00011000" },
	{ "dst host ::1", "00000010" },
	{ "port 53", "01001001" },
	{ "src port 53", "00001000" },
	{ "dst port 53", "01000001" },
	{ "port > 1024", "11111110" },
	{ "dst port <= 53", "01000001" },
	{ "src port < 1", "00100000" },
	{ "dst port >= 40000", "00011000" },
	{ "port != 53", "10110110" },
	{ "port == 443", "10010000" },
	{ "proto tcp", "10010111" },
	{ "proto TCP", "10010111" },
	{ "proto udp", "01001000" },
	{ "proto icmp", "00100000" },
	{ "proto 17", "01001000" },
	{ "proto > 6", "01001000" },
	{ "tcp", "10010111" },
	{ "udp", "01001000" },
	{ "in if 1", "10100100" },
	{ "out if 2", "10010100" },
	{ "if 3", "00011000" },
	{ "in if > 2", "00010010" },
	{ "exporter 192.0.2.1", "11001011" },
	{ "exporter 192.0.2.0/24", "11111011" },
	{ "exporter 2001:db8:ff::1", "00000100" },
	{ "exporter 198.51.100.1", "00000000" },
	{ "bytes > 1k", "10010110" },
	{ "bytes >= 1M", "00010100" },
	{ "bytes > 1G", "00000100" },
	{ "bytes 200", "00001000" },
	{ "bytes < 100", "01000001" },
	{ "packets >= 1000", "00010100" },
	{ "packets = 0", "00000001" },
	{ "packets != 1", "10111111" },
	{ "packets > 1M", "00000100" },
	{ "tos 16", "00000100" },
	{ "tos > 0", "00010100" },
	{ "inet6", "00011010" },
	{ "ipv6", "00011010" },
	{ "inet", "11100101" },
	{ "ipv4", "11100101" },
	{ "any", "11111111" },
	{ "", "11111111" },
	{ "not proto tcp", "01101000" },
	{ "! proto tcp", "01101000" },
	{ "!proto tcp", "01101000" },
	{ "not not proto tcp", "10010111" },
	/* and binds tighter than or; not tighter than and. */
	{ "proto tcp or proto udp and port 53", "11011111" },
	{ "(proto tcp or proto udp) and port 53", "01001001" },
	{ "not proto tcp and port 53", "01001000" },
	{ "not (proto tcp and port 53)", "11111110" },
	{ "proto tcp && dst port 443 || src host 192.168.31.7", "11000000" },
	{ "proto tcp&&dst port 443||src host 192.168.31.7", "11000000" },
	{ "proto tcp and (dst port 443 or (src port 80 and not inet6))",
	  "10000001" },
	{ "PROTO TCP AND NOT PORT 53", "10010110" },
	{ "src net 192.168.31.0/24 and proto tcp and dst port 53", "00000001" },
	{ "not port 53", "10110110" },
};

static void test_primitives(void **state)
{
	struct blk *b = small_block();
	char err[256], got[NMAX + 1];
	struct filter *f;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (filter_compile(cases[i].expr, &f, err, sizeof(err)) != 0)
			fail_msg("'%s': %s", cases[i].expr, err);
		assert_int_equal(filter_bind(f, exporters, 3), 0);
		run(f, b, got);
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("'%s': got %s, want %s", cases[i].expr, got,
				 cases[i].want);
		filter_free(f);
	}
	free(b);
}

static void test_time(void **state)
{
	struct blk *b = small_block();
	char err[256], got[NMAX + 1];
	struct filter *f;

	(void)state;
	assert_int_equal(filter_compile("any", &f, err, sizeof(err)), 0);
	filter_set_time(f, 2000, 5000);
	assert_true(filter_columns(f) & (1u << STORE_COL_TIMES));
	run(f, b, got);
	assert_string_equal(got, "01110000");
	filter_set_time(f, 0, 1001);
	run(f, b, got);
	assert_string_equal(got, "10000000");
	filter_set_time(f, 8000, UINT64_MAX);
	run(f, b, got);
	assert_string_equal(got, "00000001");
	filter_set_time(f, 5000, 5000);
	run(f, b, got);
	assert_string_equal(got, "00000000");
	filter_free(f);
	assert_int_equal(filter_compile("proto tcp", &f, err, sizeof(err)), 0);
	filter_set_time(f, 1000, 6001);
	run(f, b, got);
	assert_string_equal(got, "10010100");
	filter_free(f);
	free(b);
}

static const struct {
	const char *expr;
	int column;
	const char *words;	/* part of the message */
} bad[] = {
	{ "port", 5, "end of filter" },
	{ "host 10.0.0.300", 6, "not an address" },
	{ "proto tcp and", 14, "end of filter" },
	{ "proto xyz", 7, "unknown protocol" },
	{ "foo", 1, "unknown primitive" },
	{ "(proto tcp", 11, "')'" },
	{ "proto tcp)", 10, "without a matching" },
	{ "port 70000", 6, "out of range" },
	{ "src foo", 5, "not an address" },
	{ "in 3", 4, "'if'" },
	{ "bytes > 1X", 9, "not a count" },
	{ "proto tcp proto udp", 11, "'and', 'or'" },
	{ "proto tcp & port 1", 11, "'&&'" },
	{ "host 10.0.0.0/8", 6, "net" },
	{ "not", 4, "end of filter" },
	{ "proto 256", 7, "out of range" },
	{ "port abc", 6, "not a number" },
	{ "src (", 5, "after 'src'" },
	{ "and", 1, "unknown primitive" },
	{ "net 10.0.0.0/33", 5, "not an address or prefix" },
	{ "()", 2, "unexpected ')'" },
};

static void test_errors(void **state)
{
	char err[256], want[32];
	struct filter *f;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		f = (struct filter *)1;
		if (filter_compile(bad[i].expr, &f, err, sizeof(err)) != -EINVAL)
			fail_msg("'%s' compiled", bad[i].expr);
		assert_null(f);
		snprintf(want, sizeof(want), "column %d:", bad[i].column);
		if (strstr(err, want) == NULL || strstr(err, bad[i].words) == NULL)
			fail_msg("'%s': message '%s', want '%s' and '%s'",
				 bad[i].expr, err, want, bad[i].words);
	}
}

static void test_counts(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(filter_parse_count("10k", &v), 0);
	assert_int_equal(v, 10000);
	assert_int_equal(filter_parse_count("3M", &v), 0);
	assert_int_equal(v, 3000000);
	assert_int_equal(filter_parse_count("2g", &v), 0);
	assert_int_equal(v, 2000000000ULL);
	assert_int_equal(filter_parse_count("1T", &v), 0);
	assert_int_equal(v, 1000000000000ULL);
	assert_int_equal(filter_parse_count("18446744073709551615", &v), 0);
	assert_int_equal(filter_parse_count("18446744073709551615k", &v),
			 -EINVAL);
	assert_int_equal(filter_parse_count("-1", &v), -EINVAL);
	assert_int_equal(filter_parse_count("1kb", &v), -EINVAL);
}

static void test_columns(void **state)
{
	char err[256];
	struct filter *f;

	(void)state;
	assert_int_equal(filter_compile("proto tcp", &f, err, sizeof(err)), 0);
	assert_int_equal(filter_columns(f), 1u << STORE_COL_PROTO);
	filter_free(f);
	assert_int_equal(filter_compile("src host 10.0.0.1 or port 53", &f,
					err, sizeof(err)), 0);
	assert_int_equal(filter_columns(f), 1u << STORE_COL_SRC_ADDR |
			 1u << STORE_COL_PROTO | 1u << STORE_COL_PORTS);
	filter_free(f);
	assert_int_equal(filter_compile("bytes > 1 and exporter 10.0.0.1 and "
					"in if 3 and tos 1", &f, err,
					sizeof(err)), 0);
	assert_int_equal(filter_columns(f), 1u << STORE_COL_COUNTERS |
			 1u << STORE_COL_EXPORTER | 1u << STORE_COL_IFACES |
			 1u << STORE_COL_TOS_FLAGS);
	filter_free(f);
}

static void set_bit(uint8_t *bm, unsigned b)
{
	bm[b / 8] |= (uint8_t)(1u << (b % 8));
}

static void test_summary(void **state)
{
	struct store_block_summary s;
	static const struct {
		const char *expr;
		bool may;
	} sc[] = {
		{ "proto tcp", true },
		{ "proto udp", false },
		{ "not proto tcp", false },	/* every record is TCP */
		{ "not proto udp", true },
		{ "proto udp or port 80", true },
		{ "proto udp and port 80", false },
		{ "net 192.168.0.0/16", false },
		{ "not net 192.168.0.0/16", true },
		{ "host 10.1.2.3", true },
		{ "src net 10.128.0.0/9", true },
		{ "net 11.0.0.0/8", false },
		{ "net 9.255.255.255", false },
		{ "net 0.0.0.0/0", true },
		{ "net 2001:db8::/32", false },	/* no IPv6 in the block */
		{ "inet6", false },
		{ "inet", true },
		{ "not inet", false },
		{ "any", true },
		{ "bytes > 1G", true },
		{ "exporter 192.0.2.1", true },
	};
	char err[256];
	struct filter *f;
	size_t i;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.records = 100;
	s.first_ms = 10000;
	s.last_ms = 20000;
	s.has_v4 = true;
	s.min_addr4[0] = 10;
	s.max_addr4[0] = 10;
	memset(s.max_addr4 + 1, 0xff, 3);
	set_bit(s.protos, 6);
	for (i = 0; i < sizeof(sc) / sizeof(sc[0]); i++) {
		assert_int_equal(filter_compile(sc[i].expr, &f, err,
						sizeof(err)), 0);
		if (filter_block_may_match(f, &s) != sc[i].may)
			fail_msg("'%s': want %d", sc[i].expr, sc[i].may);
		filter_free(f);
	}
	assert_int_equal(filter_compile("any", &f, err, sizeof(err)), 0);
	filter_set_time(f, 20001, UINT64_MAX);
	assert_false(filter_block_may_match(f, &s));
	filter_set_time(f, 20000, UINT64_MAX);
	assert_true(filter_block_may_match(f, &s));
	filter_set_time(f, 0, 10000);
	assert_false(filter_block_may_match(f, &s));
	filter_set_time(f, 0, 10001);
	assert_true(filter_block_may_match(f, &s));
	s.records = 0;
	assert_false(filter_block_may_match(f, &s));
	filter_free(f);
}

/* Reference for the random test, one record at a time. */
static bool ref_match(const struct blk *b, size_t i)
{
	bool srcnet = b->ipver[i] == 4 && b->src[i][0] == 10;
	bool inner = b->dport[i] == 443 || b->proto[i] == 17;

	return srcnet && inner && !(b->bytes[i] < 1000) &&
	       b->first_ms[i] >= 5000 && b->first_ms[i] < 900000;
}

static void test_random_block(void **state)
{
	struct blk *b = malloc(sizeof(*b));
	static uint32_t sel[NMAX];
	uint32_t x = 12345;
	char err[256];
	struct filter *f;
	size_t i, n, k = 0;

	(void)state;
	assert_non_null(b);
	blk_init(b, NMAX);
	for (i = 0; i < NMAX; i++) {
		/* xorshift: deterministic */
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		b->ipver[i] = (x & 7) == 0 ? 6 : 4;
		b->src[i][0] = (uint8_t)(x >> 8 & 1 ? 10 : 11);
		b->src[i][1] = (uint8_t)(x >> 9);
		b->dport[i] = (x >> 10 & 3) == 0 ? 443 : (uint16_t)(x >> 12);
		b->proto[i] = (x >> 14 & 3) == 0 ? 17 : 6;
		b->bytes[i] = x >> 16 & 2047;
		b->first_ms[i] = (x >> 3) % 1000000;
	}
	assert_int_equal(filter_compile("src net 10.0.0.0/8 and (dst port 443 "
					"or proto udp) and not bytes < 1k",
					&f, err, sizeof(err)), 0);
	filter_set_time(f, 5000, 900000);
	assert_int_equal(filter_eval(f, &b->c, sel, &n), 0);
	for (i = 0; i < NMAX; i++) {
		bool want = ref_match(b, i);

		if (want) {
			assert_true(k < n);
			assert_int_equal(sel[k], i);
			k++;
		}
	}
	assert_int_equal(k, n);
	assert_true(n > 100);	/* the test exercises something */
	filter_free(f);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_primitives),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_columns),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_random_block),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
