/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * frag: a direct-mapped table from (addresses, protocol, IP version,
 * fragment id) to the ports of a datagram's first fragment.  It is sized
 * once by frag_table_new() and never allocates afterwards; a collision
 * simply overwrites the older entry, which at worst leaves some later
 * fragments with ports 0 (counted as unmatched).  The slot index is a
 * SipHash of the identity under a secret seed, so crafted fragments cannot
 * aim at one slot to evict a victim's entries.
 */
#include "frag.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "siphash.h"

/* 2^24 slots of 56 bytes is ~1 GiB: more is a configuration mistake,
 * and the bound keeps the size computation far from overflow on 32-bit. */
#define FRAG_MAX_SLOTS	(UINT32_C(1) << 24)

struct frag_entry {
	uint64_t seen_ms;	/* when the first fragment passed */
	uint8_t src_addr[16];
	uint8_t dst_addr[16];
	uint32_t frag_id;
	uint16_t src_port;	/* host order, as in flow_key */
	uint16_t dst_port;
	uint8_t proto;
	uint8_t ip_version;	/* 0: slot never used */
};

struct frag_table {
	struct frag_stats stats;
	uint8_t seed[16];
	uint32_t mask;		/* slots - 1 */
	struct frag_entry slot[];
};

/* The identity of a datagram, laid out with no padding for the hash. */
struct frag_ident {
	uint8_t src_addr[16];
	uint8_t dst_addr[16];
	uint8_t frag_id[4];
	uint8_t proto;
	uint8_t ip_version;
};

_Static_assert(sizeof(struct frag_ident) == 38, "frag_ident is hashed raw");

struct frag_table *frag_table_new(uint32_t slots, const uint8_t seed[16])
{
	struct frag_table *t;
	uint32_t n = 1;

	if (slots == 0 || slots > FRAG_MAX_SLOTS) {
		errno = EINVAL;
		return NULL;
	}
	while (n < slots)
		n <<= 1;
	t = calloc(1, sizeof(*t) + (size_t)n * sizeof(t->slot[0]));
	if (t == NULL)
		return NULL;
	memcpy(t->seed, seed, sizeof(t->seed));
	t->mask = n - 1;
	return t;
}

void frag_table_free(struct frag_table *t)
{
	free(t);
}

static struct frag_entry *frag_slot(struct frag_table *t,
				    const struct pkt_info *pkt)
{
	struct frag_ident id;

	memcpy(id.src_addr, pkt->key.src_addr, sizeof(id.src_addr));
	memcpy(id.dst_addr, pkt->key.dst_addr, sizeof(id.dst_addr));
	memcpy(id.frag_id, &pkt->frag_id, sizeof(id.frag_id));
	id.proto = pkt->key.proto;
	id.ip_version = pkt->key.ip_version;
	return &t->slot[siphash13(t->seed, &id, sizeof(id)) & t->mask];
}

static int frag_same(const struct frag_entry *e, const struct pkt_info *pkt)
{
	return e->ip_version == pkt->key.ip_version &&
	    e->proto == pkt->key.proto && e->frag_id == pkt->frag_id &&
	    memcmp(e->src_addr, pkt->key.src_addr, sizeof(e->src_addr)) == 0 &&
	    memcmp(e->dst_addr, pkt->key.dst_addr, sizeof(e->dst_addr)) == 0;
}

void frag_table_resolve(struct frag_table *t, struct pkt_info *pkt,
			uint64_t now_ms)
{
	struct frag_entry *e;
	uint64_t age;

	if (pkt->frag == PKT_FRAG_NONE)
		return;
	e = frag_slot(t, pkt);
	if (pkt->frag == PKT_FRAG_FIRST) {
		memcpy(e->src_addr, pkt->key.src_addr, sizeof(e->src_addr));
		memcpy(e->dst_addr, pkt->key.dst_addr, sizeof(e->dst_addr));
		e->frag_id = pkt->frag_id;
		e->proto = pkt->key.proto;
		e->ip_version = pkt->key.ip_version;
		e->src_port = pkt->key.src_port;
		e->dst_port = pkt->key.dst_port;
		e->seen_ms = now_ms;
		t->stats.first++;
		return;
	}
	/* Offline timestamps may step back a little; that is not age. */
	age = now_ms > e->seen_ms ? now_ms - e->seen_ms : 0;
	if (e->ip_version != 0 && age <= FRAG_MAX_AGE_MS && frag_same(e, pkt)) {
		pkt->key.src_port = e->src_port;
		pkt->key.dst_port = e->dst_port;
		t->stats.matched++;
	} else {
		t->stats.unmatched++;
	}
}

void frag_table_stats(const struct frag_table *t, struct frag_stats *out)
{
	*out = t->stats;
}
