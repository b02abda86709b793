/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dec on hand-built datagrams: template redefinition and withdrawal, two
 * exporters behind one address, data before its template, sequence gaps
 * of each version (with wrap), uptime wrap and restarts, reduced-size
 * counters, variable-length and enterprise fields, padding, sampling
 * (v5 header, v9 sampler tables, IPFIX PSAMP, RouterOS's little-endian
 * samplingInterval), time elements, and malformed framing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "tflow/ie.h"
#include "tflow/wire.h"
#include "dec.h"
#include "wire_cursor.h"

#define NOW	1700000000000ULL
#define EXP_S	1699999990U		/* export time in headers */

struct sink {
	size_t n;
	struct tflow_record r[64];
};

static void collect(void *arg, const struct tflow_record *rec)
{
	struct sink *s = arg;

	if (s->n < 64)
		s->r[s->n] = *rec;
	s->n++;
}

static const struct dec_source src_a = {
	.addr = { 198, 51, 100, 7 }, .port = 1024, .family = 4 };
static const struct dec_source src_b = {
	.addr = { 198, 51, 100, 7 }, .port = 1025, .family = 4 };

/* A datagram under construction, and where the open set starts. */
struct dg {
	uint8_t buf[2048];
	struct wire_cursor c;
	uint8_t *set;
};

static void ipfix_begin(struct dg *d, uint32_t seq, uint32_t domain)
{
	wire_init(&d->c, d->buf, sizeof(d->buf));
	wire_put_u16(&d->c, IPFIX_VERSION);
	wire_put_u16(&d->c, 0);			/* length, at the end */
	wire_put_u32(&d->c, EXP_S);
	wire_put_u32(&d->c, seq);
	wire_put_u32(&d->c, domain);
}

static void v9_begin(struct dg *d, uint16_t count, uint32_t uptime,
		     uint32_t secs, uint32_t seq, uint32_t source_id)
{
	wire_init(&d->c, d->buf, sizeof(d->buf));
	wire_put_u16(&d->c, NF_V9_VERSION);
	wire_put_u16(&d->c, count);
	wire_put_u32(&d->c, uptime);
	wire_put_u32(&d->c, secs);
	wire_put_u32(&d->c, seq);
	wire_put_u32(&d->c, source_id);
}

static void set_begin(struct dg *d, uint16_t id)
{
	d->set = d->c.p;
	wire_put_u16(&d->c, id);
	wire_put_u16(&d->c, 0);
}

static void set_end(struct dg *d)
{
	uint16_t len = (uint16_t)(d->c.p - d->set);

	d->set[2] = (uint8_t)(len >> 8);
	d->set[3] = (uint8_t)len;
}

static size_t finish(struct dg *d)
{
	size_t len = (size_t)(d->c.p - d->buf);

	assert_false(d->c.err);
	if (d->buf[1] == IPFIX_VERSION) {
		d->buf[2] = (uint8_t)(len >> 8);
		d->buf[3] = (uint8_t)len;
	}
	return len;
}

static void fld(struct dg *d, uint16_t id, uint16_t len)
{
	wire_put_u16(&d->c, id);
	wire_put_u16(&d->c, len);
}

static enum dec_err run(struct dec_ctx *ctx, const struct dec_source *src,
			struct dg *d, struct sink *s)
{
	size_t len = finish(d);

	return dec_datagram(ctx, src, d->buf, len, NOW, collect, s);
}

static struct dec_stats st(struct dec_ctx *ctx, const struct dec_source *src,
			   uint16_t v, uint32_t dom)
{
	struct dec_stats x;

	assert_int_equal(dec_exporter_stats(ctx, src, v, dom, &x), 0);
	return x;
}

/* IPFIX template 256: src (4), dst (4), packets in `plen` bytes. */
static void tmpl_small(struct dg *d, uint16_t id, uint16_t plen)
{
	set_begin(d, IPFIX_SET_TEMPLATE);
	wire_put_u16(&d->c, id);
	wire_put_u16(&d->c, 3);
	fld(d, IE_IPV4_SRC_ADDR, 4);
	fld(d, IE_IPV4_DST_ADDR, 4);
	fld(d, IE_IN_PKTS, plen);
	set_end(d);
}

