/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dec_fields: what v9 and IPFIX share -- set framing, template and options
 * template parsing, data records dispatched field by field into a
 * tflow_record, options data (sampling, sampler tables, system init
 * time), and data held until its template comes.
 *
 * Every byte is read through a bounded cursor; a field is first cut out
 * as its own cursor of exactly its length, so a value can never be read
 * from the next field or past the set.  Elements are dispatched on the
 * IE_* constants of ie.def; enterprise elements and elements tflow does
 * not use are skipped by length (and counted when their template comes).
 * Any unsigned value accepts the reduced sizes 1..8 (RFC 7011 6.2).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "tflow/ie.h"
#include "tflow/wire.h"
#include "dec_priv.h"

#define NTP_UNIX_OFFSET_S	2208988800ULL	/* 1900-01-01 to 1970 */
#define UPTIME_WRAP_MS		(1ULL << 32)
/* An IPFIX boot-time estimate that jumps forward by more than this is a
 * new boot (or an uptime wrap), not a better estimate. */
#define BOOT_EST_RESET_MS	(10ULL * 60 * 1000)
/* A time computed from systemInitTime may run ahead of the export time by
 * clock skew; more than this and a wrapped 32-bit uptime is assumed. */
#define INIT_SKEW_MS		(60ULL * 1000)

enum dec_err dec_sets_check(const uint8_t *body, size_t len)
{
	struct wire_cursor c;
	uint16_t slen;

	wire_init(&c, body, len);
	while (wire_left(&c) > 0) {
		if (wire_left(&c) < sizeof(struct flow_set_header))
			return DEC_ERR_SET;
		wire_skip(&c, 2);		/* id */
		slen = wire_get_u16(&c);
		if (slen < sizeof(struct flow_set_header))
			return DEC_ERR_SET;
		wire_skip(&c, slen - sizeof(struct flow_set_header));
		if (c.err)
			return DEC_ERR_SET;
	}
	return DEC_OK;
}

static bool all_zero(const struct wire_cursor *c)
{
	const uint8_t *p;

	for (p = c->p; p < c->end; p++)
		if (*p != 0)
			return false;
	return true;
}

/* Learn one parsed template into the store, with its accounting. */
static void learn(struct dec_ctx *ctx, struct dec_exporter *e,
		  struct tmpl *t, uint64_t now_ms, bool *learned)
{
	uint16_t i;
	int r;

	if (tmpl_finish(t) != 0) {
		dec_count(ctx, e, DEC_ERR_TEMPLATE);
		return;
	}
	r = tmpl_add(ctx->ts, &e->key, t, now_ms);
	if (r == -ENOSPC || r == -EDQUOT) {
		e->st.templates_refused++;
		dec_count(ctx, e, DEC_ERR_TEMPLATE_LIMIT);
		return;
	}
	if (r < 0) {
		dec_count(ctx, e, DEC_ERR_NOMEM);
		return;
	}
	if (t->options)
		e->st.options_templates++;
	else
		e->st.templates++;
	for (i = 0; i < t->nfields; i++)
		if (t->fields[i].pen != 0 || t->fields[i].scope ||
		    ie_lookup(t->fields[i].id) == NULL)
			e->st.unknown_fields++;
	*learned = true;
}

/* Fields of one template record; IPFIX fields may carry an enterprise
 * number.  Returns false on a truncated record. */
static bool read_fields(struct wire_cursor *c, struct tmpl *t, uint16_t from,
			uint16_t n, bool ipfix, bool scope)
{
	uint16_t i, id;

	for (i = from; i < from + n; i++) {
		struct tmpl_field *f = &t->fields[i];

		id = wire_get_u16(c);
		f->len = wire_get_u16(c);
		f->pen = 0;
		f->scope = scope;
		if (ipfix && (id & IPFIX_ENTERPRISE_BIT)) {
			id &= (uint16_t)~IPFIX_ENTERPRISE_BIT;
			f->pen = wire_get_u32(c);
			/* An element with an enterprise number of 0 would
			 * pass for an IANA one; it is not. */
			if (f->pen == 0)
				f->pen = UINT32_MAX;
		}
		f->id = id;
	}
	return !c->err;
}

