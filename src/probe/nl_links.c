/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * nl_links: the kernel's interface table and its changes, over rtnetlink
 * with libnl-3 (socket, messages) and libnl-route-3 (rtnl_link parsing).
 * Also the few socket helpers nl_routes.c shares (nl.h, TFLOW_NL_INTERNAL).
 *
 * The table is a copy kept sorted by ifindex.  The event socket joins
 * RTNLGRP_LINK before the first dump, so nothing between the two is lost:
 * an event the dump already showed is applied again and changes nothing.
 * When the kernel drops events (ENOBUFS: the socket buffer overflowed)
 * the table is rebuilt from a new dump, and links missing from it are
 * reported gone; a link renamed in between is reported renamed, never as
 * gone and new, because the ifindex is the identity.
 *
 * Only AF_UNSPEC link messages describe links: the bridge sends AF_BRIDGE
 * RTM_NEWLINK/RTM_DELLINK for its ports joining and leaving, which must
 * not read as an interface coming and going.
 */
#define TFLOW_NL_INTERNAL
#include "nl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/socket.h>
#include <netlink/route/link.h>
#include <netlink/route/rtnl.h>

/* Event socket buffer: a burst of a few thousand link or route events
 * (VLANs created by a script, a BGP session flap) fits without overrun;
 * more is caught by the re-dump. */
#define NL_SOCK_RCVBUF	(4 * 1024 * 1024)
/* A kernel that keeps interrupting our dump with changes gets this many
 * tries before we give up for now. */
#define NL_DUMP_TRIES	8
/* Datagrams read per nl_links_process(): link events are rare; 64 reads
 * is thousands of events and keeps one wake-up short. */
#define NL_LINK_READS	64

/* ---- helpers shared with nl_routes.c ------------------------------------ */

struct nl_sock *nl_rt_listen(const unsigned *groups, size_t n, char *err,
			     size_t errlen)
{
	struct nl_sock *sk;
	int rc, sz = NL_SOCK_RCVBUF;
	size_t i;

	sk = nl_socket_alloc();
	if (sk == NULL) {
		snprintf(err, errlen, "netlink: out of memory");
		errno = ENOMEM;
		return NULL;
	}
	nl_socket_disable_seq_check(sk);
	rc = nl_connect(sk, NETLINK_ROUTE);
	if (rc < 0)
		goto fail;
	for (i = 0; i < n; i++) {
		rc = nl_socket_add_membership(sk, (int)groups[i]);
		if (rc < 0)
			goto fail;
	}
	rc = nl_socket_set_nonblocking(sk);
	if (rc < 0)
		goto fail;
	/* SO_RCVBUFFORCE passes rmem_max with CAP_NET_ADMIN; without it the
	 * kernel's cap applies and overruns are handled by re-dumps. */
	if (setsockopt(nl_socket_get_fd(sk), SOL_SOCKET, SO_RCVBUFFORCE, &sz,
		       sizeof(sz)) == -1)
		(void)nl_socket_set_buffer_size(sk, NL_SOCK_RCVBUF, 0);
	return sk;
fail:
	snprintf(err, errlen, "netlink: %s", nl_geterror(rc));
	nl_socket_free(sk);
	errno = EIO;
	return NULL;
}

/* The messages of one datagram of n bytes at buf.  Returns 1 at
 * NLMSG_DONE, 0 otherwise, -errno for an NLMSG_ERROR. */
static int walk(const void *buf, size_t n, nl_rtmsg_fn fn, void *ctx,
		bool *intr)
{
	const struct nlmsghdr *h = buf;
	int len = (int)n;

	for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
		if (intr != NULL && (h->nlmsg_flags & NLM_F_DUMP_INTR))
			*intr = true;
		switch (h->nlmsg_type) {
		case NLMSG_DONE:
			return 1;
		case NLMSG_ERROR: {
			struct nlmsgerr e;

			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(e)))
				return -EBADMSG;
			memcpy(&e, NLMSG_DATA(h), sizeof(e));
			if (e.error != 0)
				return e.error < 0 ? e.error : -e.error;
			break;
		}
		case NLMSG_NOOP:
		case NLMSG_OVERRUN:
			break;
		default:
			fn(h, ctx);
		}
	}
	return 0;
}

int nl_rt_drain(struct nl_sock *sk, void *buf, unsigned max_reads,
		nl_rtmsg_fn fn, void *ctx)
{
	int fd = nl_socket_get_fd(sk);
	unsigned reads;

	for (reads = 0; reads < max_reads; reads++) {
		struct sockaddr_nl sa;
		struct iovec iov = { buf, NL_RECV_BUF };
		struct msghdr msg = {
			.msg_name = &sa, .msg_namelen = sizeof(sa),
			.msg_iov = &iov, .msg_iovlen = 1,
		};
		ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);

		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -errno;
		}
		/* A cut message is an event lost like an overrun. */
		if (msg.msg_flags & MSG_TRUNC)
			return -ENOBUFS;
		if (sa.nl_pid != 0)
			continue;	/* not from the kernel */
		(void)walk(buf, (size_t)n, fn, ctx, NULL);
	}
	return 0;
}

