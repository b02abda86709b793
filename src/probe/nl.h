/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * nl: what the probe learns from the kernel over rtnetlink (libnl-3 and
 * libnl-route-3): the links to capture on and their events, the local
 * addresses (to tell originated egress from forwarded), and a copy of the
 * routing tables for output interface, next hop and prefix lengths.
 *
 * Everything here belongs to tflowd's main thread (the one with the epoll
 * loop), except nl_local_is_local(), which capture workers call
 * concurrently with the main thread's updates.  Nothing blocks: each
 * object offers a non-blocking fd for epoll and a process call that
 * applies what arrived.  Errors are returned (negative errno) with a
 * message, never printed.
 */
#ifndef TFLOW_NL_H
#define TFLOW_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>

#include "tflow/record.h"

/* ------------------------------------------------------------------------
 * Links: the interface table and its changes.
 */

struct nl_links;

enum nl_link_event {
	NL_LINK_NEW,		/* appeared (or first seen in the dump) */
	NL_LINK_DEL,		/* gone */
	NL_LINK_RENAME,		/* same ifindex, new name */
	NL_LINK_CHANGE,		/* flags changed (up/down), name the same */
};

struct nl_link {
	uint32_t ifindex;		/* the kernel's */
	char name[IF_NAMESIZE];
	char alias[64];			/* IFLA_IFALIAS, "" none: the description */
	unsigned flags;			/* IFF_UP, IFF_LOOPBACK, ... */
	unsigned type;			/* ARPHRD_* */
};

typedef void (*nl_link_fn)(enum nl_link_event ev, const struct nl_link *l,
			   void *ctx);

/*
 * Subscribe to link events, then dump the current links: fn is called
 * with NL_LINK_NEW for each existing link before nl_links_open() returns,
 * and later from nl_links_process() for each change.  NULL with a message
 * in err on failure.
 */
struct nl_links *nl_links_open(nl_link_fn fn, void *ctx, char *err,
			       size_t errlen);
void nl_links_close(struct nl_links *nl);
int nl_links_fd(const struct nl_links *nl);
/* Apply what is waiting on the fd (calls fn).  Returns 0 or -errno; after
 * an overrun (ENOBUFS) it re-dumps, so no event is ever missed for good. */
int nl_links_process(struct nl_links *nl);
/* The link table as now known: the i-th link, i < nl_links_count(). */
size_t nl_links_count(const struct nl_links *nl);
const struct nl_link *nl_links_get(const struct nl_links *nl, size_t i);
const struct nl_link *nl_links_find(const struct nl_links *nl,
				    uint32_t ifindex);

/* ------------------------------------------------------------------------
 * Routes and local addresses: a copy of the kernel's main routing table
 * (IPv4 and IPv6) and of the host's addresses, kept current by route and
 * address events.
 */

struct nl_routes;

struct nl_route_hit {
	uint32_t out_if;		/* 0: no route */
	uint8_t next_hop[16];		/* gateway, all zero: directly connected */
	uint8_t prefix_len;		/* of the matching route */
};

struct nl_routes *nl_routes_open(char *err, size_t errlen);
void nl_routes_close(struct nl_routes *nr);
int nl_routes_fd(const struct nl_routes *nr);
/* Apply waiting route/address events.  0 or -errno (re-dumps on overrun). */
int nl_routes_process(struct nl_routes *nr);

/* Longest-prefix match of addr (IPv4: first 4 bytes) in the main table.
 * Returns true on a hit.  Allocation-free, O(prefix lengths in use). */
bool nl_routes_lookup(const struct nl_routes *nr, uint8_t ip_version,
		      const uint8_t addr[16], struct nl_route_hit *out);

/* Fill r->out_if, r->next_hop, r->dst_mask from the route to r->dst_addr
 * and r->src_mask from the route to r->src_addr; fields already set by
 * the capture (non-zero out_if) are kept. */
void nl_routes_fill(const struct nl_routes *nr, struct tflow_record *r);

/* Is addr one of this host's addresses?  Safe to call from any thread
 * while the main thread processes events (a seqlock-protected table). */
bool nl_local_is_local(const void *nr, uint8_t ip_version,
		       const uint8_t addr[16]);

/* Route table size, for monitor and logs. */
size_t nl_routes_count(const struct nl_routes *nr);

#endif