uint32_t dec_template_set(struct dec_ctx *ctx, struct dec_exporter *e,
			  uint16_t set_id, const uint8_t *body, size_t len,
			  uint64_t now_ms, bool *learned)
{
	struct tmpl_field fields[TMPL_MAX_FIELDS];
	bool ipfix = set_id == IPFIX_SET_TEMPLATE ||
	    set_id == IPFIX_SET_OPTIONS_TEMPLATE;
	bool options = set_id == NF_V9_SET_OPTIONS_TEMPLATE ||
	    set_id == IPFIX_SET_OPTIONS_TEMPLATE;
	size_t hdr = options ? 6 : 4;
	struct wire_cursor c;
	struct tmpl t;
	uint32_t n = 0;

	wire_init(&c, body, len);
	/* Less than a template header left: padding. */
	while (wire_left(&c) >= hdr) {
		uint16_t count, nscope = 0, nopt;

		n++;
		memset(&t, 0, sizeof(t));
		t.fields = fields;
		t.options = options;
		t.id = wire_get_u16(&c);
		if (ipfix) {
			count = wire_get_u16(&c);
			if (count == 0) {
				/* Withdrawal (RFC 7011 8.1); id == set id
				 * withdraws them all. */
				if (t.id == set_id) {
					e->st.templates_withdrawn +=
					    tmpl_withdraw_all(ctx->ts, &e->key,
							      options);
				} else if (t.id >= IPFIX_MIN_DATA_SET &&
					   tmpl_withdraw(ctx->ts, &e->key,
							 t.id) == 0) {
					e->st.templates_withdrawn++;
				}
				continue;
			}
			if (options) {
				nscope = wire_get_u16(&c);
				if (nscope == 0 || nscope > count)
					goto bad;
			}
			nopt = count - nscope;
		} else if (options) {
			uint16_t scope_len = wire_get_u16(&c);
			uint16_t opt_len = wire_get_u16(&c);

			if (scope_len % 4 != 0 || opt_len % 4 != 0)
				goto bad;
			nscope = scope_len / 4;
			nopt = opt_len / 4;
			count = nscope + nopt;
		} else {
			count = wire_get_u16(&c);
			nopt = count;
		}
		if (t.id < IPFIX_MIN_DATA_SET) {
			/* Zeros after the last template: padding. */
			c.p -= hdr;
			if (all_zero(&c))
				return n - 1;
			goto bad;
		}
		if (count == 0 || count > TMPL_MAX_FIELDS)
			goto bad;
		t.nfields = count;
		t.nscope = nscope;
		/* v9 scope fields hold scope types (system, interface...),
		 * not elements; IPFIX scope fields are elements. */
		if (!read_fields(&c, &t, 0, nscope, ipfix, !ipfix) ||
		    !read_fields(&c, &t, nscope, nopt, ipfix, false))
			goto bad;
		learn(ctx, e, &t, now_ms, learned);
	}
	return n;
bad:
	/* The rest of this set cannot be trusted; other sets can. */
	dec_count(ctx, e, DEC_ERR_TEMPLATE);
	return n;
}

/* What one record said, before it becomes a tflow_record. */
struct rec_state {
	struct tflow_record rec;
	uint64_t first_ms, last_ms;	/* absolute, 0 absent */
	uint32_t up_first, up_last;	/* sysUptime-relative */
	bool has_up_first, has_up_last;
	uint32_t delta_first_us, delta_last_us;
	bool has_delta_first, has_delta_last;
	uint64_t sys_init_ms;
	uint32_t duration_ms;
	bool has_duration;
	bool has_pkts, has_octets;
	uint64_t total_pkts, total_octets;
	bool has_total_pkts, has_total_octets;
	bool has_next_hop, has_src_mac, has_dst_mac, has_ttl;
	bool has_icmp, v6, v4;
	uint8_t icmp_type, icmp_code;
	uint32_t samp_interval;		/* 34 */
	uint32_t sampler_id;		/* 48 */
	bool has_sampler_id;
	uint32_t random_interval;	/* 50 */
	uint32_t selector_algo;		/* 304 */
	bool has_selector_algo;
	uint32_t psamp_interval, psamp_space; /* 305, 306 */
	bool has_psamp_interval, has_psamp_space;
};

