/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * agg: key building, summing, ordering and printing of aggregates.
 *
 * A block is aggregated in passes: every key field is written for all the
 * selected records (one loop per field over one column), then every key is
 * hashed, then the keys are looked up with the index slot of a key a few
 * places ahead prefetched.  With ten million distinct source addresses the
 * table is far larger than the caches, and the prefetch hides most of the
 * miss of each lookup behind the work on the previous ones.
 */
#include "agg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ktab.h"
#include "out.h"
#include "wire_cursor.h"

#define MAX_KEYS	16
/* Lookups issued ahead of the one being done. */
#define PREFETCH_AHEAD	8

enum kfield {
	K_SRCIP, K_DSTIP, K_SRCPORT, K_DSTPORT, K_PROTO, K_TOS, K_INIF,
	K_OUTIF, K_EXPORTER, K_NEXTHOP, K_SRCNET, K_DSTNET, K_TENANT,
	K_SRCTENANT, K_DSTTENANT, K_IPVER,
};

static const struct {
	const char *name;
	enum kfield k;
	uint8_t width;
	unsigned cols;
} kinfo[] = {
	{ "srcip", K_SRCIP, 16, 1u << STORE_COL_SRC_ADDR | 1u << STORE_COL_PROTO },
	{ "dstip", K_DSTIP, 16, 1u << STORE_COL_DST_ADDR | 1u << STORE_COL_PROTO },
	{ "srcport", K_SRCPORT, 2, 1u << STORE_COL_PORTS },
	{ "dstport", K_DSTPORT, 2, 1u << STORE_COL_PORTS },
	{ "proto", K_PROTO, 1, 1u << STORE_COL_PROTO },
	{ "tos", K_TOS, 1, 1u << STORE_COL_TOS_FLAGS },
	{ "inif", K_INIF, 4, 1u << STORE_COL_IFACES },
	{ "outif", K_OUTIF, 4, 1u << STORE_COL_IFACES },
	{ "exporter", K_EXPORTER, 16, 1u << STORE_COL_EXPORTER },
	{ "nexthop", K_NEXTHOP, 16, 1u << STORE_COL_NEXT_HOP | 1u << STORE_COL_PROTO },
	{ "srcnet", K_SRCNET, 16, 1u << STORE_COL_SRC_ADDR | 1u << STORE_COL_PROTO },
	{ "dstnet", K_DSTNET, 16, 1u << STORE_COL_DST_ADDR | 1u << STORE_COL_PROTO },
	{ "tenant", K_TENANT, 4, 1u << STORE_COL_SRC_ADDR | 1u << STORE_COL_DST_ADDR | 1u << STORE_COL_PROTO },
	{ "srctenant", K_SRCTENANT, 4, 1u << STORE_COL_SRC_ADDR | 1u << STORE_COL_PROTO },
	{ "dsttenant", K_DSTTENANT, 4, 1u << STORE_COL_DST_ADDR | 1u << STORE_COL_PROTO },
	{ "ipver", K_IPVER, 1, 1u << STORE_COL_PROTO },
};
#define N_KINFO (sizeof(kinfo) / sizeof(kinfo[0]))

struct keydef {
	enum kfield k;
	uint16_t off;
	uint8_t width;
	uint8_t len4, len6;	/* srcnet, dstnet */
	char name[24];		/* as printed: "srcnet", "srcip" */
};

struct agg {
	struct keydef keys[MAX_KEYS];
	size_t n_keys, key_len;
	unsigned cols;
	const struct tenant_map *tm;
	struct ktab *tab;
	uint64_t flows, packets, bytes;
	uint8_t *kbuf;		/* n x key_len of the block being added */
	uint64_t *hbuf;
	size_t buf_cap;
	uint8_t (*exp_addr)[16];	/* per exporter index, mapped form */
	size_t n_exp;
};

static const uint8_t v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				       0xff, 0xff };

