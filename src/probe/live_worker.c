/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * live_worker: a capture thread.  Its loop waits on the capture's fd and
 * a command eventfd (at most LIVE_WORKER_TICK_MS, so flows of quiet links
 * expire on time), runs a pending command, reads a bounded number of ring
 * blocks through the packet path, moves its clock and expires what is due.
 *
 * Time: as the single-threaded driver did, the clock is CLOCK_REALTIME ms
 * and never goes back; a packet older than the clock is counted at the
 * clock (time_backwards).  Each worker has its own clock: shards are
 * disjoint, so they need not agree.
 *
 * Counters: the worker is their only writer; it stores them with relaxed
 * atomics so that the main thread can read a torn-free value of each
 * (monitor, the exit line) without a lock.  A snapshot is not a single
 * instant across counters; only the final one, after the thread ended, is
 * exact, and that is the one the balance check uses.
 */
#include "live_worker.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "frag.h"
#include "sampler.h"

/* As offline mode: fragmented datagrams in flight within 30 s. */
#define LIVE_FRAG_SLOTS		4096
/* Ring blocks per interface per iteration: about 800 packets at the snap
 * length, so a pending command or the clock waits at most a few ms. */
#define LIVE_BLOCKS_PER_WAKE	4
/* Longest sleep: expiry and the clock move at least this often. */
#define LIVE_WORKER_TICK_MS	100
/* How far a worker's clock stays behind the wall clock when no packet
 * moves it: more than the AF_PACKET block retire timeout (100 ms). */
#define LIVE_CLOCK_LAG_MS	250
/* A full record ring: wait this long in steps of LIVE_RING_STEP_US for
 * the main thread, then count the record as lost.  The main thread drains
 * at least every second, so only a stuck main thread loses records. */
#define LIVE_RING_WAIT_MS	3000
#define LIVE_RING_STEP_US	200
/* Kernel capture counters are read this often. */
#define LIVE_CAP_STATS_MS	1000

enum { WEV_CAP = 1, WEV_CMD };

/* Relaxed single-writer counter update: a plain add, never torn. */
#define CNT_ADD(x, n) __atomic_store_n(&(x), (x) + (n), __ATOMIC_RELAXED)
#define CNT_SET(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define CNT_GET(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

struct live_worker {
	struct live_worker_opts o;
	struct cap *cap;
	struct flow_cache *cache;
	struct frag_table *frags;
	struct sampler sampler;
	struct rec_ring ring;
	int epfd;
	int cmd_fd;			/* eventfd: a command or stop */
	pthread_t thread;
	bool started;
	bool joined;

	/* Thread-local state of the packet path. */
	uint64_t now_ms;
	uint64_t next_expiry_ms;
	uint64_t next_cap_stats_ms;
	size_t n_pending;
	struct pkt_info pending[FLOW_CACHE_BATCH];
	uint64_t pending_ms[FLOW_CACHE_BATCH];

	/* Shared with the main thread. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct live_cmd *cmd;		/* pending, NULL none (under lock) */
	bool cmd_done;			/* (under lock) */
	bool stop;			/* atomic */
	bool done;			/* atomic: thread ended */
	bool poked;			/* atomic: wake_fd written, not drained */
	uint64_t drain_ms;		/* set before stop */

	struct live_worker_stats st;	/* relaxed atomics, see above */
};

static void poke_main(struct live_worker *w)
{
	uint64_t one = 1;

	if (!__atomic_exchange_n(&w->poked, true, __ATOMIC_ACQ_REL))
		(void)write(w->o.wake_fd, &one, sizeof(one));
}

/*
 * Every expired record, stamped with the sampling rate it was counted
 * under (a rate change flushes the shard first, see run_cmd()).  A full
 * ring makes the worker wait for the main thread; giving up is counted.
 */
static void worker_emit(const struct tflow_record *rec, void *arg)
{
	struct live_worker *w = arg;
	struct tflow_record r = *rec;
	struct timespec step = { 0, LIVE_RING_STEP_US * 1000 };
	unsigned waited;

	if (w->sampler.interval != 0 && w->sampler.space != 0) {
		r.sampling_packets = w->sampler.interval;
		r.sampling_space = w->sampler.space;
	}
	if (rec_ring_push(&w->ring, &r)) {
		CNT_ADD(w->st.records, 1);
		if (rec_ring_used(&w->ring) > w->ring.mask / 2)
			poke_main(w);
		return;
	}
	CNT_ADD(w->st.ring_waits, 1);
	for (waited = 0; waited < LIVE_RING_WAIT_MS * 1000;
	     waited += LIVE_RING_STEP_US) {
		poke_main(w);
		nanosleep(&step, NULL);
		if (rec_ring_push(&w->ring, &r)) {
			CNT_ADD(w->st.records, 1);
			return;
		}
	}
	CNT_ADD(w->st.ring_drops, 1);
	CNT_ADD(w->st.ring_drop_pkts, r.packets);
}