static uint64_t ntp_to_ms(uint64_t ntp)
{
	uint64_t secs = ntp >> 32, frac = ntp & 0xffffffffULL;

	if (secs < NTP_UNIX_OFFSET_S)
		return 0;
	return (secs - NTP_UNIX_OFFSET_S) * 1000 + ((frac * 1000) >> 32);
}

/* RouterOS sends samplingInterval little-endian in data records.  A
 * big-endian interval that is a non-zero multiple of 65536 is what a
 * little-endian one below 65536 looks like, and is itself implausible
 * (1 in 65536 or coarser); from a RouterOS-shaped template, any value
 * that gets smaller when swapped is taken as swapped. */
static uint32_t sampling_interval(uint64_t v, uint16_t len,
				  const struct tmpl *t)
{
	uint32_t be = (uint32_t)v, sw;

	if (len != 4)
		return be;
	sw = (uint32_t)((be & 0xff) << 24 | (be & 0xff00) << 8 |
			(be >> 8 & 0xff00) | be >> 24);
	if ((be & 0xffff) == 0 && be != 0)
		return sw;
	if (t->routeros && sw < be)
		return sw;
	return be;
}

/* wire_get_uint() for a field cursor, with the sizes exporters use read
 * in one load: the byte loop was the costliest line of a record. */
static inline uint64_t field_uint(struct wire_cursor *c, size_t n)
{
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;

	if (n > 8 || !wire_need(c, n))
		return 0;
	switch (n) {
	case 1:
		return c->p[0];
	case 2:
		memcpy(&v16, c->p, 2);
		return be16toh(v16);
	case 4:
		memcpy(&v32, c->p, 4);
		return be32toh(v32);
	case 8:
		memcpy(&v64, c->p, 8);
		return be64toh(v64);
	/* The odd sizes too: every field of 8 bytes or less is read as a
	 * number, MAC addresses (6) included. */
	case 3:
		memcpy(&v16, c->p, 2);
		return (uint64_t)be16toh(v16) << 8 | c->p[2];
	case 5:
		memcpy(&v32, c->p, 4);
		return (uint64_t)be32toh(v32) << 8 | c->p[4];
	case 6:
		memcpy(&v32, c->p, 4);
		memcpy(&v16, c->p + 4, 2);
		return (uint64_t)be32toh(v32) << 16 | be16toh(v16);
	case 7:
		memcpy(&v32, c->p, 4);
		memcpy(&v16, c->p + 4, 2);
		return (uint64_t)be32toh(v32) << 24 |
		    (uint64_t)be16toh(v16) << 8 | c->p[6];
	default:
		return wire_get_uint(c, n);
	}
}

/* One field: u is its value as an unsigned of any reduced size (0 when
 * longer than 8 bytes); addresses read v itself. */
