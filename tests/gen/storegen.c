/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tflow-storegen: writes N generated flow records into a store directory
 * through store_writer, as tflow-collector --write would, and optionally
 * the same records as NetFlow v9 datagrams in tflow-udpcap's file format
 * (4-byte big-endian length, then the datagram), so nfcapd can be fed the
 * very same records for a side-by-side benchmark.  Deterministic: the
 * same arguments give the same records.  A test and benchmark tool.
 *
 *   tflow-storegen -o DIR [-n RECORDS] [--sources N] [--distinct]
 *                  [--seed S] [--start EPOCH] [--duration SEC]
 *                  [--v9 FILE] [--truth FILE]
 *
 * Sources: 10.x.y.z.  With --distinct record i has source number
 * i mod N through a bijection of 24 bits, so N (at most 2^24) distinct
 * addresses all occur; otherwise sources are drawn log-uniformly from N
 * (a few heavy hitters, a long tail), as typical traffic.  IPv4 only, one
 * exporter (192.0.2.1, v9), 70% TCP, 25% UDP, 5% ICMP, flow starts spread
 * evenly over the duration.  --truth writes "proto flows packets bytes"
 * per protocol and a "total" line.  The write rate and the writer's
 * figures go to stderr.
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

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: " PROG " -o DIR [-n RECORDS] [--sources N] "
		"[--distinct] [--seed S]\n"
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
		{ NULL, 0, NULL, 0 },
	};
	/* Simulated time runs thousands of times faster than real time
	 * here: a 1 s sync would cut blocks of a few records.  Blocks are
	 * cut by size and by rotation, as at a high record rate. */
	struct store_writer_opts wo = { .rotate_s = 300, .sync_ms = 3600000 };
	uint64_t n = 10000000, sources = 65536, start = 1767225600;
	uint64_t duration = 3600, i, retries = 0, arrival = 0;
	uint64_t pf[256] = { 0 }, pp[256] = { 0 }, pb[256] = { 0 };
	const char *v9_path = NULL, *truth = NULL;
	struct store_writer *w;
	struct v9 v9 = { 0 };
	struct gen g = { 88172645463325252ULL };
	bool distinct = false;
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
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (wo.dir == NULL || n == 0 || sources == 0 || sources > (1u << 24) ||
	    duration == 0 || g.s == 0) {
		usage(stderr);
		return 2;
	}
	if (v9_path != NULL) {
		v9.f = fopen(v9_path, "w");
		if (v9.f == NULL) {
			fprintf(stderr, PROG ": %s: %s\n", v9_path,
				strerror(errno));
			return 1;
		}
		v9.boot_ms = start * 1000 - 1000000;
	}
	w = store_writer_open(&wo, err, sizeof(err));
	if (w == NULL) {
		fprintf(stderr, PROG ": %s\n", err);
		return 1;
	}
	t0 = now_s();
	for (i = 0; i < n; i++) {
		struct tflow_record r;
		uint64_t x = rnd(&g), y = rnd(&g);
		uint32_t src, u;
		unsigned pr = (unsigned)(x % 100);

		memset(&r, 0, sizeof(r));
		r.ip_version = 4;
		r.version = 9;
		r.exporter_family = 4;
		r.exporter_addr[0] = 192;
		r.exporter_addr[2] = 2;
		r.exporter_addr[3] = 1;
		r.exporter_domain = 1;
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
		r.src_addr[0] = 10;
		r.src_addr[1] = (uint8_t)(src >> 16);
		r.src_addr[2] = (uint8_t)(src >> 8);
		r.src_addr[3] = (uint8_t)src;
		u = (uint32_t)(y % 1000000);
		r.dst_addr[0] = 100;
		r.dst_addr[1] = (uint8_t)(64 + (u >> 16 & 63));
		r.dst_addr[2] = (uint8_t)(u >> 8);
		r.dst_addr[3] = (uint8_t)u;
		if (pr < 70) {
			r.proto = 6;
			r.dst_port = (x >> 8) % 100 < 60 ? 443 :
			    (x >> 8) % 100 < 85 ? 80 : (uint16_t)(y >> 20);
			r.tcp_flags = 0x1b;
		} else if (pr < 95) {
			r.proto = 17;
			r.dst_port = (x >> 8) % 100 < 50 ? 53 :
			    (x >> 8) % 100 < 80 ? 443 : (uint16_t)(y >> 20);
		} else {
			r.proto = 1;
			r.dst_port = 0x0800;
		}
		if (r.proto != 1)
			r.src_port = (uint16_t)(32768 + (y >> 24) % 28000);
		r.packets = 1 + (x >> 16) % 8 * ((x >> 19) % 8) +
		    ((x >> 22) % 64 == 0 ? (y >> 30) % 5000 : 0);
		r.octets = r.packets * (40 + (y >> 34) % 1461);
		r.first_ms = start * 1000 + i * duration * 1000 / n +
		    (y >> 50) % 1000;
		r.last_ms = r.first_ms + (x >> 30) % 30000;
		r.in_if = 1 + (uint32_t)(x >> 40) % 4;
		r.out_if = 1 + (uint32_t)(x >> 42) % 4;
		pf[r.proto]++;
		pp[r.proto] += r.packets;
		pb[r.proto] += r.octets;
		/* Arrival: a second after the flow ended, as an exporter's
		 * idle timeout would hand it over; a receive clock never runs
		 * backwards. */
		if (r.last_ms + 1000 > arrival)
			arrival = r.last_ms + 1000;
		while (store_writer_add(w, &r, arrival) == -ENOBUFS) {
			struct timespec ts = { 0, 200000 };

			retries++;
			nanosleep(&ts, NULL);
		}
		if (v9.f != NULL && v9_add(&v9, &r) != 0) {
			fprintf(stderr, PROG ": %s: write error\n", v9_path);
			return 1;
		}
	}
	if (store_writer_close(w) != 0)
		fprintf(stderr, PROG ": closing the store failed\n");
	t = now_s() - t0;
	if (v9.f != NULL && (v9_flush(&v9) != 0 || fclose(v9.f) != 0)) {
		fprintf(stderr, PROG ": %s: write error\n", v9_path);
		return 1;
	}
	if (truth != NULL) {
		FILE *f = fopen(truth, "w");
		uint64_t tf = 0, tp = 0, tb = 0;
		unsigned p;

		if (f == NULL)
			return 1;
		for (p = 0; p < 256; p++) {
			if (pf[p] == 0)
				continue;
			fprintf(f, "%u %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
				p, pf[p], pp[p], pb[p]);
			tf += pf[p];
			tp += pp[p];
			tb += pb[p];
		}
		fprintf(f, "total %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", tf,
			tp, tb);
		fclose(f);
	}
	fprintf(stderr, PROG ": records=%" PRIu64 " seconds=%.3f rate=%.2fM/s "
		"waits=%" PRIu64 " v9_datagrams=%" PRIu32 "\n", n, t,
		(double)n / t / 1e6, retries, v9.dgrams);
	return 0;
}
