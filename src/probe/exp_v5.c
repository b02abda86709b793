/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * exp_v5: NetFlow v5: a 24-byte header (flow sequence, engine type/id,
 * sampling mode and interval) and up to 30 fixed 48-byte IPv4 records.
 * flow_sequence counts the records sent before this datagram, so a
 * collector sees lost records as a gap.  Counters are 32 bits: a larger
 * record goes out as several records whose counts sum to the original.
 */
#include "exp_int.h"

#include "tflow/wire.h"

#define V5_SAMPLING_DETERMINISTIC	(UINT16_C(1) << 14)
#define V5_SAMPLING_MAX			0x3fff

static void v5_put(struct exp *e, const struct tflow_record *r,
		   uint32_t pkts, uint32_t octets)
{
	struct wire_cursor *c = &e->c;

	exp_put_v1v5_head(e, r, pkts, octets);
	wire_put_u8(c, 0);
	wire_put_u8(c, r->tcp_flags);
	wire_put_u8(c, r->proto);
	wire_put_u8(c, r->tos);
	wire_put_u16(c, 0);		/* src_as: no BGP */
	wire_put_u16(c, 0);		/* dst_as */
	wire_put_u8(c, r->src_mask);
	wire_put_u8(c, r->dst_mask);
	wire_put_u16(c, 0);
}

static int v5_add(struct exp *e, const struct tflow_record *r,
		  uint64_t now_ms)
{
	return exp_fixed_add(e, r, now_ms, NF_V5_MAX_RECORDS, v5_put);
}

/* Mode 01 (deterministic: RouterOS's interval/space is count based) and
 * the 1-in-N interval, N = (interval + space) / interval rounded; 0 when
 * not sampling. */
static uint16_t v5_sampling(const struct exp *e)
{
	uint32_t n = exp_sampling_rate(&e->p);

	if (n == 0)
		return 0;
	if (n > V5_SAMPLING_MAX)
		n = V5_SAMPLING_MAX;
	return V5_SAMPLING_DETERMINISTIC | (uint16_t)n;
}

static void v5_header(struct exp *e, struct wire_cursor *c, size_t len,
		      uint64_t now_ms)
{
	(void)len;
	wire_put_u16(c, NF_V5_VERSION);
	wire_put_u16(c, (uint16_t)e->dg_records);
	wire_put_u32(c, exp_uptime(e, now_ms));
	wire_put_u32(c, (uint32_t)(now_ms / 1000));
	wire_put_u32(c, (uint32_t)(now_ms % 1000) * 1000000);
	wire_put_u32(c, (uint32_t)e->seq);
	wire_put_u8(c, e->p.engine_type);
	wire_put_u8(c, e->p.engine_id);
	wire_put_u16(c, v5_sampling(e));
	e->seq += e->dg_records;
}

const struct exp_ops exp_v5_ops = {
	.version = NF_V5_VERSION,
	.hdr_len = sizeof(struct nf_v5_header),
	.add = v5_add,
	.header = v5_header,
};
