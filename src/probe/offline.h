/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * offline: tflowd -r.  Reads pcap files in order and feeds every packet
 * through parse -> sample -> fragment ports -> flow cache, with the pcap
 * timestamps as the only clock, then flushes the cache.  Records leave
 * through the caller's emit callback, so printing (-o) and exporting share
 * one pass.
 *
 * Every packet read is counted exactly once: in a record (accounted), as
 * sampled out, or under its pkt_reason.  offline_stats_balanced() checks it.
 */
#ifndef TFLOW_OFFLINE_H
#define TFLOW_OFFLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow_cache.h"
#include "pkt.h"

struct offline_opts {
	const char *const *files;	/* pcap or pcapng paths */
	size_t n_files;
	uint32_t cache_entries;
	uint64_t active_timeout_ms;
	uint64_t inactive_timeout_ms;
	bool packet_sampling;
	uint32_t sampling_interval;
	uint32_t sampling_space;
	/* Called for every expired record at packet time now_ms; rec is
	 * valid during the call only. */
	void (*emit)(const struct tflow_record *rec, uint64_t now_ms,
		     void *ctx);
	void *emit_ctx;
	/* Called once with the first packet's time, before any record:
	 * exporters take it as their system init time.  May be NULL.
	 * Returns 0, or non-zero to stop (offline_run returns -ECANCELED). */
	int (*start)(uint64_t first_ms, void *ctx);
	/* Called after the final flush with the last packet time. */
	void (*finish)(uint64_t last_ms, void *ctx);
};

struct offline_stats {
	uint64_t files;
	uint64_t pkts_seen;		/* read from the files */
	uint64_t pkts_sampled_out;
	uint64_t pkts_dropped[PKT_REASON_MAX];	/* [PKT_OK] unused */
	uint64_t time_backwards;	/* packets older than the clock */
	uint32_t sampling_rate;		/* effective 1-in-N, 1 = none */
	struct flow_cache_stats cache;
};

/*
 * Run offline mode.  Returns 0, or a negative errno with a message in
 * errbuf (a file that cannot be opened or has an unsupported link type;
 * files before it have been processed and the cache flushed).
 */
int offline_run(const struct offline_opts *opts, struct offline_stats *st,
		char *errbuf, size_t errlen);

/* pkts_seen == accounted + sampled out + dropped by every reason. */
bool offline_stats_balanced(const struct offline_stats *st);

#endif