static int dump_once(struct nl_sock *sk, void *buf, nl_rtmsg_fn fn, void *ctx,
		     bool *intr)
{
	int fd = nl_socket_get_fd(sk), rc;

	for (;;) {
		ssize_t n = recv(fd, buf, NL_RECV_BUF, 0);

		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EPIPE;
		rc = walk(buf, (size_t)n, fn, ctx, intr);
		if (rc != 0)
			return rc < 0 ? rc : 0;
	}
}

int nl_rt_dump(int type, int family, void *buf, nl_rtmsg_fn fn, void *ctx,
	       char *err, size_t errlen)
{
	struct nl_sock *sk;
	int rc, tries;

	sk = nl_socket_alloc();
	if (sk == NULL) {
		snprintf(err, errlen, "netlink dump: out of memory");
		return -ENOMEM;
	}
	rc = nl_connect(sk, NETLINK_ROUTE);
	if (rc < 0) {
		snprintf(err, errlen, "netlink dump: %s", nl_geterror(rc));
		nl_socket_free(sk);
		return -EIO;
	}
	for (tries = 0; tries < NL_DUMP_TRIES; tries++) {
		bool intr = false;

		rc = nl_rtgen_request(sk, type, family, NLM_F_DUMP);
		if (rc < 0) {
			snprintf(err, errlen, "netlink dump request: %s",
				 nl_geterror(rc));
			rc = -EIO;
			break;
		}
		rc = dump_once(sk, buf, fn, ctx, &intr);
		if (rc < 0) {
			snprintf(err, errlen, "netlink dump: %s",
				 strerror(-rc));
			break;
		}
		if (!intr)
			break;
		rc = -EAGAIN;
		snprintf(err, errlen, "netlink dump: table kept changing");
	}
	nl_socket_free(sk);
	return rc;
}

/* ---- links ---------------------------------------------------------------- */

struct link_ent {
	struct nl_link l;
	bool seen;			/* in the current re-dump */
};

struct nl_links {
	struct nl_sock *sk;
	nl_link_fn fn;
	void *ctx;
	struct link_ent *v;		/* sorted by ifindex */
	size_t n, cap;
	void *buf;			/* NL_RECV_BUF */
};

/* What one link message said. */
struct link_msg {
	struct nl_link l;
	bool ok;
};

static size_t link_pos(const struct nl_links *nl, uint32_t ifindex)
{
	size_t lo = 0, hi = nl->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (nl->v[mid].l.ifindex < ifindex)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void link_obj(struct nl_object *obj, void *arg)
{
	struct rtnl_link *rl = (struct rtnl_link *)obj;
	struct link_msg *m = arg;
	const char *s;
	int ifindex = rtnl_link_get_ifindex(rl);

	if (ifindex <= 0)
		return;
	memset(&m->l, 0, sizeof(m->l));
	m->l.ifindex = (uint32_t)ifindex;
	s = rtnl_link_get_name(rl);
	if (s != NULL)
		snprintf(m->l.name, sizeof(m->l.name), "%s", s);
	s = rtnl_link_get_ifalias(rl);
	if (s != NULL)
		snprintf(m->l.alias, sizeof(m->l.alias), "%s", s);
	m->l.flags = rtnl_link_get_flags(rl);
	m->l.type = rtnl_link_get_arptype(rl);
	m->ok = true;
}

static void link_del(struct nl_links *nl, size_t i)
{
	struct nl_link gone = nl->v[i].l;

	memmove(&nl->v[i], &nl->v[i + 1], (nl->n - i - 1) * sizeof(nl->v[0]));
	nl->n--;
	nl->fn(NL_LINK_DEL, &gone, nl->ctx);
}

static void link_new(struct nl_links *nl, const struct nl_link *l)
{
	size_t i = link_pos(nl, l->ifindex);
	struct link_ent *e;

	if (i < nl->n && nl->v[i].l.ifindex == l->ifindex) {
		enum nl_link_event ev;

		e = &nl->v[i];
		e->seen = true;
		if (strcmp(e->l.name, l->name) != 0)
			ev = NL_LINK_RENAME;
		else if (e->l.flags != l->flags || e->l.type != l->type ||
			 strcmp(e->l.alias, l->alias) != 0)
			ev = NL_LINK_CHANGE;
		else
			return;
		e->l = *l;
		nl->fn(ev, &e->l, nl->ctx);
		return;
	}
	if (nl->n == nl->cap) {
		size_t cap = nl->cap ? nl->cap * 2 : 16;
		struct link_ent *v = realloc(nl->v, cap * sizeof(*v));

		/* Without memory the link stays unknown until the next
		 * event or re-dump shows it again. */
		if (v == NULL)
			return;
		nl->v = v;
		nl->cap = cap;
	}
	memmove(&nl->v[i + 1], &nl->v[i], (nl->n - i) * sizeof(nl->v[0]));
	nl->n++;
	e = &nl->v[i];
	e->l = *l;
	e->seen = true;
	nl->fn(NL_LINK_NEW, &e->l, nl->ctx);
}

static void link_msg_fn(const struct nlmsghdr *h, void *ctx)
{
	struct nl_links *nl = ctx;
	struct link_msg m = { .ok = false };
	struct ifinfomsg ifi;
	struct nl_msg *msg;
	size_t i;

	if (h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_DELLINK)
		return;
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(ifi)))
		return;
	memcpy(&ifi, NLMSG_DATA(h), sizeof(ifi));
	if (ifi.ifi_family != AF_UNSPEC || ifi.ifi_index <= 0)
		return;
	if (h->nlmsg_type == RTM_DELLINK) {
		i = link_pos(nl, (uint32_t)ifi.ifi_index);
		if (i < nl->n && nl->v[i].l.ifindex == (uint32_t)ifi.ifi_index)
			link_del(nl, i);
		return;
	}
	/* libnl parses from its own copy of the message. */
	msg = nlmsg_convert((struct nlmsghdr *)(uintptr_t)h);
	if (msg == NULL)
		return;
	nlmsg_set_proto(msg, NETLINK_ROUTE);
	(void)nl_msg_parse(msg, link_obj, &m);
	nlmsg_free(msg);
	if (m.ok)
		link_new(nl, &m.l);
}

