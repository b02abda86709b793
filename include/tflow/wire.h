/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Wire layouts of NetFlow v1, v5, v9 (RFC 3954) and IPFIX (RFC 7011).
 * These packed structs document the layouts and feed _Static_assert; code
 * never casts them onto packet bytes (lengths are untrusted and MIPS traps
 * on unaligned loads): it reads and writes through a bounded cursor.
 */
#ifndef TFLOW_WIRE_H
#define TFLOW_WIRE_H

#include <stdint.h>

#define NF_V1_VERSION		1
#define NF_V5_VERSION		5
#define NF_V9_VERSION		9
#define IPFIX_VERSION		10

#define NF_V1_MAX_RECORDS	24
#define NF_V5_MAX_RECORDS	30

/* v1 and v5: header, then fixed-size records. */
struct nf_v1_header {
	uint16_t version;
	uint16_t count;
	uint32_t sys_uptime_ms;
	uint32_t unix_secs;
	uint32_t unix_nsecs;
} __attribute__((packed));

struct nf_v1_record {
	uint32_t src_addr, dst_addr, next_hop;
	uint16_t in_if, out_if;
	uint32_t packets, octets;
	uint32_t first_uptime_ms, last_uptime_ms;
	uint16_t src_port, dst_port;
	uint16_t pad1;
	uint8_t proto, tos, tcp_flags;
	uint8_t pad2[7];
} __attribute__((packed));

struct nf_v5_header {
	uint16_t version;
	uint16_t count;
	uint32_t sys_uptime_ms;
	uint32_t unix_secs;
	uint32_t unix_nsecs;
	uint32_t flow_sequence;		/* flows exported before this one */
	uint8_t engine_type;
	uint8_t engine_id;
	uint16_t sampling;		/* mode (2 bits) | interval (14 bits) */
} __attribute__((packed));

struct nf_v5_record {
	uint32_t src_addr, dst_addr, next_hop;
	uint16_t in_if, out_if;
	uint32_t packets, octets;
	uint32_t first_uptime_ms, last_uptime_ms;
	uint16_t src_port, dst_port;
	uint8_t pad1, tcp_flags, proto, tos;
	uint16_t src_as, dst_as;
	uint8_t src_mask, dst_mask;
	uint16_t pad2;
} __attribute__((packed));

_Static_assert(sizeof(struct nf_v1_header) == 16, "v1 header");
_Static_assert(sizeof(struct nf_v1_record) == 48, "v1 record");
_Static_assert(sizeof(struct nf_v5_header) == 24, "v5 header");
_Static_assert(sizeof(struct nf_v5_record) == 48, "v5 record");

/* v9 (RFC 3954 5.1): header, then FlowSets. */
struct nf_v9_header {
	uint16_t version;
	uint16_t count;			/* records (templates + data) */
	uint32_t sys_uptime_ms;
	uint32_t unix_secs;
	uint32_t sequence;		/* export datagrams sent before */
	uint32_t source_id;
} __attribute__((packed));

_Static_assert(sizeof(struct nf_v9_header) == 20, "v9 header");

#define NF_V9_SET_TEMPLATE		0
#define NF_V9_SET_OPTIONS_TEMPLATE	1
#define NF_V9_MIN_DATA_SET		256

/* IPFIX (RFC 7011 3.1): message header, then Sets. */
struct ipfix_header {
	uint16_t version;
	uint16_t length;		/* whole message, bytes */
	uint32_t export_time;		/* seconds since the epoch */
	uint32_t sequence;		/* data records sent before, mod 2^32 */
	uint32_t domain_id;
} __attribute__((packed));

_Static_assert(sizeof(struct ipfix_header) == 16, "IPFIX header");

#define IPFIX_SET_TEMPLATE		2
#define IPFIX_SET_OPTIONS_TEMPLATE	3
#define IPFIX_MIN_DATA_SET		256
#define IPFIX_VARLEN			65535	/* field length: variable */
#define IPFIX_ENTERPRISE_BIT		0x8000

/* Set header, shared by v9 and IPFIX. */
struct flow_set_header {
	uint16_t id;
	uint16_t length;		/* header included, padding included */
} __attribute__((packed));

_Static_assert(sizeof(struct flow_set_header) == 4, "set header");

#endif
