/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dec_v5: NetFlow v5.  A 24-byte header, then `count` (1..30) records of
 * 48 bytes.  Domain: engine type << 8 | engine id.  flow_sequence counts
 * flows, so a gap is a number of lost records.  The header's sampling
 * field (2 mode bits, 14 interval bits) is attached to every record.
 */
#include "tflow/wire.h"
#include "dec_priv.h"

#define V5_SAMPLING_INTERVAL_MASK	0x3fff

enum dec_err dec_v5(struct dec_ctx *ctx, const struct dec_source *src,
		    const uint8_t *buf, size_t len, uint64_t now_ms,
		    const struct dec_out *out)
{
	struct wire_cursor c;
	struct dec_exporter *e;
	struct dec_hdr h;
	struct tflow_record rec;
	uint32_t secs, nsecs, seq, interval;
	uint16_t count, sampling, i;
	uint8_t engine_type, engine_id;
	enum dec_err r;

	wire_init(&c, buf, len);
	wire_skip(&c, 2);			/* version */
	count = wire_get_u16(&c);
	h.uptime_ms = wire_get_u32(&c);
	secs = wire_get_u32(&c);
	nsecs = wire_get_u32(&c);
	seq = wire_get_u32(&c);
	engine_type = wire_get_u8(&c);
	engine_id = wire_get_u8(&c);
	sampling = wire_get_u16(&c);
	if (c.err) {
		dec_count(ctx, NULL, DEC_ERR_SHORT);
		return DEC_ERR_SHORT;
	}
	h.version = NF_V5_VERSION;
	/* Framing first, before an exporter entry is made for it. */
	r = DEC_OK;
	if (count == 0 || count > NF_V5_MAX_RECORDS)
		r = DEC_ERR_COUNT;
	/* Trailing bytes after the last record are tolerated (padding);
	 * fewer than count records are not. */
	else if (wire_left(&c) < (size_t)count * sizeof(struct nf_v5_record))
		r = DEC_ERR_LENGTH;
	if (r != DEC_OK) {
		dec_count(ctx, dec_exporter_lookup(ctx, src, NF_V5_VERSION,
			  (uint32_t)engine_type << 8 | engine_id), r);
		return r;
	}
	e = dec_exporter_get(ctx, src, NF_V5_VERSION,
			     (uint32_t)engine_type << 8 | engine_id);
	if (e == NULL)
		return DEC_ERR_EXPORTER_LIMIT;
	dec_hdr_time(&h, (uint64_t)secs * 1000 + nsecs / 1000000, now_ms);
	e->st.datagrams++;
	dec_uptime_check(e, &h);
	dec_seq(e, seq, count);

	/* 1-in-N as PSAMP: 1 taken, N-1 skipped.  Interval 0: not sampled
	 * or not said. */
	interval = sampling & V5_SAMPLING_INTERVAL_MASK;
	e->samp_packets = interval ? 1 : 0;
	e->samp_space = interval ? interval - 1 : 0;

	/* Cleared once, not per record: each record writes every field
	 * below, the rest (upper address bytes, MACs, VLAN, TTLs, end
	 * reason) stay zero, and time_estimated, which dec_fix_times() only
	 * ever sets, is reset by hand. */
	dec_record_base(e, NF_V5_VERSION, &rec);
	rec.ip_version = 4;
	for (i = 0; i < count; i++) {
		uint32_t first, last;

		rec.time_estimated = false;
		dec_v1v5_head(&c, &rec, &first, &last);
		wire_skip(&c, 1);		/* pad1 */
		rec.tcp_flags = wire_get_u8(&c);
		rec.proto = wire_get_u8(&c);
		rec.tos = wire_get_u8(&c);
		wire_skip(&c, 4);		/* src_as, dst_as */
		rec.src_mask = wire_get_u8(&c);
		rec.dst_mask = wire_get_u8(&c);
		wire_skip(&c, 2);		/* pad2 */
		rec.first_ms = dec_uptime_to_ms(&h, first);
		rec.last_ms = dec_uptime_to_ms(&h, last);
		dec_fix_times(&rec, &h);
		rec.sampling_packets = e->samp_packets;
		rec.sampling_space = e->samp_space;
		if (c.err)		/* cannot happen: length checked above */
			break;
		dec_emit(e, out, &rec);
	}
	return DEC_OK;
}
