/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The flow key of PRODUCT.md: input interface, IP version, addresses,
 * protocol, ports (ICMP type/code) and ToS.  The parser writes it in place
 * and the flow cache hashes and compares it as raw bytes, so every byte,
 * padding included, must be written (pkt_parse() zeroes the whole key).
 */
#ifndef TFLOW_FLOW_KEY_H
#define TFLOW_FLOW_KEY_H

#include <stdint.h>

struct flow_key {
	uint8_t src_addr[16];	/* IPv4: first 4 bytes, rest zero */
	uint8_t dst_addr[16];
	uint32_t in_if;		/* ifindex; 0 in offline mode unless SLL2 */
	uint16_t src_port;	/* host order; ICMP: 0 */
	uint16_t dst_port;	/* ICMP/ICMPv6: type << 8 | code */
	uint8_t proto;
	uint8_t tos;		/* IPv4 ToS / IPv6 traffic class */
	uint8_t ip_version;	/* 4 or 6 */
	uint8_t pad;		/* always 0 */
};

_Static_assert(sizeof(struct flow_key) == 44, "flow_key is hashed as 44 raw bytes");

#endif
