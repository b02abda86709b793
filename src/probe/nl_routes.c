/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * nl_routes: a copy of the kernel's main routing table (IPv4 and IPv6)
 * for output interface, next hop and prefix lengths of flow records, and
 * the set of this host's addresses, both kept current by rtnetlink events
 * (libnl-3 sockets, libnl-route-3 rtnl_route/rtnl_addr parsing).
 *
 * Routes: one lpm table per family maps each prefix to the best of the
 * kernel routes for it (lowest metric), kept as a metric-sorted list of
 * `alt`s so that deleting the best one falls back to the next.  Only the
 * main table (254) is copied: policy routing rules are not followed.  An
 * ECMP route contributes its first next hop.  Routes with a TOS, cloned
 * (cached) routes and local/broadcast/multicast types are left out.
 *
 * The kernel flushes IPv4 routes through an interface that goes down or
 * away without telling listeners, so a link leaving the up state makes
 * the table re-dump (at the end of that nl_routes_process()).  So does an
 * overrun of the event socket (ENOBUFS).  A re-dump runs on the calling
 * thread; with a full Internet table it takes seconds.
 *
 * Local addresses: the main thread keeps the list (ifindex, address) and
 * publishes the distinct addresses as an open-addressing hash set that
 * capture threads read under a seqlock (nl_local_is_local()).  The set is
 * rewritten in place between two increments of the sequence; readers
 * that saw it change or odd retry.  When it must grow, a new set is
 * published and the old one stays allocated until nl_routes_close(), so
 * a reader never touches freed memory; sizes double, so the retired sets
 * together are smaller than the live one.  All shared words are read and
 * written with atomic builtins on 32-bit words (no 64-bit atomics, which
 * 32-bit MIPS lacks).
 */
#define TFLOW_NL_INTERNAL
#include "nl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <netlink/netlink.h>
#include <netlink/addr.h>
#include <netlink/msg.h>
#include <netlink/socket.h>
#include <netlink/route/addr.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>

#include "lpm.h"
#include "siphash.h"

#define RT_NONE		UINT32_MAX
/* Datagrams per nl_routes_process(): 256 x up to 32 KiB is tens of
 * thousands of route events, a few ms of work; a larger burst (a BGP
 * full table arriving) goes on at the next wake-up, the fd stays
 * readable. */
#define RT_READS	256
/* Local address set: 5 words a slot (address, family), half full at most. */
#define LOCAL_WORDS	5
#define LOCAL_MIN	16u

/* One kernel route of a prefix. */
struct rt_alt {
	uint32_t next;			/* next worse alt, RT_NONE: last */
	uint32_t metric;		/* RTA_PRIORITY */
	uint32_t out_if;		/* 0: none (blackhole ...) */
	uint8_t gw[16];			/* all zero: connected */
};

/* The routes of one family. */
struct rt_fam {
	struct lpm *lpm;		/* prefix -> best alt */
	struct rt_alt *alts;
	uint32_t cap, hw, free;		/* pool and its free list */
	size_t routes;			/* alts in use */
};

struct local_addr {
	uint32_t ifindex;
	uint8_t ver;			/* 4 or 6 */
	uint8_t addr[16];
};

struct local_set {
	struct local_set *retired;	/* older, smaller set; main thread */
	uint32_t mask;			/* slots - 1 */
	uint32_t w[];			/* LOCAL_WORDS per slot; atomics */
};

struct nl_routes {
	struct nl_sock *sk;
	struct rt_fam v4, v6;
	uint32_t *up;			/* sorted ifindexes of links up */
	size_t n_up, up_cap;
	bool redump;			/* routes: a link went down or away */
	bool resync;			/* overrun: routes and addresses */
	int error;			/* first failure since last process */
	uint64_t redumps;
	struct local_addr *addrs;	/* main thread only */
	size_t n_addrs, addrs_cap;
	bool addrs_dirty;
	uint32_t seq;			/* seqlock: odd while writing */
	struct local_set *set;		/* published with atomics */
	uint64_t local_seed;
	void *buf;			/* NL_RECV_BUF */
};

/* ---- routes ------------------------------------------------------------- */

static struct rt_fam *fam_of(struct nl_routes *nr, int family)
{
	if (family == AF_INET)
		return &nr->v4;
	if (family == AF_INET6)
		return &nr->v6;
	return NULL;
}

