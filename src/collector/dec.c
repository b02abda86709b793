/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dec: the decoder context, the exporter/domain table and what every
 * version shares: accounting, sequence numbers, uptime and time sanity.
 *
 * Exporter entries are keyed like templates (address, port, version,
 * domain) and are never freed while the context lives: max_exporters
 * bounds them, and a datagram from one more exporter is counted in the
 * context's orphan counters (EXPORTER_LIMIT) and dropped.  An entry is
 * made only for a datagram whose framing is sound (the decoders check
 * before dec_exporter_get()), so garbage with random domain ids cannot
 * fill the table and lock real exporters out: its errors go to an
 * existing entry of the same key, or to the orphan counters.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tflow/wire.h"
#include "dec_priv.h"
#include "siphash.h"

static const char *const err_names[DEC_ERR__MAX] = {
	[DEC_OK] = "ok",
	[DEC_ERR_SHORT] = "short",
	[DEC_ERR_VERSION] = "bad_version",
	[DEC_ERR_COUNT] = "bad_count",
	[DEC_ERR_LENGTH] = "bad_length",
	[DEC_ERR_SET] = "bad_set",
	[DEC_ERR_TEMPLATE] = "bad_template",
	[DEC_ERR_TEMPLATE_LIMIT] = "template_limit",
	[DEC_ERR_NO_TEMPLATE] = "no_template",
	[DEC_ERR_RECORD] = "bad_record",
	[DEC_ERR_RESERVED_SET] = "reserved_set",
	[DEC_ERR_COUNT_MISMATCH] = "count_mismatch",
	[DEC_ERR_EXPORTER_LIMIT] = "exporter_limit",
	[DEC_ERR_NOMEM] = "nomem",
};

const char *dec_err_name(enum dec_err e)
{
	if ((unsigned)e >= DEC_ERR__MAX)
		return "?";
	return err_names[e];
}

void dec_config_default(struct dec_config *cfg)
{
	cfg->template_timeout_ms = 30 * 60 * 1000;
	cfg->max_templates = 65536;
	cfg->max_templates_per_session = 256;
	cfg->max_exporters = 4096;
	cfg->hold_ms = 10 * 1000;
	cfg->hold_sets = 16;
	cfg->hold_bytes = 16384;
}

struct dec_ctx *dec_new(const struct dec_config *cfg)
{
	struct tmpl_limits lim;
	struct dec_ctx *ctx;
	size_t n = 64;

	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL)
		return NULL;
	if (cfg != NULL)
		ctx->cfg = *cfg;
	else
		dec_config_default(&ctx->cfg);
	if (ctx->cfg.max_exporters == 0 || ctx->cfg.hold_bytes > 1 << 24) {
		free(ctx);
		errno = EINVAL;
		return NULL;
	}
	lim.max_total = ctx->cfg.max_templates;
	lim.max_per_session = ctx->cfg.max_templates_per_session;
	lim.timeout_ms = ctx->cfg.template_timeout_ms;
	ctx->ts = tmpl_store_new(&lim);
	if (ctx->ts == NULL)
		goto fail_ts;
	while (n < ctx->cfg.max_exporters && n < 65536)
		n <<= 1;
	ctx->nbuckets = n;
	ctx->buckets = calloc(n, sizeof(*ctx->buckets));
	if (ctx->buckets == NULL)
		goto fail_buckets;
	if (siphash_random_key(ctx->hkey) != 0)
		memset(ctx->hkey, 0xa5, sizeof(ctx->hkey));
	return ctx;

fail_buckets:
	tmpl_store_free(ctx->ts);
fail_ts:
	free(ctx);
	errno = ENOMEM;
	return NULL;
}

void dec_free(struct dec_ctx *ctx)
{
	struct dec_exporter *e, *next;
	size_t b;

	if (ctx == NULL)
		return;
	for (b = 0; b < ctx->nbuckets; b++)
		for (e = ctx->buckets[b]; e != NULL; e = next) {
			next = e->next;
			dec_held_free(e);
			free(e);
		}
	free(ctx->buckets);
	tmpl_store_free(ctx->ts);
	free(ctx);
}