static void publish_cache(struct live_worker *w)
{
	struct flow_cache_stats cs;
	size_t i;

	flow_cache_get_stats(w->cache, &cs);
	CNT_SET(w->st.cache.active, cs.active);
	CNT_SET(w->st.cache.created, cs.created);
	CNT_SET(w->st.cache.packets, cs.packets);
	for (i = 0; i < 6; i++)
		CNT_SET(w->st.cache.expired[i], cs.expired[i]);
	CNT_SET(w->st.cache_entries, flow_cache_capacity(w->cache));
}

static void publish_cap(struct live_worker *w)
{
	struct cap_stats cs;

	cap_get_stats(w->cap, &cs);
	CNT_SET(w->st.cap.packets, cs.packets);
	CNT_SET(w->st.cap.kernel_packets, cs.kernel_packets);
	CNT_SET(w->st.cap.drops, cs.drops);
	CNT_SET(w->st.cap.outgoing, cs.outgoing);
	CNT_SET(w->st.cap.skipped, cs.skipped);
	CNT_SET(w->st.interfaces, cap_count(w->cap));
}

static void pending_flush(struct live_worker *w)
{
	if (w->n_pending == 0)
		return;
	flow_cache_update_batch(w->cache, w->pending, w->pending_ms,
				w->n_pending);
	w->n_pending = 0;
	w->next_expiry_ms = flow_cache_next_expiry(w->cache);
}

static void clock_advance(struct live_worker *w, uint64_t t_ms)
{
	if (t_ms <= w->now_ms)
		return;
	w->now_ms = t_ms;
	if (t_ms >= w->next_expiry_ms) {
		pending_flush(w);
		flow_cache_expire(w->cache, t_ms);
		w->next_expiry_ms = flow_cache_next_expiry(w->cache);
	}
}

/* One packet: the path of offline mode, with the capture's ifindex as the
 * input interface (Ethernet frames carry none). */
static void worker_packet(const struct cap_pkt *cp, void *arg)
{
	struct live_worker *w = arg;
	struct pkt_info *pkt;
	enum pkt_reason why;

	CNT_ADD(w->st.pkts_seen, 1);
	if (cp->ts_ms > w->now_ms)
		clock_advance(w, cp->ts_ms);
	else if (cp->ts_ms < w->now_ms)
		CNT_ADD(w->st.time_backwards, 1);
	pkt = &w->pending[w->n_pending];
	why = pkt_parse(cp->linktype, cp->data, cp->caplen, cp->wirelen, pkt);
	if (why != PKT_OK) {
		CNT_ADD(w->st.pkts_dropped[why], 1);
		return;
	}
	/* Egress packets (count-direction egress/both, originated egress)
	 * and NFLOG's output chain are keyed by the interface the backend
	 * reports; NFLOG also gives the output interface. */
	pkt->key.in_if = cp->ifindex;
	if (pkt->vlan == 0)
		pkt->vlan = cp->vlan;
	if (!sampler_take(&w->sampler)) {
		CNT_ADD(w->st.pkts_sampled_out, 1);
		return;
	}
	if (pkt->frag != PKT_FRAG_NONE)
		frag_table_resolve(w->frags, pkt, w->now_ms);
	w->pending_ms[w->n_pending] = w->now_ms;
	if (++w->n_pending == FLOW_CACHE_BATCH)
		pending_flush(w);
}

static void worker_capture(struct live_worker *w)
{
	cap_next_batch(w->cap, LIVE_BLOCKS_PER_WAKE, worker_packet, w);
	/* The pending packets hold no pointer into the ring. */
	cap_release(w->cap);
	pending_flush(w);
}

/* Runs on the worker's thread (or the caller's when none runs). */
static void run_cmd(struct live_worker *w, struct live_cmd *c)
{
	int rc = 0;

	c->err[0] = '\0';
	pending_flush(w);
	switch (c->type) {
	case LIVE_CMD_TIMEOUTS:
		rc = flow_cache_set_timeouts(w->cache, c->a, c->b);
		if (rc == 0)
			flow_cache_expire(w->cache, w->now_ms);
		break;
	case LIVE_CMD_RESIZE:
		if (c->a == 0 || c->a > UINT32_MAX)
			rc = -EINVAL;
		else
			rc = flow_cache_resize(w->cache, (uint32_t)c->a);
		break;
	case LIVE_CMD_SAMPLING:
		/* Records carry the rate they were counted at: end the
		 * running ones under the old rate first. */
		if (w->sampler.interval != c->a || w->sampler.space != c->b) {
			flow_cache_flush(w->cache);
			sampler_init(&w->sampler, (uint32_t)c->a,
				     (uint32_t)c->b);
		}
		break;
	case LIVE_CMD_ADD_IF:
		rc = cap_add_if(w->cap, c->name, c->err, sizeof(c->err));
		break;
	case LIVE_CMD_REMOVE_IF:
		rc = cap_remove_if(w->cap, c->ifindex);
		break;
	case LIVE_CMD_RENAME_IF:
		cap_rename_if(w->cap, c->ifindex, c->name);
		break;
	}
	if (rc < 0 && c->err[0] == '\0')
		snprintf(c->err, sizeof(c->err), "%s", strerror(-rc));
	c->rc = rc;
	w->next_expiry_ms = flow_cache_next_expiry(w->cache);
	publish_cache(w);
	CNT_SET(w->st.interfaces, cap_count(w->cap));
}

