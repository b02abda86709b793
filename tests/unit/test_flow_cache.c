/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flow_cache tests: aggregation by key, every end reason at its boundary,
 * LRU eviction, flush and reuse, and a randomized run that checks that no
 * packet or byte is lost or double counted however records end.  Each test
 * collects what the emit callback gets and asserts on the records.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flow_cache.h"

static const uint8_t seed[16] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
};

/* Every record the cache emitted, in order. */
struct sink {
	struct tflow_record *rec;
	size_t n;
	size_t cap;
};

static void sink_emit(const struct tflow_record *rec, void *ctx)
{
	struct sink *s = ctx;

	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->rec = realloc(s->rec, s->cap * sizeof(*s->rec));
		assert_non_null(s->rec);
	}
	s->rec[s->n++] = *rec;
}

static void sink_clear(struct sink *s)
{
	free(s->rec);
	memset(s, 0, sizeof(*s));
}

static uint64_t sink_packets(const struct sink *s)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < s->n; i++)
		n += s->rec[i].packets;
	return n;
}

static struct flow_cache *cache_new(uint32_t entries, uint64_t active_ms,
				    uint64_t inactive_ms, struct sink *s)
{
	struct flow_cache_config cfg = {
		.entries = entries,
		.active_timeout_ms = active_ms,
		.inactive_timeout_ms = inactive_ms,
	};
	struct flow_cache *fc;

	fc = flow_cache_new(&cfg, seed, sink_emit, s);
	assert_non_null(fc);
	return fc;
}

/* A UDP/IPv4 packet of flow `id`: 10.id.id.id:(1000+id) -> 192.0.2.1:53. */
static void make_pkt(struct pkt_info *p, uint32_t id)
{
	uint8_t src[4] = { 10, (uint8_t)(id >> 16), (uint8_t)(id >> 8),
			   (uint8_t)id };
	uint8_t dst[4] = { 192, 0, 2, 1 };

	memset(p, 0, sizeof(*p));
	memcpy(p->key.src_addr, src, sizeof(src));
	memcpy(p->key.dst_addr, dst, sizeof(dst));
	p->key.in_if = 2;
	p->key.src_port = (uint16_t)(1000 + id);
	p->key.dst_port = 53;
	p->key.proto = 17;
	p->key.ip_version = 4;
	p->octets = 100;
	p->ttl = 64;
}

static void assert_stats_closed(const struct flow_cache *fc, uint64_t fed)
{
	struct flow_cache_stats st;
	uint64_t sum = 0;
	size_t r;

	flow_cache_get_stats(fc, &st);
	for (r = 0; r < 6; r++)
		sum += st.expired[r];
	assert_int_equal(st.expired[TFLOW_END_NONE], 0);
	assert_int_equal(st.active, 0);
	assert_int_equal(st.created, sum);
	assert_int_equal(st.packets, fed);
}

static void test_aggregate(void **state)
{
	static const uint8_t smac[6] = { 2, 0, 0, 0, 0, 1 };
	static const uint8_t dmac[6] = { 2, 0, 0, 0, 0, 2 };
	static const struct { uint64_t t; uint32_t octets; uint8_t ttl;
			      uint8_t flags; } in[] = {
		{ 1000, 60, 64, 0x02 },
		{ 1500, 1500, 60, 0x10 },
		{ 3000, 40, 70, 0x18 },
	};
	struct flow_cache_stats st;
	struct flow_cache *fc;
	struct sink s = { 0 };
	struct tflow_record *r;
	struct pkt_info p;
	size_t i;

	(void)state;
	fc = cache_new(16, 60000, 15000, &s);
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		make_pkt(&p, 7);
		p.key.proto = 6;
		p.key.tos = 0x28;
		p.vlan = 42;
		p.has_mac = 1;
		/* Later packets carry other MACs: the first one's are kept. */
		memcpy(p.src_mac, smac, 6);
		memcpy(p.dst_mac, dmac, 6);
		p.src_mac[5] += (uint8_t)i;
		p.octets = in[i].octets;
		p.ttl = in[i].ttl;
		p.tcp_flags = in[i].flags;
		flow_cache_update(fc, &p, in[i].t);
	}
	assert_int_equal(s.n, 0);
	flow_cache_get_stats(fc, &st);
	assert_int_equal(st.active, 1);
	assert_int_equal(st.created, 1);
	assert_int_equal(st.packets, 3);

	flow_cache_flush(fc);
	assert_int_equal(s.n, 1);
	r = &s.rec[0];
	assert_memory_equal(r->src_addr, p.key.src_addr, 16);
	assert_memory_equal(r->dst_addr, p.key.dst_addr, 16);
	assert_int_equal(r->src_port, 1007);
	assert_int_equal(r->dst_port, 53);
	assert_int_equal(r->proto, 6);
	assert_int_equal(r->tos, 0x28);
	assert_int_equal(r->ip_version, 4);
	assert_int_equal(r->in_if, 2);
	assert_int_equal(r->packets, 3);
	assert_int_equal(r->octets, 1600);
	assert_int_equal(r->first_ms, 1000);
	assert_int_equal(r->last_ms, 3000);
	assert_int_equal(r->tcp_flags, 0x1a);
	assert_int_equal(r->ttl_min, 60);
	assert_int_equal(r->ttl_max, 70);
	assert_int_equal(r->vlan, 42);
	assert_memory_equal(r->src_mac, smac, 6);
	assert_memory_equal(r->dst_mac, dmac, 6);
	assert_int_equal(r->end_reason, TFLOW_END_FORCED);
	assert_int_equal(r->version, 0);
	assert_int_equal(r->out_if, 0);
	assert_int_equal(r->exporter_family, 0);
	assert_false(r->time_estimated);
	assert_stats_closed(fc, 3);
	flow_cache_free(fc);
	sink_clear(&s);
}

