/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dec_v1: NetFlow v1.  A 16-byte header, then `count` (1..24) records of
 * 48 bytes.  No sequence number, no engine id (domain 0), no sampling.
 */
#include "tflow/wire.h"
#include "dec_priv.h"

enum dec_err dec_v1(struct dec_ctx *ctx, const struct dec_source *src,
		    const uint8_t *buf, size_t len, uint64_t now_ms,
		    const struct dec_out *out)
{
	struct wire_cursor c;
	struct dec_exporter *e;
	struct dec_hdr h;
	uint32_t secs, nsecs;
	uint16_t count, i;
	enum dec_err r;

	wire_init(&c, buf, len);
	wire_skip(&c, 2);			/* version */
	count = wire_get_u16(&c);
	h.uptime_ms = wire_get_u32(&c);
	secs = wire_get_u32(&c);
	nsecs = wire_get_u32(&c);
	if (c.err) {
		dec_count(ctx, NULL, DEC_ERR_SHORT);
		return DEC_ERR_SHORT;
	}
	h.version = NF_V1_VERSION;
	/* Framing first, before an exporter entry is made for it. */
	r = DEC_OK;
	if (count == 0 || count > NF_V1_MAX_RECORDS)
		r = DEC_ERR_COUNT;
	else if (wire_left(&c) < (size_t)count * sizeof(struct nf_v1_record))
		r = DEC_ERR_LENGTH;
	if (r != DEC_OK) {
		dec_count(ctx, dec_exporter_lookup(ctx, src, NF_V1_VERSION, 0),
			  r);
		return r;
	}
	e = dec_exporter_get(ctx, src, NF_V1_VERSION, 0);
	if (e == NULL)
		return DEC_ERR_EXPORTER_LIMIT;
	dec_hdr_time(&h, (uint64_t)secs * 1000 + nsecs / 1000000, now_ms);
	e->st.datagrams++;
	dec_uptime_check(e, &h);

	for (i = 0; i < count; i++) {
		struct tflow_record rec;
		uint32_t first, last;

		dec_record_base(e, NF_V1_VERSION, &rec);
		rec.ip_version = 4;
		dec_v1v5_head(&c, &rec, &first, &last);
		wire_skip(&c, 2);		/* pad1 */
		rec.proto = wire_get_u8(&c);
		rec.tos = wire_get_u8(&c);
		rec.tcp_flags = wire_get_u8(&c);
		wire_skip(&c, 7);		/* pad2 */
		rec.first_ms = dec_uptime_to_ms(&h, first);
		rec.last_ms = dec_uptime_to_ms(&h, last);
		dec_fix_times(&rec, &h);
		if (c.err)
			break;
		dec_emit(e, out, &rec);
	}
	return DEC_OK;
}