static void field(struct rec_state *s, const struct tmpl *t,
		  const struct tmpl_field *f, struct wire_cursor *v,
		  uint16_t len, uint64_t u)
{
	struct tflow_record *r = &s->rec;

	switch (f->id) {
	case IE_IN_BYTES:
		r->octets = u;
		s->has_octets = len >= 1 && len <= 8;
		break;
	case IE_IN_PKTS:
		r->packets = u;
		s->has_pkts = len >= 1 && len <= 8;
		break;
	case IE_IN_PERMANENT_BYTES:
		s->total_octets = u;
		s->has_total_octets = true;
		break;
	case IE_IN_PERMANENT_PKTS:
		s->total_pkts = u;
		s->has_total_pkts = true;
		break;
	case IE_PROTOCOL:
		r->proto = (uint8_t)u;
		break;
	case IE_SRC_TOS:
		r->tos = (uint8_t)u;
		break;
	case IE_TCP_FLAGS:
		r->tcp_flags = (uint8_t)u;	/* IPFIX: 2 bytes, low 8 */
		break;
	case IE_L4_SRC_PORT:
		r->src_port = (uint16_t)u;
		break;
	case IE_L4_DST_PORT:
		r->dst_port = (uint16_t)u;
		break;
	case IE_IPV4_SRC_ADDR:
		if (len == 4) {
			wire_get_bytes(v, r->src_addr, 4);
			s->v4 = true;
		}
		break;
	case IE_IPV4_DST_ADDR:
		if (len == 4) {
			wire_get_bytes(v, r->dst_addr, 4);
			s->v4 = true;
		}
		break;
	case IE_IPV6_SRC_ADDR:
		if (len == 16) {
			wire_get_bytes(v, r->src_addr, 16);
			s->v6 = true;
		}
		break;
	case IE_IPV6_DST_ADDR:
		if (len == 16) {
			wire_get_bytes(v, r->dst_addr, 16);
			s->v6 = true;
		}
		break;
	case IE_IPV4_NEXT_HOP:
		if (len == 4) {
			memset(r->next_hop, 0, sizeof(r->next_hop));
			wire_get_bytes(v, r->next_hop, 4);
			s->has_next_hop = true;
		}
		break;
	case IE_IPV6_NEXT_HOP:
		if (len == 16) {
			wire_get_bytes(v, r->next_hop, 16);
			s->has_next_hop = true;
		}
		break;
	case IE_BGP_IPV4_NEXT_HOP:
		if (len == 4 && !s->has_next_hop)
			wire_get_bytes(v, r->next_hop, 4);
		break;
	case IE_BGP_IPV6_NEXT_HOP:
		if (len == 16 && !s->has_next_hop)
			wire_get_bytes(v, r->next_hop, 16);
		break;
	case IE_SRC_MASK:
	case IE_IPV6_SRC_MASK:
		r->src_mask = (uint8_t)u;
		break;
	case IE_DST_MASK:
	case IE_IPV6_DST_MASK:
		r->dst_mask = (uint8_t)u;
		break;
	case IE_INPUT_SNMP:
		r->in_if = (uint32_t)u;
		break;
	case IE_OUTPUT_SNMP:
		r->out_if = (uint32_t)u;
		break;
	case IE_LAST_SWITCHED:
		s->up_last = (uint32_t)u;
		s->has_up_last = true;
		break;
	case IE_FIRST_SWITCHED:
		s->up_first = (uint32_t)u;
		s->has_up_first = true;
		break;
	case IE_FLOW_START_SEC:
		s->first_ms = u * 1000;
		break;
	case IE_FLOW_END_SEC:
		s->last_ms = u * 1000;
		break;
	case IE_FLOW_START_MILLISECONDS:
		s->first_ms = u;
		break;
	case IE_FLOW_END_MILLISECONDS:
		s->last_ms = u;
		break;
	case IE_FLOW_START_MICROSECONDS:
	case IE_FLOW_START_NANOSECONDS:
		if (len == 8)
			s->first_ms = ntp_to_ms(u);
		break;
	case IE_FLOW_END_MICROSECONDS:
	case IE_FLOW_END_NANOSECONDS:
		if (len == 8)
			s->last_ms = ntp_to_ms(u);
		break;
	case IE_FLOW_START_DELTA_MICROSECONDS:
		s->delta_first_us = (uint32_t)u;
		s->has_delta_first = true;
		break;
	case IE_FLOW_END_DELTA_MICROSECONDS:
		s->delta_last_us = (uint32_t)u;
		s->has_delta_last = true;
		break;
	case IE_SYSTEM_INIT_TIME_MILLISECONDS:
		s->sys_init_ms = u;
		break;
	case IE_FLOW_DURATION_MILLISECONDS:
		s->duration_ms = (uint32_t)u;
		s->has_duration = true;
		break;
	case IE_ICMP_TYPE:
	case IE_ICMP_TYPE_IPV6:
		s->icmp_type = (uint8_t)(u >> 8);
		s->icmp_code = (uint8_t)u;
		s->has_icmp = true;
		break;
	case IE_ICMP_IPV4_TYPE:
	case IE_ICMP_IPV6_TYPE:
		s->icmp_type = (uint8_t)u;
		s->has_icmp = true;
		break;
	case IE_ICMP_IPV4_CODE:
	case IE_ICMP_IPV6_CODE:
		s->icmp_code = (uint8_t)u;
		s->has_icmp = true;
		break;
	case IE_SRC_VLAN:
		r->vlan = (uint16_t)(u & 0x0fff);
		break;
	case IE_IN_SRC_MAC:
		if (len == 6) {
			wire_get_bytes(v, r->src_mac, 6);
			s->has_src_mac = true;
		}
		break;
	case IE_IN_DST_MAC:
		if (len == 6) {
			wire_get_bytes(v, r->dst_mac, 6);
			s->has_dst_mac = true;
		}
		break;
	case IE_OUT_SRC_MAC:
		if (len == 6 && !s->has_src_mac)
			wire_get_bytes(v, r->src_mac, 6);
		break;
	case IE_OUT_DST_MAC:
		if (len == 6 && !s->has_dst_mac)
			wire_get_bytes(v, r->dst_mac, 6);
		break;
	case IE_MIN_TTL:
		r->ttl_min = (uint8_t)u;
		s->has_ttl = true;
		break;
	case IE_MAX_TTL:
		r->ttl_max = (uint8_t)u;
		s->has_ttl = true;
		break;
	case IE_IP_TTL:
		if (!s->has_ttl)
			r->ttl_min = r->ttl_max = (uint8_t)u;
		break;
	case IE_IP_PROTOCOL_VERSION:
		if (u == 4 || u == 6)
			r->ip_version = (uint8_t)u;
		break;
	case IE_FLOW_END_REASON:
		r->end_reason = (uint8_t)u;
		break;
	case IE_SAMPLING_INTERVAL:
		s->samp_interval = sampling_interval(u, len, t);
		break;
	case IE_FLOW_SAMPLER_ID:
		s->sampler_id = (uint32_t)u;
		s->has_sampler_id = true;
		break;
	case IE_FLOW_SAMPLER_RANDOM_INTERVAL:
		s->random_interval = (uint32_t)u;
		break;
	case IE_SELECTOR_ALGORITHM:
		s->selector_algo = (uint32_t)u;
		s->has_selector_algo = true;
		break;
	case IE_SAMPLING_PACKET_INTERVAL:
		s->psamp_interval = (uint32_t)u;
		s->has_psamp_interval = true;
		break;
	case IE_SAMPLING_PACKET_SPACE:
		s->psamp_space = (uint32_t)u;
		s->has_psamp_space = true;
		break;
	default:
		break;
	}
}

