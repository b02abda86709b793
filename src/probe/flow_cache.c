/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flow_cache: a fixed array of flow entries, a chained hash index over it,
 * and two doubly linked lists threaded through the entries:
 *
 *  - the LRU list, ordered by last packet time (a counted packet moves its
 *    entry to the tail), so idle expiry and cache-full eviction pop the head;
 *  - the age list, ordered by record start time (a new record joins the
 *    tail), so active expiry pops the head.
 *
 * Both stay sorted only because time never goes back; update() clamps a
 * `now` older than the newest one seen, so a pcap whose timestamps step
 * back a little cannot break the order (or underflow a time difference).
 *
 * Entries are named by a uint32_t index.  Slot 0 of the array is not a flow:
 * it is the sentinel of both circular lists, and index 0 means "none" in the
 * hash buckets, the chains and the free list, so every link operation is
 * branch free and calloc()'s zero pages are already an empty index.  Live
 * entries are 1..cap.  Fresh slots are handed out in order (`hwm`) before
 * the free list is used, so a large cache that never fills never touches,
 * and never makes resident, the memory of its unused tail.
 */
#include "flow_cache.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "siphash.h"

#define TCP_PROTO	6
#define TCP_FIN		0x01
#define TCP_RST		0x04

/* Upper bound on capacity: keeps the bucket count (the next power of two)
 * and every index inside uint32_t.  PRODUCT.md caps cache-entries at 16M. */
#define FLOW_CACHE_MAX_ENTRIES	(UINT32_C(1) << 30)

/*
 * 120 bytes: with a bucket array of one uint32_t per entry (4 bytes, up to 8
 * when the capacity is just above a power of two) an entry and its share of
 * the index stay within PRODUCT.md's 128 bytes.  What a packet of a known
 * flow reads and writes comes first (bytes 0-95); the age links and the
 * first packet's L2 fields, touched only when a record starts or ends, come
 * last, so a hit spans two cache lines more often than three.
 */
struct flow_entry {
	uint32_t hash;		/* siphash13 of key, low 32 bits */
	uint32_t chain;		/* next in bucket; next free when unused */
	struct flow_key key;
	uint32_t lru_prev;	/* LRU list: by last_ms */
	uint32_t lru_next;
	uint8_t tcp_flags;	/* OR over the record */
	uint8_t ttl_min;
	uint8_t ttl_max;
	uint64_t packets;
	uint64_t octets;	/* sum of IP total length */
	uint64_t first_ms;	/* caller's clock */
	uint64_t last_ms;
	uint32_t age_prev;	/* age list: by first_ms */
	uint32_t age_next;
	uint16_t vlan;		/* first packet's outer VLAN id, 0 none */
	uint8_t src_mac[6];	/* first packet's, zero when none */
	uint8_t dst_mac[6];
};

_Static_assert(sizeof(struct flow_entry) <= 120,
	       "flow entry plus its hash bucket share must fit 128 bytes");

struct flow_cache {
	struct flow_entry *e;		/* cap + 1 slots, e[0]: sentinel */
	uint32_t *buckets;		/* mask + 1 heads, 0 = empty */
	uint32_t mask;
	uint32_t cap;
	uint32_t hwm;			/* slots 1..hwm have been handed out */
	uint32_t free;			/* free list via chain, 0 = none */
	uint64_t active_ms;
	uint64_t inactive_ms;
	uint64_t now_ms;		/* newest time seen by update/expire */
	flow_emit_fn emit;
	void *emit_ctx;
	struct flow_cache_stats st;
	uint8_t seed[16];
};

/* List operations on the sentinel-headed circular lists. */
static inline void lru_unlink(struct flow_entry *e, struct flow_entry *x)
{
	e[x->lru_prev].lru_next = x->lru_next;
	e[x->lru_next].lru_prev = x->lru_prev;
}

static inline void lru_append(struct flow_entry *e, uint32_t i)
{
	uint32_t tail = e[0].lru_prev;

	e[i].lru_prev = tail;
	e[i].lru_next = 0;
	e[tail].lru_next = i;
	e[0].lru_prev = i;
}

