/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * store_codec: the transforms that turn a block of records into column
 * streams before zstd, and back.  Pure functions over memory, shared by
 * the writer and the reader and tested through them.
 *
 * No sorting: records keep their arrival order, so a block can be written
 * the moment it is handed over.  Instead each column is laid out so that
 * zstd's entropy stage finds the redundancy: fixed-width values split
 * into byte planes (every first byte, then every second byte...), times
 * as offsets or deltas and durations, addresses and other repeating
 * values through a per-block dictionary (an address that recurs costs a
 * small index, one seen once costs nothing more than itself), ports
 * through a small dictionary of the frequent ones, bytes as a multiple of
 * packets; a record that is the reverse of an earlier one in its block
 * (the other direction of a conversation) as the distance back to it,
 * its addresses, ports and protocol left out (the PAIRS column).  The
 * layout of each stream is in docs/design/storage.md.
 */
#ifndef TFLOW_STORE_CODEC_H
#define TFLOW_STORE_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* Fields of struct tflow_record that struct store_cols does not carry;
 * they travel in the EXPORTER column and are decoded with it.  scratch
 * is the decoder's work memory: store_col_scratch_len(n) bytes, from
 * malloc (aligned for uint64_t). */
struct store_misc {
	uint8_t *ttl_min, *ttl_max;
	uint8_t (*src_mac)[6], (*dst_mac)[6];
	uint8_t *scratch;
	/* From the PAIRS column: pair[i] is 0, or the distance back to the
	 * record whose reverse record i is (addresses, ports swapped; the
	 * same protocol); npaired records have one.  The SRC_ADDR,
	 * DST_ADDR, PORTS and PROTO streams hold only the other records. */
	uint32_t *pair;
	size_t npaired;
	/* n entries: the unpaired records' indices ascending, then the
	 * paired ones' descending (built with pair, for store_cols_unpair). */
	uint32_t *order;
};

/* The encoder's work memory (hash tables, dictionaries), sized once for
 * blocks of at most `cap` records.  NULL with errno on failure. */
struct store_enc;
struct store_enc *store_enc_new(size_t cap);
void store_enc_free(struct store_enc *e);

/* CRC-32C (Castagnoli), as in iSCSI and ext4 metadata. */
uint32_t store_crc32c(uint32_t crc, const void *buf, size_t len);

/* Start a block: finds the records that are the reverse of an earlier
 * one (the PAIRS column), which the address, port and protocol columns
 * then leave out.  Call before store_col_encode() of that block. */
void store_enc_block(struct store_enc *e, const struct tflow_record *recs,
		     size_t n);

/* Bytes a column of n records can take before compression, at most. */
size_t store_col_raw_max(enum store_col col, size_t n);

/* Bytes of store_misc.scratch the decoder needs for n records. */
size_t store_col_scratch_len(size_t n);

/* Encode column `col` of recs[0..n) (n at most the cap of e) into out
 * (store_col_raw_max bytes); exp_idx[i] is record i's exporter index.
 * Returns bytes written. */
size_t store_col_encode(struct store_enc *e, enum store_col col,
			const struct tflow_record *recs,
			const uint16_t *exp_idx, size_t n, uint8_t *out);

/* Decode column `col` of n records from raw[0..len) into the arrays of c
 * (and m for the EXPORTER and PAIRS columns), which hold n entries.  0,
 * or -EBADMSG when the stream does not hold exactly n records.  PAIRS
 * comes first (or m->npaired = 0 for a block without it): SRC_ADDR,
 * DST_ADDR, PORTS and PROTO then hold n - m->npaired values at the
 * front of their arrays until store_cols_unpair(). */
int store_col_decode(enum store_col col, const uint8_t *raw, size_t len,
		     size_t n, struct store_cols *c, struct store_misc *m);

/* The columns a request for `mask` has to decode: SRC_ADDR and DST_ADDR
 * together (a paired record's source is its partner's destination), and
 * PAIRS with any of the paired columns when the block has it. */
unsigned store_cols_closure(unsigned mask, unsigned ncols);

/* Put the decoded paired columns of mask (after store_cols_closure) in
 * place: every record's own values where they belong, a paired record's
 * from its partner. */
void store_cols_unpair(struct store_cols *c, const struct store_misc *m,
		       unsigned mask, size_t n);

#endif
