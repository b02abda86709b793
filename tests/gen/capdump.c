/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tflow-capdump: a test tool that opens a live capture through cap.h, the
 * way tflowd does, and prints one line per delivered packet, so that the
 * netns tests can check each backend and direction setting packet by
 * packet without a flow cache or an exporter in between.
 *
 *   tflow-capdump [-b afpacket|pcap|nflog[:GROUP]] [-d DIRECTION]
 *                 [-F FANOUT_ID -w WORKERS] [-n COUNT] [-t SECONDS]
 *                 [-q] [-R] [-a] [IFACE...]
 *
 * DIRECTION is ingress-and-local (default), ingress, egress or both.
 * -a captures every interface but loopback; -R re-scans the interfaces
 * every 200 ms and calls cap_add_if / cap_remove_if / cap_rename_if for
 * what appeared, disappeared or was renamed (one worker only).  "Local"
 * addresses (for ingress-and-local) are this namespace's, from
 * getifaddrs(), read at start and at each re-scan.
 *
 * Output (line-buffered): "# ready" once capturing, then per packet
 *   DIR IFINDEX OUT_IFINDEX WIRELEN SRC DST PROTO
 * (DIR in|out; SRC DST PROTO are "- - REASON" when pkt_parse refuses the
 * packet), "# add NAME IFINDEX", "# del IFINDEX", "# rename IFINDEX NAME"
 * for interface changes, and at the end "worker I packets N" per worker and
 * "stats packets=... kernel_packets=... drops=... outgoing=... incoming=...
 * skipped=..." summed over workers.  Stops on SIGINT/SIGTERM, after COUNT
 * packets or after SECONDS, reading for another 250 ms first so that a
 * ring block still being filled is delivered too.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "cap.h"
#include "gen_args.h"
#include "pkt.h"

#define PROG		"tflow-capdump"
#define MAX_WORKERS	16
#define MAX_LOCAL	256
#define MAX_WANT	64
#define RESCAN_MS	200
#define DRAIN_MS	250

struct local_addr {
	uint8_t ver;
	uint8_t addr[16];
};

/* This program's top-level state. */
static struct {
	struct cap_opts opts;
	bool quiet, rescan, all;
	unsigned workers;
	const char *want[MAX_WANT];
	size_t n_want;
	uint64_t max_pkts;
	atomic_uint_fast64_t total;
	atomic_bool stop;
	struct local_addr local[MAX_LOCAL];
	size_t n_local;
} g;

struct worker {
	pthread_t tid;
	unsigned id;
	struct cap *cap;
	uint64_t pkts;
	struct cap_stats st;
};

static void usage(void)
{
	fprintf(stderr,
		"usage: " PROG " [-b afpacket|pcap|nflog[:GROUP]] "
		"[-d ingress-and-local|ingress|egress|both]\n"
		"       [-F FANOUT_ID -w WORKERS] [-n COUNT] [-t SECONDS] "
		"[-q] [-R] [-a] [IFACE...]\n");
	exit(2);
}

static long num(const char *s, long lo, long hi)
{
	return gen_num(s, lo, hi, usage);
}

static uint64_t mono_ms(void)
{
	return gen_mono_ns() / 1000000;
}

/* Read this namespace's addresses.  Only ever called before the workers
 * start or from the single worker itself (-R), so no lock is needed. */
static void local_load(void)
{
	struct ifaddrs *ifa, *i;
	struct local_addr *l;

	g.n_local = 0;
	if (getifaddrs(&ifa) == -1)
		return;
	for (i = ifa; i != NULL && g.n_local < MAX_LOCAL; i = i->ifa_next) {
		if (i->ifa_addr == NULL)
			continue;
		l = &g.local[g.n_local];
		memset(l, 0, sizeof(*l));
		if (i->ifa_addr->sa_family == AF_INET) {
			struct sockaddr_in sin;

			memcpy(&sin, i->ifa_addr, sizeof(sin));
			l->ver = 4;
			memcpy(l->addr, &sin.sin_addr, 4);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			struct sockaddr_in6 sin6;

			memcpy(&sin6, i->ifa_addr, sizeof(sin6));
			l->ver = 6;
			memcpy(l->addr, &sin6.sin6_addr, 16);
		} else
			continue;
		g.n_local++;
	}
	freeifaddrs(ifa);
}

static bool local_is_local(const void *ctx, uint8_t ver,
			   const uint8_t addr[16])
{
	size_t i;

	(void)ctx;
	for (i = 0; i < g.n_local; i++)
		if (g.local[i].ver == ver &&
		    memcmp(g.local[i].addr, addr, ver == 4 ? 4 : 16) == 0)
			return true;
	return false;
}

