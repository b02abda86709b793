/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cidr: address prefixes ("192.0.2.0/24", "2001:db8::/32", a bare address
 * is a host prefix) and matching, for --allow lists and query filters.
 * Addresses are 16 bytes as in struct tflow_record: IPv4 in the first 4.
 */
#ifndef TFLOW_CIDR_H
#define TFLOW_CIDR_H

#include <stdbool.h>
#include <stdint.h>

struct cidr {
	uint8_t addr[16];	/* host bits cleared */
	uint8_t family;		/* 4 or 6 */
	uint8_t prefix;		/* 0..32 or 0..128 */
};

/* Returns 0 or -EINVAL. */
int cidr_parse(const char *s, struct cidr *out);

/* true when addr (of family 4 or 6) lies in c.  An IPv4-mapped IPv6
 * address (::ffff:a.b.c.d) matches IPv4 prefixes, as dual-stack sockets
 * report IPv4 peers that way. */
bool cidr_match(const struct cidr *c, const uint8_t addr[16], int family);

#endif
