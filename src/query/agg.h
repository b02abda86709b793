/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * agg: tflow-query --aggregate.  Selected records of a block are reduced to
 * fixed-size keys (any set of srcip, dstip, srcport, dstport, proto, tos,
 * inif, outif, exporter, nexthop, srcnet/N[/M], dstnet/N[/M], tenant,
 * srctenant, dsttenant, ipver) and summed into flows, packets and bytes in
 * a ktab.  Keys hold numbers big-endian and IPv4 addresses IPv4-mapped, so
 * byte order is key order and one 16-byte form covers both families.
 * Rows come out ordered by a counter or by key, all of them or the top N
 * (a bounded heap: N entries of memory, not a sort of every key).
 */
#ifndef TFLOW_QUERY_AGG_H
#define TFLOW_QUERY_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "record_fmt.h"
#include "store.h"
#include "tenant.h"

struct agg;

enum agg_by {
	AGG_BY_FLOWS,
	AGG_BY_PACKETS,
	AGG_BY_BYTES,
	AGG_BY_KEY,
};

/*
 * keys: comma-separated key names; srcnet/dstnet take /V4LEN[/V6LEN]
 * (default /24/64).  tm (borrowed, must outlive the agg) is needed by the
 * tenant keys.  0, -EINVAL with a message in err, or -ENOMEM.
 */
int agg_new(const char *keys, const struct tenant_map *tm, struct agg **out,
	    char *err, size_t errlen);
void agg_free(struct agg *a);

/* Store columns the keys and counters need. */
unsigned agg_columns(const struct agg *a);

/* Before a file's blocks: its exporter table (for the exporter key). */
int agg_bind(struct agg *a, const struct store_exporter *exp,
	     uint32_t n_exp);

/* Add records sel[0..n) of a block decoded with agg_columns().  0 or
 * -ENOMEM. */
int agg_add(struct agg *a, const struct store_cols *c, const uint32_t *sel,
	    size_t n);

size_t agg_count(const struct agg *a);
void agg_totals(const struct agg *a, uint64_t *flows, uint64_t *packets,
		uint64_t *bytes);
size_t agg_bytes(const struct agg *a);

/*
 * Row numbers ordered by `by`: counters descending, key ascending;
 * `reverse` flips that.  Ties on a counter go by key, ascending.  top 0:
 * every row.  *rows is malloc'd.  0 or -ENOMEM.
 */
int agg_rows(const struct agg *a, enum agg_by by, bool reverse, size_t top,
	     uint32_t **rows, size_t *n);

/* Counters of row i: flows, packets, bytes. */
const uint64_t *agg_row_vals(const struct agg *a, uint32_t row);

/*
 * Print rows.  fields: NULL for every key then flows,packets,bytes; or a
 * comma list of those names in any order.  0 or -EINVAL (unknown field,
 * message in err).
 */
int agg_print(const struct agg *a, const uint32_t *rows, size_t n,
	      enum record_fmt fmt, const char *fields, FILE *f, char *err,
	      size_t errlen);

#endif
