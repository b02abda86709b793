/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cap_afpacket: the capture backend on Linux AF_PACKET TPACKET_V3 rings.
 * One socket and one mmap ring per interface, all behind one epoll fd.
 *
 * Ring protocol (as tools/testing/selftests/net/psock_tpacket.c): the
 * kernel fills a block with variable-length frames, then sets its status to
 * TP_STATUS_USER; we walk the frames by tp_next_offset and hand the block
 * back by storing TP_STATUS_KERNEL.  Status is read with acquire and
 * written with release ordering so the frame bytes are seen after the
 * status that publishes them, and are no longer read once handed back.
 * The block retire timeout (CAP_BLOCK_TOV_MS) closes a block that is only
 * partly full, so packets of a quiet link still reach the flow cache (and
 * their flows expire) within that time.
 *
 * Invariants: a socket is created with protocol 0 and only bound to
 * ETH_P_ALL on its interface after the ring exists, so it never sees a
 * packet of another interface; a socket filter truncates every packet to
 * CAP_SNAPLEN so the ring holds headers, not payload.  Ring headers are
 * copied out with memcpy, as everywhere else packet memory is read.
 *
 * Fanout: with opts->fanout_id != 0 each socket joins a PACKET_FANOUT_HASH
 * group, and the workers' captures, one socket each per interface, share
 * the interface's packets by flow hash.  The kernel requires every member
 * of a group to be bound to the same device, so the group id is derived
 * from (fanout_id, ifindex); it only lets a running socket join, so a
 * socket whose interface is down stays bound to protocol 0 (it receives
 * nothing, so no worker ever sees a packet another worker also sees) until
 * a retry finds the interface up.
 *
 * Interfaces come and go: each ring is allocated on its own and the epoll
 * event carries its pointer, so removing one moves pointers, never rings.
 * A ring removed while the caller still holds blocks of it stays mapped
 * on a dead list until cap_release().
 */
#include "cap_backend.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pkt.h"

#ifndef PACKET_FANOUT_FLAG_DEFRAG
#define PACKET_FANOUT_FLAG_DEFRAG 0x8000
#endif

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23	/* Linux 4.20 */
#endif

/*
 * Ring size per interface: 16 blocks of 128 KiB (2 MiB).  At the snap
 * length a frame takes about 600 bytes, so the ring holds about 3500
 * packets: 24 ms of a saturated 100 Mbit/s link in 64-byte packets, far
 * longer at real packet sizes.  Small enough that interfaces=all on a
 * router with a dozen ports stays within an OpenWrt box's memory.  When
 * the kernel cannot allocate it, fewer blocks are tried.
 */
#define CAP_BLOCK_SIZE		(128u << 10)
#define CAP_BLOCK_NR		16u
#define CAP_BLOCK_NR_MIN	2u
#define CAP_FRAME_SIZE		2048u
/* Retire a partly filled block after this long: the delay a packet may
 * take to reach the cache on a quiet link. */
#define CAP_BLOCK_TOV_MS	100u
/* A socket waiting to join its fanout group is retried this often. */
#define CAP_RETRY_MS		1000u
/* A removed interface's ring is still read this long (more than the block
 * retire timeout), so the packets in its last, partly filled block are
 * counted rather than lost with the socket. */
#define CAP_DRAIN_MS		(3u * CAP_BLOCK_TOV_MS)

struct cap_ring {
	int fd;
	uint32_t ifindex;
	int linktype;			/* PKT_LINK_ETHERNET or PKT_LINK_RAW */
	bool ignore_outgoing;		/* the kernel drops our own sends */
	bool fanout_pending;		/* bound to protocol 0 until it joins */
	uint8_t *map;			/* block_nr * CAP_BLOCK_SIZE bytes */
	size_t map_len;
	unsigned block_nr;
	unsigned next;			/* block to read next */
	unsigned held;			/* delivered, not yet released */
	char name[IF_NAMESIZE];
	struct cap_ring *dead_next;	/* on the dead list */
	uint64_t drain_until;		/* draining: CLOCK_MONOTONIC ms */
};