/* The command runs without the lock held: it may emit records and wait
 * for ring space, and the main thread drains while it waits for us. */
static void worker_cmd(struct live_worker *w)
{
	struct live_cmd *c;
	uint64_t v;

	(void)read(w->cmd_fd, &v, sizeof(v));
	pthread_mutex_lock(&w->lock);
	c = w->cmd;
	w->cmd = NULL;
	pthread_mutex_unlock(&w->lock);
	if (c == NULL)
		return;
	run_cmd(w, c);
	pthread_mutex_lock(&w->lock);
	w->cmd_done = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

/* After the stop: read what is still arriving for drain_ms (packets in
 * blocks being filled when the signal came), then expire every flow. */
static void worker_finish(struct live_worker *w)
{
	uint64_t until = live_wall_ms() + w->drain_ms, t;
	struct epoll_event ev;

	while ((t = live_wall_ms()) < until) {
		if (epoll_wait(w->epfd, &ev, 1, (int)(until - t)) > 0 &&
		    ev.data.u32 == WEV_CMD)
			worker_cmd(w);
		worker_capture(w);
	}
	worker_capture(w);
	pending_flush(w);
	flow_cache_flush(w->cache);
	publish_cache(w);
	publish_cap(w);
}

static void *worker_main(void *arg)
{
	struct live_worker *w = arg;
	struct epoll_event evs[4];
	uint64_t t;
	int n, k;

	while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
		n = epoll_wait(w->epfd, evs, 4, LIVE_WORKER_TICK_MS);
		for (k = 0; k < n; k++)
			if (evs[k].data.u32 == WEV_CMD)
				worker_cmd(w);
		worker_capture(w);
		t = live_wall_ms();
		if (t > LIVE_CLOCK_LAG_MS)
			clock_advance(w, t - LIVE_CLOCK_LAG_MS);
		publish_cache(w);
		if (t >= w->next_cap_stats_ms) {
			/* Interfaces that came up while this capture was idle
			 * (libpcap reopens, fanout joins) are retried here. */
			cap_refresh(w->cap);
			publish_cap(w);
			w->next_cap_stats_ms = t + LIVE_CAP_STATS_MS;
		}
		if (rec_ring_used(&w->ring) > 0)
			poke_main(w);
	}
	worker_finish(w);
	/* A command that raced with the stop still gets its answer. */
	worker_cmd(w);
	__atomic_store_n(&w->done, true, __ATOMIC_RELEASE);
	poke_main(w);
	return NULL;
}

struct live_worker *live_worker_new(const struct live_worker_opts *o,
				    const char *const *names, size_t n,
				    char *err, size_t errlen)
{
	struct flow_cache_config cc = {
		.entries = o->cache_entries,
		.active_timeout_ms = o->active_timeout_ms,
		.inactive_timeout_ms = o->inactive_timeout_ms,
	};
	struct live_worker *w;
	int e;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->o = *o;
	w->epfd = -1;
	w->cmd_fd = -1;
	w->next_expiry_ms = UINT64_MAX;
	w->now_ms = live_wall_ms();
	sampler_init(&w->sampler, o->sampling_interval, o->sampling_space);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->done = true;			/* until started */

	w->cap = cap_open(&o->cap, names, n, err, errlen);
	if (w->cap == NULL) {
		e = errno;
		goto fail;
	}
	w->cache = flow_cache_new(&cc, o->seed, worker_emit, w);
	w->frags = frag_table_new(LIVE_FRAG_SLOTS, o->seed);
	if (w->cache == NULL || w->frags == NULL ||
	    rec_ring_init(&w->ring, o->ring_records) < 0) {
		e = ENOMEM;
		snprintf(err, errlen, "cannot allocate %u cache entries",
			 o->cache_entries);
		goto fail;
	}
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->cmd_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->epfd == -1 || w->cmd_fd == -1 ||
	    live_epoll_add(w->epfd, cap_fd(w->cap), WEV_CAP) == -1 ||
	    live_epoll_add(w->epfd, w->cmd_fd, WEV_CMD) == -1) {
		e = errno;
		snprintf(err, errlen, "worker event loop: %s", strerror(e));
		goto fail;
	}
	publish_cache(w);
	CNT_SET(w->st.interfaces, cap_count(w->cap));
	return w;