/* A field's value as an unsigned of any reduced size; 0 when it is not 1
 * to 8 bytes long.  `end` bounds what may be read: the set. */
static inline uint64_t field_value(const struct wire_cursor *v, size_t len,
				   const uint8_t *end)
{
	struct wire_cursor cu = *v;
	uint64_t w;

	if (len < 1 || len > 8)
		return 0;
	if (end - v->p >= 8) {
		/* Eight bytes, all inside the set, and the field's top ones
		 * kept: one load, no branch on the size (which changes field
		 * by field and defeated the predictor). */
		memcpy(&w, v->p, 8);
		return be64toh(w) >> (64 - 8 * len);
	}
	return field_uint(&cu, len);
}

/* Decode one record at c; false when it overruns (c then has err set). */
static bool record(const struct tmpl *t, struct wire_cursor *c,
		   struct rec_state *s)
{
	/* Fixed lengths whose sum is there: no field can overrun, so none
	 * is checked. */
	bool fixed = !t->varlen && wire_left(c) >= t->min_len;
	const struct tmpl_field *f;
	struct wire_cursor v;
	size_t len;
	uint16_t i;

	for (i = 0; i < t->nfields; i++) {
		f = &t->fields[i];
		len = f->len;
		if (!fixed) {
			if (len == TMPL_VARLEN) {
				/* RFC 7011 7: one length byte, 255 escapes
				 * to a two-byte length. */
				len = wire_get_u8(c);
				if (len == 255)
					len = wire_get_u16(c);
			}
			if (c->err || !wire_need(c, len))
				return false;
		}
		/* In bounds either way: checked above or by the sum. */
		wire_init(&v, c->p, len);
		c->p += len;
		if (f->pen != 0 || f->scope)
			continue;
		field(s, t, f, &v, (uint16_t)len, field_value(&v, len, c->end));
	}
	return true;
}

