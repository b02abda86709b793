/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dec_priv: what the per-version decoders (dec_v1.c dec_v5.c dec_v9.c
 * dec_ipfix.c) and the shared template/field code (dec_fields.c) need from
 * each other and from dec.c.  Not for other modules.
 */
#ifndef TFLOW_DEC_PRIV_H
#define TFLOW_DEC_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "dec.h"
#include "tmpl.h"
#include "wire_cursor.h"

#define DEC_MAX_SAMPLERS	8	/* v9 sampler table rows per exporter */

/* Earliest plausible exporter clock: 2000-01-01.  A header time before
 * it (nProbe sends 502 s) is replaced by the receive time. */
#define DEC_EPOCH_MIN_MS	946684800000ULL

/* Data set waiting for its template (copied: the datagram is gone). */
struct dec_held {
	uint8_t *body;			/* records, set header excluded */
	uint16_t len;
	uint16_t tmpl_id;
	uint32_t uptime_ms;		/* header context of its datagram */
	uint64_t export_ms;
	bool export_estimated;
	uint64_t when_ms;		/* held since */
};

struct dec_sampler {
	uint32_t id;			/* samplerId (48) */
	uint32_t packets, space;
};

/* One exporter (address and port) and domain, for one version. */
struct dec_exporter {
	struct dec_exporter *next;	/* hash chain */
	struct tmpl_key key;
	struct dec_stats st;

	/* Sequence tracking, wrap-safe (see dec_seq()). */
	bool seq_valid;
	bool seq_skip;			/* next check resyncs: records unknown */
	uint32_t seq_next;
	uint32_t late_streak;

	/* v5/v9 restart detection: boot time = export time - uptime. */
	bool boot_valid;
	uint32_t last_uptime_ms;
	uint64_t boot_ms;

	/* IPFIX uptime-relative times (21/22). */
	uint64_t sys_init_ms;		/* from 160 in options data; 0 none */
	bool boot_est_valid;		/* without 160: export - max(end) */
	uint64_t boot_est_ms;

	/* Sampling announced in options data (or v5 header). */
	uint32_t samp_packets, samp_space;
	uint32_t samp_psamp_interval, samp_psamp_space; /* 305, 306 */
	struct dec_sampler samplers[DEC_MAX_SAMPLERS];
	uint32_t nsamplers;

	struct dec_held *held;		/* hold_sets entries, lazily */
	uint32_t nheld;
	uint32_t held_bytes;
};

struct dec_ctx {
	struct dec_config cfg;
	struct tmpl_store *ts;
	uint8_t hkey[16];
	size_t nbuckets;
	struct dec_exporter **buckets;
	uint32_t nexporters;
	struct dec_stats orphan;	/* dropped before an exporter was known */
};

/* Header values a data record needs to turn times into Unix ms. */
struct dec_hdr {
	uint16_t version;
	uint32_t uptime_ms;		/* v9: sysUptime */
	uint64_t export_ms;		/* checked: plausible, else now_ms */
	bool export_estimated;
	uint64_t now_ms;
};

/* Where a datagram's records go. */
struct dec_out {
	dec_emit_fn *emit;
	void *arg;
};

/* dec.c */
/* The first 36 bytes of a v1 and a v5 record, the same in both: addresses,
 * next hop, 16-bit interfaces, 32-bit counters, uptimes, ports. */
void dec_v1v5_head(struct wire_cursor *c, struct tflow_record *rec,
		   uint32_t *first, uint32_t *last);

/* The entry of an exporter, or NULL: never creates one. */
struct dec_exporter *dec_exporter_lookup(const struct dec_ctx *ctx,
					 const struct dec_source *src,
					 uint16_t version, uint32_t domain);
struct dec_exporter *dec_exporter_get(struct dec_ctx *ctx,
				      const struct dec_source *src,
				      uint16_t version, uint32_t domain);
