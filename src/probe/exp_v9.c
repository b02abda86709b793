/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * exp_v9: NetFlow v9 (RFC 3954).  Templates, options and data records come
 * from the engine shared with IPFIX (exp_common.c); this file holds what is
 * v9's own: the 20-byte header, whose count is every record in the packet
 * (templates, options templates, data and options data, RFC 3954 5.1) and
 * whose sequence number counts the export packets sent before this one.
 */
#include "exp_int.h"

#include "tflow/wire.h"

static void v9_header(struct exp *e, struct wire_cursor *c, size_t len,
		      uint64_t now_ms)
{
	(void)len;
	wire_put_u16(c, NF_V9_VERSION);
	wire_put_u16(c, (uint16_t)e->dg_records);
	/* The header has whole seconds only: collectors take boot time as
	 * unix_secs * 1000 - sysUptime, so sysUptime is taken at the same
	 * whole second, and FIRST/LAST_SWITCHED map back to the exact
	 * millisecond (sys_init_ms is a whole second, see export.c). */
	wire_put_u32(c, exp_uptime(e, now_ms - now_ms % 1000));
	wire_put_u32(c, (uint32_t)(now_ms / 1000));
	wire_put_u32(c, (uint32_t)e->seq);
	wire_put_u32(c, e->p.domain_id);
	e->seq++;
}

const struct exp_ops exp_v9_ops = {
	.version = NF_V9_VERSION,
	.hdr_len = sizeof(struct nf_v9_header),
	.set_template = NF_V9_SET_TEMPLATE,
	.set_options = NF_V9_SET_OPTIONS_TEMPLATE,
	.ipfix = false,
	.add = exp_tx_add,
	.header = v9_header,
};
