/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * IPFIX encoder (RFC 7011): a whole first message written out by hand
 * (header with length, template Set 2, options template Sets 3 with field
 * and scope counts, options data with systemInitTimeMilliseconds and the
 * PSAMP sampling elements, variable-length interface strings, padded data
 * Set with absolute millisecond times and 64-bit counters), every toggle
 * on for IPv4 and IPv6 templates, sequence numbers counting data records
 * across messages split at the payload limit.
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
		 F(FIRST_FORWARDED) | F(LAST_FORWARDED) | F(SYS_INIT_TIME))
#define DOMAIN	0x01020304

static struct exp *ipfix_new(struct sink *s, uint64_t fields, size_t payload,
			     uint32_t interval, uint32_t space)
{
	struct exp_params p = {
		.version = 10,
		.domain_id = DOMAIN,
		.process_id = 9,
		.template_refresh = 20,
		.template_timeout_ms = 1800000,
		.max_payload = payload,
		.ipfix_fields = fields,
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

static void want_fields(struct bb *b, const uint16_t (*f)[2], size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		b16(b, f[i][0]);
		b16(b, f[i][1]);
	}
}

static const uint16_t v4_fields[][2] = {
	{ 60, 1 }, { 152, 8 }, { 153, 8 }, { 2, 8 }, { 1, 8 }, { 7, 2 },
	{ 11, 2 }, { 4, 1 }, { 8, 4 }, { 12, 4 }, { 136, 1 },
};
static const uint16_t v6_fields[][2] = {
	{ 60, 1 }, { 152, 8 }, { 153, 8 }, { 2, 8 }, { 1, 8 }, { 7, 2 },
	{ 11, 2 }, { 4, 1 }, { 27, 16 }, { 28, 16 }, { 136, 1 },
};
static const uint16_t exporter_fields[][2] = {
	{ 149, 4 }, { 160, 8 }, { 304, 2 }, { 305, 4 }, { 306, 4 }, { 34, 4 },
};
static const uint16_t meter_fields[][2] = {
	{ 149, 4 }, { 41, 8 }, { 42, 8 }, { 40, 8 }, { 163, 8 }, { 164, 8 },
	{ 165, 8 },
};
static const uint16_t exporting_fields[][2] = {
	{ 144, 4 }, { 166, 8 }, { 167, 8 }, { 168, 8 },
};
static const uint16_t iface_fields[][2] = {
	{ 10, 4 }, { 82, 65535 }, { 83, 65535 },
};

/* RFC 7011 3.4.2.2: id, field count, scope field count; Set id 3. */
static void want_opt_tmpl(struct bb *b, uint16_t id, const uint16_t (*f)[2],
			  size_t n)
{
	size_t start = b->n;

	b16(b, 3);
	b16(b, 0);
	b16(b, id);
	b16(b, (uint16_t)n);
	b16(b, 1);
	want_fields(b, f, n);
	bzero_n(b, 2);
	bb_put16(b, start + 2, (uint16_t)(b->n - start));
}

static void want_v4_data(struct bb *b)
{
	static const uint8_t addrs[8] = { 10, 0, 0, 1, 192, 0, 2, 10 };

	b8(b, 4);
	b64(b, T_INIT_MS + 1000);	/* absolute ms */
	b64(b, T_INIT_MS + 5000);
	b64(b, 10);
	b64(b, 1500);
	b16(b, 1234);
	b16(b, 80);
	b8(b, 6);
	bbytes(b, addrs, 8);
	b8(b, 1);
}

static void test_first_message(void **state)
{
	static const struct exp_iface ifs[1] = { { 2, "eth0", "uplink" } };
	static const struct exp_meter_stats ms = { 7, 8, 9, 1, 2, 3 };
	struct sink *s = sink_new();
	struct exp *e = ipfix_new(s, FIELDS, 0, 2, 1);
	struct tflow_record r;
	struct bb b = { 0 };

	(void)state;
	exp_set_interfaces(e, ifs, 1);
	exp_set_stats(e, &ms);
	rec_v4(&r);
	exp_add_record(e, &r, T_NOW_MS);
	exp_flush(e, T_NOW_MS);
	assert_int_equal(s->n, 1);

	b16(&b, 10);
	b16(&b, 436);			/* message length */
	b32(&b, 1700000010);
	b32(&b, 0);
	b32(&b, DOMAIN);
	b16(&b, 2);			/* template Set */
	b16(&b, 100);
	b16(&b, 258);
	b16(&b, 11);
	want_fields(&b, v4_fields, 11);
	b16(&b, 259);
	b16(&b, 11);
	want_fields(&b, v6_fields, 11);
	want_opt_tmpl(&b, 260, exporter_fields, 6);
	want_opt_tmpl(&b, 261, meter_fields, 7);
	want_opt_tmpl(&b, 262, exporting_fields, 4);
	want_opt_tmpl(&b, 263, iface_fields, 3);
	b16(&b, 260);			/* exporter options data */
	b16(&b, 32);
	b32(&b, DOMAIN);
	b64(&b, T_INIT_MS);		/* systemInitTimeMilliseconds */
	b16(&b, 1);			/* systematic count-based */
	b32(&b, 2);			/* samplingPacketInterval */
	b32(&b, 1);			/* samplingPacketSpace */
	b32(&b, 2);			/* samplingInterval: 3/2 rounded */
	bzero_n(&b, 2);
	b16(&b, 261);
	b16(&b, 56);
	b32(&b, DOMAIN);
	b64(&b, 0);
	b64(&b, 0);
	b64(&b, 0);
	b64(&b, 7);
	b64(&b, 8);
	b64(&b, 9);
	b16(&b, 262);
	b16(&b, 32);
	b32(&b, 9);			/* exportingProcessId */
	b64(&b, 1);
	b64(&b, 2);
	b64(&b, 3);
	b16(&b, 263);			/* variable-length strings */
	b16(&b, 20);
	b32(&b, 2);
	b8(&b, 4);
	bbytes(&b, "eth0", 4);
	b8(&b, 6);
	bbytes(&b, "uplink", 6);
	b16(&b, 258);
	b16(&b, 52);			/* 4 + 47 + 1 padding */
	want_v4_data(&b);
	b8(&b, 0);
	assert_int_equal(b.n, 436);
	assert_bytes(s->d[0], s->len[0], b.b, b.n);

	/* Next message: sequence = 5 data records sent (4 options + 1). */
	exp_add_record(e, &r, T_NOW_MS + 1000);
	exp_flush(e, T_NOW_MS + 1000);
	b.n = 0;
	b16(&b, 10);
	b16(&b, 16 + 52);
	b32(&b, 1700000011);
	b32(&b, 5);
	b32(&b, DOMAIN);
	b16(&b, 258);
	b16(&b, 52);
	want_v4_data(&b);
	b8(&b, 0);
	assert_bytes(s->d[1], s->len[1], b.b, b.n);
	exp_free(e);
	free(s);
}

/* Template field ids and lengths, in order, from a template Set. */
static size_t tmpl_fields(const uint8_t *set, uint16_t want_id,
			  uint16_t (*out)[2], size_t max)
{
	size_t off = 4, n, i, len = get16(set + 2);

	while (off + 4 <= len) {
		n = get16(set + off + 2);
		if (get16(set + off) == want_id) {
			assert_true(n <= max);
			for (i = 0; i < n; i++) {
				out[i][0] = get16(set + off + 4 + 4 * i);
				out[i][1] = get16(set + off + 6 + 4 * i);
			}
			return n;
		}
		off += 4 + 4 * n;
	}
	return 0;
}

static const uint16_t all_v4[][2] = {
	{ 60, 1 }, { 152, 8 }, { 153, 8 }, { 2, 8 }, { 1, 8 }, { 7, 2 },
	{ 11, 2 }, { 10, 4 }, { 14, 4 }, { 4, 1 }, { 6, 1 }, { 8, 4 },
	{ 12, 4 }, { 15, 4 }, { 9, 1 }, { 13, 1 }, { 5, 1 }, { 176, 1 },
	{ 177, 1 }, { 52, 1 }, { 53, 1 }, { 206, 1 }, { 56, 6 }, { 80, 6 },
	{ 136, 1 },
};
static const uint16_t all_v6[][2] = {
	{ 60, 1 }, { 152, 8 }, { 153, 8 }, { 2, 8 }, { 1, 8 }, { 7, 2 },
	{ 11, 2 }, { 10, 4 }, { 14, 4 }, { 4, 1 }, { 6, 1 }, { 27, 16 },
	{ 28, 16 }, { 62, 16 }, { 29, 1 }, { 30, 1 }, { 5, 1 }, { 178, 1 },
	{ 179, 1 }, { 52, 1 }, { 53, 1 }, { 206, 1 }, { 56, 6 }, { 80, 6 },
	{ 136, 1 },
};

/* Every toggle on: elements the record can fill, in template order; the
 * IPv6 data record checked value by value. */
static void test_all_toggles(void **state)
{
	struct sink *s = sink_new();
	struct exp *e = ipfix_new(s, ~UINT64_C(0), 0, 0, 0);
	uint16_t f[40][2], ids[16], lens[16];
	struct tflow_record r;
	struct bb b = { 0 };
	const uint8_t *d;
	size_t n, i;

	(void)state;
	rec_v6(&r);
	exp_add_record(e, &r, T_NOW_MS);
	exp_flush(e, T_NOW_MS);
	d = s->d[0];
	n = tmpl_fields(d + 16, 258, f, 40);
	assert_int_equal(n, sizeof(all_v4) / sizeof(*all_v4));
	for (i = 0; i < n; i++) {
		assert_int_equal(f[i][0], all_v4[i][0]);
		assert_int_equal(f[i][1], all_v4[i][1]);
	}
	n = tmpl_fields(d + 16, 259, f, 40);
	assert_int_equal(n, sizeof(all_v6) / sizeof(*all_v6));
	for (i = 0; i < n; i++) {
		assert_int_equal(f[i][0], all_v6[i][0]);
		assert_int_equal(f[i][1], all_v6[i][1]);
	}
	/* exporter options: only 160 (no sampling) */
	n = set_walk(d, s->len[0], 16, ids, lens, 16);
	assert_int_equal(ids[n - 1], 259);
	d += s->len[0] - lens[n - 1];
	b16(&b, 259);
	b16(&b, 4 + 116);		/* 116: aligned, no padding */
	b8(&b, 6);
	b64(&b, T_INIT_MS + 1000);
	b64(&b, T_INIT_MS + 5000);
	b64(&b, 10);
	b64(&b, 1500);
	b16(&b, 0);
	b16(&b, 128 << 8);
	b32(&b, 2);			/* ingress */
	b32(&b, 3);
	b8(&b, 58);
	b8(&b, 0);			/* tcp flags */
	bbytes(&b, r.src_addr, 16);
	bbytes(&b, r.dst_addr, 16);
	bzero_n(&b, 16);		/* next hop unknown */
	b8(&b, 64);
	b8(&b, 128);
	b8(&b, 0x10);
	b8(&b, 128);			/* icmpTypeIPv6 */
	b8(&b, 0);			/* icmpCodeIPv6 */
	b8(&b, 60);
	b8(&b, 64);
	b8(&b, 0x1f);			/* isMulticast: ff02::1 */
	bbytes(&b, r.src_mac, 6);
	bbytes(&b, r.dst_mac, 6);
	b8(&b, 1);
	assert_bytes(d, lens[n - 1], b.b, b.n);
	exp_free(e);
	free(s);
}

/* The IPv4 multicast bit and ICMP type/code taken from the port. */
static void test_v4_icmp_multicast(void **state)
{
	struct sink *s = sink_new();
	struct exp *e = ipfix_new(s, F(ICMP_TYPE) | F(ICMP_CODE) |
				  F(IS_MULTICAST), 0, 0, 0);
	struct tflow_record r;
	uint16_t ids[16], lens[16];
	const uint8_t *d;
	size_t n;

	(void)state;
	rec_v4(&r);
	r.proto = 1;
	r.dst_port = 3 << 8 | 4;	/* unreachable, frag needed */
	r.dst_addr[0] = 239;
	exp_add_record(e, &r, T_NOW_MS);
	r.proto = 17;			/* not ICMP: type and code 0 */
	exp_add_record(e, &r, T_NOW_MS);
	exp_flush(e, T_NOW_MS);
	n = set_walk(s->d[0], s->len[0], 16, ids, lens, 16);
	assert_int_equal(ids[n - 1], 258);
	/* 60 176 177 206 136: 4 + 2 * 5, padded */
	assert_int_equal(lens[n - 1], 16);
	d = s->d[0] + s->len[0] - lens[n - 1] + 4;
	assert_int_equal(d[0], 4);
	assert_int_equal(d[1], 3);
	assert_int_equal(d[2], 4);
	assert_int_equal(d[3], 0x80);
	assert_int_equal(d[6], 0);
	assert_int_equal(d[7], 0);
	exp_free(e);
	free(s);
}

static void test_sequence_and_split(void **state)
{
	struct sink *s = sink_new();
	struct exp *e = ipfix_new(s, FIELDS, 600, 0, 0);
	struct tflow_record r4, r6;
	uint16_t ids[64], lens[64];
	uint64_t seq = 0;
	size_t i, j, n, data;

	(void)state;
	rec_v4(&r4);
	rec_v6(&r6);
	for (i = 0; i < 100; i++)
		exp_add_record(e, i % 3 ? &r4 : &r6, T_NOW_MS);
	exp_flush(e, T_NOW_MS);
	assert_true(s->n > 10);
	data = 0;
	for (i = 0; i < s->n; i++) {
		assert_true(s->len[i] <= 600);
		assert_int_equal(get16(s->d[i] + 2), s->len[i]);
		assert_int_equal(get32(s->d[i] + 8), (uint32_t)seq);
		n = set_walk(s->d[i], s->len[i], 16, ids, lens, 64);
		for (j = 0; j < n; j++) {
			if (ids[j] == 258)
				seq += (lens[j] - 4) / 47;
			else if (ids[j] == 259)
				seq += (lens[j] - 4) / 71;
			else if (ids[j] >= 256)
				seq++;		/* one options record a set */
			if (ids[j] == 258 || ids[j] == 259)
				data += ids[j] == 258 ?
				    (lens[j] - 4) / 47 : (lens[j] - 4) / 71;
		}
		/* only the first message holds templates */
		assert_int_equal(get16(s->d[i] + 16) == 2, i == 0);
	}
	assert_int_equal(data, 100);
	exp_free(e);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_message),
		cmocka_unit_test(test_all_toggles),
		cmocka_unit_test(test_v4_icmp_multicast),
		cmocka_unit_test(test_sequence_and_split),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