struct cap_afp {
	int epfd;
	struct cap_opts opts;
	size_t n;
	struct cap_ring *rings[CAP_MAX_IFACES];
	struct cap_ring *dead;		/* removed, blocks still held */
	/* Removed, still read until drain_until (see CAP_DRAIN_MS). */
	size_t n_drain;
	struct cap_ring *drain[CAP_MAX_IFACES];
	unsigned pending;		/* rings with fanout_pending */
	uint64_t retry_ms;		/* CLOCK_MONOTONIC: next retry */
	struct cap_stats st;		/* removed rings' counters included */
};

/* The block's status word, shared with the kernel. */
static uint32_t *block_status(uint8_t *block)
{
	return (uint32_t *)(void *)(block +
		offsetof(struct tpacket_block_desc, hdr.bh1.block_status));
}

static void ring_free(struct cap_ring *r)
{
	if (r == NULL)
		return;
	if (r->map != NULL)
		munmap(r->map, r->map_len);
	if (r->fd != -1)
		close(r->fd);
	free(r);
}

/* Fold the kernel's counters (reset by each read) into st. */
static void ring_stats(struct cap_ring *r, struct cap_stats *st)
{
	struct tpacket_stats_v3 ks;
	socklen_t len = sizeof(ks);

	memset(&ks, 0, sizeof(ks));
	if (getsockopt(r->fd, SOL_PACKET, PACKET_STATISTICS, &ks, &len) == -1)
		return;
	/* tp_packets includes the drops. */
	st->kernel_packets += ks.tp_packets;
	st->drops += ks.tp_drops;
}

/* Ethernet-framed devices are read with their L2 header (SOCK_RAW); any
 * other device (tun, WireGuard, PPP) as bare IP packets (SOCK_DGRAM).
 * *flags gets the IFF_* flags (fanout needs the interface up). */
static int dev_info(const char *name, int *linktype, unsigned *flags)
{
	struct ifreq ifr;
	int fd, rc = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) == -1) {
		rc = -errno;
		goto out;
	}
	if (ifr.ifr_hwaddr.sa_family == ARPHRD_ETHER ||
	    ifr.ifr_hwaddr.sa_family == ARPHRD_LOOPBACK)
		*linktype = PKT_LINK_ETHERNET;
	else
		*linktype = PKT_LINK_RAW;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == -1) {
		rc = -errno;
		goto out;
	}
	*flags = (unsigned)(unsigned short)ifr.ifr_flags;
out:
	close(fd);
	return rc;
}

static int ring_bind(struct cap_ring *r, uint16_t proto)
{
	struct sockaddr_ll sll;

	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(proto);
	sll.sll_ifindex = (int)r->ifindex;
	if (bind(r->fd, (struct sockaddr *)&sll, sizeof(sll)) == -1)
		return -errno;
	return 0;
}

/*
 * The fanout group of (fanout_id, ifindex).  Multiplying by an odd
 * constant is a bijection on 16 bits, so within one tflowd every interface
 * gets its own group, and on one interface two tflowd with different
 * fanout_ids never share one.  Two processes can still meet on one id with
 * two different interfaces; the kernel refuses that join (EINVAL) and the
 * error says so.
 */
static uint16_t fanout_group(uint16_t fanout_id, uint32_t ifindex)
{
	return (uint16_t)(fanout_id ^ ((ifindex * 0x9e37u) & 0xffffu));
}

/* Bind to ETH_P_ALL and join the fanout group.  On failure the socket is
 * bound back to protocol 0, so that it receives nothing outside the group. */
