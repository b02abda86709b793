/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tflow-storegen: writes N generated flow records into a store directory
 * through store_writer, as tflow-collector --write would, and optionally
 * the same records as NetFlow v9 datagrams in tflow-udpcap's file format
 * (4-byte big-endian length, then the datagram), so nfcapd can be fed the
 * very same records for a side-by-side benchmark.  Deterministic: the
 * same arguments give the same records.  A test and benchmark tool.
 *
 *   tflow-storegen -o DIR [-n RECORDS] [--mix typical|uniform]
 *                  [--sources N] [--distinct] [--seed S] [--start EPOCH]
 *                  [--duration SEC] [--v9 FILE] [--truth FILE]
 *
 * --mix typical (the default) models what a router at the edge of an
 * access network exports: connections between subscribers (10.x.y.z,
 * --sources of them, activity log-uniform: a few heavy users and a long
 * tail) and servers (popularity Zipf-like: CDNs and resolvers take most
 * connections), each answered connection giving two records, one per
 * direction, exported in order of their last packet as an idle-timeout
 * LRU exporter (tflowd, RouterOS) hands them over; services, packet
 * counts, sizes, durations, interfaces, next hop and masks as in
 * docs/design/storage.md "Typical traffic".  --mix uniform is the older,
 * near-incompressible mix: every field drawn uniformly (1M destinations,
 * random ports, sizes and durations), one unidirectional record per flow:
 * a worst case, not typical traffic.
 *
 * With --distinct record i has source number i mod N through a
 * bijection of 24 bits, so N (at most 2^24) distinct addresses all occur
 * (uniform mix only).  IPv4 only, one exporter (192.0.2.1, v9).  --truth
 * writes "proto flows packets bytes" per protocol and a "total" line.  The
 * write rate and the writer's figures go to stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

#define PROG "tflow-storegen"
/* Template and data in one datagram stay under 1400 bytes. */
#define V9_MAX		1400
#define V9_REC_LEN	35
#define V9_TMPL_EVERY	20

struct gen {
	uint64_t s;
};

static uint64_t rnd(struct gen *g)
{
	g->s ^= g->s << 13;
	g->s ^= g->s >> 7;
	g->s ^= g->s << 17;
	return g->s;
}

/* A bijection of [0, 2^24): odd multiply and xorshift, both invertible. */
static uint32_t perm24(uint32_t x)
{
	x = (x * 0x9e3779u) & 0xffffff;
	x ^= x >> 11;
	x = (x * 0x5bd1e9u) & 0xffffff;
	x ^= x >> 13;
	return x;
}

