/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * live: the live-capture driver of the probe pipeline (offline.c is the
 * other one).  Capture workers (live_worker.c) run the packet path, each
 * on its own flow cache shard; this file is the main thread: one epoll
 * loop over the signalfd, a 1 s timerfd, the eventfd the workers poke
 * when their record ring fills, the control socket and the netlink
 * sockets.  It drains the rings, fills output interface, next hop and
 * prefix lengths from the routing table (nl_routes_fill) and exports.
 *
 * The main thread owns the export set, the control server, the netlink
 * objects and the interface table; it touches a worker's capture or cache
 * only through live_worker_call(), which the worker runs between batches.
 *
 * Interfaces: the wanted set is `interfaces=all` (every link but loopback)
 * or the named list.  With netlink (nl_links) links that appear are added
 * to every worker within a second, links that go are removed, renames are
 * followed; a named interface that does not exist yet is captured when it
 * appears.  Without netlink the set is what exists at start.
 *
 * Counting: every packet a worker got is accounted, sampled out or
 * dropped under a named reason; the exit line sums the workers (also
 * those replaced by a change) and fails the run if that does not balance.
 */
#include "live.h"

#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "cap.h"
#include "ctl.h"
#include "export.h"
#include "live_worker.h"
#include "log.h"
#include "nl.h"
#include "pkt.h"
#include "siphash.h"

/* capture-workers=0 (auto) takes one per online CPU, at most this many:
 * beyond it the main thread's export becomes the bottleneck anyway. */
#define LIVE_MAX_WORKERS	64
#define LIVE_AUTO_WORKERS	16
/* Records each worker's ring holds: a burst of expiries (a full shard
 * flushed by a change) waits for the main thread, never is lost. */
#define LIVE_RING_RECORDS	4096
/* Records taken from one ring per wake-up: about a millisecond of export
 * work, so signals and the control socket wait at most a few ms. */
#define LIVE_DRAIN_BATCH	2048
/* At shutdown, workers read for this long (more than the ring's block
 * retire timeout of 100 ms) before the final flush. */
#define LIVE_DRAIN_MS		300
/* Links followed (a router's ports, VLANs and tunnels). */
#define LIVE_MAX_LINKS		512

enum {
	EV_SIG = 1, EV_TIMER, EV_WAKE, EV_CTL, EV_LINKS, EV_ROUTES,
};

struct live_link {
	uint32_t ifindex;
	char name[IF_NAMESIZE];
	char alias[64];
	unsigned flags;
	bool captured;			/* by every running worker */
};

struct live {
	struct tflow_config cfg;	/* in force: what ctl prints and saves */
	struct live_opts o;
	char config_path[4096];
	char ctl_path[108];

	/* Workers: n_workers == 0 while traffic-flow is disabled. */
	unsigned n_workers;
	struct live_worker *w[LIVE_MAX_WORKERS];
	bool started;
	/* The settings the running workers were opened with. */
	enum conf_capture run_capture;
	uint16_t run_nflog_group;
	uint16_t run_workers_cfg;
	enum conf_direction run_direction;
	uint8_t seed[16];

	struct export_set *exports;
	struct ctl_server *ctl;
	struct nl_links *links;
	struct nl_routes *routes;
	size_t n_links;
	struct live_link link[LIVE_MAX_LINKS];

	int epfd, sigfd, tfd, wakefd;
	sigset_t oldmask;
	bool mask_set;
	uint64_t start_ms;
	uint64_t exported;		/* records taken from the rings */
	struct live_worker_stats retired;	/* workers already freed */
	bool backlog;			/* a ring still held records */
	bool stop;
};

static void stats_add(struct live_worker_stats *t,
		      const struct live_worker_stats *s)
{
	size_t i;

	t->pkts_seen += s->pkts_seen;
	t->pkts_sampled_out += s->pkts_sampled_out;
	for (i = 0; i < PKT_REASON_MAX; i++)
		t->pkts_dropped[i] += s->pkts_dropped[i];
	t->time_backwards += s->time_backwards;
	t->records += s->records;
	t->ring_waits += s->ring_waits;
	t->ring_drops += s->ring_drops;
	t->ring_drop_pkts += s->ring_drop_pkts;
	t->interfaces += s->interfaces;
	t->cache_entries += s->cache_entries;
	t->cache.active += s->cache.active;
	t->cache.created += s->cache.created;
	t->cache.packets += s->cache.packets;
	for (i = 0; i < 6; i++)
		t->cache.expired[i] += s->cache.expired[i];
	t->cap.packets += s->cap.packets;
	t->cap.kernel_packets += s->cap.kernel_packets;
	t->cap.drops += s->cap.drops;
	t->cap.outgoing += s->cap.outgoing;
	t->cap.incoming += s->cap.incoming;
	t->cap.skipped += s->cap.skipped;
}