static inline void age_unlink(struct flow_entry *e, struct flow_entry *x)
{
	e[x->age_prev].age_next = x->age_next;
	e[x->age_next].age_prev = x->age_prev;
}

static inline void age_append(struct flow_entry *e, uint32_t i)
{
	uint32_t tail = e[0].age_prev;

	e[i].age_prev = tail;
	e[i].age_next = 0;
	e[tail].age_next = i;
	e[0].age_prev = i;
}

/* Remove entry i from its bucket chain.  Chains average under two links at
 * full load, so finding the predecessor costs about one extra read. */
static void hash_unlink(struct flow_cache *fc, uint32_t i)
{
	uint32_t *p = &fc->buckets[fc->e[i].hash & fc->mask];

	while (*p != i)
		p = &fc->e[*p].chain;
	*p = fc->e[i].chain;
}

/* The entry is still linked while the callback runs: it must not call back
 * into the cache. */
static void emit_entry(struct flow_cache *fc, const struct flow_entry *x,
		       enum tflow_end_reason why)
{
	struct tflow_record rec;

	memset(&rec, 0, sizeof(rec));
	memcpy(rec.src_addr, x->key.src_addr, sizeof(rec.src_addr));
	memcpy(rec.dst_addr, x->key.dst_addr, sizeof(rec.dst_addr));
	rec.packets = x->packets;
	rec.octets = x->octets;
	rec.first_ms = x->first_ms;
	rec.last_ms = x->last_ms;
	rec.in_if = x->key.in_if;
	rec.src_port = x->key.src_port;
	rec.dst_port = x->key.dst_port;
	rec.vlan = x->vlan;
	rec.ip_version = x->key.ip_version;
	rec.proto = x->key.proto;
	rec.tos = x->key.tos;
	rec.tcp_flags = x->tcp_flags;
	rec.end_reason = (uint8_t)why;
	rec.ttl_min = x->ttl_min;
	rec.ttl_max = x->ttl_max;
	memcpy(rec.src_mac, x->src_mac, sizeof(rec.src_mac));
	memcpy(rec.dst_mac, x->dst_mac, sizeof(rec.dst_mac));
	fc->st.expired[why]++;
	fc->emit(&rec, fc->emit_ctx);
}

/* Emit entry i and return it to the free list. */
static void expire_entry(struct flow_cache *fc, uint32_t i,
			 enum tflow_end_reason why)
{
	struct flow_entry *x = &fc->e[i];

	emit_entry(fc, x, why);
	hash_unlink(fc, i);
	lru_unlink(fc->e, x);
	age_unlink(fc->e, x);
	x->chain = fc->free;
	fc->free = i;
	fc->st.active--;
}

/* Start a record in entry x from the packet; the caller links it. */
static inline void record_start(struct flow_entry *x,
				const struct pkt_info *pkt, uint64_t now)
{
	x->vlan = pkt->vlan;
	x->tcp_flags = pkt->tcp_flags;
	x->ttl_min = pkt->ttl;
	x->ttl_max = pkt->ttl;
	if (pkt->has_mac) {
		memcpy(x->src_mac, pkt->src_mac, sizeof(x->src_mac));
		memcpy(x->dst_mac, pkt->dst_mac, sizeof(x->dst_mac));
	} else {
		memset(x->src_mac, 0, sizeof(x->src_mac));
		memset(x->dst_mac, 0, sizeof(x->dst_mac));
	}
	x->packets = 1;
	x->octets = pkt->octets;
	x->first_ms = now;
	x->last_ms = now;
}

/*
 * An entry for a new record: a free one, a never used one, or, when the
 * cache is full, the least recently used flow, emitted early and counted
 * (PRODUCT.md: nothing is dropped silently).  The entry is unlinked.
 */