struct v9 {
	FILE *f;
	uint8_t buf[V9_MAX];
	size_t len, count;
	uint32_t seq, dgrams;
	uint64_t boot_ms, max_last;
	size_t set_off;		/* data set header offset */
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static const uint16_t v9_fields[][2] = {
	{ 8, 4 }, { 12, 4 }, { 7, 2 }, { 11, 2 }, { 4, 1 }, { 5, 1 },
	{ 6, 1 }, { 10, 2 }, { 14, 2 }, { 2, 4 }, { 1, 4 }, { 22, 4 },
	{ 21, 4 },
};
#define V9_NFIELDS (sizeof(v9_fields) / sizeof(v9_fields[0]))

static int v9_flush(struct v9 *v)
{
	uint8_t len[4];
	uint64_t export_s;

	if (v->count == 0)
		return 0;
	/* Pad the data set to 4 bytes. */
	while ((v->len - v->set_off) % 4 != 0)
		v->buf[v->len++] = 0;
	put16(v->buf + v->set_off + 2, (uint16_t)(v->len - v->set_off));
	/* Export time: a whole second after every flow's end, so that
	 * unix_secs * 1000 - sysUptime is exactly the boot time. */
	export_s = v->max_last / 1000 + 1;
	put16(v->buf, 9);
	put16(v->buf + 2, (uint16_t)(v->count + (v->set_off > 20 ? 1 : 0)));
	put32(v->buf + 4, (uint32_t)(export_s * 1000 - v->boot_ms));
	put32(v->buf + 8, (uint32_t)export_s);
	put32(v->buf + 12, v->seq++);
	put32(v->buf + 16, 1);
	put32(len, (uint32_t)v->len);
	if (fwrite(len, 1, 4, v->f) != 4 || fwrite(v->buf, 1, v->len, v->f) !=
	    v->len)
		return -EIO;
	v->dgrams++;
	v->len = 0;
	v->count = 0;
	return 0;
}

static void v9_start(struct v9 *v)
{
	size_t i;

	v->len = 20;
	if (v->dgrams % V9_TMPL_EVERY == 0) {
		size_t t = v->len;

		put16(v->buf + t, 0);
		put16(v->buf + t + 2, (uint16_t)(8 + 4 * V9_NFIELDS));
		put16(v->buf + t + 4, 256);
		put16(v->buf + t + 6, V9_NFIELDS);
		for (i = 0; i < V9_NFIELDS; i++) {
			put16(v->buf + t + 8 + 4 * i, v9_fields[i][0]);
			put16(v->buf + t + 10 + 4 * i, v9_fields[i][1]);
		}
		v->len += 8 + 4 * V9_NFIELDS;
	}
	v->set_off = v->len;
	put16(v->buf + v->len, 256);
	v->len += 4;
	v->max_last = 0;
}

static int v9_add(struct v9 *v, const struct tflow_record *r)
{
	uint8_t *p;

	if (v->count == 0)
		v9_start(v);
	p = v->buf + v->len;
	memcpy(p, r->src_addr, 4);
	memcpy(p + 4, r->dst_addr, 4);
	put16(p + 8, r->src_port);
	put16(p + 10, r->dst_port);
	p[12] = r->proto;
	p[13] = r->tos;
	p[14] = r->tcp_flags;
	put16(p + 15, (uint16_t)r->in_if);
	put16(p + 17, (uint16_t)r->out_if);
	put32(p + 19, (uint32_t)r->packets);
	put32(p + 23, (uint32_t)r->octets);
	put32(p + 27, (uint32_t)(r->first_ms - v->boot_ms));
	put32(p + 31, (uint32_t)(r->last_ms - v->boot_ms));
	v->len += V9_REC_LEN;
	v->count++;
	if (r->last_ms > v->max_last)
		v->max_last = r->last_ms;
	if (v->len + V9_REC_LEN + 3 > V9_MAX)
		return v9_flush(v);
	return 0;
}

/* Where generated records go: the store, the v9 file, the truth. */
struct sink {
	struct store_writer *w;
	struct v9 v9;
	uint64_t arrival, retries, count;
	uint64_t pf[256], pp[256], pb[256];
};

static int sink_add(struct sink *k, const struct tflow_record *r)
{
	k->pf[r->proto]++;
	k->pp[r->proto] += r->packets;
	k->pb[r->proto] += r->octets;
	/* Arrival: a second after the flow's last packet, as an exporter's
	 * idle sweep hands it over; a receive clock never runs backwards. */
	if (r->last_ms + 1000 > k->arrival)
		k->arrival = r->last_ms + 1000;
	while (store_writer_add(k->w, r, k->arrival) == -ENOBUFS) {
		struct timespec ts = { 0, 200000 };

		k->retries++;
		nanosleep(&ts, NULL);
	}
	k->count++;
	if (k->v9.f != NULL && v9_add(&k->v9, r) != 0)
		return -EIO;
	return 0;
}

static void rec_init(struct tflow_record *r)
{
	memset(r, 0, sizeof(*r));
	r->ip_version = 4;
	r->version = 9;
	r->exporter_family = 4;
	r->exporter_addr[0] = 192;
	r->exporter_addr[2] = 2;
	r->exporter_addr[3] = 1;
	r->exporter_domain = 1;
}

static void put_addr(uint8_t *a, uint8_t net, uint32_t host24)
{
	a[0] = net;
	a[1] = (uint8_t)(host24 >> 16);
	a[2] = (uint8_t)(host24 >> 8);
	a[3] = (uint8_t)host24;
}

/* Log-uniform rank in [0, n): rank k has weight about 1/k (Zipf, s=1). */
static uint32_t log_uniform(struct gen *g, uint64_t n)
{
	unsigned lb = 64 - (unsigned)__builtin_clzll(n);
	uint64_t x = rnd(g), k = 1ULL << (x % (lb + 1));

	if (k > n)
		k = n;
	return (uint32_t)((x >> 20) % k);
}

/* The older mix: every field uniform, one record per flow. */
static void gen_uniform(struct gen *g, struct tflow_record *r, uint64_t i,
			uint64_t n, uint64_t sources, bool distinct,
			uint64_t start, uint64_t duration)
{
	uint64_t x = rnd(g), y = rnd(g);
	uint32_t src, u;
	unsigned pr = (unsigned)(x % 100);

	rec_init(r);
	if (distinct) {
		src = perm24((uint32_t)(i % sources));
	} else {
		/* Log-uniform rank: heavy hitters and a long tail. */
		unsigned lb = 64 - (unsigned)__builtin_clzll(sources);
		uint64_t k = 1ULL << ((x >> 11) % (lb + 1));

		if (k > sources)
			k = sources;
		src = perm24((uint32_t)((y >> 40) % k));
	}
	put_addr(r->src_addr, 10, src);
	u = (uint32_t)(y % 1000000);
	r->dst_addr[0] = 100;
	r->dst_addr[1] = (uint8_t)(64 + (u >> 16 & 63));
	r->dst_addr[2] = (uint8_t)(u >> 8);
	r->dst_addr[3] = (uint8_t)u;
	if (pr < 70) {
		r->proto = 6;
		r->dst_port = (x >> 8) % 100 < 60 ? 443 :
		    (x >> 8) % 100 < 85 ? 80 : (uint16_t)(y >> 20);
		r->tcp_flags = 0x1b;
	} else if (pr < 95) {
		r->proto = 17;
		r->dst_port = (x >> 8) % 100 < 50 ? 53 :
		    (x >> 8) % 100 < 80 ? 443 : (uint16_t)(y >> 20);
	} else {
		r->proto = 1;
		r->dst_port = 0x0800;
	}
	if (r->proto != 1)
		r->src_port = (uint16_t)(32768 + (y >> 24) % 28000);
	r->packets = 1 + (x >> 16) % 8 * ((x >> 19) % 8) +
	    ((x >> 22) % 64 == 0 ? (y >> 30) % 5000 : 0);
	r->octets = r->packets * (40 + (y >> 34) % 1461);
	r->first_ms = start * 1000 + i * duration * 1000 / n +
	    (y >> 50) % 1000;
	r->last_ms = r->first_ms + (x >> 30) % 30000;
	r->in_if = 1 + (uint32_t)(x >> 40) % 4;
	r->out_if = 1 + (uint32_t)(x >> 42) % 4;
}

/*
 * The typical mix.  Records wait in a min-heap on last_ms until the
 * generator's clock (connection end times, increasing) passes them, so
 * they come out in order of their last packet, the two directions of a
 * connection a round trip apart with other connections' records between.
 */
struct heap {
	struct tflow_record *r;
	size_t n, cap;
};

static int heap_push(struct heap *h, const struct tflow_record *r)
{
	size_t i;

	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 4096;
		struct tflow_record *nr = realloc(h->r, cap * sizeof(*nr));

		if (nr == NULL)
			return -ENOMEM;
		h->r = nr;
		h->cap = cap;
	}
	for (i = h->n++; i > 0; i = (i - 1) / 2) {
		if (h->r[(i - 1) / 2].last_ms <= r->last_ms)
			break;
		h->r[i] = h->r[(i - 1) / 2];
	}
	h->r[i] = *r;
	return 0;
}