/* Totals over the running workers and the retired ones.  The gauges
 * (interfaces, cache_entries, cache.active) count the running ones. */
static void stats_total(const struct live *l, struct live_worker_stats *t)
{
	struct live_worker_stats s;
	unsigned i;

	*t = l->retired;
	t->interfaces = 0;
	t->cache_entries = 0;
	t->cache.active = 0;
	for (i = 0; i < l->n_workers; i++) {
		live_worker_stats(l->w[i], &s);
		stats_add(t, &s);
	}
	/* Every worker captures the same interfaces. */
	if (l->n_workers > 0)
		t->interfaces /= l->n_workers;
}

static void live_meter_stats(struct live *l)
{
	struct live_worker_stats t;
	struct exp_meter_stats ms;
	int r;

	stats_total(l, &t);
	memset(&ms, 0, sizeof(ms));
	ms.observed_flows = t.records + t.ring_drops;
	ms.ignored_packets = t.cap.drops;
	for (r = PKT_OK + 1; r < PKT_REASON_MAX; r++)
		ms.ignored_packets += t.pkts_dropped[r];
	ms.not_sent_flows = t.ring_drops;
	ms.not_sent_packets = t.ring_drop_pkts;
	export_set_stats(l->exports, &ms);
}

/* ------------------------------------------------------------------------
 * Draining the workers' rings: routes, then every target.
 */

static void drain_worker(struct live *l, struct live_worker *w,
			 uint64_t now_ms)
{
	struct rec_ring *ring = live_worker_ring(w);
	const struct tflow_record *p;
	struct tflow_record r;
	unsigned n;

	live_worker_unpoke(w);
	for (n = 0; n < LIVE_DRAIN_BATCH; n++) {
		if ((p = rec_ring_peek(ring)) == NULL)
			return;
		r = *p;
		rec_ring_pop(ring);
		if (l->routes != NULL)
			nl_routes_fill(l->routes, &r);
		l->exported++;
		/* Often enough for every options refresh to be current. */
		if ((l->exported & 1023) == 1)
			live_meter_stats(l);
		export_set_record(l->exports, &r, now_ms);
	}
	l->backlog = true;
}

static void drain_all(struct live *l)
{
	uint64_t now = live_wall_ms();
	unsigned i;

	l->backlog = false;
	for (i = 0; i < l->n_workers; i++)
		drain_worker(l, l->w[i], now);
}

static void drain_cb(void *ctx)
{
	drain_all(ctx);
}

/* ------------------------------------------------------------------------
 * Interfaces.
 */

static bool link_wanted(const struct tflow_config *cfg, const char *name,
			unsigned flags)
{
	unsigned i;

	/* all: every link but loopback; a named one is taken as named. */
	if (cfg->interfaces_all)
		return !(flags & IFF_LOOPBACK);
	for (i = 0; i < cfg->n_interfaces; i++)
		if (strcmp(cfg->interfaces[i], name) == 0)
			return true;
	return false;
}

static struct live_link *link_find(struct live *l, uint32_t ifindex)
{
	size_t i;

	for (i = 0; i < l->n_links; i++)
		if (l->link[i].ifindex == ifindex)
			return &l->link[i];
	return NULL;
}

/* Without netlink: the interfaces as they are now (if_nameindex). */
static void links_scan(struct live *l)
{
	struct if_nameindex *ifs, *it;
	struct ifreq ifr;
	int fd;

	ifs = if_nameindex();
	if (ifs == NULL)
		return;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	for (it = ifs; it->if_index != 0 && l->n_links < LIVE_MAX_LINKS;
	     it++) {
		struct live_link *k = &l->link[l->n_links++];

		memset(k, 0, sizeof(*k));
		k->ifindex = it->if_index;
		snprintf(k->name, sizeof(k->name), "%s", it->if_name);
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s",
			 it->if_name);
		if (fd != -1 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0)
			k->flags = (unsigned)(unsigned short)ifr.ifr_flags;
	}
	if (fd != -1)
		close(fd);
	if_freenameindex(ifs);
}

/* The exporters' interface table (v9/IPFIX options data). */
static void links_export(struct live *l)
{
	struct exp_iface *ifs;
	size_t i;

	ifs = calloc(l->n_links + 1, sizeof(*ifs));
	if (ifs == NULL)
		return;		/* the table stays as it was */
	for (i = 0; i < l->n_links; i++) {
		memset(&ifs[i], 0, sizeof(ifs[i]));
		ifs[i].ifindex = l->link[i].ifindex;
		snprintf(ifs[i].name, sizeof(ifs[i].name), "%s",
			 l->link[i].name);
		snprintf(ifs[i].descr, sizeof(ifs[i].descr), "%s",
			 l->link[i].alias);
	}
	export_set_interfaces(l->exports, ifs, l->n_links);
	free(ifs);
}

