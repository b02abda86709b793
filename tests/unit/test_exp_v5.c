/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * NetFlow v5 encoder: header and record bytes written out by hand from the
 * v5 layout (24-byte header, 48-byte records), 30 records a datagram, flow
 * sequence across datagrams, engine and sampling fields, IPv6 refused and
 * counted, and counters above 32 bits split into records that sum exactly.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>

#include "exp_test.h"

static struct exp *v5_new(struct sink *s, uint32_t interval, uint32_t space)
{
	struct exp_params p = {
		.version = 5,
		.engine_type = 1,
		.engine_id = 7,
		.sampling_interval = interval,
		.sampling_space = space,
		.sys_init_ms = T_INIT_MS,
		.emit = sink_emit,
		.emit_ctx = s,
	};
	struct exp *e = exp_new(&p);

	assert_non_null(e);
	return e;
}

static void want_header(struct bb *b, uint16_t count, uint32_t seq,
			uint16_t sampling)
{
	b16(b, 5);
	b16(b, count);
	b32(b, 0x278b);			/* now - init = 10123 ms */
	b32(b, 0x6553f10a);		/* 1700000010 s */
	b32(b, 0x0754d4c0);		/* 123 ms = 123000000 ns */
	b32(b, seq);
	b8(b, 1);			/* engine type */
	b8(b, 7);			/* engine id */
	b16(b, sampling);
}

static void want_record(struct bb *b, uint32_t pkts, uint32_t octets)
{
	static const uint8_t addrs[12] = {
		10, 0, 0, 1, 192, 0, 2, 10, 10, 0, 0, 254,
	};

	bbytes(b, addrs, 12);
	b16(b, 2);			/* input */
	b16(b, 3);			/* output */
	b32(b, pkts);
	b32(b, octets);
	b32(b, 1000);			/* first: init + 1 s */
	b32(b, 5000);
	b16(b, 1234);
	b16(b, 80);
	b8(b, 0);			/* pad1 */
	b8(b, 0x1b);			/* tcp flags */
	b8(b, 6);			/* proto */
	b8(b, 0x10);			/* tos */
	b16(b, 0);			/* src as */
	b16(b, 0);			/* dst as */
	b8(b, 24);
	b8(b, 32);
	b16(b, 0);			/* pad2 */
}

static void test_one_record(void **state)
{
	struct sink *s = sink_new();
	struct exp *e = v5_new(s, 0, 0);
	struct tflow_record r;
	struct bb b = { 0 };

	(void)state;
	rec_v4(&r);
	assert_int_equal(exp_add_record(e, &r, T_NOW_MS), 0);
	assert_int_equal(s->n, 0);		/* not full yet */
	exp_flush(e, T_NOW_MS);
	assert_int_equal(s->n, 1);
	want_header(&b, 1, 0, 0);
	want_record(&b, 10, 1500);
	assert_int_equal(b.n, 72);
	assert_bytes(s->d[0], s->len[0], b.b, b.n);
	exp_flush(e, T_NOW_MS);			/* empty: nothing */
	assert_int_equal(s->n, 1);
	exp_free(e);
	free(s);
}

static void test_thirty_and_sequence(void **state)
{
	struct sink *s = sink_new();
	struct exp *e = v5_new(s, 0, 0);
	struct exp_counters c;
	struct tflow_record r;
	struct bb b = { 0 };
	int i;

	(void)state;
	rec_v4(&r);
	for (i = 0; i < 29; i++)
		exp_add_record(e, &r, T_NOW_MS);
	assert_int_equal(s->n, 0);
	exp_add_record(e, &r, T_NOW_MS);	/* 30th: sent at once */
	assert_int_equal(s->n, 1);
	assert_int_equal(s->len[0], 24 + 30 * 48);
	for (i = 0; i < 31; i++)
		exp_add_record(e, &r, T_NOW_MS);
	exp_flush(e, T_NOW_MS);
	assert_int_equal(s->n, 3);
	assert_int_equal(get16(s->d[0] + 2), 30);
	assert_int_equal(get32(s->d[0] + 16), 0);
	assert_int_equal(get16(s->d[1] + 2), 30);
	assert_int_equal(get32(s->d[1] + 16), 30);
	assert_int_equal(get16(s->d[2] + 2), 1);
	assert_int_equal(get32(s->d[2] + 16), 60);
	assert_int_equal(s->len[2], 72);
	want_header(&b, 1, 60, 0);
	want_record(&b, 10, 1500);
	assert_bytes(s->d[2], s->len[2], b.b, b.n);
	exp_get_counters(e, &c);
	assert_int_equal(c.datagrams, 3);
	assert_int_equal(c.records, 61);
	assert_int_equal(c.octets, 2 * 1464 + 72);
	exp_free(e);
	free(s);
}

static void test_ipv6_not_exportable(void **state)
{
	struct sink *s = sink_new();
	struct exp *e = v5_new(s, 0, 0);
	struct exp_counters c;
	struct tflow_record r;

	(void)state;
	rec_v6(&r);
	assert_int_equal(exp_add_record(e, &r, T_NOW_MS), -EAFNOSUPPORT);
	r.ip_version = 0;
	assert_int_equal(exp_add_record(e, &r, T_NOW_MS), -EINVAL);
	exp_flush(e, T_NOW_MS);
	assert_int_equal(s->n, 0);
	exp_get_counters(e, &c);
	assert_int_equal(c.not_exportable, 1);
	assert_int_equal(c.records, 0);
	exp_free(e);
	free(s);
}

