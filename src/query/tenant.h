/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tenant: the prefix -> tenant name map of tflow-query (--tenants FILE),
 * used as an aggregation key and by the tenant report.  The file has one
 * `CIDR NAME` a line (blank lines and `#` comments allowed); a name may
 * own several prefixes; the longest matching prefix wins, and an address
 * no prefix covers has no tenant (id 0, shown as "-").
 */
#ifndef TFLOW_QUERY_TENANT_H
#define TFLOW_QUERY_TENANT_H

#include <stddef.h>
#include <stdint.h>

#include "cidr.h"

struct tenant_map;

struct tenant_map *tenant_map_new(void);
void tenant_map_free(struct tenant_map *m);

/* Add prefix c for tenant name (created on first use).  0, -EEXIST when
 * the very prefix is already mapped, -EINVAL, -ENOMEM. */
int tenant_map_add(struct tenant_map *m, const struct cidr *c,
		   const char *name);

/* Read a map file.  0 or -errno with "FILE:LINE: why" in err. */
int tenant_map_load(struct tenant_map *m, const char *path, char *err,
		    size_t errlen);

/* Tenant id (1..tenant_map_count) of addr (IPv4 in its first 4 bytes when
 * ip_version is 4), 0 when no prefix covers it. */
uint32_t tenant_map_lookup(const struct tenant_map *m, const uint8_t addr[16],
			   int ip_version);

uint32_t tenant_map_count(const struct tenant_map *m);

/* Name of id; "-" for 0 or an unknown id. */
const char *tenant_map_name(const struct tenant_map *m, uint32_t id);

/* The prefixes of tenant id as text ("192.0.2.0/24 2001:db8::/48"). */
void tenant_map_prefixes(const struct tenant_map *m, uint32_t id, char *buf,
			 size_t len);

#endif
