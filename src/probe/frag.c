/* SPDX-License-Identifier: BSD-2-Clause */
/* Placeholder until the fragment table lands. */
#include "frag.h"
#include <stdlib.h>
struct frag_table { int unused; };
struct frag_table *frag_table_new(uint32_t slots, const uint8_t seed[16])
{ (void)slots; (void)seed; return calloc(1, sizeof(struct frag_table)); }
void frag_table_free(struct frag_table *t) { free(t); }
void frag_table_resolve(struct frag_table *t, struct pkt_info *pkt, uint64_t now_ms)
{ (void)t; (void)pkt; (void)now_ms; }
void frag_table_stats(const struct frag_table *t, struct frag_stats *out)
{ (void)t; out->first = out->matched = out->unmatched = 0; }