/* No MAC from the parser (raw IP capture): the record says zero. */
static void test_no_mac(void **state)
{
	static const uint8_t zero[6];
	struct flow_cache *fc;
	struct sink s = { 0 };
	struct pkt_info p;

	(void)state;
	fc = cache_new(4, 60000, 15000, &s);
	make_pkt(&p, 1);
	memset(p.src_mac, 0xaa, 6);	/* stale bytes, has_mac = 0 */
	flow_cache_update(fc, &p, 0);
	flow_cache_flush(fc);
	assert_int_equal(s.n, 1);
	assert_memory_equal(s.rec[0].src_mac, zero, 6);
	assert_memory_equal(s.rec[0].dst_mac, zero, 6);
	flow_cache_free(fc);
	sink_clear(&s);
}

static void mut_src_addr(struct pkt_info *p) { p->key.src_addr[3] ^= 1; }
static void mut_dst_addr(struct pkt_info *p) { p->key.dst_addr[0] ^= 1; }
static void mut_src_addr_v6(struct pkt_info *p) { p->key.src_addr[15] = 1; }
static void mut_dst_addr_v6(struct pkt_info *p) { p->key.dst_addr[8] = 1; }
static void mut_src_port(struct pkt_info *p) { p->key.src_port++; }
static void mut_dst_port(struct pkt_info *p) { p->key.dst_port++; }
static void mut_proto(struct pkt_info *p) { p->key.proto = 6; }
static void mut_tos(struct pkt_info *p) { p->key.tos = 0xb8; }
static void mut_in_if(struct pkt_info *p) { p->key.in_if = 3; }
static void mut_ip_version(struct pkt_info *p) { p->key.ip_version = 6; }

/* A record's key fields equal the packet's. */
static void assert_rec_key(const struct tflow_record *r,
			   const struct pkt_info *p)
{
	assert_memory_equal(r->src_addr, p->key.src_addr, 16);
	assert_memory_equal(r->dst_addr, p->key.dst_addr, 16);
	assert_int_equal(r->src_port, p->key.src_port);
	assert_int_equal(r->dst_port, p->key.dst_port);
	assert_int_equal(r->proto, p->key.proto);
	assert_int_equal(r->tos, p->key.tos);
	assert_int_equal(r->in_if, p->key.in_if);
	assert_int_equal(r->ip_version, p->key.ip_version);
}

static void test_key_fields(void **state)
{
	static const struct {
		const char *name;
		void (*mut)(struct pkt_info *);
	} rows[] = {
		{ "src_addr", mut_src_addr },
		{ "dst_addr", mut_dst_addr },
		{ "src_addr last v6 byte", mut_src_addr_v6 },
		{ "dst_addr middle byte", mut_dst_addr_v6 },
		{ "src_port", mut_src_port },
		{ "dst_port", mut_dst_port },
		{ "proto", mut_proto },
		{ "tos", mut_tos },
		{ "in_if", mut_in_if },
		{ "ip_version", mut_ip_version },
	};
	struct pkt_info base, other;
	struct flow_cache *fc;
	struct sink s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&s, 0, sizeof(s));
		fc = cache_new(16, 60000, 15000, &s);
		make_pkt(&base, 1);
		other = base;
		rows[i].mut(&other);
		flow_cache_update(fc, &base, 0);
		flow_cache_update(fc, &other, 1);
		flow_cache_update(fc, &base, 2);
		flow_cache_flush(fc);
		if (s.n != 2)
			fail_msg("%s: %zu records, want 2", rows[i].name, s.n);
		/* Flush goes oldest first: base started first. */
		assert_int_equal(s.rec[0].packets, 2);
		assert_rec_key(&s.rec[0], &base);
		assert_int_equal(s.rec[1].packets, 1);
		assert_rec_key(&s.rec[1], &other);
		assert_stats_closed(fc, 3);
		flow_cache_free(fc);
		sink_clear(&s);
	}
}

