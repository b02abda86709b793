/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * record_fmt: one print path for flow records in text, JSON and CSV, shared
 * by tflowd -o and tflow-collector --format, so both print the same keys:
 * exporter, version, src_addr, dst_addr, src_port, dst_port, proto, tos,
 * tcp_flags, packets, bytes, first, last (RFC 3339 UTC, milliseconds), in_if,
 * out_if, next_hop, src_mask, dst_mask, sampling_interval (when known: the effective 1-in-N rate, possibly
 * fractional),
 * time_estimated (when true), end_reason (when known).
 * Formatters write into a caller buffer so that printing millions of
 * records costs one fwrite each.
 */
#ifndef TFLOW_RECORD_FMT_H
#define TFLOW_RECORD_FMT_H

#include <stddef.h>
#include <stdio.h>

#include "tflow/record.h"

enum record_fmt {
	RECORD_FMT_TEXT,
	RECORD_FMT_JSON,
	RECORD_FMT_CSV,
};

/* Enough for any record in any format. */
#define RECORD_FMT_MAX 1024

/* "text", "json", "csv" -> 0 and *out; else -EINVAL. */
int record_fmt_from_name(const char *name, enum record_fmt *out);

/* Header line (CSV column names, text column titles; JSON: none).
 * Returns bytes written to buf (NUL-terminated), 0 for none. */
size_t record_fmt_header(enum record_fmt fmt, char *buf, size_t len);

/* One record as one line ending in '\n'.  Returns bytes written
 * (NUL-terminated; truncated output is never produced: len must be at
 * least RECORD_FMT_MAX). */
size_t record_fmt_line(enum record_fmt fmt, const struct tflow_record *rec,
		       char *buf, size_t len);

/* Address as text: IPv4 dotted quad (ip_version 4) or RFC 5952 IPv6. */
void record_fmt_addr(const uint8_t addr[16], int ip_version, char *buf,
		     size_t len);

/* Unix epoch milliseconds as "2026-11-25T11:36:04.123Z". buf >= 32. */
void record_fmt_time(uint64_t ms, char *buf, size_t len);

/* "idle", "active", "end", "forced", "resources" or "" for none. */
const char *record_end_reason_name(unsigned reason);

#endif
