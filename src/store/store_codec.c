/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * store_codec: column transforms of a block (see store_codec.h).  The
 * encoder writes into a buffer sized by store_col_raw_max(), so it needs
 * no bounds checks, and keeps its hash tables in a struct store_enc made
 * once per writer; the decoder reads untrusted bytes (a file may be
 * damaged) through a bounded reader with a sticky error, and every stream
 * must hold exactly the block's record count.  Decoding a column is a
 * few passes of straight loops over byte planes: no per-record branches
 * beyond a dictionary lookup.
 */
#include "store_codec.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "wire_cursor.h"

/* ---- CRC-32C, bytewise table: only metadata is checksummed ------------- */

/* Built once per process (pthread_once), read-only afterwards: a constant
 * in all but spelling. */
static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
	uint32_t c;
	unsigned i, k;

	for (i = 0; i < 256; i++) {
		c = i;
		for (k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
		crc_table[i] = c;
	}
}

uint32_t store_crc32c(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	(void)pthread_once(&crc_once, crc_init);
	crc = ~crc;
	while (len-- > 0)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* ---- shared ------------------------------------------------------------- */

/* Short forms of an address in a dictionary: all zero, IPv4 (bytes 4..15
 * zero), full. */
#define ADDR_ZERO 0
#define ADDR_SHORT 4
#define ADDR_FULL 16

/* Ports seen at least this often in a block go into its port dictionary
 * (at most PORT_DICT_MAX of them): below that an entry costs more than
 * the literals it replaces. */
#define PORT_DICT_MIN 16
/* dict_build's table starts with this many slots (a power of two). */
#define DICT_SLOTS_MIN 256
#define PORT_DICT_MAX 255

/* Row widths of the small columns coded through the generic dictionary. */
#define ROW_PAIR 2			/* PROTO, TOS_FLAGS, MASKS */
#define ROW_IFACES 8			/* in_if, out_if: be32 each */
#define ROW_EXP 16			/* idx, sampling, vlan, 4 bytes */
#define ROW_MACS 12			/* src, dst MAC */

/* TIMES stream modes. */
#define TIMES_OFFSET 0			/* last_ms - base (the block's min) */
#define TIMES_DELTA 1			/* zigzag(last_ms - previous last_ms) */

static uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* Bytes needed for v: 0 for 0, up to 8. */
static unsigned width_of(uint64_t v)
{
	unsigned w = 0;

	while (v != 0) {
		w++;
		v >>= 8;
	}
	return w;
}

/* ---- encoder ------------------------------------------------------------ */

struct store_enc {
	size_t cap;
	uint8_t (*rows)[16];		/* record i's value, zero padded */
	uint32_t *id;			/* record i's entry, first-use order */
	uint32_t *first;		/* entry's first record */
	uint32_t *cnt;			/* entry's occurrences */
	uint32_t *code;			/* 0: seen once, else 1 + rank */
	uint32_t *order;		/* dictionary order of entries */
	uint32_t *ht;			/* open addressing: entry + 1 */
	size_t ht_mask;
	/* dict_build's table: entry + 1 and 32 bits of its hash, so a
	 * probe that misses rarely has to look at the value itself. */
	uint64_t *dt;
	uint64_t *v[3];			/* values before they become planes */
	uint8_t *plane;			/* one plane before packing */
	uint64_t vals[256];		/* put_planes' dictionary */
	uint32_t *port_cnt;		/* 65536, zero between blocks */
	uint8_t *port_code;		/* 65536, zero between blocks */
	/* store_enc_block(): the block's pairs and the other records. */
	const struct tflow_record *blk;
	size_t blk_n, nkeep;
	uint32_t *pair;			/* 0, or distance to the partner */
	uint32_t *keep;			/* indices of unpaired records */
	/* enc_addr: the dictionary's kinds, short and full entries. */
	uint8_t *kinds, *dshort, (*dfull)[16];
	/* store_enc_block(): the block's fields, one array each, so that
	 * each column's passes read dense memory instead of striding over
	 * 152-byte records (every column pass was a cache miss a record). */
	uint8_t (*src)[16], (*dst)[16], (*nh)[16];
	uint8_t (*exprow)[16];		/* EXPORTER row less the index */
	uint8_t (*macrow)[16];		/* src, dst MAC, zero padded */
	uint16_t *sp, *dp;
	uint8_t *proto, *ipv, *tos, *flags, *smask, *dmask;
	uint32_t *in_if, *out_if;
	uint64_t *first_ms, *last_ms, *pk, *oct;
};

void store_enc_free(struct store_enc *e)
{
	size_t k;

	if (e == NULL)
		return;
	free(e->rows);
	free(e->id);
	free(e->first);
	free(e->cnt);
	free(e->code);
	free(e->order);
	free(e->ht);
	free(e->dt);
	for (k = 0; k < 3; k++)
		free(e->v[k]);
	free(e->plane);
	free(e->port_cnt);
	free(e->port_code);
	free(e->pair);
	free(e->keep);
	free(e->kinds);
	free(e->dshort);
	free(e->dfull);
	free(e->src);
	free(e->dst);
	free(e->nh);
	free(e->exprow);
	free(e->macrow);
	free(e->sp);
	free(e->dp);
	free(e->proto);
	free(e->ipv);
	free(e->tos);
	free(e->flags);
	free(e->smask);
	free(e->dmask);
	free(e->in_if);
	free(e->out_if);
	free(e->first_ms);
	free(e->last_ms);
	free(e->pk);
	free(e->oct);
	free(e);
}

struct store_enc *store_enc_new(size_t cap)
{
	struct store_enc *e;
	size_t hs = 1024, k, n = cap != 0 ? cap : 1;

	/* Load factor at most one half: probes stay short.  put_planes
	 * uses the first 1024 entries for its own table. */
	while (hs < 2 * n)
		hs <<= 1;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->cap = n;
	e->ht_mask = hs - 1;
	e->rows = malloc(n * sizeof(*e->rows));
	e->id = malloc(n * sizeof(*e->id));
	e->first = malloc(n * sizeof(*e->first));
	e->cnt = malloc(n * sizeof(*e->cnt));
	e->code = malloc(n * sizeof(*e->code));
	e->order = malloc(n * sizeof(*e->order));
	e->ht = malloc(hs * sizeof(*e->ht));
	e->dt = malloc(hs * sizeof(*e->dt));
	for (k = 0; k < 3; k++)
		e->v[k] = malloc(n * sizeof(*e->v[k]));
	e->plane = malloc(n);
	e->port_cnt = calloc(65536, sizeof(*e->port_cnt));
	e->port_code = calloc(65536, sizeof(*e->port_code));
	e->pair = malloc(n * sizeof(*e->pair));
	e->keep = malloc(n * sizeof(*e->keep));
	e->kinds = malloc(n);
	e->dshort = malloc(4 * n);
	e->dfull = malloc(n * sizeof(*e->dfull));
	e->src = malloc(n * sizeof(*e->src));
	e->dst = malloc(n * sizeof(*e->dst));
	e->nh = malloc(n * sizeof(*e->nh));
	e->exprow = malloc(n * sizeof(*e->exprow));
	e->macrow = malloc(n * sizeof(*e->macrow));
	e->sp = malloc(n * sizeof(*e->sp));
	e->dp = malloc(n * sizeof(*e->dp));
	e->proto = malloc(n);
	e->ipv = malloc(n);
	e->tos = malloc(n);
	e->flags = malloc(n);
	e->smask = malloc(n);
	e->dmask = malloc(n);
	e->in_if = malloc(n * sizeof(*e->in_if));
	e->out_if = malloc(n * sizeof(*e->out_if));
	e->first_ms = malloc(n * sizeof(*e->first_ms));
	e->last_ms = malloc(n * sizeof(*e->last_ms));
	e->pk = malloc(n * sizeof(*e->pk));
	e->oct = malloc(n * sizeof(*e->oct));
	if (e->pair == NULL || e->keep == NULL || e->kinds == NULL ||
	    e->dshort == NULL || e->dfull == NULL || e->src == NULL ||
	    e->dst == NULL || e->nh == NULL || e->exprow == NULL ||
	    e->macrow == NULL || e->sp == NULL || e->dp == NULL ||
	    e->proto == NULL || e->ipv == NULL || e->tos == NULL ||
	    e->flags == NULL || e->smask == NULL || e->dmask == NULL ||
	    e->in_if == NULL || e->out_if == NULL || e->first_ms == NULL ||
	    e->last_ms == NULL || e->pk == NULL || e->oct == NULL ||
	    e->rows == NULL || e->id == NULL || e->first == NULL ||
	    e->cnt == NULL || e->code == NULL || e->order == NULL ||
	    e->ht == NULL || e->dt == NULL || e->v[0] == NULL || e->v[1] == NULL ||
	    e->v[2] == NULL || e->plane == NULL || e->port_cnt == NULL ||
	    e->port_code == NULL) {
		store_enc_free(e);
		errno = ENOMEM;
		return NULL;
	}
	return e;
}

static uint8_t *put_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

/*
 * One byte plane: PLANE_RAW and n bytes; or, when it holds at most 16
 * distinct values, their table and an index of 0, 1, 2 or 4 bits per
 * entry, packed LSB first.  zstd's Huffman stage spends at least a bit
 * on every byte, so a plane of two values (IPv4 or not, TCP or UDP)
 * would cost 8 times its entropy; packed, it costs about that.
 */
#define PLANE_RAW 8
/* What a column's packed-plane headers can add: up to 40 planes of 18
 * bytes at most. */
#define PLANES_MAX (40 * 18)
static uint8_t *put_plane8(uint8_t *p, const uint8_t *v, size_t n)
{
	uint8_t code[256], tab[16];
	uint32_t h[256], hh[4][256];
	unsigned b, k = 0, x;
	size_t i, j;

	/* Four histograms: runs of one value (the common case) would
	 * otherwise wait on their own counter's store each time. */
	memset(hh, 0, sizeof(hh));
	for (i = 0; i + 4 <= n; i += 4) {
		hh[0][v[i]]++;
		hh[1][v[i + 1]]++;
		hh[2][v[i + 2]]++;
		hh[3][v[i + 3]]++;
	}
	for (; i < n; i++)
		hh[0][v[i]]++;
	for (x = 0; x < 256; x++)
		h[x] = hh[0][x] + hh[1][x] + hh[2][x] + hh[3][x];
	for (x = 0; x < 256; x++) {
		if (h[x] == 0)
			continue;
		if (k == 16)
			break;
		code[x] = (uint8_t)k;
		tab[k++] = (uint8_t)x;
	}
	if (x < 256 || n == 0) {
		*p++ = PLANE_RAW;
		memcpy(p, v, n);
		return p + n;
	}
	b = k == 1 ? 0 : k <= 2 ? 1 : k <= 4 ? 2 : 4;
	*p++ = (uint8_t)b;
	*p++ = (uint8_t)k;
	memcpy(p, tab, k);
	p += k;
	if (b == 0)
		return p;
	memset(p, 0, (n * b + 7) / 8);
	for (i = 0, j = 0; i < n; i++, j += b)
		p[j / 8] |= (uint8_t)(code[v[i]] << (j % 8));
	return p + (n * b + 7) / 8;
}

/* The w planes of v[0..n), most significant first. */
static uint8_t *put_raw_planes(struct store_enc *e, uint8_t *p,
			       const uint64_t *v, size_t n, unsigned w)
{
	unsigned k, shift;
	size_t i;

	for (k = 0; k < w; k++) {
		shift = 8 * (w - 1 - k);
		for (i = 0; i < n; i++)
			e->plane[i] = (uint8_t)(v[i] >> shift);
		p = put_plane8(p, e->plane, n);
	}
	return p;
}

/*
 * v[0..n), values of w bytes.  With w >= 2 a mode byte first: VALS_PLANES
 * and the w planes; or, when the block holds at most VALS_DICT_MAX
 * distinct values (packet sizes, a few durations), VALS_DICT, their
 * count - 1, the values as w planes and one plane of indexes: the planes
 * of a value lose what its bytes say about each other, one index keeps
 * it.
 */
#define VALS_PLANES 0
#define VALS_DICT 1
#define VALS_DICT_MAX 256
static uint8_t *put_planes(struct store_enc *e, uint8_t *p,
			   const uint64_t *v, size_t n, unsigned w)
{
	uint64_t *tab = e->vals;
	uint32_t *ht = e->ht;
	size_t i, k = 0, s;
	uint32_t id;

	if (w < 2)
		return put_raw_planes(e, p, v, n, w);
	/* A small table (the dictionary's, free here): entry + 1. */
	memset(ht, 0, 1024 * sizeof(*ht));
	for (i = 0; i < n && k <= VALS_DICT_MAX; i++) {
		s = (size_t)((v[i] * 0x9e3779b97f4a7c15ULL) >> 54);
		while ((id = ht[s]) != 0 && tab[id - 1] != v[i])
			s = (s + 1) & 1023;
		if (id == 0) {
			if (k == VALS_DICT_MAX) {
				k++;
				break;
			}
			tab[k] = v[i];
			ht[s] = (uint32_t)++k;
			id = (uint32_t)k;
		}
		e->plane[i] = (uint8_t)(id - 1);
	}
	if (k > VALS_DICT_MAX || n == 0) {
		*p++ = VALS_PLANES;
		return put_raw_planes(e, p, v, n, w);
	}
	*p++ = VALS_DICT;
	*p++ = (uint8_t)(k - 1);
	p = put_plane8(p, e->plane, n);
	return put_raw_planes(e, p, tab, k, w);
}

/* log2(x) for x >= 1, to within a few hundredths: enough to compare
 * two layouts' entropy without libm. */
static double approx_log2(uint32_t x)
{
	unsigned e = 31 - (unsigned)__builtin_clz(x);
	double m = (double)x / (double)(1u << e);

	/* log2(m) on [1, 2): a quadratic through 1, 1.5 and 2. */
	return e + (m - 1) * (1.3465 - 0.3465 * (m - 1));
}

/* Order-0 entropy of w byte planes of v[0..n), in bits: what zstd's
 * Huffman stage would roughly pay for them. */
static double plane_bits(const uint64_t *v, size_t n, unsigned w)
{
	uint32_t h[256];
	double bits = 0;
	unsigned k, b;
	size_t i;

	for (k = 0; k < w; k++) {
		memset(h, 0, sizeof(h));
		for (i = 0; i < n; i++)
			h[(uint8_t)(v[i] >> (8 * k))]++;
		for (b = 0; b < 256; b++)
			if (h[b] != 0)
				bits += h[b] * (approx_log2((uint32_t)n) -
						approx_log2(h[b]));
	}
	return bits;
}

static uint64_t hash128(uint64_t a, uint64_t b)
{
	uint64_t h = a * 0x9e3779b97f4a7c15ULL + b;

	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return h ^ h >> 32;
}

static uint64_t row_hash(const uint8_t r[16])
{
	uint64_t a, b;

	memcpy(&a, r, 8);
	memcpy(&b, r + 8, 8);
	return hash128(a, b);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The distinct values of e->rows[0..n) and their order in the block's
 * dictionary: values seen more than once first, most frequent first
 * (ties: first use), each coded by 1 + its rank; then the values seen
 * once, in the order of use, all coded 0 -- a record that uses one takes
 * the next.  Sets e->id, cnt, code, order; returns the number of values,
 * and the number seen more than once in *nmulti.
 */
static size_t dict_build(struct store_enc *e, size_t n, size_t *nmulti)
{
	uint64_t *key = e->v[0], h, x;
	size_t i, s, nd = 0, nm = 0, k, mask;
	uint32_t id;

	/* The table starts small and doubles when half full: a column of
	 * a few values (protocols, interfaces, the exporter) stays in L1,
	 * and only the address columns grow it to their size. */
	mask = e->ht_mask < DICT_SLOTS_MIN - 1 ? e->ht_mask :
	    DICT_SLOTS_MIN - 1;
	memset(e->dt, 0, (mask + 1) * sizeof(*e->dt));
	for (i = 0; i < n; i++) {
		/* Runs (one exporter, one next hop, a flow's two records)
		 * skip the hash. */
		if (i != 0 && memcmp(e->rows[i - 1], e->rows[i], 16) == 0) {
			id = e->id[i - 1];
			e->cnt[id]++;
			e->id[i] = id;
			continue;
		}
		if (2 * nd >= mask && mask < e->ht_mask) {
			mask = 2 * mask + 1;
			memset(e->dt, 0, (mask + 1) * sizeof(*e->dt));
			for (id = 0; id < nd; id++) {
				h = row_hash(e->rows[e->first[id]]);
				s = h & mask;
				while (e->dt[s] != 0)
					s = (s + 1) & mask;
				e->dt[s] = (h & ~0xffffffffULL) | (id + 1u);
			}
		}
		h = row_hash(e->rows[i]);
		s = h & mask;
		for (;;) {
			x = e->dt[s];
			if (x == 0) {
				id = (uint32_t)nd++;
				e->dt[s] = (h & ~0xffffffffULL) | (id + 1u);
				e->first[id] = (uint32_t)i;
				e->cnt[id] = 0;
				break;
			}
			id = (uint32_t)x - 1;
			if ((x ^ h) >> 32 == 0 &&
			    memcmp(e->rows[e->first[id]], e->rows[i], 16) == 0)
				break;
			s = (s + 1) & mask;
		}
		e->cnt[id]++;
		e->id[i] = id;
	}
	for (id = 0; id < nd; id++)
		if (e->cnt[id] > 1)
			key[nm++] = (uint64_t)(UINT32_MAX - e->cnt[id]) << 32 |
			    id;
	qsort(key, nm, sizeof(*key), cmp_u64);
	for (k = 0; k < nm; k++) {
		id = (uint32_t)key[k];
		e->order[k] = id;
		e->code[id] = (uint32_t)k + 1;
	}
	for (id = 0; id < nd; id++)
		if (e->cnt[id] == 1) {
			e->order[k++] = id;
			e->code[id] = 0;
		}
	*nmulti = nm;
	return nd;
}

/* The codes of the records, width_of(nmulti) planes. */
static uint8_t *put_codes(struct store_enc *e, size_t n, size_t nm,
			  uint8_t *p)
{
	unsigned w = width_of(nm), k, shift;
	size_t i;

	for (k = 0; k < w; k++) {
		shift = 8 * (w - 1 - k);
		for (i = 0; i < n; i++)
			e->plane[i] = (uint8_t)(e->code[e->id[i]] >> shift);
		p = put_plane8(p, e->plane, n);
	}
	return p;
}

/*
 * Pairs.  An exporter that sees both directions of a conversation (a
 * router counting ingress on every interface) sends two records with the
 * same addresses, ports and protocol, swapped; an LRU exporter sends them
 * close together, as they end at about the same time.  The second costs
 * only the distance back to the first in the PAIRS column; the address,
 * port and protocol streams skip it.  Per block, so a block still decodes
 * on its own.
 */
static uint64_t flow_hash(const uint8_t a[16], const uint8_t b[16],
			  uint16_t pa, uint16_t pb, uint8_t proto)
{
	uint64_t h = row_hash(a) * 0x9e3779b97f4a7c15ULL ^ row_hash(b);

	h += (uint64_t)pa << 24 | (uint64_t)pb << 8 | proto;
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ULL;
	return h ^ h >> 29;
}

/* Record x's key (src, dst, sport, dport) is record y's reversed. */
static bool is_reverse(const struct store_enc *e, size_t x, size_t y)
{
	return e->proto[x] == e->proto[y] && e->ipv[x] == e->ipv[y] &&
	    e->sp[x] == e->dp[y] && e->dp[x] == e->sp[y] &&
	    memcmp(e->src[x], e->dst[y], 16) == 0 &&
	    memcmp(e->dst[x], e->src[y], 16) == 0;
}

static bool same_key(const struct store_enc *e, size_t x, size_t y)
{
	return e->proto[x] == e->proto[y] && e->ipv[x] == e->ipv[y] &&
	    e->sp[x] == e->sp[y] && e->dp[x] == e->dp[y] &&
	    memcmp(e->src[x], e->src[y], 16) == 0 &&
	    memcmp(e->dst[x], e->dst[y], 16) == 0;
}

/* The block's fields into e's arrays: the one pass over the records. */
static void enc_transpose(struct store_enc *e, const struct tflow_record *recs,
			  size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct tflow_record *r = &recs[i];
		uint8_t *w = e->exprow[i];

		memcpy(e->src[i], r->src_addr, 16);
		memcpy(e->dst[i], r->dst_addr, 16);
		memcpy(e->nh[i], r->next_hop, 16);
		e->sp[i] = r->src_port;
		e->dp[i] = r->dst_port;
		e->proto[i] = r->proto;
		e->ipv[i] = r->ip_version;
		e->tos[i] = r->tos;
		e->flags[i] = r->tcp_flags;
		e->smask[i] = r->src_mask;
		e->dmask[i] = r->dst_mask;
		e->in_if[i] = r->in_if;
		e->out_if[i] = r->out_if;
		e->first_ms[i] = r->first_ms;
		e->last_ms[i] = r->last_ms;
		e->pk[i] = r->packets;
		e->oct[i] = r->octets;
		w[0] = w[1] = 0;	/* the exporter index: at encode */
		wire_store_be32(w + 2, r->sampling_packets);
		wire_store_be32(w + 6, r->sampling_space);
		wire_store_be16(w + 10, r->vlan);
		w[12] = r->end_reason;
		w[13] = r->time_estimated;
		w[14] = r->ttl_min;
		w[15] = r->ttl_max;
		memcpy(e->macrow[i], r->src_mac, 6);
		memcpy(e->macrow[i] + 6, r->dst_mac, 6);
		memset(e->macrow[i] + 12, 0, 4);
	}
}

void store_enc_block(struct store_enc *e, const struct tflow_record *recs,
		     size_t n)
{
	size_t i, s;
	uint32_t j;

	e->blk = recs;
	e->blk_n = n;
	e->nkeep = 0;
	if (n > e->cap)
		return;
	enc_transpose(e, recs, n);
	/* e->ht maps a key to its latest record + 1; dict_build clears it
	 * again for itself. */
	memset(e->ht, 0, (e->ht_mask + 1) * sizeof(*e->ht));
	for (i = 0; i < n; i++) {
		e->pair[i] = 0;
		s = flow_hash(e->dst[i], e->src[i], e->dp[i], e->sp[i],
			      e->proto[i]) & e->ht_mask;
		while ((j = e->ht[s]) != 0) {
			if (is_reverse(e, i, j - 1)) {
				e->pair[i] = (uint32_t)(i - (j - 1));
				break;
			}
			s = (s + 1) & e->ht_mask;
		}
		if (e->pair[i] == 0)
			e->keep[e->nkeep++] = (uint32_t)i;
		s = flow_hash(e->src[i], e->dst[i], e->sp[i], e->dp[i],
			      e->proto[i]) & e->ht_mask;
		while ((j = e->ht[s]) != 0 && !same_key(e, i, j - 1))
			s = (s + 1) & e->ht_mask;
		e->ht[s] = (uint32_t)i + 1;
	}
}

static uint8_t *enc_pairs(struct store_enc *e, size_t n, uint8_t *p)
{
	uint64_t *d = e->v[0], m = 0;
	unsigned w;
	size_t i;

	for (i = 0; i < n; i++) {
		d[i] = e->pair[i];
		m |= d[i];
	}
	w = width_of(m);
	p = put_varint(p, n - e->nkeep);
	*p++ = (uint8_t)w;
	return put_planes(e, p, d, n, w);
}

/* Dictionary stream of rows of K bytes: nd, nmulti (varints), the
 * dictionary as K planes, the codes. */
static uint8_t *enc_rows(struct store_enc *e, size_t n, unsigned K,
			 uint8_t *p)
{
	size_t nd, nm, j;
	unsigned k;

	nd = dict_build(e, n, &nm);
	p = put_varint(p, nd);
	p = put_varint(p, nm);
	for (k = 0; k < K; k++) {
		for (j = 0; j < nd; j++)
			e->plane[j] = e->rows[e->first[e->order[j]]][k];
		p = put_plane8(p, e->plane, nd);
	}
	return put_codes(e, n, nm, p);
}

static uint8_t addr_kind(const uint8_t a[16])
{
	static const uint8_t zero[16];

	if (memcmp(a + 4, zero, 12) != 0)
		return ADDR_FULL;
	return memcmp(a, zero, 4) == 0 ? ADDR_ZERO : ADDR_SHORT;
}

/* Dictionary stream of addresses: nd, nmulti, the dictionary as a kind
 * per entry, the short ones as 4 planes, the full ones as 16; the codes. */
static uint8_t *enc_addr(struct store_enc *e, size_t n, uint8_t *p)
{
	uint8_t *kinds = e->kinds, *sh = e->dshort, (*fu)[16] = e->dfull;
	size_t nd, nm, j, ns = 0, nf = 0;
	unsigned k;

	nd = dict_build(e, n, &nm);
	p = put_varint(p, nd);
	p = put_varint(p, nm);
	/* One pass gathers the dictionary in order, the short ones as 4
	 * bytes and the full ones as 16, so each plane below is a
	 * sequential read. */
	for (j = 0; j < nd; j++) {
		const uint8_t *a = e->rows[e->first[e->order[j]]];

		kinds[j] = addr_kind(a);
		if (kinds[j] == ADDR_SHORT)
			memcpy(sh + 4 * ns++, a, 4);
		else if (kinds[j] == ADDR_FULL)
			memcpy(fu[nf++], a, 16);
	}
	p = put_plane8(p, kinds, nd);
	for (k = 0; k < ADDR_SHORT; k++) {
		for (j = 0; j < ns; j++)
			e->plane[j] = sh[4 * j + k];
		p = put_plane8(p, e->plane, ns);
	}
	for (k = 0; k < ADDR_FULL; k++) {
		for (j = 0; j < nf; j++)
			e->plane[j] = fu[j][k];
		p = put_plane8(p, e->plane, nf);
	}
	return put_codes(e, n, nm, p);
}

static uint8_t *enc_times(struct store_enc *e, size_t n, uint8_t *p)
{
	const uint64_t *last = e->last_ms, *first = e->first_ms;
	uint64_t *off = e->v[0], *delta = e->v[1], *dur = e->v[2];
	uint64_t base = UINT64_MAX, moff = 0, mdelta = 0, mdur = 0, prev;
	unsigned wo, wd;
	size_t i;
	int mode;

	for (i = 0; i < n; i++)
		base = last[i] < base ? last[i] : base;
	prev = n != 0 ? last[0] : 0;
	for (i = 0; i < n; i++) {
		off[i] = last[i] - base;
		delta[i] = zigzag((int64_t)(last[i] - prev));
		prev = last[i];
		dur[i] = zigzag((int64_t)(last[i] - first[i]));
		moff |= off[i];
		mdelta |= delta[i];
		mdur |= dur[i];
	}
	wo = width_of(moff);
	wd = width_of(mdelta);
	/* Records come roughly in the order their flows ended: deltas are
	 * small when one exporter sends them; offsets win when several
	 * interleave, or the ends jitter within a second. */
	mode = plane_bits(delta, n, wd) < plane_bits(off, n, wo) ?
	    TIMES_DELTA : TIMES_OFFSET;
	*p++ = (uint8_t)mode;
	if (mode == TIMES_DELTA) {
		p = put_varint(p, n != 0 ? last[0] : 0);
		*p++ = (uint8_t)wd;
		*p++ = (uint8_t)width_of(mdur);
		p = put_planes(e, p, delta, n, wd);
	} else {
		p = put_varint(p, n != 0 ? base : 0);
		*p++ = (uint8_t)wo;
		*p++ = (uint8_t)width_of(mdur);
		p = put_planes(e, p, off, n, wo);
	}
	return put_planes(e, p, dur, n, width_of(mdur));
}

/* Ports: a dictionary of the block's frequent values (both sides), a
 * code plane per side (0: literal), the literals as hi/lo planes. */
static uint8_t *enc_ports(struct store_enc *e, size_t n, uint8_t *p)
{
	/* The kept records' ports, gathered once: every pass below reads
	 * this array, not the records.  pt[2i] source, pt[2i + 1] dest. */
	uint16_t *pt = (uint16_t *)(void *)e->v[1];
	uint64_t *key = e->v[0];
	size_t i, nc = 0, nd, side;
	uint32_t port;

	for (i = 0; i < n; i++) {
		pt[2 * i] = e->sp[e->keep[i]];
		pt[2 * i + 1] = e->dp[e->keep[i]];
	}
	for (i = 0; i < 2 * n; i++)
		e->port_cnt[pt[i]]++;
	for (port = 0; port < 65536; port++)
		if (e->port_cnt[port] >= PORT_DICT_MIN)
			key[nc++] = (uint64_t)(UINT32_MAX -
					       e->port_cnt[port]) << 32 | port;
	qsort(key, nc, sizeof(*key), cmp_u64);
	nd = nc < PORT_DICT_MAX ? nc : PORT_DICT_MAX;
	*p++ = (uint8_t)nd;
	for (i = 0; i < nd; i++) {
		port = (uint32_t)key[i] & 0xffff;
		e->port_code[port] = (uint8_t)(i + 1);
		*p++ = (uint8_t)(port >> 8);
		*p++ = (uint8_t)port;
	}
	for (side = 0; side < 2; side++) {
		for (i = 0; i < n; i++)
			e->plane[i] = e->port_code[pt[2 * i + side]];
		p = put_plane8(p, e->plane, n);
	}
	for (side = 0; side < 4; side++) {
		uint16_t v;

		for (i = 0, nc = 0; i < n; i++) {
			v = pt[2 * i + side / 2];
			if (e->port_code[v] == 0)
				e->plane[nc++] = (uint8_t)(side % 2 == 0 ?
							   v >> 8 : v);
		}
		p = put_plane8(p, e->plane, nc);
	}
	/* Back to all zero for the next block, touching only what we set. */
	for (i = 0; i < 2 * n; i++) {
		e->port_cnt[pt[i]] = 0;
		e->port_code[pt[i]] = 0;
	}
	return p;
}

/* Packets, then bytes as packets * q + r: the mean packet size q takes
 * a few values, r is zero whenever the sizes are equal. */
static uint8_t *enc_counters(struct store_enc *e, size_t n, uint8_t *p)
{
	uint64_t *pk = e->v[0], *q = e->v[1], *r = e->v[2];
	uint64_t mp = 0, mq = 0, mr = 0;
	unsigned wp, wq, wr;
	size_t i;

	for (i = 0; i < n; i++) {
		pk[i] = e->pk[i];
		q[i] = pk[i] != 0 ? e->oct[i] / pk[i] : 0;
		r[i] = pk[i] != 0 ? e->oct[i] % pk[i] : e->oct[i];
		mp |= pk[i];
		mq |= q[i];
		mr |= r[i];
	}
	wp = width_of(mp);
	wq = width_of(mq);
	wr = width_of(mr);
	*p++ = (uint8_t)wp;
	*p++ = (uint8_t)wq;
	*p++ = (uint8_t)wr;
	p = put_planes(e, p, pk, n, wp);
	p = put_planes(e, p, q, n, wq);
	return put_planes(e, p, r, n, wr);
}

size_t store_col_raw_max(enum store_col col, size_t n)
{
	/* A dictionary stream of K-byte rows: two varints, at most n rows
	 * (plus a kind byte each for addresses), codes of up to 4 bytes. */
#define DICT_MAX(K) (PLANES_MAX + 20 + ((K) + 1) * n + 4 * n)
	switch (col) {
	case STORE_COL_TIMES:
		return PLANES_MAX + 16 + 16 * n;
	case STORE_COL_SRC_ADDR:
	case STORE_COL_DST_ADDR:
	case STORE_COL_NEXT_HOP:
		return DICT_MAX(16);
	case STORE_COL_PORTS:
		return PLANES_MAX + 1 + 2 * PORT_DICT_MAX + 6 * n;
	case STORE_COL_PROTO:
	case STORE_COL_TOS_FLAGS:
	case STORE_COL_MASKS:
		return DICT_MAX(ROW_PAIR);
	case STORE_COL_COUNTERS:
		return PLANES_MAX + 3 + 24 * n;
	case STORE_COL_IFACES:
		return DICT_MAX(ROW_IFACES);
	case STORE_COL_EXPORTER:
		return DICT_MAX(ROW_EXP) + DICT_MAX(ROW_MACS);
	case STORE_COL_PAIRS:
		return PLANES_MAX + 11 + 4 * n;
	default:
		return 0;
	}
#undef DICT_MAX
}

size_t store_col_scratch_len(size_t n)
{
	/* Dictionary (16 n), rows (16 n), one value array (8 n), then the
	 * arena of unpacked planes: at most the 36 planes of n entries of
	 * the EXPORTER column (fewer for every other). */
	return 40 * n + 40 * n + 64;
}

size_t store_col_encode(struct store_enc *e, enum store_col col,
			const struct tflow_record *recs,
			const uint16_t *exp_idx, size_t n, uint8_t *out)
{
	uint8_t *p = out;
	size_t i;

	if (n > e->cap || e->blk != recs || e->blk_n != n)
		return 0;
	switch (col) {
	case STORE_COL_TIMES:
		p = enc_times(e, n, p);
		break;
	case STORE_COL_SRC_ADDR:
	case STORE_COL_DST_ADDR:
		/* Paired records are left out (their partner has them). */
		for (i = 0; i < e->nkeep; i++)
			memcpy(e->rows[i], col == STORE_COL_SRC_ADDR ?
			       e->src[e->keep[i]] : e->dst[e->keep[i]], 16);
		p = enc_addr(e, e->nkeep, p);
		break;
	case STORE_COL_NEXT_HOP:
		memcpy(e->rows, e->nh, n * sizeof(*e->rows));
		p = enc_addr(e, n, p);
		break;
	case STORE_COL_PORTS:
		p = enc_ports(e, e->nkeep, p);
		break;
	case STORE_COL_PROTO:
		for (i = 0; i < e->nkeep; i++) {
			memset(e->rows[i], 0, 16);
			e->rows[i][0] = e->proto[e->keep[i]];
			e->rows[i][1] = e->ipv[e->keep[i]];
		}
		p = enc_rows(e, e->nkeep, ROW_PAIR, p);
		break;
	case STORE_COL_PAIRS:
		p = enc_pairs(e, n, p);
		break;
	case STORE_COL_TOS_FLAGS:
	case STORE_COL_MASKS:
		{
			const uint8_t *a = col == STORE_COL_TOS_FLAGS ?
			    e->tos : e->smask;
			const uint8_t *b = col == STORE_COL_TOS_FLAGS ?
			    e->flags : e->dmask;

			for (i = 0; i < n; i++) {
				memset(e->rows[i], 0, 16);
				e->rows[i][0] = a[i];
				e->rows[i][1] = b[i];
			}
		}
		p = enc_rows(e, n, ROW_PAIR, p);
		break;
	case STORE_COL_COUNTERS:
		p = enc_counters(e, n, p);
		break;
	case STORE_COL_IFACES:
		for (i = 0; i < n; i++) {
			memset(e->rows[i], 0, 16);
			wire_store_be32(e->rows[i], e->in_if[i]);
			wire_store_be32(e->rows[i] + 4, e->out_if[i]);
		}
		p = enc_rows(e, n, ROW_IFACES, p);
		break;
	case STORE_COL_EXPORTER:
		for (i = 0; i < n; i++) {
			memcpy(e->rows[i], e->exprow[i], 16);
			wire_store_be16(e->rows[i], exp_idx[i]);
		}
		p = enc_rows(e, n, ROW_EXP, p);
		memcpy(e->rows, e->macrow, n * sizeof(*e->rows));
		p = enc_rows(e, n, ROW_MACS, p);
		break;
	default:
		break;
	}
	return (size_t)(p - out);
}

/* ---- decoder ------------------------------------------------------------ */

/* The stream being decoded; packed planes are unpacked into the arena
 * (part of store_misc.scratch), raw ones are read in place. */
struct rd {
	const uint8_t *p, *end;
	uint8_t *arena, *arena_end;
	int err;
};

static uint64_t get_varint(struct rd *r)
{
	uint64_t v = 0;
	unsigned shift = 0;
	uint8_t b;

	do {
		if (r->p == r->end || shift > 63) {
			r->err = 1;
			return 0;
		}
		b = *r->p++;
		v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
	} while (b & 0x80);
	return v;
}

static uint8_t get_u8(struct rd *r)
{
	if (r->p == r->end) {
		r->err = 1;
		return 0;
	}
	return *r->p++;
}

/* The next `len` bytes, or NULL (sticky error). */
static const uint8_t *get_bytes(struct rd *r, size_t len)
{
	const uint8_t *p = r->p;

	if (r->err || (size_t)(r->end - r->p) < len) {
		r->err = 1;
		return NULL;
	}
	r->p += len;
	return p;
}

/* A plane of n entries written by put_plane8, or NULL (sticky error). */
static const uint8_t *get_plane8(struct rd *r, size_t n)
{
	const uint8_t *tab, *src;
	uint8_t t16[16], *out;
	unsigned b, k, idx, bad = 0, mask;
	size_t i, j;

	b = get_u8(r);
	if (b == PLANE_RAW)
		return get_bytes(r, n);
	k = get_u8(r);
	/* The width is the one put_plane8 picks for k values. */
	if (r->err || k == 0 || k > 16 ||
	    b != (k == 1 ? 0u : k <= 2 ? 1u : k <= 4 ? 2u : 4u) ||
	    (size_t)(r->arena_end - r->arena) < n) {
		r->err = 1;
		return NULL;
	}
	tab = get_bytes(r, k);
	src = get_bytes(r, (n * b + 7) / 8);
	if (r->err)
		return NULL;
	out = r->arena;
	r->arena += n;
	if (b == 0) {
		memset(out, tab[0], n);
		return out;
	}
	memset(t16, 0, sizeof(t16));
	memcpy(t16, tab, k);
	mask = (1u << b) - 1;
	/* One source byte at a time: 8, 4 or 2 entries each. */
	for (i = 0; i + 8 / b <= n; i += 8 / b) {
		unsigned x = src[i * b / 8];

		for (j = 0; j < 8 / b; j++) {
			idx = x >> (j * b) & mask;
			bad |= idx >= k;
			out[i + j] = t16[idx];
		}
	}
	for (j = i * b; i < n; i++, j += b) {
		idx = (unsigned)(src[j >> 3] >> (j & 7)) & mask;
		bad |= idx >= k;
		out[i] = t16[idx];
	}
	if (bad) {
		r->err = 1;
		return NULL;
	}
	return out;
}

/* w raw planes into v[0..n): every plane first, then one pass that
 * assembles the values (not one read-modify-write pass per plane). */
static void get_raw_planes(struct rd *r, size_t n, unsigned w, uint64_t *v)
{
	const uint8_t *p[8];
	unsigned k;
	size_t i;

	if (w == 0) {
		memset(v, 0, n * sizeof(*v));
		return;
	}
	for (k = 0; k < w; k++)
		if ((p[k] = get_plane8(r, n)) == NULL)
			return;
	switch (w) {
	case 1:
		for (i = 0; i < n; i++)
			v[i] = p[0][i];
		break;
	case 2:
		for (i = 0; i < n; i++)
			v[i] = (uint64_t)p[0][i] << 8 | p[1][i];
		break;
	case 3:
		for (i = 0; i < n; i++)
			v[i] = (uint64_t)p[0][i] << 16 |
			    (uint64_t)p[1][i] << 8 | p[2][i];
		break;
	case 4:
		for (i = 0; i < n; i++)
			v[i] = (uint64_t)p[0][i] << 24 |
			    (uint64_t)p[1][i] << 16 |
			    (uint64_t)p[2][i] << 8 | p[3][i];
		break;
	default:
		for (i = 0; i < n; i++) {
			uint64_t x = 0;

			for (k = 0; k < w; k++)
				x = x << 8 | p[k][i];
			v[i] = x;
		}
		break;
	}
}

/* What put_planes wrote for w-byte values (w from the stream, at most 8)
 * into v[0..n). */
static void get_planes(struct rd *r, size_t n, unsigned w, uint64_t *v)
{
	uint64_t tab[VALS_DICT_MAX];
	const uint8_t *idx;
	unsigned mode, k;
	size_t i;

	if (w > 8) {
		r->err = 1;
		return;
	}
	if (w < 2) {
		get_raw_planes(r, n, w, v);
		return;
	}
	mode = get_u8(r);
	if (mode == VALS_PLANES) {
		get_raw_planes(r, n, w, v);
		return;
	}
	k = get_u8(r) + 1u;
	idx = get_plane8(r, n);
	if (mode != VALS_DICT || r->err)
		goto bad;
	get_raw_planes(r, k, w, tab);
	if (r->err)
		return;
	for (i = 0; i < n; i++) {
		if (idx[i] >= k)
			goto bad;
		v[i] = tab[idx[i]];
	}
	return;
bad:
	r->err = 1;
}

/*
 * A dictionary stream (enc_rows, or enc_addr when `addr`): the entries go
 * to tab (16 bytes each, at most n), then record i's value, K bytes, to
 * out + i * stride.
 */
static inline __attribute__((always_inline)) void
dec_dict(struct rd *r, size_t n, unsigned K, int addr, uint8_t (*tab)[16],
	 uint8_t *out, size_t stride)
{
	/* Inlined at each call: K and stride are constants there, so every
	 * copy below is a fixed-size move, not a memcpy call. */
	const uint8_t *pl[16], *c0, *c1, *kinds;
	size_t nd, nm, j, i, s, n4 = 0, n16 = 0, j4 = 0, j16 = 0;
	uint32_t code;
	unsigned k, w;

	nd = get_varint(r);
	nm = get_varint(r);
	if (r->err || nd > n || nm > nd) {
		r->err = 1;
		return;
	}
	if (addr) {
		const uint8_t *p4[4];

		if ((kinds = get_plane8(r, nd)) == NULL)
			return;
		for (j = 0; j < nd; j++) {
			if (kinds[j] == ADDR_SHORT)
				n4++;
			else if (kinds[j] == ADDR_FULL)
				n16++;
			else if (kinds[j] != ADDR_ZERO)
				r->err = 1;
		}
		for (k = 0; k < 4; k++)
			p4[k] = get_plane8(r, n4);
		for (k = 0; k < 16; k++)
			pl[k] = get_plane8(r, n16);
		if (r->err)
			return;
		for (j = 0; j < nd; j++) {
			memset(tab[j], 0, 16);
			if (kinds[j] == ADDR_SHORT) {
				for (k = 0; k < 4; k++)
					tab[j][k] = p4[k][j4];
				j4++;
			} else if (kinds[j] == ADDR_FULL) {
				for (k = 0; k < 16; k++)
					tab[j][k] = pl[k][j16];
				j16++;
			}
		}
	} else {
		for (k = 0; k < K; k++)
			if ((pl[k] = get_plane8(r, nd)) == NULL)
				return;
		for (k = 0; k < K; k++)
			for (j = 0; j < nd; j++)
				tab[j][k] = pl[k][j];
	}
	w = width_of(nm);
	for (k = 0; k < w; k++)
		pl[k] = get_plane8(r, n);
	if (r->err)
		return;
	s = nm;
	switch (w) {
	case 0:
		/* Every value seen once: the dictionary in order. */
		if (nd != n) {
			r->err = 1;
			return;
		}
		for (i = 0; i < n; i++)
			memcpy(out + i * stride, tab[i], K);
		return;
	case 1:
		c0 = pl[0];
		for (i = 0; i < n; i++) {
			code = c0[i];
			j = code != 0 ? code - 1 : s++;
			if (code > nm || j >= nd) {
				r->err = 1;
				return;
			}
			memcpy(out + i * stride, tab[j], K);
		}
		break;
	case 2:
		c0 = pl[0];
		c1 = pl[1];
		for (i = 0; i < n; i++) {
			code = (uint32_t)c0[i] << 8 | c1[i];
			j = code != 0 ? code - 1 : s++;
			if (code > nm || j >= nd) {
				r->err = 1;
				return;
			}
			memcpy(out + i * stride, tab[j], K);
		}
		break;
	default:
		for (i = 0; i < n; i++) {
			code = 0;
			for (k = 0; k < w; k++)
				code = code << 8 | pl[k][i];
			j = code != 0 ? code - 1 : s++;
			if (code > nm || j >= nd) {
				r->err = 1;
				return;
			}
			memcpy(out + i * stride, tab[j], K);
		}
		break;
	}
	/* Every value seen once was used, exactly once. */
	if (s != nd)
		r->err = 1;
}

static void dec_times(struct rd *r, size_t n, struct store_cols *c)
{
	uint64_t base, prev;
	unsigned mode, wt, wd;
	size_t i;

	mode = get_u8(r);
	base = get_varint(r);
	wt = get_u8(r);
	wd = get_u8(r);
	if (r->err || mode > TIMES_DELTA) {
		r->err = 1;
		return;
	}
	get_planes(r, n, wt, c->last_ms);
	get_planes(r, n, wd, c->first_ms);
	if (r->err)
		return;
	if (mode == TIMES_OFFSET) {
		for (i = 0; i < n; i++)
			c->last_ms[i] += base;
	} else {
		prev = base;
		for (i = 0; i < n; i++) {
			prev += (uint64_t)unzigzag(c->last_ms[i]);
			c->last_ms[i] = prev;
		}
	}
	for (i = 0; i < n; i++)
		c->first_ms[i] = c->last_ms[i] -
		    (uint64_t)unzigzag(c->first_ms[i]);
}

static void dec_ports(struct rd *r, size_t n, struct store_cols *c)
{
	const uint8_t *dp, *code[2], *hi, *lo;
	uint16_t dict[PORT_DICT_MAX + 1], *out;
	size_t nd, i, side, nl, j;
	unsigned bad = 0;

	nd = get_u8(r);
	dp = get_bytes(r, 2 * nd);
	code[0] = get_plane8(r, n);
	code[1] = get_plane8(r, n);
	if (r->err)
		return;
	dict[0] = 0;
	for (i = 0; i < nd; i++)
		dict[i + 1] = (uint16_t)(dp[2 * i] << 8 | dp[2 * i + 1]);
	for (side = 0; side < 2; side++) {
		out = side == 0 ? c->src_port : c->dst_port;
		nl = 0;
		for (i = 0; i < n; i++) {
			nl += code[side][i] == 0;
			bad |= code[side][i] > nd;
		}
		hi = get_plane8(r, nl);
		lo = get_plane8(r, nl);
		if (r->err || bad) {
			r->err = 1;
			return;
		}
		if (nl == 0) {
			for (i = 0; i < n; i++)
				out[i] = dict[code[side][i]];
			continue;
		}
		/* Literals are as common as not (ephemeral ports): a
		 * select, not a branch; j stays below nl for the load. */
		for (i = 0, j = 0; i < n; i++) {
			unsigned cd = code[side][i];
			size_t jj = j < nl ? j : nl - 1;
			uint16_t lit = (uint16_t)(hi[jj] << 8 | lo[jj]);

			out[i] = cd == 0 ? lit : dict[cd];
			j += cd == 0;
		}
	}
}

static void dec_counters(struct rd *r, size_t n, struct store_cols *c,
			 uint64_t *tmp)
{
	unsigned wp, wq, wr;
	size_t i;

	wp = get_u8(r);
	wq = get_u8(r);
	wr = get_u8(r);
	get_planes(r, n, wp, c->packets);
	get_planes(r, n, wq, c->bytes);
	get_planes(r, n, wr, tmp);
	if (r->err)
		return;
	/* Unsigned arithmetic: damaged values wrap, never trap. */
	for (i = 0; i < n; i++)
		c->bytes[i] = c->packets[i] * c->bytes[i] + tmp[i];
}

/* The PAIRS stream: npaired, the width, the distances (0: none), each
 * at most the record's index; exactly npaired of them non-zero. */
static void dec_pairs(struct rd *r, size_t n, struct store_misc *m,
		      uint64_t *tmp)
{
	uint64_t np = get_varint(r);
	unsigned w = get_u8(r);
	size_t i, a = 0, b = 0;
	uint64_t bad = 0;

	if (r->err || np > n || w > 4) {
		r->err = 1;
		return;
	}
	get_planes(r, n, w, tmp);
	if (r->err)
		return;
	/* Branch-free: both slots are written, the one not taken is
	 * written again by a later record (or is the same slot). */
	for (i = 0; i < n; i++) {
		uint32_t d = (uint32_t)tmp[i], z = d == 0;

		bad |= tmp[i] > i;
		m->pair[i] = d;
		m->order[a] = (uint32_t)i;
		m->order[n - 1 - b] = (uint32_t)i;
		a += z;
		b += !z;
	}
	if (bad || b != np)
		r->err = 1;
	else
		m->npaired = (size_t)np;
}

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

int store_col_decode(enum store_col col, const uint8_t *raw, size_t len,
		     size_t n, struct store_cols *c, struct store_misc *m)
{
	uint8_t (*tab)[16] = (uint8_t (*)[16])m->scratch;
	uint8_t *rows = m->scratch + 16 * n;
	uint64_t *tmp = (uint64_t *)(void *)(m->scratch + 32 * n);
	struct rd r = { raw, raw + len, m->scratch + 40 * n,
			m->scratch + store_col_scratch_len(n), 0 };
	const uint8_t *w;
	size_t i, nk = n - m->npaired;	/* records not paired */

	if (m->npaired > n)
		return -EBADMSG;
	switch (col) {
	case STORE_COL_TIMES:
		dec_times(&r, n, c);
		break;
	case STORE_COL_SRC_ADDR:
		dec_dict(&r, nk, 16, 1, tab, c->src_addr[0], 16);
		break;
	case STORE_COL_DST_ADDR:
		dec_dict(&r, nk, 16, 1, tab, c->dst_addr[0], 16);
		break;
	case STORE_COL_NEXT_HOP:
		dec_dict(&r, n, 16, 1, tab, c->next_hop[0], 16);
		break;
	case STORE_COL_PORTS:
		dec_ports(&r, nk, c);
		break;
	case STORE_COL_PROTO:
		dec_dict(&r, nk, ROW_PAIR, 0, tab, rows, ROW_PAIR);
		if (r.err)
			break;
		for (i = 0; i < nk; i++) {
			c->proto[i] = rows[2 * i];
			c->ip_version[i] = rows[2 * i + 1];
		}
		break;
	case STORE_COL_PAIRS:
		dec_pairs(&r, n, m, tmp);
		break;
	case STORE_COL_TOS_FLAGS:
	case STORE_COL_MASKS:
		dec_dict(&r, n, ROW_PAIR, 0, tab, rows, ROW_PAIR);
		if (r.err)
			break;
		{
			uint8_t *a = col == STORE_COL_TOS_FLAGS ? c->tos :
			    c->src_mask;
			uint8_t *b = col == STORE_COL_TOS_FLAGS ? c->tcp_flags :
			    c->dst_mask;

			for (i = 0; i < n; i++) {
				a[i] = rows[2 * i];
				b[i] = rows[2 * i + 1];
			}
		}
		break;
	case STORE_COL_COUNTERS:
		dec_counters(&r, n, c, tmp);
		break;
	case STORE_COL_IFACES:
		dec_dict(&r, n, ROW_IFACES, 0, tab, rows, ROW_IFACES);
		if (r.err)
			break;
		for (i = 0; i < n; i++) {
			c->in_if[i] = get_be32(rows + ROW_IFACES * i);
			c->out_if[i] = get_be32(rows + ROW_IFACES * i + 4);
		}
		break;
	case STORE_COL_EXPORTER:
		dec_dict(&r, n, ROW_EXP, 0, tab, rows, ROW_EXP);
		if (r.err)
			break;
		for (i = 0; i < n; i++) {
			w = rows + ROW_EXP * i;
			c->exporter[i] = get_be16(w);
			c->sampling_packets[i] = get_be32(w + 2);
			c->sampling_space[i] = get_be32(w + 6);
			c->vlan[i] = get_be16(w + 10);
			c->end_reason[i] = w[12];
			c->time_estimated[i] = w[13] != 0;
			m->ttl_min[i] = w[14];
			m->ttl_max[i] = w[15];
		}
		dec_dict(&r, n, ROW_MACS, 0, tab, rows, ROW_MACS);
		if (r.err)
			break;
		for (i = 0; i < n; i++) {
			memcpy(m->src_mac[i], rows + ROW_MACS * i, 6);
			memcpy(m->dst_mac[i], rows + ROW_MACS * i + 6, 6);
		}
		break;
	default:
		return 0;	/* a newer writer's column: not ours to read */
	}
	if (r.err || r.p != r.end)
		return -EBADMSG;
	return 0;
}

unsigned store_cols_closure(unsigned mask, unsigned ncols)
{
	const unsigned addrs = 1u << STORE_COL_SRC_ADDR |
	    1u << STORE_COL_DST_ADDR;
	const unsigned paired = addrs | 1u << STORE_COL_PORTS |
	    1u << STORE_COL_PROTO;

	if (ncols <= STORE_COL_PAIRS)	/* version 2: nothing is paired */
		return mask & ~(1u << STORE_COL_PAIRS);
	if (mask & addrs)
		mask |= addrs;
	if (mask & paired)
		mask |= 1u << STORE_COL_PAIRS;
	return mask;
}

/*
 * One pair of arrays (a column's two fields) of w-byte elements: the
 * unpaired records' values sit at the front, in order.  Walking back, each
 * moves to its own index (never below where it is, so nothing unread is
 * overwritten); then walking forward a paired record copies from its
 * partner, which is before it and already in place: the two fields
 * crossed (source from destination) when `swap`.  Over m->order: no
 * branch on the data; always inlined, so w and swap are constants.
 */
static inline __attribute__((always_inline)) void
unpair_fields(uint8_t *a, uint8_t *b, size_t w, bool swap,
	      const struct store_misc *m, size_t n)
{
	const uint32_t *pr = m->pair, *ord = m->order;
	size_t nk = n - m->npaired, k, t;
	uint32_t i, j;

	for (k = nk; k-- > 0 && (i = ord[k]) != k;) {
		memcpy(a + i * w, a + k * w, w);
		memcpy(b + i * w, b + k * w, w);
	}
	for (t = n; t-- > nk;) {
		i = ord[t];
		j = i - pr[i];
		memcpy(a + i * w, (swap ? b : a) + j * w, w);
		memcpy(b + i * w, (swap ? a : b) + j * w, w);
	}
}

void store_cols_unpair(struct store_cols *c, const struct store_misc *m,
		       unsigned mask, size_t n)
{
	if (m->npaired == 0)
		return;
	if (mask & 1u << STORE_COL_SRC_ADDR)
		unpair_fields(c->src_addr[0], c->dst_addr[0], 16, true, m, n);
	if (mask & 1u << STORE_COL_PORTS)
		unpair_fields((uint8_t *)c->src_port, (uint8_t *)c->dst_port,
			      sizeof(*c->src_port), true, m, n);
	if (mask & 1u << STORE_COL_PROTO)
		unpair_fields(c->proto, c->ip_version, 1, false, m, n);
}
