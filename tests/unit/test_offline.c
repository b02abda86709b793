/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Offline mode end to end: the real tflowd binary reads pcaps that the real
 * generator (or this test) writes, and what it prints with -o json is
 * checked against the ground truth: per flow key, packets and bytes add up
 * exactly, first/last times match, and every packet read is in a record or
 * counted under a reason (the stats line on stderr).
 *
 * Runs from `make check` (TFLOW_BUILDDIR names the build tree) or by hand
 * from the build directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char builddir[1024] = ".";
static char tmpdir[] = "/tmp/tflow-test-offline-XXXXXX";

/* ---- running the programs ------------------------------------------- */

static int run(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* Runs tflowd -r PCAP -o json -c CONF; output in tmpdir/NAME.json and
 * NAME.err.  Returns tflowd's exit status. */
static int tflowd_json(const char *name, const char *pcap, const char *conf)
{
	char confpath[1200];

	snprintf(confpath, sizeof(confpath), "%s/%s.rsc", tmpdir, name);
	write_file(confpath, conf);
	return run("'%s/tflowd' -c '%s' -r '%s' -o json > '%s/%s.json' 2> '%s/%s.err'",
		   builddir, confpath, pcap, tmpdir, name, tmpdir, name);
}

/* ---- reading what tflowd printed ------------------------------------ */

struct rec {
	char key[512];		/* "ipver src dst proto sport dport tos" */
	uint64_t packets, bytes, first_ms, last_ms;
	char end_reason[16];
	char sampling[16];
};

struct recs {
	struct rec *v;
	size_t n, cap;
};

static const char *json_field(const char *line, const char *key, char *out,
			      size_t len)
{
	char pat[64];
	const char *p;
	size_t i = 0;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(line, pat);
	if (p == NULL) {
		out[0] = '\0';
		return NULL;
	}
	p += strlen(pat);
	if (*p == '"')
		p++;
	while (*p && *p != '"' && *p != ',' && *p != '}' && i + 1 < len)
		out[i++] = *p++;
	out[i] = '\0';
	return out;
}

static uint64_t parse_time_ms(const char *s)
{
	struct tm tm;
	unsigned ms = 0;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%d-%d-%dT%d:%d:%d.%uZ", &tm.tm_year, &tm.tm_mon,
		   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (uint64_t)timegm(&tm) * 1000 + ms;
}

static void recs_push(struct recs *rs, const struct rec *r)
{
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 1024;
		rs->v = realloc(rs->v, rs->cap * sizeof(*rs->v));
		assert_non_null(rs->v);
	}
	rs->v[rs->n++] = *r;
}

static void load_json(const char *name, struct recs *rs)
{
	char path[1200], line[2048], f[7][64], t[64];
	FILE *in;

	snprintf(path, sizeof(path), "%s/%s.json", tmpdir, name);
	in = fopen(path, "r");
	assert_non_null(in);
	while (fgets(line, sizeof(line), in) != NULL) {
		struct rec r;

		memset(&r, 0, sizeof(r));
		assert_non_null(json_field(line, "ip_version", f[0], 64));
		assert_non_null(json_field(line, "src_addr", f[1], 64));
		assert_non_null(json_field(line, "dst_addr", f[2], 64));
		assert_non_null(json_field(line, "proto", f[3], 64));
		assert_non_null(json_field(line, "src_port", f[4], 64));
		assert_non_null(json_field(line, "dst_port", f[5], 64));
		assert_non_null(json_field(line, "tos", f[6], 64));
		snprintf(r.key, sizeof(r.key), "%s %s %s %s %s %s %s", f[0],
			 f[1], f[2], f[3], f[4], f[5], f[6]);
		r.packets = strtoull(json_field(line, "packets", t, 64), NULL, 10);
		r.bytes = strtoull(json_field(line, "bytes", t, 64), NULL, 10);
		r.first_ms = parse_time_ms(json_field(line, "first", t, 64));
		r.last_ms = parse_time_ms(json_field(line, "last", t, 64));
		json_field(line, "end_reason", r.end_reason, sizeof(r.end_reason));
		json_field(line, "sampling_interval", r.sampling, sizeof(r.sampling));
		assert_true(r.packets > 0);
		assert_true(r.first_ms <= r.last_ms);
		recs_push(rs, &r);
	}
	fclose(in);
}