static void psamp_ok(const struct rec_state *s, uint32_t *packets,
		     uint32_t *space)
{
	/* PSAMP systematic count-based (304 = 1, or unsaid): interval
	 * taken, space skipped.  305 alone says nothing about the rate. */
	if (s->has_psamp_interval && s->has_psamp_space &&
	    s->psamp_interval > 0 &&
	    (!s->has_selector_algo || s->selector_algo == 1)) {
		*packets = s->psamp_interval;
		*space = s->psamp_space;
	}
}

/* Options data: remember what it announces for this exporter/domain. */
static void options_apply(struct dec_exporter *e, const struct rec_state *s)
{
	uint32_t n = s->random_interval ? s->random_interval : s->samp_interval;
	uint32_t i;

	if (s->sys_init_ms != 0)
		e->sys_init_ms = s->sys_init_ms;
	if (s->has_sampler_id && n > 0) {
		/* v9 sampler table row: data records name it by 48. */
		for (i = 0; i < e->nsamplers; i++)
			if (e->samplers[i].id == s->sampler_id)
				break;
		if (i == e->nsamplers) {
			if (e->nsamplers < DEC_MAX_SAMPLERS)
				e->nsamplers++;
			else
				i = s->sampler_id % DEC_MAX_SAMPLERS;
		}
		e->samplers[i].id = s->sampler_id;
		e->samplers[i].packets = 1;
		e->samplers[i].space = n - 1;
	} else if (n > 0) {
		e->samp_packets = 1;
		e->samp_space = n - 1;
	}
	psamp_ok(s, &e->samp_psamp_interval, &e->samp_psamp_space);
}

static void sampling(const struct dec_exporter *e, const struct rec_state *s,
		     struct tflow_record *r)
{
	uint32_t packets = 0, space = 0, i;

	psamp_ok(s, &packets, &space);
	if (packets == 0 && s->samp_interval > 0) {
		packets = 1;
		space = s->samp_interval - 1;
	}
	if (packets == 0 && s->has_sampler_id)
		for (i = 0; i < e->nsamplers; i++)
			if (e->samplers[i].id == s->sampler_id) {
				packets = e->samplers[i].packets;
				space = e->samplers[i].space;
			}
	if (packets == 0 && e->samp_psamp_interval > 0) {
		packets = e->samp_psamp_interval;
		space = e->samp_psamp_space;
	}
	if (packets == 0 && e->samp_packets > 0) {
		packets = e->samp_packets;
		space = e->samp_space;
	}
	r->sampling_packets = packets;
	r->sampling_space = space;
}

/* IPFIX uptime-relative time with a known system init time.  The uptime
 * is 32 bits of ms; add the wraps that keep it at or before the export. */
static uint64_t init_plus(uint64_t init, uint32_t up, uint64_t export_ms)
{
	uint64_t v = init + up;
	int i;

	for (i = 0; i < 64 && v + UPTIME_WRAP_MS <= export_ms + INIT_SKEW_MS; i++)
		v += UPTIME_WRAP_MS;
	return v;
}

static void times(struct dec_exporter *e, const struct dec_hdr *h,
		  struct rec_state *s)
{
	struct tflow_record *r = &s->rec;
	uint64_t init = s->sys_init_ms ? s->sys_init_ms : e->sys_init_ms;

