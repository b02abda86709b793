/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tflow-pcapgen: a deterministic pcap traffic generator for tests and
 * benchmarks.  The same arguments give the same bytes: every random choice
 * comes from our own xoshiro256** streams seeded by splitmix64 from --seed,
 * and nothing depends on the clock, the libc's rand() or the host's byte
 * order (the file is always little-endian).  Across hosts the bytes match
 * too wherever doubles are plain IEEE binary64 (not x87 extended) and,
 * for a --zipf other than 0 or 1, the libm's pow() agrees.
 *
 * The plan: draw N distinct flow keys (the probe's key: version, addresses,
 * protocol, ports or ICMP type/code, ToS); give every flow one packet plus
 * its Zipf share of the other M - N, sampled through an alias table; then
 * lay the packets out in time, either shuffled over the whole duration or,
 * with --churn, inside short consecutive per-flow windows merged by a small
 * heap so that only a few thousand flows are alive at any instant.  Packet
 * counts are fixed before the first packet is written, so the last packet
 * of a TCP flow is known and carries the FIN.  The ground truth is counted
 * from what was actually written.
 *
 * --replies FRAC gives that fraction of the TCP and UDP flows a reverse
 * flow (addresses and ports swapped; protocol, ToS and VLAN tags kept),
 * as a router counting both directions of a conversation sees it.  The
 * reply has its own packet count, uniform in 1..the forward count, and its
 * packets answer forward packets spread over the whole forward flow (the
 * first answers the first, the last the last) one per-flow "round trip"
 * of 1-50 ms later, so both directions are alive together and end
 * together (a TCP reply opens with SYN|ACK and, with --fin, ends with its
 * own FIN).  --flows and --packets count the forward flows only; the
 * replies come on top and are keys of their own in the truth.  Their
 * choices and packet sizes come from streams of their own, so the forward
 * flows, their packets and their truth are those of the same run without
 * --replies; a reverse key that would collide with another flow's key is
 * not used.  Without --replies (or with 0) nothing of this runs and the
 * output is what it was before the option existed.
 *
 * Nothing here touches a network: the addresses are documentation and
 * private prefixes and they only ever land in a file.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PROG			"tflow-pcapgen"
#define MIX_MAX			16
#define HDR_MAX			96	/* Eth+QinQ+IPv6+TCP is 82 */
#define MIN_FRAME		60	/* Ethernet minimum less FCS */
#define SNAPLEN_MAX		262144
#define OUTBUF_SIZE		(4u << 20)
/* Hash slots are uint32 indexes and the table is twice the flow count. */
#define FLOWS_MAX		(1u << 30)
/* A redraw is needed only when a key collides; 64 in a row means the
 * options leave no room for N distinct keys, which cannot happen with
 * the prefixes used here but must not loop forever either. */
#define KEY_ATTEMPTS		64

#define LINKTYPE_ETHERNET	1
#define ETHERTYPE_IPV4		0x0800
#define ETHERTYPE_IPV6		0x86dd
#define ETHERTYPE_VLAN		0x8100
#define ETHERTYPE_QINQ		0x88a8
#define TH_FIN			0x01
#define TH_SYN			0x02
#define TH_ACK			0x10
#define NITEMS(a)		(sizeof(a) / sizeof((a)[0]))

/* One independent stream per concern, so that changing --sizes does not
 * move a single key, and changing --churn does not change the counts. */
enum rng_stream {
	RNG_KEYS = 1,
	RNG_COUNTS,
	RNG_ORDER,
	RNG_SIZES,
	RNG_REPLIES,		/* --replies: who answers, how much, when */
	RNG_REPLY_SIZES,	/* --replies: the replies' packet sizes */
};

struct rng {
	uint64_t s[4];
};

struct size_mix {
	unsigned n;
	uint32_t len[MIX_MAX];	/* IP total length, bytes */
	double cum[MIX_MAX];	/* cumulative weight, normalised to 1 */
};

struct opts {
	const char *out_path;
	const char *truth_path;
	uint64_t flows;
	uint64_t packets;
	uint64_t seed;
	double zipf;
	double ipv6;
	double vlan;
	double tcp;
	double udp;
	uint64_t duration_us;
	uint64_t start_s;
	uint64_t snaplen;
	uint64_t alive;		/* --churn: about this many overlap */
	double replies;		/* share of TCP/UDP flows with a reverse */
	bool fin;
	bool churn;
	struct size_mix mix;
};

struct flow {
	uint8_t src[16];	/* network order; IPv4 uses the first 4 */
	uint8_t dst[16];
	uint64_t octets;	/* truth: sum of IP total lengths written */
	uint64_t first_us;	/* truth: epoch microseconds */
	uint64_t last_us;
	uint32_t pkts;		/* assigned before any is written */
	uint32_t sent;		/* packets written so far */
	uint32_t seq;		/* TCP sequence, ICMP echo sequence */
	uint32_t ack;		/* TCP acknowledgement number */
	uint32_t label;		/* IPv6 flow label, ICMP echo id */
	uint16_t sport;		/* ICMP: 0 */
	uint16_t dport;		/* ICMP: type << 8 | code */
	uint16_t vid_outer;	/* 802.1ad S-VLAN, when tags == 2 */
	uint16_t vid_inner;	/* 802.1Q C-VLAN, when tags >= 1 */
	uint8_t proto;
	uint8_t tos;		/* IPv4 ToS or IPv6 traffic class */
	uint8_t ipver;		/* 4 or 6 */
	uint8_t ttl;
	uint8_t tags;		/* VLAN tags on the frame: 0, 1 or 2 */
	uint8_t reply;		/* a reverse flow (--replies) */
	uint16_t rtt_us;	/* reply: delay after the forward packet */
	uint32_t peer;		/* reply: its forward flow; forward: its
				 * reply, 0 for none (a reply is never 0) */
};

struct out {
	FILE *fp;
	uint8_t *buf;
	size_t len;
	size_t cap;
	uint64_t written;	/* bytes, for the summary */
	bool failed;		/* sticky: a write failed, errno saved */
	int err;
};

/* A reply packet waiting for its time (--replies). */
struct pend {
	uint64_t t;		/* epoch microseconds */
	uint64_t seq;		/* push order: ties come out in it */
	uint32_t flow;
};

struct gen {
	const struct opts *o;
	struct flow *flows;
	uint32_t nflows;	/* forward flows and then their replies */
	uint32_t nfwd;		/* the forward flows, 0..nfwd-1 */
	struct rng rng_sizes;
	struct rng rng_rsizes;	/* the replies' sizes */
	struct pend *pend;	/* min-heap by (t, seq) */
	size_t npend;
	size_t pend_cap;
	uint64_t pend_seq;
	struct out out;
	uint64_t start_us;	/* epoch microseconds of the first slot */
	uint64_t pkts;		/* written so far */
	uint64_t octets;
	uint16_t ip_id;		/* IPv4 identification, one counter */
};