static void on_packet(const struct cap_pkt *p, void *arg)
{
	struct worker *w = arg;
	struct pkt_info pi;
	enum pkt_reason why;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	int af;

	w->pkts++;
	atomic_fetch_add(&g.total, 1);
	if (g.quiet)
		return;
	why = pkt_parse((enum pkt_linktype)p->linktype, p->data, p->caplen,
			p->wirelen, &pi);
	if (why != PKT_OK) {
		printf("%s %" PRIu32 " %" PRIu32 " %" PRIu32 " - - %s\n",
		       p->dir == CAP_DIR_OUT ? "out" : "in", p->ifindex,
		       p->out_ifindex, p->wirelen, pkt_reason_name(why));
		return;
	}
	af = pi.key.ip_version == 4 ? AF_INET : AF_INET6;
	inet_ntop(af, pi.key.src_addr, src, sizeof(src));
	inet_ntop(af, pi.key.dst_addr, dst, sizeof(dst));
	printf("%s %" PRIu32 " %" PRIu32 " %" PRIu32 " %s %s %u\n",
	       p->dir == CAP_DIR_OUT ? "out" : "in", p->ifindex,
	       p->out_ifindex, p->wirelen, src, dst, pi.key.proto);
}

static bool wanted(const char *name)
{
	size_t i;

	if (g.all)
		return strcmp(name, "lo") != 0;
	for (i = 0; i < g.n_want; i++)
		if (strcmp(g.want[i], name) == 0)
			return true;
	return false;
}

/* Follow the interface table: what -R does every RESCAN_MS. */
static void rescan(struct cap *c)
{
	struct if_nameindex *ni, *p;
	char err[256];
	size_t i;
	bool found;

	ni = if_nameindex();
	if (ni == NULL)
		return;
	/* Gone or renamed. */
	for (i = 0; i < cap_count(c);) {
		uint32_t ifx = cap_ifindex(c, i);

		found = false;
		for (p = ni; p->if_index != 0; p++) {
			if (p->if_index != ifx)
				continue;
			found = true;
			if (strcmp(p->if_name, cap_ifname(c, i)) != 0) {
				cap_rename_if(c, ifx, p->if_name);
				printf("# rename %u %s\n", ifx, p->if_name);
			}
		}
		if (!found) {
			printf("# del %u %d\n", ifx, cap_remove_if(c, ifx));
			continue;	/* the last one moved into i */
		}
		i++;
	}
	/* New. */
	for (p = ni; p->if_index != 0; p++) {
		if (!wanted(p->if_name))
			continue;
		found = false;
		for (i = 0; i < cap_count(c); i++)
			if (cap_ifindex(c, i) == p->if_index)
				found = true;
		if (found)
			continue;
		if (cap_add_if(c, p->if_name, err, sizeof(err)) == 0)
			printf("# add %s %u\n", p->if_name, p->if_index);
		else
			printf("# add-failed %s\n", err);
	}
	if_freenameindex(ni);
	local_load();
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct epoll_event ev;
	uint64_t now, next_scan = 0, drain_end = 0;
	int epfd;

	epfd = epoll_create1(EPOLL_CLOEXEC);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	if (epfd == -1 ||
	    epoll_ctl(epfd, EPOLL_CTL_ADD, cap_fd(w->cap), &ev) == -1) {
		perror(PROG ": epoll");
		exit(1);
	}
	for (;;) {
		now = mono_ms();
		if (atomic_load(&g.stop)) {
			if (drain_end == 0)
				drain_end = now + DRAIN_MS;
			else if (now >= drain_end)
				break;
		}
		if (now >= next_scan) {
			if (g.rescan)
				rescan(w->cap);
			cap_refresh(w->cap);
			next_scan = now + RESCAN_MS;
		}
		if (epoll_wait(epfd, &ev, 1, 50) == -1 && errno != EINTR)
			break;
		/* 4 blocks per interface, as tflowd's live loop. */
		cap_next_batch(w->cap, 4, on_packet, w);
		cap_release(w->cap);
	}
	cap_get_stats(w->cap, &w->st);
	close(epfd);
	return NULL;
}

static void parse_backend(const char *s)
{
	if (strcmp(s, "afpacket") == 0)
		g.opts.backend = CONF_CAPTURE_AFPACKET;
	else if (strcmp(s, "pcap") == 0)
		g.opts.backend = CONF_CAPTURE_PCAP;
	else if (strcmp(s, "nflog") == 0)
		g.opts.backend = CONF_CAPTURE_NFLOG;
	else if (strncmp(s, "nflog:", 6) == 0) {
		g.opts.backend = CONF_CAPTURE_NFLOG;
		g.opts.nflog_group = (uint16_t)num(s + 6, 0, 65535);
	} else
		usage();
}

