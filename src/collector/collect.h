/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * collect: the collector's receive core, between the sockets (listen.h) and
 * the decoders (dec.h): the --allow check, truncated-datagram accounting,
 * --scale, formatting records into a per-worker output buffer, and the
 * accounting report of SIGUSR1 and exit.  No socket or thread of its own:
 * tflow-collector.c owns the event loop, and the unit test feeds datagrams
 * straight in.
 *
 * One `struct collect` per worker thread, each with its own dec_ctx: the
 * kernel's SO_REUSEPORT hash keeps an exporter's datagrams on one worker,
 * so its templates are in one place.  Every worker writes whole batches of
 * lines to one shared `struct collect_out` under its lock, so lines never
 * interleave.  A collect's own mutex is taken once per batch and by the
 * report, so the report may read a worker's counters while it runs.
 */
#ifndef TFLOW_COLLECT_H
#define TFLOW_COLLECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cidr.h"
#include "dec.h"
#include "listen.h"
#include "record_fmt.h"

/* Where every worker's lines go: a file descriptor (stdout), written with
 * write(2) under a mutex.  The first write error sticks. */
struct collect_out;

/* NULL with errno set. */
struct collect_out *collect_out_new(int fd);
void collect_out_free(struct collect_out *o);

/* Writes all of buf, or fails: 0 or -errno (the sticky error once set). */
int collect_out_write(struct collect_out *o, const char *buf, size_t len);

/* A decoded record for someone else than the output (tflow-collector
 * --write): the record as decoded, unscaled, living until the call
 * returns; now_ms is the batch's receive time. */
typedef void collect_record_fn(void *arg, const struct tflow_record *rec,
			       uint64_t now_ms);

struct collect_config {
	enum record_fmt fmt;
	bool quiet;			/* no line per record (--write alone) */
	collect_record_fn *on_record;	/* NULL: none */
	void *on_record_arg;
	bool scale;			/* multiply counters by the sampling rate */
	const struct cidr *allow;	/* borrowed, lives as long as the collect */
	size_t n_allow;			/* 0: every exporter is accepted */
	struct dec_config dec;
};

struct collect;

/* NULL with errno set.  `out` is borrowed. */
struct collect *collect_new(const struct collect_config *cfg,
			    struct collect_out *out);
void collect_free(struct collect *c);

/*
 * Decode one batch of received datagrams (from listen_receive) at now_ms
 * (Unix epoch ms) and write the records' lines to the output.  Datagrams
 * from peers outside the allow list are counted per peer and dropped
 * (logged at most once per COLLECT_DENY_LOG_MS per worker); truncated
 * ones are counted and dropped.  Returns 0, or -errno when the output
 * failed (the records of the batch are lost then).
 */
int collect_batch(struct collect *c, const struct listen_dgram *d, size_t n,
		  uint64_t now_ms);

#define COLLECT_DENY_LOG_MS 10000

/* Periodic work, about once a second: template and held-data expiry. */
void collect_expire(struct collect *c, uint64_t now_ms);

/*
 * Sequence losses since the previous call, per exporter and domain:
 * fn(arg, exporter, version, domain, lost_records, lost_datagrams) for
 * each one whose counts grew (v5/IPFIX count records, v9 datagrams).
 * About once a second, from the worker's thread.
 */
typedef void collect_loss_fn(void *arg, const struct dec_source *src,
			     uint16_t version, uint32_t domain,
			     uint64_t lost_records, uint64_t lost_datagrams);
void collect_losses(struct collect *c, collect_loss_fn *fn, void *arg);

/* Counters kept outside the decoder. */
struct collect_counters {
	uint64_t denied;		/* datagrams refused by --allow */
	uint64_t truncated;		/* larger than the receive buffer */
};

void collect_counters(struct collect *c, struct collect_counters *out);

/*
 * The accounting report: one line per exporter and domain of every
 * collect in cs[0..n), then one per denied peer, then a totals line, all
 * as "prefix: key=value ..." lines on f.  Decode errors are listed by
 * dec_err_name() as err_NAME=N, only those that are not zero.
 */
void collect_report(struct collect *const *cs, size_t n, const char *prefix,
		    FILE *f);

/* Counts packets/octets scaled by the record's effective sampling rate
 * (packets + space) / packets, rounded to nearest; unchanged when the
 * sampling is unknown.  Exposed for the unit test. */
uint64_t collect_scale(uint64_t count, uint32_t sampling_packets,
		       uint32_t sampling_space);

#endif
