/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * exp_ipfix: IPFIX (RFC 7011) over UDP.  Templates, options and data
 * records come from the engine shared with v9 (exp_common.c); this file
 * holds what is IPFIX's own: the 16-byte message header with the message
 * length, the export time in seconds, and the sequence number, which counts
 * the data records (flow and options data, not templates) sent before this
 * message in this observation domain, mod 2^32 (RFC 7011 3.1).
 */
#include "exp_int.h"

#include "tflow/wire.h"

static void ipfix_header(struct exp *e, struct wire_cursor *c, size_t len,
			 uint64_t now_ms)
{
	wire_put_u16(c, IPFIX_VERSION);
	wire_put_u16(c, (uint16_t)len);
	wire_put_u32(c, (uint32_t)(now_ms / 1000));
	wire_put_u32(c, (uint32_t)e->seq);
	wire_put_u32(c, e->p.domain_id);
	e->seq += e->dg_data;
}

const struct exp_ops exp_ipfix_ops = {
	.version = IPFIX_VERSION,
	.hdr_len = sizeof(struct ipfix_header),
	.set_template = IPFIX_SET_TEMPLATE,
	.set_options = IPFIX_SET_OPTIONS_TEMPLATE,
	.ipfix = true,
	.add = exp_tx_add,
	.header = ipfix_header,
};
