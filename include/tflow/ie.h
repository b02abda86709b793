/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Information elements: enum constants and a lookup table generated from
 * ie.def, for exporters (templates) and collectors (decoders) alike.
 */
#ifndef TFLOW_IE_H
#define TFLOW_IE_H

#include <stddef.h>
#include <stdint.h>

/* How a value is encoded on the wire (RFC 7011 section 6.1 data types,
 * reduced to what decoding needs). */
enum ie_type {
	IE_TYPE_UNSIGNED,	/* big-endian, any reduced size 1..8 */
	IE_TYPE_IPV4,
	IE_TYPE_IPV6,
	IE_TYPE_MAC,
	IE_TYPE_STRING,		/* UTF-8, variable length in IPFIX */
	IE_TYPE_DATETIME_S,	/* seconds since the Unix epoch, 32 bits */
	IE_TYPE_DATETIME_MS,	/* milliseconds since the epoch, 64 bits */
	IE_TYPE_DATETIME_US,	/* NTP format, 64 bits */
	IE_TYPE_DATETIME_NS,	/* NTP format, 64 bits */
};

enum ie_id {
#define IE(id, v9, ipfix, len, type) IE_##v9 = id,
#include "tflow/ie.def"
#undef IE
};

struct ie_info {
	uint16_t id;
	uint16_t length;	/* what tflow exports; 0 variable */
	enum ie_type type;
	const char *v9_name;
	const char *ipfix_name;
};

/* Table entry for an IANA element id, NULL when tflow does not know it. */
const struct ie_info *ie_lookup(uint16_t id);

#endif