/* --- random numbers ------------------------------------------------------ */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void rng_init(struct rng *r, uint64_t seed, enum rng_stream stream)
{
	uint64_t x = seed ^ ((uint64_t)stream * 0xd1b54a32d192ed03ULL);
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl64(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256** (Blackman, Vigna). */
static inline uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t res = rotl64(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl64(s[3], 45);
	return res;
}

/* Uniform in [0, n), n > 0, without modulo bias (Lemire). */
static uint32_t rng_below(struct rng *r, uint32_t n)
{
	uint64_t m = (rng_next(r) >> 32) * n;
	uint32_t lo = (uint32_t)m;

	if (lo < n) {
		uint32_t t = -n % n;

		while (lo < t) {
			m = (rng_next(r) >> 32) * n;
			lo = (uint32_t)m;
		}
	}
	return (uint32_t)(m >> 32);
}

/* Uniform in [0, 1). */
static inline double rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1p-53;
}

/* --- little helpers ------------------------------------------------------ */

static inline void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* The file is little-endian on every host, so that it is byte-identical. */
static inline void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/* Ones' complement sum of big-endian 16-bit words, not yet folded. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* floor(a * b / c) for the few per-flow and per-slot interpolations; a
 * double keeps it free of 128-bit arithmetic and is monotonic in a, which
 * is all that timestamp order needs. */
static inline uint64_t scale(uint64_t a, uint64_t b, uint64_t c)
{
	return (uint64_t)((double)a * (double)b / (double)c);
}

/* --- output -------------------------------------------------------------- */

static void out_flush(struct out *o)
{
	if (o->len > 0 && !o->failed &&
	    fwrite(o->buf, 1, o->len, o->fp) != o->len) {
		o->failed = true;
		o->err = errno ? errno : EIO;
	}
	o->len = 0;
}

/* Room for n bytes (n <= cap) at the end of the buffer. */
static uint8_t *out_reserve(struct out *o, size_t n)
{
	uint8_t *p;

	if (o->cap - o->len < n)
		out_flush(o);
	p = o->buf + o->len;
	o->len += n;
	o->written += n;
	return p;
}

static void pcap_write_header(struct out *o, uint32_t snaplen)
{
	uint8_t *p = out_reserve(o, 24);

	put_le32(p, 0xa1b2c3d4);	/* microsecond timestamps */
	put_le16(p + 4, 2);
	put_le16(p + 6, 4);
	put_le32(p + 8, 0);		/* thiszone */
	put_le32(p + 12, 0);		/* sigfigs */
	put_le32(p + 16, snaplen);
	put_le32(p + 20, LINKTYPE_ETHERNET);
}

/* --- packet sizes -------------------------------------------------------- */

/* "64:0.5,576:0.2,1500:0.3": IP total length and weight.  Zero weights are
 * dropped so that rounding in the cumulative table can never pick them. */
static int mix_parse(struct size_mix *m, const char *spec)
{
	double w[MIX_MAX], sum = 0;
	const char *p = spec;
	unsigned i;

	m->n = 0;
	while (*p != '\0') {
		char *end;
		unsigned long len;
		double wt;

		errno = 0;
		len = strtoul(p, &end, 10);
		if (end == p || *end != ':' || errno || len < 20 || len > 65535)
			return -EINVAL;
		p = end + 1;
		wt = strtod(p, &end);
		if (end == p || errno || !(wt >= 0) || !isfinite(wt))
			return -EINVAL;
		p = end;
		if (*p == ',')
			p++;
		else if (*p != '\0')
			return -EINVAL;
		if (wt == 0)
			continue;
		if (m->n == MIX_MAX)
			return -E2BIG;
		m->len[m->n] = (uint32_t)len;
		w[m->n++] = wt;
		sum += wt;
	}
	if (m->n == 0)
		return -EINVAL;
	for (i = 0; i < m->n; i++) {
		double prev = i ? m->cum[i - 1] : 0;

		m->cum[i] = prev + w[i] / sum;
	}
	return 0;
}

static uint32_t mix_pick(const struct size_mix *m, struct rng *r)
{
	double u = rng_unit(r);
	unsigned i;

	for (i = 0; i + 1 < m->n; i++)
		if (u < m->cum[i])
			return m->len[i];
	return m->len[m->n - 1];
}

/* --- flow keys ----------------------------------------------------------- */

static int flow_key_cmp(const struct flow *a, const struct flow *b)
{
	int c;

	if (a->ipver != b->ipver)
		return a->ipver < b->ipver ? -1 : 1;
	if ((c = memcmp(a->src, b->src, sizeof(a->src))) != 0)
		return c;
	if ((c = memcmp(a->dst, b->dst, sizeof(a->dst))) != 0)
		return c;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if (a->sport != b->sport)
		return a->sport < b->sport ? -1 : 1;
	if (a->dport != b->dport)
		return a->dport < b->dport ? -1 : 1;
	if (a->tos != b->tos)
		return a->tos < b->tos ? -1 : 1;
	return 0;
}

static uint64_t flow_key_hash(const struct flow *f)
{
	/* FNV-1a, then a final mix. */
	uint64_t h = 0xcbf29ce484222325ULL;
	uint8_t tail[8];
	size_t i;

	for (i = 0; i < 16; i++)
		h = (h ^ f->src[i]) * 0x100000001b3ULL;
	for (i = 0; i < 16; i++)
		h = (h ^ f->dst[i]) * 0x100000001b3ULL;
	tail[0] = f->ipver;
	tail[1] = f->proto;
	put_be16(tail + 2, f->sport);
	put_be16(tail + 4, f->dport);
	tail[6] = f->tos;
	tail[7] = 0;
	for (i = 0; i < 8; i++)
		h = (h ^ tail[i]) * 0x100000001b3ULL;
	return splitmix64(&h);
}

static void draw_v4(uint8_t *a, struct rng *r)
{
	uint32_t x = (uint32_t)(rng_next(r) >> 32);

	/* Last octet 1..254: no network or broadcast look-alikes. */
	if (x & 1) {
		a[0] = 10;
		a[1] = (uint8_t)(x >> 8);
	} else {
		a[0] = 192;
		a[1] = 168;
	}
	a[2] = (uint8_t)(x >> 16);
	a[3] = (uint8_t)(1 + rng_below(r, 254));
}

static void draw_v6(uint8_t *a, struct rng *r)
{
	uint64_t hi = rng_next(r), lo = rng_next(r);

	a[0] = 0x20;
	a[1] = 0x01;
	a[2] = 0x0d;
	a[3] = 0xb8;
	put_be32(a + 4, (uint32_t)hi);
	put_be32(a + 8, (uint32_t)(lo >> 32));
	put_be32(a + 12, (uint32_t)lo);
}

/* A whole flow, key and per-flow properties, from the key stream. */
static void flow_draw(struct flow *f, struct rng *r, const struct opts *o)
{
	static const uint16_t tcp_ports[] = { 80, 443, 22, 25, 8080, 3306,
	    993 };
	static const uint16_t udp_ports[] = { 53, 123, 161, 443, 514, 1194 };
	static const uint16_t icmp4[] = { 0x0800, 0x0000, 0x0303, 0x0301,
	    0x0b00, 0x0304 };
	static const uint16_t icmp6[] = { 0x8000, 0x8100, 0x0104, 0x0300,
	    0x0200 };
	static const uint8_t dscp[] = { 8, 10, 18, 26, 34, 46, 48 };
	static const uint8_t ttls[] = { 64, 128, 255, 57, 118 };
	double u;

	memset(f, 0, sizeof(*f));
	f->ipver = rng_unit(r) < o->ipv6 ? 6 : 4;
	if (f->ipver == 4) {
		draw_v4(f->src, r);
		draw_v4(f->dst, r);
	} else {
		draw_v6(f->src, r);
		draw_v6(f->dst, r);
	}
	u = rng_unit(r);
	if (u < o->tcp || u < o->tcp + o->udp) {
		const uint16_t *wk = u < o->tcp ? tcp_ports : udp_ports;
		uint32_t nwk = u < o->tcp ? NITEMS(tcp_ports) :
		    NITEMS(udp_ports);

		f->proto = u < o->tcp ? IPPROTO_TCP : IPPROTO_UDP;
		/* Ephemeral source; mostly a well-known destination. */
		f->sport = (uint16_t)(1024 + rng_below(r, 65536 - 1024));
		if (rng_below(r, 10) < 7)
			f->dport = wk[rng_below(r, nwk)];
		else
			f->dport = (uint16_t)(1024 +
			    rng_below(r, 65536 - 1024));
	} else if (f->ipver == 4) {
		f->proto = IPPROTO_ICMP;
		f->dport = icmp4[rng_below(r, NITEMS(icmp4))];
	} else {
		f->proto = IPPROTO_ICMPV6;
		f->dport = icmp6[rng_below(r, NITEMS(icmp6))];
	}
	if (rng_below(r, 5) == 0)
		f->tos = (uint8_t)(dscp[rng_below(r, NITEMS(dscp))] << 2);
	if (rng_unit(r) < o->vlan) {
		f->tags = rng_below(r, 4) == 0 ? 2 : 1;
		f->vid_inner = (uint16_t)(1 + rng_below(r, 4094));
		if (f->tags == 2)
			f->vid_outer = (uint16_t)(1 + rng_below(r, 4094));
	}
	f->ttl = ttls[rng_below(r, NITEMS(ttls))];
	f->seq = (uint32_t)(rng_next(r) >> 32);
	f->ack = (uint32_t)(rng_next(r) >> 32);
	f->label = (uint32_t)(rng_next(r) >> 44);	/* 20 bits */
}

/* N flows whose probe keys are pairwise distinct: a colliding draw is
 * simply drawn again, which keeps the sequence a function of the seed. */
static int keys_generate(struct flow *flows, uint32_t n, const struct opts *o)
{
	struct rng r;
	uint64_t *slots;
	uint32_t mask, cap = 16, i;

	while (cap < 2 * n)
		cap <<= 1;
	mask = cap - 1;
	/* Upper half: hash bits the index does not use, so that most probes
	 * are settled without touching the flow; lower: flow index + 1, and
	 * 0 marks an empty slot. */
	slots = calloc(cap, sizeof(*slots));
	if (slots == NULL)
		return -ENOMEM;
	rng_init(&r, o->seed, RNG_KEYS);
	for (i = 0; i < n; i++) {
		struct flow *f = &flows[i];
		int attempt;

		for (attempt = 0; attempt < KEY_ATTEMPTS; attempt++) {
			uint64_t hash, tag;
			uint32_t h;
			bool dup = false;

			flow_draw(f, &r, o);
			hash = flow_key_hash(f);
			tag = hash & 0xffffffff00000000ULL;
			for (h = (uint32_t)hash & mask; slots[h] != 0;
			    h = (h + 1) & mask) {
				if ((slots[h] & 0xffffffff00000000ULL) == tag &&
				    flow_key_cmp(&flows[(uint32_t)slots[h] - 1],
				    f) == 0) {
					dup = true;
					break;
				}
			}
			if (!dup) {
				slots[h] = tag | (i + 1);
				break;
			}
		}
		if (attempt == KEY_ATTEMPTS) {
			free(slots);
			return -EEXIST;
		}
	}
	free(slots);
	return 0;
}

/* --- packet counts ------------------------------------------------------- */

/*
 * Every flow gets one packet; the other m - n go to ranks drawn from
 * Zipf(s) over n ranks (weight 1/rank^s; s = 0 is uniform).  Sampling uses
 * Vose's alias table, built once in O(n), so a draw is one random number
 * and two loads however large n is.  The ranks are counted in a compact
 * array and then shuffled onto the flows, so that flow index, which is
 * also the --churn time order, says nothing about popularity.
 */
static int counts_assign(struct flow *flows, uint32_t n, uint64_t m,
    double s, uint64_t seed)
{
	struct rng r;
	double *p = NULL, sum = 0;
	uint32_t *cnt, *thr = NULL, *alias = NULL, *small = NULL, *large = NULL;
	uint32_t ns = 0, nl = 0, i;
	uint64_t k, extra = m - n;
	int rc = -ENOMEM;

	cnt = calloc(n, sizeof(*cnt));
	if (cnt == NULL)
		return -ENOMEM;
	rng_init(&r, seed, RNG_COUNTS);
	if (extra == 0)
		goto out_assign;
	if (s == 0) {
		for (k = 0; k < extra; k++)
			cnt[rng_below(&r, n)]++;
		goto out_assign;
	}

	p = malloc((size_t)n * sizeof(*p));
	thr = malloc((size_t)n * sizeof(*thr));
	alias = malloc((size_t)n * sizeof(*alias));
	small = malloc((size_t)n * sizeof(*small));
	large = malloc((size_t)n * sizeof(*large));
	if (p == NULL || thr == NULL || alias == NULL || small == NULL ||
	    large == NULL)
		goto out_free;

	/* Summed from the tail so that the small terms are not lost. */
	for (i = n; i-- > 0;) {
		double rank = (double)i + 1;

		p[i] = s == 1.0 ? 1.0 / rank : pow(rank, -s);
		sum += p[i];
	}
	for (i = 0; i < n; i++) {
		p[i] = p[i] * n / sum;
		if (p[i] < 1.0)
			small[ns++] = i;
		else
			large[nl++] = i;
	}
	while (ns > 0 && nl > 0) {
		uint32_t sm = small[--ns], lg = large[--nl];

		thr[sm] = (uint32_t)(p[sm] * 4294967296.0);
		alias[sm] = lg;
		p[lg] = (p[lg] + p[sm]) - 1.0;
		if (p[lg] < 1.0)
			small[ns++] = lg;
		else
			large[nl++] = lg;
	}
	/* What is left is 1 up to rounding: always take the column itself. */
	while (nl > 0) {
		i = large[--nl];
		thr[i] = UINT32_MAX;
		alias[i] = i;
	}
	while (ns > 0) {
		i = small[--ns];
		thr[i] = UINT32_MAX;
		alias[i] = i;
	}

	for (k = 0; k < extra; k++) {
		uint64_t u = rng_next(&r);
		uint32_t col = (uint32_t)(((u >> 32) * n) >> 32);

		if ((uint32_t)u < thr[col])
			cnt[col]++;
		else
			cnt[alias[col]]++;
	}
out_assign:
	for (i = n - 1; i > 0; i--) {
		uint32_t j = rng_below(&r, i + 1), t = cnt[i];

		cnt[i] = cnt[j];
		cnt[j] = t;
	}
	for (i = 0; i < n; i++)
		flows[i].pkts = 1 + cnt[i];
	rc = 0;
out_free:
	free(large);
	free(small);
	free(alias);
	free(thr);
	free(p);
	free(cnt);
	return rc;
}

/* --- replies ------------------------------------------------------------- */

/* Index + 1 of the flow with f's key in the open-addressing table, 0 when
 * none; *slot is where it is or would go. */
static uint32_t keyset_find(const uint32_t *tab, uint32_t mask,
    const struct flow *flows, const struct flow *f, uint32_t *slot)
{
	uint32_t h;

	for (h = (uint32_t)flow_key_hash(f) & mask; tab[h] != 0;
	    h = (h + 1) & mask)
		if (flow_key_cmp(&flows[tab[h] - 1], f) == 0)
			break;
	*slot = h;
	return tab[h];
}

/*
 * --replies: walks the TCP and UDP flows in index order and gives each,
 * with probability frac, a reverse flow appended after the forward ones
 * (g->flows grows to hold them; g->nflows counts them).  Every choice
 * comes from the RNG_REPLIES stream, drawn the same way whether or not
 * the reverse key turns out to be usable, so the replies of the other
 * flows do not depend on a collision.  A reverse key that equals its own
 * forward key (same address and port both ways) or any flow's key is
 * dropped: the truth has one line per key.
 */
static int replies_assign(struct gen *g, double frac, uint64_t seed)
{
	struct flow *flows;
	struct rng r;
	uint32_t *tab, cap = 16, mask, i, n = g->nfwd, eligible = 0, slot;

	if (!(frac > 0))
		return 0;
	for (i = 0; i < n; i++)
		if (g->flows[i].proto == IPPROTO_TCP ||
		    g->flows[i].proto == IPPROTO_UDP)
			eligible++;
	if (eligible == 0)
		return 0;
	/* n <= FLOWS_MAX (1 << 30): n + eligible and the table fit. */
	flows = realloc(g->flows, ((size_t)n + eligible) * sizeof(*flows));
	if (flows == NULL)
		return -ENOMEM;
	g->flows = flows;
	while (cap < 2 * (n + eligible))
		cap <<= 1;
	mask = cap - 1;
	tab = calloc(cap, sizeof(*tab));
	if (tab == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		keyset_find(tab, mask, flows, &flows[i], &slot);
		tab[slot] = i + 1;
	}

	rng_init(&r, seed, RNG_REPLIES);
	for (i = 0; i < n; i++) {
		const struct flow *f = &flows[i];
		struct flow *q = &flows[g->nflows];

		if (f->proto != IPPROTO_TCP && f->proto != IPPROTO_UDP)
			continue;
		if (!(rng_unit(&r) < frac))
			continue;
		memset(q, 0, sizeof(*q));
		q->pkts = 1 + rng_below(&r, f->pkts);
		q->rtt_us = (uint16_t)(1000 + rng_below(&r, 49001));
		q->label = (uint32_t)(rng_next(&r) >> 44);
		q->ipver = f->ipver;
		memcpy(q->src, f->dst, sizeof(q->src));
		memcpy(q->dst, f->src, sizeof(q->dst));
		q->proto = f->proto;
		q->sport = f->dport;
		q->dport = f->sport;
		q->tos = f->tos;
		q->tags = f->tags;
		q->vid_outer = f->vid_outer;
		q->vid_inner = f->vid_inner;
		q->ttl = f->ttl;
		/* The answer acknowledges the request's SYN. */
		q->seq = f->ack;
		q->ack = f->seq + 1;
		q->reply = 1;
		q->peer = i;
		if (flow_key_cmp(q, f) == 0 ||
		    keyset_find(tab, mask, flows, q, &slot) != 0)
			continue;
		tab[slot] = g->nflows + 1;
		flows[i].peer = g->nflows++;
	}
	free(tab);
	return 0;
}

/* --- one packet ---------------------------------------------------------- */

/*
 * Writes the next packet of flow fi at epoch microsecond t_us: Ethernet II
 * with the flow's VLAN tags, IP, the L4 header, and zero payload, cut at
 * the snaplen.  The first packet of a TCP flow is a SYN (a reply's:
 * SYN|ACK); with --fin its last is FIN|ACK (a lone packet too, since the
 * probe ends records on FIN); every other one is ACK.  A reply goes from
 * the gateway's MAC to its forward flow's host.
 */
static void emit(struct gen *g, uint32_t fi, uint64_t t_us)
{
	const struct opts *o = g->o;
	struct flow *f = &g->flows[fi];
	uint8_t h[HDR_MAX], *rec;
	uint32_t total, iphl, l4hl, l4len, frame, caplen, hdrlen, sum;
	size_t off = 0, ip, l4;
	bool last = f->sent + 1 == f->pkts;

	/* Destination: one gateway; source: one host per flow. */
	memset(h, 0, sizeof(h));
	if (f->reply) {
		h[0] = 0x02;
		h[1] = 0x10;
		put_be32(h + 2, f->peer);
		h[6] = 0x02;
		h[11] = 0x01;
	} else {
		h[0] = 0x02;
		h[5] = 0x01;
		h[6] = 0x02;
		h[7] = 0x10;
		put_be32(h + 8, fi);
	}
	off = 12;
	if (f->tags == 2) {
		put_be16(h + off, ETHERTYPE_QINQ);
		put_be16(h + off + 2, f->vid_outer);
		off += 4;
	}
	if (f->tags >= 1) {
		put_be16(h + off, ETHERTYPE_VLAN);
		put_be16(h + off + 2, f->vid_inner);
		off += 4;
	}
	put_be16(h + off, f->ipver == 4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6);
	off += 2;

	ip = off;
	iphl = f->ipver == 4 ? 20 : 40;
	l4hl = f->proto == IPPROTO_TCP ? 20 : 8;
	/* Drawn for every packet so the size stream stays aligned; a SYN
	 * (never the --fin last packet) carries no payload, like a real one. */
	total = mix_pick(&o->mix, f->reply ? &g->rng_rsizes : &g->rng_sizes);
	if (total < iphl + l4hl || (f->proto == IPPROTO_TCP && f->sent == 0 &&
	    !(o->fin && last)))
		total = iphl + l4hl;
	l4len = total - iphl;
	l4 = ip + iphl;

	if (f->ipver == 4) {
		h[ip] = 0x45;
		h[ip + 1] = f->tos;
		put_be16(h + ip + 2, (uint16_t)total);
		put_be16(h + ip + 4, g->ip_id++);
		put_be16(h + ip + 6, 0x4000);	/* DF */
		h[ip + 8] = f->ttl;
		h[ip + 9] = f->proto;
		memcpy(h + ip + 12, f->src, 4);
		memcpy(h + ip + 16, f->dst, 4);
		put_be16(h + ip + 10, csum_fold(csum_add(0, h + ip, 20)));
		sum = csum_add(0, f->src, 4);
		sum = csum_add(sum, f->dst, 4);
	} else {
		put_be32(h + ip, 6u << 28 | (uint32_t)f->tos << 20 | f->label);
		put_be16(h + ip + 4, (uint16_t)l4len);
		h[ip + 6] = f->proto;
		h[ip + 7] = f->ttl;
		memcpy(h + ip + 8, f->src, 16);
		memcpy(h + ip + 24, f->dst, 16);
		sum = csum_add(0, f->src, 16);
		sum = csum_add(sum, f->dst, 16);
	}
	/* Pseudo-header protocol and length; the zero payload adds nothing. */
	sum += f->proto + l4len;

	switch (f->proto) {
	case IPPROTO_TCP: {
		uint8_t flags = TH_ACK;

		if (o->fin && last)
			flags = TH_FIN | TH_ACK;
		else if (f->sent == 0)
			flags = f->reply ? TH_SYN | TH_ACK : TH_SYN;
		put_be16(h + l4, f->sport);
		put_be16(h + l4 + 2, f->dport);
		put_be32(h + l4 + 4, f->seq);
		put_be32(h + l4 + 8, flags & TH_ACK ? f->ack : 0);
		h[l4 + 12] = 5 << 4;
		h[l4 + 13] = flags;
		put_be16(h + l4 + 14, 64240);
		put_be16(h + l4 + 16, csum_fold(csum_add(sum, h + l4, 20)));
		f->seq += l4len - 20 + ((flags & (TH_SYN | TH_FIN)) ? 1 : 0);
		break;
	}
	case IPPROTO_UDP: {
		uint16_t c;

		put_be16(h + l4, f->sport);
		put_be16(h + l4 + 2, f->dport);
		put_be16(h + l4 + 4, (uint16_t)l4len);
		c = csum_fold(csum_add(sum, h + l4, 8));
		put_be16(h + l4 + 6, c == 0 ? 0xffff : c);
		break;
	}
	default: {
		uint8_t type = (uint8_t)(f->dport >> 8);
		bool echo = f->proto == IPPROTO_ICMP ?
		    (type == 0 || type == 8) : (type == 128 || type == 129);

		h[l4] = type;
		h[l4 + 1] = (uint8_t)f->dport;
		if (echo) {
			put_be16(h + l4 + 4, (uint16_t)f->label);
			put_be16(h + l4 + 6, (uint16_t)f->seq++);
		}
		/* ICMPv4 has no pseudo-header. */
		put_be16(h + l4 + 2, csum_fold(csum_add(
		    f->proto == IPPROTO_ICMP ? 0 : sum, h + l4, 8)));
		break;
	}
	}

	hdrlen = (uint32_t)l4 + l4hl;
	frame = (uint32_t)ip + total;
	if (frame < MIN_FRAME)
		frame = MIN_FRAME;
	caplen = frame < o->snaplen ? frame : (uint32_t)o->snaplen;
	rec = out_reserve(&g->out, 16 + (size_t)caplen);
	put_le32(rec, (uint32_t)(t_us / 1000000));
	put_le32(rec + 4, (uint32_t)(t_us % 1000000));
	put_le32(rec + 8, caplen);
	put_le32(rec + 12, frame);
	if (caplen <= hdrlen) {
		memcpy(rec + 16, h, caplen);
	} else {
		memcpy(rec + 16, h, hdrlen);
		memset(rec + 16 + hdrlen, 0, caplen - hdrlen);
	}

	if (f->sent == 0)
		f->first_us = t_us;
	f->last_us = t_us;
	f->octets += total;
	f->sent++;
	g->pkts++;
	g->octets += total;
}

/* --- reply packets ------------------------------------------------------- */

static inline bool pend_before(const struct pend *a, const struct pend *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static int pend_push(struct gen *g, uint64_t t, uint32_t flow)
{
	struct pend *h, x;
	size_t i;

	if (g->npend == g->pend_cap) {
		size_t cap = g->pend_cap ? 2 * g->pend_cap : 1024;

		h = realloc(g->pend, cap * sizeof(*h));
		if (h == NULL)
			return -ENOMEM;
		g->pend = h;
		g->pend_cap = cap;
	}
	h = g->pend;
	x.t = t;
	x.seq = g->pend_seq++;
	x.flow = flow;
	for (i = g->npend++; i > 0; i = (i - 1) / 2) {
		if (!pend_before(&x, &h[(i - 1) / 2]))
			break;
		h[i] = h[(i - 1) / 2];
	}
	h[i] = x;
	return 0;
}

/* Writes the waiting reply packets due at or before t_us, in time order;
 * UINT64_MAX writes them all. */
static void pend_drain(struct gen *g, uint64_t t_us)
{
	struct pend *h = g->pend, x;
	size_t i, c, n;

	while (g->npend > 0 && h[0].t <= t_us) {
		emit(g, h[0].flow, h[0].t);
		x = h[--g->npend];
		n = g->npend;
		for (i = 0; (c = 2 * i + 1) < n; i = c) {
			if (c + 1 < n && pend_before(&h[c + 1], &h[c]))
				c++;
			if (!pend_before(&h[c], &x))
				break;
			h[i] = h[c];
		}
		if (n > 0)
			h[i] = x;
	}
}

/*
 * A forward packet of flow fi at t_us, after the reply packets due by
 * then.  With c forward and k reply packets (k <= c), reply packet j
 * answers forward packet floor(j * (c - 1) / (k - 1)) (a lone reply the
 * last one): strictly increasing, so at most one answer per packet, the
 * first answering the first and the last the last.  Packet p answers if
 * the smallest j with floor(j * (c - 1) / (k - 1)) >= p lands exactly on
 * it.  Without --replies this is emit().
 */
static int emit_fwd(struct gen *g, uint32_t fi, uint64_t t_us)
{
	const struct flow *f = &g->flows[fi], *q;
	uint64_t c, k, p, j;

	if (g->npend > 0)
		pend_drain(g, t_us);
	emit(g, fi, t_us);
	if (f->peer == 0)
		return 0;
	q = &g->flows[f->peer];
	c = f->pkts;
	k = q->pkts;
	p = f->sent - 1;
	if (k == 1) {
		if (p != c - 1)
			return 0;
	} else {
		j = (p * (k - 1) + (c - 2)) / (c - 1);	/* ceil */
		if (j * (c - 1) / (k - 1) != p)
			return 0;
	}
	return pend_push(g, t_us + q->rtt_us, f->peer);
}

/* --- time layout --------------------------------------------------------- */

/*
 * Without --churn: the multiset of flow indexes (flow f pkts times) in a
 * Fisher-Yates order, slot i at start + i * duration / m.  Any flow's last
 * slot is its last packet, so its FIN cannot be followed by its key.
 */
static int layout_shuffled(struct gen *g)
{
	const struct opts *o = g->o;
	uint64_t m = o->packets, i, k = 0;
	uint32_t *slots, f;
	struct rng r;

	if (m > SIZE_MAX / sizeof(*slots))
		return -ENOMEM;
	slots = malloc((size_t)m * sizeof(*slots));
	if (slots == NULL)
		return -ENOMEM;
	for (f = 0; f < g->nfwd; f++) {
		uint32_t c;

		for (c = 0; c < g->flows[f].pkts; c++)
			slots[k++] = f;
	}
	rng_init(&r, o->seed, RNG_ORDER);
	for (i = m - 1; i > 0; i--) {
		uint32_t j = rng_below(&r, (uint32_t)(i + 1));
		uint32_t t = slots[i];

		slots[i] = slots[j];
		slots[j] = t;
	}
	for (i = 0; i < m; i++)
		if (emit_fwd(g, slots[i], g->start_us +
		    scale(i, o->duration_us, m)) < 0)
			break;
	free(slots);
	if (i < m)
		return -ENOMEM;
	pend_drain(g, UINT64_MAX);
	return 0;
}

/* A flow alive in the churn heap: its next packet time and the exact
 * remainder of the even spacing t_k = a + floor(w * (2k + 1) / (2 * pkts)). */
struct slot {
	uint64_t t;		/* next packet, microseconds from start */
	uint64_t rem;		/* numerator remainder modulo 2 * pkts */
	uint64_t win;		/* window length w, microseconds */
	uint32_t flow;
};

static inline bool slot_before(const struct slot *a, const struct slot *b)
{
	return a->t < b->t || (a->t == b->t && a->flow < b->flow);
}

static void heap_down(struct slot *h, size_t n, size_t i)
{
	struct slot x = h[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && slot_before(&h[c + 1], &h[c]))
			c++;
		if (!slot_before(&h[c], &x))
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = x;
}

static void heap_up(struct slot *h, size_t i)
{
	struct slot x = h[i];

	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (!slot_before(&x, &h[p]))
			break;
		h[i] = h[p];
		i = p;
	}
	h[i] = x;
}

/*
 * --churn: flows take turns in index order (random keys, and popularity
 * shuffled by counts_assign()), which also keeps the alive flows in a
 * small window of the flow table.  Flow i opens at
 * a_i = i * (D - L) / N and lives L = D * alive / N, so about `alive` flows
 * overlap; a flow with more than its average share of packets stretches
 * its window in proportion (capped at the end of the capture) instead of
 * bursting, which keeps the overlap below twice `alive`.  Packets are
 * evenly spaced in the window and a heap merges the alive flows in time
 * order, ties broken by flow index.
 */
static int layout_churn(struct gen *g)
{
	const struct opts *o = g->o;
	uint32_t n = g->nfwd, next = 0;
	uint64_t d = o->duration_us, l, next_a = 0;
	double mean = (double)o->packets / n;
	struct slot *heap;
	size_t hn = 0, hcap = 1024;
	int rc = -ENOMEM;

	heap = malloc(hcap * sizeof(*heap));
	if (heap == NULL)
		return -ENOMEM;
	l = n <= o->alive ? d : scale(d, o->alive, n);
	if (l == 0)
		l = 1;

	while (next < n || hn > 0) {
		struct slot *s;
		struct flow *f;
		uint64_t den;

		if (next < n && (hn == 0 || next_a <= heap[0].t)) {
			double ext;

			if (hn == hcap) {
				struct slot *nh = realloc(heap,
				    2 * hcap * sizeof(*heap));

				if (nh == NULL)
					goto out_free;
				heap = nh;
				hcap *= 2;
			}
			s = &heap[hn];
			s->flow = next;
			f = &g->flows[s->flow];
			s->win = l;
			ext = (double)f->pkts * (double)l / mean;
			if (ext > (double)l)
				s->win = ext < (double)(d - next_a) ?
				    (uint64_t)ext : d - next_a;
			den = 2 * (uint64_t)f->pkts;
			s->t = next_a + s->win / den;
			s->rem = s->win % den;
			heap_up(heap, hn++);
			next++;
			if (next < n)
				next_a = n <= o->alive ? 0 :
				    scale(next, d - l, n);
			continue;
		}

		s = &heap[0];
		f = &g->flows[s->flow];
		if (emit_fwd(g, s->flow, g->start_us + s->t) < 0)
			goto out_free;
		if (f->sent == f->pkts) {
			heap[0] = heap[--hn];
		} else {
			den = 2 * (uint64_t)f->pkts;
			s->t += 2 * s->win / den;
			s->rem += 2 * s->win % den;
			if (s->rem >= den) {
				s->rem -= den;
				s->t++;
			}
		}
		if (hn > 0)
			heap_down(heap, hn, 0);
	}
	pend_drain(g, UINT64_MAX);
	rc = 0;
out_free:
	free(heap);
	return rc;
}

/* --- ground truth -------------------------------------------------------- */

/* A flow and the first bytes of its sort key, so that qsort settles most
 * comparisons in the array itself instead of in the 96-byte flows. */
struct truth_ent {
	uint64_t prefix;	/* ipver, then src (IPv4: then dst) bytes */
	const struct flow *f;
};

static uint64_t truth_prefix(const struct flow *f)
{
	uint64_t k = (uint64_t)f->ipver << 56;
	int i;

	/* Big-endian bytes in the order flow_key_cmp() compares them. */
	for (i = 0; i < 7; i++) {
		uint8_t b = f->ipver == 4 ?
		    (i < 4 ? f->src[i] : f->dst[i - 4]) : f->src[i];

		k |= (uint64_t)b << (48 - 8 * i);
	}
	return k;
}

static int truth_cmp(const void *a, const void *b)
{
	const struct truth_ent *x = a, *y = b;

	if (x->prefix != y->prefix)
		return x->prefix < y->prefix ? -1 : 1;
	return flow_key_cmp(x->f, y->f);
}

/* Writes v in decimal and a space; returns the end. */
static char *put_dec(char *p, uint64_t v)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n > 0)
		*p++ = tmp[--n];
	*p++ = ' ';
	return p;
}