static uint32_t alt_alloc(struct rt_fam *f)
{
	uint32_t i;

	if (f->free != RT_NONE) {
		i = f->free;
		f->free = f->alts[i].next;
		return i;
	}
	if (f->hw == f->cap) {
		uint32_t cap = f->cap ? f->cap * 2 : 64;
		struct rt_alt *a;

		if (f->cap >= RT_NONE / 2)
			return RT_NONE;
		a = realloc(f->alts, (size_t)cap * sizeof(*a));
		if (a == NULL)
			return RT_NONE;
		f->alts = a;
		f->cap = cap;
	}
	return f->hw++;
}

static void alt_release(struct rt_fam *f, uint32_t i)
{
	f->alts[i].next = f->free;
	f->free = i;
}

static void fam_clear(struct rt_fam *f)
{
	lpm_clear(f->lpm);
	free(f->alts);
	f->alts = NULL;
	f->cap = f->hw = 0;
	f->free = RT_NONE;
	f->routes = 0;
}

struct route_msg {
	uint8_t dst[16];
	unsigned len;
	uint32_t metric;
	uint32_t out_if;
	uint8_t gw[16];
	bool has_hop;			/* the message named a next hop */
};

static int route_add(struct rt_fam *f, const struct route_msg *m,
		     bool append)
{
	uint32_t head = RT_NONE, prev = RT_NONE, cur, n;
	int rc;

	(void)lpm_find(f->lpm, m->dst, m->len, &head);
	for (cur = head; cur != RT_NONE; prev = cur, cur = f->alts[cur].next) {
		struct rt_alt *a = &f->alts[cur];

		if (a->metric == m->metric) {
			/* `ip route append`: an equal route after this one,
			 * which the kernel uses only when this one goes. */
			if (append)
				return 0;
			a->out_if = m->out_if;
			memcpy(a->gw, m->gw, 16);
			return 0;
		}
		if (a->metric > m->metric)
			break;
	}
	n = alt_alloc(f);	/* may move f->alts: indexes only below */
	if (n == RT_NONE)
		return -ENOMEM;
	f->alts[n].metric = m->metric;
	f->alts[n].out_if = m->out_if;
	memcpy(f->alts[n].gw, m->gw, 16);
	f->alts[n].next = cur;
	if (prev == RT_NONE) {
		/* The best route of the prefix: new or better. */
		rc = lpm_insert(f->lpm, m->dst, m->len, n);
		if (rc < 0) {
			alt_release(f, n);
			return rc;
		}
	} else {
		f->alts[prev].next = n;
	}
	f->routes++;
	return 0;
}

static void route_del(struct rt_fam *f, const struct route_msg *m)
{
	uint32_t head, *pp, n;

	if (!lpm_find(f->lpm, m->dst, m->len, &head))
		return;
	for (pp = &head; *pp != RT_NONE; pp = &f->alts[*pp].next) {
		struct rt_alt *a = &f->alts[*pp];

		if (a->metric != m->metric)
			continue;
		/* One hop of a multipath route going while the route
		 * stays: keep ours unless it is the one named. */
		if (m->has_hop && (a->out_if != m->out_if ||
				   memcmp(a->gw, m->gw, 16) != 0))
			return;
		n = *pp;
		*pp = a->next;
		alt_release(f, n);
		f->routes--;
		if (head == RT_NONE)
			(void)lpm_delete(f->lpm, m->dst, m->len, NULL);
		else
			(void)lpm_insert(f->lpm, m->dst, m->len, head);
		return;
	}
}

static void nladdr_copy(uint8_t out[16], struct nl_addr *a)
{
	unsigned len;

	memset(out, 0, 16);
	if (a == NULL)
		return;
	len = nl_addr_get_len(a);
	if (len > 16)
		len = 16;
	memcpy(out, nl_addr_get_binary_addr(a), len);
}