static void key_of(struct tmpl_key *k, const struct dec_source *src,
		   uint16_t version, uint32_t domain)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->addr, src->addr, sizeof(k->addr));
	if (src->family == 4)
		memset(k->addr + 4, 0, 12);
	k->port = src->port;
	k->family = src->family;
	k->version = (uint8_t)version;
	k->domain = domain;
}

static struct dec_exporter *exporter_find(const struct dec_ctx *ctx,
					  const struct tmpl_key *k,
					  struct dec_exporter ***bp)
{
	uint64_t h = siphash13(ctx->hkey, k, sizeof(*k));
	struct dec_exporter **b = &ctx->buckets[h & (ctx->nbuckets - 1)];
	struct dec_exporter *e;

	if (bp != NULL)
		*bp = b;
	for (e = *b; e != NULL; e = e->next)
		if (memcmp(&e->key, k, sizeof(*k)) == 0)
			return e;
	return NULL;
}

struct dec_exporter *dec_exporter_lookup(const struct dec_ctx *ctx,
					 const struct dec_source *src,
					 uint16_t version, uint32_t domain)
{
	struct tmpl_key k;

	key_of(&k, src, version, domain);
	return exporter_find(ctx, &k, NULL);
}

struct dec_exporter *dec_exporter_get(struct dec_ctx *ctx,
				      const struct dec_source *src,
				      uint16_t version, uint32_t domain)
{
	struct dec_exporter **b, *e;
	struct tmpl_key k;

	key_of(&k, src, version, domain);
	e = exporter_find(ctx, &k, &b);
	if (e != NULL)
		return e;
	if (ctx->nexporters >= ctx->cfg.max_exporters) {
		ctx->orphan.errors[DEC_ERR_EXPORTER_LIMIT]++;
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL) {
		ctx->orphan.errors[DEC_ERR_NOMEM]++;
		return NULL;
	}
	e->key = k;
	e->next = *b;
	*b = e;
	ctx->nexporters++;
	return e;
}

void dec_count(struct dec_ctx *ctx, struct dec_exporter *e, enum dec_err r)
{
	if ((unsigned)r >= DEC_ERR__MAX)
		return;
	if (e != NULL)
		e->st.errors[r]++;
	else
		ctx->orphan.errors[r]++;
}

void dec_record_base(const struct dec_exporter *e, uint16_t version,
		     struct tflow_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	dec_record_exporter(e, version, rec);
}

void dec_record_exporter(const struct dec_exporter *e, uint16_t version,
			 struct tflow_record *rec)
{
	memcpy(rec->exporter_addr, e->key.addr, sizeof(rec->exporter_addr));
	rec->exporter_family = e->key.family;
	rec->exporter_domain = e->key.domain;
	rec->version = version;
}

void dec_emit(struct dec_exporter *e, const struct dec_out *out,
	      struct tflow_record *rec)
{
	e->st.records++;
	if (out->emit != NULL)
		out->emit(out->arg, rec);
}

void dec_hdr_time(struct dec_hdr *h, uint64_t header_ms, uint64_t now_ms)
{
	h->now_ms = now_ms;
	h->export_ms = header_ms;
	h->export_estimated = false;
	/* An exporter without a set clock sends 1970-based times; a
	 * receive time is the better guess then.  (Never the other way
	 * round: replayed captures are legitimately far in the past.) */
	if (header_ms < DEC_EPOCH_MIN_MS && now_ms >= DEC_EPOCH_MIN_MS) {
		h->export_ms = now_ms;
		h->export_estimated = true;
	}
}

/* Behind by more than this many units, or this many datagrams in a row:
 * not reordering but a new sequence (exporter restart). */
#define SEQ_REORDER_WINDOW	65536
#define SEQ_LATE_STREAK		3
/* Ahead by more than this: a resync (restart, or garbage), not a loss. */
#define SEQ_MAX_GAP		(1U << 30)