/* The generator's truth file: "ipver src dst proto sport dport tos
 * packets bytes first_ms last_ms", '#' comments. */
static void load_truth(const char *path, struct recs *rs)
{
	char line[512], k[7][64];
	FILE *in = fopen(path, "r");

	assert_non_null(in);
	while (fgets(line, sizeof(line), in) != NULL) {
		struct rec r;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		memset(&r, 0, sizeof(r));
		assert_int_equal(sscanf(line, "%63s %63s %63s %63s %63s %63s %63s %" SCNu64
					" %" SCNu64 " %" SCNu64 " %" SCNu64,
					k[0], k[1], k[2], k[3], k[4], k[5], k[6],
					&r.packets, &r.bytes, &r.first_ms,
					&r.last_ms), 11);
		snprintf(r.key, sizeof(r.key), "%s %s %s %s %s %s %s", k[0],
			 k[1], k[2], k[3], k[4], k[5], k[6]);
		recs_push(rs, &r);
	}
	fclose(in);
}

static int rec_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rec *)a)->key, ((const struct rec *)b)->key);
}

/* Sums records per key (in place): packets and bytes add, first is the
 * minimum, last the maximum. */
static void recs_merge(struct recs *rs)
{
	size_t i, o = 0;

	qsort(rs->v, rs->n, sizeof(*rs->v), rec_cmp);
	for (i = 0; i < rs->n; i++) {
		if (o > 0 && strcmp(rs->v[o - 1].key, rs->v[i].key) == 0) {
			struct rec *m = &rs->v[o - 1];

			m->packets += rs->v[i].packets;
			m->bytes += rs->v[i].bytes;
			if (rs->v[i].first_ms < m->first_ms)
				m->first_ms = rs->v[i].first_ms;
			if (rs->v[i].last_ms > m->last_ms)
				m->last_ms = rs->v[i].last_ms;
			continue;
		}
		rs->v[o++] = rs->v[i];
	}
	rs->n = o;
}

static void assert_matches_truth(struct recs *got, struct recs *truth)
{
	size_t i;

	recs_merge(got);
	recs_merge(truth);
	assert_int_equal(got->n, truth->n);
	for (i = 0; i < truth->n; i++) {
		if (strcmp(got->v[i].key, truth->v[i].key) != 0 ||
		    got->v[i].packets != truth->v[i].packets ||
		    got->v[i].bytes != truth->v[i].bytes ||
		    got->v[i].first_ms != truth->v[i].first_ms ||
		    got->v[i].last_ms != truth->v[i].last_ms)
			fail_msg("flow %zu: got '%s' %" PRIu64 " pkts %" PRIu64
				 " bytes %" PRIu64 "-%" PRIu64 ", want '%s' %"
				 PRIu64 " pkts %" PRIu64 " bytes %" PRIu64
				 "-%" PRIu64, i, got->v[i].key,
				 got->v[i].packets, got->v[i].bytes,
				 got->v[i].first_ms, got->v[i].last_ms,
				 truth->v[i].key, truth->v[i].packets,
				 truth->v[i].bytes, truth->v[i].first_ms,
				 truth->v[i].last_ms);
	}
}

/* A counter from tflowd's "offline: ..." stats line: " name=N". */
static uint64_t stat_of(const char *name, const char *counter)
{
	char path[1200], line[4096], pat[64];
	uint64_t v = UINT64_MAX;
	FILE *in;

	snprintf(path, sizeof(path), "%s/%s.err", tmpdir, name);
	in = fopen(path, "r");
	assert_non_null(in);
	snprintf(pat, sizeof(pat), " %s=", counter);
	while (fgets(line, sizeof(line), in) != NULL) {
		const char *p = strstr(line, "offline:");

		if (p != NULL && (p = strstr(p, pat)) != NULL)
			v = strtoull(p + strlen(pat), NULL, 10);
	}
	fclose(in);
	return v;
}