static void put_uint(struct dg *d, uint64_t v, unsigned len)
{
	while (len-- > 0)
		wire_put_u8(&d->c, (uint8_t)(v >> (8 * len)));
}

static void data_small(struct dg *d, uint16_t id, uint8_t last, uint64_t pk,
		       uint16_t plen)
{
	set_begin(d, id);
	wire_put_u32(&d->c, 0x0a000001);
	wire_put_u32(&d->c, 0x0a000000 | last);
	put_uint(d, pk, plen);
	set_end(d);
}

static void test_redefinition_and_withdrawal(void **state)
{
	struct dec_ctx *ctx = dec_new(NULL);
	struct sink s = { 0 };
	struct dg d;

	(void)state;
	ipfix_begin(&d, 0, 1);
	tmpl_small(&d, 256, 4);
	data_small(&d, 256, 2, 1000, 4);
	assert_int_equal(run(ctx, &src_a, &d, &s), DEC_OK);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.r[0].packets, 1000);
	assert_int_equal(s.r[0].dst_addr[3], 2);

	/* Redefined with an 8-byte counter: the new layout wins. */
	ipfix_begin(&d, 1, 1);
	tmpl_small(&d, 256, 8);
	data_small(&d, 256, 3, 0x123456789aULL, 8);
	assert_int_equal(run(ctx, &src_a, &d, &s), DEC_OK);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.r[1].packets, 0x123456789aULL);
	assert_int_equal(dec_template_count(ctx), 1);
	assert_int_equal(st(ctx, &src_a, 10, 1).templates, 2);

	/* Withdrawn (field count 0): its data is now held. */
	ipfix_begin(&d, 2, 1);
	set_begin(&d, IPFIX_SET_TEMPLATE);
	wire_put_u16(&d.c, 256);
	wire_put_u16(&d.c, 0);
	set_end(&d);
	data_small(&d, 256, 4, 5, 8);
	assert_int_equal(run(ctx, &src_a, &d, &s), DEC_OK);
	assert_int_equal(s.n, 2);
	assert_int_equal(dec_template_count(ctx), 0);
	assert_int_equal(st(ctx, &src_a, 10, 1).templates_withdrawn, 1);
	assert_int_equal(st(ctx, &src_a, 10, 1).held_sets, 1);

	/* "Withdraw all" (id 2) drops data templates, not options ones. */
	ipfix_begin(&d, 2, 1);
	tmpl_small(&d, 257, 4);
	tmpl_small(&d, 258, 4);
	set_begin(&d, IPFIX_SET_OPTIONS_TEMPLATE);
	wire_put_u16(&d.c, 300);
	wire_put_u16(&d.c, 2);
	wire_put_u16(&d.c, 1);
	fld(&d, IE_OBSERVATION_DOMAIN_ID, 4);
	fld(&d, IE_SAMPLING_INTERVAL, 4);
	set_end(&d);
	assert_int_equal(run(ctx, &src_a, &d, &s), DEC_OK);
	assert_int_equal(dec_template_count(ctx), 3);
	ipfix_begin(&d, 2, 1);
	set_begin(&d, IPFIX_SET_TEMPLATE);
	wire_put_u16(&d.c, IPFIX_SET_TEMPLATE);
	wire_put_u16(&d.c, 0);
	set_end(&d);
	assert_int_equal(run(ctx, &src_a, &d, &s), DEC_OK);
	assert_int_equal(dec_template_count(ctx), 1);
	assert_int_equal(st(ctx, &src_a, 10, 1).templates_withdrawn, 3);

	/* The held set's time runs out: counted as no_template. */
	dec_expire(ctx, NOW + 11000);
	assert_int_equal(st(ctx, &src_a, 10, 1).errors[DEC_ERR_NO_TEMPLATE], 1);
	dec_free(ctx);
}

/* Two RouterOS behind one NAT address: same domain 0, same template id,
 * different layouts, told apart by source port. */