static int ring_join(struct cap_afp *a, struct cap_ring *r)
{
	uint32_t arg;
	int rc;

	rc = ring_bind(r, ETH_P_ALL);
	if (rc < 0)
		return rc;
	if (a->opts.fanout_id == 0)
		return 0;
	/* The kernel reads a u32: group id low, type and flags high. */
	arg = fanout_group(a->opts.fanout_id, r->ifindex) |
	      ((uint32_t)(PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG)
	       << 16);
	if (setsockopt(r->fd, SOL_PACKET, PACKET_FANOUT, &arg,
		       sizeof(arg)) == 0)
		return 0;
	rc = -errno;
	(void)ring_bind(r, 0);
	return rc;
}

static struct cap_ring *ring_open(struct cap_afp *a, const char *name,
				  char *err, size_t errlen, int *rcp)
{
	struct sock_filter snap[] = {
		BPF_STMT(BPF_RET | BPF_K, CAP_SNAPLEN),
	};
	struct sock_fprog prog = { .len = 1, .filter = snap };
	struct tpacket_req3 req;
	struct epoll_event ev;
	struct cap_ring *r;
	const char *what;
	unsigned flags = 0;
	int ver = TPACKET_V3, one = 1, rc;

	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		*rcp = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	r->fd = -1;
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->ifindex = if_nametoindex(name);
	if (r->ifindex == 0) {
		rc = -errno;
		what = "no such interface";
		goto fail;
	}
	rc = dev_info(name, &r->linktype, &flags);
	if (rc < 0) {
		what = "SIOCGIFHWADDR";
		goto fail;
	}
	/* Protocol 0: nothing is queued until bind() names the interface. */
	r->fd = socket(AF_PACKET, (r->linktype == PKT_LINK_ETHERNET ?
				   SOCK_RAW : SOCK_DGRAM) |
		       SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (r->fd == -1) {
		rc = -errno;
		what = "socket(AF_PACKET)";
		goto fail;
	}
	if (setsockopt(r->fd, SOL_PACKET, PACKET_VERSION, &ver,
		       sizeof(ver)) == -1) {
		rc = -errno;
		what = "TPACKET_V3";
		goto fail;
	}
	if (setsockopt(r->fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
		       sizeof(prog)) == -1) {
		rc = -errno;
		what = "SO_ATTACH_FILTER";
		goto fail;
	}
	/* Only ingress wants none of our sends: let the kernel skip them.
	 * Older kernels lack it: the walk then skips PACKET_OUTGOING. */
	if (a->opts.direction == CONF_DIR_INGRESS)
		r->ignore_outgoing = setsockopt(r->fd, SOL_PACKET,
						PACKET_IGNORE_OUTGOING, &one,
						sizeof(one)) == 0;
	for (r->block_nr = CAP_BLOCK_NR;; r->block_nr /= 2) {
		memset(&req, 0, sizeof(req));
		req.tp_block_size = CAP_BLOCK_SIZE;
		req.tp_block_nr = r->block_nr;
		req.tp_frame_size = CAP_FRAME_SIZE;
		req.tp_frame_nr = CAP_BLOCK_SIZE / CAP_FRAME_SIZE * r->block_nr;
		req.tp_retire_blk_tov = CAP_BLOCK_TOV_MS;
		if (setsockopt(r->fd, SOL_PACKET, PACKET_RX_RING, &req,
			       sizeof(req)) == 0)
			break;
		rc = -errno;
		if (rc != -ENOMEM || r->block_nr <= CAP_BLOCK_NR_MIN) {
			what = "PACKET_RX_RING";
			goto fail;
		}
	}
	r->map_len = (size_t)r->block_nr * CAP_BLOCK_SIZE;
	r->map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		      r->fd, 0);
	if (r->map == MAP_FAILED) {
		rc = -errno;
		r->map = NULL;
		what = "mmap";
		goto fail;
	}
	rc = ring_join(a, r);
	if (rc == -EINVAL && a->opts.fanout_id != 0 && !(flags & IFF_UP)) {
		/* Down: the kernel lets no such socket join; retried. */
		r->fanout_pending = true;
		rc = 0;
	}
	if (rc < 0) {
		what = a->opts.fanout_id == 0 ? "bind" :
		       rc == -EINVAL ? "PACKET_FANOUT (group id in use on "
				       "another interface by another process?)" :
		       "PACKET_FANOUT";
		goto fail;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = r;
	if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, r->fd, &ev) == -1) {
		rc = -errno;
		what = "epoll_ctl";
		goto fail;
	}
	*rcp = 0;
	return r;