/* Start capturing k in every worker.  Failures are logged: the other
 * interfaces go on. */
static void link_capture(struct live *l, struct live_link *k)
{
	struct live_cmd cmd;
	unsigned i, ok = 0;

	for (i = 0; i < l->n_workers; i++) {
		memset(&cmd, 0, sizeof(cmd));
		cmd.type = LIVE_CMD_ADD_IF;
		snprintf(cmd.name, sizeof(cmd.name), "%s", k->name);
		if (live_worker_call(l->w[i], &cmd, drain_cb, l) == 0 ||
		    cmd.rc == -EEXIST)
			ok++;
		else if (i == 0)
			log_warnx("live: cannot capture on %s: %s", k->name,
				  cmd.err);
	}
	if (l->n_workers > 0 && ok == l->n_workers) {
		k->captured = true;
		log_info("live: capturing on %s (ifindex %" PRIu32 ")",
			 k->name, k->ifindex);
	} else if (ok > 0) {
		/* Keep what works: the flows of the workers that have it. */
		k->captured = true;
		log_warnx("live: %s captured by %u of %u workers", k->name,
			  ok, l->n_workers);
	}
}

static void link_release(struct live *l, struct live_link *k,
			 const char *why)
{
	struct live_cmd cmd;
	unsigned i;

	for (i = 0; i < l->n_workers; i++) {
		memset(&cmd, 0, sizeof(cmd));
		cmd.type = LIVE_CMD_REMOVE_IF;
		cmd.ifindex = k->ifindex;
		(void)live_worker_call(l->w[i], &cmd, drain_cb, l);
	}
	if (k->captured)
		log_info("live: released %s (ifindex %" PRIu32 "): %s",
			 k->name, k->ifindex, why);
	k->captured = false;
}

/* Make the captured set what cfg wants, in every running worker. */
static void links_sync(struct live *l)
{
	size_t i;

	for (i = 0; i < l->n_links; i++) {
		struct live_link *k = &l->link[i];
		bool want = link_wanted(&l->cfg, k->name, k->flags);

		if (want && !k->captured)
			link_capture(l, k);
		else if (!want && k->captured)
			link_release(l, k, "not configured");
	}
}

static void link_event(enum nl_link_event ev, const struct nl_link *nl,
		       void *ctx)
{
	struct live *l = ctx;
	struct live_link *k = link_find(l, nl->ifindex);
	struct live_cmd cmd;
	unsigned i;

	switch (ev) {
	case NL_LINK_NEW:
	case NL_LINK_CHANGE:
		if (k == NULL) {
			if (l->n_links == LIVE_MAX_LINKS)
				return;
			k = &l->link[l->n_links++];
			memset(k, 0, sizeof(*k));
			k->ifindex = nl->ifindex;
		}
		snprintf(k->name, sizeof(k->name), "%s", nl->name);
		snprintf(k->alias, sizeof(k->alias), "%s", nl->alias);
		k->flags = nl->flags;
		break;
	case NL_LINK_RENAME:
		if (k == NULL)
			return;
		if (k->captured) {
			for (i = 0; i < l->n_workers; i++) {
				memset(&cmd, 0, sizeof(cmd));
				cmd.type = LIVE_CMD_RENAME_IF;
				cmd.ifindex = k->ifindex;
				snprintf(cmd.name, sizeof(cmd.name), "%s",
					 nl->name);
				(void)live_worker_call(l->w[i], &cmd, drain_cb,
						       l);
			}
			log_info("live: %s (ifindex %" PRIu32 ") is now %s",
				 k->name, k->ifindex, nl->name);
		}
		snprintf(k->name, sizeof(k->name), "%s", nl->name);
		snprintf(k->alias, sizeof(k->alias), "%s", nl->alias);
		k->flags = nl->flags;
		break;
	case NL_LINK_DEL:
		if (k == NULL)
			return;
		if (k->captured)
			link_release(l, k, "gone");
		*k = l->link[--l->n_links];
		break;
	}
	if (!l->started)
		return;		/* the dump at start: live_open() decides */
	if (k != NULL && ev != NL_LINK_DEL) {
		bool want = link_wanted(&l->cfg, k->name, k->flags);

		if (want && !k->captured)
			link_capture(l, k);
		else if (!want && k->captured)
			link_release(l, k, "renamed");
	}
	links_export(l);
}

/* ------------------------------------------------------------------------
 * Workers.
 */

static unsigned workers_wanted(const struct tflow_config *cfg)
{
	long n;

	/* Only the AF_PACKET ring has a fanout to spread packets. */
	if (cfg->capture != CONF_CAPTURE_AFPACKET)
		return 1;
	if (cfg->capture_workers > 0)
		n = cfg->capture_workers;
	else {
		n = sysconf(_SC_NPROCESSORS_ONLN);
		if (n > LIVE_AUTO_WORKERS)
			n = LIVE_AUTO_WORKERS;
	}
	if (n < 1)
		n = 1;
	if (n > LIVE_MAX_WORKERS)
		n = LIVE_MAX_WORKERS;
	return (unsigned)n;
}