static uint32_t entry_take(struct flow_cache *fc)
{
	struct flow_entry *x;
	uint32_t i;

	if (fc->free != 0) {
		i = fc->free;
		fc->free = fc->e[i].chain;
		fc->st.active++;
		return i;
	}
	if (fc->hwm < fc->cap) {
		fc->st.active++;
		return ++fc->hwm;
	}
	i = fc->e[0].lru_next;
	x = &fc->e[i];
	emit_entry(fc, x, TFLOW_END_RESOURCES);
	hash_unlink(fc, i);
	lru_unlink(fc->e, x);
	age_unlink(fc->e, x);
	return i;
}

struct flow_cache *flow_cache_new(const struct flow_cache_config *cfg,
				  const uint8_t seed[16], flow_emit_fn emit,
				  void *emit_ctx)
{
	struct flow_cache *fc;
	uint32_t nb;

	if (cfg == NULL || seed == NULL || emit == NULL || cfg->entries == 0 ||
	    cfg->entries > FLOW_CACHE_MAX_ENTRIES ||
	    cfg->active_timeout_ms == 0 || cfg->inactive_timeout_ms == 0) {
		errno = EINVAL;
		return NULL;
	}
	if ((fc = calloc(1, sizeof(*fc))) == NULL)
		return NULL;
	for (nb = 1; nb < cfg->entries; nb <<= 1)
		;
	/*
	 * calloc, not malloc + memset: zero is an empty bucket and an unused
	 * entry, and untouched zero pages cost no memory until flows use them.
	 */
	if ((fc->buckets = calloc(nb, sizeof(*fc->buckets))) == NULL)
		goto free_fc;
	if ((fc->e = calloc((size_t)cfg->entries + 1, sizeof(*fc->e))) == NULL)
		goto free_buckets;
	fc->mask = nb - 1;
	fc->cap = cfg->entries;
	fc->active_ms = cfg->active_timeout_ms;
	fc->inactive_ms = cfg->inactive_timeout_ms;
	fc->emit = emit;
	fc->emit_ctx = emit_ctx;
	memcpy(fc->seed, seed, sizeof(fc->seed));
	/* e[0] links to itself: both lists empty. */
	return fc;

free_buckets:
	free(fc->buckets);
free_fc:
	free(fc);
	return NULL;
}

void flow_cache_free(struct flow_cache *fc)
{
	if (fc == NULL)
		return;
	free(fc->e);
	free(fc->buckets);
	free(fc);
}

/* Entry holding `key` (hash h), or 0. */
static inline uint32_t lookup(const struct flow_cache *fc,
			      const struct flow_key *key, uint32_t h)
{
	const struct flow_entry *e = fc->e;
	uint32_t i;

	for (i = fc->buckets[h & fc->mask]; i != 0; i = e[i].chain)
		if (e[i].hash == h &&
		    memcmp(&e[i].key, key, sizeof(*key)) == 0)
			break;
	return i;
}

/* Why the record in x is over at `now`, or TFLOW_END_NONE. */
static inline enum tflow_end_reason record_over(const struct flow_cache *fc,
						const struct flow_entry *x,
						uint64_t now)
{
	if (now - x->last_ms >= fc->inactive_ms)
		return TFLOW_END_IDLE;
	if (now - x->first_ms >= fc->active_ms)
		return TFLOW_END_ACTIVE;
	return TFLOW_END_NONE;
}

static inline uint32_t key_hash(const struct flow_cache *fc,
				const struct flow_key *key)
{
	return (uint32_t)siphash13(fc->seed, key, sizeof(*key));
}