fail:
	snprintf(err, errlen, "%s: %s: %s", name, what, strerror(-rc));
	ring_free(r);
	*rcp = rc;
	return NULL;
}

static void *afp_open(const struct cap_opts *opts, char *err, size_t errlen)
{
	struct cap_afp *a;
	int e;

	a = calloc(1, sizeof(*a));
	if (a == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->opts = *opts;
	a->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (a->epfd == -1) {
		e = errno;
		snprintf(err, errlen, "epoll_create1: %s", strerror(e));
		free(a);
		errno = e;
		return NULL;
	}
	return a;
}

static void afp_close(void *be)
{
	struct cap_afp *a = be;
	struct cap_ring *d;
	size_t i;

	for (i = 0; i < a->n; i++)
		ring_free(a->rings[i]);
	for (i = 0; i < a->n_drain; i++)
		ring_free(a->drain[i]);
	while ((d = a->dead) != NULL) {
		a->dead = d->dead_next;
		ring_free(d);
	}
	close(a->epfd);
	free(a);
}

static int afp_fd(const void *be)
{
	const struct cap_afp *a = be;

	return a->epfd;
}

static ssize_t ring_find(const struct cap_afp *a, uint32_t ifindex)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (a->rings[i]->ifindex == ifindex)
			return (ssize_t)i;
	return -1;
}

