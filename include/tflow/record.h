/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One flow record as every tflow program sees it: what tflowd expires and
 * exports, what tflow-collector decodes, what tflow-query reads back.  The
 * JSON/text/CSV printers (src/lib/record_fmt.c) turn it into the keys that
 * PRODUCT.md names, so `tflowd -r -o json` and `tflow-collector --format json`
 * print the same thing.
 *
 * Memory holds host order.  Addresses are stored as 16 bytes; an IPv4 address
 * occupies the first 4 bytes and the rest is zero, so a record can be hashed
 * or compared with memcmp.
 */
#ifndef TFLOW_RECORD_H
#define TFLOW_RECORD_H

#include <stdbool.h>
#include <stdint.h>

/* Why a flow record ended: the values of IPFIX flowEndReason (IE 136). */
enum tflow_end_reason {
	TFLOW_END_NONE = 0,
	TFLOW_END_IDLE = 1,		/* inactive-flow-timeout */
	TFLOW_END_ACTIVE = 2,		/* active-flow-timeout, flow goes on */
	TFLOW_END_DETECTED = 3,		/* TCP FIN or RST */
	TFLOW_END_FORCED = 4,		/* shutdown or reconfiguration */
	TFLOW_END_RESOURCES = 5,	/* cache full: evicted early */
};

struct tflow_record {
	uint8_t src_addr[16];		/* IPv4: first 4 bytes */
	uint8_t dst_addr[16];
	uint8_t next_hop[16];		/* all zero: unknown */
	uint8_t exporter_addr[16];	/* collector: who sent it */
	uint64_t packets;
	uint64_t octets;		/* sum of IP total length */
	uint64_t first_ms;		/* Unix epoch, milliseconds */
	uint64_t last_ms;
	uint32_t in_if;			/* ifindex, 0 unknown */
	uint32_t out_if;
	/* Sampling as PSAMP count-based selection: `sampling_packets` taken
	 * in a row, then `sampling_space` skipped.  1-in-N is 1 and N-1.
	 * sampling_packets 0: unknown or not sampled.  The effective rate
	 * (packets + space) / packets may be fractional (2 of 3: 1.5). */
	uint32_t sampling_packets;
	uint32_t sampling_space;
	uint32_t exporter_domain;	/* v9 source id / IPFIX domain */
	uint16_t src_port;		/* ICMP: 0 */
	uint16_t dst_port;		/* ICMP: type << 8 | code */
	uint16_t version;		/* 1, 5, 9, 10; 0: local (tflowd -o) */
	uint16_t vlan;			/* outer VLAN id, 0 none */
	uint8_t ip_version;		/* 4 or 6 */
	uint8_t proto;
	uint8_t tos;
	uint8_t tcp_flags;		/* OR of all packets' flags */
	uint8_t src_mask;		/* prefix lengths, 0 unknown */
	uint8_t dst_mask;
	uint8_t exporter_family;	/* 0 none (local), 4 or 6 */
	uint8_t end_reason;		/* enum tflow_end_reason */
	uint8_t ttl_min;
	uint8_t ttl_max;
	uint8_t src_mac[6];		/* first packet's, zero unknown */
	uint8_t dst_mac[6];
	bool time_estimated;		/* times derived, not read */
};

#endif
