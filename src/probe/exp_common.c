/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * exp_common: what every encoder shares -- lifecycle, datagram start and
 * finish, counters, v1/v5 counter splitting -- and the one template engine
 * that serves both v9 and IPFIX: template building from the ipfix toggles,
 * template and options template records, options data, sets with padding,
 * and the refresh cadence.  The two dialects differ only where RFC 3954
 * and RFC 7011 differ, each spot marked `ops->ipfix`: set ids, the options
 * template header and scope fields, flow times (sysUptime-relative in v9,
 * absolute milliseconds in IPFIX) and strings (fixed in v9, variable
 * length in IPFIX).  exp_v9.c and exp_ipfix.c add only their headers.
 *
 * Invariants: sets start 4-byte aligned and are padded to 4 bytes, their
 * length including the padding (RFC 3954 5.3, RFC 7011 3.3.1); templates
 * sit before any data in a datagram; one record always fits an empty
 * datagram (checked in exp_new), so filling never loops without progress.
 */
#include "exp_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "sampler.h"
#include "tflow/ie.h"
#include "tflow/wire.h"

/* v9 options scope types (RFC 3954 section 6.1), not IEs. */
#define NF_V9_SCOPE_SYSTEM	1
#define NF_V9_SCOPE_INTERFACE	2

/* Data template ids as RouterOS (258 IPv4, 259 IPv6), options after. */
#define EXP_TID_V4		258
#define EXP_TID_V6		259
#define EXP_TID_EXPORTER	260
#define EXP_TID_METER		261
#define EXP_TID_EXPORTING	262
#define EXP_TID_IFACE		263

/* A record with more than 65536 * (2^32 - 1) packets or octets (over
 * 256 TiB) is not traffic but a bug upstream: it is clamped, not split into
 * an unbounded number of v1/v5 records. */
#define EXP_SPLIT_MAX		65536

#define EXP_ALWAYS		0xff
#define EXP_D_V9		1
#define EXP_D_IPFIX		2
#define EXP_D_BOTH		(EXP_D_V9 | EXP_D_IPFIX)

/*
 * /ip traffic-flow ipfix toggle -> data template elements, in template
 * order: RouterOS's own template order first (ipVersion, times, counters,
 * ports, interfaces, protocol, flags, addresses, NAT), then the rest.
 * src EXP_S_NONE: struct tflow_record has no such value yet, so the element
 * is left out rather than sent as a misleading zero (docs/design/export.md).
 */