static void parse_direction(const char *s)
{
	if (strcmp(s, "ingress-and-local") == 0)
		g.opts.direction = CONF_DIR_INGRESS_LOCAL;
	else if (strcmp(s, "ingress") == 0)
		g.opts.direction = CONF_DIR_INGRESS;
	else if (strcmp(s, "egress") == 0)
		g.opts.direction = CONF_DIR_EGRESS;
	else if (strcmp(s, "both") == 0)
		g.opts.direction = CONF_DIR_BOTH;
	else
		usage();
}

int main(int argc, char **argv)
{
	static struct worker w[MAX_WORKERS];
	struct cap_stats sum;
	struct timespec tick = { 0, 100 * 1000 * 1000 };
	sigset_t sigs;
	siginfo_t si;
	uint64_t deadline = 0;
	char err[256];
	unsigned i;
	int ch;

	g.workers = 1;
	g.opts.backend = CONF_CAPTURE_AFPACKET;
	g.opts.direction = CONF_DIR_INGRESS_LOCAL;
	g.opts.is_local = local_is_local;
	while ((ch = getopt(argc, argv, "ab:d:F:n:qRt:w:")) != -1) {
		switch (ch) {
		case 'a':
			g.all = true;
			break;
		case 'b':
			parse_backend(optarg);
			break;
		case 'd':
			parse_direction(optarg);
			break;
		case 'F':
			g.opts.fanout_id = (uint16_t)num(optarg, 0, 65535);
			break;
		case 'n':
			g.max_pkts = (uint64_t)num(optarg, 1, 1L << 30);
			break;
		case 'q':
			g.quiet = true;
			break;
		case 'R':
			g.rescan = true;
			break;
		case 't':
			deadline = mono_ms() + (uint64_t)num(optarg, 1,
							     86400) * 1000;
			break;
		case 'w':
			g.workers = (unsigned)num(optarg, 1, MAX_WORKERS);
			break;
		default:
			usage();
		}
	}
	for (; optind < argc && g.n_want < MAX_WANT; optind++)
		g.want[g.n_want++] = argv[optind];
	if (g.all && !g.rescan) {
		struct if_nameindex *ni, *p;

		/* -a without -R: every interface but lo, as at start. */
		ni = if_nameindex();
		for (p = ni; p != NULL && p->if_index != 0 &&
		     g.n_want < MAX_WANT; p++)
			if (strcmp(p->if_name, "lo") != 0)
				g.want[g.n_want++] = strdup(p->if_name);
		g.all = false;
	}
	if (g.workers > 1 && g.rescan) {
		fprintf(stderr, PROG ": -R needs a single worker\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	local_load();

	/* Signals go to the main thread's sigtimedwait(), never to a
	 * worker: block them before any thread exists. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	for (i = 0; i < g.workers; i++) {
		w[i].id = i;
		/* With -R the first scan opens the interfaces. */
		w[i].cap = cap_open(&g.opts, g.rescan ? NULL : g.want,
				    g.rescan ? 0 : g.n_want, err, sizeof(err));
		if (w[i].cap == NULL) {
			fprintf(stderr, PROG ": %s\n", err);
			return 1;
		}
	}
	for (i = 0; i < g.workers; i++) {
		if (pthread_create(&w[i].tid, NULL, worker_run, &w[i]) != 0) {
			fprintf(stderr, PROG ": pthread_create failed\n");
			return 1;
		}
	}
	printf("# ready\n");
	while (!atomic_load(&g.stop)) {
		if (sigtimedwait(&sigs, &si, &tick) > 0)
			atomic_store(&g.stop, true);
		if (deadline != 0 && mono_ms() >= deadline)
			atomic_store(&g.stop, true);
		if (g.max_pkts != 0 && atomic_load(&g.total) >= g.max_pkts)
			atomic_store(&g.stop, true);
	}
	memset(&sum, 0, sizeof(sum));
	for (i = 0; i < g.workers; i++) {
		pthread_join(w[i].tid, NULL);
		printf("worker %u packets %" PRIu64 "\n", i, w[i].pkts);
		sum.packets += w[i].st.packets;
		sum.kernel_packets += w[i].st.kernel_packets;
		sum.drops += w[i].st.drops;
		sum.outgoing += w[i].st.outgoing;
		sum.incoming += w[i].st.incoming;
		sum.skipped += w[i].st.skipped;
		cap_close(w[i].cap);
	}
	printf("stats packets=%" PRIu64 " kernel_packets=%" PRIu64
	       " drops=%" PRIu64 " outgoing=%" PRIu64 " incoming=%" PRIu64
	       " skipped=%" PRIu64 "\n", sum.packets, sum.kernel_packets,
	       sum.drops, sum.outgoing, sum.incoming, sum.skipped);
	return 0;
}
