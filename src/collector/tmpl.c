/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tmpl: templates per (exporter address and port, version, domain, id).
 *
 * Sessions live in a chained hash table keyed with SipHash (the keys come
 * from the network, so a random hash key keeps crafted sources from
 * piling into one bucket).  Each session holds a small array of template
 * pointers, searched linearly: real exporters define a handful of
 * templates, and max_per_session bounds the walk.  A template is one
 * allocation, its fields right after it, sized by its own field count.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tflow/ie.h"
#include "siphash.h"
#include "tmpl.h"

struct tmpl_session {
	struct tmpl_session *next;	/* hash chain */
	struct tmpl_key key;
	uint32_t n;			/* templates in t[] */
	uint32_t cap;
	struct tmpl **t;
};

struct tmpl_store {
	struct tmpl_limits lim;
	uint8_t hkey[16];
	size_t total;
	size_t nbuckets;		/* power of two */
	struct tmpl_session **buckets;
};

struct tmpl_store *tmpl_store_new(const struct tmpl_limits *lim)
{
	struct tmpl_store *ts;
	size_t n = 64;

	if (lim == NULL || lim->max_total == 0 || lim->max_per_session == 0) {
		errno = EINVAL;
		return NULL;
	}
	ts = calloc(1, sizeof(*ts));
	if (ts == NULL)
		return NULL;
	ts->lim = *lim;
	/* About one session per four templates; no need to grow. */
	while (n < lim->max_total / 4 && n < 65536)
		n <<= 1;
	ts->nbuckets = n;
	ts->buckets = calloc(n, sizeof(*ts->buckets));
	if (ts->buckets == NULL) {
		free(ts);
		errno = ENOMEM;
		return NULL;
	}
	if (siphash_random_key(ts->hkey) != 0)
		memset(ts->hkey, 0x5a, sizeof(ts->hkey));
	return ts;
}

static void session_free(struct tmpl_session *s)
{
	uint32_t i;

	for (i = 0; i < s->n; i++)
		free(s->t[i]);
	free(s->t);
	free(s);
}

void tmpl_store_free(struct tmpl_store *ts)
{
	struct tmpl_session *s, *next;
	size_t b;

	if (ts == NULL)
		return;
	for (b = 0; b < ts->nbuckets; b++)
		for (s = ts->buckets[b]; s != NULL; s = next) {
			next = s->next;
			session_free(s);
		}
	free(ts->buckets);
	free(ts);
}

int tmpl_finish(struct tmpl *t)
{
	const struct tmpl_field *f = t->fields;
	uint32_t len = 0;
	uint16_t i;

	t->varlen = false;
	for (i = 0; i < t->nfields; i++) {
		if (f[i].len == TMPL_VARLEN) {
			t->varlen = true;
			len += 1;	/* the shortest length prefix */
		} else {
			len += f[i].len;
		}
	}
	t->min_len = len;
	/* RouterOS's IPFIX templates open with ipVersion (1 byte) and the
	 * uptime-relative start and end; no other exporter seen does.  Its
	 * samplingInterval arrives little-endian (see dec_fields.c). */
	t->routeros = t->nfields >= 3 && !t->options &&
	    f[0].pen == 0 && f[0].id == IE_IP_PROTOCOL_VERSION && f[0].len == 1 &&
	    f[1].pen == 0 && f[1].id == IE_FIRST_SWITCHED &&
	    f[2].pen == 0 && f[2].id == IE_LAST_SWITCHED;
	if (t->nfields == 0 || len == 0)
		return -EINVAL;
	return 0;
}

static struct tmpl_session **bucket(const struct tmpl_store *ts,
				    const struct tmpl_key *k)
{
	uint64_t h = siphash13(ts->hkey, k, sizeof(*k));

	return &ts->buckets[h & (ts->nbuckets - 1)];
}

static struct tmpl_session *session_find(const struct tmpl_store *ts,
					 const struct tmpl_key *k)
{
	struct tmpl_session *s;

	for (s = *bucket(ts, k); s != NULL; s = s->next)
		if (memcmp(&s->key, k, sizeof(*k)) == 0)
			return s;
	return NULL;
}