void dec_count(struct dec_ctx *ctx, struct dec_exporter *e, enum dec_err r);
void dec_record_base(const struct dec_exporter *e, uint16_t version,
		     struct tflow_record *rec);
/* dec_record_base() without clearing: for a record already zeroed. */
void dec_record_exporter(const struct dec_exporter *e, uint16_t version,
			 struct tflow_record *rec);
void dec_emit(struct dec_exporter *e, const struct dec_out *out,
	      struct tflow_record *rec);
/* Export time from the header, or now_ms when the header's is absurd. */
void dec_hdr_time(struct dec_hdr *h, uint64_t header_ms, uint64_t now_ms);
/* Sequence check in the version's unit: `seq` as sent, `count` units this
 * datagram carries.  Updates lost/late/restart counters. */
void dec_seq(struct dec_exporter *e, uint32_t seq, uint32_t count);
/* v5/v9: uptime went back and boot time moved on: an exporter restart.
 * Returns true (counted, sequence resynced) when it did. */
bool dec_uptime_check(struct dec_exporter *e, const struct dec_hdr *h);
/* Time relative to sysUptime (ms) -> Unix ms; a `t` after the header's
 * uptime (clock skew) is clamped to the export time. */
uint64_t dec_uptime_to_ms(const struct dec_hdr *h, uint32_t t);
/* First/last sanity: fills what is missing from export time, never
 * leaves zero, 1970 or first > last; sets time_estimated. */
void dec_fix_times(struct tflow_record *rec, const struct dec_hdr *h);

/* dec_v1.c dec_v5.c dec_v9.c dec_ipfix.c */
enum dec_err dec_v1(struct dec_ctx *ctx, const struct dec_source *src,
		    const uint8_t *buf, size_t len, uint64_t now_ms,
		    const struct dec_out *out);
enum dec_err dec_v5(struct dec_ctx *ctx, const struct dec_source *src,
		    const uint8_t *buf, size_t len, uint64_t now_ms,
		    const struct dec_out *out);
enum dec_err dec_v9(struct dec_ctx *ctx, const struct dec_source *src,
		    const uint8_t *buf, size_t len, uint64_t now_ms,
		    const struct dec_out *out);
enum dec_err dec_ipfix(struct dec_ctx *ctx, const struct dec_source *src,
		       const uint8_t *buf, size_t len, uint64_t now_ms,
		       const struct dec_out *out);

/* dec_fields.c: shared by v9 and IPFIX. */

/* Walk the sets of a v9 or IPFIX message body (after the header) and
 * check their framing only: every set header complete, every length >= 4
 * and inside the body.  Returns DEC_OK or DEC_ERR_SET. */
enum dec_err dec_sets_check(const uint8_t *body, size_t len);

/* Parse one template set body (v9 id 0/1, IPFIX 2/3) and store what it
 * defines for session e->key; counts templates, withdrawals and errors.
 * Sets *learned when some template was (re)defined.  Returns the
 * template records it held (v9 header count unit). */
uint32_t dec_template_set(struct dec_ctx *ctx, struct dec_exporter *e,
			  uint16_t set_id, const uint8_t *body, size_t len,
			  uint64_t now_ms, bool *learned);

/* Decode one data set's records with their template, or hold it when the
 * template is missing.  Returns the number of data records decoded (IPFIX
 * sequence unit); *held set when the set was held or lost. */
uint32_t dec_data_set(struct dec_ctx *ctx, struct dec_exporter *e,
		      uint16_t set_id, const uint8_t *body, size_t len,
		      const struct dec_hdr *h, const struct dec_out *out,
		      bool *held);

/* After a template arrived: decode held sets that now have one, count
 * and free the ones too old.  out NULL: only count and free the old. */
void dec_held_run(struct dec_ctx *ctx, struct dec_exporter *e,
		  uint64_t now_ms, const struct dec_out *out);
void dec_held_free(struct dec_exporter *e);

#endif
