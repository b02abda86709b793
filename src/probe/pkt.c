/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pkt: turns one captured frame into a flow key plus the per-packet
 * counters.  This is the hot path (every packet, one core), so it is a
 * straight walk: link header, VLAN tags, IP header, IPv6 extension chain,
 * the first bytes of L4.  Every read is preceded by a check against the
 * bytes we hold, and every length field is checked before it moves the
 * cursor; packet bytes are read with memcpy and ntoh*, never through a
 * struct cast, so unaligned frames are fine on strict-alignment CPUs.
 *
 * Two limits bound what we read: `caplen` (what the capture gave us) and
 * the IP datagram's own length (so Ethernet padding is never taken for an
 * L4 header).
 */
#include "pkt.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#define ETH_HLEN	14
#define VLAN_HLEN	4
#define SLL_HLEN	16
#define SLL2_HLEN	20
#define NULL_HLEN	4
#define IPV4_HLEN	20
#define IPV6_HLEN	40

#define ETHERTYPE_IPV4		0x0800
#define ETHERTYPE_IPV6		0x86dd
#define ETHERTYPE_8021Q		0x8100
#define ETHERTYPE_8021AD	0x88a8
#define ETHERTYPE_QINQ_OLD	0x9100

/* Tags beyond this are more likely an attack on the parser than a network. */
#define PKT_MAX_VLAN		4
/* Same idea for the IPv6 extension chain; real stacks use one or two. */
#define PKT_MAX_IPV6_EXT	8

#define IP_MF			0x2000
#define IP_OFFMASK		0x1fff

static inline uint16_t rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return ntohs(v);
}

static inline uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return ntohl(v);
}

static const char *const reason_names[PKT_REASON_MAX] = {
	[PKT_OK] = "ok",
	[PKT_ERR_LINKTYPE] = "unsupported_linktype",
	[PKT_ERR_L2_TRUNCATED] = "l2_truncated",
	[PKT_ERR_VLAN_DEPTH] = "vlan_too_deep",
	[PKT_ERR_NON_IP] = "non_ip",
	[PKT_ERR_L3_TRUNCATED] = "l3_truncated",
	[PKT_ERR_IP_VERSION] = "bad_ip_version",
	[PKT_ERR_IP_HDRLEN] = "bad_ip_header_length",
	[PKT_ERR_IP_TOTLEN] = "bad_ip_total_length",
	[PKT_ERR_IPV6_EXT] = "bad_ipv6_ext_chain",
	[PKT_ERR_L4_TRUNCATED] = "l4_truncated",
};

const char *pkt_reason_name(enum pkt_reason r)
{
	if ((unsigned int)r >= PKT_REASON_MAX)
		return "unknown";
	return reason_names[r];
}

uint64_t pkt_reasons_format(const uint64_t counts[PKT_REASON_MAX], char *buf,
			    size_t len)
{
	uint64_t sum = 0;
	size_t off = 0;
	int r, n;

	if (len > 0)
		buf[0] = '\0';
	for (r = PKT_OK + 1; r < PKT_REASON_MAX; r++) {
		if (counts[r] == 0)
			continue;
		sum += counts[r];
		if (off >= len)
			continue;
		n = snprintf(buf + off, len - off, " %s=%" PRIu64,
			     pkt_reason_name((enum pkt_reason)r), counts[r]);
		if (n > 0)
			off += (size_t)n;
	}
	return sum;
}

bool pkt_linktype_supported(int link)
{
	switch (link) {
	case PKT_LINK_NULL:
	case PKT_LINK_ETHERNET:
	case PKT_LINK_RAW:
	case PKT_LINK_LOOP:
	case PKT_LINK_LINUX_SLL:
	case PKT_LINK_IPV4:
	case PKT_LINK_IPV6:
	case PKT_LINK_LINUX_SLL2:
		return true;
	default:
		return false;
	}
}

/*
 * DLT_NULL stores the address family in the capturing host's byte order,
 * and AF_INET6 differs between systems (Linux 10, Net/OpenBSD 24, FreeBSD
 * 28, Darwin 30), so a file from any host is read by trying both orders.
 * LOOP is network order only.  Returns 4, 6 or 0 (not IP).
 */
static unsigned int af_version(uint32_t af)
{
	switch (af) {
	case 2:
		return 4;
	case 10:
	case 24:
	case 28:
	case 30:
		return 6;
	default:
		return 0;
	}
}

static unsigned int null_version(const uint8_t *p, bool both_orders)
{
	uint32_t be = rd32(p);
	unsigned int v;

	v = af_version(be);
	if (v == 0 && both_orders)
		v = af_version(__builtin_bswap32(be));
	return v;
}

/*
 * Walk VLAN tags from `etype` (the type field just read, whose payload
 * starts at *off) and leave *off at the IP header.  Values below 0x0600 are
 * 802.3 lengths, not types, and fall out as non-IP like ARP or MPLS do.
 */
