/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flow_cache: the probe's table of live flows.  Pure: time comes in as
 * `now_ms`, expired records go out through the emit callback, nothing here
 * does I/O.  All entries are allocated by flow_cache_new(); the packet path
 * (flow_cache_update) allocates nothing and takes no lock.
 *
 * Ends of a flow (enum tflow_end_reason):
 *  - idle: now - last >= inactive timeout;
 *  - active: now - first >= active timeout; the record is emitted and the
 *    next packet of the flow starts a new record;
 *  - detected: a TCP packet with FIN or RST ends its record (after counting);
 *  - resources: the cache is full and a new flow needs an entry: the least
 *    recently used flow is emitted early and counted;
 *  - forced: flow_cache_flush() (shutdown).
 * Expiry walks two lists kept in order (by last packet, by record start), so
 * its work is proportional to what expires, not to the cache size.
 */
#ifndef TFLOW_FLOW_CACHE_H
#define TFLOW_FLOW_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "tflow/record.h"
#include "pkt.h"

struct flow_cache;

struct flow_cache_config {
	uint32_t entries;		/* capacity, >= 1 */
	uint64_t active_timeout_ms;	/* > 0 */
	uint64_t inactive_timeout_ms;	/* > 0 */
};

/* Called once per expired record.  `rec` is valid only during the call.
 * rec->version is 0; in_if, addresses, ports ... come from the key. */
typedef void (*flow_emit_fn)(const struct tflow_record *rec, void *ctx);

struct flow_cache_stats {
	uint64_t active;		/* flows in the cache now */
	uint64_t created;		/* records started */
	uint64_t expired[6];		/* records emitted, by tflow_end_reason */
	uint64_t packets;		/* packets counted into records */
};

/* seed: 16 random bytes keying the hash.  NULL with errno on failure. */
struct flow_cache *flow_cache_new(const struct flow_cache_config *cfg,
				  const uint8_t seed[16], flow_emit_fn emit,
				  void *emit_ctx);
void flow_cache_free(struct flow_cache *fc);

/* Count one parsed packet at time now_ms (non-decreasing). */
void flow_cache_update(struct flow_cache *fc, const struct pkt_info *pkt,
		       uint64_t now_ms);

/* Packets per prefetch group of flow_cache_update_batch(). */
#define FLOW_CACHE_BATCH 32

/* The same as n calls of flow_cache_update(pkts[k], now_ms[k]) in order,
 * faster: memory loads of the group overlap. */
void flow_cache_update_batch(struct flow_cache *fc,
			     const struct pkt_info *pkts,
			     const uint64_t *now_ms, size_t n);

/* The earliest now_ms at which flow_cache_expire() would emit anything
 * (UINT64_MAX when the cache is empty).  Updates only ever make it later,
 * so a driver may skip expire() calls before it. */
uint64_t flow_cache_next_expiry(const struct flow_cache *fc);

/* Emit every record whose idle or active time is up at now_ms. */
void flow_cache_expire(struct flow_cache *fc, uint64_t now_ms);

/* Emit every record (reason forced); the cache is empty afterwards. */
void flow_cache_flush(struct flow_cache *fc);

void flow_cache_get_stats(const struct flow_cache *fc,
			  struct flow_cache_stats *out);

/*
 * Live changes (never on the packet path).  The cached flows stay: only
 * when they are due by the new rules do they expire, at the next
 * flow_cache_expire() (so a driver should re-read
 * flow_cache_next_expiry()).  Returns 0 or -EINVAL for a zero timeout.
 */
int flow_cache_set_timeouts(struct flow_cache *fc, uint64_t active_timeout_ms,
			    uint64_t inactive_timeout_ms);

/*
 * Change the capacity to `entries`.  A smaller cache that cannot hold
 * every active flow first expires the least recently used ones (reason
 * resources, emitted and counted like a cache-full eviction); a larger one
 * keeps every flow.  The order of both lists is kept, so expiry goes on as
 * before.  The new arrays are allocated before anything changes: on
 * failure (-ENOMEM, or -EINVAL for 0 or too big) the cache is untouched.
 */
int flow_cache_resize(struct flow_cache *fc, uint32_t entries);

/* The capacity now. */
uint32_t flow_cache_capacity(const struct flow_cache *fc);

/* Bytes allocated per entry (entry + its share of the hash index), for
 * the benchmark's report. */
size_t flow_cache_entry_size(void);

#endif
