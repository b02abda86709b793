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
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	uint64_t next_expiry_ms;	/* flow_cache_next_expiry(), cached */
	/* Parsed packets not yet given to the cache (flow_cache_update_batch). */
	size_t n_pending;
	struct pkt_info pending[FLOW_CACHE_BATCH];
	uint64_t pending_ms[FLOW_CACHE_BATCH];
	uint8_t *readbuf;		/* OFFLINE_READ_BUF bytes */
};

static void pending_flush(struct offline_run_state *rs)
{
	if (rs->n_pending == 0)
		return;
	flow_cache_update_batch(rs->cache, rs->pending, rs->pending_ms,
				rs->n_pending);
	rs->n_pending = 0;
	rs->next_expiry_ms = flow_cache_next_expiry(rs->cache);
}

/*
 * One packet read at ts_ms.  The clock advances with the packets; expiry
 * runs only when something is due (the cache's next deadline), after the
 * pending packets are counted, so the records are exactly those of
 * counting every packet one at a time with an expiry pass before each.
 */
static int offline_packet(struct offline_run_state *rs, int link,
			  const uint8_t *data, uint32_t caplen,
			  uint32_t wirelen, uint64_t ts_ms,
			  char *errbuf, size_t errlen)
{
	struct pkt_info *pkt;
	enum pkt_reason why;

	rs->st->pkts_seen++;
	if (!rs->started) {
		rs->started = true;
		rs->now_ms = ts_ms;
		if (rs->opts->start != NULL &&
		    rs->opts->start(ts_ms, rs->opts->emit_ctx) != 0) {
			snprintf(errbuf, errlen, "stopped at start");
			return -ECANCELED;
		}
	}
	if (ts_ms > rs->now_ms) {
		rs->now_ms = ts_ms;
		if (ts_ms >= rs->next_expiry_ms) {
			pending_flush(rs);
			flow_cache_expire(rs->cache, ts_ms);
			rs->next_expiry_ms = flow_cache_next_expiry(rs->cache);
		}
	} else if (ts_ms < rs->now_ms) {
		rs->st->time_backwards++;
	}
	/* After the clock: an expiry pass above empties the pending list. */
	pkt = &rs->pending[rs->n_pending];
	why = pkt_parse(link, data, caplen, wirelen > caplen ? wirelen : caplen,
			pkt);
	if (why != PKT_OK) {
		rs->st->pkts_dropped[why]++;
		return 0;
	}
	if (!sampler_take(&rs->sampler)) {
		rs->st->pkts_sampled_out++;
		return 0;
	}
	if (pkt->frag != PKT_FRAG_NONE)
		frag_table_resolve(rs->frags, pkt, rs->now_ms);
	rs->pending_ms[rs->n_pending] = rs->now_ms;
	if (++rs->n_pending == FLOW_CACHE_BATCH)
		pending_flush(rs);
	return 0;
}

/* Classic pcap magic numbers, as read in host order. */
#define PCAP_MAGIC_US		0xa1b2c3d4u
#define PCAP_MAGIC_NS		0xa1b23c4du
#define PCAP_MAGIC_US_SWAP	0xd4c3b2a1u
#define PCAP_MAGIC_NS_SWAP	0x4d3cb2a1u
#define PCAP_FILE_HDR_LEN	24
#define PCAP_REC_HDR_LEN	16
/* libpcap's own limit on a record's captured length. */
#define PCAP_MAX_CAPLEN		262144u
/* Read buffer: one record of the largest size fits, and 512 KiB stays
 * in a typical L2 cache. */
#define OFFLINE_READ_BUF	(512u << 10)
_Static_assert(OFFLINE_READ_BUF >= PCAP_MAX_CAPLEN + PCAP_REC_HDR_LEN,
	       "a whole record must fit the read buffer");

static uint32_t rd32(const uint8_t *p, bool swap)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return swap ? __builtin_bswap32(v) : v;
}

/* read() that retries on EINTR and fills as much as the file has. */
static ssize_t read_some(int fd, uint8_t *buf, size_t len)
{
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n == -1 && errno == EINTR);
	return n;
}

/*
 * Classic pcap through plain read() into a buffer small enough to stay in
 * the CPU's L2 cache: the kernel's copy from the page cache is cheaper
 * than this process faulting in and walking a mapping of the whole file
 * (measured 4x on a 476 MB capture), and libpcap's per-packet fread costs
 * a third of a cache-resident run.  Returns 1 when the file is not
 * classic pcap (the caller uses libpcap: pcapng), else 0 or -errno.
 */