/* A gap as long as the inactive timeout ends the record at the next packet. */
static void test_inactive_update(void **state)
{
	static const struct {
		uint64_t t2;		/* second packet; first at 1000 */
		size_t records;		/* emitted before flush */
	} rows[] = {
		{ 1000 + 14999, 0 },
		{ 1000 + 15000, 1 },	/* ">=": exactly the timeout ends it */
		{ 1000 + 60000, 1 },
	};
	struct flow_cache *fc;
	struct sink s;
	struct pkt_info p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&s, 0, sizeof(s));
		fc = cache_new(16, 600000, 15000, &s);
		make_pkt(&p, 1);
		flow_cache_update(fc, &p, 1000);
		p.octets = 200;
		flow_cache_update(fc, &p, rows[i].t2);
		assert_int_equal(s.n, rows[i].records);
		if (rows[i].records == 1) {
			assert_int_equal(s.rec[0].end_reason, TFLOW_END_IDLE);
			assert_int_equal(s.rec[0].packets, 1);
			assert_int_equal(s.rec[0].octets, 100);
			assert_int_equal(s.rec[0].last_ms, 1000);
		}
		flow_cache_flush(fc);
		assert_int_equal(s.n, rows[i].records + 1);
		assert_int_equal(sink_packets(&s), 2);
		assert_int_equal(s.rec[s.n - 1].last_ms, rows[i].t2);
		assert_int_equal(s.rec[s.n - 1].end_reason, TFLOW_END_FORCED);
		assert_stats_closed(fc, 2);
		flow_cache_free(fc);
		sink_clear(&s);
	}
}

static void test_inactive_expire(void **state)
{
	struct flow_cache_stats st;
	struct flow_cache *fc;
	struct sink s = { 0 };
	struct pkt_info a, b;

	(void)state;
	fc = cache_new(16, 600000, 15000, &s);
	make_pkt(&a, 1);
	make_pkt(&b, 2);
	flow_cache_update(fc, &a, 1000);
	flow_cache_update(fc, &b, 2000);
	flow_cache_update(fc, &a, 3000);	/* a is now the younger */

	flow_cache_expire(fc, 2000 + 14999);
	assert_int_equal(s.n, 0);
	flow_cache_expire(fc, 2000 + 15000);	/* exactly the timeout */
	assert_int_equal(s.n, 1);
	assert_rec_key(&s.rec[0], &b);
	assert_int_equal(s.rec[0].end_reason, TFLOW_END_IDLE);
	flow_cache_expire(fc, 3000 + 14999);
	assert_int_equal(s.n, 1);
	flow_cache_expire(fc, 3000 + 15000);
	assert_int_equal(s.n, 2);
	assert_rec_key(&s.rec[1], &a);
	assert_int_equal(s.rec[1].packets, 2);
	assert_int_equal(s.rec[1].first_ms, 1000);
	assert_int_equal(s.rec[1].last_ms, 3000);

	flow_cache_get_stats(fc, &st);
	assert_int_equal(st.active, 0);
	assert_int_equal(st.expired[TFLOW_END_IDLE], 2);
	/* The same key after expiry starts a fresh record. */
	flow_cache_update(fc, &a, 20000);
	flow_cache_flush(fc);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.rec[2].first_ms, 20000);
	assert_stats_closed(fc, 4);
	flow_cache_free(fc);
	sink_clear(&s);
}

/*
 * PRODUCT.md: a flow that lives longer than the active timeout is exported
 * and continues as a new record.  100 s, one packet a second, active 30 s.
 */
static void test_active(void **state)
{
	static const struct {
		const char *name;
		int expire_each;	/* call expire() before every packet */
		int end_by_flush;	/* else expire() after inactive */
	} rows[] = {
		{ "update only, flush", 0, 1 },
		{ "update only, idle", 0, 0 },
		{ "expire each second, flush", 1, 1 },
		{ "expire each second, idle", 1, 0 },
	};
	static const uint64_t want_pkts[4] = { 30, 30, 30, 10 };
	struct flow_cache *fc;
	struct sink s;
	struct pkt_info p;
	uint64_t t, octets;
	size_t i, r;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&s, 0, sizeof(s));
		fc = cache_new(16, 30000, 15000, &s);
		make_pkt(&p, 9);
		octets = 0;
		for (t = 0; t < 100; t++) {
			if (rows[i].expire_each)
				flow_cache_expire(fc, t * 1000);
			p.octets = (uint32_t)(40 + t);
			octets += p.octets;
			flow_cache_update(fc, &p, t * 1000);
		}
		if (rows[i].end_by_flush)
			flow_cache_flush(fc);
		else
			flow_cache_expire(fc, 99000 + 15000);
		if (s.n != 4)
			fail_msg("%s: %zu records, want 4", rows[i].name, s.n);
		for (r = 0; r < 4; r++) {
			assert_int_equal(s.rec[r].packets, want_pkts[r]);
			assert_int_equal(s.rec[r].first_ms, r * 30000);
			assert_int_equal(s.rec[r].last_ms,
					 r * 30000 + (want_pkts[r] - 1) * 1000);
			assert_int_equal(s.rec[r].end_reason,
					 r < 3 ? TFLOW_END_ACTIVE :
					 rows[i].end_by_flush ?
					 TFLOW_END_FORCED : TFLOW_END_IDLE);
		}
		assert_int_equal(sink_packets(&s), 100);
		assert_int_equal(s.rec[0].octets + s.rec[1].octets +
				 s.rec[2].octets + s.rec[3].octets, octets);
		/* 40+0 .. 40+29 */
		assert_int_equal(s.rec[0].octets, 30 * 40 + 29 * 30 / 2);
		assert_stats_closed(fc, 100);
		flow_cache_free(fc);
		sink_clear(&s);
	}
}

