/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * NetFlow v1 encoder: header and record bytes written out by hand from the
 * v1 layout (16-byte header, 48-byte records), 24 records a datagram, IPv6
 * refused and counted, 32-bit split.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>

#include "exp_test.h"

static struct exp *v1_new(struct sink *s)
{
	struct exp_params p = {
		.version = 1,
		.sys_init_ms = T_INIT_MS,
		.emit = sink_emit,
		.emit_ctx = s,
	};
	struct exp *e = exp_new(&p);

	assert_non_null(e);
	return e;
}

static void want_record(struct bb *b, uint32_t pkts, uint32_t octets)
{
	static const uint8_t addrs[12] = {
		10, 0, 0, 1, 192, 0, 2, 10, 10, 0, 0, 254,
	};

	bbytes(b, addrs, 12);
	b16(b, 2);
	b16(b, 3);
	b32(b, pkts);
	b32(b, octets);
	b32(b, 1000);
	b32(b, 5000);
	b16(b, 1234);
	b16(b, 80);
	b16(b, 0);			/* pad1 */
	b8(b, 6);			/* proto */
	b8(b, 0x10);			/* tos */
	b8(b, 0x1b);			/* flags */
	bzero_n(b, 7);			/* pad2, reserved */
}

static void test_bytes(void **state)
{
	struct sink *s = sink_new();
	struct exp *e = v1_new(s);
	struct tflow_record r;
	struct bb b = { 0 };

	(void)state;
	rec_v4(&r);
	exp_add_record(e, &r, T_NOW_MS);
	r.octets = UINT64_C(1) << 32;		/* two parts of 2^31 */
	exp_add_record(e, &r, T_NOW_MS);
	exp_flush(e, T_NOW_MS);
	assert_int_equal(s->n, 1);
	b16(&b, 1);
	b16(&b, 3);
	b32(&b, 10123);
	b32(&b, 1700000010);
	b32(&b, 123000000);
	want_record(&b, 10, 1500);
	want_record(&b, 5, 0x80000000u);
	want_record(&b, 5, 0x80000000u);
	assert_bytes(s->d[0], s->len[0], b.b, b.n);
	exp_free(e);
	free(s);
}

static void test_24_a_datagram(void **state)
{
	struct sink *s = sink_new();
	struct exp *e = v1_new(s);
	struct exp_counters c;
	struct tflow_record r, r6;
	int i;

	(void)state;
	rec_v4(&r);
	rec_v6(&r6);
	for (i = 0; i < 50; i++) {
		assert_int_equal(exp_add_record(e, &r, T_NOW_MS), 0);
		assert_int_equal(exp_add_record(e, &r6, T_NOW_MS),
				 -EAFNOSUPPORT);
	}
	exp_flush(e, T_NOW_MS);
	assert_int_equal(s->n, 3);
	assert_int_equal(s->len[0], 16 + 24 * 48);
	assert_int_equal(get16(s->d[0] + 2), 24);
	assert_int_equal(get16(s->d[1] + 2), 24);
	assert_int_equal(get16(s->d[2] + 2), 2);
	assert_int_equal(s->len[2], 16 + 2 * 48);
	exp_get_counters(e, &c);
	assert_int_equal(c.not_exportable, 50);
	assert_int_equal(c.records, 50);
	exp_free(e);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_24_a_datagram),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
