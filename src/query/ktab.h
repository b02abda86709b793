/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ktab: the aggregation table of tflow-query.  Fixed-size keys (a multiple
 * of 8 bytes, zero padded) map to a few 64-bit counters.  Built to hold
 * tens of millions of keys compactly: entries (key and counters, nothing
 * else) live densely in one array that grows by realloc, which for large
 * blocks moves pages with mremap instead of copying; the open-addressing
 * index beside it holds 8 bytes a slot (32 bits of hash, 32 of entry
 * number), so a lookup touches the entry only when the hash bits agree and
 * growing the index rehashes nothing.  Ten million source addresses cost
 * about 10M x 40 bytes of entries plus 128 MiB of index.
 */
#ifndef TFLOW_QUERY_KTAB_H
#define TFLOW_QUERY_KTAB_H

#include <stddef.h>
#include <stdint.h>

struct ktab;

/* key_len: a multiple of 8, at most 256; n_vals counters per key.  NULL
 * with errno on failure. */
struct ktab *ktab_new(size_t key_len, size_t n_vals);
void ktab_free(struct ktab *t);

/* Hash of a key of key_len bytes. */
uint64_t ktab_hash(const struct ktab *t, const void *key);

/* Hint that key with this hash is about to be looked up. */
void ktab_prefetch(const struct ktab *t, uint64_t hash);

/* The counters of key (hash from ktab_hash), added zeroed when new.
 * Valid until the next ktab_get; NULL when out of memory. */
uint64_t *ktab_get(struct ktab *t, const void *key, uint64_t hash);

/* Entries are numbered 0..ktab_count()-1 in insertion order. */
size_t ktab_count(const struct ktab *t);
size_t ktab_key_len(const struct ktab *t);
const uint8_t *ktab_key(const struct ktab *t, size_t i);
const uint64_t *ktab_vals(const struct ktab *t, size_t i);

/* Bytes allocated (entries and index), for the --stats line. */
size_t ktab_bytes(const struct ktab *t);

#endif
