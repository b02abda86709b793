/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lpm: a longest-prefix-match table for one address family (32-bit IPv4
 * or 128-bit IPv6 keys), mapping prefixes to a 32-bit value the caller
 * gives meaning to.  Pure: no I/O, no clock, no locks; one writer and
 * readers on the same thread.
 *
 * Sized for a full Internet table (about 1M IPv4 and 200k IPv6 routes):
 * one open-addressing hash table per prefix length, a 65536-slot front
 * array indexed by the first 16 address bits that holds the best route of
 * length 0..16 (expanded) and, for each /16, a node with a bitmap of the
 * longer lengths in use under it (IPv6 continues with nodes every 16
 * bits).  A lookup reads the front slot, walks at most one node per 16
 * bits and probes only the lengths the nodes say are in use, longest
 * first: a handful of memory reads, no allocation.  Memory is allocated
 * only by lpm_insert() (and given back by lpm_delete()/lpm_clear()).
 *
 * Addresses and prefixes are bytes in network order: 4 of them for a
 * 32-bit table, 16 for a 128-bit one.  Bits past a prefix's length are
 * ignored.
 */
#ifndef TFLOW_LPM_H
#define TFLOW_LPM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lpm;

/*
 * A table for width-bit keys (32 or 128).  seed keys the hash function so
 * that a crafted set of prefixes cannot aim at one bucket.  NULL with
 * errno EINVAL (bad width) or ENOMEM.  Allocates little until the first
 * insert.
 */
struct lpm *lpm_new(unsigned width, uint64_t seed);
void lpm_free(struct lpm *t);

/* Remove every prefix and give back the memory; the table stays usable. */
void lpm_clear(struct lpm *t);

/*
 * Add prefix/len with value, or change the value of a prefix already in
 * the table.  Returns 0 (added), 1 (value replaced), -EINVAL (len greater
 * than the width) or -ENOMEM (the table is unchanged).
 */
int lpm_insert(struct lpm *t, const uint8_t *prefix, unsigned len,
	       uint32_t value);

/* Remove prefix/len; its value goes to *old when old is not NULL.
 * Returns 0, -ENOENT or -EINVAL. */
int lpm_delete(struct lpm *t, const uint8_t *prefix, unsigned len,
	       uint32_t *old);

/* Exact match: is prefix/len itself in the table? */
bool lpm_find(const struct lpm *t, const uint8_t *prefix, unsigned len,
	      uint32_t *value);

/*
 * Longest-prefix match of addr.  On a hit fills *value and *len (either
 * may be NULL) and returns true.  Allocation-free; safe to call on a
 * const table from several threads as long as no one writes.
 */
bool lpm_lookup(const struct lpm *t, const uint8_t *addr, uint32_t *value,
		unsigned *len);

/* Number of prefixes in the table. */
size_t lpm_count(const struct lpm *t);

/* Bytes of memory held, for logs and tests. */
size_t lpm_memory(const struct lpm *t);

#endif