static void test_two_exporters_one_address(void **state)
{
	struct dec_ctx *ctx = dec_new(NULL);
	struct sink s = { 0 };
	struct dg d;

	(void)state;
	ipfix_begin(&d, 0, 0);
	tmpl_small(&d, 256, 2);
	assert_int_equal(run(ctx, &src_a, &d, &s), DEC_OK);
	ipfix_begin(&d, 0, 0);
	tmpl_small(&d, 256, 8);
	assert_int_equal(run(ctx, &src_b, &d, &s), DEC_OK);
	assert_int_equal(dec_template_count(ctx), 2);

	ipfix_begin(&d, 0, 0);
	data_small(&d, 256, 9, 7, 2);
	assert_int_equal(run(ctx, &src_a, &d, &s), DEC_OK);
	ipfix_begin(&d, 0, 0);
	data_small(&d, 256, 9, 1ULL << 40, 8);
	assert_int_equal(run(ctx, &src_b, &d, &s), DEC_OK);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.r[0].packets, 7);
	assert_int_equal(s.r[1].packets, 1ULL << 40);

	/* Garbage from A (set longer than the message) changes nothing. */
	ipfix_begin(&d, 1, 0);
	set_begin(&d, IPFIX_SET_TEMPLATE);
	wire_put_u16(&d.c, 256);
	wire_put_u16(&d.c, 1);
	fld(&d, IE_IN_BYTES, 4);
	d.set[3] = 200;
	assert_int_equal(dec_datagram(ctx, &src_a, d.buf,
				      (size_t)(d.c.p - d.buf), NOW, collect,
				      &s), DEC_ERR_LENGTH);
	d.buf[3] = (uint8_t)(d.c.p - d.buf);
	assert_int_equal(dec_datagram(ctx, &src_a, d.buf,
				      (size_t)(d.c.p - d.buf), NOW, collect,
				      &s), DEC_ERR_SET);
	assert_int_equal(st(ctx, &src_a, 10, 0).errors[DEC_ERR_SET], 1);
	ipfix_begin(&d, 1, 0);
	data_small(&d, 256, 9, 8, 2);
	assert_int_equal(run(ctx, &src_a, &d, &s), DEC_OK);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.r[2].packets, 8);
	dec_free(ctx);
}

/* Garbage with random domain ids from one source cannot fill the exporter
 * table: malformed datagrams make no entries, so an exporter that starts
 * after the flood is still decoded. */
static void test_garbage_makes_no_exporters(void **state)
{
	struct dec_config cfg;
	struct dec_ctx *ctx;
	struct sink s = { 0 };
	struct dec_stats tot;
	struct dg d;
	uint32_t i, x = 12345;
	uint8_t junk[64];

	(void)state;
	dec_config_default(&cfg);
	cfg.max_exporters = 16;
	ctx = dec_new(&cfg);
	assert_non_null(ctx);
	for (i = 0; i < 5000; i++) {
		size_t k;

		for (k = 0; k < sizeof(junk); k++) {
			x = x * 1103515245u + 12345u;
			junk[k] = (uint8_t)(x >> 16);
		}
		/* version 9, 10, 5 or 1 with a random rest */
		junk[0] = 0;
		junk[1] = (uint8_t[]){ 9, 10, 5, 1 }[i % 4];
		(void)dec_datagram(ctx, &src_b, junk, 20 + i % 44, NOW,
				   collect, &s);
	}
	ipfix_begin(&d, 0, 77);
	tmpl_small(&d, 256, 4);
	assert_int_equal(run(ctx, &src_a, &d, &s), DEC_OK);
	ipfix_begin(&d, 0, 77);
	data_small(&d, 256, 9, 5, 4);
	assert_int_equal(run(ctx, &src_a, &d, &s), DEC_OK);
	assert_int_equal(s.r[s.n - 1].packets, 5);
	dec_total(ctx, &tot);
	assert_int_equal(tot.errors[DEC_ERR_EXPORTER_LIMIT], 0);
	dec_free(ctx);
}

static void test_data_before_template(void **state)
{
	struct dec_ctx *ctx = dec_new(NULL);
	struct sink s = { 0 };
	struct dg d;

	(void)state;
	ipfix_begin(&d, 0, 5);
	data_small(&d, 256, 1, 11, 4);
	data_small(&d, 256, 2, 12, 4);
	assert_int_equal(run(ctx, &src_a, &d, &s), DEC_OK);
	assert_int_equal(s.n, 0);
	/* Another exporter's template of the same id does not match. */
	ipfix_begin(&d, 0, 5);
	tmpl_small(&d, 256, 4);
	assert_int_equal(run(ctx, &src_b, &d, &s), DEC_OK);
	assert_int_equal(s.n, 0);
	ipfix_begin(&d, 0, 5);
	tmpl_small(&d, 256, 4);
	assert_int_equal(run(ctx, &src_a, &d, &s), DEC_OK);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.r[0].packets, 11);
	assert_int_equal(s.r[1].packets, 12);
	assert_int_equal(st(ctx, &src_a, 10, 5).held_sets, 2);
	assert_int_equal(st(ctx, &src_a, 10, 5).errors[DEC_ERR_NO_TEMPLATE], 0);
	dec_free(ctx);
}