/* The address and a space; inet_ntop()'s text for IPv6, whose zero
 * compression rules we do not want to restate, and the same dotted quad
 * for IPv4 without its sprintf. */
static char *put_addr(char *p, const struct flow *f, const uint8_t *a)
{
	int i;

	if (f->ipver == 6) {
		inet_ntop(AF_INET6, a, p, INET6_ADDRSTRLEN);
		p += strlen(p);
		*p++ = ' ';
		return p;
	}
	for (i = 0; i < 4; i++) {
		p = put_dec(p, a[i]);
		p[-1] = i < 3 ? '.' : ' ';
	}
	return p;
}

/* One line per flow key, sorted by key, from the counters of emit(), to
 * fp, which the caller opened and closes. */
static int truth_write(const struct gen *g, FILE *fp)
{
	struct truth_ent *ent;
	uint32_t i;
	int rc = 0;

	ent = malloc((size_t)g->nflows * sizeof(*ent));
	if (ent == NULL)
		return -ENOMEM;
	for (i = 0; i < g->nflows; i++) {
		ent[i].f = &g->flows[i];
		ent[i].prefix = truth_prefix(&g->flows[i]);
	}
	qsort(ent, g->nflows, sizeof(*ent), truth_cmp);

	fprintf(fp, "# ipver src dst proto sport dport tos packets bytes "
	    "first_ms last_ms (bytes: sum of IP total lengths; ms: Unix epoch, "
	    "floor(usec/1000); ICMP: sport 0, dport type<<8|code)\n");
	for (i = 0; i < g->nflows; i++) {
		const struct flow *f = ent[i].f;
		char line[2 * INET6_ADDRSTRLEN + 8 * 21 + 8], *p = line;

		/* Sorted order visits the flows at random: ask early. */
		if (i + 64 < g->nflows)
			__builtin_prefetch(ent[i + 64].f);
		p = put_dec(p, f->ipver);
		p = put_addr(p, f, f->src);
		p = put_addr(p, f, f->dst);
		p = put_dec(p, f->proto);
		p = put_dec(p, f->sport);
		p = put_dec(p, f->dport);
		p = put_dec(p, f->tos);
		p = put_dec(p, f->sent);
		p = put_dec(p, f->octets);
		p = put_dec(p, f->first_us / 1000);
		p = put_dec(p, f->last_us / 1000);
		p[-1] = '\n';
		fwrite(line, 1, (size_t)(p - line), fp);
	}
	if (fflush(fp) == EOF || ferror(fp))
		rc = errno ? -errno : -EIO;
	free(ent);
	return rc;
}

