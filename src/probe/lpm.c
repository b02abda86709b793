/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lpm: longest-prefix match over hash tables per prefix length, guided by
 * a front array and per-16-bit nodes so that a lookup only probes lengths
 * that can match (see lpm.h for the shape).
 *
 * Invariants:
 *  - len[L] holds every prefix of length L, keyed by its masked bits.
 *  - front[s], for each /16 slot s: the low byte is 1 + the longest
 *    prefix of length 0..16 covering s (0: none); the upper 24 bits are
 *    1 + the index of the node at cut 16 for s (0: none).
 *  - A node at cut c (16, 32, ... width-16) exists exactly when some
 *    prefix longer than c lies under its c bits.  Prefixes of length
 *    c+1..c+8 are counted in `near` and expanded into a best block
 *    (present while near is not zero), indexed by
 *    the next 8 address bits, like the front array one level up; those
 *    of length c+9..c+16 are counted in cnt[] (bit i of `bits` set when
 *    cnt[i] is not zero), and `below` counts the ones longer than c+16.
 *    Nodes at cuts 32 and deeper are found through cut[c/16], a hash of
 *    prefix -> node index.
 *  - Every hash table keeps at least one empty slot, so probe loops end.
 *
 * Memory: about 40-64 bytes per prefix (24-byte entries at a load of at
 * most 5/8), 56 bytes per node and 256 per best block, 256 KiB of front array once anything is
 * inserted.  Keys are two 64-bit words in host order holding the address
 * bits from the most significant end (IPv4 in the top 32 bits of hi).
 */
#include "lpm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define LPM_STRIDE	16
#define LPM_HALF	8
#define LPM_FRONT	(1u << LPM_STRIDE)
#define LPM_NONE	UINT32_MAX
/* Front slots keep node index + 1 in 24 bits. */
#define LPM_MAX_NODES	((1u << 24) - 2)
#define LPM_TAB_MIN	16u

struct lpm_ent {
	uint64_t hi, lo;		/* masked prefix bits */
	uint32_t value;
	uint32_t used;			/* 0: empty slot */
};

struct lpm_tab {
	struct lpm_ent *e;		/* NULL while empty */
	uint32_t mask;			/* slots - 1 */
	uint32_t n;
};

struct lpm_node {
	uint64_t hi, lo;		/* the node's cut bits */
	uint32_t near;			/* prefixes of length cut+1..cut+8 */
	uint32_t cnt[LPM_HALF];		/* prefixes of length cut+9+i */
	uint32_t below;			/* longer than cut+16; free: next free */
	uint32_t best;			/* block in lpm.bests, LPM_NONE: none */
	uint8_t bits;			/* bit i: cnt[i] != 0 */
};

/* By the next 8 address bits below a node: the longest of its near
 * prefixes covering them, as length - cut (0: none).  Apart from the node
 * because most nodes of an IPv6 table have no near prefix (/48s under a
 * /32 node, /32s under a /16 one). */
struct lpm_best {
	uint8_t len[1u << LPM_HALF];
};

struct lpm {
	unsigned width;			/* 32 or 128 */
	uint64_t seed;
	size_t n;			/* prefixes */
	uint32_t *front;		/* LPM_FRONT slots, NULL until used */
	struct lpm_node *nodes;
	uint32_t nodes_cap, nodes_hw, free_node;
	struct lpm_best *bests;
	uint32_t bests_cap, bests_hw, free_best;
	struct lpm_tab len[129];	/* by prefix length */
	struct lpm_tab cut[128 / LPM_STRIDE];	/* node index by prefix */
};

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static inline uint32_t hash_key(uint64_t seed, uint64_t hi, uint64_t lo)
{
	return (uint32_t)mix64(mix64(hi ^ seed) ^ lo);
}

static inline void key_mask(uint64_t *hi, uint64_t *lo, unsigned len)
{
	if (len == 0) {
		*hi = 0;
		*lo = 0;
	} else if (len < 64) {
		*hi &= ~0ULL << (64 - len);
		*lo = 0;
	} else if (len == 64) {
		*lo = 0;
	} else if (len < 128) {
		*lo &= ~0ULL << (128 - len);
	}
}