static void heap_pop(struct heap *h, struct tflow_record *out)
{
	struct tflow_record last;
	size_t i = 0, c;

	*out = h->r[0];
	last = h->r[--h->n];
	while ((c = 2 * i + 1) < h->n) {
		if (c + 1 < h->n && h->r[c + 1].last_ms < h->r[c].last_ms)
			c++;
		if (last.last_ms <= h->r[c].last_ms)
			break;
		h->r[i] = h->r[c];
		i = c;
	}
	if (h->n > 0)
		h->r[i] = last;
}

/* Services: share of connections in per mille, protocol, server port
 * (0: random), how servers are chosen, and the request/reply shapes. */
enum srv_pool { POOL_CDN, POOL_DNS, POOL_NTP, POOL_PEER };
enum shape { SHAPE_WEB, SHAPE_QUERY, SHAPE_ECHO, SHAPE_BULK };
static const struct service {
	unsigned permille;
	uint8_t proto;
	uint16_t port;
	enum srv_pool pool;
	enum shape shape;
} services[] = {
	{ 450, 6, 443, POOL_CDN, SHAPE_WEB },	/* HTTPS */
	{ 120, 17, 443, POOL_CDN, SHAPE_WEB },	/* QUIC */
	{ 50, 6, 80, POOL_CDN, SHAPE_WEB },	/* HTTP */
	{ 200, 17, 53, POOL_DNS, SHAPE_QUERY },	/* DNS to the resolvers */
	{ 20, 17, 123, POOL_NTP, SHAPE_QUERY },	/* NTP */
	{ 20, 1, 0, POOL_CDN, SHAPE_ECHO },	/* ping */
	{ 60, 6, 0, POOL_PEER, SHAPE_BULK },	/* other TCP, P2P */
	{ 80, 17, 0, POOL_PEER, SHAPE_BULK },	/* games, VoIP, P2P */
};

