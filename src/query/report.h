/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * report: the tenant report of tflow-query (`report --subnet CIDR` or
 * `report --tenants MAPFILE`, over a month or a time range).  For each
 * tenant: bytes, packets and flows in (to the tenant's addresses) and out
 * (from them), and the same per address of the tenant, sorted by total
 * bytes.  A flow between two addresses of one tenant counts as out for
 * its source and in for its destination, as the router forwarded it; an
 * address belongs to the tenant of its longest matching prefix.
 */
#ifndef TFLOW_QUERY_REPORT_H
#define TFLOW_QUERY_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "record_fmt.h"
#include "store.h"
#include "tenant.h"

struct report;

/* tm is borrowed and must outlive the report.  NULL with errno. */
struct report *report_new(const struct tenant_map *tm);
void report_free(struct report *r);

/* Store columns report_add reads. */
unsigned report_columns(void);

/* Add records sel[0..n) of a block.  0 or -ENOMEM. */
int report_add(struct report *r, const struct store_cols *c,
	       const uint32_t *sel, size_t n);

/*
 * Print every tenant of the map (those without traffic too): a total row
 * (address "total") and then one row per address, total bytes descending,
 * ties by address.  Columns: tenant, address, in_bytes, out_bytes,
 * total_bytes, in_packets, out_packets, in_flows, out_flows.  Text output
 * has a title line per tenant with its prefixes and the period
 * [from_ms, to_ms).  0 or -ENOMEM.
 */
int report_print(const struct report *r, enum record_fmt fmt,
		 uint64_t from_ms, uint64_t to_ms, FILE *f);

#endif