/* ---- writing small pcaps by hand ------------------------------------ */

struct pcap_out {
	FILE *f;
};

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

static void pcap_open(struct pcap_out *po, const char *path, uint32_t link)
{
	uint32_t hdr[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 65535, link };

	po->f = fopen(path, "wb");
	assert_non_null(po->f);
	fwrite(hdr, sizeof(hdr), 1, po->f);
}

static void pcap_packet(struct pcap_out *po, uint64_t ts_ms, const uint8_t *p,
			uint32_t caplen, uint32_t wirelen)
{
	uint32_t rec[4] = { (uint32_t)(ts_ms / 1000),
			    (uint32_t)(ts_ms % 1000) * 1000, caplen, wirelen };

	fwrite(rec, sizeof(rec), 1, po->f);
	fwrite(p, 1, caplen, po->f);
}

static void pcap_close(struct pcap_out *po)
{
	assert_int_equal(fclose(po->f), 0);
}

/* Ethernet + IPv4 + TCP/UDP header of an `iplen`-byte datagram; returns
 * the captured length (headers only; wire length is iplen + 14). */
static uint32_t mk_v4(uint8_t *b, uint8_t proto, uint32_t src, uint32_t dst,
		      uint16_t sport, uint16_t dport, uint8_t tcp_flags,
		      uint16_t iplen)
{
	memset(b, 0, 64);
	memcpy(b, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00", 14);
	b[14] = 0x45;
	put16(b + 16, iplen);
	b[22] = 64;
	b[23] = proto;
	b[26] = (uint8_t)(src >> 24); b[27] = (uint8_t)(src >> 16);
	b[28] = (uint8_t)(src >> 8); b[29] = (uint8_t)src;
	b[30] = (uint8_t)(dst >> 24); b[31] = (uint8_t)(dst >> 16);
	b[32] = (uint8_t)(dst >> 8); b[33] = (uint8_t)dst;
	put16(b + 34, sport);
	put16(b + 36, dport);
	if (proto == 6) {
		b[46] = 0x50;
		b[47] = tcp_flags;
		return 54;
	}
	put16(b + 38, (uint16_t)(iplen - 20));
	return 42;
}

static void gen_pcap(const char *pcap, uint64_t start_ms,
		     void (*body)(struct pcap_out *, uint64_t))
{
	struct pcap_out po;

	pcap_open(&po, pcap, 1);
	body(&po, start_ms);
	pcap_close(&po);
}

#define T0 1767225600000ULL	/* 2026-01-01T00:00:00Z */

static void count_by_reason(struct recs *rs, const char *reason, size_t *n)
{
	size_t i;

	*n = 0;
	for (i = 0; i < rs->n; i++)
		*n += strcmp(rs->v[i].end_reason, reason) == 0;
}

/* The packets of body_gap in other container formats: classic pcap with
 * nanosecond timestamps in big-endian byte order, and pcapng (read through
 * libpcap rather than tflowd's own reader). */
static void be32(FILE *f, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 8), (uint8_t)v };

	fwrite(b, 1, 4, f);
}

static void write_gap_ns_be(const char *path)
{
	static const unsigned at_s[] = { 0, 1, 2, 40, 41 };
	uint8_t b[64];
	uint32_t n;
	size_t i;
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	be32(f, 0xa1b23c4d);
	be32(f, 0x00020004);
	be32(f, 0);
	be32(f, 0);
	be32(f, 65535);
	be32(f, 1);
	for (i = 0; i < 5; i++) {
		uint64_t ms = T0 + at_s[i] * 1000 + 7;

		n = mk_v4(b, 17, 0x0a000001, 0x0a000002, 5000, 53, 0, 100);
		be32(f, (uint32_t)(ms / 1000));
		be32(f, (uint32_t)(ms % 1000) * 1000000 + 999);
		be32(f, n);
		be32(f, 114);
		fwrite(b, 1, n, f);
	}
	assert_int_equal(fclose(f), 0);
}