static size_t v5(uint8_t *buf, uint16_t count, uint32_t uptime, uint32_t seq,
		 uint16_t sampling, uint32_t first, uint32_t last)
{
	struct wire_cursor c;
	uint16_t i;

	wire_init(&c, buf, 24 + 48 * count);
	wire_put_u16(&c, 5);
	wire_put_u16(&c, count);
	wire_put_u32(&c, uptime);
	wire_put_u32(&c, EXP_S);
	wire_put_u32(&c, 0);
	wire_put_u32(&c, seq);
	wire_put_u8(&c, 0);
	wire_put_u8(&c, 3);
	wire_put_u16(&c, sampling);
	for (i = 0; i < count; i++) {
		wire_put_u32(&c, 0x0a000001);
		wire_put_u32(&c, 0x0a000002);
		wire_put_zero(&c, 8);
		wire_put_u32(&c, 1);
		wire_put_u32(&c, 100);
		wire_put_u32(&c, first);
		wire_put_u32(&c, last);
		wire_put_zero(&c, 16);
	}
	assert_false(c.err);
	return 24 + 48 * (size_t)count;
}

static void test_v5_seq_wrap_sampling_uptime(void **state)
{
	struct dec_ctx *ctx = dec_new(NULL);
	struct sink s = { 0 };
	uint8_t buf[24 + 48 * 30];
	struct dec_stats x;
	size_t n;

	(void)state;
	/* Sequence counts flows, across the 2^32 wrap. */
	n = v5(buf, 2, 60000, 0xfffffffeU, 0x4064, 0xfffff000U, 59000);
	assert_int_equal(dec_datagram(ctx, &src_a, buf, n, NOW, collect, &s),
			 DEC_OK);
	/* Uptime 60000, first 0xfffff000: 4096 ms before the counter's
	 * zero, i.e. 64096 ms before export. */
	assert_int_equal(s.r[0].first_ms, EXP_S * 1000ULL - 64096);
	assert_int_equal(s.r[0].last_ms, EXP_S * 1000ULL - 1000);
	/* Mode 1, interval 100: 1 in 100. */
	assert_int_equal(s.r[0].sampling_packets, 1);
	assert_int_equal(s.r[0].sampling_space, 99);
	assert_int_equal(s.r[0].exporter_domain, 3);
	n = v5(buf, 3, 61000, 0, 0, 61500, 61500);	/* 0xfffffffe + 2 */
	dec_datagram(ctx, &src_a, buf, n, NOW, collect, &s);
	/* A flow time after the header's uptime: clamped to export. */
	assert_int_equal(s.r[2].first_ms, EXP_S * 1000ULL);
	assert_int_equal(s.r[2].sampling_packets, 0);
	n = v5(buf, 1, 62000, 3 + 5, 0, 61000, 61000);	/* 5 lost */
	dec_datagram(ctx, &src_a, buf, n, NOW, collect, &s);
	x = st(ctx, &src_a, 5, 3);
	assert_int_equal(x.lost_records, 5);
	assert_int_equal(x.restarts, 0);
	/* Restart: uptime back to 5 s while the clock went on. */
	n = v5(buf, 1, 5000, 0, 0, 4000, 4000);
	dec_datagram(ctx, &src_a, buf, n, NOW, collect, &s);
	x = st(ctx, &src_a, 5, 3);
	assert_int_equal(x.restarts, 1);
	assert_int_equal(x.lost_records, 5);
	/* Malformed: count 31, and count 2 with one record's bytes. */
	n = v5(buf, 1, 6000, 1, 0, 4000, 4000);
	buf[3] = 31;
	assert_int_equal(dec_datagram(ctx, &src_a, buf, n, NOW, collect, &s),
			 DEC_ERR_COUNT);
	buf[3] = 2;
	assert_int_equal(dec_datagram(ctx, &src_a, buf, n, NOW, collect, &s),
			 DEC_ERR_LENGTH);
	assert_int_equal(dec_datagram(ctx, &src_a, buf, 10, NOW, collect, &s),
			 DEC_ERR_SHORT);
	dec_free(ctx);
}