void dec_seq(struct dec_exporter *e, uint32_t seq, uint32_t count)
{
	int32_t diff;

	if (!e->seq_valid || e->seq_skip) {
		e->seq_valid = true;
		e->seq_skip = false;
		e->seq_next = seq + count;
		e->late_streak = 0;
		return;
	}
	/* Wrap-safe: the distance mod 2^32, read as signed. */
	diff = (int32_t)(seq - e->seq_next);
	if (diff >= 0) {
		if ((uint32_t)diff < SEQ_MAX_GAP) {
			if (e->key.version == NF_V9_VERSION)
				e->st.lost_datagrams += (uint32_t)diff;
			else
				e->st.lost_records += (uint32_t)diff;
		} else {
			e->st.restarts++;
		}
		e->seq_next = seq + count;
		e->late_streak = 0;
		return;
	}
	if ((uint32_t)-(int64_t)diff > SEQ_REORDER_WINDOW ||
	    ++e->late_streak >= SEQ_LATE_STREAK) {
		e->st.restarts++;
		e->seq_next = seq + count;
		e->late_streak = 0;
		return;
	}
	e->st.seq_late++;
}

/* Boot time may wobble by the header clock's resolution (v9: 1 s). */
#define BOOT_SLACK_MS	2000

bool dec_uptime_check(struct dec_exporter *e, const struct dec_hdr *h)
{
	uint64_t boot = h->export_ms - h->uptime_ms;
	bool restart = false;

	/* Reordered datagrams also show an uptime going back, but their
	 * boot time (export time - uptime) stays put; after a restart the
	 * boot time moves forward by at least the old uptime. */
	if (e->boot_valid && h->uptime_ms < e->last_uptime_ms &&
	    boot > e->boot_ms + BOOT_SLACK_MS) {
		restart = true;
		e->st.restarts++;
		e->seq_skip = true;
	}
	if (!e->boot_valid || restart || h->uptime_ms >= e->last_uptime_ms) {
		e->last_uptime_ms = h->uptime_ms;
		e->boot_ms = boot;
		e->boot_valid = true;
	}
	return restart;
}

uint64_t dec_uptime_to_ms(const struct dec_hdr *h, uint32_t t)
{
	/* Wrap-safe: uptime counts ms mod 2^32 (49.7 days).  A flow time a
	 * little after the header's uptime is skew (or a wrap seen from the
	 * other side): it cannot have happened after the export.  Except in
	 * v9, whose header time is whole seconds: an exporter that takes
	 * sysUptime at that second (tflowd does, so that boot time comes out
	 * exact) has flows ending up to a second after it. */
	int32_t ago = (int32_t)(h->uptime_ms - t);

	if (ago <= 0) {
		if (h->version == 9 && ago > -1000)
			return h->export_ms + (uint32_t)-ago;
		return h->export_ms;
	}
	if ((uint64_t)ago > h->export_ms)
		return h->export_ms;
	return h->export_ms - (uint32_t)ago;
}

void dec_fix_times(struct tflow_record *rec, const struct dec_hdr *h)
{
	if (h->export_estimated)
		rec->time_estimated = true;
	if (rec->first_ms < DEC_EPOCH_MIN_MS && rec->last_ms < DEC_EPOCH_MIN_MS) {
		rec->first_ms = rec->last_ms = h->export_ms;
		rec->time_estimated = true;
	} else if (rec->first_ms < DEC_EPOCH_MIN_MS) {
		rec->first_ms = rec->last_ms;
		rec->time_estimated = true;
	} else if (rec->last_ms < DEC_EPOCH_MIN_MS) {
		rec->last_ms = rec->first_ms;
		rec->time_estimated = true;
	}
	if (rec->first_ms > rec->last_ms) {
		rec->first_ms = rec->last_ms;
		rec->time_estimated = true;
	}
}

enum dec_err dec_datagram(struct dec_ctx *ctx, const struct dec_source *src,
			  const uint8_t *buf, size_t len, uint64_t now_ms,
			  dec_emit_fn *emit, void *arg)
{
	struct dec_out out = { emit, arg };
	struct wire_cursor c;
	uint16_t version;
	enum dec_err r;

	wire_init(&c, buf, len);
	version = wire_get_u16(&c);
	if (c.err) {
		ctx->orphan.errors[DEC_ERR_SHORT]++;
		return DEC_ERR_SHORT;
	}
	switch (version) {
	case NF_V1_VERSION:
		r = dec_v1(ctx, src, buf, len, now_ms, &out);
		break;
	case NF_V5_VERSION:
		r = dec_v5(ctx, src, buf, len, now_ms, &out);
		break;
	case NF_V9_VERSION:
		r = dec_v9(ctx, src, buf, len, now_ms, &out);
		break;
	case IPFIX_VERSION:
		r = dec_ipfix(ctx, src, buf, len, now_ms, &out);
		break;
	default:
		ctx->orphan.errors[DEC_ERR_VERSION]++;
		r = DEC_ERR_VERSION;
		break;
	}
	return r;
}

