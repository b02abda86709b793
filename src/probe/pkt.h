/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pkt: link, network and transport header parser.  Pure: no state, no
 * allocation, no I/O.  It never reads past `caplen`; anything it cannot
 * account normally comes back as a named reason that the caller counts.
 */
#ifndef TFLOW_PKT_H
#define TFLOW_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow_key.h"

/* pcap LINKTYPE_* numbers (tcpdump.org/linktypes.html), not DLT_*. */
enum pkt_linktype {
	PKT_LINK_NULL = 0,		/* BSD loopback, host-order AF */
	PKT_LINK_ETHERNET = 1,
	PKT_LINK_RAW = 101,		/* raw IPv4 or IPv6 */
	PKT_LINK_LOOP = 108,		/* OpenBSD loopback, network-order AF */
	PKT_LINK_LINUX_SLL = 113,
	PKT_LINK_IPV4 = 228,
	PKT_LINK_IPV6 = 229,
	PKT_LINK_LINUX_SLL2 = 276,
};

/*
 * Why a packet was not accounted.  The order is the order `monitor` and the
 * stats line print them in; names come from pkt_reason_name().
 */
enum pkt_reason {
	PKT_OK = 0,
	PKT_ERR_LINKTYPE,		/* "unsupported_linktype" */
	PKT_ERR_L2_TRUNCATED,		/* "l2_truncated" */
	PKT_ERR_VLAN_DEPTH,		/* "vlan_too_deep": more than 4 tags */
	PKT_ERR_NON_IP,			/* "non_ip": ARP, LLDP, ... */
	PKT_ERR_L3_TRUNCATED,		/* "l3_truncated" */
	PKT_ERR_IP_VERSION,		/* "bad_ip_version" */
	PKT_ERR_IP_HDRLEN,		/* "bad_ip_header_length" */
	PKT_ERR_IP_TOTLEN,		/* "bad_ip_total_length" */
	PKT_ERR_IPV6_EXT,		/* "bad_ipv6_ext_chain" */
	PKT_ERR_L4_TRUNCATED,		/* "l4_truncated" */
	PKT_REASON_MAX
};

/* Fragment position of the packet, for frag.c. */
enum pkt_frag {
	PKT_FRAG_NONE = 0,
	PKT_FRAG_FIRST,		/* offset 0, more fragments: has L4 header */
	PKT_FRAG_LATER,		/* offset > 0: no L4 header, ports are 0 */
};

struct pkt_info {
	struct flow_key key;	/* in_if from SLL2 when present, else 0 */
	uint32_t octets;	/* IP total length (v6: payload + 40) */
	uint32_t frag_id;	/* IPv4 id or IPv6 fragment identification */
	uint16_t vlan;		/* outer VLAN id, 0 none */
	uint8_t tcp_flags;	/* TCP only, else 0 */
	uint8_t ttl;		/* TTL / hop limit */
	uint8_t frag;		/* enum pkt_frag */
	uint8_t has_mac;	/* src_mac/dst_mac valid (Ethernet) */
	uint8_t src_mac[6];
	uint8_t dst_mac[6];
};

/*
 * Parse one captured packet.  `data` holds `caplen` bytes of a packet whose
 * length on the wire was `wirelen` (>= caplen).  Fills *out (the whole
 * struct, padding of out->key included) and returns PKT_OK, or returns a
 * reason; *out is then unspecified.
 */
enum pkt_reason pkt_parse(enum pkt_linktype link, const uint8_t *data,
			  uint32_t caplen, uint32_t wirelen,
			  struct pkt_info *out);

/* Stable snake_case name of a reason ("l4_truncated"), never NULL. */
const char *pkt_reason_name(enum pkt_reason r);

/* The stats lines' list of reasons: " name=N" for each non-zero count
 * (counts[PKT_OK] ignored), cut to fit buf.  Returns the sum of them. */
uint64_t pkt_reasons_format(const uint64_t counts[PKT_REASON_MAX], char *buf,
			    size_t len);

/* true when the parser knows this link type. */
bool pkt_linktype_supported(int link);

#endif