/* Stop every worker: they read for drain_ms, flush their shards into
 * the rings, which are drained here until every thread ended. */
static void workers_stop(struct live *l, uint64_t drain_ms)
{
	struct live_worker_stats s;
	struct epoll_event ev;
	uint64_t v;
	unsigned i;
	bool all;
	int epfd;

	for (i = 0; i < l->n_workers; i++)
		live_worker_stop(l->w[i], drain_ms);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd != -1) {
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, l->wakefd, &ev) == -1) {
			close(epfd);
			epfd = -1;
		}
	}
	do {
		if (epfd != -1) {
			if (epoll_wait(epfd, &ev, 1, 50) > 0)
				(void)read(l->wakefd, &v, sizeof(v));
		} else {
			usleep(20000);
		}
		drain_all(l);
		all = true;
		for (i = 0; i < l->n_workers; i++)
			all = all && live_worker_done(l->w[i]);
	} while (!all);
	do
		drain_all(l);
	while (l->backlog);
	if (epfd != -1)
		close(epfd);
	for (i = 0; i < l->n_workers; i++) {
		live_worker_stats(l->w[i], &s);
		s.interfaces = 0;
		s.cache_entries = 0;
		s.cache.active = 0;
		stats_add(&l->retired, &s);
		live_worker_free(l->w[i]);
		l->w[i] = NULL;
	}
	l->n_workers = 0;
	for (i = 0; i < l->n_links; i++)
		l->link[i].captured = false;
}

/* Open the workers for cfg (no thread yet), capturing what it wants of
 * the known links.  0 or -errno with a message in err; nothing open then. */
static int workers_open(struct live *l, const struct tflow_config *cfg,
			char *err, size_t errlen)
{
	const char *names[LIVE_MAX_LINKS];
	struct live_worker_opts wo;
	unsigned n = workers_wanted(cfg), i;
	size_t nn = 0, k;
	char werr[256];

	if (!cfg->interfaces_all) {
		/* A named interface that is not there yet is added when it
		 * appears (with netlink). */
		for (i = 0; i < cfg->n_interfaces; i++) {
			for (k = 0; k < l->n_links; k++)
				if (strcmp(l->link[k].name,
					   cfg->interfaces[i]) == 0)
					break;
			if (k < l->n_links)
				continue;
			if (l->links == NULL) {
				snprintf(err, errlen, "%s: no such interface",
					 cfg->interfaces[i]);
				return -ENODEV;
			}
			log_warnx("live: %s does not exist (yet): captured "
				  "when it appears", cfg->interfaces[i]);
		}
	}
	for (k = 0; k < l->n_links; k++)
		if (link_wanted(cfg, l->link[k].name, l->link[k].flags))
			names[nn++] = l->link[k].name;

	memset(&wo, 0, sizeof(wo));
	wo.cap.backend = cfg->capture;
	wo.cap.direction = cfg->count_direction;
	wo.cap.nflog_group = cfg->nflog_group;
	/* Non-zero and ours: two tflowd never share a fanout group. */
	wo.cap.fanout_id = (uint16_t)(getpid() & 0xffff);
	if (wo.cap.fanout_id == 0)
		wo.cap.fanout_id = 1;
	if (l->routes != NULL) {
		wo.cap.is_local = nl_local_is_local;
		wo.cap.local_ctx = l->routes;
	}
	wo.cache_entries = (cfg->cache_entries + n - 1) / n;
	wo.active_timeout_ms = cfg->active_timeout_ms;
	wo.inactive_timeout_ms = cfg->inactive_timeout_ms;
	if (cfg->packet_sampling) {
		wo.sampling_interval = cfg->sampling_interval;
		wo.sampling_space = cfg->sampling_space;
	}
	memcpy(wo.seed, l->seed, sizeof(wo.seed));
	wo.ring_records = LIVE_RING_RECORDS;
	wo.wake_fd = l->wakefd;
	for (i = 0; i < n; i++) {
		wo.id = i;
		l->w[i] = live_worker_new(&wo, names, nn, werr, sizeof(werr));
		if (l->w[i] == NULL) {
			snprintf(err, errlen, "capture: %s", werr);
			while (i-- > 0) {
				live_worker_free(l->w[i]);
				l->w[i] = NULL;
			}
			return -EIO;
		}
	}
	l->n_workers = n;
	l->run_capture = cfg->capture;
	l->run_nflog_group = cfg->nflog_group;
	l->run_workers_cfg = cfg->capture_workers;
	l->run_direction = cfg->count_direction;
	for (k = 0; k < l->n_links; k++)
		l->link[k].captured = link_wanted(cfg, l->link[k].name,
						  l->link[k].flags);
	return 0;
}

