/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dec_ipfix: IPFIX (RFC 7011).  A 16-byte header whose length bounds the
 * message (bytes after it are ignored), then Sets: 2 templates, 3 options
 * templates, 256 and up data; templates and data are dec_fields.c's,
 * shared with v9.  The sequence number counts data records per
 * observation domain, so a gap is a number of lost records; when a set
 * had to wait for its template the count is unknown and the next message
 * resynchronises instead of guessing.
 */
#include "tflow/wire.h"
#include "dec_priv.h"

enum dec_err dec_ipfix(struct dec_ctx *ctx, const struct dec_source *src,
		       const uint8_t *buf, size_t len, uint64_t now_ms,
		       const struct dec_out *out)
{
	struct wire_cursor c;
	struct dec_exporter *e;
	struct dec_hdr h;
	uint32_t secs, seq, domain, nrec = 0;
	uint16_t mlen;
	bool learned = false, held = false;
	enum dec_err r;

	wire_init(&c, buf, len);
	wire_skip(&c, 2);			/* version */
	mlen = wire_get_u16(&c);
	secs = wire_get_u32(&c);
	seq = wire_get_u32(&c);
	domain = wire_get_u32(&c);
	if (c.err) {
		dec_count(ctx, NULL, DEC_ERR_SHORT);
		return DEC_ERR_SHORT;
	}
	/* Framing first: a malformed message changes nothing, and makes no
	 * exporter entry. */
	if (mlen < sizeof(struct ipfix_header) || mlen > len) {
		r = DEC_ERR_LENGTH;
	} else {
		wire_init(&c, buf + sizeof(struct ipfix_header),
			  mlen - sizeof(struct ipfix_header));
		r = dec_sets_check(c.p, wire_left(&c));
	}
	if (r != DEC_OK) {
		dec_count(ctx, dec_exporter_lookup(ctx, src, IPFIX_VERSION,
						   domain), r);
		return r;
	}
	/* A header without sets from an unknown exporter says nothing
	 * worth an entry (and header-only garbage would fill the table). */
	if (wire_left(&c) == 0 &&
	    dec_exporter_lookup(ctx, src, IPFIX_VERSION, domain) == NULL)
		return DEC_OK;
	e = dec_exporter_get(ctx, src, IPFIX_VERSION, domain);
	if (e == NULL)
		return DEC_ERR_EXPORTER_LIMIT;
	h.version = IPFIX_VERSION;
	h.uptime_ms = 0;
	dec_hdr_time(&h, (uint64_t)secs * 1000, now_ms);
	e->st.datagrams++;

	while (wire_left(&c) > 0) {
		uint16_t id = wire_get_u16(&c);
		uint16_t slen = wire_get_u16(&c);
		const uint8_t *body = c.p;
		size_t blen = slen - sizeof(struct flow_set_header);

		wire_skip(&c, blen);
		if (id == IPFIX_SET_TEMPLATE || id == IPFIX_SET_OPTIONS_TEMPLATE)
			dec_template_set(ctx, e, id, body, blen, now_ms,
					 &learned);
		else if (id < IPFIX_MIN_DATA_SET)
			dec_count(ctx, e, DEC_ERR_RESERVED_SET);
		else
			nrec += dec_data_set(ctx, e, id, body, blen, &h, out,
					     &held);
	}
	dec_seq(e, seq, nrec);
	if (held)
		e->seq_skip = true;
	if (learned && e->nheld > 0)
		dec_held_run(ctx, e, now_ms, out);
	return DEC_OK;
}
