/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * agg, ktab, tenant and report: aggregation totals equal the raw sums
 * (also per key, against a reference over a random block), top-N order
 * and ties, subnet keys, the tenant map's longest prefix, and the tenant
 * report on generated data with an answer known in closed form.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agg.h"
#include "blk_fixture.h"
#include "ktab.h"
#include "report.h"
#include "tenant.h"

static struct blk *blk_new(size_t n)
{
	struct blk *b = malloc(sizeof(*b));

	assert_non_null(b);
	blk_init(b, n);
	return b;
}

static void set_addr(struct blk *b, size_t i, const char *src, const char *dst)
{
	memset(b->src[i], 0, 16);
	memset(b->dst[i], 0, 16);
	if (inet_pton(AF_INET, src, b->src[i]) == 1) {
		b->ipver[i] = 4;
		assert_int_equal(inet_pton(AF_INET, dst, b->dst[i]), 1);
	} else {
		b->ipver[i] = 6;
		assert_int_equal(inet_pton(AF_INET6, src, b->src[i]), 1);
		assert_int_equal(inet_pton(AF_INET6, dst, b->dst[i]), 1);
	}
}

/* Print into a string (freed by the caller). */
static char *print_rows(struct agg *a, enum agg_by by, bool rev, size_t top,
			enum record_fmt fmt, const char *fields)
{
	char *buf = NULL, err[256];
	size_t len = 0, n;
	uint32_t *rows;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(agg_rows(a, by, rev, top, &rows, &n), 0);
	if (agg_print(a, rows, n, fmt, fields, f, err, sizeof(err)) != 0)
		fail_msg("agg_print: %s", err);
	free(rows);
	fclose(f);
	return buf;
}

static void test_proto_sums(void **state)
{
	struct blk *b = blk_new(6);
	static const uint8_t proto[] = { 6, 17, 6, 1, 6, 17 };
	static const uint64_t pk[] = { 10, 1, 5, 2, 100, 3 };
	static const uint64_t by[] = { 1000, 80, 500, 168, 90000, 240 };
	uint64_t fl, p, bt;
	struct agg *a;
	char err[256], *s;
	size_t i;

	(void)state;
	for (i = 0; i < 6; i++) {
		set_addr(b, i, "10.0.0.1", "10.0.0.2");
		b->proto[i] = proto[i];
		b->packets[i] = pk[i];
		b->bytes[i] = by[i];
	}
	assert_int_equal(agg_new("proto", NULL, &a, err, sizeof(err)), 0);
	assert_int_equal(agg_columns(a), 1u << STORE_COL_PROTO |
			 1u << STORE_COL_COUNTERS);
	assert_int_equal(agg_add(a, &b->c, b->sel, 6), 0);
	assert_int_equal(agg_count(a), 3);
	agg_totals(a, &fl, &p, &bt);
	assert_int_equal(fl, 6);
	assert_int_equal(p, 121);
	assert_int_equal(bt, 91988);
	s = print_rows(a, AGG_BY_BYTES, false, 0, RECORD_FMT_CSV, NULL);
	assert_string_equal(s, "proto,flows,packets,bytes\n"
			    "6,3,115,91500\n17,2,4,320\n1,1,2,168\n");
	free(s);
	s = print_rows(a, AGG_BY_FLOWS, true, 0, RECORD_FMT_JSON,
		       "flows,proto");
	assert_string_equal(s, "{\"flows\":1,\"proto\":1}\n"
			    "{\"flows\":2,\"proto\":17}\n"
			    "{\"flows\":3,\"proto\":6}\n");
	free(s);
	s = print_rows(a, AGG_BY_KEY, false, 2, RECORD_FMT_TEXT, NULL);
	assert_string_equal(s, "proto  flows  packets  bytes\n"
			    "    1      1        2    168\n"
			    "    6      3      115  91500\n");
	free(s);
	agg_free(a);
	free(b);
}

/* Random block, srcip: per-key sums against a reference indexed by the
 * address pool; totals against the raw sums. */