fail:
	live_worker_free(w);
	errno = e;
	return NULL;
}

int live_worker_start(struct live_worker *w)
{
	int rc;

	w->done = false;
	rc = pthread_create(&w->thread, NULL, worker_main, w);
	if (rc != 0) {
		w->done = true;
		return -rc;
	}
	w->started = true;
	return 0;
}

void live_worker_stop(struct live_worker *w, uint64_t drain_ms)
{
	uint64_t one = 1;

	w->drain_ms = drain_ms;
	__atomic_store_n(&w->stop, true, __ATOMIC_RELEASE);
	(void)write(w->cmd_fd, &one, sizeof(one));
}

bool live_worker_done(const struct live_worker *w)
{
	return __atomic_load_n(&w->done, __ATOMIC_ACQUIRE);
}

void live_worker_free(struct live_worker *w)
{
	if (w == NULL)
		return;
	if (w->started && !w->joined) {
		if (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE))
			live_worker_stop(w, 0);
		pthread_join(w->thread, NULL);
		w->joined = true;
	}
	if (w->epfd != -1)
		close(w->epfd);
	if (w->cmd_fd != -1)
		close(w->cmd_fd);
	cap_close(w->cap);
	flow_cache_free(w->cache);
	frag_table_free(w->frags);
	rec_ring_clear(&w->ring);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

struct rec_ring *live_worker_ring(struct live_worker *w)
{
	return &w->ring;
}

void live_worker_unpoke(struct live_worker *w)
{
	__atomic_store_n(&w->poked, false, __ATOMIC_RELEASE);
}

void live_worker_stats(const struct live_worker *w,
		       struct live_worker_stats *out)
{
	size_t i;

	out->pkts_seen = CNT_GET(w->st.pkts_seen);
	out->pkts_sampled_out = CNT_GET(w->st.pkts_sampled_out);
	for (i = 0; i < PKT_REASON_MAX; i++)
		out->pkts_dropped[i] = CNT_GET(w->st.pkts_dropped[i]);
	out->time_backwards = CNT_GET(w->st.time_backwards);
	out->records = CNT_GET(w->st.records);
	out->ring_waits = CNT_GET(w->st.ring_waits);
	out->ring_drops = CNT_GET(w->st.ring_drops);
	out->ring_drop_pkts = CNT_GET(w->st.ring_drop_pkts);
	out->interfaces = CNT_GET(w->st.interfaces);
	out->cache_entries = CNT_GET(w->st.cache_entries);
	out->cache.active = CNT_GET(w->st.cache.active);
	out->cache.created = CNT_GET(w->st.cache.created);
	out->cache.packets = CNT_GET(w->st.cache.packets);
	for (i = 0; i < 6; i++)
		out->cache.expired[i] = CNT_GET(w->st.cache.expired[i]);
	out->cap.packets = CNT_GET(w->st.cap.packets);
	out->cap.kernel_packets = CNT_GET(w->st.cap.kernel_packets);
	out->cap.drops = CNT_GET(w->st.cap.drops);
	out->cap.outgoing = CNT_GET(w->st.cap.outgoing);
	out->cap.skipped = CNT_GET(w->st.cap.skipped);
}

int live_worker_call(struct live_worker *w, struct live_cmd *cmd,
		     void (*drain)(void *ctx), void *ctx)
{
	struct timespec until;
	uint64_t one = 1;

	if (!w->started || live_worker_done(w)) {
		/* No thread: nothing else touches the worker's objects.
		 * A stopped thread that has not been joined yet must be:
		 * it may still be flushing. */
		if (w->started && !w->joined) {
			pthread_join(w->thread, NULL);
			w->joined = true;
		}
		run_cmd(w, cmd);
		return cmd->rc;
	}
	pthread_mutex_lock(&w->lock);
	w->cmd = cmd;
	w->cmd_done = false;
	(void)write(w->cmd_fd, &one, sizeof(one));
	while (!w->cmd_done) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 10 * 1000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&w->cond, &w->lock, &until);
		if (!w->cmd_done && w->cmd != NULL && live_worker_done(w)) {
			/* The thread ended before it saw the command. */
			w->cmd = NULL;
			pthread_mutex_unlock(&w->lock);
			pthread_join(w->thread, NULL);
			w->joined = true;
			run_cmd(w, cmd);
			return cmd->rc;
		}
		if (!w->cmd_done && drain != NULL) {
			/* The worker may be waiting for ring space. */
			pthread_mutex_unlock(&w->lock);
			drain(ctx);
			pthread_mutex_lock(&w->lock);
		}
	}
	pthread_mutex_unlock(&w->lock);
	return cmd->rc;
}