/* TCP FIN or RST ends the record after counting the packet. */
static void test_fin_rst(void **state)
{
	static const struct {
		uint8_t proto;
		uint8_t last_flags;
		size_t closed;		/* records before flush */
	} rows[] = {
		{ 6, 0x01, 1 },		/* FIN */
		{ 6, 0x11, 1 },		/* FIN|ACK */
		{ 6, 0x04, 1 },		/* RST */
		{ 6, 0x14, 1 },		/* RST|ACK */
		{ 6, 0x18, 0 },		/* PSH|ACK: goes on */
		{ 17, 0x01, 0 },	/* not TCP: flags mean nothing */
	};
	struct flow_cache_stats st;
	struct flow_cache *fc;
	struct sink s;
	struct pkt_info p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&s, 0, sizeof(s));
		fc = cache_new(16, 600000, 15000, &s);
		make_pkt(&p, 3);
		p.key.proto = rows[i].proto;
		p.tcp_flags = 0x02;
		flow_cache_update(fc, &p, 0);
		p.tcp_flags = 0x10;
		flow_cache_update(fc, &p, 10);
		p.tcp_flags = rows[i].last_flags;
		flow_cache_update(fc, &p, 20);
		assert_int_equal(s.n, rows[i].closed);
		flow_cache_get_stats(fc, &st);
		assert_int_equal(st.active, 1 - rows[i].closed);
		assert_int_equal(st.expired[TFLOW_END_DETECTED],
				 rows[i].closed);
		if (rows[i].closed) {
			assert_int_equal(s.rec[0].end_reason,
					 TFLOW_END_DETECTED);
			assert_int_equal(s.rec[0].packets, 3);
			assert_int_equal(s.rec[0].last_ms, 20);
			assert_int_equal(s.rec[0].tcp_flags,
					 0x12 | rows[i].last_flags);
		}
		/* The next packet of the key starts a new record. */
		p.tcp_flags = 0x10;
		flow_cache_update(fc, &p, 30);
		flow_cache_flush(fc);
		assert_int_equal(s.n, rows[i].closed + 1);
		assert_int_equal(s.rec[s.n - 1].packets,
				 rows[i].closed ? 1 : 4);
		assert_int_equal(s.rec[s.n - 1].first_ms,
				 rows[i].closed ? 30 : 0);
		assert_stats_closed(fc, 4);
		flow_cache_free(fc);
		sink_clear(&s);
	}
}

/* A single-packet TCP flow that opens with RST: one record, one packet. */
static void test_rst_first_packet(void **state)
{
	struct flow_cache *fc;
	struct sink s = { 0 };
	struct pkt_info p;

	(void)state;
	fc = cache_new(4, 60000, 15000, &s);
	make_pkt(&p, 5);
	p.key.proto = 6;
	p.tcp_flags = 0x14;
	flow_cache_update(fc, &p, 5);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.rec[0].packets, 1);
	assert_int_equal(s.rec[0].end_reason, TFLOW_END_DETECTED);
	assert_stats_closed(fc, 1);
	flow_cache_free(fc);
	sink_clear(&s);
}

static void test_full_evicts_lru(void **state)
{
	struct flow_cache_stats st;
	struct flow_cache *fc;
	struct sink s = { 0 };
	struct pkt_info p;
	uint64_t fed = 0;
	uint32_t id;

	(void)state;
	fc = cache_new(4, 600000, 15000, &s);
	for (id = 1; id <= 4; id++) {
		make_pkt(&p, id);
		flow_cache_update(fc, &p, id);
		fed++;
	}
	make_pkt(&p, 1);			/* 1 is now the youngest: */
	flow_cache_update(fc, &p, 5);		/* LRU order 2 3 4 1 */
	fed++;
	assert_int_equal(s.n, 0);

	make_pkt(&p, 5);
	flow_cache_update(fc, &p, 6);		/* evicts 2 */
	fed++;
	assert_int_equal(s.n, 1);
	make_pkt(&p, 2);
	assert_rec_key(&s.rec[0], &p);
	assert_int_equal(s.rec[0].end_reason, TFLOW_END_RESOURCES);
	assert_int_equal(s.rec[0].packets, 1);

	make_pkt(&p, 3);
	flow_cache_update(fc, &p, 7);		/* hit: order 4 1 5 3 */
	fed++;
	make_pkt(&p, 6);
	flow_cache_update(fc, &p, 8);		/* evicts 4 */
	fed++;
	assert_int_equal(s.n, 2);
	make_pkt(&p, 4);
	assert_rec_key(&s.rec[1], &p);

	flow_cache_get_stats(fc, &st);
	assert_int_equal(st.active, 4);
	assert_int_equal(st.expired[TFLOW_END_RESOURCES], 2);
	assert_int_equal(st.created, 6);

	flow_cache_flush(fc);
	assert_int_equal(s.n, 6);
	assert_int_equal(sink_packets(&s), fed);
	assert_stats_closed(fc, fed);
	flow_cache_free(fc);
	sink_clear(&s);
}