static void v9_tmpl(struct dg *d)
{
	set_begin(d, NF_V9_SET_TEMPLATE);
	wire_put_u16(&d->c, 260);
	wire_put_u16(&d->c, 4);
	fld(d, IE_IPV4_SRC_ADDR, 4);
	fld(d, IE_FIRST_SWITCHED, 4);
	fld(d, IE_LAST_SWITCHED, 4);
	fld(d, IE_FLOW_SAMPLER_ID, 1);
	set_end(d);
}

static void v9_data(struct dg *d, uint32_t first, uint32_t last, uint8_t sid)
{
	set_begin(d, 260);
	wire_put_u32(&d->c, 0xc0000201);
	wire_put_u32(&d->c, first);
	wire_put_u32(&d->c, last);
	wire_put_u8(&d->c, sid);
	wire_put_zero(&d->c, 3);		/* padding */
	set_end(d);
}

static void test_v9_samplers_seq_restart(void **state)
{
	struct dec_ctx *ctx = dec_new(NULL);
	struct sink s = { 0 };
	struct dec_stats x;
	struct dg d;

	(void)state;
	/* Sampler table: options scope "system", samplerId 7 at 1 in 64
	 * (random interval), samplerId 9 at 1 in 10. */
	v9_begin(&d, 5, 100000, EXP_S, 0xffffffffU, 77);
	v9_tmpl(&d);
	set_begin(&d, NF_V9_SET_OPTIONS_TEMPLATE);
	wire_put_u16(&d.c, 300);
	wire_put_u16(&d.c, 4);			/* scope: 1 field */
	wire_put_u16(&d.c, 12);			/* options: 3 fields */
	fld(&d, 1, 4);				/* scope type System */
	fld(&d, IE_FLOW_SAMPLER_ID, 1);
	fld(&d, IE_FLOW_SAMPLER_MODE, 1);
	fld(&d, IE_FLOW_SAMPLER_RANDOM_INTERVAL, 4);
	wire_put_zero(&d.c, 2);			/* padding */
	set_end(&d);
	set_begin(&d, 300);
	wire_put_u32(&d.c, 0);
	wire_put_u8(&d.c, 7);
	wire_put_u8(&d.c, 2);
	wire_put_u32(&d.c, 64);
	wire_put_u32(&d.c, 0);
	wire_put_u8(&d.c, 9);
	wire_put_u8(&d.c, 2);
	wire_put_u32(&d.c, 10);
	set_end(&d);
	v9_data(&d, 90000, 99000, 9);
	assert_int_equal(run(ctx, &src_a, &d, &s), DEC_OK);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.r[0].sampling_packets, 1);
	assert_int_equal(s.r[0].sampling_space, 9);
	assert_int_equal(s.r[0].first_ms, EXP_S * 1000ULL - 10000);
	x = st(ctx, &src_a, 9, 77);
	assert_int_equal(x.options_records, 2);
	assert_int_equal(x.unknown_fields, 1);	/* the scope type */
	assert_int_equal(x.errors[DEC_ERR_COUNT_MISMATCH], 0);

	/* v9 sequence counts datagrams (wraps 0xffffffff -> 0): 0 and 3
	 * arrive, 1 and 2 are lost. */
	v9_begin(&d, 1, 101000, EXP_S + 1, 0, 77);
	v9_data(&d, 100000, 100500, 7);
	run(ctx, &src_a, &d, &s);
	assert_int_equal(s.r[1].sampling_space, 63);
	v9_begin(&d, 1, 102000, EXP_S + 2, 3, 77);
	v9_data(&d, 100000, 100500, 8);		/* unknown sampler */
	run(ctx, &src_a, &d, &s);
	assert_int_equal(s.r[2].sampling_packets, 0);
	x = st(ctx, &src_a, 9, 77);
	assert_int_equal(x.lost_datagrams, 2);

	/* Restart: uptime 2 s, clock on: templates forgotten, data held. */
	v9_begin(&d, 1, 2000, EXP_S + 30, 0, 77);
	v9_data(&d, 1000, 1500, 9);
	run(ctx, &src_a, &d, &s);
	assert_int_equal(s.n, 3);
	x = st(ctx, &src_a, 9, 77);
	assert_int_equal(x.restarts, 1);
	assert_int_equal(x.lost_datagrams, 2);
	assert_int_equal(x.held_sets, 1);
	/* The template comes back: the held record is decoded with its
	 * own header's times. */
	v9_begin(&d, 1, 2500, EXP_S + 31, 1, 77);
	v9_tmpl(&d);
	run(ctx, &src_a, &d, &s);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.r[3].first_ms, (EXP_S + 30) * 1000ULL - 1000);
	dec_free(ctx);
}

