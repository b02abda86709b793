/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * filter: tflow-query's record filter.  An expression in the spirit of
 * nfdump and tcpdump ("src net 192.168.31.0/24 and proto tcp and dst port
 * 443", "not port 53", "bytes > 1M") is parsed once into a flat postfix
 * program and then applied a whole decoded block at a time: each predicate
 * fills a byte mask over the block's column arrays in one tight loop and
 * the operators combine masks, so the scan never calls a function per
 * record per predicate.  The same program answers, from a block's summary
 * alone, whether any record of the block can match, so whole blocks are
 * skipped without being decompressed.
 *
 * Primitives: [src|dst] host|ip ADDR, [src|dst] net CIDR, [src|dst] port
 * [OP] N, proto tcp|udp|icmp|icmp6|N, [in|out] if N, exporter ADDR|CIDR,
 * bytes|packets [OP] N (k, M, G, T suffixes, powers of 1000 as nfdump),
 * tos N, inet|ipv4, inet6|ipv6, any; operators not/!, and/&&, or/|| and
 * parentheses (not binds tightest, then and, then or).  OP is one of = ==
 * != < <= > >= (default =).
 */
#ifndef TFLOW_QUERY_FILTER_H
#define TFLOW_QUERY_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct filter;

/*
 * Compile expr ("" or NULL: every record).  0 and *out, or -EINVAL with a
 * message naming the 1-based column of the offending token in err, or
 * -ENOMEM.
 */
int filter_compile(const char *expr, struct filter **out, char *err,
		   size_t errlen);
void filter_free(struct filter *f);

/* Also require first_ms in [from_ms, to_ms) (0 and UINT64_MAX: no bound).
 * Flows are attributed to the period in which they started, so adjacent
 * periods never count a record twice. */
void filter_set_time(struct filter *f, uint64_t from_ms, uint64_t to_ms);

/* The store columns (1u << STORE_COL_x) the program reads. */
unsigned filter_columns(const struct filter *f);

/* Before the blocks of a file: resolve `exporter` predicates against the
 * file's exporter table.  0 or -ENOMEM. */
int filter_bind(struct filter *f, const struct store_exporter *exp,
		uint32_t n_exp);

/* false when no record of a block with this summary can match. */
bool filter_block_may_match(const struct filter *f,
			    const struct store_block_summary *s);

/*
 * Evaluate over a block decoded with at least filter_columns(): the
 * indexes of the matching records go to sel (room for c->n), ascending,
 * and their count to *n_sel.  0, or -ENOMEM (the masks grow with the
 * largest block seen).
 */
int filter_eval(struct filter *f, const struct store_cols *c, uint32_t *sel,
		size_t *n_sel);

/* Parse a count with an optional k/M/G/T suffix (powers of 1000). */
int filter_parse_count(const char *s, uint64_t *out);

#endif