static enum pkt_reason l2_ethertype(const uint8_t *data, uint32_t caplen,
				    uint32_t *off, uint16_t etype,
				    struct pkt_info *out, unsigned int *ver)
{
	uint32_t o = *off;
	unsigned int tags = 0;

	while (etype == ETHERTYPE_8021Q || etype == ETHERTYPE_8021AD ||
	    etype == ETHERTYPE_QINQ_OLD) {
		if (tags == PKT_MAX_VLAN)
			return PKT_ERR_VLAN_DEPTH;
		if (caplen - o < VLAN_HLEN)
			return PKT_ERR_L2_TRUNCATED;
		if (tags == 0)
			out->vlan = rd16(data + o) & 0x0fff;
		etype = rd16(data + o + 2);
		o += VLAN_HLEN;
		tags++;
	}
	if (etype == ETHERTYPE_IPV4)
		*ver = 4;
	else if (etype == ETHERTYPE_IPV6)
		*ver = 6;
	else
		return PKT_ERR_NON_IP;
	*off = o;
	return PKT_OK;
}

/*
 * Ports, ICMP type/code and TCP flags from the `len` L4 bytes we hold.
 * Protocols without ports (GRE, ESP, OSPF ...) keep ports 0.
 */
static inline enum pkt_reason parse_l4(const uint8_t *l4, uint32_t len,
				       struct pkt_info *out)
{
	switch (out->key.proto) {
	case IPPROTO_TCP:
		if (len < 14)
			return PKT_ERR_L4_TRUNCATED;
		out->tcp_flags = l4[13];
		out->key.src_port = rd16(l4);
		out->key.dst_port = rd16(l4 + 2);
		break;
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
	case IPPROTO_UDPLITE:
	case IPPROTO_DCCP:
		if (len < 4)
			return PKT_ERR_L4_TRUNCATED;
		out->key.src_port = rd16(l4);
		out->key.dst_port = rd16(l4 + 2);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		/* NetFlow convention: type and code in the destination port. */
		if (len < 2)
			return PKT_ERR_L4_TRUNCATED;
		out->key.dst_port = (uint16_t)(l4[0] << 8 | l4[1]);
		break;
	default:
		break;
	}
	return PKT_OK;
}

/* `avail` bytes from the IP header on are captured; `wire` were sent. */
static enum pkt_reason parse_ipv4(const uint8_t *ip, uint32_t avail,
				  uint32_t wire, struct pkt_info *out)
{
	uint32_t ihl, totlen;
	uint16_t frag;

	if (avail < IPV4_HLEN)
		return PKT_ERR_L3_TRUNCATED;
	ihl = (uint32_t)(ip[0] & 0x0f) * 4;
	if (ihl < IPV4_HLEN)
		return PKT_ERR_IP_HDRLEN;
	totlen = rd16(ip + 2);
	if (totlen == 0)
		/* Linux TSO/GSO super-packets leave 0 here; the wire knows. */
		totlen = wire;
	else if (totlen > wire)
		return PKT_ERR_IP_TOTLEN;
	if (totlen < ihl)
		return PKT_ERR_IP_TOTLEN;
	if (avail < ihl)
		return PKT_ERR_L3_TRUNCATED;

	out->key.ip_version = 4;
	out->key.tos = ip[1];
	out->ttl = ip[8];
	out->key.proto = ip[9];
	memcpy(out->key.src_addr, ip + 12, 4);
	memcpy(out->key.dst_addr, ip + 16, 4);
	out->octets = totlen;

	frag = rd16(ip + 6);
	if (frag & (IP_MF | IP_OFFMASK)) {
		out->frag_id = rd16(ip + 4);
		if (frag & IP_OFFMASK) {
			/* No L4 header here; frag.c may lend the ports. */
			out->frag = PKT_FRAG_LATER;
			return PKT_OK;
		}
		out->frag = PKT_FRAG_FIRST;
	}
	if (avail > totlen)
		avail = totlen;
	return parse_l4(ip + ihl, avail - ihl, out);
}