/* One entry: every new key evicts the other, nothing is lost. */
static void test_single_entry(void **state)
{
	struct flow_cache *fc;
	struct sink s = { 0 };
	struct pkt_info p;
	uint64_t t;
	size_t i;

	(void)state;
	fc = cache_new(1, 600000, 15000, &s);
	for (t = 0; t < 10; t++) {
		make_pkt(&p, (uint32_t)(t & 1));
		flow_cache_update(fc, &p, t);
		flow_cache_update(fc, &p, t);
	}
	flow_cache_flush(fc);
	assert_int_equal(s.n, 10);
	for (i = 0; i < s.n; i++) {
		assert_int_equal(s.rec[i].packets, 2);
		assert_int_equal(s.rec[i].src_port, 1000 + (i & 1));
		assert_int_equal(s.rec[i].end_reason, i < 9 ?
				 TFLOW_END_RESOURCES : TFLOW_END_FORCED);
	}
	assert_stats_closed(fc, 20);
	flow_cache_free(fc);
	sink_clear(&s);
}

static void test_flush_reusable(void **state)
{
	struct flow_cache_stats st;
	struct flow_cache *fc;
	struct sink s = { 0 };
	struct pkt_info p;
	uint32_t id, round;
	size_t i;

	(void)state;
	fc = cache_new(16, 600000, 15000, &s);
	flow_cache_flush(fc);			/* empty: nothing */
	assert_int_equal(s.n, 0);
	for (round = 0; round < 3; round++) {
		/* Start in reverse id order, touch in forward order: flush
		 * follows start time, not LRU order or the index. */
		for (id = 10; id >= 1; id--) {
			make_pkt(&p, id);
			flow_cache_update(fc, &p, 1000 * round + 10 - id);
		}
		for (id = 1; id <= 10; id++) {
			make_pkt(&p, id);
			flow_cache_update(fc, &p, 1000 * round + 100 + id);
		}
		flow_cache_flush(fc);
		assert_int_equal(s.n, 10);
		for (i = 0; i < 10; i++) {
			assert_int_equal(s.rec[i].end_reason,
					 TFLOW_END_FORCED);
			assert_int_equal(s.rec[i].src_port, 1000 + 10 - i);
			assert_int_equal(s.rec[i].packets, 2);
		}
		flow_cache_get_stats(fc, &st);
		assert_int_equal(st.active, 0);
		assert_int_equal(st.created, 10 * (round + 1));
		assert_int_equal(st.expired[TFLOW_END_FORCED],
				 10 * (round + 1));
		flow_cache_expire(fc, UINT64_MAX / 2);	/* nothing left */
		assert_int_equal(s.n, 10);
		s.n = 0;
	}
	assert_stats_closed(fc, 60);
	flow_cache_free(fc);
	sink_clear(&s);
}

/* A clock that steps back must not read as a huge idle gap. */
static void test_clock_step_back(void **state)
{
	struct flow_cache *fc;
	struct sink s = { 0 };
	struct pkt_info p;

	(void)state;
	fc = cache_new(4, 60000, 15000, &s);
	make_pkt(&p, 1);
	flow_cache_update(fc, &p, 10000);
	flow_cache_update(fc, &p, 9000);
	flow_cache_expire(fc, 5000);
	assert_int_equal(s.n, 0);
	flow_cache_flush(fc);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.rec[0].packets, 2);
	assert_int_equal(s.rec[0].first_ms, 10000);
	assert_int_equal(s.rec[0].last_ms, 10000);
	flow_cache_free(fc);
	sink_clear(&s);
}

/*
 * Randomized: a hot set and a long tail of keys through a cache too small
 * for them, dense and sparse phases of time steps, periodic expiry and the
 * odd FIN/RST, so every end reason occurs.  Per key, the records must add up
 * to what was fed, follow each other in time, and never outlive the active
 * timeout.
 */
#define RND_KEYS	5000
#define RND_PACKETS	100000
#define RND_ACTIVE_MS	5000
#define RND_INACTIVE_MS	2000

struct rnd_key {
	uint64_t fed_pkts, fed_octets;
	uint64_t got_pkts, got_octets;
	uint64_t last_end;	/* last_ms of the key's latest record */
};

struct rnd_sink {
	struct rnd_key *k;
	uint64_t records;
	uint64_t by_reason[6];
	int bad;		/* first broken invariant, 0 none */
};