/* IPFIX elements beyond the basics, in one template. */
static void test_ipfix_fields(void **state)
{
	struct dec_ctx *ctx = dec_new(NULL);
	struct sink s = { 0 };
	uint8_t name[300];
	struct dg d;
	int i;

	(void)state;
	memset(name, 'x', sizeof(name));
	ipfix_begin(&d, 0, 3);
	set_begin(&d, IPFIX_SET_TEMPLATE);
	wire_put_u16(&d.c, 400);
	wire_put_u16(&d.c, 9);
	fld(&d, IE_IN_PKTS, 3);			/* reduced size */
	fld(&d, IE_IN_BYTES, 5);
	fld(&d, IE_IF_NAME, IPFIX_VARLEN);
	fld(&d, IE_IPV6_SRC_ADDR, 16);
	fld(&d, 1 | IPFIX_ENTERPRISE_BIT, 3);	/* enterprise element 1 */
	wire_put_u32(&d.c, 9);			/* Cisco's PEN */
	fld(&d, IE_FLOW_START_MICROSECONDS, 8);
	fld(&d, IE_FLOW_END_DELTA_MICROSECONDS, 4);
	fld(&d, IE_IF_DESC, IPFIX_VARLEN);
	fld(&d, IE_TCP_FLAGS, 2);
	set_end(&d);
	set_begin(&d, 400);
	for (i = 0; i < 2; i++) {
		put_uint(&d, 0x010203, 3);
		put_uint(&d, 0x0405060708ULL, 5);
		if (i == 0) {
			wire_put_u8(&d.c, 5);
			wire_put_bytes(&d.c, name, 5);
		} else {
			wire_put_u8(&d.c, 255);		/* long form */
			wire_put_u16(&d.c, 300);
			wire_put_bytes(&d.c, name, 300);
		}
		wire_put_u64(&d.c, 0x20010db8ULL << 32);
		wire_put_u64(&d.c, (uint64_t)i + 1);
		put_uint(&d, 0xffffff, 3);
		/* NTP: EXP_S - 20 s, plus half a second. */
		wire_put_u32(&d.c, EXP_S - 20 + 2208988800U);
		wire_put_u32(&d.c, 0x80000000U);
		wire_put_u32(&d.c, 2500000);		/* 2.5 s before export */
		wire_put_u8(&d.c, 0);			/* empty */
		wire_put_u16(&d.c, 0x0112);
	}
	wire_put_zero(&d.c, 3);				/* padding */
	set_end(&d);
	assert_int_equal(run(ctx, &src_a, &d, &s), DEC_OK);
	assert_int_equal(s.n, 2);
	for (i = 0; i < 2; i++) {
		assert_int_equal(s.r[i].packets, 0x010203);
		assert_int_equal(s.r[i].octets, 0x0405060708ULL);
		assert_int_equal(s.r[i].ip_version, 6);
		assert_int_equal(s.r[i].src_addr[15], i + 1);
		assert_int_equal(s.r[i].tcp_flags, 0x12);
		assert_int_equal(s.r[i].first_ms, (EXP_S - 20) * 1000ULL + 500);
		assert_int_equal(s.r[i].last_ms, EXP_S * 1000ULL - 2500);
		assert_false(s.r[i].time_estimated);
	}
	/* Only the enterprise element is unknown to ie.def. */
	assert_int_equal(st(ctx, &src_a, 10, 3).unknown_fields, 1);
	/* The sequence counted 2 data records. */
	ipfix_begin(&d, 2 + 4, 3);
	assert_int_equal(run(ctx, &src_a, &d, &s), DEC_OK);
	assert_int_equal(st(ctx, &src_a, 10, 3).lost_records, 4);

	/* A varlen field longer than its set: bad record, no crash. */
	ipfix_begin(&d, 6, 3);
	set_begin(&d, 400);
	put_uint(&d, 1, 3);
	put_uint(&d, 1, 5);
	wire_put_u8(&d.c, 200);
	wire_put_zero(&d.c, 40);	/* a record's minimum, not 200 */
	set_end(&d);
	assert_int_equal(run(ctx, &src_a, &d, &s), DEC_OK);
	assert_int_equal(s.n, 2);
	assert_int_equal(st(ctx, &src_a, 10, 3).errors[DEC_ERR_RECORD], 1);
	dec_free(ctx);
}

