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
 * the capture (non-zero out_if, next hop, masks) are kept, and a next hop
 * is only copied when the route leaves by r->out_if.  A destination that
 * is a local address gets out_if 0 and no next hop (delivered here).
 * Allocation-free; main thread. */
void nl_routes_fill(const struct nl_routes *nr, struct tflow_record *r);

/* Is addr one of this host's addresses?  Safe to call from any thread
 * while the main thread processes events (a seqlock-protected table). */
bool nl_local_is_local(const void *nr, uint8_t ip_version,
		       const uint8_t addr[16]);

/* Route table size (routes of the main table kept), for monitor and logs. */
size_t nl_routes_count(const struct nl_routes *nr);

/* How often the tables were read again from the kernel since open: after
 * an overrun (ENOBUFS), or a link going down (the kernel flushes its IPv4
 * routes without a word).  For monitor and tests. */
uint64_t nl_routes_redumps(const struct nl_routes *nr);

#ifdef TFLOW_NL_INTERNAL
/* ------------------------------------------------------------------------
 * Shared by nl_links.c and nl_routes.c only (they define
 * TFLOW_NL_INTERNAL): one rtnetlink socket in libnl's clothes, read by
 * hand so that an overrun is told apart from an allocation failure.
 */
struct nl_sock;
struct nlmsghdr;

/* Receive buffer: more than the kernel puts in one datagram (32 KiB). */
#define NL_RECV_BUF	(64 * 1024)

typedef void (*nl_rtmsg_fn)(const struct nlmsghdr *h, void *ctx);

/* A non-blocking NETLINK_ROUTE socket joined to groups[0..n-1]
 * (RTNLGRP_*).  NULL with a message on failure. */
struct nl_sock *nl_rt_listen(const unsigned *groups, size_t n, char *err,
			     size_t errlen);

/* Hand every message waiting on sk to fn, reading at most max_reads
 * datagrams into buf (NL_RECV_BUF bytes).  Returns 0 (drained or budget
 * spent), -ENOBUFS (the kernel dropped events: re-dump) or -errno. */
int nl_rt_drain(struct nl_sock *sk, void *buf, unsigned max_reads,
		nl_rtmsg_fn fn, void *ctx);

/* Dump (type RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE; family AF_*) over a
 * fresh blocking socket into fn; a dump the kernel marks inconsistent is
 * started over.  0 or -errno with a message. */
int nl_rt_dump(int type, int family, void *buf, nl_rtmsg_fn fn, void *ctx,
	       char *err, size_t errlen);
#endif

#endif