static const struct {
	uint32_t interval, space;
	uint16_t field;
} sampling_cases[] = {
	{ 0, 0, 0 },			/* off */
	{ 5, 0, 0 },			/* space 0: every packet, off */
	{ 1, 99, 0x4000 | 100 },	/* 1 in 100 */
	{ 2, 1, 0x4000 | 2 },		/* 2 of 3: 1.5 rounds to 2 */
	{ 3, 2, 0x4000 | 2 },		/* 5/3 = 1.67 -> 2 */
	{ 10, 1, 0x4000 | 1 },		/* 1.1 -> 1 */
	{ 1, 20000, 0x4000 | 0x3fff },	/* beyond 14 bits: max */
};

static void test_sampling_field(void **state)
{
	struct tflow_record r;
	size_t i;

	(void)state;
	rec_v4(&r);
	for (i = 0; i < sizeof(sampling_cases) / sizeof(*sampling_cases);
	     i++) {
		struct sink *s = sink_new();
		struct exp *e = v5_new(s, sampling_cases[i].interval,
				       sampling_cases[i].space);

		exp_add_record(e, &r, T_NOW_MS);
		exp_flush(e, T_NOW_MS);
		assert_int_equal(s->n, 1);
		assert_int_equal(get16(s->d[0] + 22),
				 sampling_cases[i].field);
		exp_free(e);
		free(s);
	}
}

/* Octets above 2^32 - 1: parts of equal size (remainder to the first),
 * each within 32 bits, summing to the record. */
static void test_split_32bit(void **state)
{
	struct sink *s = sink_new();
	struct exp *e = v5_new(s, 0, 0);
	struct exp_counters c;
	struct tflow_record r;
	struct bb b = { 0 };
	uint64_t sum_o = 0, sum_p = 0;
	size_t i;

	(void)state;
	rec_v4(&r);
	r.packets = 5;
	r.octets = UINT64_C(4294967306);	/* 2^32 + 10: two parts */
	assert_int_equal(exp_add_record(e, &r, T_NOW_MS), 0);
	exp_flush(e, T_NOW_MS);
	assert_int_equal(s->n, 1);
	want_header(&b, 2, 0, 0);
	want_record(&b, 3, 2147483653u);
	want_record(&b, 2, 2147483653u);
	assert_bytes(s->d[0], s->len[0], b.b, b.n);

	/* 3 * (2^32 - 1) + 1 octets and 2^33 packets: four parts. */
	r.octets = UINT64_C(3) * UINT32_MAX + 1;
	r.packets = UINT64_C(1) << 33;
	exp_add_record(e, &r, T_NOW_MS);
	exp_flush(e, T_NOW_MS);
	assert_int_equal(s->n, 2);
	assert_int_equal(get16(s->d[1] + 2), 4);
	assert_int_equal(get32(s->d[1] + 16), 2);	/* sequence */
	for (i = 0; i < 4; i++) {
		sum_p += get32(s->d[1] + 24 + 48 * i + 16);
		sum_o += get32(s->d[1] + 24 + 48 * i + 20);
	}
	assert_true(sum_o == r.octets);
	assert_true(sum_p == r.packets);
	exp_get_counters(e, &c);
	assert_int_equal(c.split, 1 + 3);
	assert_int_equal(c.records, 6);
	assert_int_equal(c.clamped, 0);
	exp_free(e);
	free(s);
}

/* A part count beyond reason is clamped, not looped over for ever. */
static void test_split_clamped(void **state)
{
	struct sink *s = sink_new();
	struct exp *e = v5_new(s, 0, 0);
	struct exp_counters c;
	struct tflow_record r;

	(void)state;
	rec_v4(&r);
	r.octets = UINT64_MAX;
	exp_add_record(e, &r, T_NOW_MS);
	exp_flush(e, T_NOW_MS);
	exp_get_counters(e, &c);
	assert_int_equal(c.clamped, 1);
	assert_int_equal(c.records, 65536);
	assert_int_equal(get32(s->d[0] + 24 + 20), UINT32_MAX);
	exp_free(e);
	free(s);
}

/* Interface indexes above 16 bits are sent as 0 (unknown). */
static void test_wide_ifindex(void **state)
{
	struct sink *s = sink_new();
	struct exp *e = v5_new(s, 0, 0);
	struct tflow_record r;

	(void)state;
	rec_v4(&r);
	r.in_if = 70000;
	r.out_if = 65535;
	exp_add_record(e, &r, T_NOW_MS);
	exp_flush(e, T_NOW_MS);
	assert_int_equal(get16(s->d[0] + 24 + 12), 0);
	assert_int_equal(get16(s->d[0] + 24 + 14), 65535);
	exp_free(e);
	free(s);
}

/* A refused datagram still advances the sequence: the collector sees
 * the gap. */
static void test_send_error(void **state)
{
	struct sink *s = sink_new();
	struct exp *e = v5_new(s, 0, 0);
	struct exp_counters c;
	struct tflow_record r;

	(void)state;
	rec_v4(&r);
	s->rc = -ECONNREFUSED;
	exp_add_record(e, &r, T_NOW_MS);
	exp_flush(e, T_NOW_MS);
	s->rc = 0;
	exp_add_record(e, &r, T_NOW_MS);
	exp_flush(e, T_NOW_MS);
	assert_int_equal(get32(s->d[1] + 16), 1);
	exp_get_counters(e, &c);
	assert_int_equal(c.send_errors, 1);
	assert_int_equal(c.datagrams, 2);
	exp_free(e);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_record),
		cmocka_unit_test(test_thirty_and_sequence),
		cmocka_unit_test(test_ipv6_not_exportable),
		cmocka_unit_test(test_sampling_field),
		cmocka_unit_test(test_split_32bit),
		cmocka_unit_test(test_split_clamped),
		cmocka_unit_test(test_wide_ifindex),
		cmocka_unit_test(test_send_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