static void rnd_emit(const struct tflow_record *rec, void *ctx)
{
	struct rnd_sink *s = ctx;
	uint32_t id = (uint32_t)rec->src_addr[1] << 16 |
		      (uint32_t)rec->src_addr[2] << 8 | rec->src_addr[3];
	struct rnd_key *k;

	s->records++;
	if (rec->end_reason < 6)
		s->by_reason[rec->end_reason]++;
	if (id >= RND_KEYS || rec->src_port != 1000 + id) {
		s->bad = s->bad ? s->bad : 1;
		return;
	}
	k = &s->k[id];
	if (rec->packets == 0 || rec->first_ms > rec->last_ms)
		s->bad = s->bad ? s->bad : 2;
	if (rec->last_ms - rec->first_ms >= RND_ACTIVE_MS)
		s->bad = s->bad ? s->bad : 3;
	if (rec->first_ms < k->last_end)
		s->bad = s->bad ? s->bad : 4;
	k->last_end = rec->last_ms;
	k->got_pkts += rec->packets;
	k->got_octets += rec->octets;
}

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void test_random(void **state)
{
	struct flow_cache_config cfg = {
		.entries = 1024,
		.active_timeout_ms = RND_ACTIVE_MS,
		.inactive_timeout_ms = RND_INACTIVE_MS,
	};
	struct flow_cache_stats st;
	struct rnd_sink s = { 0 };
	struct flow_cache *fc;
	struct pkt_info p;
	uint64_t rng = 0x9e3779b97f4a7c15ULL, now = 0, r, sum;
	uint32_t id, n;
	size_t i;

	(void)state;
	s.k = calloc(RND_KEYS, sizeof(*s.k));
	assert_non_null(s.k);
	fc = flow_cache_new(&cfg, seed, rnd_emit, &s);
	assert_non_null(fc);
	for (n = 0; n < RND_PACKETS; n++) {
		r = xorshift(&rng);
		/* 3 in 4 packets from 300 hot keys, the rest from all. */
		id = (r & 3) ? (uint32_t)(r >> 8) % 300 :
			       (uint32_t)(r >> 8) % RND_KEYS;
		make_pkt(&p, id);
		if (id % 3 == 0) {
			p.key.proto = 6;
			if ((r >> 40) % 100 == 0)
				p.tcp_flags = (r >> 48) & 1 ? 0x11 : 0x04;
			else
				p.tcp_flags = 0x10;
		}
		p.octets = 40 + (uint32_t)((r >> 32) % 1460);
		p.ttl = (uint8_t)(r >> 56);
		/* Dense phases (0-1 ms steps) overflow the cache; sparse
		 * ones (0-19 ms) let flows go idle. */
		if ((n / 10000) & 1)
			now += (r >> 20) % 20;
		else
			now += (r >> 20) & 1;
		flow_cache_update(fc, &p, now);
		s.k[id].fed_pkts++;
		s.k[id].fed_octets += p.octets;
		if (n % 97 == 0)
			flow_cache_expire(fc, now);
		if (s.bad)
			fail_msg("invariant %d broken at packet %u", s.bad, n);
	}
	flow_cache_flush(fc);
	if (s.bad)
		fail_msg("invariant %d broken at flush", s.bad);
	for (i = 0; i < RND_KEYS; i++) {
		if (s.k[i].got_pkts != s.k[i].fed_pkts ||
		    s.k[i].got_octets != s.k[i].fed_octets)
			fail_msg("key %zu: fed %ju/%ju got %ju/%ju", i,
				 (uintmax_t)s.k[i].fed_pkts,
				 (uintmax_t)s.k[i].fed_octets,
				 (uintmax_t)s.k[i].got_pkts,
				 (uintmax_t)s.k[i].got_octets);
	}
	flow_cache_get_stats(fc, &st);
	sum = 0;
	for (i = 0; i < 6; i++) {
		assert_int_equal(st.expired[i], s.by_reason[i]);
		sum += st.expired[i];
	}
	assert_int_equal(sum, s.records);
	assert_int_equal(st.created, s.records);
	assert_int_equal(st.packets, RND_PACKETS);
	assert_int_equal(st.active, 0);
	/* The mix must actually exercise every way a record ends. */
	for (i = TFLOW_END_IDLE; i <= TFLOW_END_RESOURCES; i++)
		if (st.expired[i] == 0)
			fail_msg("no record ended with reason %zu", i);
	flow_cache_free(fc);
	free(s.k);
}

/*
 * Resizing: a table of (capacity, new capacity) cases over 8 flows fed in
 * id order at t = id, with flow 1 touched again last (LRU order 2..8 1).
 * A smaller cache evicts the LRU head first (reason resources); a larger
 * one keeps everything; afterwards the cache works as before (hits stay
 * hits, expiry order is kept, new flows fill the new capacity) and every
 * packet fed is in exactly one record.
 */