static const struct exp_toggle_row {
	uint8_t toggle;		/* CONF_IPFIX_x or EXP_ALWAYS */
	uint8_t dialect;	/* EXP_D_* */
	uint16_t v4, v6;	/* element per template, 0: none */
	uint8_t src;
} exp_toggle_rows[] = {
	{ EXP_ALWAYS, EXP_D_BOTH, IE_IP_PROTOCOL_VERSION,
	  IE_IP_PROTOCOL_VERSION, EXP_S_IP_VERSION },
	{ CONF_IPFIX_FIRST_FORWARDED, EXP_D_V9, IE_FIRST_SWITCHED,
	  IE_FIRST_SWITCHED, EXP_S_FIRST_UPTIME },
	{ CONF_IPFIX_LAST_FORWARDED, EXP_D_V9, IE_LAST_SWITCHED,
	  IE_LAST_SWITCHED, EXP_S_LAST_UPTIME },
	{ CONF_IPFIX_FIRST_FORWARDED, EXP_D_IPFIX, IE_FLOW_START_MILLISECONDS,
	  IE_FLOW_START_MILLISECONDS, EXP_S_FIRST_MS },
	{ CONF_IPFIX_LAST_FORWARDED, EXP_D_IPFIX, IE_FLOW_END_MILLISECONDS,
	  IE_FLOW_END_MILLISECONDS, EXP_S_LAST_MS },
	{ CONF_IPFIX_PACKETS, EXP_D_BOTH, IE_IN_PKTS, IE_IN_PKTS,
	  EXP_S_PACKETS },
	{ CONF_IPFIX_BYTES, EXP_D_BOTH, IE_IN_BYTES, IE_IN_BYTES,
	  EXP_S_OCTETS },
	{ CONF_IPFIX_SRC_PORT, EXP_D_BOTH, IE_L4_SRC_PORT, IE_L4_SRC_PORT,
	  EXP_S_SRC_PORT },
	{ CONF_IPFIX_DST_PORT, EXP_D_BOTH, IE_L4_DST_PORT, IE_L4_DST_PORT,
	  EXP_S_DST_PORT },
	{ CONF_IPFIX_IN_INTERFACE, EXP_D_BOTH, IE_INPUT_SNMP, IE_INPUT_SNMP,
	  EXP_S_IN_IF },
	{ CONF_IPFIX_OUT_INTERFACE, EXP_D_BOTH, IE_OUTPUT_SNMP,
	  IE_OUTPUT_SNMP, EXP_S_OUT_IF },
	{ CONF_IPFIX_PROTOCOL, EXP_D_BOTH, IE_PROTOCOL, IE_PROTOCOL,
	  EXP_S_PROTO },
	{ CONF_IPFIX_TCP_FLAGS, EXP_D_BOTH, IE_TCP_FLAGS, IE_TCP_FLAGS,
	  EXP_S_TCP_FLAGS },
	{ CONF_IPFIX_SRC_ADDRESS, EXP_D_BOTH, IE_IPV4_SRC_ADDR,
	  IE_IPV6_SRC_ADDR, EXP_S_SRC_ADDR },
	{ CONF_IPFIX_DST_ADDRESS, EXP_D_BOTH, IE_IPV4_DST_ADDR,
	  IE_IPV6_DST_ADDR, EXP_S_DST_ADDR },
	{ CONF_IPFIX_GATEWAY, EXP_D_BOTH, IE_IPV4_NEXT_HOP, IE_IPV6_NEXT_HOP,
	  EXP_S_NEXT_HOP },
	{ CONF_IPFIX_NAT_SRC_ADDRESS, EXP_D_BOTH, IE_POST_NAT_IPV4_SRC_ADDR,
	  IE_POST_NAT_IPV6_SRC_ADDR, EXP_S_NONE },
	{ CONF_IPFIX_NAT_DST_ADDRESS, EXP_D_BOTH, IE_POST_NAT_IPV4_DST_ADDR,
	  IE_POST_NAT_IPV6_DST_ADDR, EXP_S_NONE },
	{ CONF_IPFIX_NAT_SRC_PORT, EXP_D_BOTH, IE_POST_NAPT_SRC_PORT,
	  IE_POST_NAPT_SRC_PORT, EXP_S_NONE },
	{ CONF_IPFIX_NAT_DST_PORT, EXP_D_BOTH, IE_POST_NAPT_DST_PORT,
	  IE_POST_NAPT_DST_PORT, EXP_S_NONE },
	{ CONF_IPFIX_SRC_ADDRESS_MASK, EXP_D_BOTH, IE_SRC_MASK,
	  IE_IPV6_SRC_MASK, EXP_S_SRC_MASK },
	{ CONF_IPFIX_DST_ADDRESS_MASK, EXP_D_BOTH, IE_DST_MASK,
	  IE_IPV6_DST_MASK, EXP_S_DST_MASK },
	{ CONF_IPFIX_TOS, EXP_D_BOTH, IE_SRC_TOS, IE_SRC_TOS, EXP_S_TOS },
	{ CONF_IPFIX_ICMP_TYPE, EXP_D_BOTH, IE_ICMP_IPV4_TYPE,
	  IE_ICMP_IPV6_TYPE, EXP_S_ICMP_TYPE },
	{ CONF_IPFIX_ICMP_CODE, EXP_D_BOTH, IE_ICMP_IPV4_CODE,
	  IE_ICMP_IPV6_CODE, EXP_S_ICMP_CODE },
	{ CONF_IPFIX_IGMP_TYPE, EXP_D_BOTH, IE_MUL_IGMP_TYPE, 0, EXP_S_NONE },
	{ CONF_IPFIX_TTL, EXP_D_BOTH, IE_MIN_TTL, IE_MIN_TTL, EXP_S_TTL_MIN },
	{ CONF_IPFIX_TTL, EXP_D_BOTH, IE_MAX_TTL, IE_MAX_TTL, EXP_S_TTL_MAX },
	{ CONF_IPFIX_IP_HEADER_LENGTH, EXP_D_BOTH, IE_IP_HEADER_LENGTH,
	  IE_IP_HEADER_LENGTH, EXP_S_NONE },
	{ CONF_IPFIX_IP_TOTAL_LENGTH, EXP_D_BOTH, IE_IP_TOTAL_LENGTH,
	  IE_IP_TOTAL_LENGTH, EXP_S_NONE },
	{ CONF_IPFIX_UDP_LENGTH, EXP_D_BOTH, IE_UDP_LENGTH, IE_UDP_LENGTH,
	  EXP_S_NONE },
	{ CONF_IPFIX_TCP_SEQ_NUM, EXP_D_BOTH, IE_TCP_SEQ_NUM, IE_TCP_SEQ_NUM,
	  EXP_S_NONE },
	{ CONF_IPFIX_TCP_ACK_NUM, EXP_D_BOTH, IE_TCP_ACK_NUM, IE_TCP_ACK_NUM,
	  EXP_S_NONE },
	{ CONF_IPFIX_TCP_WINDOW_SIZE, EXP_D_BOTH, IE_TCP_WINDOW_SIZE,
	  IE_TCP_WINDOW_SIZE, EXP_S_NONE },
	{ CONF_IPFIX_IPV6_FLOW_LABEL, EXP_D_BOTH, 0, IE_IPV6_FLOW_LABEL,
	  EXP_S_NONE },
	{ CONF_IPFIX_IS_MULTICAST, EXP_D_BOTH, IE_IS_MULTICAST,
	  IE_IS_MULTICAST, EXP_S_IS_MCAST },
	{ CONF_IPFIX_SRC_MAC_ADDRESS, EXP_D_BOTH, IE_IN_SRC_MAC, IE_IN_SRC_MAC,
	  EXP_S_SRC_MAC },
	{ CONF_IPFIX_DST_MAC_ADDRESS, EXP_D_BOTH, IE_IN_DST_MAC, IE_IN_DST_MAC,
	  EXP_S_DST_MAC },
	{ CONF_IPFIX_NAT_EVENTS, EXP_D_BOTH, IE_NAT_EVENT, IE_NAT_EVENT,
	  EXP_S_NONE },
	{ EXP_ALWAYS, EXP_D_BOTH, IE_FLOW_END_REASON, IE_FLOW_END_REASON,
	  EXP_S_END_REASON },
};

