/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * exp: flow export encoders for NetFlow v1, v5, v9 (RFC 3954) and IPFIX
 * (RFC 7011/7012), one encoder per target behind one API.  An encoder packs
 * expired flow records into its datagram buffer (allocated once, in
 * exp_new()) and hands each finished datagram to the caller's emit
 * callback; it never does I/O and never reads a clock: every time comes in
 * as `now_ms` (Unix epoch milliseconds, pcap time in offline mode).
 *
 * v9/IPFIX: one template for IPv4 and one for IPv6 records, built from the
 * /ip traffic-flow ipfix toggles, plus options templates and options data
 * (sampling, system init time, interface table, RFC 7011 section 4
 * statistics).  They open the first datagram and every template_refresh
 * datagrams after, and any datagram started template_timeout_ms or more
 * after the last refresh.  docs/design/export.md lists every element.
 */
#ifndef TFLOW_EXP_H
#define TFLOW_EXP_H

#include <stddef.h>
#include <stdint.h>

#include "tflow/record.h"

#define EXP_DEFAULT_PAYLOAD	1400	/* v9/IPFIX bytes of UDP payload */
#define EXP_MIN_PAYLOAD		512
#define EXP_IFNAME_LEN		16	/* IFNAMSIZ, NUL included */
#define EXP_IFDESC_LEN		64	/* NUL included */

/*
 * Called with each finished datagram; `dgram` is valid only during the
 * call.  Return 0 when it was handed to the kernel, or a negative errno
 * when it was dropped: the encoder then counts its flow records as not
 * sent (notSentFlow/Packet/OctetTotalCount) instead of exported.
 */
typedef int (*exp_emit_fn)(const uint8_t *dgram, size_t len, void *ctx);

struct exp_params {
	unsigned version;		/* 1, 5, 9 or 10 (IPFIX) */
	uint32_t domain_id;		/* v9 source id / IPFIX domain */
	uint32_t process_id;		/* IPFIX exportingProcessId */
	uint8_t engine_type;		/* v5 header */
	uint8_t engine_id;
	uint32_t template_refresh;	/* datagrams; 0: by timeout only */
	uint64_t template_timeout_ms;	/* 0: by count only */
	size_t max_payload;		/* v9/IPFIX; 0: EXP_DEFAULT_PAYLOAD */
	uint64_t ipfix_fields;		/* bits 1 << CONF_IPFIX_x */
	uint32_t sampling_interval;	/* packets taken in a row; 0: off */
	uint32_t sampling_space;	/* packets skipped; 0: off */
	uint64_t sys_init_ms;		/* exporter start, Unix ms */
	exp_emit_fn emit;
	void *emit_ctx;
};

/* One row of the interface table (options data, v9/IPFIX). */
struct exp_iface {
	uint32_t ifindex;
	char name[EXP_IFNAME_LEN];	/* NUL-terminated */
	char descr[EXP_IFDESC_LEN];	/* NUL-terminated, may be empty */
};

/*
 * Totals since start that only the caller knows (RFC 7011 section 4), sent
 * in options data.  The encoder adds its own send failures to not_sent_*.
 */
struct exp_meter_stats {
	uint64_t observed_flows;	/* records the flow cache produced */
	uint64_t ignored_packets;	/* capture drops */
	uint64_t ignored_octets;
	uint64_t not_sent_flows;	/* records lost before this encoder */
	uint64_t not_sent_packets;
	uint64_t not_sent_octets;
};

/* What one encoder did, since exp_new(). */
struct exp_counters {
	uint64_t datagrams;		/* handed to emit */
	uint64_t octets;		/* payload bytes handed to emit */
	uint64_t records;		/* flow records encoded (v1/v5: parts) */
	uint64_t options;		/* options data records encoded */
	uint64_t templates;		/* (options) template records encoded */
	uint64_t not_exportable;	/* IPv6 records given to v1/v5 */
	uint64_t split;			/* extra v1/v5 records from splitting */
	uint64_t clamped;		/* v1/v5 records clamped (absurd counts) */
	uint64_t send_errors;		/* datagrams emit refused */
};

struct exp;

/* NULL with errno EINVAL (bad version, no emit, payload too small for the
 * templates or above 65535) or ENOMEM. */
struct exp *exp_new(const struct exp_params *p);
void exp_free(struct exp *e);

/*
 * Append one record; a full datagram is emitted first and the record starts
 * the next.  Returns 0, -EAFNOSUPPORT for an IPv6 record given to v1/v5
 * (counted in not_exportable, nothing encoded) or -EINVAL for an
 * ip_version that is neither 4 nor 6.
 */
int exp_add_record(struct exp *e, const struct tflow_record *r,
		   uint64_t now_ms);

/* Emit the current datagram if it holds anything. */
void exp_flush(struct exp *e, uint64_t now_ms);

/* Replace the interface table sent in options data (copied).  Ignored by
 * v1/v5.  Returns 0, -EINVAL (n > 65535) or -ENOMEM (old table kept). */
int exp_set_interfaces(struct exp *e, const struct exp_iface *ifs, size_t n);

/* Replace the caller's counters sent in the statistics options data. */
void exp_set_stats(struct exp *e, const struct exp_meter_stats *s);

void exp_get_counters(const struct exp *e, struct exp_counters *out);

#endif