static void le32(FILE *f, uint32_t v) { fwrite(&v, 4, 1, f); }

static void write_gap_pcapng(const char *path)
{
	static const unsigned at_s[] = { 0, 1, 2, 40, 41 };
	uint8_t b[64];
	uint32_t n, padded;
	size_t i;
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	/* Section Header Block */
	le32(f, 0x0a0d0d0a); le32(f, 28); le32(f, 0x1a2b3c4d);
	le32(f, 0x00000001); le32(f, 0xffffffff); le32(f, 0xffffffff);
	le32(f, 28);
	/* Interface Description Block: Ethernet, microseconds */
	le32(f, 1); le32(f, 20); le32(f, 1); le32(f, 65535); le32(f, 20);
	for (i = 0; i < 5; i++) {
		uint64_t us = (T0 + at_s[i] * 1000 + 7) * 1000;

		n = mk_v4(b, 17, 0x0a000001, 0x0a000002, 5000, 53, 0, 100);
		padded = (n + 3) & ~3u;
		le32(f, 6);
		le32(f, 32 + padded);
		le32(f, 0);
		le32(f, (uint32_t)(us >> 32));
		le32(f, (uint32_t)us);
		le32(f, n);
		le32(f, 114);
		fwrite(b, 1, n, f);
		fwrite("\0\0\0", 1, padded - n, f);
		le32(f, 32 + padded);
	}
	assert_int_equal(fclose(f), 0);
}

static void body_gap(struct pcap_out *po, uint64_t t0);

/* Every container gives the same records; a cut-off last record is an
 * error, but what came before it is counted. */
static void test_formats(void **state)
{
	char path[1200];
	int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		struct recs got = { 0 };
		const char *name = i == 0 ? "ns-be" : "pcapng";

		snprintf(path, sizeof(path), "%s/%s.pcap", tmpdir, name);
		if (i == 0)
			write_gap_ns_be(path);
		else
			write_gap_pcapng(path);
		assert_int_equal(tflowd_json(name, path,
			"/ip traffic-flow\nset inactive-flow-timeout=15s\n"), 0);
		load_json(name, &got);
		assert_int_equal(got.n, 2);
		assert_int_equal(got.v[0].packets, 3);
		assert_int_equal(got.v[0].first_ms, T0 + 7);
		assert_int_equal(got.v[0].last_ms, T0 + 2007);
		assert_int_equal(got.v[1].packets, 2);
		free(got.v);
	}

	/* The gap pcap cut in the middle of its last record. */
	snprintf(path, sizeof(path), "%s/gap.pcap", tmpdir);
	gen_pcap(path, T0, body_gap);
	assert_int_equal(run("head -c -10 '%s' > '%s/cut.pcap'", path, tmpdir), 0);
	snprintf(path, sizeof(path), "%s/cut.pcap", tmpdir);
	assert_int_equal(tflowd_json("cut", path, "/ip traffic-flow\nset\n"), 1);
	assert_int_equal(stat_of("cut", "packets"), 4);
	assert_int_equal(stat_of("cut", "accounted"), 4);
}

/* ---- the tests ------------------------------------------------------- */

static const char *big_conf_default =
	"/ip traffic-flow\nset enabled=yes\n";
static const char *big_conf_large =
	"/ip traffic-flow\nset cache-entries=64k active-flow-timeout=30m "
	"inactive-flow-timeout=15s\n";

/* 1M packets, 10k flows, IPv6 and VLANs, Zipf popularity: per key totals
 * equal the generator's truth, with the default 4k cache (which must
 * evict early and lose nothing) and with a cache that holds every flow. */