static void route_msg_fn(struct nl_routes *nr, const struct nlmsghdr *h)
{
	struct rtnl_route *r = NULL;
	struct route_msg m;
	struct rt_fam *f;
	struct rtmsg rtm;
	struct nl_addr *dst;
	int rc;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(rtm)))
		return;
	memcpy(&rtm, NLMSG_DATA(h), sizeof(rtm));
	f = fam_of(nr, rtm.rtm_family);
	if (f == NULL || (rtm.rtm_flags & RTM_F_CLONED) || rtm.rtm_tos != 0)
		return;
	switch (rtm.rtm_type) {
	case RTN_UNICAST:
	case RTN_BLACKHOLE:
	case RTN_UNREACHABLE:
	case RTN_PROHIBIT:
	case RTN_THROW:
		break;
	default:
		return;
	}
	if (rtnl_route_parse((struct nlmsghdr *)(uintptr_t)h, &r) < 0)
		return;
	if (rtnl_route_get_table(r) != RT_TABLE_MAIN)
		goto out;
	memset(&m, 0, sizeof(m));
	dst = rtnl_route_get_dst(r);
	nladdr_copy(m.dst, dst);
	m.len = rtm.rtm_dst_len;
	m.metric = rtnl_route_get_priority(r);
	if (rtm.rtm_type == RTN_UNICAST && rtnl_route_get_nnexthops(r) > 0) {
		struct rtnl_nexthop *nh = rtnl_route_nexthop_n(r, 0);
		int oif = rtnl_route_nh_get_ifindex(nh);

		m.out_if = oif > 0 ? (uint32_t)oif : 0;
		nladdr_copy(m.gw, rtnl_route_nh_get_gateway(nh));
		m.has_hop = rtnl_route_get_nnexthops(r) == 1;
	}
	if (h->nlmsg_type == RTM_NEWROUTE) {
		rc = route_add(f, &m, (h->nlmsg_flags & NLM_F_APPEND) != 0);
		if (rc < 0 && nr->error == 0)
			nr->error = rc;
	} else {
		route_del(f, &m);
	}
out:
	rtnl_route_put(r);
}

/* ---- links: only whether they are up, for the silent IPv4 flush --------- */

static size_t up_pos(const struct nl_routes *nr, uint32_t ifindex)
{
	size_t lo = 0, hi = nr->n_up;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (nr->up[mid] < ifindex)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void link_msg_fn(struct nl_routes *nr, const struct nlmsghdr *h,
			bool dumping)
{
	struct ifinfomsg ifi;
	bool was_up, is_up;
	uint32_t ifindex;
	size_t i;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(ifi)))
		return;
	memcpy(&ifi, NLMSG_DATA(h), sizeof(ifi));
	if (ifi.ifi_family != AF_UNSPEC || ifi.ifi_index <= 0)
		return;
	ifindex = (uint32_t)ifi.ifi_index;
	i = up_pos(nr, ifindex);
	was_up = i < nr->n_up && nr->up[i] == ifindex;
	is_up = h->nlmsg_type == RTM_NEWLINK && (ifi.ifi_flags & IFF_UP);
	if (was_up && !is_up) {
		memmove(&nr->up[i], &nr->up[i + 1],
			(nr->n_up - i - 1) * sizeof(nr->up[0]));
		nr->n_up--;
		if (!dumping)
			nr->redump = true;
	} else if (!was_up && is_up) {
		if (nr->n_up == nr->up_cap) {
			size_t cap = nr->up_cap ? nr->up_cap * 2 : 16;
			uint32_t *v = realloc(nr->up, cap * sizeof(*v));

			/* Unknown as up: its going down is not noticed. */
			if (v == NULL)
				return;
			nr->up = v;
			nr->up_cap = cap;
		}
		memmove(&nr->up[i + 1], &nr->up[i],
			(nr->n_up - i) * sizeof(nr->up[0]));
		nr->up[i] = ifindex;
		nr->n_up++;
	}
}

/* ---- local addresses ------------------------------------------------------ */

struct addr_msg {
	struct local_addr a;
	bool ok;
};

static void addr_obj(struct nl_object *obj, void *arg)
{
	struct rtnl_addr *ra = (struct rtnl_addr *)obj;
	struct addr_msg *m = arg;
	struct nl_addr *a = rtnl_addr_get_local(ra);
	int family = rtnl_addr_get_family(ra);

	if (a == NULL)
		a = rtnl_addr_get_peer(ra);
	if (a == NULL || (family != AF_INET && family != AF_INET6))
		return;
	memset(&m->a, 0, sizeof(m->a));
	m->a.ifindex = (uint32_t)rtnl_addr_get_ifindex(ra);
	m->a.ver = family == AF_INET ? 4 : 6;
	nladdr_copy(m->a.addr, a);
	m->ok = true;
}