static int afp_add_if(void *be, const char *name, char *err, size_t errlen)
{
	struct cap_afp *a = be;
	struct cap_ring *r;
	unsigned ifindex;
	int rc;

	ifindex = if_nametoindex(name);
	if (ifindex != 0 && ring_find(a, ifindex) >= 0) {
		snprintf(err, errlen, "%s: already captured", name);
		return -EEXIST;
	}
	if (a->n == CAP_MAX_IFACES) {
		snprintf(err, errlen, "%s: more than %d interfaces", name,
			 CAP_MAX_IFACES);
		return -ENOSPC;
	}
	r = ring_open(a, name, err, errlen, &rc);
	if (r == NULL)
		return rc;
	if (r->fanout_pending)
		a->pending++;
	a->rings[a->n++] = r;
	return 0;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int afp_remove_if(void *be, uint32_t ifindex)
{
	struct cap_afp *a = be;
	struct cap_ring *r;
	ssize_t i;

	i = ring_find(a, ifindex);
	if (i < 0)
		return -ENOENT;
	r = a->rings[i];
	a->rings[i] = a->rings[--a->n];
	if (r->fanout_pending)
		a->pending--;
	(void)epoll_ctl(a->epfd, EPOLL_CTL_DEL, r->fd, NULL);
	ring_stats(r, &a->st);
	/* Bound to protocol 0 it queues nothing more (a gone device queues
	 * nothing anyway); the kernel's retire timer still closes the block
	 * being filled, and the next batches read it. */
	(void)ring_bind(r, 0);
	if (a->n_drain < CAP_MAX_IFACES) {
		r->drain_until = mono_ms() + CAP_DRAIN_MS;
		a->drain[a->n_drain++] = r;
		return 0;
	}
	if (r->held == 0) {
		ring_free(r);
		return 0;
	}
	/* The caller still reads packets in its blocks: unmap later. */
	r->dead_next = a->dead;
	a->dead = r;
	return 0;
}

static void afp_rename_if(void *be, uint32_t ifindex, const char *name)
{
	struct cap_afp *a = be;
	ssize_t i;

	i = ring_find(a, ifindex);
	if (i >= 0)
		snprintf(a->rings[i]->name, sizeof(a->rings[i]->name), "%s",
			 name);
}

static void afp_refresh(void *be)
{
	struct cap_afp *a = be;
	size_t i;

	if (a->pending == 0)
		return;
	a->retry_ms = mono_ms() + CAP_RETRY_MS;
	for (i = 0; i < a->n; i++) {
		struct cap_ring *r = a->rings[i];

		if (r->fanout_pending && ring_join(a, r) == 0) {
			r->fanout_pending = false;
			a->pending--;
		}
	}
}

static size_t afp_count(const void *be)
{
	const struct cap_afp *a = be;

	return a->n;
}

static uint32_t afp_ifindex(const void *be, size_t i)
{
	const struct cap_afp *a = be;

	return a->rings[i]->ifindex;
}

static const char *afp_ifname(const void *be, size_t i)
{
	const struct cap_afp *a = be;

	return a->rings[i]->name;
}

/*
 * A socket whose interface went down carries a pending error (ENETDOWN)
 * that keeps it, and so the epoll fd, readable; reading SO_ERROR clears
 * it.  One non-blocking epoll_wait per batch, never per packet.
 */
static void clear_errors(struct cap_afp *a)
{
	struct epoll_event evs[CAP_MAX_IFACES];
	struct cap_ring *r;
	int i, n, soerr;
	socklen_t len;

	n = epoll_wait(a->epfd, evs, CAP_MAX_IFACES, 0);
	for (i = 0; i < n; i++) {
		if (!(evs[i].events & EPOLLERR))
			continue;
		r = evs[i].data.ptr;
		len = sizeof(soerr);
		(void)getsockopt(r->fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
	}
}

/* Deliver the frames of one user-owned block.  Offsets come from the
 * kernel; they are still checked against the block so that a broken ring
 * can never make us read outside the mapping. */
static size_t block_walk(struct cap_afp *a, struct cap_ring *r,
			 uint8_t *block, cap_pkt_fn fn, void *ctx)
{
	struct tpacket_block_desc bd;
	struct tpacket3_hdr h;
	struct sockaddr_ll sll;
	struct cap_pkt p;
	size_t off, done = 0;
	uint32_t k;

	memcpy(&bd, block, sizeof(bd));
	off = bd.hdr.bh1.offset_to_first_pkt;
	p.ifindex = r->ifindex;
	p.out_ifindex = 0;
	p.linktype = r->linktype;
	for (k = 0; k < bd.hdr.bh1.num_pkts; k++) {
		if (off < sizeof(bd) || off > CAP_BLOCK_SIZE -
		    TPACKET_ALIGN(sizeof(h)) - sizeof(sll))
			break;
		memcpy(&h, block + off, sizeof(h));
		memcpy(&sll, block + off + TPACKET_ALIGN(sizeof(h)),
		       sizeof(sll));
		if (h.tp_mac > CAP_BLOCK_SIZE - off ||
		    h.tp_snaplen > CAP_BLOCK_SIZE - off - h.tp_mac)
			break;
		p.data = block + off + h.tp_mac;
		p.caplen = h.tp_snaplen;
		p.wirelen = h.tp_len > h.tp_snaplen ? h.tp_len : h.tp_snaplen;
		switch (sll.sll_pkttype) {
		case PACKET_HOST:
		case PACKET_BROADCAST:
		case PACKET_MULTICAST:
		case PACKET_OTHERHOST:
			p.dir = CAP_DIR_IN;
			break;
		case PACKET_OUTGOING:
			p.dir = CAP_DIR_OUT;
			break;
		default:
			/* PACKET_LOOPBACK: multicast we sent, looped back
			 * to ourselves; it was seen leaving. */
			a->st.skipped++;
			goto next;
		}
		if (!cap_dir_keep(&a->opts, &a->st, p.dir == CAP_DIR_OUT,
				  p.linktype, p.data, p.caplen, p.wirelen))
			goto next;
		p.ts_ms = (uint64_t)h.tp_sec * 1000 + h.tp_nsec / 1000000;
		p.vlan = (h.tp_status & TP_STATUS_VLAN_VALID) ?
			 (uint16_t)(h.hv1.tp_vlan_tci & 0x0fff) : 0;
		fn(&p, ctx);
		done++;
next:
		if (h.tp_next_offset == 0)
			break;
		off += h.tp_next_offset;
	}
	return done;
}

/* Deliver up to max_blocks ready blocks of one ring, in ring order. */
static size_t ring_walk(struct cap_afp *a, struct cap_ring *r,
			unsigned max_blocks, cap_pkt_fn fn, void *ctx)
{
	size_t done = 0;
	unsigned b;

	for (b = 0; b < max_blocks && r->held < r->block_nr; b++) {
		unsigned idx = (r->next + r->held) % r->block_nr;
		uint8_t *block = r->map + (size_t)idx * CAP_BLOCK_SIZE;

		if (!(__atomic_load_n(block_status(block), __ATOMIC_ACQUIRE) &
		      TP_STATUS_USER))
			break;
		done += block_walk(a, r, block, fn, ctx);
		r->held++;
	}
	return done;
}

static size_t afp_next_batch(void *be, unsigned max_blocks, cap_pkt_fn fn,
			     void *ctx)
{
	struct cap_afp *a = be;
	size_t i, done = 0;

	if (a->pending > 0 && mono_ms() >= a->retry_ms)
		afp_refresh(a);
	clear_errors(a);
	for (i = 0; i < a->n; i++)
		done += ring_walk(a, a->rings[i], max_blocks, fn, ctx);
	for (i = 0; i < a->n_drain; i++)
		done += ring_walk(a, a->drain[i], max_blocks, fn, ctx);
	a->st.packets += done;
	return done;
}

/* Hand the blocks delivered from r back to the kernel. */
static void ring_give_back(struct cap_ring *r)
{
	for (; r->held > 0; r->held--) {
		uint8_t *block = r->map + (size_t)r->next * CAP_BLOCK_SIZE;

		__atomic_store_n(block_status(block), TP_STATUS_KERNEL,
				 __ATOMIC_RELEASE);
		r->next = (r->next + 1) % r->block_nr;
	}
}

static void afp_release(void *be)
{
	struct cap_afp *a = be;
	struct cap_ring *d;
	size_t i;

	for (i = 0; i < a->n; i++)
		ring_give_back(a->rings[i]);
	if (a->n_drain > 0) {
		uint64_t now = mono_ms();

		for (i = 0; i < a->n_drain; ) {
			struct cap_ring *r = a->drain[i];

			ring_give_back(r);
			if (now < r->drain_until) {
				i++;
				continue;
			}
			ring_stats(r, &a->st);
			ring_free(r);
			a->drain[i] = a->drain[--a->n_drain];
		}
	}
	while ((d = a->dead) != NULL) {
		a->dead = d->dead_next;
		ring_free(d);
	}
}

static void afp_get_stats(void *be, struct cap_stats *out)
{
	struct cap_afp *a = be;
	size_t i;

	for (i = 0; i < a->n; i++)
		ring_stats(a->rings[i], &a->st);
	for (i = 0; i < a->n_drain; i++)
		ring_stats(a->drain[i], &a->st);
	*out = a->st;
}

const struct cap_ops cap_afpacket_ops = {
	.name = "afpacket",
	.open = afp_open,
	.close = afp_close,
	.fd = afp_fd,
	.add_if = afp_add_if,
	.remove_if = afp_remove_if,
	.rename_if = afp_rename_if,
	.refresh = afp_refresh,
	.count = afp_count,
	.ifindex = afp_ifindex,
	.ifname = afp_ifname,
	.next_batch = afp_next_batch,
	.release = afp_release,
	.get_stats = afp_get_stats,
};
