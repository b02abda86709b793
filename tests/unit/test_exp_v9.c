/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * NetFlow v9 encoder (RFC 3954): a whole first datagram written out by hand
 * (header, template FlowSet, options template FlowSets with scope lengths
 * in bytes, options data, padded data FlowSet), IPv6 records, sampling
 * options (34/35), datagram splitting at the payload limit, sequence
 * numbers (export packets sent before), templates in datagrams 1, 1+N,
 * 1+2N and after the timeout, interface tables spanning datagrams.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "conf.h"
#include "exp_test.h"

#define F(x)	(UINT64_C(1) << CONF_IPFIX_##x)
#define FIELDS	(F(PACKETS) | F(BYTES) | F(SRC_ADDRESS) | F(DST_ADDRESS) | \
		 F(SRC_PORT) | F(DST_PORT) | F(PROTOCOL) | \
		 F(FIRST_FORWARDED) | F(LAST_FORWARDED))
#define DOMAIN	0x01020304

static struct exp *v9_new(struct sink *s, uint32_t refresh,
			  uint64_t timeout_ms, size_t payload,
			  uint32_t interval, uint32_t space)
{
	struct exp_params p = {
		.version = 9,
		.domain_id = DOMAIN,
		.template_refresh = refresh,
		.template_timeout_ms = timeout_ms,
		.max_payload = payload,
		.ipfix_fields = FIELDS,
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

static const uint16_t v4_fields[][2] = {
	{ 60, 1 }, { 22, 4 }, { 21, 4 }, { 2, 8 }, { 1, 8 }, { 7, 2 },
	{ 11, 2 }, { 4, 1 }, { 8, 4 }, { 12, 4 }, { 136, 1 },
};
static const uint16_t v6_fields[][2] = {
	{ 60, 1 }, { 22, 4 }, { 21, 4 }, { 2, 8 }, { 1, 8 }, { 7, 2 },
	{ 11, 2 }, { 4, 1 }, { 27, 16 }, { 28, 16 }, { 136, 1 },
};

static void want_tmpl(struct bb *b, uint16_t id, const uint16_t (*f)[2],
		      size_t n)
{
	size_t i;

	b16(b, id);
	b16(b, (uint16_t)n);
	for (i = 0; i < n; i++) {
		b16(b, f[i][0]);
		b16(b, f[i][1]);
	}
}

/* RFC 3954 6.1: one options template in a FlowSet of id 1, padded. */
static void want_opt_tmpl(struct bb *b, uint16_t id, uint16_t scope_type,
			  const uint16_t (*f)[2], size_t n)
{
	size_t start = b->n, i;

	b16(b, 1);
	b16(b, 0);
	b16(b, id);
	b16(b, 4);			/* scope length, bytes */
	b16(b, (uint16_t)(4 * n));	/* option length, bytes */
	b16(b, scope_type);
	b16(b, 4);
	for (i = 0; i < n; i++) {
		b16(b, f[i][0]);
		b16(b, f[i][1]);
	}
	bzero_n(b, 2);			/* 6 + 4n: two bytes to align */
	bb_put16(b, start + 2, (uint16_t)(b->n - start));
}

static const uint16_t meter_fields[][2] = {
	{ 41, 8 }, { 42, 8 }, { 40, 8 }, { 163, 8 }, { 164, 8 }, { 165, 8 },
};
static const uint16_t exporting_fields[][2] = {
	{ 166, 8 }, { 167, 8 }, { 168, 8 },
};
static const uint16_t iface_fields[][2] = { { 82, 16 }, { 83, 64 } };

static void want_v4_data(struct bb *b)
{
	static const uint8_t addrs[8] = { 10, 0, 0, 1, 192, 0, 2, 10 };

	b8(b, 4);
	b32(b, 1000);
	b32(b, 5000);
	b64(b, 10);
	b64(b, 1500);
	b16(b, 1234);
	b16(b, 80);
	b8(b, 6);
	bbytes(b, addrs, 8);
	b8(b, 1);			/* flowEndReason idle */
}

static void test_first_datagram(void **state)
{
	static const struct exp_iface ifs[1] = { { 2, "eth0", "uplink" } };
	static const struct exp_meter_stats ms = { 7, 8, 9, 1, 2, 3 };
	struct sink *s = sink_new();
	struct exp *e = v9_new(s, 20, 0, 0, 0, 0);
	struct exp_counters c;
	struct tflow_record r;
	struct bb b = { 0 };
	char name[16] = "eth0", descr[64] = "uplink";

	(void)state;
	assert_int_equal(exp_set_interfaces(e, ifs, 1), 0);
	exp_set_stats(e, &ms);
	rec_v4(&r);
	exp_add_record(e, &r, T_NOW_MS);
	exp_flush(e, T_NOW_MS);
	assert_int_equal(s->n, 1);

	/* header: 2 templates + 3 options templates + 3 options data + 1 */
	b16(&b, 9);
	b16(&b, 9);
	b32(&b, 10000);	/* sysUptime at the header's whole second */
	b32(&b, 1700000010);
	b32(&b, 0);			/* no packet sent before */
	b32(&b, DOMAIN);
	/* template FlowSet: 4 + 2 * (4 + 11 * 4) = 100, aligned */
	b16(&b, 0);
	b16(&b, 100);
	want_tmpl(&b, 258, v4_fields, 11);
	want_tmpl(&b, 259, v6_fields, 11);
	/* no exporter options: v9 has no init time, and no sampling */
	want_opt_tmpl(&b, 261, 1, meter_fields, 6);
	want_opt_tmpl(&b, 262, 1, exporting_fields, 3);
	want_opt_tmpl(&b, 263, 2, iface_fields, 2);
	/* options data */
	b16(&b, 261);
	b16(&b, 4 + 4 + 6 * 8);
	b32(&b, DOMAIN);
	b64(&b, 0);			/* messages sent */
	b64(&b, 0);			/* flows sent */
	b64(&b, 0);			/* octets sent */
	b64(&b, 7);
	b64(&b, 8);
	b64(&b, 9);
	b16(&b, 262);
	b16(&b, 4 + 4 + 3 * 8);
	b32(&b, DOMAIN);
	b64(&b, 1);
	b64(&b, 2);
	b64(&b, 3);
	b16(&b, 263);
	b16(&b, 4 + 4 + 16 + 64);
	b32(&b, 2);
	bbytes(&b, name, 16);
	bbytes(&b, descr, 64);
	/* data FlowSet: 4 + 39, one byte of padding */
	b16(&b, 258);
	b16(&b, 44);
	want_v4_data(&b);
	b8(&b, 0);
	assert_int_equal(b.n, 432);
	assert_bytes(s->d[0], s->len[0], b.b, b.n);

	/* Second datagram: data only, sequence 1, count 1. */
	exp_add_record(e, &r, T_NOW_MS);
	exp_flush(e, T_NOW_MS);
	assert_int_equal(s->n, 2);
	b.n = 0;
	b16(&b, 9);
	b16(&b, 1);
	b32(&b, 10000);
	b32(&b, 1700000010);
	b32(&b, 1);
	b32(&b, DOMAIN);
	b16(&b, 258);
	b16(&b, 44);
	want_v4_data(&b);
	b8(&b, 0);
	assert_bytes(s->d[1], s->len[1], b.b, b.n);
	exp_get_counters(e, &c);
	assert_int_equal(c.templates, 5);
	assert_int_equal(c.options, 3);
	assert_int_equal(c.records, 2);
	exp_free(e);
	free(s);
}

static void test_ipv6_record(void **state)
{
	struct sink *s = sink_new();
	struct exp *e = v9_new(s, 20, 0, 0, 0, 0);
	struct tflow_record r;
	struct bb b = { 0 };
	uint16_t ids[16], lens[16];
	const uint8_t *d;
	size_t n;

	(void)state;
	rec_v6(&r);
	exp_add_record(e, &r, T_NOW_MS);
	exp_flush(e, T_NOW_MS);
	n = set_walk(s->d[0], s->len[0], 20, ids, lens, 16);
	assert_int_equal(n, 7);		/* tmpl, 3 opt tmpl, 2 opt, data */
	assert_int_equal(ids[6], 259);
	assert_int_equal(lens[6], 68);	/* 4 + 63 + 1 pad */
	d = s->d[0] + s->len[0] - 68;
	b16(&b, 259);
	b16(&b, 68);
	b8(&b, 6);
	b32(&b, 1000);
	b32(&b, 5000);
	b64(&b, 10);
	b64(&b, 1500);
	b16(&b, 0);
	b16(&b, 128 << 8);		/* ICMPv6 type 128 in dst port */
	b8(&b, 58);
	bbytes(&b, r.src_addr, 16);
	bbytes(&b, r.dst_addr, 16);
	b8(&b, 1);
	b8(&b, 0);
	assert_bytes(d, 68, b.b, b.n);
	exp_free(e);
	free(s);
}

static void test_sampling_options(void **state)
{
	struct sink *s = sink_new();
	struct exp *e = v9_new(s, 20, 0, 0, 1, 99);
	struct tflow_record r;
	struct bb b = { 0 };
	const uint8_t *d;

	(void)state;
	rec_v4(&r);
	exp_add_record(e, &r, T_NOW_MS);
	exp_flush(e, T_NOW_MS);
	d = s->d[0];
	assert_int_equal(get16(d + 2), 10);	/* one more opt tmpl + data */
	/* exporter options template right after the template FlowSet */
	b16(&b, 1);
	b16(&b, 24);
	b16(&b, 260);
	b16(&b, 4);
	b16(&b, 8);
	b16(&b, 1);			/* scope System */
	b16(&b, 4);
	b16(&b, 34);			/* SAMPLING_INTERVAL */
	b16(&b, 4);
	b16(&b, 35);			/* SAMPLING_ALGORITHM */
	b16(&b, 1);
	b16(&b, 0);
	assert_bytes(d + 120, 24, b.b, b.n);
	/* its data first among options data: after 24 + 40 + 28 + 24 */
	b.n = 0;
	b16(&b, 260);
	b16(&b, 16);
	b32(&b, DOMAIN);
	b32(&b, 100);			/* 1 in (1 + 99) */
	b8(&b, 1);			/* deterministic */
	bzero_n(&b, 3);
	assert_bytes(d + 120 + 116, 16, b.b, b.n);
	exp_free(e);
	free(s);
}

static void test_split_at_payload(void **state)
{
	struct sink *s = sink_new();
	struct exp *e = v9_new(s, 20, 0, 512, 0, 0);
	struct tflow_record r;
	size_t i;

	(void)state;
	rec_v4(&r);
	for (i = 0; i < 30; i++)
		exp_add_record(e, &r, T_NOW_MS);
	exp_flush(e, T_NOW_MS);
	/* 300 bytes of header, templates and options leave room for 5
	 * records; then (512 - 24) / 39 = 12 a datagram. */
	assert_int_equal(s->n, 4);
	assert_int_equal(get16(s->d[0] + 2), 7 + 5);
	assert_int_equal(s->len[0], 300 + 4 + 5 * 39 + 1);
	assert_int_equal(get16(s->d[1] + 2), 12);
	assert_int_equal(s->len[1], 20 + 4 + 12 * 39);
	assert_int_equal(get16(s->d[2] + 2), 12);
	assert_int_equal(get16(s->d[3] + 2), 1);
	for (i = 0; i < 4; i++) {
		assert_true(s->len[i] <= 512);
		assert_int_equal(get32(s->d[i] + 12), i);
	}
	exp_free(e);
	free(s);
}

static bool has_templates(const struct sink *s, size_t i)
{
	return get16(s->d[i] + 20) == 0;
}

static void test_refresh_count(void **state)
{
	struct sink *s = sink_new();
	struct exp *e = v9_new(s, 3, 0, 0, 0, 0);
	struct tflow_record r;
	size_t i;

	(void)state;
	rec_v4(&r);
	for (i = 0; i < 10; i++) {
		exp_add_record(e, &r, T_NOW_MS + i);
		exp_flush(e, T_NOW_MS + i);
	}
	assert_int_equal(s->n, 10);
	/* datagrams 1, 4, 7, 10 (1 + N, 1 + 2N ...) */
	for (i = 0; i < 10; i++)
		assert_int_equal(has_templates(s, i), i % 3 == 0);
	exp_free(e);
	free(s);
}

static void test_refresh_timeout(void **state)
{
	static const uint64_t at[] = { 0, 30000, 59999, 60000, 60001,
				       119999, 120000 };
	static const bool want[] = { true, false, false, true, false,
				     false, true };
	struct sink *s = sink_new();
	struct exp *e = v9_new(s, 100, 60000, 0, 0, 0);
	struct tflow_record r;
	size_t i;

	(void)state;
	rec_v4(&r);
	for (i = 0; i < sizeof(at) / sizeof(*at); i++) {
		exp_add_record(e, &r, T_NOW_MS + at[i]);
		exp_flush(e, T_NOW_MS + at[i]);
		assert_int_equal(has_templates(s, i), want[i]);
	}
	exp_free(e);
	free(s);
}

/* A datagram still filling when the template timeout passes is closed,
 * dated at its last record, and the next record opens a datagram with the
 * templates: no data leaves later than the timeout without them. */
static void test_timeout_closes_datagram(void **state)
{
	struct sink *s = sink_new();
	struct exp *e = v9_new(s, 1000, 60000, 0, 0, 0);
	struct tflow_record r;

	(void)state;
	rec_v4(&r);
	exp_add_record(e, &r, T_NOW_MS);		/* opens with templates */
	exp_flush(e, T_NOW_MS);
	exp_add_record(e, &r, T_NOW_MS + 59000);	/* data only, stays open */
	assert_int_equal(s->n, 1);
	exp_add_record(e, &r, T_NOW_MS + 60500);	/* timeout passed */
	assert_int_equal(s->n, 2);
	assert_false(has_templates(s, 1));
	/* unix_secs of datagram 2: the time of its last record */
	assert_int_equal(get32(s->d[1] + 8), (T_NOW_MS + 59000) / 1000);
	exp_flush(e, T_NOW_MS + 61000);
	assert_int_equal(s->n, 3);
	assert_true(has_templates(s, 2));
	exp_free(e);
	free(s);
}

/* Interface tables longer than a datagram continue in the next ones, and
 * data still gets through even with a refresh every datagram. */
static void test_interfaces_span(void **state)
{
	uint16_t ids[64], lens[64];
	size_t n_if, refresh, i, j, k, rows, data;

	(void)state;
	for (refresh = 1; refresh <= 2; refresh++)
	for (n_if = 0; n_if <= 60; n_if += 3) {
		struct sink *s = sink_new();
		struct exp *e = v9_new(s, (uint32_t)refresh, 0, 0, 0, 0);
		struct exp_iface *ifs = calloc(n_if + 1, sizeof(*ifs));
		struct tflow_record r;

		for (i = 0; i < n_if; i++) {
			ifs[i].ifindex = (uint32_t)i + 1;
			snprintf(ifs[i].name, sizeof(ifs[i].name), "eth%zu",
				 i);
		}
		assert_int_equal(exp_set_interfaces(e, ifs, n_if), 0);
		rec_v4(&r);
		for (i = 0; i < 5; i++) {
			exp_add_record(e, &r, T_NOW_MS);
			exp_flush(e, T_NOW_MS);
		}
		rows = data = 0;
		for (i = 0; i < s->n; i++) {
			assert_true(s->len[i] <= 1400);
			k = set_walk(s->d[i], s->len[i], 20, ids, lens, 64);
			for (j = 0; j < k; j++) {
				if (ids[j] == 263)
					rows += (lens[j] - 4) / 84;
				if (ids[j] == 258)
					data += (lens[j] - 4) / 39;
			}
		}
		assert_int_equal(data, 5);
		if (refresh == 2 || n_if == 0)
			assert_true(rows >= n_if);
		free(ifs);
		exp_free(e);
		free(s);
	}
}

/* Statistics options report what was sent and what emit refused. */
static void test_stats_values(void **state)
{
	struct sink *s = sink_new();
	struct exp *e = v9_new(s, 2, 0, 0, 0, 0);
	struct tflow_record r;
	const uint8_t *d;

	(void)state;
	rec_v4(&r);
	exp_add_record(e, &r, T_NOW_MS);
	exp_flush(e, T_NOW_MS);		/* 1: sent, 300 + 44 bytes */
	s->rc = -1;
	exp_add_record(e, &r, T_NOW_MS);
	exp_flush(e, T_NOW_MS);		/* 2: refused */
	s->rc = 0;
	exp_add_record(e, &r, T_NOW_MS);
	exp_flush(e, T_NOW_MS);		/* 3: refresh */
	assert_int_equal(s->n, 3);
	d = s->d[2];
	/* meter data at 20 + 100 + 40 + 28 + 24 = 212 */
	assert_int_equal(get16(d + 212), 261);
	assert_int_equal(get64(d + 212 + 8), 1);	/* messages */
	assert_int_equal(get64(d + 212 + 16), 1);	/* flows */
	assert_int_equal(get64(d + 212 + 24), 344);	/* octets */
	assert_int_equal(get16(d + 268), 262);
	assert_int_equal(get64(d + 268 + 8), 1);	/* not sent flows */
	assert_int_equal(get64(d + 268 + 16), 10);	/* packets */
	assert_int_equal(get64(d + 268 + 24), 1500);	/* octets */
	exp_free(e);
	free(s);
}

static void test_bad_params(void **state)
{
	struct sink *s = sink_new();
	struct exp_params p = {
		.version = 9, .emit = sink_emit, .emit_ctx = s,
		.max_payload = 100,
	};

	(void)state;
	assert_null(exp_new(&p));
	p.max_payload = 70000;
	assert_null(exp_new(&p));
	p.max_payload = 0;
	p.version = 7;
	assert_null(exp_new(&p));
	p.version = 9;
	p.emit = NULL;
	assert_null(exp_new(&p));
	exp_free(NULL);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_datagram),
		cmocka_unit_test(test_ipv6_record),
		cmocka_unit_test(test_sampling_options),
		cmocka_unit_test(test_split_at_payload),
		cmocka_unit_test(test_refresh_count),
		cmocka_unit_test(test_refresh_timeout),
		cmocka_unit_test(test_timeout_closes_datagram),
		cmocka_unit_test(test_interfaces_span),
		cmocka_unit_test(test_stats_values),
		cmocka_unit_test(test_bad_params),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