static void test_truth_1m(void **state)
{
	char pcap[1200], truth[1200];
	struct recs t = { 0 };
	int i;

	(void)state;
	snprintf(pcap, sizeof(pcap), "%s/truth.pcap", tmpdir);
	snprintf(truth, sizeof(truth), "%s/truth.txt", tmpdir);
	assert_int_equal(run("'%s/tests/gen/tflow-pcapgen' -o '%s' -t '%s' "
			     "--flows 10000 --packets 1000000 --ipv6 0.25 "
			     "--vlan 0.2 --duration 120 --seed 7 2>/dev/null",
			     builddir, pcap, truth), 0);
	load_truth(truth, &t);
	assert_int_equal(t.n, 10000);

	for (i = 0; i < 2; i++) {
		const char *name = i == 0 ? "truth-default" : "truth-large";
		struct recs got = { 0 };
		struct recs tc = { 0 };

		assert_int_equal(tflowd_json(name, pcap, i == 0 ?
				 big_conf_default : big_conf_large), 0);
		load_json(name, &got);
		assert_int_equal(stat_of(name, "packets"), 1000000);
		assert_int_equal(stat_of(name, "accounted"), 1000000);
		assert_int_equal(stat_of(name, "not_parsable"), 0);
		if (i == 0)	/* 10k flows, 4k entries: must have evicted */
			assert_true(stat_of(name, "evicted") > 0);
		else
			assert_int_equal(stat_of(name, "evicted"), 0);
		tc.v = malloc(t.n * sizeof(*t.v));
		assert_non_null(tc.v);
		memcpy(tc.v, t.v, t.n * sizeof(*t.v));
		tc.n = tc.cap = t.n;
		assert_matches_truth(&got, &tc);
		free(got.v);
		free(tc.v);
	}
	free(t.v);
}

static void body_gap(struct pcap_out *po, uint64_t t0)
{
	static const unsigned at_s[] = { 0, 1, 2, 40, 41 };
	uint8_t b[64];
	uint32_t n;
	size_t i;

	for (i = 0; i < 5; i++) {
		n = mk_v4(b, 17, 0x0a000001, 0x0a000002, 5000, 53, 0, 100);
		pcap_packet(po, t0 + at_s[i] * 1000, b, n, 114);
	}
}

/* A gap longer than inactive-flow-timeout splits the flow in two. */
static void test_inactive_gap(void **state)
{
	char pcap[1200];
	struct recs got = { 0 };

	(void)state;
	snprintf(pcap, sizeof(pcap), "%s/gap.pcap", tmpdir);
	gen_pcap(pcap, T0, body_gap);
	assert_int_equal(tflowd_json("gap", pcap,
		"/ip traffic-flow\nset inactive-flow-timeout=15s\n"), 0);
	load_json("gap", &got);
	assert_int_equal(got.n, 2);
	assert_int_equal(got.v[0].packets, 3);
	assert_int_equal(got.v[0].bytes, 300);
	assert_int_equal(got.v[0].first_ms, T0);
	assert_int_equal(got.v[0].last_ms, T0 + 2000);
	assert_string_equal(got.v[0].end_reason, "idle");
	assert_int_equal(got.v[1].packets, 2);
	assert_int_equal(got.v[1].first_ms, T0 + 40000);
	free(got.v);
}

static void body_100s(struct pcap_out *po, uint64_t t0)
{
	uint8_t b[64];
	uint32_t n;
	unsigned s;

	for (s = 0; s < 100; s++) {
		n = mk_v4(b, 17, 0x0a000001, 0x0a000002, 5000, 53, 0, 1000);
		pcap_packet(po, t0 + s * 1000, b, n, 1014);
	}
}

/* A 100 s flow with active-flow-timeout=30s: 4 records that add up. */
static void test_active_timeout(void **state)
{
	static const uint64_t want[] = { 30, 30, 30, 10 };
	char pcap[1200];
	struct recs got = { 0 };
	size_t i, n_active;

	(void)state;
	snprintf(pcap, sizeof(pcap), "%s/active.pcap", tmpdir);
	gen_pcap(pcap, T0, body_100s);
	assert_int_equal(tflowd_json("active", pcap,
		"/ip traffic-flow\nset active-flow-timeout=30s "
		"inactive-flow-timeout=15s\n"), 0);
	load_json("active", &got);
	assert_int_equal(got.n, 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(got.v[i].packets, want[i]);
		assert_int_equal(got.v[i].bytes, want[i] * 1000);
		assert_int_equal(got.v[i].first_ms, T0 + i * 30000);
	}
	count_by_reason(&got, "active", &n_active);
	assert_int_equal(n_active, 3);
	free(got.v);
}

