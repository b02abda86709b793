/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * blk_fixture: a decoded block in memory, laid out as
 * store_file_read_block() returns it (struct store_cols over arrays of
 * NMAX entries), for the query engine's unit tests (test_filter,
 * test_agg), plus sel[], the identity selection.  Header-only: each test
 * includes it once.
 */
#ifndef TFLOW_TEST_BLK_FIXTURE_H
#define TFLOW_TEST_BLK_FIXTURE_H

#include <stdint.h>
#include <string.h>

#include "store.h"

#define NMAX 20000

struct blk {
	struct store_cols c;
	uint64_t first_ms[NMAX], last_ms[NMAX], packets[NMAX], bytes[NMAX];
	uint8_t src[NMAX][16], dst[NMAX][16], nh[NMAX][16];
	uint16_t sport[NMAX], dport[NMAX], exporter[NMAX];
	uint8_t proto[NMAX], ipver[NMAX], tos[NMAX], flags[NMAX];
	uint32_t in_if[NMAX], out_if[NMAX];
	uint32_t sel[NMAX];
};

/* Zeroes b and points its columns at its arrays; n records. */
static inline void blk_init(struct blk *b, size_t n)
{
	size_t i;

	memset(b, 0, sizeof(*b));
	b->c.n = n;
	b->c.first_ms = b->first_ms;
	b->c.last_ms = b->last_ms;
	b->c.packets = b->packets;
	b->c.bytes = b->bytes;
	b->c.src_addr = b->src;
	b->c.dst_addr = b->dst;
	b->c.next_hop = b->nh;
	b->c.src_port = b->sport;
	b->c.dst_port = b->dport;
	b->c.exporter = b->exporter;
	b->c.proto = b->proto;
	b->c.ip_version = b->ipver;
	b->c.tos = b->tos;
	b->c.tcp_flags = b->flags;
	b->c.in_if = b->in_if;
	b->c.out_if = b->out_if;
	for (i = 0; i < NMAX; i++)
		b->sel[i] = (uint32_t)i;
}

#endif