/* --- options ------------------------------------------------------------- */

static void usage(FILE *fp)
{
	fprintf(fp,
	    "usage: " PROG " -o OUT.pcap [-t TRUTH.txt] [--flows N]\n"
	    "         [--packets M] [--seed S] [--zipf S] [--ipv6 FRAC]\n"
	    "         [--vlan FRAC] [--duration SECONDS]\n"
	    "         [--start EPOCH_SECONDS] [--sizes LEN:WEIGHT,...]\n"
	    "         [--snaplen N] [--tcp FRAC] [--udp FRAC]\n"
	    "         [--fin | --no-fin] [--churn [--alive N]]\n"
	    "         [--replies FRAC]\n"
	    "defaults: --flows 1000 --packets 100000 --seed 1 --zipf 1.0\n"
	    "  --ipv6 0.2 --vlan 0.1 --duration 60 --start 1767225600\n"
	    "  --sizes 64:0.5,576:0.2,1500:0.3 --snaplen 128 --tcp 0.6\n"
	    "  --udp 0.3 --fin --alive 2000 --replies 0; '-' as a path is\n"
	    "  stdout\n"
	    "--replies FRAC: that share of the TCP and UDP flows also gets\n"
	    "  its reverse flow (addresses and ports swapped), 1..as many\n"
	    "  packets, each 1-50 ms after a forward packet, ending with it;\n"
	    "  --flows and --packets count the forward flows only\n");
}