/* The capture= setting as the config spells it, for the start-up log. */
static const char *capture_name(const struct tflow_config *cfg, char *buf,
				size_t len)
{
	switch (cfg->capture) {
	case CONF_CAPTURE_PCAP:
		return "pcap";
	case CONF_CAPTURE_NFLOG:
		snprintf(buf, len, "nflog:%u", (unsigned)cfg->nflog_group);
		return buf;
	case CONF_CAPTURE_AFPACKET:
	default:
		return "afpacket";
	}
}

static int workers_start(struct live *l, char *err, size_t errlen)
{
	char what[24];
	unsigned i;
	size_t k;
	int rc;

	for (i = 0; i < l->n_workers; i++) {
		rc = live_worker_start(l->w[i]);
		if (rc < 0) {
			snprintf(err, errlen, "worker thread: %s",
				 strerror(-rc));
			return rc;
		}
	}
	for (k = 0; k < l->n_links; k++)
		if (l->link[k].captured)
			log_info("live: capturing on %s (ifindex %" PRIu32 ")",
				 l->link[k].name, l->link[k].ifindex);
	if (l->n_workers > 0)
		log_info("live: capture %s, %u worker(s), %u cache entries "
			 "each", capture_name(&l->cfg, what, sizeof(what)),
			 l->n_workers,
			 (l->cfg.cache_entries + l->n_workers - 1) /
			 l->n_workers);
	return 0;
}

/* Run one command on every worker; the first failure is returned. */
static int workers_call(struct live *l, enum live_cmd_type type, uint64_t a,
			uint64_t b, char *err, size_t errlen)
{
	struct live_cmd cmd;
	unsigned i;
	int rc = 0;

	for (i = 0; i < l->n_workers; i++) {
		memset(&cmd, 0, sizeof(cmd));
		cmd.type = type;
		cmd.a = a;
		cmd.b = b;
		if (live_worker_call(l->w[i], &cmd, drain_cb, l) < 0 &&
		    rc == 0) {
			rc = cmd.rc;
			snprintf(err, errlen, "%s", cmd.err);
		}
	}
	return rc;
}

/* ------------------------------------------------------------------------
 * Live changes.
 */

static bool capture_changed(const struct live *l,
			    const struct tflow_config *n)
{
	return n->capture != l->run_capture ||
	       n->nflog_group != l->run_nflog_group ||
	       n->capture_workers != l->run_workers_cfg ||
	       n->count_direction != l->run_direction;
}

int live_apply(struct live *l, const struct tflow_config *next, char *err,
	       size_t errlen)
{
	struct live_worker *old[LIVE_MAX_WORKERS];
	unsigned n_old = 0, i;
	bool restart, fresh = false;
	uint32_t shard;
	int rc;

	restart = next->enabled && l->n_workers > 0 &&
		  capture_changed(l, next);
	/*
	 * 1. What can fail comes first, while nothing has changed: a new
	 * set of workers (enabling, or a new backend/worker count/
	 * direction), then the export targets.
	 */
	if (next->enabled && (l->n_workers == 0 || restart)) {
		n_old = l->n_workers;
		memcpy(old, l->w, n_old * sizeof(old[0]));
		l->n_workers = 0;
		rc = workers_open(l, next, err, errlen);
		if (rc < 0) {
			memcpy(l->w, old, n_old * sizeof(old[0]));
			l->n_workers = n_old;
			return rc;
		}
		fresh = true;
	}
	rc = export_set_reconfigure(l->exports, next, live_wall_ms(), err,
				    errlen);
	if (rc < 0) {
		if (fresh) {
			for (i = 0; i < l->n_workers; i++)
				live_worker_free(l->w[i]);
			memcpy(l->w, old, n_old * sizeof(old[0]));
			l->n_workers = n_old;
		}
		return rc;
	}

	/* 2. Commit.  Replaced workers export their flows first. */
	if (fresh) {
		struct live_worker *nw[LIVE_MAX_WORKERS];
		unsigned n_new = l->n_workers;

		memcpy(nw, l->w, n_new * sizeof(nw[0]));
		memcpy(l->w, old, n_old * sizeof(old[0]));
		l->n_workers = n_old;
		if (n_old > 0) {
			log_info("live: capture settings changed: replacing "
				 "the workers (their flows are exported)");
			workers_stop(l, 0);
		}
		memcpy(l->w, nw, n_new * sizeof(nw[0]));
		l->n_workers = n_new;
		l->cfg = *next;
		rc = workers_start(l, err, errlen);
		if (rc < 0)
			log_warnx("live: %s", err);
		live_meter_stats(l);
		return 0;
	}
	if (!next->enabled && l->n_workers > 0) {
		log_info("live: traffic-flow disabled: capture stops, cached "
			 "flows are exported");
		workers_stop(l, 0);
	}
	if (l->n_workers > 0) {
		char werr[256];

		if (next->active_timeout_ms != l->cfg.active_timeout_ms ||
		    next->inactive_timeout_ms != l->cfg.inactive_timeout_ms)
			(void)workers_call(l, LIVE_CMD_TIMEOUTS,
					   next->active_timeout_ms,
					   next->inactive_timeout_ms, werr,
					   sizeof(werr));
		if (next->packet_sampling != l->cfg.packet_sampling ||
		    next->sampling_interval != l->cfg.sampling_interval ||
		    next->sampling_space != l->cfg.sampling_space)
			(void)workers_call(l, LIVE_CMD_SAMPLING,
				next->packet_sampling ? next->sampling_interval : 0,
				next->packet_sampling ? next->sampling_space : 0,
				werr, sizeof(werr));
		if (next->cache_entries != l->cfg.cache_entries) {
			shard = (next->cache_entries + l->n_workers - 1) /
				l->n_workers;
			if (workers_call(l, LIVE_CMD_RESIZE, shard, 0, werr,
					 sizeof(werr)) < 0) {
				/* Keep the size the shards have. */
				uint32_t had = l->cfg.cache_entries;

				log_warnx("live: cache-entries: %s", werr);
				snprintf(err, errlen, "cache-entries: %s",
					 werr);
				(void)workers_call(l, LIVE_CMD_RESIZE,
						   (had + l->n_workers - 1) /
						   l->n_workers, 0, werr,
						   sizeof(werr));
				/* The rest is in force already. */
				l->cfg = *next;
				l->cfg.cache_entries = had;
				return -ENOMEM;
			}
		}
	}
	l->cfg = *next;
	if (l->n_workers > 0)
		links_sync(l);
	live_meter_stats(l);
	return 0;
}