static void test_random_srcip(void **state)
{
	struct blk *b = blk_new(NMAX);
	enum { POOL = 1500 };
	uint64_t ref_b[POOL] = { 0 }, ref_f[POOL] = { 0 }, raw_b = 0, raw_p = 0;
	uint64_t fl, p, bt, sum_b = 0, sum_f = 0;
	uint32_t x = 777, *rows;
	struct agg *a;
	char err[256];
	size_t i, n, seen = 0;

	(void)state;
	for (i = 0; i < NMAX; i++) {
		unsigned k;

		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		k = x % POOL;
		/* Pool members: IPv4 10.0.k/256.k%256, and IPv6 for k%7==0
		 * with the same leading bytes: the two must stay apart. */
		b->ipver[i] = k % 7 == 0 ? 6 : 4;
		b->src[i][0] = 10;
		b->src[i][2] = (uint8_t)(k / 256);
		b->src[i][3] = (uint8_t)k;
		b->packets[i] = x >> 20;
		b->bytes[i] = x >> 8;
		ref_b[k] += b->bytes[i];
		ref_f[k]++;
		raw_b += b->bytes[i];
		raw_p += b->packets[i];
	}
	assert_int_equal(agg_new("srcip", NULL, &a, err, sizeof(err)), 0);
	/* In two halves, as two blocks. */
	assert_int_equal(agg_add(a, &b->c, b->sel, NMAX / 2), 0);
	assert_int_equal(agg_add(a, &b->c, b->sel + NMAX / 2, NMAX / 2), 0);
	agg_totals(a, &fl, &p, &bt);
	assert_int_equal(fl, NMAX);
	assert_int_equal(p, raw_p);
	assert_int_equal(bt, raw_b);
	assert_int_equal(agg_rows(a, AGG_BY_BYTES, false, 0, &rows, &n), 0);
	for (i = 0; i < POOL; i++)
		seen += ref_f[i] != 0;
	assert_int_equal(n, seen);
	for (i = 0; i < n; i++) {
		const uint64_t *v = agg_row_vals(a, rows[i]);

		sum_b += v[2];
		sum_f += v[0];
		if (i > 0)
			assert_true(agg_row_vals(a, rows[i - 1])[2] >= v[2]);
	}
	assert_int_equal(sum_b, raw_b);
	assert_int_equal(sum_f, NMAX);
	free(rows);
	/* The top row equals the reference's largest. */
	{
		uint64_t best = 0;
		char *s, want[64];
		unsigned bk = 0;

		for (i = 0; i < POOL; i++)
			if (ref_b[i] > best) {
				best = ref_b[i];
				bk = (unsigned)i;
			}
		s = print_rows(a, AGG_BY_BYTES, false, 1, RECORD_FMT_CSV,
			       "bytes,flows");
		snprintf(want, sizeof(want), "bytes,flows\n%" PRIu64 ",%" PRIu64
			 "\n", best, ref_f[bk]);
		assert_string_equal(s, want);
		free(s);
	}
	agg_free(a);
	free(b);
}

static void test_top_ties(void **state)
{
	struct blk *b = blk_new(5);
	static const char *const src[] = {
		"192.0.2.4", "192.0.2.2", "192.0.2.3", "192.0.2.1", "192.0.2.2",
	};
	static const uint64_t by[] = { 100, 200, 100, 200, 100 };
	struct agg *a;
	char err[256], *s;
	size_t i;

	(void)state;
	for (i = 0; i < 5; i++) {
		set_addr(b, i, src[i], "198.51.100.1");
		b->bytes[i] = by[i];
		b->packets[i] = 1;
	}
	/* .2: 300 bytes 2 flows; .1: 200; .4 and .3: 100 each (a tie: by
	 * address, ascending). */
	assert_int_equal(agg_new("srcip", NULL, &a, err, sizeof(err)), 0);
	assert_int_equal(agg_add(a, &b->c, b->sel, 5), 0);
	s = print_rows(a, AGG_BY_BYTES, false, 3, RECORD_FMT_CSV, NULL);
	assert_string_equal(s, "srcip,flows,packets,bytes\n"
			    "192.0.2.2,2,2,300\n192.0.2.1,1,1,200\n"
			    "192.0.2.3,1,1,100\n");
	free(s);
	s = print_rows(a, AGG_BY_BYTES, false, 0, RECORD_FMT_CSV, "srcip");
	assert_string_equal(s, "srcip\n192.0.2.2\n192.0.2.1\n192.0.2.3\n"
			    "192.0.2.4\n");
	free(s);
	s = print_rows(a, AGG_BY_BYTES, true, 2, RECORD_FMT_CSV, "srcip");
	assert_string_equal(s, "srcip\n192.0.2.3\n192.0.2.4\n");
	free(s);
	s = print_rows(a, AGG_BY_FLOWS, false, 1, RECORD_FMT_CSV, "srcip");
	assert_string_equal(s, "srcip\n192.0.2.2\n");
	free(s);
	s = print_rows(a, AGG_BY_KEY, false, 0, RECORD_FMT_CSV, "srcip");
	assert_string_equal(s, "srcip\n192.0.2.1\n192.0.2.2\n192.0.2.3\n"
			    "192.0.2.4\n");
	free(s);
	s = print_rows(a, AGG_BY_KEY, true, 2, RECORD_FMT_CSV, "srcip");
	assert_string_equal(s, "srcip\n192.0.2.4\n192.0.2.3\n");
	free(s);
	agg_free(a);
	free(b);
}

