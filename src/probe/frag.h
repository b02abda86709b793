/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * frag: gives non-first IP fragments the ports of their first fragment, so
 * that a fragmented datagram is accounted to one flow.  A small fixed table,
 * allocated once, indexed by a keyed hash of (addresses, protocol, id);
 * entries older than FRAG_MAX_AGE_MS are ignored.  A later fragment whose
 * first fragment was not seen (yet) keeps ports 0 and is still accounted.
 */
#ifndef TFLOW_FRAG_H
#define TFLOW_FRAG_H

#include <stdint.h>

#include "pkt.h"

#define FRAG_MAX_AGE_MS 30000

struct frag_table;

struct frag_stats {
	uint64_t first;		/* first fragments remembered */
	uint64_t matched;	/* later fragments given ports */
	uint64_t unmatched;	/* later fragments left with ports 0 */
};

/* `slots` is rounded up to a power of two.  NULL with errno on failure. */
struct frag_table *frag_table_new(uint32_t slots, const uint8_t seed[16]);
void frag_table_free(struct frag_table *t);

/* For PKT_FRAG_FIRST remember the ports; for PKT_FRAG_LATER fill them in
 * pkt->key when known.  No-op for unfragmented packets. */
void frag_table_resolve(struct frag_table *t, struct pkt_info *pkt,
			uint64_t now_ms);

void frag_table_stats(const struct frag_table *t, struct frag_stats *out);

#endif