	r->first_ms = s->first_ms;
	r->last_ms = s->last_ms;
	if (r->first_ms == 0 && s->has_delta_first)
		r->first_ms = h->export_ms - s->delta_first_us / 1000;
	if (r->last_ms == 0 && s->has_delta_last)
		r->last_ms = h->export_ms - s->delta_last_us / 1000;
	if ((r->first_ms == 0 && s->has_up_first) ||
	    (r->last_ms == 0 && s->has_up_last)) {
		if (h->version == NF_V9_VERSION) {
			if (r->first_ms == 0 && s->has_up_first)
				r->first_ms = dec_uptime_to_ms(h, s->up_first);
			if (r->last_ms == 0 && s->has_up_last)
				r->last_ms = dec_uptime_to_ms(h, s->up_last);
		} else if (init != 0) {
			if (r->first_ms == 0 && s->has_up_first)
				r->first_ms = init_plus(init, s->up_first,
							h->export_ms);
			if (r->last_ms == 0 && s->has_up_last)
				r->last_ms = init_plus(init, s->up_last,
						       h->export_ms);
		} else {
			/* No systemInitTime (RouterOS without sys-init-time
			 * in options): see boot_estimate(). */
			if (r->first_ms == 0 && s->has_up_first)
				r->first_ms = e->boot_est_ms + s->up_first;
			if (r->last_ms == 0 && s->has_up_last)
				r->last_ms = e->boot_est_ms + s->up_last;
			r->time_estimated = true;
		}
	}
	if (s->has_duration && r->first_ms != 0 && r->last_ms == 0)
		r->last_ms = r->first_ms + s->duration_ms;
	else if (s->has_duration && r->last_ms != 0 && r->first_ms == 0 &&
		 r->last_ms > s->duration_ms)
		r->first_ms = r->last_ms - s->duration_ms;
	else if (r->first_ms != 0 && r->last_ms == 0) {
		/* Start only (Cisco ASA events): the export is the latest
		 * the flow can have been seen. */
		r->last_ms = h->export_ms > r->first_ms ? h->export_ms :
		    r->first_ms;
		r->time_estimated = true;
	}
	dec_fix_times(r, h);
}

/* One decoded record: a flow goes to the callback, options data update
 * the exporter. */
static void finish(struct dec_exporter *e, const struct tmpl *t,
		   const struct dec_hdr *h, struct rec_state *s,
		   const struct dec_out *out)
{
	struct tflow_record *r = &s->rec;

	if (t->options) {
		e->st.options_records++;
		options_apply(e, s);
		return;
	}
	if (r->ip_version == 0)
		r->ip_version = s->v6 ? 6 : 4;
	if (!s->has_pkts && s->has_total_pkts)
		r->packets = s->total_pkts;
	if (!s->has_octets && s->has_total_octets)
		r->octets = s->total_octets;
	if (s->has_icmp &&
	    (r->proto == IPPROTO_ICMP || r->proto == IPPROTO_ICMPV6)) {
		r->src_port = 0;
		r->dst_port = (uint16_t)(s->icmp_type << 8 | s->icmp_code);
	}
	times(e, h, s);
	sampling(e, s, r);
	dec_emit(e, out, r);
}

/* IPFIX flow times relative to sysUptime without a systemInitTime: the
 * exporter booted at most (export time - end uptime) before any flow's
 * end, and the tightest such bound over everything seen is the estimate.
 * It is taken over the whole set before any record is converted, so
 * records of one set keep their relative order and spacing.  A bound far
 * above the estimate is a new boot (or an uptime wrap): start over. */
static void boot_estimate(struct dec_exporter *e, const struct tmpl *t,
			  const uint8_t *body, size_t len,
			  const struct dec_hdr *h)
{
	struct wire_cursor c;
	uint64_t best = UINT64_MAX;
	uint16_t i;

	for (i = 0; i < t->nfields; i++)
		if (t->fields[i].pen == 0 && !t->fields[i].scope &&
		    (t->fields[i].id == IE_LAST_SWITCHED ||
		     t->fields[i].id == IE_FIRST_SWITCHED))
			break;
	if (i == t->nfields)
		return;
	wire_init(&c, body, len);
	while (wire_left(&c) >= t->min_len) {
		struct rec_state s;
		uint32_t end;
		uint64_t cand;

		memset(&s, 0, sizeof(s));
		if (!record(t, &c, &s))
			break;
		if (s.sys_init_ms != 0 || (!s.has_up_last && !s.has_up_first))
			continue;
		end = s.has_up_last ? s.up_last : s.up_first;
		cand = h->export_ms > end ? h->export_ms - end : 0;
		if (cand < best)
			best = cand;
	}
	if (best == UINT64_MAX)
		return;
	if (!e->boot_est_valid || best < e->boot_est_ms ||
	    best > e->boot_est_ms + BOOT_EST_RESET_MS) {
		e->boot_est_ms = best;
		e->boot_est_valid = true;
	}
}

