/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Helpers for the exporter tests: a sink that keeps a copy of every datagram
 * the encoder emits, a byte builder to write expected datagrams field by
 * field from the RFC layouts (independently of the encoder's tables), and a
 * known IPv4 and IPv6 record.  Include after cmocka.h.
 */
#ifndef TFLOW_EXP_TEST_H
#define TFLOW_EXP_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exp.h"

#define SINK_MAX	4096
#define DGRAM_MAX	2048

struct sink {
	size_t n;
	int rc;			/* what emit returns */
	size_t len[SINK_MAX];
	uint8_t d[SINK_MAX][DGRAM_MAX];
};

static inline int sink_emit(const uint8_t *dgram, size_t len, void *ctx)
{
	struct sink *s = ctx;

	assert_true(s->n < SINK_MAX);
	assert_true(len <= DGRAM_MAX);
	memcpy(s->d[s->n], dgram, len);
	s->len[s->n++] = len;
	return s->rc;
}

static inline struct sink *sink_new(void)
{
	struct sink *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	return s;
}

/* Byte builder for expected wire images. */
struct bb {
	size_t n;
	uint8_t b[DGRAM_MAX];
};

static inline void bb_u(struct bb *b, uint64_t v, unsigned len)
{
	while (len-- > 0)
		b->b[b->n++] = (uint8_t)(v >> (8 * len));
}
#define b8(b, v)	bb_u(b, v, 1)
#define b16(b, v)	bb_u(b, v, 2)
#define b32(b, v)	bb_u(b, v, 4)
#define b64(b, v)	bb_u(b, v, 8)

static inline void bbytes(struct bb *b, const void *p, size_t n)
{
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

static inline void bzero_n(struct bb *b, size_t n)
{
	memset(b->b + b->n, 0, n);
	b->n += n;
}

/* Patch a 16-bit value at offset off (set lengths written after). */
static inline void bb_put16(struct bb *b, size_t off, uint16_t v)
{
	b->b[off] = (uint8_t)(v >> 8);
	b->b[off + 1] = (uint8_t)v;
}

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

/* Compare with a hex dump of the first difference on failure. */
static inline void assert_bytes(const uint8_t *got, size_t got_len,
			 const uint8_t *want, size_t want_len)
{
	size_t i;

	for (i = 0; i < got_len && i < want_len; i++)
		if (got[i] != want[i]) {
			print_error("byte %zu: got %02x want %02x\n", i,
				    got[i], want[i]);
			break;
		}
	assert_int_equal(got_len, want_len);
	assert_memory_equal(got, want, want_len);
}

/* Set ids and lengths of a datagram after its hdr-byte header; returns
 * the number of sets, asserting every length is sane and 4-aligned. */
static inline size_t set_walk(const uint8_t *d, size_t len, size_t hdr,
			      uint16_t *ids, uint16_t *lens, size_t max)
{
	size_t off = hdr, n = 0;
	uint16_t sl;

	while (off < len) {
		assert_true(off + 4 <= len);
		sl = get16(d + off + 2);
		assert_true(sl >= 4 && off + sl <= len);
		assert_int_equal(sl % 4, 0);
		if (n < max) {
			ids[n] = get16(d + off);
			lens[n] = sl;
		}
		n++;
		off += sl;
	}
	return n;
}

#define T_INIT_MS	UINT64_C(1700000000000)	/* 0x6553f100 s */
#define T_NOW_MS	(T_INIT_MS + 10123)	/* uptime 10123 ms */

/* 10.0.0.1:1234 -> 192.0.2.10:80 TCP via 10.0.0.254, if 2 -> 3. */
static inline void rec_v4(struct tflow_record *r)
{
	static const uint8_t src[4] = { 10, 0, 0, 1 };
	static const uint8_t dst[4] = { 192, 0, 2, 10 };
	static const uint8_t nh[4] = { 10, 0, 0, 254 };
	static const uint8_t smac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	static const uint8_t dmac[6] = { 0x02, 0, 0, 0, 0, 0x02 };

	memset(r, 0, sizeof(*r));
	memcpy(r->src_addr, src, 4);
	memcpy(r->dst_addr, dst, 4);
	memcpy(r->next_hop, nh, 4);
	memcpy(r->src_mac, smac, 6);
	memcpy(r->dst_mac, dmac, 6);
	r->ip_version = 4;
	r->packets = 10;
	r->octets = 1500;
	r->first_ms = T_INIT_MS + 1000;
	r->last_ms = T_INIT_MS + 5000;
	r->in_if = 2;
	r->out_if = 3;
	r->src_port = 1234;
	r->dst_port = 80;
	r->proto = 6;
	r->tos = 0x10;
	r->tcp_flags = 0x1b;
	r->src_mask = 24;
	r->dst_mask = 32;
	r->ttl_min = 60;
	r->ttl_max = 64;
	r->end_reason = TFLOW_END_IDLE;
}

/* 2001:db8::1 -> ff02::1 ICMPv6 echo request (type 128 code 0). */
static inline void rec_v6(struct tflow_record *r)
{
	rec_v4(r);
	memset(r->src_addr, 0, 16);
	memset(r->dst_addr, 0, 16);
	memset(r->next_hop, 0, 16);
	r->src_addr[0] = 0x20;
	r->src_addr[1] = 0x01;
	r->src_addr[2] = 0x0d;
	r->src_addr[3] = 0xb8;
	r->src_addr[15] = 1;
	r->dst_addr[0] = 0xff;
	r->dst_addr[1] = 0x02;
	r->dst_addr[15] = 1;
	r->ip_version = 6;
	r->proto = 58;
	r->src_port = 0;
	r->dst_port = 128 << 8;
	r->tcp_flags = 0;
	r->src_mask = 64;
	r->dst_mask = 128;
}

#endif
