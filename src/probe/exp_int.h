/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * exp_int: the encoder object shared by exp_common.c and the per-version
 * files; nothing outside src/probe/exp_*.c includes it.
 *
 * A datagram is built in place in `buf` through the cursor `c`; `c.p` at
 * `buf` means no datagram is open.  The header is written last, when the
 * datagram is finished, because it carries counts and lengths.
 */
#ifndef TFLOW_EXP_INT_H
#define TFLOW_EXP_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "exp.h"
#include "wire_cursor.h"

/* Where a field's value comes from (data and options records alike). */
enum exp_src {
	EXP_S_NONE,		/* the record carries no such value yet */
	EXP_S_IP_VERSION,
	EXP_S_FIRST_UPTIME,	/* ms since sys_init, mod 2^32 */
	EXP_S_LAST_UPTIME,
	EXP_S_FIRST_MS,		/* Unix ms */
	EXP_S_LAST_MS,
	EXP_S_PACKETS,
	EXP_S_OCTETS,
	EXP_S_SRC_PORT,
	EXP_S_DST_PORT,
	EXP_S_IN_IF,
	EXP_S_OUT_IF,
	EXP_S_PROTO,
	EXP_S_TCP_FLAGS,
	EXP_S_SRC_ADDR,		/* 4 or 16 bytes by field length */
	EXP_S_DST_ADDR,
	EXP_S_NEXT_HOP,
	EXP_S_SRC_MASK,
	EXP_S_DST_MASK,
	EXP_S_TOS,
	EXP_S_ICMP_TYPE,
	EXP_S_ICMP_CODE,
	EXP_S_TTL_MIN,
	EXP_S_TTL_MAX,
	EXP_S_IS_MCAST,
	EXP_S_SRC_MAC,
	EXP_S_DST_MAC,
	EXP_S_END_REASON,
	/* options data */
	EXP_S_DOMAIN,
	EXP_S_PROCESS_ID,
	EXP_S_SYS_INIT_MS,
	EXP_S_SEL_ALGO,		/* 1: systematic count-based */
	EXP_S_SAMP_INTERVAL,	/* packets taken */
	EXP_S_SAMP_SPACE,	/* packets skipped */
	EXP_S_SAMP_RATE,	/* 1-in-N, rounded */
	EXP_S_SAMP_ALGO,	/* v9: 1 deterministic */
	EXP_S_EXP_OCTETS,
	EXP_S_EXP_MSGS,
	EXP_S_EXP_FLOWS,
	EXP_S_OBS_FLOWS,
	EXP_S_IGN_PKTS,
	EXP_S_IGN_OCTETS,
	EXP_S_NS_FLOWS,
	EXP_S_NS_PKTS,
	EXP_S_NS_OCTETS,
	EXP_S_IFINDEX,
	EXP_S_IFNAME,
	EXP_S_IFDESC,
};

#define EXP_MAX_FIELDS	40

struct exp_field {
	uint16_t id;		/* IE id, or v9 scope type in a v9 scope */
	uint16_t len;		/* IPFIX_VARLEN: variable */
	uint8_t src;		/* enum exp_src */
};

struct exp_tmpl {
	uint16_t id;		/* set id of its data */
	uint8_t n;		/* fields, scope first */
	uint8_t n_scope;	/* 0: a data template */
	bool present;
	uint16_t rec_len;	/* data record bytes, varlen fields as 1 */
	struct exp_field f[EXP_MAX_FIELDS];
};

/* Templates in the order they are sent. */
enum exp_tmpl_idx {
	EXP_T_V4,
	EXP_T_V6,
	EXP_T_EXPORTER,		/* system init time, sampling */
	EXP_T_METER,		/* RFC 7011 4.1/4.2 */
	EXP_T_EXPORTING,	/* RFC 7011 4.3 */
	EXP_T_IFACE,		/* ifindex -> name, description */
	EXP_T_MAX
};

/* Steps of a template refresh, which may span several datagrams. */
enum exp_step {
	EXP_STEP_NONE,
	EXP_STEP_TEMPLATES,
	EXP_STEP_EXPORTER,
	EXP_STEP_METER,
	EXP_STEP_EXPORTING,
	EXP_STEP_IFACE,
};