/* SIGHUP: the file is parsed as a whole; a broken one changes nothing. */
static void live_reload(struct live *l)
{
	struct tflow_config *nc;
	struct conf_error cerr;
	char err[256];
	int rc;

	if (l->o.config_path == NULL) {
		log_warnx("SIGHUP: no config file to reload");
		return;
	}
	nc = malloc(sizeof(*nc));
	if (nc == NULL) {
		log_warn("SIGHUP: reload");
		return;
	}
	conf_init_defaults(nc);
	memset(&cerr, 0, sizeof(cerr));
	rc = conf_parse_file(l->o.config_path, nc, &cerr);
	if (rc != 0) {
		if (rc == -EINVAL)
			log_warnx("%s:%u:%u: %s; keeping the running "
				  "configuration", l->o.config_path, cerr.line,
				  cerr.column, cerr.msg);
		else
			log_warnx("%s; keeping the running configuration",
				  cerr.msg);
		goto free_nc;
	}
	if (!nc->enabled && l->ctl == NULL) {
		/* Nothing could enable it again: stop, as on RouterOS. */
		log_info("traffic-flow disabled (enabled=no) by reload: "
			 "stopping");
		l->stop = true;
		goto free_nc;
	}
	rc = live_apply(l, nc, err, sizeof(err));
	if (rc < 0) {
		log_warnx("reload: %s; keeping the running configuration",
			  err);
		goto free_nc;
	}
	log_info("reload: %s: %u target(s), %s", l->o.config_path,
		 export_set_count(l->exports),
		 l->n_workers > 0 ? "capturing" : "disabled");
free_nc:
	free(nc);
}

/* ------------------------------------------------------------------------
 * Control socket.
 */

static const struct tflow_config *ctl_config(void *ctx)
{
	struct live *l = ctx;

	return &l->cfg;
}

static int ctl_apply(void *ctx, const struct tflow_config *next, char *err,
		     size_t errlen)
{
	return live_apply(ctx, next, err, errlen);
}

static void ctl_monitor(void *ctx, struct ctl_monitor *m)
{
	struct live *l = ctx;
	struct live_worker_stats t;
	int r;

	stats_total(l, &t);
	memset(m, 0, sizeof(*m));
	m->enabled = l->cfg.enabled;
	m->uptime_ms = live_wall_ms() - l->start_ms;
	m->workers = l->n_workers;
	m->interfaces = (unsigned)t.interfaces;
	m->active_flows = t.cache.active;
	m->finished_flows = t.records + t.ring_drops;
	m->packets_seen = t.pkts_seen;
	m->packets_sampled_out = t.pkts_sampled_out;
	for (r = 0; r < PKT_REASON_MAX; r++)
		m->not_parsable[r] = t.pkts_dropped[r];
	m->capture_drops = t.cap.drops;
	m->evicted = t.cache.expired[TFLOW_END_RESOURCES];
	if (t.ring_drops > 0)
		snprintf(m->notice, sizeof(m->notice),
			 "%" PRIu64 " records lost: export could not keep up",
			 t.ring_drops);
	else if (!l->cfg.enabled)
		snprintf(m->notice, sizeof(m->notice),
			 "traffic-flow is disabled: nothing is captured");
	export_set_monitor(l->exports, m);
}

