/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * exp_v1: NetFlow v1, the original Cisco format: a 16-byte header and up to
 * 24 fixed 48-byte IPv4 records.  No sequence number, no engine, no
 * sampling field.  Counters are 32 bits: a larger record goes out as
 * several records whose counts sum to the original (exp_common.c).
 */
#include "exp_int.h"

#include "tflow/wire.h"

static void v1_put(struct exp *e, const struct tflow_record *r,
		   uint32_t pkts, uint32_t octets)
{
	struct wire_cursor *c = &e->c;

	exp_put_v1v5_head(e, r, pkts, octets);
	wire_put_zero(c, 2);
	wire_put_u8(c, r->proto);
	wire_put_u8(c, r->tos);
	wire_put_u8(c, r->tcp_flags);
	wire_put_zero(c, 7);
}

static int v1_add(struct exp *e, const struct tflow_record *r,
		  uint64_t now_ms)
{
	return exp_fixed_add(e, r, now_ms, NF_V1_MAX_RECORDS, v1_put);
}

static void v1_header(struct exp *e, struct wire_cursor *c, size_t len,
		      uint64_t now_ms)
{
	(void)len;
	wire_put_u16(c, NF_V1_VERSION);
	wire_put_u16(c, (uint16_t)e->dg_records);
	wire_put_u32(c, exp_uptime(e, now_ms));
	wire_put_u32(c, (uint32_t)(now_ms / 1000));
	wire_put_u32(c, (uint32_t)(now_ms % 1000) * 1000000);
}

const struct exp_ops exp_v1_ops = {
	.version = NF_V1_VERSION,
	.hdr_len = sizeof(struct nf_v1_header),
	.add = v1_add,
	.header = v1_header,
};
