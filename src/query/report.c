/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * report: per (tenant, address) sums in a ktab keyed by the tenant id and
 * the address in mapped form; the tenant totals are the sums of its
 * addresses, computed when printing, so they always agree with the
 * breakdown.
 */
#include "report.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ktab.h"
#include "out.h"

#define KEY_LEN		24	/* tenant id (4, big-endian), address 16, pad */
enum { V_IN_B, V_OUT_B, V_IN_P, V_OUT_P, V_IN_F, V_OUT_F, N_VALS };

struct report {
	const struct tenant_map *tm;
	struct ktab *tab;
};

static const uint8_t v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				       0xff, 0xff };

struct report *report_new(const struct tenant_map *tm)
{
	struct report *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->tm = tm;
	r->tab = ktab_new(KEY_LEN, N_VALS);
	if (r->tab == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

void report_free(struct report *r)
{
	if (r == NULL)
		return;
	ktab_free(r->tab);
	free(r);
}

unsigned report_columns(void)
{
	return 1u << STORE_COL_SRC_ADDR | 1u << STORE_COL_DST_ADDR |
	       1u << STORE_COL_PROTO | 1u << STORE_COL_COUNTERS;
}

static uint64_t *slot(struct report *r, uint32_t tenant, const uint8_t a[16],
		      int ipver)
{
	uint8_t key[KEY_LEN] = { 0 };

	key[0] = (uint8_t)(tenant >> 24);
	key[1] = (uint8_t)(tenant >> 16);
	key[2] = (uint8_t)(tenant >> 8);
	key[3] = (uint8_t)tenant;
	if (ipver == 6) {
		memcpy(key + 4, a, 16);
	} else {
		memcpy(key + 4, v4_mapped, 12);
		memcpy(key + 16, a, 4);
	}
	return ktab_get(r->tab, key, ktab_hash(r->tab, key));
}

int report_add(struct report *r, const struct store_cols *c,
	       const uint32_t *sel, size_t n)
{
	size_t j;

	for (j = 0; j < n; j++) {
		uint32_t i = sel[j], t;
		int v = c->ip_version[i];
		uint64_t *s;

		t = tenant_map_lookup(r->tm, c->src_addr[i], v);
		if (t != 0) {
			if ((s = slot(r, t, c->src_addr[i], v)) == NULL)
				return -ENOMEM;
			s[V_OUT_B] += c->bytes[i];
			s[V_OUT_P] += c->packets[i];
			s[V_OUT_F]++;
		}
		t = tenant_map_lookup(r->tm, c->dst_addr[i], v);
		if (t != 0) {
			if ((s = slot(r, t, c->dst_addr[i], v)) == NULL)
				return -ENOMEM;
			s[V_IN_B] += c->bytes[i];
			s[V_IN_P] += c->packets[i];
			s[V_IN_F]++;
		}
	}
	return 0;
}

struct row {
	uint32_t tenant;
	uint64_t total;
	const uint8_t *key;
	const uint64_t *vals;
};

static int row_cmp(const void *x, const void *y)
{
	const struct row *a = x, *b = y;

	if (a->tenant != b->tenant)
		return a->tenant < b->tenant ? -1 : 1;
	if (a->total != b->total)
		return a->total > b->total ? -1 : 1;
	return memcmp(a->key + 4, b->key + 4, 16);
}

static void row_cells(const char *tenant, const char *addr,
		      const uint64_t *v, char cells[][OUT_CELL])
{
	snprintf(cells[0], OUT_CELL, "%s", tenant);
	snprintf(cells[1], OUT_CELL, "%s", addr);
	snprintf(cells[2], OUT_CELL, "%" PRIu64, v[V_IN_B]);
	snprintf(cells[3], OUT_CELL, "%" PRIu64, v[V_OUT_B]);
	snprintf(cells[4], OUT_CELL, "%" PRIu64, v[V_IN_B] + v[V_OUT_B]);
	snprintf(cells[5], OUT_CELL, "%" PRIu64, v[V_IN_P]);
	snprintf(cells[6], OUT_CELL, "%" PRIu64, v[V_OUT_P]);
	snprintf(cells[7], OUT_CELL, "%" PRIu64, v[V_IN_F]);
	snprintf(cells[8], OUT_CELL, "%" PRIu64, v[V_OUT_F]);
}

static void addr_text(const uint8_t k[16], char *buf, size_t len)
{
	if (memcmp(k, v4_mapped, 12) == 0)
		inet_ntop(AF_INET, k + 12, buf, (socklen_t)len);
	else
		inet_ntop(AF_INET6, k, buf, (socklen_t)len);
}

int report_print(const struct report *r, enum record_fmt fmt,
		 uint64_t from_ms, uint64_t to_ms, FILE *f)
{
	static const char *const names[] = {
		"tenant", "address", "in_bytes", "out_bytes", "total_bytes",
		"in_packets", "out_packets", "in_flows", "out_flows",
	};
	static const bool numeric[] = {
		false, false, true, true, true, true, true, true, true,
	};
	size_t n = ktab_count(r->tab), i, j, k;
	uint32_t nt = tenant_map_count(r->tm), t;
	char cells[9][OUT_CELL], a[INET6_ADDRSTRLEN], from[32], to[32];
	char pfx[512];
	struct row *rows;
	struct out o;

	rows = malloc((n ? n : 1) * sizeof(*rows));
	if (rows == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const uint8_t *key = ktab_key(r->tab, i);
		const uint64_t *v = ktab_vals(r->tab, i);

		rows[i].tenant = (uint32_t)key[0] << 24 |
		    (uint32_t)key[1] << 16 | (uint32_t)key[2] << 8 | key[3];
		rows[i].total = v[V_IN_B] + v[V_OUT_B];
		rows[i].key = key;
		rows[i].vals = v;
	}
	qsort(rows, n, sizeof(*rows), row_cmp);
	record_fmt_time(from_ms, from, sizeof(from));
	if (to_ms == UINT64_MAX)
		snprintf(to, sizeof(to), "now");
	else
		record_fmt_time(to_ms, to, sizeof(to));
	if (fmt != RECORD_FMT_TEXT) {
		out_init(&o, fmt, f, 9, names, numeric);
		out_header(&o);
	}
	for (t = 1, j = 0; t <= nt; t++) {
		uint64_t sum[N_VALS] = { 0 };
		const char *name = tenant_map_name(r->tm, t);

		for (k = j; k < n && rows[k].tenant == t; k++)
			for (i = 0; i < N_VALS; i++)
				sum[i] += rows[k].vals[i];
		if (fmt == RECORD_FMT_TEXT) {
			/* A table per tenant, aligned on its own rows. */
			out_init(&o, fmt, f, 9, names, numeric);
			row_cells(name, "total", sum, cells);
			out_fit(&o, cells);
			for (i = j; i < k; i++) {
				addr_text(rows[i].key + 4, a, sizeof(a));
				row_cells(name, a, rows[i].vals, cells);
				out_fit(&o, cells);
			}
			tenant_map_prefixes(r->tm, t, pfx, sizeof(pfx));
			fprintf(f, "%stenant %s (%s) from %s to %s: in %" PRIu64
				" bytes, out %" PRIu64 " bytes, %zu addresses\n",
				t > 1 ? "\n" : "", name, pfx, from, to,
				sum[V_IN_B], sum[V_OUT_B], k - j);
			out_header(&o);
		}
		row_cells(name, "total", sum, cells);
		out_row(&o, cells);
		for (i = j; i < k; i++) {
			addr_text(rows[i].key + 4, a, sizeof(a));
			row_cells(name, a, rows[i].vals, cells);
			out_row(&o, cells);
		}
		j = k;
	}
	free(rows);
	return 0;
}