/* flow_cache_update() with the key's hash already computed. */
static inline void update_hashed(struct flow_cache *fc,
				 const struct pkt_info *pkt, uint32_t h,
				 uint64_t now_ms)
{
	struct flow_entry *e = fc->e, *x;
	enum tflow_end_reason why;
	uint32_t i;

	/* Keep both lists sorted even if the caller's clock steps back. */
	if (now_ms < fc->now_ms)
		now_ms = fc->now_ms;
	fc->now_ms = now_ms;

	i = lookup(fc, &pkt->key, h);
	if (i == 0) {
		i = entry_take(fc);
		x = &e[i];
		x->hash = h;
		memcpy(&x->key, &pkt->key, sizeof(x->key));
		x->chain = fc->buckets[h & fc->mask];
		fc->buckets[h & fc->mask] = i;
		record_start(x, pkt, now_ms);
		lru_append(e, i);
		age_append(e, i);
		fc->st.created++;
	} else if (__builtin_expect((why = record_over(fc, &e[i], now_ms)) !=
				    TFLOW_END_NONE, 0)) {
		/*
		 * Its time was up before expire() got to it.  Close the
		 * record and start the next one in the same entry: the key
		 * and its bucket link stay, only the list positions move.
		 */
		x = &e[i];
		emit_entry(fc, x, why);
		record_start(x, pkt, now_ms);
		lru_unlink(e, x);
		lru_append(e, i);
		age_unlink(e, x);
		age_append(e, i);
		fc->st.created++;
	} else {
		x = &e[i];
		x->packets++;
		x->octets += pkt->octets;
		x->last_ms = now_ms;
		x->tcp_flags |= pkt->tcp_flags;
		if (pkt->ttl < x->ttl_min)
			x->ttl_min = pkt->ttl;
		if (pkt->ttl > x->ttl_max)
			x->ttl_max = pkt->ttl;
		/* A busy flow is usually the tail already. */
		if (x->lru_next != 0) {
			lru_unlink(e, x);
			lru_append(e, i);
		}
	}
	fc->st.packets++;
	if (pkt->key.proto == TCP_PROTO &&
	    (pkt->tcp_flags & (TCP_FIN | TCP_RST)) != 0)
		expire_entry(fc, i, TFLOW_END_DETECTED);
}

void flow_cache_update(struct flow_cache *fc, const struct pkt_info *pkt,
		       uint64_t now_ms)
{
	update_hashed(fc, pkt, key_hash(fc, &pkt->key), now_ms);
}

/*
 * The same as n calls of flow_cache_update(), in order, but in three
 * passes over groups of FLOW_CACHE_BATCH packets: hash all and prefetch
 * their buckets, then prefetch the entries the buckets point at, then
 * update.  A cache bigger than the CPU's caches costs two dependent memory
 * loads per packet; overlapping them across the group is most of the
 * speed of the cache-thrashing case.  Prefetches are hints: an update that
 * changes a bucket a later packet uses is still read correctly.
 */
void flow_cache_update_batch(struct flow_cache *fc,
			     const struct pkt_info *pkts,
			     const uint64_t *now_ms, size_t n)
{
	uint32_t h[FLOW_CACHE_BATCH];
	size_t k, m;

	while (n > 0) {
		m = n < FLOW_CACHE_BATCH ? n : FLOW_CACHE_BATCH;
		for (k = 0; k < m; k++) {
			h[k] = key_hash(fc, &pkts[k].key);
			__builtin_prefetch(&fc->buckets[h[k] & fc->mask]);
		}
		for (k = 0; k < m; k++) {
			uint32_t i = fc->buckets[h[k] & fc->mask];

			if (i != 0)
				__builtin_prefetch(&fc->e[i]);
		}
		for (k = 0; k < m; k++)
			update_hashed(fc, &pkts[k], h[k], now_ms[k]);
		pkts += m;
		now_ms += m;
		n -= m;
	}
}

uint64_t flow_cache_next_expiry(const struct flow_cache *fc)
{
	const struct flow_entry *e = fc->e;
	uint64_t idle = UINT64_MAX, active = UINT64_MAX;

	if (e[0].lru_next != 0)
		idle = e[e[0].lru_next].last_ms + fc->inactive_ms;
	if (e[0].age_next != 0)
		active = e[e[0].age_next].first_ms + fc->active_ms;
	return idle < active ? idle : active;
}