static void body_fin(struct pcap_out *po, uint64_t t0)
{
	static const uint8_t flags[] = { 0x02, 0x10, 0x18, 0x11, 0x10 };
	uint8_t b[64];
	uint32_t n;
	size_t i;

	for (i = 0; i < 5; i++) {
		n = mk_v4(b, 6, 0x0a000001, 0x0a000002, 40000, 80, flags[i], 52);
		pcap_packet(po, t0 + i * 100, b, n, 66);
	}
}

/* FIN ends the record at once; the ACK after it starts a new one. */
static void test_fin_closes(void **state)
{
	char pcap[1200];
	struct recs got = { 0 };

	(void)state;
	snprintf(pcap, sizeof(pcap), "%s/fin.pcap", tmpdir);
	gen_pcap(pcap, T0, body_fin);
	assert_int_equal(tflowd_json("fin", pcap, "/ip traffic-flow\nset\n"), 0);
	load_json("fin", &got);
	assert_int_equal(got.n, 2);
	assert_int_equal(got.v[0].packets, 4);
	assert_string_equal(got.v[0].end_reason, "end");
	assert_int_equal(got.v[0].last_ms, T0 + 300);
	assert_int_equal(got.v[1].packets, 1);
	assert_string_equal(got.v[1].end_reason, "forced");
	free(got.v);
}

static void body_many(struct pcap_out *po, uint64_t t0)
{
	uint8_t b[64];
	uint32_t n, f, round;

	/* 3000 flows, 3 rounds, all alive at once. */
	for (round = 0; round < 3; round++)
		for (f = 0; f < 3000; f++) {
			n = mk_v4(b, 17, 0x0a000000 + f, 0x0a010001, 1024, 53,
				  0, (uint16_t)(100 + f % 7));
			pcap_packet(po, t0 + round * 1000 + f / 10, b, n,
				    114 + f % 7);
		}
}

/* More live flows than cache entries: the oldest are evicted early and
 * counted, and nothing is lost. */
static void test_cache_full(void **state)
{
	char pcap[1200];
	struct recs got = { 0 };
	size_t i;

	(void)state;
	snprintf(pcap, sizeof(pcap), "%s/full.pcap", tmpdir);
	gen_pcap(pcap, T0, body_many);
	assert_int_equal(tflowd_json("full", pcap,
		"/ip traffic-flow\nset cache-entries=1k\n"), 0);
	load_json("full", &got);
	assert_true(stat_of("full", "evicted") >= 2000);
	assert_int_equal(stat_of("full", "accounted"), 9000);
	recs_merge(&got);
	assert_int_equal(got.n, 3000);
	for (i = 0; i < got.n; i++)
		assert_int_equal(got.v[i].packets, 3);
	free(got.v);
}

static void body_3000(struct pcap_out *po, uint64_t t0)
{
	uint8_t b[64];
	uint32_t n, i;

	for (i = 0; i < 3000; i++) {
		n = mk_v4(b, 17, 0x0a000001, 0x0a000002, 5000, 53, 0, 200);
		pcap_packet(po, t0 + i, b, n, 214);
	}
}

/* sampling-interval=2 sampling-space=1 counts exactly 2 of every 3. */
static void test_sampling(void **state)
{
	char pcap[1200];
	struct recs got = { 0 };

	(void)state;
	snprintf(pcap, sizeof(pcap), "%s/sampling.pcap", tmpdir);
	gen_pcap(pcap, T0, body_3000);
	assert_int_equal(tflowd_json("sampling", pcap,
		"/ip traffic-flow\nset packet-sampling=yes sampling-interval=2 "
		"sampling-space=1\n"), 0);
	load_json("sampling", &got);
	recs_merge(&got);
	assert_int_equal(got.n, 1);
	assert_int_equal(got.v[0].packets, 2000);
	assert_int_equal(got.v[0].bytes, 2000 * 200);
	assert_string_equal(got.v[0].sampling, "1.5");
	assert_int_equal(stat_of("sampling", "sampled_out"), 1000);
	free(got.v);
}