static void test_multi_keys(void **state)
{
	struct blk *b = blk_new(5);
	struct agg *a;
	char err[256], *s;

	(void)state;
	set_addr(b, 0, "10.0.0.1", "10.9.0.1");
	set_addr(b, 1, "10.0.0.200", "10.9.0.1");
	set_addr(b, 2, "10.0.1.5", "10.9.0.1");
	set_addr(b, 3, "2001:db8:0:1::5", "2001:db8::1");
	set_addr(b, 4, "2001:db8:0:1:ffff::9", "2001:db8::1");
	for (size_t i = 0; i < 5; i++) {
		b->bytes[i] = 10 * (i + 1);
		b->proto[i] = 6;
		b->dport[i] = 443;
		b->in_if[i] = (uint32_t)(i % 2 + 1);
	}
	assert_int_equal(agg_new("srcnet,proto", NULL, &a, err, sizeof(err)),
			 0);
	assert_int_equal(agg_add(a, &b->c, b->sel, 5), 0);
	s = print_rows(a, AGG_BY_BYTES, false, 0, RECORD_FMT_CSV, NULL);
	assert_string_equal(s, "srcnet,proto,flows,packets,bytes\n"
			    "2001:db8:0:1::/64,6,2,0,90\n"
			    "10.0.0.0/24,6,2,0,30\n10.0.1.0/24,6,1,0,30\n");
	free(s);
	agg_free(a);
	assert_int_equal(agg_new("srcnet/16/32,dstport,inif", NULL, &a, err,
				 sizeof(err)), 0);
	assert_int_equal(agg_add(a, &b->c, b->sel, 5), 0);
	s = print_rows(a, AGG_BY_KEY, false, 0, RECORD_FMT_JSON, NULL);
	assert_string_equal(s,
	    "{\"srcnet\":\"10.0.0.0/16\",\"dstport\":443,\"inif\":1,\"flows\":2,\"packets\":0,\"bytes\":40}\n"
	    "{\"srcnet\":\"10.0.0.0/16\",\"dstport\":443,\"inif\":2,\"flows\":1,\"packets\":0,\"bytes\":20}\n"
	    "{\"srcnet\":\"2001:db8::/32\",\"dstport\":443,\"inif\":1,\"flows\":1,\"packets\":0,\"bytes\":50}\n"
	    "{\"srcnet\":\"2001:db8::/32\",\"dstport\":443,\"inif\":2,\"flows\":1,\"packets\":0,\"bytes\":40}\n");
	free(s);
	agg_free(a);
	/* Errors name the key. */
	assert_int_equal(agg_new("srcip,bogus", NULL, &a, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "'bogus'"));
	assert_int_equal(agg_new("srcnet/33", NULL, &a, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(agg_new("proto/8", NULL, &a, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(agg_new("tenant", NULL, &a, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "--tenants"));
	assert_int_equal(agg_new("", NULL, &a, err, sizeof(err)), -EINVAL);
	free(b);
}

static void test_exporter_key(void **state)
{
	static const struct store_exporter ex[2] = {
		{ .addr = { 192, 0, 2, 9 }, .family = 4 },
		{ .addr = { 0x20, 0x01, 0x0d, 0xb8, [15] = 7 }, .family = 6 },
	};
	struct blk *b = blk_new(3);
	struct agg *a;
	char err[256], *s;

	(void)state;
	set_addr(b, 0, "10.0.0.1", "10.9.0.1");
	set_addr(b, 1, "10.0.0.1", "10.9.0.1");
	set_addr(b, 2, "10.0.0.1", "10.9.0.1");
	b->exporter[0] = 0;
	b->exporter[1] = 1;
	b->exporter[2] = 1;
	b->bytes[1] = 5;
	assert_int_equal(agg_new("exporter", NULL, &a, err, sizeof(err)), 0);
	assert_int_equal(agg_bind(a, ex, 2), 0);
	assert_int_equal(agg_add(a, &b->c, b->sel, 3), 0);
	s = print_rows(a, AGG_BY_FLOWS, false, 0, RECORD_FMT_CSV, NULL);
	assert_string_equal(s, "exporter,flows,packets,bytes\n"
			    "2001:db8::7,2,0,5\n192.0.2.9,1,0,0\n");
	free(s);
	agg_free(a);
	free(b);
}

static void test_ktab_growth(void **state)
{
	struct ktab *t = ktab_new(8, 1);
	uint64_t k, *v;
	size_t i;

	(void)state;
	assert_non_null(t);
	for (k = 0; k < 300000; k++) {
		v = ktab_get(t, &k, ktab_hash(t, &k));
		assert_non_null(v);
		*v += k;
	}
	for (k = 0; k < 300000; k += 3) {
		v = ktab_get(t, &k, ktab_hash(t, &k));
		*v += 1;
	}
	assert_int_equal(ktab_count(t), 300000);
	for (i = 0; i < 300000; i++) {
		memcpy(&k, ktab_key(t, i), 8);
		assert_int_equal(k, i);
		assert_int_equal(ktab_vals(t, i)[0], k + (k % 3 == 0));
	}
	ktab_free(t);
	assert_null(ktab_new(12, 1));
}

static uint32_t lookup(const struct tenant_map *m, const char *s)
{
	uint8_t a[16] = { 0 };

	if (inet_pton(AF_INET, s, a) == 1)
		return tenant_map_lookup(m, a, 4);
	assert_int_equal(inet_pton(AF_INET6, s, a), 1);
	return tenant_map_lookup(m, a, 6);
}

static void test_tenant_lpm(void **state)
{
	char path[] = "/tmp/test_agg_map.XXXXXX", err[256];
	static const struct {
		const char *addr, *tenant;
	} lc[] = {
		{ "10.9.9.9", "big" },
		{ "10.1.9.9", "mid" },
		{ "10.1.2.9", "small" },
		{ "10.1.2.3", "host" },
		{ "10.1.2.4", "small" },
		{ "11.0.0.1", "-" },
		{ "32.1.13.184", "-" },		/* 0x20010db8: IPv4, not v6 */
		{ "2001:db8:1::5", "v6b" },
		{ "2001:db8:2::1", "v6a" },
		{ "2001:db9::1", "-" },
		{ "0.0.0.0", "-" },
		{ "192.0.2.77", "big" },	/* a second prefix of big */
	};
	struct tenant_map *m = tenant_map_new();
	FILE *f;
	int fd;
	size_t i;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fprintf(f, "# tenants\n10.0.0.0/8 big\n\n10.1.0.0/16 mid  # comment\n"
		"10.1.2.0/24\tsmall\n10.1.2.3 host\n2001:db8::/32 v6a\n"
		"2001:db8:1::/48 v6b\n192.0.2.0/24 big\n");
	fclose(f);
	assert_int_equal(tenant_map_load(m, path, err, sizeof(err)), 0);
	assert_int_equal(tenant_map_count(m), 6);
	for (i = 0; i < sizeof(lc) / sizeof(lc[0]); i++) {
		const char *got = tenant_map_name(m, lookup(m, lc[i].addr));

		if (strcmp(got, lc[i].tenant) != 0)
			fail_msg("%s: got %s, want %s", lc[i].addr, got,
				 lc[i].tenant);
	}
	tenant_map_free(m);
	/* A duplicate prefix is refused with its line. */
	f = fopen(path, "w");
	fprintf(f, "10.0.0.0/8 a\n10.0.0.0/8 b\n");
	fclose(f);
	m = tenant_map_new();
	assert_int_equal(tenant_map_load(m, path, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, ":2:"));
	tenant_map_free(m);
	f = fopen(path, "w");
	fprintf(f, "10.0.0.0/8\n");
	fclose(f);
	m = tenant_map_new();
	assert_int_equal(tenant_map_load(m, path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ":1:"));
	tenant_map_free(m);
	unlink(path);
}

static void test_tenant_key(void **state)
{
	struct tenant_map *m = tenant_map_new();
	struct blk *b = blk_new(4);
	struct agg *a;
	struct cidr c;
	char err[256], *s;

	(void)state;
	assert_int_equal(cidr_parse("192.168.1.0/24", &c), 0);
	assert_int_equal(tenant_map_add(m, &c, "alpha"), 0);
	assert_int_equal(cidr_parse("192.168.2.0/24", &c), 0);
	assert_int_equal(tenant_map_add(m, &c, "beta"), 0);
	set_addr(b, 0, "192.168.1.5", "8.8.8.8");	/* alpha (src) */
	set_addr(b, 1, "8.8.8.8", "192.168.2.5");	/* beta (dst) */
	set_addr(b, 2, "192.168.2.9", "192.168.1.9");	/* beta: src first */
	set_addr(b, 3, "8.8.8.8", "9.9.9.9");		/* none */
	b->bytes[0] = 1;
	b->bytes[1] = 10;
	b->bytes[2] = 100;
	b->bytes[3] = 1000;
	assert_int_equal(agg_new("tenant", m, &a, err, sizeof(err)), 0);
	assert_int_equal(agg_add(a, &b->c, b->sel, 4), 0);
	s = print_rows(a, AGG_BY_BYTES, false, 0, RECORD_FMT_CSV, NULL);
	assert_string_equal(s, "tenant,flows,packets,bytes\n-,1,0,1000\n"
			    "beta,2,0,110\nalpha,1,0,1\n");
	free(s);
	agg_free(a);
	assert_int_equal(agg_new("dsttenant", m, &a, err, sizeof(err)), 0);
	assert_int_equal(agg_add(a, &b->c, b->sel, 4), 0);
	s = print_rows(a, AGG_BY_BYTES, false, 0, RECORD_FMT_CSV, NULL);
	assert_string_equal(s, "dsttenant,flows,packets,bytes\n-,2,0,1001\n"
			    "alpha,1,0,100\nbeta,1,0,10\n");
	free(s);
	agg_free(a);
	tenant_map_free(m);
	free(b);
}

/*
 * Tenant report, known answer.  Subnet 192.168.31.0/24; for i in 0..999:
 *   out: 192.168.31.(i % 10) -> 8.8.8.8, i bytes, 1 packet
 *   in:  1.1.1.1 -> 192.168.31.(i % 5), 2i bytes, 2 packets
 *   noise: 10.0.0.1 -> 10.0.0.2 (neither side in the subnet)
 * so out(.k) = 49500 + 100k, in(.k) = 199000 + 400k for k < 5, totals
 * in 999000 and out 499500.
 */
static void test_report(void **state)
{
	struct tenant_map *m = tenant_map_new();
	struct blk *b = blk_new(3000);
	struct report *r;
	struct cidr c;
	char *buf = NULL, want[2048], *p;
	size_t len = 0, i, k;
	FILE *f;
	static const unsigned order[] = { 4, 3, 2, 1, 0, 9, 8, 7, 6, 5 };

	(void)state;
	assert_int_equal(cidr_parse("192.168.31.0/24", &c), 0);
	assert_int_equal(tenant_map_add(m, &c, "192.168.31.0/24"), 0);
	for (i = 0; i < 1000; i++) {
		char a[32];

		snprintf(a, sizeof(a), "192.168.31.%zu", i % 10);
		set_addr(b, 3 * i, a, "8.8.8.8");
		b->bytes[3 * i] = i;
		b->packets[3 * i] = 1;
		snprintf(a, sizeof(a), "192.168.31.%zu", i % 5);
		set_addr(b, 3 * i + 1, "1.1.1.1", a);
		b->bytes[3 * i + 1] = 2 * i;
		b->packets[3 * i + 1] = 2;
		set_addr(b, 3 * i + 2, "10.0.0.1", "10.0.0.2");
		b->bytes[3 * i + 2] = 7;
	}
	r = report_new(m);
	assert_non_null(r);
	assert_int_equal(report_add(r, &b->c, b->sel, 1500), 0);
	assert_int_equal(report_add(r, &b->c, b->sel + 1500, 1500), 0);
	f = open_memstream(&buf, &len);
	assert_int_equal(report_print(r, RECORD_FMT_CSV, 0, UINT64_MAX, f), 0);
	fclose(f);
	p = want;
	p += sprintf(p, "tenant,address,in_bytes,out_bytes,total_bytes,"
		     "in_packets,out_packets,in_flows,out_flows\n"
		     "192.168.31.0/24,total,999000,499500,1498500,2000,1000,"
		     "1000,1000\n");
	for (i = 0; i < 10; i++) {
		uint64_t out, in;

		k = order[i];
		out = 49500 + 100 * k;
		in = k < 5 ? 199000 + 400 * k : 0;
		p += sprintf(p, "192.168.31.0/24,192.168.31.%zu,%" PRIu64 ",%"
			     PRIu64 ",%" PRIu64 ",%d,100,%d,100\n", k, in, out,
			     in + out, k < 5 ? 400 : 0, k < 5 ? 200 : 0);
	}
	assert_string_equal(buf, want);
	free(buf);
	report_free(r);
	tenant_map_free(m);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proto_sums),
		cmocka_unit_test(test_random_srcip),
		cmocka_unit_test(test_top_ties),
		cmocka_unit_test(test_multi_keys),
		cmocka_unit_test(test_exporter_key),
		cmocka_unit_test(test_ktab_growth),
		cmocka_unit_test(test_tenant_lpm),
		cmocka_unit_test(test_tenant_key),
		cmocka_unit_test(test_report),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