static int offline_file_read(struct offline_run_state *rs, const char *path,
			     char *errbuf, size_t errlen)
{
	uint8_t *buf = rs->readbuf;
	size_t have = 0, off;
	bool swap, nsec;
	uint32_t magic;
	int fd, link, rc = 0;
	ssize_t n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		rc = -errno;
		snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	while (have < PCAP_FILE_HDR_LEN &&
	       (n = read_some(fd, buf + have, PCAP_FILE_HDR_LEN - have)) > 0)
		have += (size_t)n;
	if (have < PCAP_FILE_HDR_LEN) {
		close(fd);
		return 1;
	}
	memcpy(&magic, buf, sizeof(magic));
	swap = magic == PCAP_MAGIC_US_SWAP || magic == PCAP_MAGIC_NS_SWAP;
	nsec = magic == PCAP_MAGIC_NS || magic == PCAP_MAGIC_NS_SWAP;
	if (!swap && magic != PCAP_MAGIC_US && magic != PCAP_MAGIC_NS) {
		close(fd);
		return 1;
	}
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	/* The link type is the low 16 bits (the rest are FCS flags). */
	link = dlt_to_linktype((int)(rd32(buf + 20, swap) & 0xffff));
	if (!pkt_linktype_supported(link)) {
		snprintf(errbuf, errlen, "%s: unsupported link type %d", path,
			 link);
		close(fd);
		return -EINVAL;
	}
	have = 0;
	off = 0;
	for (;;) {
		n = read_some(fd, buf + have, OFFLINE_READ_BUF - have);
		if (n == -1) {
			rc = -errno;
			snprintf(errbuf, errlen, "%s: %s", path,
				 strerror(errno));
			break;
		}
		if (n == 0)
			break;
		have += (size_t)n;
		while (have - off >= PCAP_REC_HDR_LEN) {
			const uint8_t *p = buf + off;
			uint32_t secs = rd32(p, swap), frac = rd32(p + 4, swap);
			uint32_t caplen = rd32(p + 8, swap);
			uint32_t wirelen = rd32(p + 12, swap);
			uint64_t ts_ms = (uint64_t)secs * 1000 +
					 (nsec ? frac / 1000000 : frac / 1000);

			if (caplen > PCAP_MAX_CAPLEN) {
				snprintf(errbuf, errlen, "%s: corrupt record "
					 "(captured length %u)", path, caplen);
				rc = -EINVAL;
				goto out;
			}
			if (have - off - PCAP_REC_HDR_LEN < caplen)
				break;	/* the rest comes with the next read */
			rc = offline_packet(rs, link, p + PCAP_REC_HDR_LEN,
					    caplen, wirelen, ts_ms, errbuf,
					    errlen);
			if (rc != 0)
				goto out;
			off += PCAP_REC_HDR_LEN + caplen;
		}
		memmove(buf, buf + off, have - off);
		have -= off;
		off = 0;
	}
	if (rc == 0 && have != 0) {
		/* A cut-off last record (a capture still being written, or
		 * killed): what was read counts, and the caller says so. */
		snprintf(errbuf, errlen, "%s: truncated last record", path);
		rc = -EIO;
	} else if (rc == 0) {
		rs->st->files++;
	}
out:
	close(fd);
	return rc;
}

/* pcapng and anything else libpcap reads. */
static int offline_file_pcap(struct offline_run_state *rs, const char *path,
			     char *errbuf, size_t errlen)
{
	char pcap_err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *hdr;
	const u_char *data;
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

		rc = offline_packet(rs, link, data, hdr->caplen, hdr->len,
				    ts_ms, errbuf, errlen);
		if (rc != 0) {
			pcap_close(p);
			return rc;
		}
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

static int offline_file(struct offline_run_state *rs, const char *path,
			char *errbuf, size_t errlen)
{
	int rc = offline_file_read(rs, path, errbuf, errlen);

	if (rc == 1)
		rc = offline_file_pcap(rs, path, errbuf, errlen);
	return rc;
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
	rs.next_expiry_ms = UINT64_MAX;
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
	rs.readbuf = malloc(OFFLINE_READ_BUF);
	if (rs.readbuf == NULL) {
		rc = -errno;
		snprintf(errbuf, errlen, "cannot allocate read buffer: %s",
			 strerror(errno));
		goto free_cache;
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

	pending_flush(&rs);
	flow_cache_flush(rs.cache);
	flow_cache_get_stats(rs.cache, &st->cache);
	if (opts->finish != NULL && rs.started)
		opts->finish(rs.now_ms, opts->emit_ctx);
	frag_table_free(rs.frags);
free_cache:
	free(rs.readbuf);
	flow_cache_free(rs.cache);
	return rc;
}