/* Sampling from IPFIX options, systemInitTime, RouterOS's 34. */
static void test_ipfix_sampling_and_init_time(void **state)
{
	struct dec_ctx *ctx = dec_new(NULL);
	struct sink s = { 0 };
	struct dg d;

	(void)state;
	ipfix_begin(&d, 0, 0);
	set_begin(&d, IPFIX_SET_OPTIONS_TEMPLATE);
	wire_put_u16(&d.c, 500);
	wire_put_u16(&d.c, 5);
	wire_put_u16(&d.c, 1);
	fld(&d, IE_OBSERVATION_DOMAIN_ID, 4);
	fld(&d, IE_SELECTOR_ALGORITHM, 2);
	fld(&d, IE_SAMPLING_PACKET_INTERVAL, 4);
	fld(&d, IE_SAMPLING_PACKET_SPACE, 4);
	fld(&d, IE_SYSTEM_INIT_TIME_MILLISECONDS, 8);
	set_end(&d);
	set_begin(&d, 500);
	wire_put_u32(&d.c, 0);
	wire_put_u16(&d.c, 1);
	wire_put_u32(&d.c, 2);			/* 2 taken ... */
	wire_put_u32(&d.c, 1);			/* ... 1 skipped: rate 1.5 */
	wire_put_u64(&d.c, (EXP_S - 3600) * 1000ULL);
	set_end(&d);
	/* RouterOS layout: ipVersion, start, end, ..., samplingInterval. */
	set_begin(&d, IPFIX_SET_TEMPLATE);
	wire_put_u16(&d.c, 258);
	wire_put_u16(&d.c, 5);
	fld(&d, IE_IP_PROTOCOL_VERSION, 1);
	fld(&d, IE_FIRST_SWITCHED, 4);
	fld(&d, IE_LAST_SWITCHED, 4);
	fld(&d, IE_IPV4_SRC_ADDR, 4);
	fld(&d, IE_SAMPLING_INTERVAL, 4);
	set_end(&d);
	set_begin(&d, 258);
	wire_put_u8(&d.c, 4);
	wire_put_u32(&d.c, 1000);
	wire_put_u32(&d.c, 3000);
	wire_put_u32(&d.c, 0x0a000001);
	wire_put_u32(&d.c, 0);			/* not sampled here */
	wire_put_u8(&d.c, 4);
	wire_put_u32(&d.c, 1000);
	wire_put_u32(&d.c, 3000);
	wire_put_u32(&d.c, 0x0a000001);
	wire_put_u32(&d.c, 0x00040000);		/* 1024, little-endian */
	wire_put_u8(&d.c, 4);
	wire_put_u32(&d.c, 1000);
	wire_put_u32(&d.c, 3000);
	wire_put_u32(&d.c, 0x0a000001);
	wire_put_u32(&d.c, 0x10270100);		/* 75536 little-endian */
	set_end(&d);
	assert_int_equal(run(ctx, &src_a, &d, &s), DEC_OK);
	assert_int_equal(s.n, 3);
	/* PSAMP 2 of 3 from the options. */
	assert_int_equal(s.r[0].sampling_packets, 2);
	assert_int_equal(s.r[0].sampling_space, 1);
	/* systemInitTime + uptime: exact, not estimated. */
	assert_int_equal(s.r[0].first_ms, (EXP_S - 3600) * 1000ULL + 1000);
	assert_int_equal(s.r[0].last_ms, (EXP_S - 3600) * 1000ULL + 3000);
	assert_false(s.r[0].time_estimated);
	assert_int_equal(s.r[1].sampling_packets, 1);
	assert_int_equal(s.r[1].sampling_space, 1023);
	/* ...from a RouterOS-shaped template, the smaller reading wins. */
	assert_int_equal(s.r[2].sampling_space, 75536 - 1);
	dec_free(ctx);

	/* 305 alone is not "1 in N". */
	ctx = dec_new(NULL);
	s.n = 0;
	ipfix_begin(&d, 0, 0);
	set_begin(&d, IPFIX_SET_OPTIONS_TEMPLATE);
	wire_put_u16(&d.c, 500);
	wire_put_u16(&d.c, 2);
	wire_put_u16(&d.c, 1);
	fld(&d, IE_OBSERVATION_DOMAIN_ID, 4);
	fld(&d, IE_SAMPLING_PACKET_INTERVAL, 4);
	set_end(&d);
	set_begin(&d, 500);
	wire_put_u32(&d.c, 0);
	wire_put_u32(&d.c, 100);
	set_end(&d);
	tmpl_small(&d, 256, 4);
	data_small(&d, 256, 1, 1, 4);
	assert_int_equal(run(ctx, &src_a, &d, &s), DEC_OK);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.r[0].sampling_packets, 0);
	/* No time element at all: the export time, estimated. */
	assert_int_equal(s.r[0].first_ms, EXP_S * 1000ULL);
	assert_true(s.r[0].time_estimated);
	dec_free(ctx);
}

