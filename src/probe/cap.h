/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cap: live packet capture on a set of interfaces, behind one small API so
 * that the AF_PACKET ring (cap_afpacket.c) and later backends (libpcap,
 * NFLOG) look the same to the live loop.  A capture exposes one file
 * descriptor for epoll; cap_next_batch() hands over what is ready without
 * allocating or copying, and cap_release() gives the memory back.
 *
 * What is delivered: by default every packet received on a captured
 * interface (ingress); packets the host sends are not delivered (see
 * docs/design/live-capture.md, "Counting once").
 */
#ifndef TFLOW_CAP_H
#define TFLOW_CAP_H

#include <stddef.h>
#include <stdint.h>

struct cap;

enum cap_dir {
	CAP_DIR_IN = 0,		/* received on the interface */
	CAP_DIR_OUT,		/* sent by this host on the interface */
};

/* One captured packet.  data points into the ring until cap_release(). */
struct cap_pkt {
	const uint8_t *data;
	uint32_t caplen;	/* bytes at data (at most the snap length) */
	uint32_t wirelen;	/* length of the packet on the wire, >= caplen */
	uint32_t ifindex;	/* the kernel's ifindex of the interface */
	int linktype;		/* enum pkt_linktype of data */
	uint64_t ts_ms;		/* kernel timestamp, CLOCK_REALTIME ms */
	uint16_t vlan;		/* VLAN id the driver stripped, 0 none */
	uint8_t dir;		/* enum cap_dir */
};

typedef void (*cap_pkt_fn)(const struct cap_pkt *pkt, void *ctx);

struct cap_stats {
	uint64_t packets;	/* delivered by cap_next_batch() */
	uint64_t kernel_packets;	/* PACKET_STATISTICS: seen by the socket */
	uint64_t drops;		/* PACKET_STATISTICS: lost, ring full */
	uint64_t outgoing;	/* sent by this host: skipped, not counted */
};

/* Snap length: enough for Ethernet, four VLAN tags, an IPv6 header with a
 * long extension chain and the transport header.  Bytes past it are never
 * copied into the ring; wirelen still tells the real length. */
#define CAP_SNAPLEN 512

/*
 * Open a capture on the interfaces named in names[0..n-1].  Returns NULL
 * with errno set and a message naming the interface in err on failure
 * (nothing stays open then).
 */
struct cap *cap_open(const char *const *names, size_t n, char *err,
		     size_t errlen);

/* Closes every socket and unmaps the rings.  NULL is a no-op. */
void cap_close(struct cap *c);

/* Readable (EPOLLIN) when some ring has a block of packets ready. */
int cap_fd(const struct cap *c);

/*
 * Call fn for each packet of at most max_blocks ready ring blocks (per
 * interface), in ring order.  The packets stay valid until cap_release();
 * call it before the next cap_next_batch().  Returns the number of packets
 * delivered (0: nothing ready).
 */
size_t cap_next_batch(struct cap *c, unsigned max_blocks, cap_pkt_fn fn,
		      void *ctx);

/* Give the blocks delivered by the last cap_next_batch() back to the
 * kernel. */
void cap_release(struct cap *c);

/* Number of interfaces and the ifindex/name of the i-th. */
size_t cap_count(const struct cap *c);
uint32_t cap_ifindex(const struct cap *c, size_t i);
const char *cap_ifname(const struct cap *c, size_t i);

/* Totals since cap_open(); reads (and so resets) the kernel counters. */
void cap_get_stats(struct cap *c, struct cap_stats *out);

#endif
