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
 */
#include "cap.h"

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
#include <unistd.h>

#include "pkt.h"

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
#define CAP_MAX_IFACES		64

struct cap_ring {
	int fd;
	uint32_t ifindex;
	int linktype;			/* PKT_LINK_ETHERNET or PKT_LINK_RAW */
	bool ignore_outgoing;		/* the kernel drops our own sends */
	uint8_t *map;			/* block_nr * CAP_BLOCK_SIZE bytes */
	size_t map_len;
	unsigned block_nr;
	unsigned next;			/* block to read next */
	unsigned held;			/* delivered, not yet released */
	char name[IF_NAMESIZE];
};

struct cap {
	int epfd;
	size_t n;
	struct cap_ring rings[CAP_MAX_IFACES];
	struct cap_stats st;
};

/* The block's status word, shared with the kernel. */
static uint32_t *block_status(uint8_t *block)
{
	return (uint32_t *)(void *)(block +
		offsetof(struct tpacket_block_desc, hdr.bh1.block_status));
}

static void ring_close(struct cap_ring *r)
{
	if (r->map != NULL)
		munmap(r->map, r->map_len);
	if (r->fd != -1)
		close(r->fd);
	r->map = NULL;
	r->fd = -1;
}

/* Ethernet-framed devices are read with their L2 header (SOCK_RAW); any
 * other device (tun, WireGuard, PPP) as bare IP packets (SOCK_DGRAM). */
static int dev_linktype(const char *name, int *linktype)
{
	struct ifreq ifr;
	int fd, rc = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) == -1)
		rc = -errno;
	else if (ifr.ifr_hwaddr.sa_family == ARPHRD_ETHER ||
		 ifr.ifr_hwaddr.sa_family == ARPHRD_LOOPBACK)
		*linktype = PKT_LINK_ETHERNET;
	else
		*linktype = PKT_LINK_RAW;
	close(fd);
	return rc;
}

static int ring_open(struct cap_ring *r, const char *name, int epfd,
		     uint32_t slot, char *err, size_t errlen)
{
	struct sock_filter snap[] = {
		BPF_STMT(BPF_RET | BPF_K, CAP_SNAPLEN),
	};
	struct sock_fprog prog = { .len = 1, .filter = snap };
	struct tpacket_req3 req;
	struct sockaddr_ll sll;
	struct epoll_event ev;
	const char *what;
	int ver = TPACKET_V3, one = 1, rc;

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->ifindex = if_nametoindex(name);
	if (r->ifindex == 0) {
		rc = -errno;
		what = "no such interface";
		goto fail;
	}
	rc = dev_linktype(name, &r->linktype);
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
	/* Older kernels lack it: the walk then skips PACKET_OUTGOING. */
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
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)r->ifindex;
	if (bind(r->fd, (struct sockaddr *)&sll, sizeof(sll)) == -1) {
		rc = -errno;
		what = "bind";
		goto fail;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u32 = slot;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, r->fd, &ev) == -1) {
		rc = -errno;
		what = "epoll_ctl";
		goto fail;
	}
	return 0;
fail:
	snprintf(err, errlen, "%s: %s: %s", name, what, strerror(-rc));
	ring_close(r);
	return rc;
}

struct cap *cap_open(const struct cap_opts *opts, const char *const *names,
		     size_t n, char *err, size_t errlen)
{
	struct cap *c;
	size_t i;
	int rc;

	(void)opts;

	if (n == 0 || n > CAP_MAX_IFACES) {
		snprintf(err, errlen, "%zu interfaces: expected 1 to %d", n,
			 CAP_MAX_IFACES);
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (c->epfd == -1) {
		rc = -errno;
		snprintf(err, errlen, "epoll_create1: %s", strerror(errno));
		free(c);
		errno = -rc;
		return NULL;
	}
	for (i = 0; i < n; i++) {
		rc = ring_open(&c->rings[i], names[i], c->epfd, (uint32_t)i,
			       err, errlen);
		if (rc < 0) {
			c->n = i;
			cap_close(c);
			errno = -rc;
			return NULL;
		}
		c->n = i + 1;
	}
	return c;
}

void cap_close(struct cap *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++)
		ring_close(&c->rings[i]);
	close(c->epfd);
	free(c);
}

int cap_fd(const struct cap *c)
{
	return c->epfd;
}

size_t cap_count(const struct cap *c)
{
	return c->n;
}

uint32_t cap_ifindex(const struct cap *c, size_t i)
{
	return c->rings[i].ifindex;
}

const char *cap_ifname(const struct cap *c, size_t i)
{
	return c->rings[i].name;
}