static enum pkt_reason parse_ipv6(const uint8_t *ip, uint32_t avail,
				  uint32_t wire, struct pkt_info *out)
{
	uint32_t iplen, pos, hlen;
	unsigned int n;
	uint16_t frag;
	uint8_t nh;

	if (avail < IPV6_HLEN)
		return PKT_ERR_L3_TRUNCATED;
	iplen = rd16(ip + 4);
	if (iplen == 0)
		/* Jumbogram, or a GSO super-packet (BIG TCP): trust the wire. */
		iplen = wire;
	else if ((iplen += IPV6_HLEN) > wire)
		return PKT_ERR_IP_TOTLEN;

	out->key.ip_version = 6;
	out->key.tos = (uint8_t)((ip[0] & 0x0f) << 4 | ip[1] >> 4);
	out->ttl = ip[7];
	memcpy(out->key.src_addr, ip + 8, 16);
	memcpy(out->key.dst_addr, ip + 24, 16);
	out->octets = iplen;
	if (avail > iplen)
		avail = iplen;

	nh = ip[6];
	pos = IPV6_HLEN;
	for (n = 0;; n++) {
		switch (nh) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
		case IPPROTO_MH:
		case 139:	/* HIP */
		case 140:	/* Shim6 */
			if (n == PKT_MAX_IPV6_EXT || avail - pos < 2)
				return PKT_ERR_IPV6_EXT;
			hlen = ((uint32_t)ip[pos + 1] + 1) * 8;
			break;
		case IPPROTO_AH:
			if (n == PKT_MAX_IPV6_EXT || avail - pos < 2)
				return PKT_ERR_IPV6_EXT;
			hlen = ((uint32_t)ip[pos + 1] + 2) * 4;
			break;
		case IPPROTO_FRAGMENT:
			if (n == PKT_MAX_IPV6_EXT || avail - pos < 8)
				return PKT_ERR_IPV6_EXT;
			frag = rd16(ip + pos + 2);
			/* Offset 0 without M is an atomic fragment (RFC 6946):
			 * the whole datagram, so not a fragment for us. */
			if (frag & 0xfff9) {
				out->frag_id = rd32(ip + pos + 4);
				if (frag & 0xfff8) {
					out->key.proto = ip[pos];
					out->frag = PKT_FRAG_LATER;
					return PKT_OK;
				}
				out->frag = PKT_FRAG_FIRST;
			}
			hlen = 8;
			break;
		default:
			/* Upper layer, ESP (encrypted from here on) or 59. */
			out->key.proto = nh;
			return parse_l4(ip + pos, avail - pos, out);
		}
		if (avail - pos < hlen)
			return PKT_ERR_IPV6_EXT;
		nh = ip[pos];
		pos += hlen;
	}
}

enum pkt_reason pkt_parse(enum pkt_linktype link, const uint8_t *data,
			  uint32_t caplen, uint32_t wirelen,
			  struct pkt_info *out)
{
	enum pkt_reason r;
	unsigned int ver = 0;	/* 0: the IP version nibble decides */
	uint32_t off = 0;	/* start of the IP header */

	/* A constant 72-byte clear is a handful of vector stores, cheaper
	 * than writing each field on every path, and it zeroes the padding
	 * the flow cache hashes. */
	memset(out, 0, sizeof(*out));
	if (wirelen < caplen)
		wirelen = caplen;

	switch (link) {
	case PKT_LINK_ETHERNET:
		if (caplen < ETH_HLEN)
			return PKT_ERR_L2_TRUNCATED;
		memcpy(out->dst_mac, data, 6);
		memcpy(out->src_mac, data + 6, 6);
		out->has_mac = 1;
		off = ETH_HLEN;
		r = l2_ethertype(data, caplen, &off, rd16(data + 12), out, &ver);
		if (r != PKT_OK)
			return r;
		break;
	case PKT_LINK_LINUX_SLL:
		if (caplen < SLL_HLEN)
			return PKT_ERR_L2_TRUNCATED;
		off = SLL_HLEN;
		r = l2_ethertype(data, caplen, &off, rd16(data + 14), out, &ver);
		if (r != PKT_OK)
			return r;
		break;
	case PKT_LINK_LINUX_SLL2:
		if (caplen < SLL2_HLEN)
			return PKT_ERR_L2_TRUNCATED;
		out->key.in_if = rd32(data + 4);
		off = SLL2_HLEN;
		r = l2_ethertype(data, caplen, &off, rd16(data), out, &ver);
		if (r != PKT_OK)
			return r;
		break;
	case PKT_LINK_NULL:
	case PKT_LINK_LOOP:
		if (caplen < NULL_HLEN)
			return PKT_ERR_L2_TRUNCATED;
		ver = null_version(data, link == PKT_LINK_NULL);
		if (ver == 0)
			return PKT_ERR_NON_IP;
		off = NULL_HLEN;
		break;
	case PKT_LINK_RAW:
		break;
	case PKT_LINK_IPV4:
		ver = 4;
		break;
	case PKT_LINK_IPV6:
		ver = 6;
		break;
	default:
		return PKT_ERR_LINKTYPE;
	}

	if (caplen == off)
		return PKT_ERR_L3_TRUNCATED;
	if (ver == 0)
		ver = data[off] >> 4;
	if (data[off] >> 4 != ver)
		return PKT_ERR_IP_VERSION;
	if (ver == 4)
		return parse_ipv4(data + off, caplen - off, wirelen - off, out);
	if (ver == 6)
		return parse_ipv6(data + off, caplen - off, wirelen - off, out);
	return PKT_ERR_IP_VERSION;
}