void flow_cache_expire(struct flow_cache *fc, uint64_t now_ms)
{
	struct flow_entry *e = fc->e;
	uint32_t i;

	if (now_ms < fc->now_ms)
		now_ms = fc->now_ms;
	fc->now_ms = now_ms;

	/* Each loop stops at the first entry whose time is not up: the
	 * lists are sorted, so the rest are younger still. */
	while ((i = e[0].lru_next) != 0 &&
	       now_ms - e[i].last_ms >= fc->inactive_ms)
		expire_entry(fc, i, TFLOW_END_IDLE);
	while ((i = e[0].age_next) != 0 &&
	       now_ms - e[i].first_ms >= fc->active_ms)
		expire_entry(fc, i, TFLOW_END_ACTIVE);
}

void flow_cache_flush(struct flow_cache *fc)
{
	uint32_t i;

	while ((i = fc->e[0].age_next) != 0)
		expire_entry(fc, i, TFLOW_END_FORCED);
}

void flow_cache_get_stats(const struct flow_cache *fc,
			  struct flow_cache_stats *out)
{
	*out = fc->st;
}

int flow_cache_set_timeouts(struct flow_cache *fc, uint64_t active_timeout_ms,
			    uint64_t inactive_timeout_ms)
{
	if (active_timeout_ms == 0 || inactive_timeout_ms == 0)
		return -EINVAL;
	/* Both lists are sorted by time, not by deadline: a new timeout
	 * moves every deadline by the same amount and keeps the order. */
	fc->active_ms = active_timeout_ms;
	fc->inactive_ms = inactive_timeout_ms;
	return 0;
}

/*
 * Allocate the new arrays first, so a failure changes nothing; then evict
 * from the LRU head until the active flows fit; then move the survivors
 * into slots 1..active in LRU order.  A survivor's new index is kept in
 * its old `chain` (no longer needed once the old index is dropped), which
 * is how the age list, walked second, finds where its entries went.
 */
int flow_cache_resize(struct flow_cache *fc, uint32_t entries)
{
	struct flow_entry *ne, *oe = fc->e;
	uint32_t *nbk, nb, i, k, prev, mask;

	if (entries == 0 || entries > FLOW_CACHE_MAX_ENTRIES)
		return -EINVAL;
	if (entries == fc->cap)
		return 0;
	for (nb = 1; nb < entries; nb <<= 1)
		;
	if ((nbk = calloc(nb, sizeof(*nbk))) == NULL)
		return -ENOMEM;
	if ((ne = calloc((size_t)entries + 1, sizeof(*ne))) == NULL) {
		free(nbk);
		return -ENOMEM;
	}
	while (fc->st.active > entries)
		expire_entry(fc, oe[0].lru_next, TFLOW_END_RESOURCES);

	mask = nb - 1;
	k = 0;
	prev = 0;
	for (i = oe[0].lru_next; i != 0; i = oe[i].lru_next) {
		k++;
		ne[k] = oe[i];
		ne[k].lru_prev = prev;
		ne[prev].lru_next = k;
		ne[k].chain = nbk[ne[k].hash & mask];
		nbk[ne[k].hash & mask] = k;
		oe[i].chain = k;
		prev = k;
	}
	ne[prev].lru_next = 0;
	ne[0].lru_prev = prev;
	prev = 0;
	for (i = oe[0].age_next; i != 0; i = oe[i].age_next) {
		k = oe[i].chain;
		ne[k].age_prev = prev;
		ne[prev].age_next = k;
		prev = k;
	}
	ne[prev].age_next = 0;
	ne[0].age_prev = prev;

	free(fc->e);
	free(fc->buckets);
	fc->e = ne;
	fc->buckets = nbk;
	fc->mask = mask;
	fc->cap = entries;
	fc->hwm = (uint32_t)fc->st.active;
	fc->free = 0;
	return 0;
}

uint32_t flow_cache_capacity(const struct flow_cache *fc)
{
	return fc->cap;
}

size_t flow_cache_entry_size(void)
{
	/* One bucket per entry when the capacity is a power of two. */
	return sizeof(struct flow_entry) + sizeof(uint32_t);
}
