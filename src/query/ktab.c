/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ktab: dense entries plus a linear-probing index of (hash32, entry + 1)
 * slots.  The index stays at most 3/4 full; when it grows, the stored hash
 * bits are not enough to place a slot in a larger table, so the high half
 * of the 64-bit hash picks the slot and the low half is kept: slot position
 * comes from bits the slot itself records.
 */
#include "ktab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MIN_SLOTS	1024
#define MIN_ENTS	256

struct ktab {
	size_t key_len, n_vals, stride;	/* stride: key_len + 8 * n_vals */
	uint8_t *ents;
	size_t n, cap;			/* entries used / allocated */
	uint64_t *slots;		/* 0 empty; else hash32 << 32 | n + 1 */
	size_t mask;			/* slots - 1 */
	unsigned shift;			/* 64 - log2(slots) */
};

struct ktab *ktab_new(size_t key_len, size_t n_vals)
{
	struct ktab *t;

	if (key_len == 0 || key_len % 8 != 0 || key_len > 256) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->key_len = key_len;
	t->n_vals = n_vals;
	t->stride = key_len + 8 * n_vals;
	t->slots = calloc(MIN_SLOTS, sizeof(*t->slots));
	if (t->slots == NULL) {
		free(t);
		return NULL;
	}
	t->mask = MIN_SLOTS - 1;
	t->shift = 64 - 10;
	return t;
}

void ktab_free(struct ktab *t)
{
	if (t == NULL)
		return;
	free(t->ents);
	free(t->slots);
	free(t);
}

static inline uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

uint64_t ktab_hash(const struct ktab *t, const void *key)
{
	const uint8_t *k = key;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ t->key_len, w;
	size_t i;

	for (i = 0; i < t->key_len; i += 8) {
		memcpy(&w, k + i, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	return mix(h);
}

void ktab_prefetch(const struct ktab *t, uint64_t hash)
{
	__builtin_prefetch(&t->slots[hash >> t->shift]);
}

static int grow_index(struct ktab *t)
{
	size_t n_slots = (t->mask + 1) * 2, i, j;
	unsigned shift = t->shift - 1;
	uint64_t *s = calloc(n_slots, sizeof(*s));

	if (s == NULL)
		return -ENOMEM;
	for (i = 0; i <= t->mask; i++) {
		uint64_t v = t->slots[i];

		if (v == 0)
			continue;
		/* The stored 32 bits are the hash's top half. */
		j = (size_t)((v & 0xffffffff00000000ULL) >> shift);
		while (s[j] != 0)
			j = (j + 1) & (n_slots - 1);
		s[j] = v;
	}
	free(t->slots);
	t->slots = s;
	t->mask = n_slots - 1;
	t->shift = shift;
	return 0;
}

uint64_t *ktab_get(struct ktab *t, const void *key, uint64_t hash)
{
	uint64_t tag = hash & 0xffffffff00000000ULL, v;
	size_t j;
	uint8_t *e;

	/* Grown before the probe, so a failed growth never leaves a full
	 * index to probe forever: at worst the table refuses new keys. */
	if ((t->n + 1) * 4 > (t->mask + 1) * 3 && grow_index(t) != 0 &&
	    t->n + 1 >= t->mask)
		return NULL;
	j = (size_t)(hash >> t->shift);
	for (;;) {
		v = t->slots[j];
		if (v == 0)
			break;
		if ((v & 0xffffffff00000000ULL) == tag) {
			e = t->ents + ((v & 0xffffffff) - 1) * t->stride;
			if (memcmp(e, key, t->key_len) == 0)
				return (uint64_t *)(void *)(e + t->key_len);
		}
		j = (j + 1) & t->mask;
	}
	if (t->n >= UINT32_MAX - 1)
		return NULL;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : MIN_ENTS;
		uint8_t *n = realloc(t->ents, cap * t->stride);

		if (n == NULL)
			return NULL;
		t->ents = n;
		t->cap = cap;
	}
	e = t->ents + t->n * t->stride;
	memcpy(e, key, t->key_len);
	memset(e + t->key_len, 0, 8 * t->n_vals);
	t->slots[j] = tag | (t->n + 1);
	t->n++;
	return (uint64_t *)(void *)(e + t->key_len);
}

size_t ktab_count(const struct ktab *t)
{
	return t->n;
}

size_t ktab_key_len(const struct ktab *t)
{
	return t->key_len;
}

const uint8_t *ktab_key(const struct ktab *t, size_t i)
{
	return t->ents + i * t->stride;
}

const uint64_t *ktab_vals(const struct ktab *t, size_t i)
{
	return (const uint64_t *)(const void *)(t->ents + i * t->stride +
						t->key_len);
}

size_t ktab_bytes(const struct ktab *t)
{
	return t->cap * t->stride + (t->mask + 1) * sizeof(uint64_t);
}