static void test_resize(void **state)
{
	static const struct {
		uint32_t from, to;
		uint32_t evicted;		/* flows emitted by resize */
		uint32_t first_evicted;		/* id of the first of them */
	} cases[] = {
		{ 8, 8, 0, 0 },
		{ 8, 16, 0, 0 },
		{ 8, 1000, 0, 0 },
		{ 8, 5, 3, 2 },
		{ 8, 1, 7, 2 },
		{ 16, 8, 0, 0 },
		{ 16, 7, 1, 2 },
	};
	struct flow_cache_stats st;
	struct flow_cache *fc;
	struct pkt_info p;
	size_t c, k, base;

	(void)state;
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct sink s = { 0 };
		uint64_t fed = 0;
		uint32_t id, active;

		fc = cache_new(cases[c].from, 600000, 15000, &s);
		for (id = 1; id <= 8; id++) {
			make_pkt(&p, id);
			flow_cache_update(fc, &p, id);
			fed++;
		}
		make_pkt(&p, 1);
		flow_cache_update(fc, &p, 9);
		fed++;
		assert_int_equal(flow_cache_resize(fc, cases[c].to), 0);
		assert_int_equal(flow_cache_capacity(fc), cases[c].to);
		assert_int_equal(s.n, cases[c].evicted);
		for (k = 0; k < s.n; k++) {
			make_pkt(&p, cases[c].first_evicted + (uint32_t)k);
			assert_rec_key(&s.rec[k], &p);
			assert_int_equal(s.rec[k].end_reason,
					 TFLOW_END_RESOURCES);
		}
		active = 8 - cases[c].evicted;
		flow_cache_get_stats(fc, &st);
		assert_int_equal(st.active, active);
		assert_int_equal(st.expired[TFLOW_END_RESOURCES],
				 cases[c].evicted);

		/* Flow 1 survived every case (youngest): still a hit. */
		make_pkt(&p, 1);
		flow_cache_update(fc, &p, 10);
		fed++;
		flow_cache_get_stats(fc, &st);
		assert_int_equal(st.created, 8);
		assert_int_equal(st.active, active);

		/* Idle expiry keeps the LRU order: at t = 15005 the flows
		 * last seen at 2..8 are due, flow 1 (t = 10) is not. */
		base = s.n;
		flow_cache_expire(fc, 15008);
		assert_int_equal(s.n - base, active - 1);
		for (k = base + 1; k < s.n; k++)
			assert_true(s.rec[k - 1].last_ms < s.rec[k].last_ms);
		for (k = base; k < s.n; k++)
			assert_int_equal(s.rec[k].end_reason, TFLOW_END_IDLE);

		/* New flows fill the new capacity, then evict. */
		for (id = 100; id < 100 + cases[c].to + 2 && id < 200;
		     id++) {
			make_pkt(&p, id);
			flow_cache_update(fc, &p, 15009);
			fed++;
		}
		flow_cache_get_stats(fc, &st);
		assert_int_equal(st.active, cases[c].to < 100 ?
				 cases[c].to : 1 + 100);
		flow_cache_flush(fc);
		assert_int_equal(sink_packets(&s), fed);
		assert_stats_closed(fc, fed);
		flow_cache_free(fc);
		sink_clear(&s);
	}
}

/* Resize to 0 or past the limit is refused and changes nothing. */
static void test_resize_rejects(void **state)
{
	struct flow_cache_stats st;
	struct flow_cache *fc;
	struct sink s = { 0 };
	struct pkt_info p;

	(void)state;
	fc = cache_new(4, 600000, 15000, &s);
	make_pkt(&p, 1);
	flow_cache_update(fc, &p, 1);
	assert_int_equal(flow_cache_resize(fc, 0), -EINVAL);
	assert_int_equal(flow_cache_resize(fc, UINT32_MAX), -EINVAL);
	assert_int_equal(flow_cache_capacity(fc), 4);
	flow_cache_get_stats(fc, &st);
	assert_int_equal(st.active, 1);
	assert_int_equal(s.n, 0);
	flow_cache_flush(fc);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.rec[0].packets, 1);
	flow_cache_free(fc);
	sink_clear(&s);
}

/*
 * The random run of test_random with a resize and a timeout change every
 * few thousand packets: still no packet lost or counted twice.
 */