static uint32_t decode_records(struct dec_ctx *ctx, struct dec_exporter *e,
			       const struct tmpl *t, const uint8_t *body,
			       size_t len, const struct dec_hdr *h,
			       const struct dec_out *out)
{
	struct wire_cursor c;
	uint32_t n = 0;

	if (h->version == IPFIX_VERSION && e->sys_init_ms == 0 && !t->options)
		boot_estimate(e, t, body, len, h);
	wire_init(&c, body, len);
	/* What is left shorter than a record is padding (RFC 7011 3.3.1). */
	while (wire_left(&c) >= t->min_len) {
		struct rec_state s;

		/* Clears s.rec too: the exporter's fields are all it
		 * still needs before the record's own. */
		memset(&s, 0, sizeof(s));
		dec_record_exporter(e, h->version, &s.rec);
		if (!record(t, &c, &s)) {
			dec_count(ctx, e, DEC_ERR_RECORD);
			break;
		}
		finish(e, t, h, &s, out);
		n++;
	}
	return n;
}

static bool hold(struct dec_ctx *ctx, struct dec_exporter *e,
		 uint16_t set_id, const uint8_t *body, size_t len,
		 const struct dec_hdr *h)
{
	struct dec_held *d;

	if (ctx->cfg.hold_sets == 0 || e->nheld >= ctx->cfg.hold_sets ||
	    len > ctx->cfg.hold_bytes - e->held_bytes || len == 0)
		return false;
	if (e->held == NULL) {
		e->held = calloc(ctx->cfg.hold_sets, sizeof(*e->held));
		if (e->held == NULL)
			return false;
	}
	d = &e->held[e->nheld];
	d->body = malloc(len);
	if (d->body == NULL)
		return false;
	memcpy(d->body, body, len);
	d->len = (uint16_t)len;
	d->tmpl_id = set_id;
	d->uptime_ms = h->uptime_ms;
	d->export_ms = h->export_ms;
	d->export_estimated = h->export_estimated;
	d->when_ms = h->now_ms;
	e->nheld++;
	e->held_bytes += (uint32_t)len;
	e->st.held_sets++;
	return true;
}

uint32_t dec_data_set(struct dec_ctx *ctx, struct dec_exporter *e,
		      uint16_t set_id, const uint8_t *body, size_t len,
		      const struct dec_hdr *h, const struct dec_out *out,
		      bool *held)
{
	const struct tmpl *t = tmpl_find(ctx->ts, &e->key, set_id, h->now_ms);

	if (t == NULL) {
		*held = true;
		if (!hold(ctx, e, set_id, body, len, h))
			dec_count(ctx, e, DEC_ERR_NO_TEMPLATE);
		return 0;
	}
	return decode_records(ctx, e, t, body, len, h, out);
}

static void held_drop(struct dec_exporter *e, uint32_t i)
{
	free(e->held[i].body);
	e->held_bytes -= e->held[i].len;
	/* Keep arrival order: held data decodes oldest first. */
	memmove(&e->held[i], &e->held[i + 1],
		(e->nheld - i - 1) * sizeof(e->held[0]));
	e->nheld--;
}

void dec_held_run(struct dec_ctx *ctx, struct dec_exporter *e,
		  uint64_t now_ms, const struct dec_out *out)
{
	uint32_t i = 0;

	while (i < e->nheld) {
		struct dec_held *d = &e->held[i];
		const struct tmpl *t = NULL;

		if (out != NULL)
			t = tmpl_find(ctx->ts, &e->key, d->tmpl_id, now_ms);
		if (t != NULL) {
			struct dec_hdr h;

			h.version = e->key.version;
			h.uptime_ms = d->uptime_ms;
			h.export_ms = d->export_ms;
			h.export_estimated = d->export_estimated;
			h.now_ms = now_ms;
			decode_records(ctx, e, t, d->body, d->len, &h, out);
			held_drop(e, i);
		} else if (now_ms >= d->when_ms &&
			   now_ms - d->when_ms > ctx->cfg.hold_ms) {
			dec_count(ctx, e, DEC_ERR_NO_TEMPLATE);
			held_drop(e, i);
		} else {
			i++;
		}
	}
}

void dec_held_free(struct dec_exporter *e)
{
	uint32_t i;

	for (i = 0; i < e->nheld; i++)
		free(e->held[i].body);
	free(e->held);
	e->held = NULL;
	e->nheld = 0;
	e->held_bytes = 0;
}
