/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * offline: the pcap-file driver of the probe pipeline.  libpcap reads the
 * files (classic pcap and pcapng, any timestamp precision, converted to
 * microseconds); nothing else here knows about libpcap.
 *
 * The clock is the packet timestamp in milliseconds.  A packet older than
 * the clock (unsorted or concatenated captures) is counted at the current
 * clock rather than moving time backwards, because the cache's expiry
 * lists rely on time never decreasing; time_backwards counts how often.
 */
#include "offline.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#include "frag.h"
#include "sampler.h"
#include "siphash.h"

/* Slots for first-fragment ports: enough for the fragmented datagrams in
 * flight on a busy link within FRAG_MAX_AGE_MS. */
#define OFFLINE_FRAG_SLOTS 4096

bool offline_stats_balanced(const struct offline_stats *st)
{
	uint64_t sum = st->cache.packets + st->pkts_sampled_out;
	int r;

	for (r = PKT_OK + 1; r < PKT_REASON_MAX; r++)
		sum += st->pkts_dropped[r];
	return sum == st->pkts_seen;
}

/* DLT_* from libpcap to the LINKTYPE_* numbers the parser uses; of the
 * link types it knows they differ only for raw IP. */
static int dlt_to_linktype(int dlt)
{
	return dlt == DLT_RAW ? PKT_LINK_RAW : dlt;
}

struct offline_run_state {
	const struct offline_opts *opts;
	bool started;
	struct flow_cache *cache;
	struct frag_table *frags;
	struct sampler sampler;
	struct offline_stats *st;
	uint64_t now_ms;
};

static int offline_file(struct offline_run_state *rs, const char *path,
			char *errbuf, size_t errlen)
{
	char pcap_err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *hdr;
	const u_char *data;
	struct pkt_info pkt;
	pcap_t *p;
	int link, rc;

	p = pcap_open_offline_with_tstamp_precision(path,
			PCAP_TSTAMP_PRECISION_MICRO, pcap_err);
	if (p == NULL) {
		snprintf(errbuf, errlen, "%s", pcap_err);
		return -EINVAL;
	}
	link = dlt_to_linktype(pcap_datalink(p));
	if (!pkt_linktype_supported(link)) {
		snprintf(errbuf, errlen, "%s: unsupported link type %s (%d)",
			 path, pcap_datalink_val_to_name(pcap_datalink(p)) ?
			 pcap_datalink_val_to_name(pcap_datalink(p)) : "?",
			 pcap_datalink(p));
		pcap_close(p);
		return -EINVAL;
	}

	while ((rc = pcap_next_ex(p, &hdr, &data)) == 1) {
		uint64_t ts_ms = (uint64_t)hdr->ts.tv_sec * 1000 +
				 (uint64_t)hdr->ts.tv_usec / 1000;
		enum pkt_reason why;

		rs->st->pkts_seen++;
		if (!rs->started) {
			rs->started = true;
			rs->now_ms = ts_ms;
			if (rs->opts->start != NULL &&
			    rs->opts->start(ts_ms, rs->opts->emit_ctx) != 0) {
				snprintf(errbuf, errlen, "stopped at start");
				pcap_close(p);
				return -ECANCELED;
			}
		}
		if (ts_ms > rs->now_ms) {
			rs->now_ms = ts_ms;
			flow_cache_expire(rs->cache, ts_ms);
		} else if (ts_ms < rs->now_ms) {
			rs->st->time_backwards++;
		}
		why = pkt_parse(link, data, hdr->caplen,
				hdr->len > hdr->caplen ? hdr->len : hdr->caplen,
				&pkt);
		if (why != PKT_OK) {
			rs->st->pkts_dropped[why]++;
			continue;
		}
		if (!sampler_take(&rs->sampler)) {
			rs->st->pkts_sampled_out++;
			continue;
		}
		if (pkt.frag != PKT_FRAG_NONE)
			frag_table_resolve(rs->frags, &pkt, rs->now_ms);
		flow_cache_update(rs->cache, &pkt, rs->now_ms);
	}
	if (rc == PCAP_ERROR) {
		/* A truncated last record: what was read counts, say so. */
		snprintf(errbuf, errlen, "%s: %s", path, pcap_geterr(p));
		pcap_close(p);
		return -EIO;
	}
	pcap_close(p);
	rs->st->files++;
	return 0;
}

/* Stamps the sampling rate and the clock on records before they leave. */
struct offline_emit_ctx {
	const struct offline_opts *opts;
	const struct sampler *sampler;
	const uint64_t *now_ms;
};

static void offline_emit(const struct tflow_record *rec, void *arg)
{
	struct offline_emit_ctx *ec = arg;
	struct tflow_record r;

	if (ec->sampler->interval == 0 || ec->sampler->space == 0) {
		ec->opts->emit(rec, *ec->now_ms, ec->opts->emit_ctx);
		return;
	}
	r = *rec;
	r.sampling_packets = ec->sampler->interval;
	r.sampling_space = ec->sampler->space;
	ec->opts->emit(&r, *ec->now_ms, ec->opts->emit_ctx);
}

int offline_run(const struct offline_opts *opts, struct offline_stats *st,
		char *errbuf, size_t errlen)
{
	struct flow_cache_config cc = {
		.entries = opts->cache_entries,
		.active_timeout_ms = opts->active_timeout_ms,
		.inactive_timeout_ms = opts->inactive_timeout_ms,
	};
	struct offline_run_state rs;
	struct offline_emit_ctx ec = { opts, &rs.sampler, &rs.now_ms };
	uint8_t seed[16];
	size_t i;
	int rc = 0;

	memset(st, 0, sizeof(*st));
	memset(&rs, 0, sizeof(rs));
	rs.st = st;
	rs.opts = opts;
	if (opts->packet_sampling)
		sampler_init(&rs.sampler, opts->sampling_interval,
			     opts->sampling_space);
	else
		sampler_init(&rs.sampler, 0, 0);
	st->sampling_rate = sampler_rate(&rs.sampler);

	rc = siphash_random_key(seed);
	if (rc < 0) {
		snprintf(errbuf, errlen, "cannot seed the flow hash: %s",
			 strerror(-rc));
		return rc;
	}
	rs.cache = flow_cache_new(&cc, seed, offline_emit, &ec);
	if (rs.cache == NULL) {
		rc = -errno;
		snprintf(errbuf, errlen, "cannot allocate %u cache entries: %s",
			 cc.entries, strerror(errno));
		return rc;
	}
	rs.frags = frag_table_new(OFFLINE_FRAG_SLOTS, seed);
	if (rs.frags == NULL) {
		rc = -errno;
		snprintf(errbuf, errlen, "cannot allocate fragment table: %s",
			 strerror(errno));
		goto free_cache;
	}

	for (i = 0; i < opts->n_files && rc == 0; i++)
		rc = offline_file(&rs, opts->files[i], errbuf, errlen);

	flow_cache_flush(rs.cache);
	flow_cache_get_stats(rs.cache, &st->cache);
	if (opts->finish != NULL && rs.started)
		opts->finish(rs.now_ms, opts->emit_ctx);
	frag_table_free(rs.frags);
free_cache:
	flow_cache_free(rs.cache);
	return rc;
}