static void test_resize_random(void **state)
{
	static const uint32_t sizes[] = { 1024, 17, 4096, 300, 1, 2048 };
	static const uint64_t timeouts[][2] = {
		{ 2000, 500 }, { 500, 100 }, { 60000, 30000 }, { 1, 1 },
	};
	struct flow_cache_config cfg = {
		.entries = 1024,
		.active_timeout_ms = 2000,
		.inactive_timeout_ms = 500,
	};
	struct flow_cache_stats st;
	struct flow_cache *fc;
	struct sink s = { 0 };
	struct pkt_info p;
	uint64_t rng = 0x2545f4914f6cdd1dULL, now = 0, r, fed = 0;
	uint32_t n;

	(void)state;
	fc = flow_cache_new(&cfg, seed, sink_emit, &s);
	assert_non_null(fc);
	for (n = 0; n < 60000; n++) {
		r = xorshift(&rng);
		make_pkt(&p, (uint32_t)(r >> 8) % 3000);
		now += (r >> 20) & 3;
		flow_cache_update(fc, &p, now);
		fed++;
		if (n % 5000 == 4999)
			assert_int_equal(flow_cache_resize(fc,
			    sizes[(n / 5000) % 6]), 0);
		if (n % 7000 == 6999)
			assert_int_equal(flow_cache_set_timeouts(fc,
			    timeouts[(n / 7000) % 4][0],
			    timeouts[(n / 7000) % 4][1]), 0);
		if (n % 101 == 0)
			flow_cache_expire(fc, now);
		flow_cache_get_stats(fc, &st);
		if (st.active > flow_cache_capacity(fc))
			fail_msg("%ju active > capacity %u", (uintmax_t)st.active,
				 flow_cache_capacity(fc));
	}
	flow_cache_flush(fc);
	assert_int_equal(sink_packets(&s), fed);
	assert_stats_closed(fc, fed);
	flow_cache_free(fc);
	sink_clear(&s);
}

/* New timeouts apply to the flows already cached. */
static void test_set_timeouts(void **state)
{
	struct flow_cache *fc;
	struct sink s = { 0 };
	struct pkt_info p;

	(void)state;
	fc = cache_new(16, 600000, 15000, &s);
	make_pkt(&p, 1);
	flow_cache_update(fc, &p, 1000);
	make_pkt(&p, 2);
	flow_cache_update(fc, &p, 1000);
	flow_cache_update(fc, &p, 3000);
	assert_int_equal(flow_cache_next_expiry(fc), 16000);
	assert_int_equal(flow_cache_set_timeouts(fc, 0, 1000), -EINVAL);
	assert_int_equal(flow_cache_set_timeouts(fc, 1000, 0), -EINVAL);
	assert_int_equal(flow_cache_next_expiry(fc), 16000);

	/* Inactive 1 s: flow 1 (idle since 1000) is due at 2000, flow 2
	 * (last 3000) at 4000. */
	assert_int_equal(flow_cache_set_timeouts(fc, 600000, 1000), 0);
	assert_int_equal(flow_cache_next_expiry(fc), 2000);
	flow_cache_expire(fc, 3500);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.rec[0].end_reason, TFLOW_END_IDLE);
	assert_int_equal(s.rec[0].src_port, 1001);

	/* Active 2.5 s: flow 2 started at 1000, due at 3500 as active. */
	assert_int_equal(flow_cache_set_timeouts(fc, 2500, 60000), 0);
	flow_cache_expire(fc, 3500);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.rec[1].end_reason, TFLOW_END_ACTIVE);
	assert_int_equal(s.rec[1].packets, 2);
	flow_cache_free(fc);
	sink_clear(&s);
}

static void test_entry_size(void **state)
{
	(void)state;
	assert_true(flow_cache_entry_size() <= 128);
	/* key + counters cannot take less: catch a bogus 0. */
	assert_true(flow_cache_entry_size() >= sizeof(struct flow_key) + 32);
}

static void dummy_emit(const struct tflow_record *rec, void *ctx)
{
	(void)rec;
	(void)ctx;
}

static void test_new_rejects(void **state)
{
	static const struct flow_cache_config bad[] = {
		{ 0, 1000, 1000 },
		{ 4, 0, 1000 },
		{ 4, 1000, 0 },
		{ UINT32_MAX, 1000, 1000 },
	};
	const struct flow_cache_config ok = { 4, 1000, 1000 };
	struct flow_cache *fc;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		assert_null(flow_cache_new(&bad[i], seed, dummy_emit, NULL));
		assert_int_equal(errno, EINVAL);
	}
	errno = 0;
	assert_null(flow_cache_new(&ok, seed, NULL, NULL));
	assert_int_equal(errno, EINVAL);
	fc = flow_cache_new(&ok, seed, dummy_emit, NULL);
	assert_non_null(fc);
	flow_cache_free(fc);
	flow_cache_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aggregate),
		cmocka_unit_test(test_no_mac),
		cmocka_unit_test(test_key_fields),
		cmocka_unit_test(test_inactive_update),
		cmocka_unit_test(test_inactive_expire),
		cmocka_unit_test(test_active),
		cmocka_unit_test(test_fin_rst),
		cmocka_unit_test(test_rst_first_packet),
		cmocka_unit_test(test_full_evicts_lru),
		cmocka_unit_test(test_single_entry),
		cmocka_unit_test(test_flush_reusable),
		cmocka_unit_test(test_clock_step_back),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_entry_size),
		cmocka_unit_test(test_new_rejects),
		cmocka_unit_test(test_resize),
		cmocka_unit_test(test_resize_rejects),
		cmocka_unit_test(test_resize_random),
		cmocka_unit_test(test_set_timeouts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