static inline uint64_t be64_of(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static inline void key_of(const struct lpm *t, const uint8_t *a,
			  uint64_t *hi, uint64_t *lo)
{
	if (t->width == 32) {
		*hi = (uint64_t)((uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 |
				 (uint32_t)a[2] << 8 | a[3]) << 32;
		*lo = 0;
	} else {
		*hi = be64_of(a);
		*lo = be64_of(a + 8);
	}
}

/* Address bits cut..cut+7: the index into a node's best[]. */
static inline unsigned sub_slot(uint64_t hi, uint64_t lo, unsigned cut)
{
	if (cut + LPM_HALF <= 64)
		return (unsigned)(hi >> (64 - cut - LPM_HALF)) & 0xff;
	return (unsigned)(lo >> (128 - cut - LPM_HALF)) & 0xff;
}

/* ---- one open-addressing hash table ---------------------------------- */

static inline struct lpm_ent *tab_find(const struct lpm_tab *tb,
				       uint64_t seed, uint64_t hi, uint64_t lo)
{
	uint32_t i;

	if (tb->n == 0)
		return NULL;
	i = hash_key(seed, hi, lo) & tb->mask;
	for (;;) {
		struct lpm_ent *e = &tb->e[i];

		if (!e->used)
			return NULL;
		if (e->hi == hi && e->lo == lo)
			return e;
		i = (i + 1) & tb->mask;
	}
}

static void tab_put(struct lpm_tab *tb, uint64_t seed, uint64_t hi,
		    uint64_t lo, uint32_t value)
{
	uint32_t i = hash_key(seed, hi, lo) & tb->mask;

	while (tb->e[i].used)
		i = (i + 1) & tb->mask;
	tb->e[i].hi = hi;
	tb->e[i].lo = lo;
	tb->e[i].value = value;
	tb->e[i].used = 1;
	tb->n++;
}

static int tab_resize(struct lpm_tab *tb, uint64_t seed, uint32_t slots)
{
	struct lpm_tab nt;
	uint32_t i;

	nt.e = calloc(slots, sizeof(*nt.e));
	if (nt.e == NULL)
		return -ENOMEM;
	nt.mask = slots - 1;
	nt.n = 0;
	if (tb->e != NULL) {
		for (i = 0; i <= tb->mask; i++)
			if (tb->e[i].used)
				tab_put(&nt, seed, tb->e[i].hi, tb->e[i].lo,
					tb->e[i].value);
		free(tb->e);
	}
	*tb = nt;
	return 0;
}

/* Make room for one more entry: grow past a load of 5/8. */
static int tab_reserve(struct lpm_tab *tb, uint64_t seed)
{
	uint64_t slots;

	if (tb->e == NULL)
		return tab_resize(tb, seed, LPM_TAB_MIN);
	slots = (uint64_t)tb->mask + 1;
	if (((uint64_t)tb->n + 1) * 8 <= slots * 5)
		return 0;
	if (slots >= (1u << 31))
		return -ENOMEM;
	return tab_resize(tb, seed, (uint32_t)(slots * 2));
}

/* Remove e (a slot of tb) by shifting the rest of its cluster back, so no
 * tombstones slow later probes down. */
static void tab_remove(struct lpm_tab *tb, uint64_t seed, struct lpm_ent *e)
{
	uint32_t i = (uint32_t)(e - tb->e), j = i, k;

	for (;;) {
		j = (j + 1) & tb->mask;
		if (!tb->e[j].used)
			break;
		k = hash_key(seed, tb->e[j].hi, tb->e[j].lo) & tb->mask;
		/* e[j] may move to i unless its home k lies in (i, j]. */
		if (i <= j ? (k <= i || k > j) : (k <= i && k > j)) {
			tb->e[i] = tb->e[j];
			i = j;
		}
	}
	tb->e[i].used = 0;
	tb->n--;
	if (tb->n == 0) {
		free(tb->e);
		tb->e = NULL;
		tb->mask = 0;
	} else if (tb->mask + 1 > LPM_TAB_MIN &&
		   (uint64_t)tb->n * 8 < (uint64_t)tb->mask + 1) {
		/* Shrinking is optional: on failure the table stays big. */
		(void)tab_resize(tb, seed, (tb->mask + 1) / 2);
	}
}

static void tab_clear(struct lpm_tab *tb)
{
	free(tb->e);
	memset(tb, 0, sizeof(*tb));
}

/* ---- nodes -------------------------------------------------------------- */

static uint32_t node_get(const struct lpm *t, uint64_t hi, uint64_t lo,
			 unsigned cut)
{
	const struct lpm_ent *e;
	uint32_t f;

	if (cut == LPM_STRIDE) {
		f = t->front[hi >> 48] >> 8;
		return f == 0 ? LPM_NONE : f - 1;
	}
	key_mask(&hi, &lo, cut);
	e = tab_find(&t->cut[cut / LPM_STRIDE], t->seed, hi, lo);
	return e == NULL ? LPM_NONE : e->value;
}

static uint32_t node_create(struct lpm *t, uint64_t hi, uint64_t lo,
			    unsigned cut)
{
	struct lpm_node *n;
	uint32_t idx;

	key_mask(&hi, &lo, cut);
	if (cut > LPM_STRIDE &&
	    tab_reserve(&t->cut[cut / LPM_STRIDE], t->seed) < 0)
		return LPM_NONE;
	if (t->free_node != LPM_NONE) {
		idx = t->free_node;
		t->free_node = t->nodes[idx].below;
	} else {
		if (t->nodes_hw == t->nodes_cap) {
			uint32_t cap = t->nodes_cap ? t->nodes_cap * 2 : 64;
			struct lpm_node *nn;

			if (t->nodes_cap >= LPM_MAX_NODES)
				return LPM_NONE;
			if (cap > LPM_MAX_NODES)
				cap = LPM_MAX_NODES;
			nn = realloc(t->nodes, (size_t)cap * sizeof(*nn));
			if (nn == NULL)
				return LPM_NONE;
			t->nodes = nn;
			t->nodes_cap = cap;
		}
		idx = t->nodes_hw++;
	}
	n = &t->nodes[idx];
	memset(n, 0, sizeof(*n));
	n->hi = hi;
	n->lo = lo;
	n->best = LPM_NONE;
	if (cut == LPM_STRIDE)
		t->front[hi >> 48] = (t->front[hi >> 48] & 0xff) | (idx + 1) << 8;
	else
		tab_put(&t->cut[cut / LPM_STRIDE], t->seed, hi, lo, idx);
	return idx;
}

static void best_release(struct lpm *t, uint32_t idx);

static void node_remove(struct lpm *t, uint32_t idx, unsigned cut)
{
	struct lpm_node *n = &t->nodes[idx];
	struct lpm_ent *e;

	if (cut == LPM_STRIDE) {
		t->front[n->hi >> 48] &= 0xff;
	} else {
		e = tab_find(&t->cut[cut / LPM_STRIDE], t->seed, n->hi, n->lo);
		if (e != NULL)
			tab_remove(&t->cut[cut / LPM_STRIDE], t->seed, e);
	}
	if (n->best != LPM_NONE)
		best_release(t, n->best);
	n->below = t->free_node;
	t->free_node = idx;
}

/* A best block for a node getting its first near prefix. */
static uint32_t best_alloc(struct lpm *t)
{
	uint32_t idx;

	if (t->free_best != LPM_NONE) {
		idx = t->free_best;
		memcpy(&t->free_best, t->bests[idx].len, sizeof(t->free_best));
	} else {
		if (t->bests_hw == t->bests_cap) {
			uint32_t cap = t->bests_cap ? t->bests_cap * 2 : 16;
			struct lpm_best *nb;

			if (t->bests_cap >= LPM_MAX_NODES)
				return LPM_NONE;
			nb = realloc(t->bests, (size_t)cap * sizeof(*nb));
			if (nb == NULL)
				return LPM_NONE;
			t->bests = nb;
			t->bests_cap = cap;
		}
		idx = t->bests_hw++;
	}
	memset(&t->bests[idx], 0, sizeof(t->bests[idx]));
	return idx;
}

static void best_release(struct lpm *t, uint32_t idx)
{
	memcpy(t->bests[idx].len, &t->free_best, sizeof(t->free_best));
	t->free_best = idx;
}

/* Remove the nodes on the path of hi/lo from cut top up to 16 that hold
 * nothing any more. */
static void path_prune(struct lpm *t, uint64_t hi, uint64_t lo, unsigned top)
{
	unsigned c;

	for (c = top; c >= LPM_STRIDE; c -= LPM_STRIDE) {
		uint32_t idx = node_get(t, hi, lo, c);

		if (idx == LPM_NONE)
			continue;
		if (t->nodes[idx].near != 0 || t->nodes[idx].bits != 0 ||
		    t->nodes[idx].below != 0)
			break;
		node_remove(t, idx, c);
	}
}

/* ---- the table ------------------------------------------------------------ */

struct lpm *lpm_new(unsigned width, uint64_t seed)
{
	struct lpm *t;

	if (width != 32 && width != 128) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->width = width;
	t->seed = seed;
	t->free_node = LPM_NONE;
	t->free_best = LPM_NONE;
	return t;
}

void lpm_clear(struct lpm *t)
{
	size_t i;

	for (i = 0; i < sizeof(t->len) / sizeof(t->len[0]); i++)
		tab_clear(&t->len[i]);
	for (i = 0; i < sizeof(t->cut) / sizeof(t->cut[0]); i++)
		tab_clear(&t->cut[i]);
	free(t->front);
	free(t->nodes);
	free(t->bests);
	t->front = NULL;
	t->nodes = NULL;
	t->bests = NULL;
	t->nodes_cap = t->nodes_hw = 0;
	t->bests_cap = t->bests_hw = 0;
	t->free_node = LPM_NONE;
	t->free_best = LPM_NONE;
	t->n = 0;
}

void lpm_free(struct lpm *t)
{
	if (t == NULL)
		return;
	lpm_clear(t);
	free(t);
}

int lpm_insert(struct lpm *t, const uint8_t *prefix, unsigned len,
	       uint32_t value)
{
	struct lpm_tab *tb;
	struct lpm_ent *e;
	uint64_t hi, lo;
	unsigned c, top = 0;

	if (len > t->width)
		return -EINVAL;
	key_of(t, prefix, &hi, &lo);
	key_mask(&hi, &lo, len);
	tb = &t->len[len];
	e = tab_find(tb, t->seed, hi, lo);
	if (e != NULL) {
		e->value = value;
		return 1;
	}
	if (t->front == NULL) {
		t->front = calloc(LPM_FRONT, sizeof(*t->front));
		if (t->front == NULL)
			return -ENOMEM;
	}
	if (tab_reserve(tb, t->seed) < 0)
		return -ENOMEM;
	/* Every allocation happens before the first change, so a failure
	 * leaves the table as it was (empty new nodes are pruned). */
	if (len > LPM_STRIDE) {
		top = LPM_STRIDE * ((len - 1) / LPM_STRIDE);
		for (c = LPM_STRIDE; c <= top; c += LPM_STRIDE) {
			if (node_get(t, hi, lo, c) != LPM_NONE)
				continue;
			if (node_create(t, hi, lo, c) == LPM_NONE) {
				path_prune(t, hi, lo, top);
				return -ENOMEM;
			}
		}
		if (len - top <= LPM_HALF) {
			struct lpm_node *n = &t->nodes[node_get(t, hi, lo, top)];

			if (n->best == LPM_NONE) {
				uint32_t b = best_alloc(t);

				if (b == LPM_NONE) {
					path_prune(t, hi, lo, top);
					return -ENOMEM;
				}
				t->nodes[node_get(t, hi, lo, top)].best = b;
			}
		}
	}
	tab_put(tb, t->seed, hi, lo, value);
	if (len <= LPM_STRIDE) {
		uint32_t span = 1u << (LPM_STRIDE - len);
		uint32_t s = (uint32_t)(hi >> 48), i, cur;

		for (i = s; i < s + span; i++) {
			cur = t->front[i] & 0xff;
			if (cur == 0 || cur - 1 < len)
				t->front[i] = (t->front[i] & ~0xffu) | (len + 1);
		}
	} else {
		for (c = LPM_STRIDE; c <= top; c += LPM_STRIDE) {
			struct lpm_node *n = &t->nodes[node_get(t, hi, lo, c)];

			if (c < top) {
				n->below++;
			} else if (len - c <= LPM_HALF) {
				uint32_t span = 1u << (c + LPM_HALF - len);
				uint32_t s = sub_slot(hi, lo, c), i;
				uint8_t *best = t->bests[n->best].len;

				for (i = s; i < s + span; i++)
					if (best[i] < len - c)
						best[i] = (uint8_t)(len - c);
				n->near++;
			} else {
				n->cnt[len - c - LPM_HALF - 1]++;
				n->bits |= (uint8_t)(1u << (len - c - LPM_HALF - 1));
			}
		}
	}
	t->n++;
	return 0;
}

/* Take the near prefix hi/lo of length len out of node n at cut c: its
 * slots of best[] go back to the longest shorter near prefix covering
 * them, the same one for all of them. */
static void near_delete(struct lpm *t, struct lpm_node *n, uint64_t hi,
			uint64_t lo, unsigned c, unsigned len)
{
	uint32_t span = 1u << (c + LPM_HALF - len);
	uint32_t s = sub_slot(hi, lo, c), i;
	uint8_t *slot = t->bests[n->best].len, best = 0;
	unsigned l;

	for (l = len - 1; l > c; l--) {
		uint64_t h = hi, w = lo;

		key_mask(&h, &w, l);
		if (tab_find(&t->len[l], t->seed, h, w) != NULL) {
			best = (uint8_t)(l - c);
			break;
		}
	}
	for (i = s; i < s + span; i++)
		if (slot[i] == len - c)
			slot[i] = best;
	if (--n->near == 0) {
		best_release(t, n->best);
		n->best = LPM_NONE;
	}
}

int lpm_delete(struct lpm *t, const uint8_t *prefix, unsigned len,
	       uint32_t *old)
{
	struct lpm_ent *e;
	uint64_t hi, lo;
	unsigned c, top;

	if (len > t->width)
		return -EINVAL;
	key_of(t, prefix, &hi, &lo);
	key_mask(&hi, &lo, len);
	e = tab_find(&t->len[len], t->seed, hi, lo);
	if (e == NULL)
		return -ENOENT;
	if (old != NULL)
		*old = e->value;
	tab_remove(&t->len[len], t->seed, e);
	if (len <= LPM_STRIDE) {
		uint32_t span = 1u << (LPM_STRIDE - len);
		uint32_t s = (uint32_t)(hi >> 48), i, best = 0;
		int l;

		/* What covered the slots before this prefix did: the longest
		 * shorter prefix of the same bits, the same for all of them. */
		for (l = (int)len - 1; l >= 0; l--) {
			uint64_t h = hi, w = lo;

			key_mask(&h, &w, (unsigned)l);
			if (tab_find(&t->len[l], t->seed, h, w) != NULL) {
				best = (uint32_t)l + 1;
				break;
			}
		}
		for (i = s; i < s + span; i++)
			if ((t->front[i] & 0xff) == len + 1)
				t->front[i] = (t->front[i] & ~0xffu) | best;
	} else {
		top = LPM_STRIDE * ((len - 1) / LPM_STRIDE);
		for (c = LPM_STRIDE; c <= top; c += LPM_STRIDE) {
			struct lpm_node *n = &t->nodes[node_get(t, hi, lo, c)];

			if (c < top) {
				n->below--;
			} else if (len - c <= LPM_HALF) {
				near_delete(t, n, hi, lo, c, len);
			} else if (--n->cnt[len - c - LPM_HALF - 1] == 0) {
				n->bits &= (uint8_t)~(1u << (len - c - LPM_HALF - 1));
			}
		}
		path_prune(t, hi, lo, top);
	}
	t->n--;
	return 0;
}

bool lpm_find(const struct lpm *t, const uint8_t *prefix, unsigned len,
	      uint32_t *value)
{
	const struct lpm_ent *e;
	uint64_t hi, lo;

	if (len > t->width)
		return false;
	key_of(t, prefix, &hi, &lo);
	key_mask(&hi, &lo, len);
	e = tab_find(&t->len[len], t->seed, hi, lo);
	if (e == NULL)
		return false;
	if (value != NULL)
		*value = e->value;
	return true;
}

static inline bool hit(const struct lpm *t, uint64_t hi, uint64_t lo,
		       unsigned l, uint32_t *value, unsigned *len)
{
	const struct lpm_ent *e;

	key_mask(&hi, &lo, l);
	e = tab_find(&t->len[l], t->seed, hi, lo);
	if (e == NULL)
		return false;
	if (value != NULL)
		*value = e->value;
	if (len != NULL)
		*len = l;
	return true;
}

bool lpm_lookup(const struct lpm *t, const uint8_t *addr, uint32_t *value,
		unsigned *len)
{
	uint32_t path[128 / LPM_STRIDE], f, idx;
	unsigned depth = 0, c;
	uint64_t hi, lo;

	if (t->front == NULL)
		return false;
	key_of(t, addr, &hi, &lo);
	f = t->front[hi >> 48];
	if (f >> 8 != 0) {
		/* Down first: the deepest node holds the longest lengths. */
		idx = (f >> 8) - 1;
		path[depth++] = idx;
		c = LPM_STRIDE;
		while (t->nodes[idx].below != 0 && c + LPM_STRIDE < t->width) {
			c += LPM_STRIDE;
			idx = node_get(t, hi, lo, c);
			if (idx == LPM_NONE)
				break;
			path[depth++] = idx;
		}
	}
	while (depth-- > 0) {
		const struct lpm_node *n = &t->nodes[path[depth]];
		unsigned bits = n->bits, cut = LPM_STRIDE * (depth + 1), b;

		while (bits != 0) {
			b = 31u - (unsigned)__builtin_clz(bits);
			if (hit(t, hi, lo, cut + LPM_HALF + 1 + b, value, len))
				return true;
			bits &= ~(1u << b);
		}
		if (n->best == LPM_NONE)
			continue;
		b = t->bests[n->best].len[sub_slot(hi, lo, cut)];
		if (b != 0)
			return hit(t, hi, lo, cut + b, value, len);
	}
	if ((f & 0xff) != 0)
		return hit(t, hi, lo, (f & 0xff) - 1, value, len);
	return false;
}

size_t lpm_count(const struct lpm *t)
{
	return t->n;
}

size_t lpm_memory(const struct lpm *t)
{
	size_t m = sizeof(*t), i;

	for (i = 0; i < sizeof(t->len) / sizeof(t->len[0]); i++)
		if (t->len[i].e != NULL)
			m += ((size_t)t->len[i].mask + 1) * sizeof(struct lpm_ent);
	for (i = 0; i < sizeof(t->cut) / sizeof(t->cut[0]); i++)
		if (t->cut[i].e != NULL)
			m += ((size_t)t->cut[i].mask + 1) * sizeof(struct lpm_ent);
	if (t->front != NULL)
		m += LPM_FRONT * sizeof(*t->front);
	m += (size_t)t->nodes_cap * sizeof(struct lpm_node);
	m += (size_t)t->bests_cap * sizeof(struct lpm_best);
	return m;
}