static size_t round4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static size_t dgram_pos(const struct exp *e)
{
	return (size_t)(e->c.p - e->buf);
}

/* ---- lifecycle ------------------------------------------------------- */

struct exp *exp_new(const struct exp_params *p)
{
	const struct exp_ops *ops;
	struct exp *e;

	switch (p->version) {
	case NF_V1_VERSION:
		ops = &exp_v1_ops;
		break;
	case NF_V5_VERSION:
		ops = &exp_v5_ops;
		break;
	case NF_V9_VERSION:
		ops = &exp_v9_ops;
		break;
	case IPFIX_VERSION:
		ops = &exp_ipfix_ops;
		break;
	default:
		errno = EINVAL;
		return NULL;
	}
	if (p->emit == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->p = *p;
	e->ops = ops;
	if (p->version == NF_V1_VERSION)
		e->cap = ops->hdr_len + NF_V1_MAX_RECORDS * 48;
	else if (p->version == NF_V5_VERSION)
		e->cap = ops->hdr_len + NF_V5_MAX_RECORDS * 48;
	else {
		e->cap = p->max_payload ? p->max_payload : EXP_DEFAULT_PAYLOAD;
		/* IPFIX message length and v9 set lengths are 16 bits. */
		if (e->cap < EXP_MIN_PAYLOAD || e->cap > UINT16_MAX ||
		    exp_tx_init(e) < 0) {
			free(e);
			errno = EINVAL;
			return NULL;
		}
	}
	if ((e->buf = malloc(e->cap)) == NULL) {
		free(e);
		return NULL;
	}
	wire_init(&e->c, e->buf, e->cap);
	return e;
}

void exp_free(struct exp *e)
{
	if (e == NULL)
		return;
	free(e->ifs);
	free(e->buf);
	free(e);
}

int exp_add_record(struct exp *e, const struct tflow_record *r,
		   uint64_t now_ms)
{
	return e->ops->add(e, r, now_ms);
}

void exp_flush(struct exp *e, uint64_t now_ms)
{
	exp_dgram_finish(e, now_ms);
}

int exp_set_interfaces(struct exp *e, const struct exp_iface *ifs, size_t n)
{
	struct exp_iface *copy = NULL;
	size_t i;

	if (n > UINT16_MAX)
		return -EINVAL;
	if (n > 0) {
		if ((copy = calloc(n, sizeof(*copy))) == NULL)
			return -ENOMEM;
		memcpy(copy, ifs, n * sizeof(*copy));
		/* The caller's strings may fill their arrays. */
		for (i = 0; i < n; i++) {
			copy[i].name[EXP_IFNAME_LEN - 1] = '\0';
			copy[i].descr[EXP_IFDESC_LEN - 1] = '\0';
		}
	}
	free(e->ifs);
	e->ifs = copy;
	e->n_ifs = n;
	if (e->iface_pos > n)
		e->iface_pos = n;
	return 0;
}

void exp_set_stats(struct exp *e, const struct exp_meter_stats *s)
{
	e->meter = *s;
}

void exp_get_counters(const struct exp *e, struct exp_counters *out)
{
	*out = e->cnt;
}

uint32_t exp_sampling_rate(const struct exp_params *p)
{
	struct sampler s;

	if (p->sampling_interval == 0 || p->sampling_space == 0)
		return 0;
	sampler_init(&s, p->sampling_interval, p->sampling_space);
	return sampler_rate(&s);
}

/* ---- datagrams --------------------------------------------------------- */

static void set_close(struct exp *e)
{
	struct wire_cursor lc;
	size_t len;

	if (e->set_start == 0)
		return;
	wire_put_zero(&e->c, round4(dgram_pos(e)) - dgram_pos(e));
	len = dgram_pos(e) - e->set_start;
	wire_init(&lc, e->buf + e->set_start + 2, 2);
	wire_put_u16(&lc, (uint16_t)len);
	e->set_start = 0;
}

static void set_open(struct exp *e, uint16_t id)
{
	if (e->set_start != 0 && e->set_id == id)
		return;
	set_close(e);
	e->set_start = dgram_pos(e);
	e->set_id = id;
	wire_put_u16(&e->c, id);
	wire_put_u16(&e->c, 0);		/* length, when the set closes */
}

/* Would a `len`-byte record of set `id` fit, padding included? */
static bool set_fits(const struct exp *e, uint16_t id, size_t len)
{
	size_t off = dgram_pos(e);

	if (e->set_start == 0 || e->set_id != id)
		off = round4(off) + 4;
	return round4(off + len) <= e->cap;
}

static void refresh_continue(struct exp *e);

/* The template timeout alone (not the datagram count). */
static bool refresh_timed_out(const struct exp *e, uint64_t now_ms)
{
	return e->p.template_timeout_ms != 0 && now_ms >= e->refresh_ms &&
	    now_ms - e->refresh_ms >= e->p.template_timeout_ms;
}

static bool refresh_due(const struct exp *e, uint64_t now_ms)
{
	if (!e->refreshed)
		return true;
	if (e->p.template_refresh != 0 &&
	    e->since_refresh >= e->p.template_refresh)
		return true;
	return refresh_timed_out(e, now_ms);
}

void exp_dgram_begin(struct exp *e, uint64_t now_ms)
{
	wire_init(&e->c, e->buf, e->cap);
	wire_skip(&e->c, e->ops->hdr_len);	/* written by finish */
	e->set_start = 0;
	e->dg_records = e->dg_data = 0;
	e->dg_flows = e->dg_pkts = e->dg_octets = 0;
	if (e->ops->version < NF_V9_VERSION)
		return;
	if (e->skip_refresh)
		e->skip_refresh = false;
	else if (e->step == EXP_STEP_NONE && refresh_due(e, now_ms)) {
		e->step = EXP_STEP_TEMPLATES;
		e->iface_pos = 0;
		e->refreshed = true;
		e->since_refresh = 0;
		e->refresh_ms = now_ms;
	}
	if (e->step != EXP_STEP_NONE)
		refresh_continue(e);
}

void exp_dgram_finish(struct exp *e, uint64_t now_ms)
{
	struct wire_cursor hc;
	size_t len;
	int rc;

	if (!exp_dgram_open(e))
		return;
	set_close(e);
	len = dgram_pos(e);
	/* A datagram is dated when its last record went in: it was complete
	 * then, and a later date could put it past the template timeout
	 * without templates (exp_tx_add closes it before that). */
	if (e->dg_flows != 0 && e->dg_last_ms < now_ms)
		now_ms = e->dg_last_ms;
	wire_init(&hc, e->buf, e->ops->hdr_len);
	e->ops->header(e, &hc, len, now_ms);
	rc = e->p.emit(e->buf, len, e->p.emit_ctx);
	e->cnt.datagrams++;
	e->cnt.octets += len;
	if (rc < 0) {
		e->cnt.send_errors++;
		e->ns_flows += e->dg_flows;
		e->ns_pkts += e->dg_pkts;
		e->ns_octets += e->dg_octets;
	} else {
		e->exp_msgs++;
		e->exp_octets += len;
		e->exp_flows += e->dg_flows;
	}
	e->since_refresh++;
	wire_init(&e->c, e->buf, e->cap);
	e->set_start = 0;
}

/* ---- v1/v5 ------------------------------------------------------------- */

static uint64_t parts_for(uint64_t total)
{
	return total / UINT32_MAX + (total % UINT32_MAX != 0);
}

uint32_t exp_split_parts(const struct tflow_record *r, bool *clamped)
{
	uint64_t k = parts_for(r->packets), ko = parts_for(r->octets);

	if (ko > k)
		k = ko;
	*clamped = k > EXP_SPLIT_MAX;
	if (k > EXP_SPLIT_MAX)
		k = EXP_SPLIT_MAX;
	return k == 0 ? 1 : (uint32_t)k;
}

/* Part i of total over `parts` records: the remainder goes one each to the
 * first parts, so the parts sum to total exactly. */
uint32_t exp_split_value(uint64_t total, uint32_t parts, uint32_t i)
{
	uint64_t v = total / parts + (i < total % parts);

	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

void exp_put_v1v5_head(struct exp *e, const struct tflow_record *r,
		       uint32_t pkts, uint32_t octets)
{
	struct wire_cursor *c = &e->c;

	wire_put_bytes(c, r->src_addr, 4);
	wire_put_bytes(c, r->dst_addr, 4);
	wire_put_bytes(c, r->next_hop, 4);
	/* 16-bit ifindex: a larger one is sent as 0 (unknown), not cut. */
	wire_put_u16(c, r->in_if > UINT16_MAX ? 0 : (uint16_t)r->in_if);
	wire_put_u16(c, r->out_if > UINT16_MAX ? 0 : (uint16_t)r->out_if);
	wire_put_u32(c, pkts);
	wire_put_u32(c, octets);
	wire_put_u32(c, exp_uptime(e, r->first_ms));
	wire_put_u32(c, exp_uptime(e, r->last_ms));
	wire_put_u16(c, r->src_port);
	wire_put_u16(c, r->dst_port);
}

int exp_fixed_add(struct exp *e, const struct tflow_record *r,
		  uint64_t now_ms, uint32_t max, exp_put_fixed_fn put)
{
	uint32_t parts, i, pkts, octets;
	bool clamped;

	if (r->ip_version == 6) {
		e->cnt.not_exportable++;
		return -EAFNOSUPPORT;
	}
	if (r->ip_version != 4)
		return -EINVAL;
	parts = exp_split_parts(r, &clamped);
	if (clamped)
		e->cnt.clamped++;
	e->cnt.split += parts - 1;
	for (i = 0; i < parts; i++) {
		pkts = exp_split_value(r->packets, parts, i);
		octets = exp_split_value(r->octets, parts, i);
		if (!exp_dgram_open(e))
			exp_dgram_begin(e, now_ms);
		put(e, r, pkts, octets);
		e->dg_last_ms = now_ms;
		e->dg_records++;
		e->dg_flows++;
		e->dg_pkts += pkts;
		e->dg_octets += octets;
		e->cnt.records++;
		/* Full: send now rather than wait for the next record. */
		if (e->dg_records == max)
			exp_dgram_finish(e, now_ms);
	}
	return 0;
}

/* ---- v9/IPFIX templates ------------------------------------------------ */

static int tmpl_put(struct exp_tmpl *t, uint16_t id, uint16_t len,
		    uint8_t src)
{
	if (t->n >= EXP_MAX_FIELDS)
		return -EINVAL;
	t->f[t->n].id = id;
	t->f[t->n].len = len;
	t->f[t->n].src = src;
	t->n++;
	t->rec_len += len == IPFIX_VARLEN ? 1 : len;
	return 0;
}

/* An element at the length ie.def says tflow exports. */
static int tmpl_ie(struct exp_tmpl *t, uint16_t id, uint8_t src)
{
	const struct ie_info *ie = ie_lookup(id);

	if (ie == NULL || ie->length == 0)
		return -EINVAL;
	return tmpl_put(t, id, ie->length, src);
}

/* Scope field: an IE in IPFIX, a v9 scope type of 4 bytes in v9. */
static int tmpl_scope(struct exp *e, struct exp_tmpl *t, uint16_t ipfix_id,
		      uint16_t v9_type, uint8_t src)
{
	int rc;

	rc = e->ops->ipfix ? tmpl_ie(t, ipfix_id, src) :
	    tmpl_put(t, v9_type, 4, src);
	t->n_scope++;
	return rc;
}

static int tmpl_data(struct exp *e, struct exp_tmpl *t, bool v6)
{
	uint8_t dialect = e->ops->ipfix ? EXP_D_IPFIX : EXP_D_V9;
	const struct exp_toggle_row *row;
	uint16_t id;
	size_t i;
	int rc;

	t->id = v6 ? EXP_TID_V6 : EXP_TID_V4;
	for (i = 0; i < sizeof(exp_toggle_rows) / sizeof(*row); i++) {
		row = &exp_toggle_rows[i];
		id = v6 ? row->v6 : row->v4;
		if (!(row->dialect & dialect) || id == 0 ||
		    row->src == EXP_S_NONE)
			continue;
		if (row->toggle != EXP_ALWAYS &&
		    !(e->p.ipfix_fields & (UINT64_C(1) << row->toggle)))
			continue;
		if ((rc = tmpl_ie(t, id, row->src)) < 0)
			return rc;
	}
	t->present = true;
	return 0;
}

static int tmpl_options(struct exp *e)
{
	struct exp_tmpl *t;
	bool ipfix = e->ops->ipfix;
	int rc = 0;

	/* Exporter: system init time, sampling (PRODUCT.md "Sampling"). */
	t = &e->t[EXP_T_EXPORTER];
	t->id = EXP_TID_EXPORTER;
	rc |= tmpl_scope(e, t, IE_OBSERVATION_DOMAIN_ID, NF_V9_SCOPE_SYSTEM,
			 EXP_S_DOMAIN);
	/* v9 has no such element: its header's sysUptime does the job. */
	if (ipfix && (e->p.ipfix_fields &
		      (UINT64_C(1) << CONF_IPFIX_SYS_INIT_TIME)))
		rc |= tmpl_ie(t, IE_SYSTEM_INIT_TIME_MILLISECONDS,
			      EXP_S_SYS_INIT_MS);
	if (exp_sampling_rate(&e->p) != 0) {
		if (ipfix) {
			rc |= tmpl_ie(t, IE_SELECTOR_ALGORITHM,
				      EXP_S_SEL_ALGO);
			rc |= tmpl_ie(t, IE_SAMPLING_PACKET_INTERVAL,
				      EXP_S_SAMP_INTERVAL);
			rc |= tmpl_ie(t, IE_SAMPLING_PACKET_SPACE,
				      EXP_S_SAMP_SPACE);
			rc |= tmpl_ie(t, IE_SAMPLING_INTERVAL,
				      EXP_S_SAMP_RATE);
		} else {
			rc |= tmpl_ie(t, IE_SAMPLING_INTERVAL,
				      EXP_S_SAMP_RATE);
			rc |= tmpl_ie(t, IE_SAMPLING_ALGORITHM,
				      EXP_S_SAMP_ALGO);
		}
	}
	t->present = t->n > t->n_scope;

	/* RFC 7011 4.1 metering process statistics, with 4.2's ignored
	 * counts (4.2's observation times have no element in ie.def). */
	t = &e->t[EXP_T_METER];
	t->id = EXP_TID_METER;
	rc |= tmpl_scope(e, t, IE_OBSERVATION_DOMAIN_ID, NF_V9_SCOPE_SYSTEM,
			 EXP_S_DOMAIN);
	rc |= tmpl_ie(t, IE_TOTAL_PKTS_EXP, EXP_S_EXP_MSGS);
	rc |= tmpl_ie(t, IE_TOTAL_FLOWS_EXP, EXP_S_EXP_FLOWS);
	rc |= tmpl_ie(t, IE_TOTAL_BYTES_EXP, EXP_S_EXP_OCTETS);
	rc |= tmpl_ie(t, IE_OBSERVED_FLOW_TOTAL_COUNT, EXP_S_OBS_FLOWS);
	rc |= tmpl_ie(t, IE_IGNORED_PACKET_TOTAL_COUNT, EXP_S_IGN_PKTS);
	rc |= tmpl_ie(t, IE_IGNORED_OCTET_TOTAL_COUNT, EXP_S_IGN_OCTETS);
	t->present = true;

	/* RFC 7011 4.3 exporting process reliability statistics. */
	t = &e->t[EXP_T_EXPORTING];
	t->id = EXP_TID_EXPORTING;
	rc |= tmpl_scope(e, t, IE_EXPORTING_PROCESS_ID, NF_V9_SCOPE_SYSTEM,
			 ipfix ? EXP_S_PROCESS_ID : EXP_S_DOMAIN);
	rc |= tmpl_ie(t, IE_NOT_SENT_FLOW_TOTAL_COUNT, EXP_S_NS_FLOWS);
	rc |= tmpl_ie(t, IE_NOT_SENT_PACKET_TOTAL_COUNT, EXP_S_NS_PKTS);
	rc |= tmpl_ie(t, IE_NOT_SENT_OCTET_TOTAL_COUNT, EXP_S_NS_OCTETS);
	t->present = true;

	/* Interface table: strings fixed and NUL padded in v9, which has
	 * no variable length; variable length in IPFIX. */
	t = &e->t[EXP_T_IFACE];
	t->id = EXP_TID_IFACE;
	rc |= tmpl_scope(e, t, IE_INPUT_SNMP, NF_V9_SCOPE_INTERFACE,
			 EXP_S_IFINDEX);
	rc |= tmpl_put(t, IE_IF_NAME,
		       ipfix ? IPFIX_VARLEN : EXP_IFNAME_LEN, EXP_S_IFNAME);
	rc |= tmpl_put(t, IE_IF_DESC,
		       ipfix ? IPFIX_VARLEN : EXP_IFDESC_LEN, EXP_S_IFDESC);
	t->present = true;
	return rc ? -EINVAL : 0;
}

static size_t tmpl_wire_len(const struct exp_tmpl *t)
{
	return (t->n_scope ? 6 : 4) + 4 * (size_t)t->n;
}

/* Longest record of a template: strings at their longest. */
static size_t tmpl_max_rec(const struct exp_tmpl *t)
{
	size_t n = t->rec_len;

	if (t->id == EXP_TID_IFACE && t->f[1].len == IPFIX_VARLEN)
		n += EXP_IFNAME_LEN - 1 + EXP_IFDESC_LEN - 1;
	return n;
}

int exp_tx_init(struct exp *e)
{
	size_t tlen, i;

	if (tmpl_data(e, &e->t[EXP_T_V4], false) < 0 ||
	    tmpl_data(e, &e->t[EXP_T_V6], true) < 0 || tmpl_options(e) < 0)
		return -EINVAL;
	/* Every template in one datagram, and any one record after them. */
	tlen = e->ops->hdr_len + 4 + tmpl_wire_len(&e->t[EXP_T_V4]) +
	    tmpl_wire_len(&e->t[EXP_T_V6]);
	for (i = EXP_T_EXPORTER; i < EXP_T_MAX; i++)
		if (e->t[i].present)
			tlen += round4(4 + tmpl_wire_len(&e->t[i]));
	if (tlen > e->cap)
		return -EINVAL;
	for (i = 0; i < EXP_T_MAX; i++)
		if (e->ops->hdr_len + 4 + round4(tmpl_max_rec(&e->t[i])) >
		    e->cap)
			return -EINVAL;
	return 0;
}

static void put_tmpl(struct exp *e, const struct exp_tmpl *t)
{
	size_t i;

	wire_put_u16(&e->c, t->id);
	if (t->n_scope == 0) {
		wire_put_u16(&e->c, t->n);
	} else if (e->ops->ipfix) {
		wire_put_u16(&e->c, t->n);		/* RFC 7011 3.4.2.2 */
		wire_put_u16(&e->c, t->n_scope);
	} else {
		wire_put_u16(&e->c, 4 * t->n_scope);	/* RFC 3954 6.1: bytes */
		wire_put_u16(&e->c, 4 * (t->n - t->n_scope));
	}
	for (i = 0; i < t->n; i++) {
		wire_put_u16(&e->c, t->f[i].id);
		wire_put_u16(&e->c, t->f[i].len);
	}
	e->dg_records++;
	e->cnt.templates++;
}

static void put_templates(struct exp *e)
{
	size_t i;

	set_open(e, e->ops->set_template);
	put_tmpl(e, &e->t[EXP_T_V4]);
	put_tmpl(e, &e->t[EXP_T_V6]);
	/* One options template a set: RFC 3954 6.1 draws it so, and every
	 * decoder reads that. */
	for (i = EXP_T_EXPORTER; i < EXP_T_MAX; i++) {
		if (!e->t[i].present)
			continue;
		set_close(e);
		set_open(e, e->ops->set_options);
		put_tmpl(e, &e->t[i]);
	}
	set_close(e);
}

/* ---- records ----------------------------------------------------------- */

static bool is_icmp(const struct tflow_record *r)
{
	return (r->ip_version == 4 && r->proto == 1) ||
	    (r->ip_version == 6 && r->proto == 58);
}

/* isMulticast (IE 206): bit 0 for IPv4 224/4, the low five bits for
 * IPv6 ff00::/8. */
static uint8_t is_mcast(const struct tflow_record *r)
{
	if (r->ip_version == 4)
		return (r->dst_addr[0] & 0xf0) == 0xe0 ? 0x80 : 0;
	return r->dst_addr[0] == 0xff ? 0x1f : 0;
}

static uint64_t field_value(const struct exp *e, uint8_t src,
			    const struct tflow_record *r,
			    const struct exp_iface *ifc)
{
	switch (src) {
	case EXP_S_IP_VERSION:		return r->ip_version;
	case EXP_S_FIRST_UPTIME:	return exp_uptime(e, r->first_ms);
	case EXP_S_LAST_UPTIME:		return exp_uptime(e, r->last_ms);
	case EXP_S_FIRST_MS:		return r->first_ms;
	case EXP_S_LAST_MS:		return r->last_ms;
	case EXP_S_PACKETS:		return r->packets;
	case EXP_S_OCTETS:		return r->octets;
	case EXP_S_SRC_PORT:		return r->src_port;
	case EXP_S_DST_PORT:		return r->dst_port;
	case EXP_S_IN_IF:		return r->in_if;
	case EXP_S_OUT_IF:		return r->out_if;
	case EXP_S_PROTO:		return r->proto;
	case EXP_S_TCP_FLAGS:		return r->tcp_flags;
	case EXP_S_SRC_MASK:		return r->src_mask;
	case EXP_S_DST_MASK:		return r->dst_mask;
	case EXP_S_TOS:			return r->tos;
	case EXP_S_ICMP_TYPE:
		return is_icmp(r) ? r->dst_port >> 8 : 0;
	case EXP_S_ICMP_CODE:
		return is_icmp(r) ? r->dst_port & 0xff : 0;
	case EXP_S_TTL_MIN:		return r->ttl_min;
	case EXP_S_TTL_MAX:		return r->ttl_max;
	case EXP_S_IS_MCAST:		return is_mcast(r);
	case EXP_S_END_REASON:		return r->end_reason;
	case EXP_S_DOMAIN:		return e->p.domain_id;
	case EXP_S_PROCESS_ID:		return e->p.process_id;
	case EXP_S_SYS_INIT_MS:		return e->p.sys_init_ms;
	case EXP_S_SEL_ALGO:		return 1;
	case EXP_S_SAMP_INTERVAL:	return e->p.sampling_interval;
	case EXP_S_SAMP_SPACE:		return e->p.sampling_space;
	case EXP_S_SAMP_RATE:		return exp_sampling_rate(&e->p);
	case EXP_S_SAMP_ALGO:		return 1;
	case EXP_S_EXP_OCTETS:		return e->exp_octets;
	case EXP_S_EXP_MSGS:		return e->exp_msgs;
	case EXP_S_EXP_FLOWS:		return e->exp_flows;
	case EXP_S_OBS_FLOWS:		return e->meter.observed_flows;
	case EXP_S_IGN_PKTS:		return e->meter.ignored_packets;
	case EXP_S_IGN_OCTETS:		return e->meter.ignored_octets;
	case EXP_S_NS_FLOWS:
		return e->meter.not_sent_flows + e->ns_flows;
	case EXP_S_NS_PKTS:
		return e->meter.not_sent_packets + e->ns_pkts;
	case EXP_S_NS_OCTETS:
		return e->meter.not_sent_octets + e->ns_octets;
	case EXP_S_IFINDEX:		return ifc->ifindex;
	default:			return 0;
	}
}

/* An unsigned in `len` (1..8) big-endian bytes (RFC 7011 6.1.1). */
static void put_uint(struct wire_cursor *c, uint64_t v, uint16_t len)
{
	uint8_t b[8];
	uint16_t i;

	if (len > 8) {
		c->err = true;
		return;
	}
	for (i = 0; i < len; i++)
		b[i] = (uint8_t)(v >> (8 * (len - 1 - i)));
	wire_put_bytes(c, b, len);
}

static void put_str(struct wire_cursor *c, const char *s, size_t max,
		    uint16_t len)
{
	size_t n = strnlen(s, max - 1);

	if (len == IPFIX_VARLEN) {		/* RFC 7011 7: short form */
		wire_put_u8(c, (uint8_t)n);
		wire_put_bytes(c, s, n);
		return;
	}
	if (n > len)
		n = len;
	wire_put_bytes(c, s, n);
	wire_put_zero(c, len - n);
}

static void put_record(struct exp *e, const struct exp_tmpl *t,
		       const struct tflow_record *r,
		       const struct exp_iface *ifc)
{
	const struct exp_field *f;
	size_t i;

	for (i = 0; i < t->n; i++) {
		f = &t->f[i];
		switch (f->src) {
		case EXP_S_SRC_ADDR:
			wire_put_bytes(&e->c, r->src_addr, f->len);
			break;
		case EXP_S_DST_ADDR:
			wire_put_bytes(&e->c, r->dst_addr, f->len);
			break;
		case EXP_S_NEXT_HOP:
			wire_put_bytes(&e->c, r->next_hop, f->len);
			break;
		case EXP_S_SRC_MAC:
			wire_put_bytes(&e->c, r->src_mac, f->len);
			break;
		case EXP_S_DST_MAC:
			wire_put_bytes(&e->c, r->dst_mac, f->len);
			break;
		case EXP_S_IFNAME:
			put_str(&e->c, ifc->name, EXP_IFNAME_LEN, f->len);
			break;
		case EXP_S_IFDESC:
			put_str(&e->c, ifc->descr, EXP_IFDESC_LEN, f->len);
			break;
		default:
			put_uint(&e->c, field_value(e, f->src, r, ifc),
				 f->len);
			break;
		}
	}
	e->dg_records++;
	e->dg_data++;
}

static size_t rec_len(const struct exp_tmpl *t, const struct exp_iface *ifc)
{
	size_t n = t->rec_len;

	if (ifc != NULL && t->f[1].len == IPFIX_VARLEN)
		n += strnlen(ifc->name, EXP_IFNAME_LEN - 1) +
		    strnlen(ifc->descr, EXP_IFDESC_LEN - 1);
	return n;
}

/* One options data record, if it fits the open datagram. */
static bool put_options(struct exp *e, enum exp_tmpl_idx idx,
			const struct exp_iface *ifc)
{
	const struct exp_tmpl *t = &e->t[idx];

	if (!t->present)
		return true;
	if (!set_fits(e, t->id, rec_len(t, ifc)))
		return false;
	set_open(e, t->id);
	put_record(e, t, NULL, ifc);
	e->cnt.options++;
	return true;
}

/* Write what remains of the refresh; stops when the datagram is full. */
static void refresh_continue(struct exp *e)
{
	for (;;) {
		switch (e->step) {
		case EXP_STEP_NONE:
			return;
		case EXP_STEP_TEMPLATES:
			put_templates(e);	/* fits: exp_tx_init */
			e->step = EXP_STEP_EXPORTER;
			break;
		case EXP_STEP_EXPORTER:
			if (!put_options(e, EXP_T_EXPORTER, NULL))
				return;
			e->step = EXP_STEP_METER;
			break;
		case EXP_STEP_METER:
			if (!put_options(e, EXP_T_METER, NULL))
				return;
			e->step = EXP_STEP_EXPORTING;
			break;
		case EXP_STEP_EXPORTING:
			if (!put_options(e, EXP_T_EXPORTING, NULL))
				return;
			e->step = EXP_STEP_IFACE;
			break;
		case EXP_STEP_IFACE:
			while (e->iface_pos < e->n_ifs) {
				if (!put_options(e, EXP_T_IFACE,
						 &e->ifs[e->iface_pos]))
					return;
				e->iface_pos++;
			}
			e->step = EXP_STEP_NONE;
			return;
		}
	}
}

int exp_tx_add(struct exp *e, const struct tflow_record *r, uint64_t now_ms)
{
	const struct exp_tmpl *t;

	if (r->ip_version == 4)
		t = &e->t[EXP_T_V4];
	else if (r->ip_version == 6)
		t = &e->t[EXP_T_V6];
	else
		return -EINVAL;
	/* Templates are due by time: close the datagram so that the next one
	 * opens with them (exp_dgram_begin), rather than sending data later
	 * than the timeout allows. */
	if (exp_dgram_open(e) && e->dg_flows != 0 && e->step == EXP_STEP_NONE &&
	    refresh_timed_out(e, now_ms))
		exp_dgram_finish(e, now_ms);
	for (;;) {
		if (!exp_dgram_open(e))
			exp_dgram_begin(e, now_ms);
		if (e->step == EXP_STEP_NONE && set_fits(e, t->id, t->rec_len))
			break;
		/* Templates and options filled this datagram: the next one
		 * starts with data, or a refresh of 1 (or a huge interface
		 * table) would never let a record through. */
		if (e->step == EXP_STEP_NONE && e->dg_flows == 0)
			e->skip_refresh = true;
		exp_dgram_finish(e, now_ms);
	}
	set_open(e, t->id);
	put_record(e, t, r, NULL);
	e->dg_last_ms = now_ms;
	e->dg_flows++;
	e->dg_pkts += r->packets;
	e->dg_octets += r->octets;
	e->cnt.records++;
	return 0;
}