static void session_unlink(struct tmpl_store *ts, struct tmpl_session *s)
{
	struct tmpl_session **pp;

	for (pp = bucket(ts, &s->key); *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	session_free(s);
}

/* Remove template i of s (order is not kept); frees s when it empties. */
static void remove_at(struct tmpl_store *ts, struct tmpl_session *s,
		      uint32_t i)
{
	free(s->t[i]);
	s->t[i] = s->t[--s->n];
	ts->total--;
	if (s->n == 0)
		session_unlink(ts, s);
}

static bool expired(const struct tmpl_store *ts, const struct tmpl *t,
		    uint64_t now_ms)
{
	return ts->lim.timeout_ms != 0 && now_ms > t->refreshed_ms &&
	    now_ms - t->refreshed_ms > ts->lim.timeout_ms;
}

const struct tmpl *tmpl_find(struct tmpl_store *ts, const struct tmpl_key *k,
			     uint16_t id, uint64_t now_ms)
{
	struct tmpl_session *s = session_find(ts, k);
	uint32_t i;

	if (s == NULL)
		return NULL;
	for (i = 0; i < s->n; i++) {
		if (s->t[i]->id != id)
			continue;
		if (expired(ts, s->t[i], now_ms)) {
			remove_at(ts, s, i);
			return NULL;
		}
		return s->t[i];
	}
	return NULL;
}

static struct tmpl *tmpl_copy(const struct tmpl *t, uint64_t now_ms)
{
	struct tmpl *c;
	size_t fsz = (size_t)t->nfields * sizeof(struct tmpl_field);

	c = malloc(sizeof(*c) + fsz);
	if (c == NULL)
		return NULL;
	*c = *t;
	c->fields = (struct tmpl_field *)(void *)(c + 1);
	memcpy(c->fields, t->fields, fsz);
	c->refreshed_ms = now_ms;
	return c;
}

int tmpl_add(struct tmpl_store *ts, const struct tmpl_key *k,
	     const struct tmpl *t, uint64_t now_ms)
{
	struct tmpl_session *s, **b;
	struct tmpl *c;
	uint32_t i;

	if (t->nfields > TMPL_MAX_FIELDS)
		return -EINVAL;
	s = session_find(ts, k);
	if (s != NULL) {
		for (i = 0; i < s->n; i++) {
			if (s->t[i]->id != t->id)
				continue;
			c = tmpl_copy(t, now_ms);
			if (c == NULL)
				return -ENOMEM;
			free(s->t[i]);
			s->t[i] = c;
			return 1;
		}
		if (s->n >= ts->lim.max_per_session)
			return -EDQUOT;
	}
	if (ts->total >= ts->lim.max_total)
		return -ENOSPC;
	if (s == NULL) {
		s = calloc(1, sizeof(*s));
		if (s == NULL)
			return -ENOMEM;
		s->key = *k;
		b = bucket(ts, k);
		s->next = *b;
		*b = s;
	}
	if (s->n == s->cap) {
		uint32_t cap = s->cap ? s->cap * 2 : 4;
		struct tmpl **nt;

		if (cap > ts->lim.max_per_session)
			cap = ts->lim.max_per_session;
		nt = realloc(s->t, cap * sizeof(*nt));
		if (nt == NULL)
			goto fail;
		s->t = nt;
		s->cap = cap;
	}
	c = tmpl_copy(t, now_ms);
	if (c == NULL)
		goto fail;
	s->t[s->n++] = c;
	ts->total++;
	return 0;
fail:
	if (s->n == 0)
		session_unlink(ts, s);
	return -ENOMEM;
}

int tmpl_withdraw(struct tmpl_store *ts, const struct tmpl_key *k,
		  uint16_t id)
{
	struct tmpl_session *s = session_find(ts, k);
	uint32_t i;

	if (s == NULL)
		return -ENOENT;
	for (i = 0; i < s->n; i++)
		if (s->t[i]->id == id) {
			remove_at(ts, s, i);
			return 0;
		}
	return -ENOENT;
}

size_t tmpl_withdraw_all(struct tmpl_store *ts, const struct tmpl_key *k,
			 bool options)
{
	struct tmpl_session *s = session_find(ts, k);
	size_t n = 0;
	uint32_t i = 0;

	while (s != NULL && i < s->n) {
		if (s->t[i]->options != options) {
			i++;
			continue;
		}
		n++;
		if (s->n == 1) {
			remove_at(ts, s, i);
			break;
		}
		remove_at(ts, s, i);	/* moves the last one to i */
	}
	return n;
}

size_t tmpl_drop_session(struct tmpl_store *ts, const struct tmpl_key *k)
{
	struct tmpl_session *s = session_find(ts, k);
	size_t n;

	if (s == NULL)
		return 0;
	n = s->n;
	ts->total -= n;
	session_unlink(ts, s);
	return n;
}

size_t tmpl_expire(struct tmpl_store *ts, uint64_t now_ms)
{
	struct tmpl_session *s, *next;
	size_t b, n = 0;
	uint32_t i;

	for (b = 0; b < ts->nbuckets; b++)
		for (s = ts->buckets[b]; s != NULL; s = next) {
			next = s->next;
			i = 0;
			while (i < s->n) {
				if (!expired(ts, s->t[i], now_ms)) {
					i++;
					continue;
				}
				n++;
				if (s->n == 1) {
					remove_at(ts, s, i);
					break;
				}
				remove_at(ts, s, i);
			}
		}
	return n;
}

size_t tmpl_count(const struct tmpl_store *ts)
{
	return ts->total;
}

size_t tmpl_session_count(const struct tmpl_store *ts,
			  const struct tmpl_key *k)
{
	const struct tmpl_session *s = session_find(ts, k);

	return s != NULL ? s->n : 0;
}
