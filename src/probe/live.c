/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * live: the live-capture driver of the probe pipeline (offline.c is the
 * other one).  Everything runs in one thread and one epoll loop: capture
 * blocks, the signalfd and a 1 s timerfd for expiry and export flushes.
 *
 * Time: packets carry the kernel's CLOCK_REALTIME stamp, and records and
 * export headers are wall-clock times, so the whole driver uses
 * CLOCK_REALTIME in ms.  Like offline mode the clock never goes back: a
 * packet older than the clock (rings are read one after another, a block
 * may be retired 100 ms after its first packet, the wall clock may be
 * stepped back) is counted at the current clock, and time_backwards says
 * how often.  The timer moves the clock to the wall clock minus
 * LIVE_CLOCK_LAG_MS, so that expiry happens on quiet links while packets
 * of blocks still being filled mostly arrive in order.
 *
 * Reload (SIGHUP): the new file is parsed into a new config; on error the
 * running one stays.  Targets and IPFIX fields apply at once (a new export
 * set replaces the old one after the old one's datagrams are flushed);
 * interfaces, cache-entries, timeouts and sampling are the running cache's
 * and take effect at the next start (said in the log); enabled=no stops.
 */
#include "live.h"

#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "cap.h"
#include "export.h"
#include "flow_cache.h"
#include "frag.h"
#include "log.h"
#include "pkt.h"
#include "sampler.h"
#include "siphash.h"

/* As offline mode: fragmented datagrams in flight within 30 s. */
#define LIVE_FRAG_SLOTS		4096
/* Ring blocks per interface per wake-up: about 800 packets at the snap
 * length, so the signal and timer fds wait at most a few ms under load. */
#define LIVE_BLOCKS_PER_WAKE	4
/* How far the timer's clock stays behind the wall clock: more than the
 * ring's block retire timeout (100 ms). */
#define LIVE_CLOCK_LAG_MS	250
/* At shutdown, packets in blocks still being filled are read for this
 * long (more than the block retire timeout) before the final flush. */
#define LIVE_DRAIN_MS		300

enum { EV_CAP = 1, EV_SIG, EV_TIMER };

struct live_stats {
	uint64_t pkts_seen;		/* delivered by the capture */
	uint64_t pkts_sampled_out;
	uint64_t pkts_dropped[PKT_REASON_MAX];
	uint64_t time_backwards;
	uint64_t records;
	struct flow_cache_stats cache;
	struct cap_stats cap;
};

struct live {
	struct tflow_config cfg;	/* targets: the newest good config */
	const char *config_path;
	struct cap *cap;
	struct flow_cache *cache;
	struct frag_table *frags;
	struct sampler sampler;
	struct export_set *exports;	/* NULL: no target */
	uint64_t start_ms;		/* sysUptime zero of every export set */
	uint64_t now_ms;
	uint64_t next_expiry_ms;
	size_t n_pending;
	struct pkt_info pending[FLOW_CACHE_BATCH];
	uint64_t pending_ms[FLOW_CACHE_BATCH];
	struct live_stats st;
	bool stop;
};

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void pending_flush(struct live *l)
{
	if (l->n_pending == 0)
		return;
	flow_cache_update_batch(l->cache, l->pending, l->pending_ms,
				l->n_pending);
	l->n_pending = 0;
	l->next_expiry_ms = flow_cache_next_expiry(l->cache);
}

/* Advance the clock; expire what is due (after the pending packets). */
static void clock_advance(struct live *l, uint64_t t_ms)
{
	if (t_ms <= l->now_ms)
		return;
	l->now_ms = t_ms;
	if (t_ms >= l->next_expiry_ms) {
		pending_flush(l);
		flow_cache_expire(l->cache, t_ms);
		l->next_expiry_ms = flow_cache_next_expiry(l->cache);
	}
}

static void live_meter_stats(struct live *l)
{
	struct exp_meter_stats ms;
	int r;

	if (l->exports == NULL)
		return;
	memset(&ms, 0, sizeof(ms));
	ms.observed_flows = l->st.records;
	ms.ignored_packets = l->st.cap.drops;
	for (r = PKT_OK + 1; r < PKT_REASON_MAX; r++)
		ms.ignored_packets += l->st.pkts_dropped[r];
	export_set_stats(l->exports, &ms);
}

/* Every expired record: stamped with the sampling rate, to every target. */
static void live_emit(const struct tflow_record *rec, void *arg)
{
	struct live *l = arg;
	struct tflow_record r;

	l->st.records++;
	if (l->exports == NULL)
		return;
	if ((l->st.records & 255) == 1)
		live_meter_stats(l);
	if (l->sampler.interval == 0 || l->sampler.space == 0) {
		export_set_record(l->exports, rec, l->now_ms);
		return;
	}
	r = *rec;
	r.sampling_packets = l->sampler.interval;
	r.sampling_space = l->sampler.space;
	export_set_record(l->exports, &r, l->now_ms);
}

/* One packet: the path of offline_packet(), with the ring's ifindex as
 * the input interface (Ethernet frames carry none). */
static void live_packet(const struct cap_pkt *cp, void *arg)
{
	struct live *l = arg;
	struct pkt_info *pkt;
	enum pkt_reason why;

	l->st.pkts_seen++;
	if (cp->ts_ms > l->now_ms)
		clock_advance(l, cp->ts_ms);
	else if (cp->ts_ms < l->now_ms)
		l->st.time_backwards++;
	pkt = &l->pending[l->n_pending];
	why = pkt_parse(cp->linktype, cp->data, cp->caplen, cp->wirelen, pkt);
	if (why != PKT_OK) {
		l->st.pkts_dropped[why]++;
		return;
	}
	pkt->key.in_if = cp->ifindex;
	if (pkt->vlan == 0)
		pkt->vlan = cp->vlan;
	if (!sampler_take(&l->sampler)) {
		l->st.pkts_sampled_out++;
		return;
	}
	if (pkt->frag != PKT_FRAG_NONE)
		frag_table_resolve(l->frags, pkt, l->now_ms);
	l->pending_ms[l->n_pending] = l->now_ms;
	if (++l->n_pending == FLOW_CACHE_BATCH)
		pending_flush(l);
}

/* Read what the rings hold: a bounded number of blocks per call. */
static void live_capture(struct live *l)
{
	cap_next_batch(l->cap, LIVE_BLOCKS_PER_WAKE, live_packet, l);
	/* The pending packets hold no pointer into the ring. */
	cap_release(l->cap);
	pending_flush(l);
}

static void live_tick(struct live *l)
{
	uint64_t w = wall_ms();

	if (w > LIVE_CLOCK_LAG_MS)
		clock_advance(l, w - LIVE_CLOCK_LAG_MS);
	if (l->exports != NULL) {
		live_meter_stats(l);
		export_set_flush(l->exports, l->now_ms);
	}
}

static bool targets_equal(const struct tflow_config *a,
			  const struct tflow_config *b)
{
	return a->n_targets == b->n_targets &&
	       memcmp(a->targets, b->targets,
		      a->n_targets * sizeof(a->targets[0])) == 0 &&
	       a->ipfix_fields == b->ipfix_fields;
}

static void live_reload(struct live *l)
{
	struct tflow_config *nc;
	struct export_set *xs = NULL;
	struct conf_error cerr;
	char err[256];
	int rc;

	if (l->config_path == NULL) {
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
	rc = conf_parse_file(l->config_path, nc, &cerr);
	if (rc != 0) {
		if (rc == -EINVAL)
			log_warnx("%s:%u:%u: %s; keeping the running "
				  "configuration", l->config_path, cerr.line,
				  cerr.column, cerr.msg);
		else
			log_warnx("%s; keeping the running configuration",
				  cerr.msg);
		goto free_nc;
	}
	if (!nc->enabled) {
		log_info("traffic-flow disabled (enabled=no) by reload: "
			 "stopping");
		l->stop = true;
		goto free_nc;
	}
	if (nc->cache_entries != l->cfg.cache_entries ||
	    nc->active_timeout_ms != l->cfg.active_timeout_ms ||
	    nc->inactive_timeout_ms != l->cfg.inactive_timeout_ms ||
	    nc->packet_sampling != l->cfg.packet_sampling ||
	    nc->sampling_interval != l->cfg.sampling_interval ||
	    nc->sampling_space != l->cfg.sampling_space)
		log_warnx("reload: cache-entries, flow timeouts and sampling "
			  "take effect after a restart");
	if (nc->interfaces_all != l->cfg.interfaces_all ||
	    nc->n_interfaces != l->cfg.n_interfaces ||
	    memcmp(nc->interfaces, l->cfg.interfaces,
		   sizeof(nc->interfaces)) != 0)
		log_warnx("reload: interfaces take effect after a restart");
	if (targets_equal(nc, &l->cfg)) {
		log_info("reload: %s: targets unchanged", l->config_path);
		goto free_nc;
	}
	if (nc->n_targets > 0) {
		xs = export_set_new(nc, l->start_ms, false, 0, err,
				    sizeof(err));
		if (xs == NULL) {
			log_warnx("reload: %s; keeping the running targets",
				  err);
			goto free_nc;
		}
	}
	if (l->exports != NULL) {
		export_set_flush(l->exports, l->now_ms);
		export_set_free(l->exports);
	}
	l->exports = xs;
	/* Only what was applied: the cache keeps its start-up settings. */
	l->cfg.n_targets = nc->n_targets;
	memcpy(l->cfg.targets, nc->targets, sizeof(nc->targets));
	l->cfg.ipfix_fields = nc->ipfix_fields;
	live_meter_stats(l);
	log_info("reload: %s: %u target(s)", l->config_path,
		 xs == NULL ? 0 : export_set_count(xs));
free_nc:
	free(nc);
}

static void live_signal(struct live *l, int sigfd)
{
	struct signalfd_siginfo si;

	while (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			live_reload(l);
		else
			l->stop = true;
	}
}

/* Names of the interfaces to open: the configured list, or for
 * interfaces=all every interface that is up, loopback excepted. */
static size_t live_ifnames(const struct tflow_config *cfg,
			   char names[][IF_NAMESIZE], size_t max)
{
	struct if_nameindex *ifs, *it;
	struct ifreq ifr;
	size_t n = 0;
	int fd;

	if (!cfg->interfaces_all) {
		for (; n < cfg->n_interfaces && n < max; n++)
			snprintf(names[n], IF_NAMESIZE, "%s",
				 cfg->interfaces[n]);
		return n;
	}
	ifs = if_nameindex();
	if (ifs == NULL)
		return 0;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	for (it = ifs; fd != -1 && it->if_index != 0 && n < max; it++) {
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s",
			 it->if_name);
		if (ioctl(fd, SIOCGIFFLAGS, &ifr) == -1 ||
		    (ifr.ifr_flags & IFF_LOOPBACK) || !(ifr.ifr_flags & IFF_UP))
			continue;
		snprintf(names[n++], IF_NAMESIZE, "%s", it->if_name);
	}
	if (fd != -1)
		close(fd);
	if_freenameindex(ifs);
	return n;
}

/* The exit line: the offline stats line plus the capture's counters. */
static void live_report(const struct live_stats *st)
{
	char reasons[1024] = "";
	struct rusage ru;
	size_t off = 0;
	uint64_t dropped = 0;
	int r;

	for (r = PKT_OK + 1; r < PKT_REASON_MAX; r++) {
		if (st->pkts_dropped[r] == 0)
			continue;
		dropped += st->pkts_dropped[r];
		off += (size_t)snprintf(reasons + off, sizeof(reasons) - off,
					" %s=%" PRIu64, pkt_reason_name(r),
					st->pkts_dropped[r]);
		if (off >= sizeof(reasons))
			break;
	}
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		memset(&ru, 0, sizeof(ru));
	log_info("live: packets=%" PRIu64 " accounted=%" PRIu64
		 " sampled_out=%" PRIu64 " not_parsable=%" PRIu64 "%s"
		 " records=%" PRIu64 " idle=%" PRIu64 " active=%" PRIu64
		 " end=%" PRIu64 " forced=%" PRIu64 " evicted=%" PRIu64
		 " time_backwards=%" PRIu64 " capture_packets=%" PRIu64
		 " capture_drops=%" PRIu64 " outgoing_skipped=%" PRIu64
		 " maxrss_kb=%ld cpu_ms=%ld",
		 st->pkts_seen, st->cache.packets, st->pkts_sampled_out,
		 dropped, reasons, st->records,
		 st->cache.expired[TFLOW_END_IDLE],
		 st->cache.expired[TFLOW_END_ACTIVE],
		 st->cache.expired[TFLOW_END_DETECTED],
		 st->cache.expired[TFLOW_END_FORCED],
		 st->cache.expired[TFLOW_END_RESOURCES],
		 st->time_backwards, st->cap.kernel_packets, st->cap.drops,
		 st->cap.outgoing, ru.ru_maxrss,
		 (long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
		 (long)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000);
}

static bool live_balanced(const struct live_stats *st)
{
	uint64_t sum = st->cache.packets + st->pkts_sampled_out;
	int r;

	for (r = PKT_OK + 1; r < PKT_REASON_MAX; r++)
		sum += st->pkts_dropped[r];
	return sum == st->pkts_seen;
}

static int add_fd(int epfd, int fd, uint32_t tag)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u32 = tag;
	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* After the stop: read for LIVE_DRAIN_MS what is still arriving in the
 * rings, so the last packets before SIGTERM are counted. */
static void live_drain(struct live *l)
{
	uint64_t until = wall_ms() + LIVE_DRAIN_MS, w;
	struct epoll_event ev;
	int epfd = -1;

	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd == -1 || add_fd(epfd, cap_fd(l->cap), EV_CAP) == -1) {
		if (epfd != -1)
			close(epfd);
		live_capture(l);
		return;
	}
	while ((w = wall_ms()) < until) {
		if (epoll_wait(epfd, &ev, 1, (int)(until - w)) > 0)
			live_capture(l);
	}
	live_capture(l);
	close(epfd);
}

int live_run(const struct tflow_config *cfg, const char *config_path)
{
	struct flow_cache_config cc = {
		.entries = cfg->cache_entries,
		.active_timeout_ms = cfg->active_timeout_ms,
		.inactive_timeout_ms = cfg->inactive_timeout_ms,
	};
	char names[CONF_MAX_INTERFACES][IF_NAMESIZE];
	const char *namep[CONF_MAX_INTERFACES];
	struct itimerspec its = { { 1, 0 }, { 1, 0 } };
	struct epoll_event evs[8];
	struct live *l;
	sigset_t mask, oldmask;
	uint8_t seed[16];
	char err[512];
	size_t n, i;
	int epfd = -1, sigfd = -1, tfd = -1, status = 1, rc, k, nev;

	l = calloc(1, sizeof(*l));
	if (l == NULL) {
		log_warn("live");
		return 1;
	}
	l->cfg = *cfg;
	l->config_path = config_path;
	l->next_expiry_ms = UINT64_MAX;
	l->start_ms = wall_ms();
	l->now_ms = l->start_ms;
	if (cfg->packet_sampling)
		sampler_init(&l->sampler, cfg->sampling_interval,
			     cfg->sampling_space);
	else
		sampler_init(&l->sampler, 0, 0);

	n = live_ifnames(cfg, names, CONF_MAX_INTERFACES);
	if (n == 0) {
		log_warnx("live: no interface to capture on");
		goto free_live;
	}
	for (i = 0; i < n; i++)
		namep[i] = names[i];
	{
		struct cap_opts co = { .backend = CONF_CAPTURE_AFPACKET };

		l->cap = cap_open(&co, namep, n, err, sizeof(err));
	}
	if (l->cap == NULL) {
		log_warnx("live: capture: %s", err);
		goto free_live;
	}
	rc = siphash_random_key(seed);
	if (rc < 0) {
		log_warnx("live: cannot seed the flow hash: %s",
			  strerror(-rc));
		goto close_cap;
	}
	l->cache = flow_cache_new(&cc, seed, live_emit, l);
	if (l->cache == NULL) {
		log_warn("live: cannot allocate %u cache entries", cc.entries);
		goto close_cap;
	}
	l->frags = frag_table_new(LIVE_FRAG_SLOTS, seed);
	if (l->frags == NULL) {
		log_warn("live: fragment table");
		goto free_cache;
	}
	if (cfg->n_targets > 0) {
		/* Live: never wait for a socket, no pacing. */
		l->exports = export_set_new(cfg, l->start_ms, false, 0, err,
					    sizeof(err));
		if (l->exports == NULL) {
			log_warnx("live: %s", err);
			goto free_frags;
		}
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, &oldmask) == -1) {
		log_warn("live: sigprocmask");
		goto free_exports;
	}
	sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (sigfd == -1 || tfd == -1 || epfd == -1 ||
	    timerfd_settime(tfd, 0, &its, NULL) == -1 ||
	    add_fd(epfd, cap_fd(l->cap), EV_CAP) == -1 ||
	    add_fd(epfd, sigfd, EV_SIG) == -1 ||
	    add_fd(epfd, tfd, EV_TIMER) == -1) {
		log_warn("live: event loop");
		goto close_fds;
	}
	for (i = 0; i < n; i++)
		log_info("live: capturing on %s (ifindex %" PRIu32 ")",
			 cap_ifname(l->cap, i), cap_ifindex(l->cap, i));
	log_info("live: started, %u target(s)",
		 l->exports == NULL ? 0 : export_set_count(l->exports));

	while (!l->stop) {
		nev = epoll_wait(epfd, evs, 8, -1);
		if (nev == -1) {
			if (errno == EINTR)
				continue;
			log_warn("live: epoll_wait");
			break;
		}
		for (k = 0; k < nev; k++) {
			switch (evs[k].data.u32) {
			case EV_CAP:
				live_capture(l);
				break;
			case EV_SIG:
				live_signal(l, sigfd);
				break;
			case EV_TIMER: {
				uint64_t ticks;

				if (read(tfd, &ticks, sizeof(ticks)) > 0)
					live_tick(l);
				break;
			}
			}
		}
	}

	live_drain(l);
	pending_flush(l);
	flow_cache_flush(l->cache);
	flow_cache_get_stats(l->cache, &l->st.cache);
	cap_get_stats(l->cap, &l->st.cap);
	live_report(&l->st);
	if (l->exports != NULL) {
		live_meter_stats(l);
		export_set_flush(l->exports, l->now_ms);
		export_set_report(l->exports, stderr);
	}
	if (live_balanced(&l->st)) {
		status = 0;
	} else {
		/* A broken invariant, as in offline mode. */
		log_warnx("live: packet counters do not balance");
	}
close_fds:
	if (epfd != -1)
		close(epfd);
	if (tfd != -1)
		close(tfd);
	if (sigfd != -1)
		close(sigfd);
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
free_exports:
	export_set_free(l->exports);
free_frags:
	frag_table_free(l->frags);
free_cache:
	flow_cache_free(l->cache);
close_cap:
	cap_close(l->cap);
free_live:
	free(l);
	return status;
}