static void addr_msg_fn(struct nl_routes *nr, const struct nlmsghdr *h)
{
	struct addr_msg m = { .ok = false };
	struct nl_msg *msg;
	size_t i;

	msg = nlmsg_convert((struct nlmsghdr *)(uintptr_t)h);
	if (msg == NULL) {
		if (nr->error == 0)
			nr->error = -ENOMEM;
		return;
	}
	nlmsg_set_proto(msg, NETLINK_ROUTE);
	(void)nl_msg_parse(msg, addr_obj, &m);
	nlmsg_free(msg);
	if (!m.ok)
		return;
	for (i = 0; i < nr->n_addrs; i++)
		if (nr->addrs[i].ifindex == m.a.ifindex &&
		    nr->addrs[i].ver == m.a.ver &&
		    memcmp(nr->addrs[i].addr, m.a.addr, 16) == 0)
			break;
	if (h->nlmsg_type == RTM_DELADDR) {
		if (i == nr->n_addrs)
			return;
		nr->addrs[i] = nr->addrs[--nr->n_addrs];
		nr->addrs_dirty = true;
		return;
	}
	if (i < nr->n_addrs)
		return;
	if (nr->n_addrs == nr->addrs_cap) {
		size_t cap = nr->addrs_cap ? nr->addrs_cap * 2 : 16;
		struct local_addr *v = realloc(nr->addrs, cap * sizeof(*v));

		if (v == NULL) {
			if (nr->error == 0)
				nr->error = -ENOMEM;
			return;
		}
		nr->addrs = v;
		nr->addrs_cap = cap;
	}
	nr->addrs[nr->n_addrs++] = m.a;
	nr->addrs_dirty = true;
}

static void local_key(uint8_t ver, const uint8_t addr[16], uint32_t k[4])
{
	memset(k, 0, 4 * sizeof(k[0]));
	memcpy(k, addr, ver == 4 ? 4 : 16);
}

