/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dec: tflow-collector's decoders for NetFlow v1, v5, v9 (RFC 3954) and
 * IPFIX (RFC 7011), behind one call.  Pure: bytes and a `now` in, flow
 * records out through a callback; no socket, clock or log.
 *
 * One dec_ctx holds the state every exporter needs: templates (tmpl.h),
 * data held while its template is missing, sequence and uptime tracking,
 * announced sampling, and accounting per exporter (address and port) and
 * domain (v5: engine type << 8 | engine id; v9: source id; IPFIX:
 * observation domain).  A malformed datagram is counted under a named
 * reason and dropped before it can change any template; it never touches
 * another exporter's state.  Memory is bounded by dec_config.
 */
#ifndef TFLOW_DEC_H
#define TFLOW_DEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tflow/record.h"

/* Why (part of) a datagram was not decoded.  "Soft" reasons are counted
 * while the rest of the datagram is still decoded. */
enum dec_err {
	DEC_OK = 0,
	DEC_ERR_SHORT,		/* shorter than its header */
	DEC_ERR_VERSION,	/* not 1, 5, 9 or 10 */
	DEC_ERR_COUNT,		/* v1/v5 count 0 or above the maximum */
	DEC_ERR_LENGTH,		/* length disagrees with the header */
	DEC_ERR_SET,		/* set header or length malformed */
	DEC_ERR_TEMPLATE,	/* malformed template (that set skipped) */
	DEC_ERR_TEMPLATE_LIMIT,	/* template refused: store or session full */
	DEC_ERR_NO_TEMPLATE,	/* data set never matched a template */
	DEC_ERR_RECORD,		/* record overruns its set (rest skipped) */
	DEC_ERR_RESERVED_SET,	/* soft: set id 2..255 (v9), 4..255 (IPFIX) */
	DEC_ERR_COUNT_MISMATCH,	/* soft: v9 header count != records */
	DEC_ERR_EXPORTER_LIMIT,	/* no room to track a new exporter */
	DEC_ERR_NOMEM,
	DEC_ERR__MAX
};

/* "short", "bad_version", ..., "no_template"; "?" out of range. */
const char *dec_err_name(enum dec_err e);

/* Who sent the datagram (the UDP source). */
struct dec_source {
	uint8_t addr[16];	/* IPv4 in the first 4 bytes, rest zero */
	uint16_t port;		/* host order */
	uint8_t family;		/* 4 or 6 */
};

struct dec_config {
	uint64_t template_timeout_ms;	/* expire without refresh; 0 never */
	uint32_t max_templates;		/* whole collector */
	uint32_t max_templates_per_session; /* per exporter/port/domain */
	uint32_t max_exporters;		/* accounting entries */
	uint64_t hold_ms;		/* keep data waiting for a template */
	uint32_t hold_sets;		/* sets held per exporter/domain */
	uint32_t hold_bytes;		/* bytes held per exporter/domain */
};

/* Defaults: 30 min timeout, 65536 templates, 256 per session, 4096
 * exporters, hold 10 s, 16 sets, 16 KiB. */
void dec_config_default(struct dec_config *cfg);

/* Counters of one exporter/domain (or of the whole context). */
struct dec_stats {
	uint64_t datagrams;		/* accepted (not dropped) */
	uint64_t records;		/* flow records handed to the callback */
	uint64_t options_records;	/* options data records decoded */
	uint64_t templates;		/* template records learned or refreshed */
	uint64_t options_templates;
	uint64_t templates_withdrawn;
	uint64_t templates_refused;	/* also counted as TEMPLATE_LIMIT */
	uint64_t unknown_fields;	/* template fields tflow skips */
	uint64_t held_sets;		/* data sets held for their template */
	/* Sequence gaps in the version's own unit: v5 and IPFIX count
	 * records, v9 counts datagrams.  A datagram behind the expected
	 * number is `seq_late`, not a negative loss. */
	uint64_t lost_records;		/* v5, IPFIX */
	uint64_t lost_datagrams;	/* v9 */
	uint64_t seq_late;
	uint64_t restarts;		/* uptime went back, or sequence reset */
	uint64_t errors[DEC_ERR__MAX];
};

struct dec_exporter_info {
	struct dec_source src;
	uint16_t version;
	uint32_t domain;
	struct dec_stats stats;
};

struct dec_ctx;

/* NULL cfg: defaults.  NULL with errno set. */
struct dec_ctx *dec_new(const struct dec_config *cfg);
void dec_free(struct dec_ctx *ctx);

/* Called once per decoded flow record; `rec` lives until it returns. */
typedef void dec_emit_fn(void *arg, const struct tflow_record *rec);

/*
 * Decode one UDP payload from `src`, received at `now_ms` (Unix epoch
 * milliseconds: it expires templates and held data, and stands in for an
 * exporter clock that is plainly wrong).  Records go to emit(arg, rec),
 * including held records of earlier datagrams whose template this one
 * brought.  Returns DEC_OK when the datagram was accepted (soft problems
 * and sets held for their template are only counted), else the reason it
 * was dropped -- counted, templates untouched.
 */
enum dec_err dec_datagram(struct dec_ctx *ctx, const struct dec_source *src,
			  const uint8_t *buf, size_t len, uint64_t now_ms,
			  dec_emit_fn *emit, void *arg);

/* Periodic work (about once a second): expire templates, and count held
 * data whose template did not come in time as NO_TEMPLATE. */
void dec_expire(struct dec_ctx *ctx, uint64_t now_ms);

/* Sum over every exporter, plus datagrams no exporter entry could take. */
void dec_total(const struct dec_ctx *ctx, struct dec_stats *out);

/* Counters of one exporter/domain: 0, or -ENOENT. */
int dec_exporter_stats(const struct dec_ctx *ctx, const struct dec_source *src,
		       uint16_t version, uint32_t domain, struct dec_stats *out);

/* Visit every exporter/domain entry (for SIGUSR1 and exit). */
void dec_foreach(const struct dec_ctx *ctx,
		 void (*fn)(void *arg, const struct dec_exporter_info *e),
		 void *arg);

/* Templates currently stored (all sessions). */
size_t dec_template_count(const struct dec_ctx *ctx);

#endif
