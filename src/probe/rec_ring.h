/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rec_ring: a single-producer single-consumer ring of flow records, from a
 * capture worker (producer) to tflowd's main thread (consumer), which
 * exports them.  Lock-free: the producer owns `head`, the consumer owns
 * `tail`; each publishes its index with release ordering and reads the
 * other's with acquire, so a slot's bytes are complete before the consumer
 * sees it and are no longer read once the producer may overwrite it.
 * Indexes run freely (wrap-safe unsigned arithmetic); the capacity is a
 * power of two.  The ring never allocates after rec_ring_init().
 */
#ifndef TFLOW_REC_RING_H
#define TFLOW_REC_RING_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "tflow/record.h"

struct rec_ring {
	struct tflow_record *slot;	/* mask + 1 records */
	uint32_t mask;
	/* Apart, so that the two threads do not share a cache line. */
	_Alignas(64) uint32_t head;	/* next slot to write: producer's */
	_Alignas(64) uint32_t tail;	/* next slot to read: consumer's */
};

/* size: rounded up to a power of two, >= 2.  0 or -ENOMEM. */
static inline int rec_ring_init(struct rec_ring *r, uint32_t size)
{
	uint32_t n;

	for (n = 2; n < size && n < (UINT32_C(1) << 30); n <<= 1)
		;
	r->slot = calloc(n, sizeof(*r->slot));
	if (r->slot == NULL)
		return -ENOMEM;
	r->mask = n - 1;
	r->head = 0;
	r->tail = 0;
	return 0;
}

static inline void rec_ring_clear(struct rec_ring *r)
{
	free(r->slot);
	r->slot = NULL;
}

/* Producer: put one record; false when the ring is full. */
static inline bool rec_ring_push(struct rec_ring *r,
				 const struct tflow_record *rec)
{
	uint32_t head = r->head;

	if (head - __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE) > r->mask)
		return false;
	r->slot[head & r->mask] = *rec;
	__atomic_store_n(&r->head, head + 1, __ATOMIC_RELEASE);
	return true;
}

/* Records waiting; either side may ask (the answer may be stale). */
static inline uint32_t rec_ring_used(const struct rec_ring *r)
{
	return __atomic_load_n(&r->head, __ATOMIC_ACQUIRE) -
	       __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
}

/* Consumer: the oldest record, valid until rec_ring_pop(); NULL if empty. */
static inline const struct tflow_record *rec_ring_peek(struct rec_ring *r)
{
	uint32_t tail = r->tail;

	if (__atomic_load_n(&r->head, __ATOMIC_ACQUIRE) == tail)
		return NULL;
	return &r->slot[tail & r->mask];
}

/* Consumer: release the record rec_ring_peek() returned. */
static inline void rec_ring_pop(struct rec_ring *r)
{
	__atomic_store_n(&r->tail, r->tail + 1, __ATOMIC_RELEASE);
}

#endif