static const struct ctl_ops live_ctl_ops = {
	.config = ctl_config,
	.apply = ctl_apply,
	.monitor = ctl_monitor,
};

/* ------------------------------------------------------------------------
 * Life.
 */

struct live *live_open(const struct tflow_config *cfg,
		       const struct live_opts *o, char *err, size_t errlen)
{
	struct live *l;
	char nerr[256];
	int rc;

	l = calloc(1, sizeof(*l));
	if (l == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->cfg = *cfg;
	l->epfd = l->sigfd = l->tfd = l->wakefd = -1;
	if (o->config_path != NULL) {
		snprintf(l->config_path, sizeof(l->config_path), "%s",
			 o->config_path);
		l->o.config_path = l->config_path;
	}
	if (o->ctl_path != NULL && o->ctl_path[0] != '\0') {
		snprintf(l->ctl_path, sizeof(l->ctl_path), "%s", o->ctl_path);
		l->o.ctl_path = l->ctl_path;
	}
	l->start_ms = live_wall_ms();
	rc = siphash_random_key(l->seed);
	if (rc < 0) {
		snprintf(err, errlen, "cannot seed the flow hash: %s",
			 strerror(-rc));
		goto fail;
	}
	l->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->wakefd == -1) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		goto fail;
	}
	/* Routes first: the workers' is_local needs them. */
	l->routes = nl_routes_open(nerr, sizeof(nerr));
	if (l->routes == NULL)
		log_warnx("live: routes: %s; records carry no output "
			  "interface, next hop or masks", nerr);
	/* Calls link_event() for every link before it returns. */
	l->links = nl_links_open(link_event, l, nerr, sizeof(nerr));
	if (l->links == NULL) {
		log_warnx("live: links: %s; interfaces are not followed",
			  nerr);
		l->n_links = 0;
	}
	if (l->links == NULL)
		links_scan(l);

	/* Live: never wait for a socket, no pacing. */
	l->exports = export_set_new(cfg, l->start_ms, false, 0, err, errlen);
	if (l->exports == NULL)
		goto fail;
	links_export(l);
	if (cfg->enabled && workers_open(l, cfg, err, errlen) < 0)
		goto fail;
	if (l->o.ctl_path != NULL) {
		l->ctl = ctl_server_open(l->o.ctl_path, l->o.config_path,
					 &live_ctl_ops, l, nerr, sizeof(nerr));
		if (l->ctl == NULL) {
			snprintf(err, errlen, "control socket %s: %s",
				 l->o.ctl_path, nerr);
			goto fail;
		}
	}
	return l;
fail:
	live_close(l);
	return NULL;
}

