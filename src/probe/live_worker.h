/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * live_worker: one capture thread of tflowd's live mode.  Each worker owns
 * a capture (cap.h; AF_PACKET sockets joined to one fanout group, so the
 * kernel spreads packets over the workers by flow hash), a shard of the
 * flow cache, a fragment table and a sampler, and runs the packet path
 * (parse -> sample -> fragment ports -> flow cache) without a lock or an
 * allocation.  Expired records leave through an SPSC ring (rec_ring.h)
 * that the main thread drains into the export set; the worker pokes the
 * main thread's eventfd when it put something there.
 *
 * The main thread never touches a worker's objects while the thread runs:
 * changes (timeouts, cache size, sampling, interfaces) are commands that
 * live_worker_call() hands over and waits for, and that the worker runs
 * between two batches on its own shard.  Counters are published with
 * relaxed atomic stores and read with live_worker_stats().
 */
#ifndef TFLOW_LIVE_WORKER_H
#define TFLOW_LIVE_WORKER_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#include "cap.h"
#include "flow_cache.h"
#include "pkt.h"
#include "rec_ring.h"

struct live_worker;

struct live_worker_opts {
	unsigned id;			/* 0.. : for messages */
	struct cap_opts cap;		/* copied; same fanout_id in every worker */
	uint32_t cache_entries;		/* this shard's capacity */
	uint64_t active_timeout_ms;
	uint64_t inactive_timeout_ms;
	uint32_t sampling_interval;	/* 0 or sampling_space 0: every packet */
	uint32_t sampling_space;
	uint8_t seed[16];		/* flow and fragment hash key */
	uint32_t ring_records;		/* capacity of the record ring */
	int wake_fd;			/* eventfd the main thread polls */
};

/* What a worker counted; totals since live_worker_new(). */
struct live_worker_stats {
	uint64_t pkts_seen;		/* delivered by the capture */
	uint64_t pkts_sampled_out;
	uint64_t pkts_dropped[PKT_REASON_MAX];	/* not parsable, by reason */
	uint64_t time_backwards;	/* packets older than the clock */
	uint64_t records;		/* records put into the ring */
	uint64_t ring_waits;		/* the ring was full: waited for it */
	uint64_t ring_drops;		/* records lost after waiting */
	uint64_t ring_drop_pkts;	/* their packets */
	uint64_t interfaces;		/* captured now */
	uint64_t cache_entries;		/* shard capacity now */
	struct flow_cache_stats cache;
	struct cap_stats cap;
};

enum live_cmd_type {
	LIVE_CMD_TIMEOUTS,		/* a = active ms, b = inactive ms */
	LIVE_CMD_RESIZE,		/* a = shard entries */
	LIVE_CMD_SAMPLING,		/* a = interval, b = space (0: off) */
	LIVE_CMD_ADD_IF,		/* name */
	LIVE_CMD_REMOVE_IF,		/* ifindex */
	LIVE_CMD_RENAME_IF,		/* ifindex, name */
};

struct live_cmd {
	enum live_cmd_type type;
	uint64_t a, b;
	uint32_t ifindex;
	char name[IF_NAMESIZE];
	/* Results. */
	int rc;				/* 0 or -errno */
	char err[256];
};

/*
 * Open the capture on names[0..n-1] (n may be 0), allocate the shard, the
 * fragment table and the ring.  No thread yet.  NULL with a message in err.
 */
struct live_worker *live_worker_new(const struct live_worker_opts *o,
				    const char *const *names, size_t n,
				    char *err, size_t errlen);

/* Start the thread.  0 or -errno. */
int live_worker_start(struct live_worker *w);

/* Ask the thread to stop: it reads the capture for drain_ms more (packets
 * in blocks still being filled), expires every flow into the ring, and
 * ends.  Does not wait; see live_worker_done(). */
void live_worker_stop(struct live_worker *w, uint64_t drain_ms);

/* The thread has ended (or never started): every record is in the ring. */
bool live_worker_done(const struct live_worker *w);

/* Joins the thread if started (call live_worker_stop() first and keep
 * draining the ring until live_worker_done()), closes the capture and
 * frees everything.  NULL is a no-op. */
void live_worker_free(struct live_worker *w);

/* The ring the main thread drains (consumer side only). */
struct rec_ring *live_worker_ring(struct live_worker *w);

/* Clear the "poked" flag before draining, so the next record pokes again. */
void live_worker_unpoke(struct live_worker *w);

void live_worker_stats(const struct live_worker *w,
		       struct live_worker_stats *out);

/*
 * Run cmd on the worker's objects and wait until it did: by the thread
 * between two batches, or directly when the thread is not running.  While
 * waiting, drain(ctx) is called every few ms so that a worker blocked on a
 * full ring makes progress.  Returns cmd->rc.
 */
int live_worker_call(struct live_worker *w, struct live_cmd *cmd,
		     void (*drain)(void *ctx), void *ctx);

/* Shared by the main loop (live.c) and the workers. */

/* The live clock: CLOCK_REALTIME in ms, what packets and records carry. */
static inline uint64_t live_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Watch fd for EPOLLIN in epfd; events carry tag.  0 or -1 with errno. */
static inline int live_epoll_add(int epfd, int fd, uint32_t tag)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u32 = tag;
	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

#endif
