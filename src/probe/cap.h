/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cap: live packet capture on a set of interfaces, behind one small API so
 * that the AF_PACKET ring (cap_afpacket.c) and later backends (libpcap,
 * NFLOG) look the same to the live loop.  A capture exposes one file
 * descriptor for epoll; cap_next_batch() hands over what is ready without
 * allocating or copying, and cap_release() gives the memory back.
 *
 * Backends: cap_afpacket.c (TPACKET_V3 ring, PACKET_FANOUT), cap_pcap.c
 * (libpcap live), cap_nflog.c (NFLOG over libmnl); cap_open() picks by
 * opts->backend and cap.c dispatches through one ops table
 * (cap_backend.h).  A capture is used by one thread at a time; several
 * captures (one per worker) run in parallel.  What is delivered follows
 * opts->direction (docs/design/capture-backends.md).
 */
#ifndef TFLOW_CAP_H
#define TFLOW_CAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"

struct cap;

enum cap_dir {
	CAP_DIR_IN = 0,		/* received on the interface */
	CAP_DIR_OUT,		/* sent by this host on the interface */
};

/*
 * One captured packet.  data is valid while the callback runs; AF_PACKET
 * keeps it (it points into the ring) until cap_release(), libpcap and NFLOG
 * reuse their buffer for the next packets, so consume it in the callback.
 */
struct cap_pkt {
	const uint8_t *data;
	uint32_t caplen;	/* bytes at data (at most the snap length) */
	uint32_t wirelen;	/* length of the packet on the wire, >= caplen */
	uint32_t ifindex;	/* the kernel's ifindex of the interface: the input
				 * interface, or for dir OUT the output one */
	uint32_t out_ifindex;	/* NFLOG: the kernel's output interface (0 in
				 * the input chain), else 0 */
	int linktype;		/* enum pkt_linktype of data */
	uint64_t ts_ms;		/* kernel timestamp, CLOCK_REALTIME ms */
	uint16_t vlan;		/* VLAN id the driver stripped, 0 none */
	uint8_t dir;		/* enum cap_dir */
};

typedef void (*cap_pkt_fn)(const struct cap_pkt *pkt, void *ctx);

struct cap_stats {
	uint64_t packets;	/* delivered by cap_next_batch() */
	uint64_t kernel_packets;	/* seen by the kernel socket, drops
					 * included (PACKET_STATISTICS, pcap_stats,
					 * NFLOG sequence numbers) */
	uint64_t drops;		/* lost before we read them: ring or socket
				 * buffer full (NFLOG: sequence gaps) */
	uint64_t outgoing;	/* sent packets skipped by the direction setting */
	uint64_t incoming;	/* received packets skipped (direction egress) */
	uint64_t skipped;	/* other frames skipped (PACKET_LOOPBACK, NFLOG
				 * messages without payload ...) */
};

/* Snap length: enough for Ethernet, four VLAN tags, an IPv6 header with a
 * long extension chain and the transport header.  Bytes past it are never
 * copied into the ring; wirelen still tells the real length. */
#define CAP_SNAPLEN 512

/*
 * How a capture is opened.  One process may hold several captures at once:
 * the live workers each open one with the same fanout_id and their own
 * worker index, and the kernel spreads packets over them by flow hash.
 */
struct cap_opts {
	enum conf_capture backend;	/* afpacket, pcap or nflog */
	enum conf_direction direction;	/* what is delivered, see below */
	uint16_t nflog_group;		/* NFLOG: the nftables log group */
	/* AF_PACKET fanout: fanout_id != 0 joins every socket of this capture
	 * to a PACKET_FANOUT_HASH group (with PACKET_FANOUT_FLAG_DEFRAG) derived
	 * from fanout_id and the interface, so the workers of one tflowd share
	 * each interface and two tflowd never share a group.  Other backends
	 * ignore it (they run with one worker). */
	uint16_t fanout_id;
	/*
	 * direction CONF_DIR_INGRESS_LOCAL needs to tell egress this host
	 * originated from forwarded egress: the backend asks is_local(src) for
	 * each outgoing packet (NULL: no outgoing packet is local).  Called on
	 * the capture's thread; it must be safe against a concurrent writer
	 * (nl_local_is_local() is).
	 */
	bool (*is_local)(const void *local_ctx, uint8_t ip_version,
			 const uint8_t addr[16]);
	const void *local_ctx;
};

/*
 * What each direction setting delivers (dir of struct cap_pkt says which):
 *  INGRESS_LOCAL: received packets, plus sent packets whose source address
 *                 is local (originated here; forwarded ones were already
 *                 counted when they came in);
 *  INGRESS:       received packets only;
 *  EGRESS:        sent packets only (forwarded and originated);
 *  BOTH:          received and sent: a forwarded packet counts twice.
 * Skipped packets are counted in cap_stats.outgoing / .skipped.
 * NFLOG delivers what the nftables rules log (see docs), whatever direction.
 */

/*
 * Open a capture on the interfaces named in names[0..n-1] (NFLOG: names
 * are ignored, it binds opts->nflog_group).  n may be 0: an empty capture
 * that cap_add_if() fills later.  Returns NULL with errno set and a
 * message naming the interface in err on failure (nothing stays open then).
 */
struct cap *cap_open(const struct cap_opts *opts, const char *const *names,
		     size_t n, char *err, size_t errlen);

/*
 * Start capturing on one more interface (it must exist now).  Returns 0,
 * -EEXIST when it is already captured, or -errno with a message in err.
 * NFLOG: returns 0 and does nothing.
 */
int cap_add_if(struct cap *c, const char *name, char *err, size_t errlen);

/* Stop capturing on ifindex (gone or no longer configured): its socket is
 * closed, packets already delivered stay valid until cap_release().
 * Returns 0 or -ENOENT. */
int cap_remove_if(struct cap *c, uint32_t ifindex);

/* The interface ifindex was renamed: cap_ifname() says the new name. */
void cap_rename_if(struct cap *c, uint32_t ifindex, const char *name);

/*
 * Retry what could not be done when an interface was added: the kernel
 * only lets a socket join a fanout group while its interface is up, so a
 * socket added while down receives nothing until it has joined (no worker
 * ever sees another's packets twice).  cap_next_batch() retries at most
 * once a second by itself; call this too on a link-up event or from a
 * timer, so that an interface that comes up on an idle capture starts at
 * once.  Cheap when nothing is pending.
 */
void cap_refresh(struct cap *c);

/* Closes every socket and unmaps the rings.  NULL is a no-op. */
void cap_close(struct cap *c);

/* Readable (EPOLLIN) when some ring has a block of packets ready. */
int cap_fd(const struct cap *c);

/*
 * Call fn for each packet of at most max_blocks ready ring blocks (per
 * interface), in ring order (libpcap: max_blocks dispatches of up to 256
 * packets per interface; NFLOG: max_blocks netlink datagrams).  See struct
 * cap_pkt for how long a packet stays valid; call cap_release() before the
 * next cap_next_batch().  Returns the number of packets delivered (0:
 * nothing ready).
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