int agg_new(const char *keys, const struct tenant_map *tm, struct agg **out,
	    char *err, size_t errlen)
{
	char *dup, *tok, *save, *slash, *end;
	struct agg *a;
	size_t i, off = 0;
	long l4, l6;
	int rc = -EINVAL;

	*out = NULL;
	a = calloc(1, sizeof(*a));
	dup = strdup(keys);
	if (a == NULL || dup == NULL) {
		free(a);
		free(dup);
		return -ENOMEM;
	}
	a->tm = tm;
	a->cols = 1u << STORE_COL_COUNTERS;
	for (tok = strtok_r(dup, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		struct keydef *k;

		while (*tok == ' ')
			tok++;
		slash = strchr(tok, '/');
		if (slash != NULL)
			*slash++ = '\0';
		for (i = 0; i < N_KINFO; i++)
			if (strcmp(kinfo[i].name, tok) == 0)
				break;
		if (i == N_KINFO) {
			snprintf(err, errlen, "unknown aggregation key '%s' "
				 "(srcip, dstip, srcport, dstport, proto, tos, "
				 "inif, outif, exporter, nexthop, srcnet/N, "
				 "dstnet/N, tenant, srctenant, dsttenant, ipver)",
				 tok);
			goto fail;
		}
		if (a->n_keys == MAX_KEYS) {
			snprintf(err, errlen, "more than %d aggregation keys",
				 MAX_KEYS);
			goto fail;
		}
		k = &a->keys[a->n_keys++];
		k->k = kinfo[i].k;
		k->width = kinfo[i].width;
		k->off = (uint16_t)off;
		snprintf(k->name, sizeof(k->name), "%s", kinfo[i].name);
		off += k->width;
		a->cols |= kinfo[i].cols;
		if (slash != NULL && k->k != K_SRCNET && k->k != K_DSTNET) {
			snprintf(err, errlen, "'%s' takes no /length", tok);
			goto fail;
		}
		k->len4 = 24;
		k->len6 = 64;
		if (slash != NULL) {
			l4 = strtol(slash, &end, 10);
			if (end == slash || l4 < 0 || l4 > 32 ||
			    (*end != '\0' && *end != '/')) {
				snprintf(err, errlen, "%s/%s: the IPv4 length "
					 "must be 0-32", tok, slash);
				goto fail;
			}
			k->len4 = (uint8_t)l4;
			if (*end == '/') {
				slash = end + 1;
				l6 = strtol(slash, &end, 10);
				if (end == slash || *end != '\0' || l6 < 0 ||
				    l6 > 128) {
					snprintf(err, errlen, "%s: the IPv6 "
						 "length must be 0-128", tok);
					goto fail;
				}
				k->len6 = (uint8_t)l6;
			}
		}
		if ((k->k == K_TENANT || k->k == K_SRCTENANT ||
		     k->k == K_DSTTENANT) && tm == NULL) {
			snprintf(err, errlen, "'%s' needs a tenant map "
				 "(--tenants FILE)", tok);
			goto fail;
		}
	}
	if (a->n_keys == 0) {
		snprintf(err, errlen, "no aggregation key given");
		goto fail;
	}
	a->key_len = (off + 7) & ~(size_t)7;
	a->tab = ktab_new(a->key_len, 3);
	if (a->tab == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	free(dup);
	*out = a;
	return 0;
fail:
	free(dup);
	agg_free(a);
	return rc;
}

void agg_free(struct agg *a)
{
	if (a == NULL)
		return;
	ktab_free(a->tab);
	free(a->kbuf);
	free(a->hbuf);
	free(a->exp_addr);
	free(a);
}

unsigned agg_columns(const struct agg *a)
{
	return a->cols;
}

static void put_addr_key(uint8_t *dst, const uint8_t a[16], int ipver)
{
	if (ipver == 6) {
		memcpy(dst, a, 16);
	} else {
		memcpy(dst, v4_mapped, 12);
		memcpy(dst + 12, a, 4);
	}
}

int agg_bind(struct agg *a, const struct store_exporter *exp,
	     uint32_t n_exp)
{
	uint8_t (*e)[16];
	uint32_t i;

	/* Indexed by any uint16_t, so never out of bounds. */
	if (a->exp_addr == NULL) {
		e = calloc(65536, sizeof(*e));
		if (e == NULL)
			return -ENOMEM;
		a->exp_addr = e;
	}
	memset(a->exp_addr, 0, 65536 * sizeof(*a->exp_addr));
	for (i = 0; i < n_exp && i < 65536; i++)
		put_addr_key(a->exp_addr[i], exp[i].addr, exp[i].family);
	a->n_exp = n_exp;
	return 0;
}

static int grow_bufs(struct agg *a, size_t n)
{
	size_t cap = a->buf_cap ? a->buf_cap : 4096;
	uint8_t *k;
	uint64_t *h;

	while (cap < n)
		cap *= 2;
	k = malloc(cap * a->key_len);
	h = malloc(cap * sizeof(*h));
	if (k == NULL || h == NULL) {
		free(k);
		free(h);
		return -ENOMEM;
	}
	free(a->kbuf);
	free(a->hbuf);
	a->kbuf = k;
	a->hbuf = h;
	a->buf_cap = cap;
	return 0;
}

/* Prefix of len bits of a mapped-form key (IPv4 lengths count from byte
 * 12). */
static void mask_key(uint8_t *k, unsigned len, bool v4)
{
	unsigned b, start = v4 ? 96 : 0;

	for (b = start + len; b < 128; b++)
		k[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
}

static uint32_t tenant_of(const struct agg *a, const struct store_cols *c,
			  uint32_t i, enum kfield k)
{
	uint32_t t = 0;

	if (k != K_DSTTENANT)
		t = tenant_map_lookup(a->tm, c->src_addr[i], c->ip_version[i]);
	if (t == 0 && k != K_SRCTENANT)
		t = tenant_map_lookup(a->tm, c->dst_addr[i], c->ip_version[i]);
	return t;
}

static void build_field(const struct agg *a, const struct keydef *kd,
			const struct store_cols *c, const uint32_t *sel,
			size_t n)
{
	size_t kl = a->key_len, j;
	uint8_t *p = a->kbuf + kd->off;

	switch (kd->k) {
	case K_SRCIP:
	case K_DSTIP:
	case K_NEXTHOP: {
		const uint8_t (*ad)[16] = kd->k == K_SRCIP ? c->src_addr :
		    kd->k == K_DSTIP ? c->dst_addr : c->next_hop;

		for (j = 0; j < n; j++, p += kl)
			put_addr_key(p, ad[sel[j]], c->ip_version[sel[j]]);
		break;
	}
	case K_SRCNET:
	case K_DSTNET: {
		const uint8_t (*ad)[16] = kd->k == K_SRCNET ? c->src_addr :
		    c->dst_addr;

		for (j = 0; j < n; j++, p += kl) {
			bool v4 = c->ip_version[sel[j]] != 6;

			put_addr_key(p, ad[sel[j]], c->ip_version[sel[j]]);
			mask_key(p, v4 ? kd->len4 : kd->len6, v4);
		}
		break;
	}
	case K_SRCPORT:
		for (j = 0; j < n; j++, p += kl)
			wire_store_be16(p, c->src_port[sel[j]]);
		break;
	case K_DSTPORT:
		for (j = 0; j < n; j++, p += kl)
			wire_store_be16(p, c->dst_port[sel[j]]);
		break;
	case K_PROTO:
		for (j = 0; j < n; j++, p += kl)
			*p = c->proto[sel[j]];
		break;
	case K_IPVER:
		for (j = 0; j < n; j++, p += kl)
			*p = c->ip_version[sel[j]];
		break;
	case K_TOS:
		for (j = 0; j < n; j++, p += kl)
			*p = c->tos[sel[j]];
		break;
	case K_INIF:
		for (j = 0; j < n; j++, p += kl)
			wire_store_be32(p, c->in_if[sel[j]]);
		break;
	case K_OUTIF:
		for (j = 0; j < n; j++, p += kl)
			wire_store_be32(p, c->out_if[sel[j]]);
		break;
	case K_EXPORTER:
		for (j = 0; j < n; j++, p += kl)
			memcpy(p, a->exp_addr[c->exporter[sel[j]]], 16);
		break;
	case K_TENANT:
	case K_SRCTENANT:
	case K_DSTTENANT:
		for (j = 0; j < n; j++, p += kl)
			wire_store_be32(p, tenant_of(a, c, sel[j], kd->k));
		break;
	}
}

int agg_add(struct agg *a, const struct store_cols *c, const uint32_t *sel,
	    size_t n)
{
	size_t kl = a->key_len, j, k;
	uint64_t *v;

	if (n == 0)
		return 0;
	if (a->exp_addr == NULL && agg_bind(a, NULL, 0) != 0)
		return -ENOMEM;
	if (n > a->buf_cap && grow_bufs(a, n) != 0)
		return -ENOMEM;
	memset(a->kbuf, 0, n * kl);
	for (k = 0; k < a->n_keys; k++)
		build_field(a, &a->keys[k], c, sel, n);
	for (j = 0; j < n; j++)
		a->hbuf[j] = ktab_hash(a->tab, a->kbuf + j * kl);
	for (j = 0; j < n; j++) {
		uint32_t i = sel[j];

		if (j + PREFETCH_AHEAD < n)
			ktab_prefetch(a->tab, a->hbuf[j + PREFETCH_AHEAD]);
		v = ktab_get(a->tab, a->kbuf + j * kl, a->hbuf[j]);
		if (v == NULL)
			return -ENOMEM;
		v[0]++;
		v[1] += c->packets[i];
		v[2] += c->bytes[i];
		a->packets += c->packets[i];
		a->bytes += c->bytes[i];
	}
	a->flows += n;
	return 0;
}

size_t agg_count(const struct agg *a)
{
	return ktab_count(a->tab);
}

void agg_totals(const struct agg *a, uint64_t *flows, uint64_t *packets,
		uint64_t *bytes)
{
	*flows = a->flows;
	*packets = a->packets;
	*bytes = a->bytes;
}

size_t agg_bytes(const struct agg *a)
{
	return ktab_bytes(a->tab) + a->buf_cap * (a->key_len + 8);
}

const uint64_t *agg_row_vals(const struct agg *a, uint32_t row)
{
	return ktab_vals(a->tab, row);
}

/* --- ordering --------------------------------------------------------- */

struct order {
	const struct ktab *t;
	int by;			/* counter index, or -1: key */
	bool reverse;
};

/* <0 when row x comes before row y. */
static int row_cmp(const struct order *o, uint32_t x, uint32_t y)
{
	const struct ktab *t = o->t;
	int r;

	if (o->by >= 0) {
		uint64_t a = ktab_vals(t, x)[o->by], b = ktab_vals(t, y)[o->by];

		if (a != b) {
			r = a > b ? -1 : 1;
			return o->reverse ? -r : r;
		}
		return memcmp(ktab_key(t, x), ktab_key(t, y), ktab_key_len(t));
	}
	r = memcmp(ktab_key(t, x), ktab_key(t, y), ktab_key_len(t));
	return o->reverse ? -r : r;
}

/* Heap whose root is the row that comes last. */
static void sift_down(const struct order *o, uint32_t *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		uint32_t tmp;

		if (l < n && row_cmp(o, h[l], h[m]) > 0)
			m = l;
		if (r < n && row_cmp(o, h[r], h[m]) > 0)
			m = r;
		if (m == i)
			return;
		tmp = h[i];
		h[i] = h[m];
		h[m] = tmp;
		i = m;
	}
}

int agg_rows(const struct agg *a, enum agg_by by, bool reverse, size_t top,
	     uint32_t **rows, size_t *n)
{
	struct order o = { a->tab, by == AGG_BY_KEY ? -1 : (int)by, reverse };
	size_t count = ktab_count(a->tab), k = 0, i;
	uint32_t *h, tmp;

	*rows = NULL;
	*n = 0;
	if (top == 0 || top > count)
		top = count;
	h = malloc((top ? top : 1) * sizeof(*h));
	if (h == NULL)
		return -ENOMEM;
	/* Keep the best `top` rows in a heap whose root is the worst kept. */
	for (i = 0; i < count && top > 0; i++) {
		if (k < top) {
			size_t c = k++, p;

			h[c] = (uint32_t)i;
			while (c > 0 && row_cmp(&o, h[c], h[p = (c - 1) / 2]) > 0) {
				tmp = h[c];
				h[c] = h[p];
				h[p] = tmp;
				c = p;
			}
		} else if (row_cmp(&o, (uint32_t)i, h[0]) < 0) {
			h[0] = (uint32_t)i;
			sift_down(&o, h, k, 0);
		}
	}
	/* Heap sort: the worst goes to the end, one by one. */
	for (i = k; i > 1; i--) {
		tmp = h[0];
		h[0] = h[i - 1];
		h[i - 1] = tmp;
		sift_down(&o, h, i - 1, 0);
	}
	*rows = h;
	*n = k;
	return 0;
}

/* --- printing --------------------------------------------------------- */

static void addr_text(const uint8_t k[16], char *buf, size_t len)
{
	if (memcmp(k, v4_mapped, 12) == 0)
		inet_ntop(AF_INET, k + 12, buf, (socklen_t)len);
	else
		inet_ntop(AF_INET6, k, buf, (socklen_t)len);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void key_text(const struct agg *a, const struct keydef *kd,
		     const uint8_t *key, char *buf, size_t len)
{
	const uint8_t *p = key + kd->off;
	char t[INET6_ADDRSTRLEN];

	switch (kd->k) {
	case K_SRCIP:
	case K_DSTIP:
	case K_NEXTHOP:
	case K_EXPORTER:
		addr_text(p, buf, len);
		break;
	case K_SRCNET:
	case K_DSTNET:
		addr_text(p, t, sizeof(t));
		snprintf(buf, len, "%s/%u", t, memcmp(p, v4_mapped, 12) == 0 ?
			 kd->len4 : kd->len6);
		break;
	case K_SRCPORT:
	case K_DSTPORT:
		snprintf(buf, len, "%u", (unsigned)(p[0] << 8 | p[1]));
		break;
	case K_PROTO:
	case K_TOS:
	case K_IPVER:
		snprintf(buf, len, "%u", p[0]);
		break;
	case K_INIF:
	case K_OUTIF:
		snprintf(buf, len, "%" PRIu32, get_be32(p));
		break;
	case K_TENANT:
	case K_SRCTENANT:
	case K_DSTTENANT:
		snprintf(buf, len, "%s", tenant_map_name(a->tm, get_be32(p)));
		break;
	}
}

static bool key_numeric(enum kfield k)
{
	switch (k) {
	case K_SRCPORT: case K_DSTPORT: case K_PROTO: case K_TOS:
	case K_INIF: case K_OUTIF: case K_IPVER:
		return true;
	default:
		return false;
	}
}

/* Column c: 0..n_keys-1 keys, then n_keys + 0..2 the counters. */
static void cell(const struct agg *a, uint32_t row, int c, char *buf,
		 size_t len)
{
	if ((size_t)c < a->n_keys)
		key_text(a, &a->keys[c], ktab_key(a->tab, row), buf, len);
	else
		snprintf(buf, len, "%" PRIu64,
			 ktab_vals(a->tab, row)[c - (int)a->n_keys]);
}

int agg_print(const struct agg *a, const uint32_t *rows, size_t n,
	      enum record_fmt fmt, const char *fields, FILE *f, char *err,
	      size_t errlen)
{
	static const char *const vals[] = { "flows", "packets", "bytes" };
	const char *names[OUT_MAX_COLS];
	bool numeric[OUT_MAX_COLS];
	int cols[OUT_MAX_COLS];
	char cells[OUT_MAX_COLS][OUT_CELL];
	size_t nc = 0, i, j;
	struct out o;

	if (fields == NULL) {
		for (i = 0; i < a->n_keys + 3; i++)
			cols[nc++] = (int)i;
	} else {
		char *dup = strdup(fields), *tok, *save;

		if (dup == NULL)
			return -ENOMEM;
		for (tok = strtok_r(dup, ",", &save); tok != NULL;
		     tok = strtok_r(NULL, ",", &save)) {
			for (i = 0; i < a->n_keys + 3; i++) {
				const char *nm = i < a->n_keys ?
				    a->keys[i].name : vals[i - a->n_keys];

				if (strcmp(tok, nm) == 0)
					break;
			}
			if (i == a->n_keys + 3 || nc == OUT_MAX_COLS) {
				snprintf(err, errlen, "--fields: '%s' is not "
					 "an aggregation key or flows, packets, "
					 "bytes", tok);
				free(dup);
				return -EINVAL;
			}
			cols[nc++] = (int)i;
		}
		free(dup);
	}
	for (i = 0; i < nc; i++) {
		size_t c = (size_t)cols[i];

		names[i] = c < a->n_keys ? a->keys[c].name : vals[c - a->n_keys];
		numeric[i] = c >= a->n_keys || key_numeric(a->keys[c].k);
	}
	out_init(&o, fmt, f, nc, names, numeric);
	if (fmt == RECORD_FMT_TEXT) {
		for (j = 0; j < n; j++) {
			for (i = 0; i < nc; i++)
				cell(a, rows[j], cols[i], cells[i], OUT_CELL);
			out_fit(&o, cells);
		}
	}
	out_header(&o);
	for (j = 0; j < n; j++) {
		for (i = 0; i < nc; i++)
			cell(a, rows[j], cols[i], cells[i], OUT_CELL);
		out_row(&o, cells);
	}
	return 0;
}