static void test_names_and_limits(void **state)
{
	struct dec_config cfg;
	struct dec_ctx *ctx;
	struct sink s = { 0 };
	struct dg d;
	uint16_t id;

	(void)state;
	assert_string_equal(dec_err_name(DEC_ERR_NO_TEMPLATE), "no_template");
	assert_string_equal(dec_err_name(DEC_ERR__MAX), "?");
	ctx = dec_new(NULL);
	assert_int_equal(dec_datagram(ctx, &src_a, (const uint8_t *)"\0\7xx",
				      4, NOW, collect, &s), DEC_ERR_VERSION);
	dec_free(ctx);
	dec_config_default(&cfg);
	cfg.max_templates_per_session = 4;
	cfg.max_templates = 6;
	cfg.max_exporters = 2;
	ctx = dec_new(&cfg);
	assert_non_null(ctx);
	ipfix_begin(&d, 0, 0);
	for (id = 256; id < 262; id++)
		tmpl_small(&d, id, 4);
	assert_int_equal(run(ctx, &src_a, &d, &s), DEC_OK);
	assert_int_equal(dec_template_count(ctx), 4);
	assert_int_equal(st(ctx, &src_a, 10, 0).templates_refused, 2);
	assert_int_equal(st(ctx, &src_a, 10, 0).errors[DEC_ERR_TEMPLATE_LIMIT], 2);
	ipfix_begin(&d, 0, 0);
	for (id = 256; id < 262; id++)
		tmpl_small(&d, id, 4);
	assert_int_equal(run(ctx, &src_b, &d, &s), DEC_OK);
	assert_int_equal(dec_template_count(ctx), 6);	/* store full */
	ipfix_begin(&d, 0, 9);
	tmpl_small(&d, 256, 4);
	assert_int_equal(run(ctx, &src_b, &d, &s), DEC_ERR_EXPORTER_LIMIT);
	/* Expiry without refresh. */
	dec_expire(ctx, NOW + cfg.template_timeout_ms + 1);
	assert_int_equal(dec_template_count(ctx), 0);
	dec_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_redefinition_and_withdrawal),
		cmocka_unit_test(test_two_exporters_one_address),
		cmocka_unit_test(test_garbage_makes_no_exporters),
		cmocka_unit_test(test_data_before_template),
		cmocka_unit_test(test_v5_seq_wrap_sampling_uptime),
		cmocka_unit_test(test_v9_samplers_seq_restart),
		cmocka_unit_test(test_ipfix_fields),
		cmocka_unit_test(test_ipfix_sampling_and_init_time),
		cmocka_unit_test(test_names_and_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