/* A flow's packet count: half are 1-4 packets, most of the rest under
 * a hundred, and a heavy tail to 100k (mice and elephants). */
static uint64_t flow_packets(struct gen *g)
{
	uint64_t x = rnd(g);

	switch (x % 10) {
	case 0: case 1: case 2: case 3: case 4:
		return 1 + (x >> 8) % 4;
	case 5: case 6: case 7: case 8:
		return 5 + (x >> 8) % (1u << (2 + (x >> 30) % 5));
	default:
		return 20 + (x >> 8) % (1u << (6 + (x >> 30) % 11));
	}
}

static int gen_typical_conn(struct gen *g, struct heap *h, uint64_t end_ms,
			    uint64_t sources)
{
	const struct service *sv = &services[0];
	struct tflow_record q, a;
	uint64_t x = rnd(g), y = rnd(g), z = rnd(g);
	unsigned pm = (unsigned)(x % 1000), acc = 0, k;
	uint32_t client = perm24(log_uniform(g, sources)), server;
	uint64_t dur, rtt = 4 + (y >> 8) % 76, qp, ap;
	bool answered = true;
	int r;

	for (k = 0; k < sizeof(services) / sizeof(services[0]); k++) {
		acc += services[k].permille;
		if (pm < acc) {
			sv = &services[k];
			break;
		}
	}
	rec_init(&q);
	put_addr(q.src_addr, 10, client);
	switch (sv->pool) {
	case POOL_CDN:	/* 200k servers in a /14, Zipf-like popularity */
		server = perm24(log_uniform(g, 200000)) & 0x3ffff;
		put_addr(q.dst_addr, 100, 0x400000 | server);
		break;
	case POOL_DNS:	/* the ISP's two resolvers, a public one */
		put_addr(q.dst_addr, 198, 0x336400 | (uint32_t)(x >> 12) % 3);
		break;
	case POOL_NTP:
		server = log_uniform(g, 1000);
		put_addr(q.dst_addr, 203, 0x007100 | server);
		break;
	case POOL_PEER:	/* peers anywhere: 24 random bits */
		put_addr(q.dst_addr, 45, (uint32_t)(y >> 30) & 0xffffff);
		break;
	}
	q.proto = sv->proto;
	if (sv->proto == 1) {
		q.dst_port = 0x0800;	/* echo request */
	} else {
		/* Ephemeral ports: Linux 32768-60999. */
		q.src_port = (uint16_t)(32768 + (z >> 8) % 28232);
		q.dst_port = sv->port ? sv->port :
		    (uint16_t)(1024 + (z >> 30) % 64512);
	}
	/* Subscriber VLANs on interfaces 2-9, the uplink is 1. */
	q.in_if = 2 + client % 8;
	q.out_if = 1;
	q.next_hop[0] = 203;
	q.next_hop[1] = 0;
	q.next_hop[2] = 113;
	q.next_hop[3] = 1;
	q.src_mask = 16;
	q.dst_mask = 0;
	q.tos = (x >> 20) % 50 == 0 ? 0x28 : 0;
	a = q;
	memcpy(a.src_addr, q.dst_addr, 4);
	memcpy(a.dst_addr, q.src_addr, 4);
	a.src_port = q.dst_port;
	a.dst_port = sv->proto == 1 ? 0 : q.src_port;
	a.in_if = q.out_if;
	a.out_if = q.in_if;
	memset(a.next_hop, 0, 4);
	a.src_mask = 0;
	a.dst_mask = 16;

	switch (sv->shape) {
	case SHAPE_QUERY:	/* one datagram each way */
		qp = ap = 1;
		q.octets = 60 + (y >> 40) % 40;
		a.octets = 76 + (y >> 48) % 400;
		dur = 0;
		break;
	case SHAPE_ECHO:
		qp = ap = 1 + (y >> 40) % 8;
		q.octets = qp * 84;
		a.octets = ap * 84;
		dur = (qp - 1) * 1000;
		answered = (y >> 50) % 10 != 0;
		break;
	case SHAPE_WEB:
	case SHAPE_BULK:
	default:
		/* Requests and ACKs one way, full-size data the other:
		 * about one ACK per two data packets. */
		ap = flow_packets(g);
		qp = 1 + ap / 2 + (ap > 1 ? (z >> 40) % 2 : 0);
		q.octets = qp * 52 + (ap > 2 ? 200 + (z >> 44) % 1200 : 0);
		a.octets = ap == 1 ? 60 :
		    (ap - 1) * (sv->proto == 17 ? 1252 : 1500) +
		    (40 + (z >> 52) % 1400);
		/* Longer flows last longer: log-uniform up to 2 min. */
		dur = ap == 1 ? 0 : (rtt * 3) << ((y >> 44) %
		    (ap < 8 ? 4 : ap < 200 ? 8 : 11));
		if (dur > 120000)
			dur = 120000 + (y >> 20) % 1000;
		if (sv->proto == 6) {
			q.tcp_flags = 0x1b;	/* SYN ACK PSH FIN */
			a.tcp_flags = 0x1b;
			/* Unanswered SYNs: scans, closed ports. */
			if ((y >> 60) == 0 || (sv->shape == SHAPE_BULK &&
			    (y >> 58) == 0)) {
				answered = false;
				qp = 1 + (y >> 40) % 3;
				q.octets = qp * 60;
				q.tcp_flags = 0x02;
				dur = qp > 1 ? 1000 << (qp - 1) : 0;
			}
		}
		break;
	}
	q.packets = qp;
	a.packets = ap;
	q.last_ms = end_ms;
	q.first_ms = end_ms - dur;
	a.first_ms = q.first_ms + rtt / 2;
	a.last_ms = end_ms + rtt / 2 - (dur > 0 ? (z >> 58) % 2 * rtt : 0);
	if (a.last_ms < a.first_ms)
		a.last_ms = a.first_ms;
	if ((r = heap_push(h, &q)) != 0)
		return r;
	return answered ? heap_push(h, &a) : 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: " PROG " -o DIR [-n RECORDS] [--mix typical|uniform]"
		" [--sources N]\n       [--distinct (uniform only)] [--seed S]\n"
		"       [--start EPOCH] [--duration SEC] [--v9 FILE] "
		"[--truth FILE]\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sources", required_argument, NULL, 's' },
		{ "distinct", no_argument, NULL, 'D' },
		{ "seed", required_argument, NULL, 'S' },
		{ "start", required_argument, NULL, 'T' },
		{ "duration", required_argument, NULL, 'd' },
		{ "v9", required_argument, NULL, 'V' },
		{ "truth", required_argument, NULL, 't' },
		{ "mix", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	/* Simulated time runs thousands of times faster than real time
	 * here: a 1 s sync would cut blocks of a few records.  Blocks are
	 * cut by size and by rotation, as at a high record rate. */
	struct store_writer_opts wo = { .rotate_s = 300, .sync_ms = 3600000 };
	uint64_t n = 10000000, sources = 65536, start = 1767225600;
	uint64_t duration = 3600, i, pushed = 0;
	const char *v9_path = NULL, *truth = NULL;
	static struct sink k;
	struct heap h = { 0 };
	struct gen g = { 88172645463325252ULL };
	bool distinct = false, typical = true;
	char err[512];
	double t0, t;
	int ch;

	while ((ch = getopt_long(argc, argv, "o:n:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'o': wo.dir = optarg; break;
		case 'n': n = strtoull(optarg, NULL, 10); break;
		case 's': sources = strtoull(optarg, NULL, 10); break;
		case 'D': distinct = true; break;
		case 'S': g.s ^= strtoull(optarg, NULL, 10) * 0x9e3779b97f4a7c15ULL;
			break;
		case 'T': start = strtoull(optarg, NULL, 10); break;
		case 'd': duration = strtoull(optarg, NULL, 10); break;
		case 'V': v9_path = optarg; break;
		case 't': truth = optarg; break;
		case 'm':
			if (strcmp(optarg, "typical") == 0)
				typical = true;
			else if (strcmp(optarg, "uniform") == 0)
				typical = false;
			else {
				usage(stderr);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (wo.dir == NULL || n == 0 || sources == 0 || sources > (1u << 24) ||
	    duration == 0 || g.s == 0 || (distinct && typical)) {
		usage(stderr);
		return 2;
	}
	if (v9_path != NULL) {
		k.v9.f = fopen(v9_path, "w");
		if (k.v9.f == NULL) {
			fprintf(stderr, PROG ": %s: %s\n", v9_path,
				strerror(errno));
			return 1;
		}
		k.v9.boot_ms = start * 1000 - 1000000;
	}
	k.w = store_writer_open(&wo, err, sizeof(err));
	if (k.w == NULL) {
		fprintf(stderr, PROG ": %s\n", err);
		return 1;
	}
	t0 = now_s();
	for (i = 0; !typical && i < n; i++) {
		struct tflow_record r;

		gen_uniform(&g, &r, i, n, sources, distinct, start, duration);
		if (sink_add(&k, &r) != 0)
			goto v9_error;
	}
	while (typical && k.count < n) {
		/* Connection ends spread evenly over the duration (about
		 * 1.9 records each); a record leaves the heap once the
		 * clock has passed its last packet. */
		uint64_t end_ms = start * 1000 + pushed * duration * 1000 / n;
		struct tflow_record r;

		if (h.n > 0 && (pushed >= n || h.r[0].last_ms <= end_ms)) {
			heap_pop(&h, &r);
			if (sink_add(&k, &r) != 0)
				goto v9_error;
			continue;
		}
		if (gen_typical_conn(&g, &h, end_ms, sources) != 0) {
			fprintf(stderr, PROG ": out of memory\n");
			return 1;
		}
		pushed = k.count + h.n;
	}
	free(h.r);
	if (store_writer_close(k.w) != 0)
		fprintf(stderr, PROG ": closing the store failed\n");
	t = now_s() - t0;
	if (k.v9.f != NULL && (v9_flush(&k.v9) != 0 || fclose(k.v9.f) != 0))
		goto v9_error;
	if (truth != NULL) {
		FILE *f = fopen(truth, "w");
		uint64_t tf = 0, tp = 0, tb = 0;
		unsigned p;

		if (f == NULL)
			return 1;
		for (p = 0; p < 256; p++) {
			if (k.pf[p] == 0)
				continue;
			fprintf(f, "%u %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
				p, k.pf[p], k.pp[p], k.pb[p]);
			tf += k.pf[p];
			tp += k.pp[p];
			tb += k.pb[p];
		}
		fprintf(f, "total %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", tf,
			tp, tb);
		fclose(f);
	}
	fprintf(stderr, PROG ": records=%" PRIu64 " seconds=%.3f rate=%.2fM/s "
		"waits=%" PRIu64 " v9_datagrams=%" PRIu32 "\n", n, t,
		(double)n / t / 1e6, k.retries, k.v9.dgrams);
	return 0;
v9_error:
	fprintf(stderr, PROG ": %s: write error\n", v9_path);
	return 1;
}