void dec_expire(struct dec_ctx *ctx, uint64_t now_ms)
{
	struct dec_exporter *e;
	size_t b;

	tmpl_expire(ctx->ts, now_ms);
	/* Held sets whose template never came: counted, freed.  (A
	 * template that did come was tried at its own datagram.) */
	for (b = 0; b < ctx->nbuckets; b++)
		for (e = ctx->buckets[b]; e != NULL; e = e->next)
			if (e->nheld > 0)
				dec_held_run(ctx, e, now_ms, NULL);
}

static void stats_add(struct dec_stats *d, const struct dec_stats *s)
{
	unsigned i;

	d->datagrams += s->datagrams;
	d->records += s->records;
	d->options_records += s->options_records;
	d->templates += s->templates;
	d->options_templates += s->options_templates;
	d->templates_withdrawn += s->templates_withdrawn;
	d->templates_refused += s->templates_refused;
	d->unknown_fields += s->unknown_fields;
	d->held_sets += s->held_sets;
	d->lost_records += s->lost_records;
	d->lost_datagrams += s->lost_datagrams;
	d->seq_late += s->seq_late;
	d->restarts += s->restarts;
	for (i = 0; i < DEC_ERR__MAX; i++)
		d->errors[i] += s->errors[i];
}

void dec_total(const struct dec_ctx *ctx, struct dec_stats *out)
{
	const struct dec_exporter *e;
	size_t b;

	*out = ctx->orphan;
	for (b = 0; b < ctx->nbuckets; b++)
		for (e = ctx->buckets[b]; e != NULL; e = e->next)
			stats_add(out, &e->st);
}

int dec_exporter_stats(const struct dec_ctx *ctx, const struct dec_source *src,
		       uint16_t version, uint32_t domain, struct dec_stats *out)
{
	const struct dec_exporter *e;
	struct tmpl_key k;

	key_of(&k, src, version, domain);
	e = exporter_find(ctx, &k, NULL);
	if (e == NULL)
		return -ENOENT;
	*out = e->st;
	return 0;
}

void dec_foreach(const struct dec_ctx *ctx,
		 void (*fn)(void *arg, const struct dec_exporter_info *e),
		 void *arg)
{
	const struct dec_exporter *e;
	struct dec_exporter_info info;
	size_t b;

	for (b = 0; b < ctx->nbuckets; b++)
		for (e = ctx->buckets[b]; e != NULL; e = e->next) {
			memset(&info, 0, sizeof(info));
			memcpy(info.src.addr, e->key.addr, sizeof(info.src.addr));
			info.src.port = e->key.port;
			info.src.family = e->key.family;
			info.version = e->key.version;
			info.domain = e->key.domain;
			info.stats = e->st;
			fn(arg, &info);
		}
}

size_t dec_template_count(const struct dec_ctx *ctx)
{
	return tmpl_count(ctx->ts);
}

void dec_v1v5_head(struct wire_cursor *c, struct tflow_record *rec,
		   uint32_t *first, uint32_t *last)
{
	wire_get_bytes(c, rec->src_addr, 4);
	wire_get_bytes(c, rec->dst_addr, 4);
	wire_get_bytes(c, rec->next_hop, 4);
	rec->in_if = wire_get_u16(c);
	rec->out_if = wire_get_u16(c);
	rec->packets = wire_get_u32(c);
	rec->octets = wire_get_u32(c);
	*first = wire_get_u32(c);
	*last = wire_get_u32(c);
	rec->src_port = wire_get_u16(c);
	rec->dst_port = wire_get_u16(c);
}