int live_start(struct live *l, char *err, size_t errlen)
{
	struct itimerspec its = { { 1, 0 }, { 1, 0 } };
	sigset_t mask;
	int rc;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	/* Before any thread exists, so that every worker inherits it and
	 * the signals reach only the signalfd. */
	if (sigprocmask(SIG_BLOCK, &mask, &l->oldmask) == -1) {
		snprintf(err, errlen, "sigprocmask: %s", strerror(errno));
		return -errno;
	}
	l->mask_set = true;
	/* A collector that went away must not kill us with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	l->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	l->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->sigfd == -1 || l->tfd == -1 || l->epfd == -1 ||
	    timerfd_settime(l->tfd, 0, &its, NULL) == -1 ||
	    live_epoll_add(l->epfd, l->sigfd, EV_SIG) == -1 ||
	    live_epoll_add(l->epfd, l->tfd, EV_TIMER) == -1 ||
	    live_epoll_add(l->epfd, l->wakefd, EV_WAKE) == -1 ||
	    (l->ctl != NULL &&
	     live_epoll_add(l->epfd, ctl_server_fd(l->ctl), EV_CTL) == -1) ||
	    (l->links != NULL &&
	     live_epoll_add(l->epfd, nl_links_fd(l->links), EV_LINKS) == -1) ||
	    (l->routes != NULL &&
	     live_epoll_add(l->epfd, nl_routes_fd(l->routes), EV_ROUTES) == -1)) {
		rc = -errno;
		snprintf(err, errlen, "event loop: %s", strerror(errno));
		return rc;
	}
	l->started = true;
	rc = workers_start(l, err, errlen);
	if (rc < 0)
		return rc;
	if (l->n_workers == 0)
		log_info("live: traffic-flow is disabled (enabled=no): "
			 "waiting to be enabled");
	log_info("live: started, %u target(s)", export_set_count(l->exports));
	return 0;
}

static void live_tick(struct live *l)
{
	drain_all(l);
	live_meter_stats(l);
	export_set_flush(l->exports, live_wall_ms());
}

static void live_signal(struct live *l)
{
	struct signalfd_siginfo si;

	while (read(l->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			live_reload(l);
		else
			l->stop = true;
	}
}

/* The exit line: the offline stats line plus the capture's counters. */
static void live_report(const struct live_worker_stats *st, unsigned workers)
{
	char reasons[1024];
	struct rusage ru;
	uint64_t dropped;

	dropped = pkt_reasons_format(st->pkts_dropped, reasons,
				     sizeof(reasons));
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		memset(&ru, 0, sizeof(ru));
	log_info("live: packets=%" PRIu64 " accounted=%" PRIu64
		 " sampled_out=%" PRIu64 " not_parsable=%" PRIu64 "%s"
		 " records=%" PRIu64 " idle=%" PRIu64 " active=%" PRIu64
		 " end=%" PRIu64 " forced=%" PRIu64 " evicted=%" PRIu64
		 " time_backwards=%" PRIu64 " capture_packets=%" PRIu64
		 " capture_drops=%" PRIu64 " outgoing_skipped=%" PRIu64
		 " workers=%u ring_waits=%" PRIu64 " ring_drops=%" PRIu64
		 " maxrss_kb=%ld cpu_ms=%ld",
		 st->pkts_seen, st->cache.packets, st->pkts_sampled_out,
		 dropped, reasons, st->records + st->ring_drops,
		 st->cache.expired[TFLOW_END_IDLE],
		 st->cache.expired[TFLOW_END_ACTIVE],
		 st->cache.expired[TFLOW_END_DETECTED],
		 st->cache.expired[TFLOW_END_FORCED],
		 st->cache.expired[TFLOW_END_RESOURCES],
		 st->time_backwards, st->cap.kernel_packets, st->cap.drops,
		 st->cap.outgoing, workers, st->ring_waits, st->ring_drops,
		 ru.ru_maxrss,
		 (long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
		 (long)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000);
}

static bool live_balanced(const struct live_worker_stats *st)
{
	uint64_t sum = st->cache.packets + st->pkts_sampled_out;
	int r;

	for (r = PKT_OK + 1; r < PKT_REASON_MAX; r++)
		sum += st->pkts_dropped[r];
	return sum == st->pkts_seen;
}

int live_run(struct live *l)
{
	struct live_worker_stats t;
	struct epoll_event evs[8];
	unsigned workers = l->n_workers;
	uint64_t v;
	int k, nev, rc;

	while (!l->stop) {
		nev = epoll_wait(l->epfd, evs, 8, l->backlog ? 0 : -1);
		if (nev == -1) {
			if (errno == EINTR)
				continue;
			log_warn("live: epoll_wait");
			break;
		}
		if (l->backlog)
			drain_all(l);
		for (k = 0; k < nev; k++) {
			switch (evs[k].data.u32) {
			case EV_SIG:
				live_signal(l);
				break;
			case EV_TIMER:
				if (read(l->tfd, &v, sizeof(v)) > 0)
					live_tick(l);
				break;
			case EV_WAKE:
				(void)read(l->wakefd, &v, sizeof(v));
				drain_all(l);
				break;
			case EV_CTL:
				ctl_server_process(l->ctl);
				break;
			case EV_LINKS:
				rc = nl_links_process(l->links);
				if (rc < 0)
					log_warnx("live: links: %s",
						  strerror(-rc));
				break;
			case EV_ROUTES:
				rc = nl_routes_process(l->routes);
				if (rc < 0)
					log_warnx("live: routes: %s",
						  strerror(-rc));
				break;
			}
		}
		if (l->n_workers > workers)
			workers = l->n_workers;
	}

	workers_stop(l, LIVE_DRAIN_MS);
	stats_total(l, &t);
	live_report(&t, workers);
	live_meter_stats(l);
	export_set_flush(l->exports, live_wall_ms());
	export_set_report(l->exports, stderr);
	if (!live_balanced(&t)) {
		/* A broken invariant, as in offline mode. */
		log_warnx("live: packet counters do not balance");
		return 1;
	}
	return 0;
}

void live_close(struct live *l)
{
	unsigned i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n_workers; i++)
		live_worker_free(l->w[i]);
	ctl_server_close(l->ctl);
	if (l->links != NULL)
		nl_links_close(l->links);
	if (l->routes != NULL)
		nl_routes_close(l->routes);
	export_set_free(l->exports);
	if (l->epfd != -1)
		close(l->epfd);
	if (l->tfd != -1)
		close(l->tfd);
	if (l->sigfd != -1)
		close(l->sigfd);
	if (l->wakefd != -1)
		close(l->wakefd);
	if (l->mask_set)
		sigprocmask(SIG_SETMASK, &l->oldmask, NULL);
	free(l);
}