/*
 * A socket whose interface went down carries a pending error (ENETDOWN)
 * that keeps it, and so the epoll fd, readable; reading SO_ERROR clears
 * it.  One non-blocking epoll_wait per batch, never per packet.
 */
static void clear_errors(struct cap *c)
{
	struct epoll_event evs[CAP_MAX_IFACES];
	int i, n, soerr;
	socklen_t len;

	n = epoll_wait(c->epfd, evs, CAP_MAX_IFACES, 0);
	for (i = 0; i < n; i++) {
		if (!(evs[i].events & EPOLLERR) || evs[i].data.u32 >= c->n)
			continue;
		len = sizeof(soerr);
		(void)getsockopt(c->rings[evs[i].data.u32].fd, SOL_SOCKET,
				 SO_ERROR, &soerr, &len);
	}
}

/* Deliver the frames of one user-owned block.  Offsets come from the
 * kernel; they are still checked against the block so that a broken ring
 * can never make us read outside the mapping. */
static size_t block_walk(struct cap *c, struct cap_ring *r, uint8_t *block,
			 cap_pkt_fn fn, void *ctx)
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
		switch (sll.sll_pkttype) {
		case PACKET_HOST:
		case PACKET_BROADCAST:
		case PACKET_MULTICAST:
		case PACKET_OTHERHOST:
			p.data = block + off + h.tp_mac;
			p.caplen = h.tp_snaplen;
			p.wirelen = h.tp_len > h.tp_snaplen ? h.tp_len :
				    h.tp_snaplen;
			p.ts_ms = (uint64_t)h.tp_sec * 1000 +
				  h.tp_nsec / 1000000;
			p.vlan = (h.tp_status & TP_STATUS_VLAN_VALID) ?
				 (uint16_t)(h.hv1.tp_vlan_tci & 0x0fff) : 0;
			p.dir = CAP_DIR_IN;
			fn(&p, ctx);
			done++;
			break;
		default:
			/* Our own sends (kernels without
			 * PACKET_IGNORE_OUTGOING) and looped-back
			 * multicast: see "Counting once". */
			c->st.outgoing++;
			break;
		}
		if (h.tp_next_offset == 0)
			break;
		off += h.tp_next_offset;
	}
	return done;
}

size_t cap_next_batch(struct cap *c, unsigned max_blocks, cap_pkt_fn fn,
		      void *ctx)
{
	size_t i, done = 0;

	clear_errors(c);
	for (i = 0; i < c->n; i++) {
		struct cap_ring *r = &c->rings[i];
		unsigned b;

		for (b = 0; b < max_blocks && b < r->block_nr; b++) {
			unsigned idx = (r->next + r->held) % r->block_nr;
			uint8_t *block = r->map + (size_t)idx * CAP_BLOCK_SIZE;

			if (!(__atomic_load_n(block_status(block),
					      __ATOMIC_ACQUIRE) &
			      TP_STATUS_USER))
				break;
			done += block_walk(c, r, block, fn, ctx);
			r->held++;
		}
	}
	c->st.packets += done;
	return done;
}

void cap_release(struct cap *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		struct cap_ring *r = &c->rings[i];

		for (; r->held > 0; r->held--) {
			uint8_t *block = r->map +
					 (size_t)r->next * CAP_BLOCK_SIZE;

			__atomic_store_n(block_status(block), TP_STATUS_KERNEL,
					 __ATOMIC_RELEASE);
			r->next = (r->next + 1) % r->block_nr;
		}
	}
}

void cap_get_stats(struct cap *c, struct cap_stats *out)
{
	struct tpacket_stats_v3 ks;
	socklen_t len;
	size_t i;

	for (i = 0; i < c->n; i++) {
		len = sizeof(ks);
		memset(&ks, 0, sizeof(ks));
		if (getsockopt(c->rings[i].fd, SOL_PACKET, PACKET_STATISTICS,
			       &ks, &len) == -1)
			continue;
		/* tp_packets includes the drops. */
		c->st.kernel_packets += ks.tp_packets;
		c->st.drops += ks.tp_drops;
	}
	*out = c->st;
}

/* Interim: interface following arrives with the fanout rework. */
int cap_add_if(struct cap *c, const char *name, char *err, size_t errlen)
{
	(void)c;
	snprintf(err, errlen, "%s: adding interfaces is not supported yet",
	    name);
	return -ENOTSUP;
}

int cap_remove_if(struct cap *c, uint32_t ifindex)
{
	(void)c;
	(void)ifindex;
	return -ENOENT;
}

void cap_rename_if(struct cap *c, uint32_t ifindex, const char *name)
{
	(void)c;
	(void)ifindex;
	(void)name;
}