/* Dump all links; with reconcile, links the dump did not show are gone. */
static int links_dump(struct nl_links *nl, bool reconcile, char *err,
		      size_t errlen)
{
	size_t i;
	int rc;

	for (i = 0; i < nl->n; i++)
		nl->v[i].seen = false;
	rc = nl_rt_dump(RTM_GETLINK, AF_UNSPEC, nl->buf, link_msg_fn, nl,
			err, errlen);
	if (rc < 0 || !reconcile)
		return rc;
	for (i = nl->n; i-- > 0;)
		if (!nl->v[i].seen)
			link_del(nl, i);
	return 0;
}

struct nl_links *nl_links_open(nl_link_fn fn, void *ctx, char *err,
			       size_t errlen)
{
	static const unsigned groups[] = { RTNLGRP_LINK };
	struct nl_links *nl;
	int rc;

	nl = calloc(1, sizeof(*nl));
	if (nl == NULL)
		goto fail_alloc;
	nl->fn = fn;
	nl->ctx = ctx;
	nl->buf = malloc(NL_RECV_BUF);
	if (nl->buf == NULL)
		goto fail_buf;
	/* Listen first, then dump: nothing happens unseen in between. */
	nl->sk = nl_rt_listen(groups, 1, err, errlen);
	if (nl->sk == NULL)
		goto fail_sock;
	rc = links_dump(nl, false, err, errlen);
	if (rc < 0) {
		errno = -rc;
		goto fail_dump;
	}
	return nl;

fail_dump:
	nl_socket_free(nl->sk);
fail_sock:
	free(nl->buf);
fail_buf:
	free(nl->v);
	free(nl);
	return NULL;
fail_alloc:
	snprintf(err, errlen, "netlink links: out of memory");
	return NULL;
}

void nl_links_close(struct nl_links *nl)
{
	if (nl == NULL)
		return;
	nl_socket_free(nl->sk);
	free(nl->buf);
	free(nl->v);
	free(nl);
}

int nl_links_fd(const struct nl_links *nl)
{
	return nl_socket_get_fd(nl->sk);
}

int nl_links_process(struct nl_links *nl)
{
	char err[128];
	int rc;

	rc = nl_rt_drain(nl->sk, nl->buf, NL_LINK_READS, link_msg_fn, nl);
	if (rc != -ENOBUFS)
		return rc;
	/* Events were lost: what the kernel has now is the truth.  Drain
	 * first so that stale queued events do not follow the dump. */
	while (nl_rt_drain(nl->sk, nl->buf, NL_LINK_READS, link_msg_fn,
			   nl) == -ENOBUFS)
		;
	return links_dump(nl, true, err, sizeof(err));
}

size_t nl_links_count(const struct nl_links *nl)
{
	return nl->n;
}

const struct nl_link *nl_links_get(const struct nl_links *nl, size_t i)
{
	return i < nl->n ? &nl->v[i].l : NULL;
}

const struct nl_link *nl_links_find(const struct nl_links *nl,
				    uint32_t ifindex)
{
	size_t i = link_pos(nl, ifindex);

	if (i < nl->n && nl->v[i].l.ifindex == ifindex)
		return &nl->v[i].l;
	return NULL;
}