static void body_bad(struct pcap_out *po, uint64_t t0)
{
	uint8_t b[128];
	uint32_t n;

	/* a good one */
	n = mk_v4(b, 17, 0x0a000001, 0x0a000002, 1, 2, 0, 100);
	pcap_packet(po, t0, b, n, 114);
	/* Ethernet header cut short */
	pcap_packet(po, t0 + 1, b, 10, 10);
	/* ARP */
	memcpy(b + 12, "\x08\x06", 2);
	pcap_packet(po, t0 + 2, b, 42, 60);
	/* IPv4 header cut short */
	n = mk_v4(b, 17, 0x0a000001, 0x0a000002, 1, 2, 0, 100);
	pcap_packet(po, t0 + 3, b, 20, 114);
	/* version 5 */
	b[14] = 0x55;
	pcap_packet(po, t0 + 4, b, n, 114);
	/* IHL 3 */
	b[14] = 0x43;
	pcap_packet(po, t0 + 5, b, n, 114);
	/* total length beyond the frame */
	b[14] = 0x45;
	put16(b + 16, 1400);
	pcap_packet(po, t0 + 6, b, n, 114);
	/* UDP header cut short */
	n = mk_v4(b, 17, 0x0a000001, 0x0a000002, 1, 2, 0, 100);
	pcap_packet(po, t0 + 7, b, 36, 114);
}

/* Malformed packets are counted by reason; the counters balance. */
static void test_malformed(void **state)
{
	char pcap[1200];
	struct recs got = { 0 };

	(void)state;
	snprintf(pcap, sizeof(pcap), "%s/bad.pcap", tmpdir);
	gen_pcap(pcap, T0, body_bad);
	assert_int_equal(tflowd_json("bad", pcap, "/ip traffic-flow\nset\n"), 0);
	load_json("bad", &got);
	assert_int_equal(got.n, 1);
	assert_int_equal(stat_of("bad", "packets"), 8);
	assert_int_equal(stat_of("bad", "accounted"), 1);
	assert_int_equal(stat_of("bad", "not_parsable"), 7);
	assert_int_equal(stat_of("bad", "l2_truncated"), 1);
	assert_int_equal(stat_of("bad", "non_ip"), 1);
	assert_int_equal(stat_of("bad", "l3_truncated"), 1);
	assert_int_equal(stat_of("bad", "bad_ip_version"), 1);
	assert_int_equal(stat_of("bad", "bad_ip_header_length"), 1);
	assert_int_equal(stat_of("bad", "bad_ip_total_length"), 1);
	assert_int_equal(stat_of("bad", "l4_truncated"), 1);
	free(got.v);
}

/* A bad config is refused with line and column; nothing runs. */
static void test_bad_config(void **state)
{
	char pcap[1200], path[1200], line[1024] = "";
	FILE *f;

	(void)state;
	snprintf(pcap, sizeof(pcap), "%s/gap.pcap", tmpdir);
	gen_pcap(pcap, T0, body_gap);
	assert_int_equal(tflowd_json("badconf", pcap,
		"/ip traffic-flow\nset cache-entries=lots\n"), 1);
	snprintf(path, sizeof(path), "%s/badconf.err", tmpdir);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	assert_non_null(strstr(line, ".rsc:2:"));
	assert_non_null(strstr(line, "cache-entries"));
}

static int setup(void **state)
{
	const char *b = getenv("TFLOW_BUILDDIR");

	(void)state;
	if (b != NULL)
		snprintf(builddir, sizeof(builddir), "%s", b);
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (getenv("TFLOW_KEEP_TMP") == NULL)
		run("rm -rf '%s'", tmpdir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inactive_gap),
		cmocka_unit_test(test_active_timeout),
		cmocka_unit_test(test_fin_closes),
		cmocka_unit_test(test_cache_full),
		cmocka_unit_test(test_sampling),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_truth_1m),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