static uint32_t local_hash(uint64_t seed, const uint32_t k[4], uint8_t ver)
{
	uint64_t h = seed ^ ver;
	int i;

	for (i = 0; i < 4; i++) {
		h ^= k[i];
		h *= 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	return (uint32_t)(h ^ h >> 32);
}

/* Store the distinct addresses into set s, every word with an atomic
 * store (readers may be looking). */
static void local_fill(const struct nl_routes *nr, struct local_set *s)
{
	size_t i, slots = (size_t)s->mask + 1;
	int w;

	for (i = 0; i < slots * LOCAL_WORDS; i++)
		__atomic_store_n(&s->w[i], 0, __ATOMIC_RELAXED);
	for (i = 0; i < nr->n_addrs; i++) {
		const struct local_addr *a = &nr->addrs[i];
		uint32_t k[4], j;

		local_key(a->ver, a->addr, k);
		j = local_hash(nr->local_seed, k, a->ver) & s->mask;
		for (;;) {
			uint32_t *e = &s->w[(size_t)j * LOCAL_WORDS];

			if (e[4] == 0)
				break;
			if (e[4] == a->ver && memcmp(e, k, sizeof(k)) == 0)
				goto next;	/* on two interfaces */
			j = (j + 1) & s->mask;
		}
		for (w = 0; w < 4; w++)
			__atomic_store_n(&s->w[(size_t)j * LOCAL_WORDS + w],
					 k[w], __ATOMIC_RELAXED);
		__atomic_store_n(&s->w[(size_t)j * LOCAL_WORDS + 4], a->ver,
				 __ATOMIC_RELAXED);
next:;
	}
}

static void seq_begin(struct nl_routes *nr)
{
	__atomic_store_n(&nr->seq, nr->seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static void seq_end(struct nl_routes *nr)
{
	__atomic_store_n(&nr->seq, nr->seq + 1, __ATOMIC_RELEASE);
}

static int local_publish(struct nl_routes *nr)
{
	struct local_set *cur = nr->set, *s;
	size_t slots = LOCAL_MIN;

	while (slots < 2 * nr->n_addrs)
		slots *= 2;
	if (cur != NULL && (size_t)cur->mask + 1 >= slots) {
		seq_begin(nr);
		local_fill(nr, cur);
		seq_end(nr);
		nr->addrs_dirty = false;
		return 0;
	}
	s = calloc(1, sizeof(*s) + slots * LOCAL_WORDS * sizeof(s->w[0]));
	if (s == NULL)
		return -ENOMEM;
	s->mask = (uint32_t)(slots - 1);
	local_fill(nr, s);
	s->retired = cur;
	seq_begin(nr);
	__atomic_store_n(&nr->set, s, __ATOMIC_RELEASE);
	seq_end(nr);
	nr->addrs_dirty = false;
	return 0;
}

bool nl_local_is_local(const void *p, uint8_t ip_version,
		       const uint8_t addr[16])
{
	const struct nl_routes *nr = p;
	uint32_t k[4], h, s1, s2;

	if (nr == NULL || (ip_version != 4 && ip_version != 6))
		return false;
	local_key(ip_version, addr, k);
	h = local_hash(nr->local_seed, k, ip_version);
	for (;;) {
		const struct local_set *s;
		bool found = false;

		s1 = __atomic_load_n(&nr->seq, __ATOMIC_ACQUIRE);
		if (s1 & 1)
			continue;	/* a writer is in; it is brief */
		s = __atomic_load_n(&nr->set, __ATOMIC_ACQUIRE);
		if (s != NULL) {
			uint32_t j = h & s->mask, n;

			/* Bounded even if a torn read sees no empty slot. */
			for (n = 0; n <= s->mask; n++) {
				const uint32_t *e = &s->w[(size_t)j * LOCAL_WORDS];
				uint32_t tag = __atomic_load_n(&e[4],
							       __ATOMIC_RELAXED);

				if (tag == 0)
					break;
				if (tag == ip_version &&
				    __atomic_load_n(&e[0], __ATOMIC_RELAXED) == k[0] &&
				    __atomic_load_n(&e[1], __ATOMIC_RELAXED) == k[1] &&
				    __atomic_load_n(&e[2], __ATOMIC_RELAXED) == k[2] &&
				    __atomic_load_n(&e[3], __ATOMIC_RELAXED) == k[3]) {
					found = true;
					break;
				}
				j = (j + 1) & s->mask;
			}
		}
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		s2 = __atomic_load_n(&nr->seq, __ATOMIC_RELAXED);
		if (s1 == s2)
			return found;
	}
}

/* ---- messages, dumps, the object ----------------------------------------- */

struct msg_ctx {
	struct nl_routes *nr;
	bool dumping;
};

static void msg_fn(const struct nlmsghdr *h, void *arg)
{
	struct msg_ctx *c = arg;

	switch (h->nlmsg_type) {
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		route_msg_fn(c->nr, h);
		break;
	case RTM_NEWADDR:
	case RTM_DELADDR:
		addr_msg_fn(c->nr, h);
		break;
	case RTM_NEWLINK:
	case RTM_DELLINK:
		link_msg_fn(c->nr, h, c->dumping);
		break;
	}
}

/* Throw away the routes (and with all, the links and addresses) and read
 * them again from the kernel. */
static int routes_dump(struct nl_routes *nr, bool all, char *err,
		       size_t errlen)
{
	struct msg_ctx c = { nr, true };
	int rc;

	fam_clear(&nr->v4);
	fam_clear(&nr->v6);
	if (all) {
		nr->n_up = 0;
		nr->n_addrs = 0;
		nr->addrs_dirty = true;
		rc = nl_rt_dump(RTM_GETLINK, AF_UNSPEC, nr->buf, msg_fn, &c,
				err, errlen);
		if (rc == 0)
			rc = nl_rt_dump(RTM_GETADDR, AF_UNSPEC, nr->buf, msg_fn,
					&c, err, errlen);
		if (rc < 0)
			return rc;
		rc = local_publish(nr);
		if (rc < 0) {
			snprintf(err, errlen, "local addresses: %s",
				 strerror(-rc));
			return rc;
		}
	}
	nr->redump = false;
	return nl_rt_dump(RTM_GETROUTE, AF_UNSPEC, nr->buf, msg_fn, &c, err,
			  errlen);
}

struct nl_routes *nl_routes_open(char *err, size_t errlen)
{
	static const unsigned groups[] = {
		RTNLGRP_LINK, RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE,
		RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR,
	};
	uint8_t key[16];
	uint64_t s4, s6;
	struct nl_routes *nr;
	int rc;

	nr = calloc(1, sizeof(*nr));
	if (nr == NULL)
		goto fail_alloc;
	if (siphash_random_key(key) < 0)
		memset(key, 0x5a, sizeof(key));	/* still works, just guessable */
	memcpy(&s4, key, 8);
	memcpy(&s6, key + 8, 8);
	nr->local_seed = s4 ^ s6;
	nr->v4.free = nr->v6.free = RT_NONE;
	nr->v4.lpm = lpm_new(32, s4);
	nr->v6.lpm = lpm_new(128, s6);
	nr->buf = malloc(NL_RECV_BUF);
	if (nr->v4.lpm == NULL || nr->v6.lpm == NULL || nr->buf == NULL)
		goto fail_mem;
	nr->sk = nl_rt_listen(groups, sizeof(groups) / sizeof(groups[0]),
			      err, errlen);
	if (nr->sk == NULL)
		goto fail_sock;
	rc = routes_dump(nr, true, err, errlen);
	if (rc < 0) {
		nl_routes_close(nr);
		errno = -rc;
		return NULL;
	}
	return nr;

fail_mem:
	snprintf(err, errlen, "routes: out of memory");
	errno = ENOMEM;
fail_sock:
	lpm_free(nr->v4.lpm);
	lpm_free(nr->v6.lpm);
	free(nr->buf);
	free(nr);
	return NULL;
fail_alloc:
	snprintf(err, errlen, "routes: out of memory");
	return NULL;
}

void nl_routes_close(struct nl_routes *nr)
{
	struct local_set *s, *next;

	if (nr == NULL)
		return;
	nl_socket_free(nr->sk);
	fam_clear(&nr->v4);
	fam_clear(&nr->v6);
	lpm_free(nr->v4.lpm);
	lpm_free(nr->v6.lpm);
	for (s = nr->set; s != NULL; s = next) {
		next = s->retired;
		free(s);
	}
	free(nr->up);
	free(nr->addrs);
	free(nr->buf);
	free(nr);
}

int nl_routes_fd(const struct nl_routes *nr)
{
	return nl_socket_get_fd(nr->sk);
}

int nl_routes_process(struct nl_routes *nr)
{
	struct msg_ctx c = { nr, false };
	char err[128];
	int rc, first;

	nr->error = 0;
	rc = nl_rt_drain(nr->sk, nr->buf, RT_READS, msg_fn, &c);
	if (rc == -ENOBUFS) {
		/* Lost events: start again from what the kernel has. */
		while (nl_rt_drain(nr->sk, nr->buf, RT_READS, msg_fn, &c) ==
		       -ENOBUFS)
			;
		rc = routes_dump(nr, true, err, sizeof(err));
		nr->redumps++;
	} else if (rc == 0 && nr->redump) {
		rc = routes_dump(nr, false, err, sizeof(err));
		nr->redumps++;
	}
	if (nr->addrs_dirty) {
		int prc = local_publish(nr);

		if (rc == 0)
			rc = prc;
	}
	first = nr->error;
	return rc < 0 ? rc : first;
}

bool nl_routes_lookup(const struct nl_routes *nr, uint8_t ip_version,
		      const uint8_t addr[16], struct nl_route_hit *out)
{
	const struct rt_fam *f;
	const struct rt_alt *a;
	unsigned len;
	uint32_t idx;

	f = ip_version == 4 ? &nr->v4 : ip_version == 6 ? &nr->v6 : NULL;
	if (f == NULL || !lpm_lookup(f->lpm, addr, &idx, &len)) {
		memset(out, 0, sizeof(*out));
		return false;
	}
	a = &f->alts[idx];
	out->out_if = a->out_if;
	memcpy(out->next_hop, a->gw, 16);
	out->prefix_len = (uint8_t)len;
	return true;
}

void nl_routes_fill(const struct nl_routes *nr, struct tflow_record *r)
{
	static const uint8_t zero[16];
	struct nl_route_hit h;

	if (nl_routes_lookup(nr, r->ip_version, r->dst_addr, &h)) {
		/* Delivered here: no output interface, as RouterOS's input
		 * chain shows it; the prefix is still the connected one. */
		if (nl_local_is_local(nr, r->ip_version, r->dst_addr)) {
			h.out_if = 0;
			memset(h.next_hop, 0, sizeof(h.next_hop));
		}
		if (r->out_if == 0)
			r->out_if = h.out_if;
		/* A next hop only for the interface the packet really left
		 * by (NFLOG knows it; policy routing may differ). */
		if (r->out_if == h.out_if && h.out_if != 0 &&
		    memcmp(r->next_hop, zero, 16) == 0)
			memcpy(r->next_hop, h.next_hop, 16);
		if (r->dst_mask == 0)
			r->dst_mask = h.prefix_len;
	}
	if (r->src_mask == 0 &&
	    nl_routes_lookup(nr, r->ip_version, r->src_addr, &h))
		r->src_mask = h.prefix_len;
}

size_t nl_routes_count(const struct nl_routes *nr)
{
	return nr->v4.routes + nr->v6.routes;
}

uint64_t nl_routes_redumps(const struct nl_routes *nr)
{
	return nr->redumps;
}