static int parse_u64(const char *opt, const char *s, uint64_t min,
    uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (end == s || *end != '\0' || errno || *s == '-' || v < min ||
	    v > max) {
		fprintf(stderr, PROG ": %s: '%s' is not an integer in "
		    "%" PRIu64 "..%" PRIu64 "\n", opt, s, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_double(const char *opt, const char *s, double min,
    double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || errno || !(v >= min && v <= max)) {
		fprintf(stderr, PROG ": %s: '%s' is not a number in %g..%g\n",
		    opt, s, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

enum {
	OPT_FLOWS = 256,
	OPT_PACKETS,
	OPT_SEED,
	OPT_ZIPF,
	OPT_IPV6,
	OPT_VLAN,
	OPT_DURATION,
	OPT_START,
	OPT_SIZES,
	OPT_SNAPLEN,
	OPT_TCP,
	OPT_UDP,
	OPT_FIN,
	OPT_NO_FIN,
	OPT_CHURN,
	OPT_ALIVE,
	OPT_REPLIES,
};

static int opts_parse(struct opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "truth", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "flows", required_argument, NULL, OPT_FLOWS },
		{ "packets", required_argument, NULL, OPT_PACKETS },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "zipf", required_argument, NULL, OPT_ZIPF },
		{ "ipv6", required_argument, NULL, OPT_IPV6 },
		{ "vlan", required_argument, NULL, OPT_VLAN },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "start", required_argument, NULL, OPT_START },
		{ "sizes", required_argument, NULL, OPT_SIZES },
		{ "snaplen", required_argument, NULL, OPT_SNAPLEN },
		{ "tcp", required_argument, NULL, OPT_TCP },
		{ "udp", required_argument, NULL, OPT_UDP },
		{ "fin", no_argument, NULL, OPT_FIN },
		{ "no-fin", no_argument, NULL, OPT_NO_FIN },
		{ "churn", no_argument, NULL, OPT_CHURN },
		{ "alive", required_argument, NULL, OPT_ALIVE },
		{ "replies", required_argument, NULL, OPT_REPLIES },
		{ NULL, 0, NULL, 0 },
	};
	double dur = 60;
	int ch, rc = 0;

	memset(o, 0, sizeof(*o));
	o->flows = 1000;
	o->packets = 100000;
	o->seed = 1;
	o->zipf = 1.0;
	o->ipv6 = 0.2;
	o->vlan = 0.1;
	o->tcp = 0.6;
	o->udp = 0.3;
	o->start_s = 1767225600;
	o->snaplen = 128;
	o->alive = 2000;
	o->fin = true;
	mix_parse(&o->mix, "64:0.5,576:0.2,1500:0.3");

	while (rc == 0 &&
	    (ch = getopt_long(argc, argv, "o:t:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			o->out_path = optarg;
			break;
		case 't':
			o->truth_path = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case OPT_FLOWS:
			rc = parse_u64("--flows", optarg, 1, FLOWS_MAX,
			    &o->flows);
			break;
		case OPT_PACKETS:
			rc = parse_u64("--packets", optarg, 1, UINT32_MAX,
			    &o->packets);
			break;
		case OPT_SEED:
			rc = parse_u64("--seed", optarg, 0, UINT64_MAX,
			    &o->seed);
			break;
		case OPT_ZIPF:
			rc = parse_double("--zipf", optarg, 0, 100, &o->zipf);
			break;
		case OPT_IPV6:
			rc = parse_double("--ipv6", optarg, 0, 1, &o->ipv6);
			break;
		case OPT_VLAN:
			rc = parse_double("--vlan", optarg, 0, 1, &o->vlan);
			break;
		case OPT_DURATION:
			/* 30 days at most keeps the pcap seconds in 32 bits. */
			rc = parse_double("--duration", optarg, 1e-6,
			    86400 * 30, &dur);
			break;
		case OPT_START:
			rc = parse_u64("--start", optarg, 0,
			    UINT32_MAX - 86400 * 30 - 1, &o->start_s);
			break;
		case OPT_SIZES:
			if (mix_parse(&o->mix, optarg) < 0) {
				fprintf(stderr, PROG ": --sizes: '%s' is not "
				    "LEN:WEIGHT[,LEN:WEIGHT]... with LEN in "
				    "20..65535, weights >= 0 not all zero, at "
				    "most %d entries\n", optarg, MIX_MAX);
				rc = -EINVAL;
			}
			break;
		case OPT_SNAPLEN:
			rc = parse_u64("--snaplen", optarg, 1, SNAPLEN_MAX,
			    &o->snaplen);
			break;
		case OPT_TCP:
			rc = parse_double("--tcp", optarg, 0, 1, &o->tcp);
			break;
		case OPT_UDP:
			rc = parse_double("--udp", optarg, 0, 1, &o->udp);
			break;
		case OPT_FIN:
			o->fin = true;
			break;
		case OPT_NO_FIN:
			o->fin = false;
			break;
		case OPT_CHURN:
			o->churn = true;
			break;
		case OPT_ALIVE:
			rc = parse_u64("--alive", optarg, 1, FLOWS_MAX,
			    &o->alive);
			break;
		case OPT_REPLIES:
			rc = parse_double("--replies", optarg, 0, 1,
			    &o->replies);
			break;
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (rc < 0)
		return rc;
	if (optind != argc) {
		fprintf(stderr, PROG ": unexpected argument '%s'\n",
		    argv[optind]);
		return -EINVAL;
	}
	if (o->out_path == NULL) {
		fprintf(stderr, PROG ": -o OUT.pcap is required\n");
		usage(stderr);
		return -EINVAL;
	}
	if (o->tcp + o->udp > 1.0 + 1e-9) {
		fprintf(stderr, PROG ": --tcp %g plus --udp %g is more "
		    "than 1\n", o->tcp, o->udp);
		return -EINVAL;
	}
	if (o->packets < o->flows) {
		fprintf(stderr, PROG ": --packets %" PRIu64 " is less than "
		    "--flows %" PRIu64 ": every flow needs a packet\n",
		    o->packets, o->flows);
		return -EINVAL;
	}
	o->duration_us = (uint64_t)llround(dur * 1e6);
	if (o->duration_us == 0)
		o->duration_us = 1;
	return 0;
}

/* --- main ---------------------------------------------------------------- */

int main(int argc, char **argv)
{
	struct opts o;
	struct gen g;
	struct timespec t0, t1;
	FILE *truth = NULL;
	bool to_stdout;
	int rc;

	if (opts_parse(&o, argc, argv) < 0)
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &t0);

	memset(&g, 0, sizeof(g));
	g.o = &o;
	g.nflows = (uint32_t)o.flows;
	g.nfwd = g.nflows;
	g.start_us = o.start_s * 1000000;
	rng_init(&g.rng_sizes, o.seed, RNG_SIZES);
	rng_init(&g.rng_rsizes, o.seed, RNG_REPLY_SIZES);
	g.flows = calloc(g.nflows, sizeof(*g.flows));
	g.out.cap = OUTBUF_SIZE + 16 + (size_t)o.snaplen;
	g.out.buf = malloc(g.out.cap);
	if (g.flows == NULL || g.out.buf == NULL) {
		fprintf(stderr, PROG ": out of memory\n");
		rc = -ENOMEM;
		goto out_free;
	}

	rc = keys_generate(g.flows, g.nflows, &o);
	if (rc < 0) {
		fprintf(stderr, PROG ": could not draw %u distinct flow keys: "
		    "%s\n", g.nflows, strerror(-rc));
		goto out_free;
	}
	rc = counts_assign(g.flows, g.nflows, o.packets, o.zipf, o.seed);
	if (rc < 0) {
		fprintf(stderr, PROG ": packet counts: %s\n", strerror(-rc));
		goto out_free;
	}
	rc = replies_assign(&g, o.replies, o.seed);
	if (rc < 0) {
		fprintf(stderr, PROG ": replies: %s\n", strerror(-rc));
		goto out_free;
	}

	/* Both files are opened before the long part, to fail early. */
	if (o.truth_path != NULL) {
		truth = strcmp(o.truth_path, "-") == 0 ? stdout :
		    fopen(o.truth_path, "w");
		if (truth == NULL) {
			rc = -errno;
			fprintf(stderr, PROG ": %s: %s\n", o.truth_path,
			    strerror(errno));
			goto out_free;
		}
	}
	to_stdout = strcmp(o.out_path, "-") == 0;
	g.out.fp = to_stdout ? stdout : fopen(o.out_path, "wb");
	if (g.out.fp == NULL) {
		rc = -errno;
		fprintf(stderr, PROG ": %s: %s\n", o.out_path, strerror(errno));
		goto out_truth;
	}
	pcap_write_header(&g.out, (uint32_t)o.snaplen);
	rc = o.churn ? layout_churn(&g) : layout_shuffled(&g);
	out_flush(&g.out);
	if (to_stdout) {
		if (fflush(stdout) == EOF && !g.out.failed) {
			g.out.failed = true;
			g.out.err = errno;
		}
	} else if (fclose(g.out.fp) == EOF && !g.out.failed) {
		g.out.failed = true;
		g.out.err = errno;
	}
	if (rc < 0) {
		fprintf(stderr, PROG ": packet layout: %s\n", strerror(-rc));
		goto out_truth;
	}
	if (g.out.failed) {
		rc = -g.out.err;
		fprintf(stderr, PROG ": %s: %s\n", o.out_path,
		    strerror(g.out.err));
		goto out_truth;
	}

	if (truth != NULL) {
		rc = truth_write(&g, truth);
		if (truth != stdout && fclose(truth) == EOF && rc == 0)
			rc = -errno;
		truth = NULL;
		if (rc < 0) {
			fprintf(stderr, PROG ": %s: %s\n", o.truth_path,
			    strerror(-rc));
			goto out_free;
		}
	}

	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (g.nflows > g.nfwd)
		fprintf(stderr, PROG ": %u of the flows are replies\n",
		    g.nflows - g.nfwd);
	fprintf(stderr, PROG ": %u flows, %" PRIu64 " packets, %" PRIu64
	    " bytes, file %" PRIu64 " bytes, %.2f s\n", g.nflows, g.pkts,
	    g.octets, g.out.written, (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	rc = 0;
out_truth:
	if (truth != NULL && truth != stdout)
		fclose(truth);
out_free:
	free(g.pend);
	free(g.out.buf);
	free(g.flows);
	return rc < 0 ? 1 : 0;
}