struct exp_ops {
	uint16_t version;
	size_t hdr_len;
	/* v9/IPFIX dialect */
	uint16_t set_template;
	uint16_t set_options;
	bool ipfix;
	int (*add)(struct exp *e, const struct tflow_record *r,
		   uint64_t now_ms);
	/* Write the header of a `len`-byte datagram through c (hdr_len
	 * bytes at buf) and advance the sequence number. */
	void (*header)(struct exp *e, struct wire_cursor *c, size_t len,
		       uint64_t now_ms);
};

extern const struct exp_ops exp_v1_ops;
extern const struct exp_ops exp_v5_ops;
extern const struct exp_ops exp_v9_ops;
extern const struct exp_ops exp_ipfix_ops;

struct exp {
	struct exp_params p;
	const struct exp_ops *ops;
	uint8_t *buf;
	size_t cap;			/* bytes usable in buf */
	struct wire_cursor c;		/* c.p == buf: no datagram open */

	/* current datagram */
	size_t set_start;		/* offset of the open set, 0: none */
	uint16_t set_id;
	uint32_t dg_records;		/* v1/v5/v9 header count */
	uint32_t dg_data;		/* IPFIX: data records (seq step) */
	uint64_t dg_flows, dg_pkts, dg_octets;
	uint64_t dg_last_ms;		/* `now` of the datagram's last record */

	/* sequence base: v5 flows, v9 datagrams, IPFIX data records */
	uint64_t seq;

	/* templates and their refresh */
	struct exp_tmpl t[EXP_T_MAX];
	enum exp_step step;		/* refresh in progress */
	size_t iface_pos;		/* next interface row to send */
	bool refreshed;			/* a refresh ever started */
	bool skip_refresh;		/* next datagram carries data first */
	uint32_t since_refresh;		/* datagrams finished since */
	uint64_t refresh_ms;		/* `now` of the last refresh */

	struct exp_iface *ifs;
	size_t n_ifs;
	struct exp_meter_stats meter;	/* from the caller */
	uint64_t exp_msgs, exp_octets, exp_flows;	/* sent fine */
	uint64_t ns_flows, ns_pkts, ns_octets;		/* emit refused */
	struct exp_counters cnt;
};

/* Start, finish and emit datagrams (exp_common.c). */
void exp_dgram_begin(struct exp *e, uint64_t now_ms);
void exp_dgram_finish(struct exp *e, uint64_t now_ms);

static inline bool exp_dgram_open(const struct exp *e)
{
	return e->c.p != e->buf;
}

/* v1/v5: how many records carry r so that no part exceeds 32 bits, and
 * the packets/octets of part i; *clamped when even that is absurd. */
uint32_t exp_split_parts(const struct tflow_record *r, bool *clamped);
uint32_t exp_split_value(uint64_t total, uint32_t parts, uint32_t i);

/* v5 header sampling field and v9/IPFIX samplingInterval: 1-in-N. */
uint32_t exp_sampling_rate(const struct exp_params *p);

/* v1/v5/v9 times relative to system init, mod 2^32. */
static inline uint32_t exp_uptime(const struct exp *e, uint64_t t_ms)
{
	return (uint32_t)(t_ms - e->p.sys_init_ms);
}

/* v1/v5 record path: split, then one fixed record per part through put,
 * max records a datagram (exp_common.c). */
typedef void (*exp_put_fixed_fn)(struct exp *e, const struct tflow_record *r,
				 uint32_t pkts, uint32_t octets);
/* The first 36 bytes of a v1 and a v5 record, the same in both: addresses,
 * next hop, 16-bit interfaces, 32-bit counters, uptimes, ports. */
void exp_put_v1v5_head(struct exp *e, const struct tflow_record *r,
		       uint32_t pkts, uint32_t octets);

int exp_fixed_add(struct exp *e, const struct tflow_record *r,
		  uint64_t now_ms, uint32_t max, exp_put_fixed_fn put);

/* v9/IPFIX record path and template building (exp_common.c). */
int exp_tx_add(struct exp *e, const struct tflow_record *r, uint64_t now_ms);
int exp_tx_init(struct exp *e);

#endif
