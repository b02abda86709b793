/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dec_v9: NetFlow v9 (RFC 3954).  A 20-byte header, then FlowSets:
 * 0 templates, 1 options templates, 256 and up data; templates and data
 * are dec_fields.c's, shared with IPFIX.  The sequence number counts
 * export datagrams per source id, so a gap is a number of lost datagrams.
 * Times are sysUptime-relative.  The header count (templates + records)
 * is advisory: exporters get it wrong, so a mismatch is counted and the
 * sets are decoded to their end anyway.
 */
#include "tflow/wire.h"
#include "dec_priv.h"

enum dec_err dec_v9(struct dec_ctx *ctx, const struct dec_source *src,
		    const uint8_t *buf, size_t len, uint64_t now_ms,
		    const struct dec_out *out)
{
	struct wire_cursor c;
	struct dec_exporter *e;
	struct dec_hdr h;
	uint32_t secs, seq, source_id, nrec = 0;
	uint16_t count;
	bool learned = false, held = false;
	enum dec_err r;

	wire_init(&c, buf, len);
	wire_skip(&c, 2);			/* version */
	count = wire_get_u16(&c);
	h.uptime_ms = wire_get_u32(&c);
	secs = wire_get_u32(&c);
	seq = wire_get_u32(&c);
	source_id = wire_get_u32(&c);
	if (c.err) {
		dec_count(ctx, NULL, DEC_ERR_SHORT);
		return DEC_ERR_SHORT;
	}
	h.version = NF_V9_VERSION;
	/* Framing first: a malformed datagram changes nothing, and makes no
	 * exporter entry. */
	r = dec_sets_check(c.p, wire_left(&c));
	if (r != DEC_OK) {
		dec_count(ctx, dec_exporter_lookup(ctx, src, NF_V9_VERSION,
						   source_id), r);
		return r;
	}
	/* A header without sets from an unknown exporter says nothing
	 * worth an entry (and header-only garbage would fill the table). */
	if (wire_left(&c) == 0 &&
	    dec_exporter_lookup(ctx, src, NF_V9_VERSION, source_id) == NULL)
		return DEC_OK;
	e = dec_exporter_get(ctx, src, NF_V9_VERSION, source_id);
	if (e == NULL)
		return DEC_ERR_EXPORTER_LIMIT;
	dec_hdr_time(&h, (uint64_t)secs * 1000, now_ms);
	e->st.datagrams++;
	/* After a restart the exporter may reuse template ids for other
	 * layouts: forget the old ones rather than misread its data. */
	if (dec_uptime_check(e, &h))
		tmpl_drop_session(ctx->ts, &e->key);
	dec_seq(e, seq, 1);

	while (wire_left(&c) > 0) {
		uint16_t id = wire_get_u16(&c);
		uint16_t slen = wire_get_u16(&c);
		const uint8_t *body = c.p;
		size_t blen = slen - sizeof(struct flow_set_header);

		wire_skip(&c, blen);
		if (id == NF_V9_SET_TEMPLATE || id == NF_V9_SET_OPTIONS_TEMPLATE)
			nrec += dec_template_set(ctx, e, id, body, blen, now_ms,
						 &learned);
		else if (id < NF_V9_MIN_DATA_SET)
			dec_count(ctx, e, DEC_ERR_RESERVED_SET);
		else
			nrec += dec_data_set(ctx, e, id, body, blen, &h, out,
					     &held);
	}
	if (!held && nrec != count)
		dec_count(ctx, e, DEC_ERR_COUNT_MISMATCH);
	if (learned && e->nheld > 0)
		dec_held_run(ctx, e, now_ms, out);
	return DEC_OK;
}
