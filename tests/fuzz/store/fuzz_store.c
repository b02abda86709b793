/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target for the store reader (store_read.c) and the column decoder
 * under it (store_codec.c).  Input: the bytes of a whole store file, as a
 * crash or a bad disk may leave one.  They go into a memfd (created once,
 * rewritten per input) opened by path through /proc/self/fd, since the
 * reader takes a path.  The file is read twice: with store_file_open(),
 * every block decoded for each single column, a few combinations and
 * then STORE_COLS_ALL; and again through store_file_reopen() on the same
 * store_file (the kept-memory path), STORE_COLS_ALL first, then the same
 * masks, whose columns must equal what the full decode gave: a column
 * decoded alone (with the PAIRS closure) must not differ from the same
 * column decoded with the rest.
 *
 * A mutated file rarely gets past the CRC-32C of the header and chunks,
 * and never through a zstd frame, so the custom mutator below (used by
 * libFuzzer only; replay.c never calls it) mostly edits a file the way
 * the reader's later stages see it: it either mutates the bytes and then
 * repairs every checksum, or decompresses one column stream of one block,
 * mutates the raw stream (the codec's counts, widths, dictionary codes,
 * pair distances), recompresses it and rebuilds the file around it (chunk
 * lengths, column directory, trailer block offsets, footer).  A share of
 * plain mutations keeps the damage paths covered too.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zstd.h>

#include "store.h"
#include "store_codec.h"
#include "tflow/store_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
			       unsigned int seed);
/* libFuzzer's own mutator; absent (NULL) in the replay build. */
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size)
    __attribute__((weak));

/* Blocks larger than this are decoded but not compared column by column
 * (the saved copy would cost more than the check is worth). */
#define CMP_MAX		65536

static int memfd = -1;
static char path[64];

/* The file the reader opens: the input bytes, nothing else. */
static void file_set(const uint8_t *data, size_t size)
{
	size_t off = 0;
	ssize_t n;

	if (memfd == -1) {
		memfd = memfd_create("fuzz_store", MFD_CLOEXEC);
		if (memfd == -1) {
			perror("fuzz_store: memfd_create");
			abort();
		}
		snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	}
	if (ftruncate(memfd, 0) != 0)
		abort();
	while (off < size) {
		n = pwrite(memfd, data + off, size - off, (off_t)off);
		if (n <= 0)
			abort();
		off += (size_t)n;
	}
}

/* The masks every block is decoded with, besides STORE_COLS_ALL. */
static unsigned masks[STORE_COL_MAX + 3];
static size_t n_masks;

static void masks_init(void)
{
	unsigned c;

	if (n_masks != 0)
		return;
	for (c = 0; c < STORE_COL_MAX; c++)
		masks[n_masks++] = 1u << c;
	masks[n_masks++] = 1u << STORE_COL_PORTS | 1u << STORE_COL_PROTO;
	masks[n_masks++] = 1u << STORE_COL_TIMES | 1u << STORE_COL_COUNTERS;
	masks[n_masks++] = 1u << STORE_COL_SRC_ADDR | 1u << STORE_COL_EXPORTER;
}

static volatile uint64_t sink;

static void use_all(const struct store_file *f, const struct store_cols *c,
		    struct tflow_record *save)
{
	struct tflow_record r;
	size_t i;

	for (i = 0; i < c->n; i++) {
		store_cols_record(f, c, i, &r);
		sink += r.packets + r.src_port + r.first_ms + r.ttl_min;
		if (save != NULL)
			save[i] = r;
	}
}

#define DIFF(cond)	do { if (cond) abort(); } while (0)

/* The columns of mask in c equal the full decode of the same block. */
static void compare(const struct store_cols *c, unsigned mask,
		    const struct tflow_record *s)
{
	size_t i;

	for (i = 0; i < c->n; i++, s++) {
		if (mask & 1u << STORE_COL_TIMES)
			DIFF(c->first_ms[i] != s->first_ms ||
			     c->last_ms[i] != s->last_ms);
		if (mask & 1u << STORE_COL_SRC_ADDR)
			DIFF(memcmp(c->src_addr[i], s->src_addr, 16) != 0);
		if (mask & 1u << STORE_COL_DST_ADDR)
			DIFF(memcmp(c->dst_addr[i], s->dst_addr, 16) != 0);
		if (mask & 1u << STORE_COL_PORTS)
			DIFF(c->src_port[i] != s->src_port ||
			     c->dst_port[i] != s->dst_port);
		if (mask & 1u << STORE_COL_PROTO)
			DIFF(c->proto[i] != s->proto ||
			     c->ip_version[i] != s->ip_version);
		if (mask & 1u << STORE_COL_TOS_FLAGS)
			DIFF(c->tos[i] != s->tos ||
			     c->tcp_flags[i] != s->tcp_flags);
		if (mask & 1u << STORE_COL_COUNTERS)
			DIFF(c->packets[i] != s->packets ||
			     c->bytes[i] != s->octets);
		if (mask & 1u << STORE_COL_IFACES)
			DIFF(c->in_if[i] != s->in_if ||
			     c->out_if[i] != s->out_if);
		if (mask & 1u << STORE_COL_NEXT_HOP)
			DIFF(memcmp(c->next_hop[i], s->next_hop, 16) != 0);
		if (mask & 1u << STORE_COL_MASKS)
			DIFF(c->src_mask[i] != s->src_mask ||
			     c->dst_mask[i] != s->dst_mask);
		if (mask & 1u << STORE_COL_EXPORTER)
			DIFF(c->sampling_packets[i] != s->sampling_packets ||
			     c->sampling_space[i] != s->sampling_space ||
			     c->vlan[i] != s->vlan ||
			     c->end_reason[i] != s->end_reason ||
			     (c->time_estimated[i] != 0) != s->time_estimated);
	}
}

/* Walks every block of f.  full_first: decode STORE_COLS_ALL before the
 * other masks and compare those with it; else after them. */
static void walk(struct store_file *f, bool full_first)
{
	const struct store_file_info *info = store_file_info(f);
	struct store_block_summary sum;
	const struct store_cols *c;
	struct tflow_record *save;
	uint32_t blocks = 0;
	size_t k;
	int r;

	if (info->n_exporters != 0 && info->exporters == NULL)
		abort();
	while ((r = store_file_next_block(f, &sum)) == 1) {
		blocks++;
		save = NULL;
		if (full_first) {
			if (store_file_read_block(f, STORE_COLS_ALL, &c) != 0)
				continue;
			if (c->n != sum.records)
				abort();
			if (c->n <= CMP_MAX &&
			    (save = malloc((c->n + 1) * sizeof(*save))) == NULL)
				abort();
			use_all(f, c, save);
		}
		for (k = 0; k < n_masks; k++) {
			if (store_file_read_block(f, masks[k], &c) != 0)
				continue;
			if (c->n != sum.records)
				abort();
			if (save != NULL)
				compare(c, masks[k], save);
		}
		free(save);
		if (!full_first &&
		    store_file_read_block(f, STORE_COLS_ALL, &c) == 0)
			use_all(f, c, NULL);
	}
	/* Damage found in a block's columns ends the walk early too. */
	if (r == 0 && !info->damaged && blocks != info->n_blocks)
		abort();
	if (r < 0 && !info->damaged)
		abort();
	/* The end is sticky. */
	if (store_file_next_block(f, &sum) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store_file *f;
	char err[256];

	masks_init();
	file_set(data, size);
	if (store_file_open(path, &f, err, sizeof(err)) != 0)
		return 0;
	walk(f, false);
	if (store_file_reopen(f, path, err, sizeof(err)) == 0)
		walk(f, true);
	/* After a failed reopen f holds no file and can still be closed. */
	if (store_file_reopen(f, "/nonexistent/fuzz_store", err,
			      sizeof(err)) == 0)
		abort();
	walk(f, false);
	store_file_close(f);
	return 0;
}

/* ---- the custom mutator ------------------------------------------------- */

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

/* A chunk that lies whole in d[0..size) at off: its total length, or 0. */
static size_t chunk_at(const uint8_t *d, size_t size, size_t off)
{
	uint64_t len;

	if (size < off || size - off < STORE_CHUNK_PREFIX_LEN ||
	    memcmp(d + off, STORE_CHUNK_MAGIC_STR, 3) != 0)
		return 0;
	len = STORE_CHUNK_PREFIX_LEN +
	    (uint64_t)be32(d + off + STORE_CHUNK_META_LEN) +
	    be32(d + off + STORE_CHUNK_DATA_LEN);
	return len <= size - off ? (size_t)len : 0;
}

static void chunk_crc(uint8_t *ch)
{
	uint32_t meta_len = be32(ch + STORE_CHUNK_META_LEN);

	put32(ch + STORE_CHUNK_CRC,
	      store_crc32c(store_crc32c(0, ch, STORE_CHUNK_CRC),
			   ch + STORE_CHUNK_PREFIX_LEN, meta_len));
}

/* Makes every checksum of d hold again: header, each whole chunk walked
 * from the header, footer. */
static void fix_crcs(uint8_t *d, size_t size)
{
	size_t off = STORE_HDR_LEN, len;

	if (size < STORE_HDR_LEN)
		return;
	put32(d + STORE_HDR_CRC, store_crc32c(0, d, STORE_HDR_CRC));
	while ((len = chunk_at(d, size, off)) != 0) {
		chunk_crc(d + off);
		off += len;
	}
	if (size >= STORE_HDR_LEN + STORE_FTR_LEN &&
	    memcmp(d + size - 4, STORE_FTR_MAGIC_STR, 4) == 0)
		put32(d + size - 8, store_crc32c(0, d + size - STORE_FTR_LEN, 8));
}

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

#define RAW_MAX		(1u << 20)
#define MAX_BLOCKS	4096

/*
 * Replaces one column stream of one block with a mutation of its raw
 * bytes and rebuilds the file into out (max_size bytes): the block's
 * chunk gets the new lengths and CRC, the trailer the moved block
 * offsets, the footer the moved trailer.  Returns the new size, or 0
 * when the file has no stream to mutate or the result does not fit.
 */
static size_t mutate_column(const uint8_t *d, size_t size, uint8_t *out,
			    size_t max_size, uint32_t *s)
{
	static uint64_t old_off[MAX_BLOCKS], new_off[MAX_BLOCKS];
	uint8_t *raw = NULL, *comp = NULL;
	size_t off, len, o, nb = 0, pick, raw_len, comp_len, want, i, j;
	size_t col_start, ncols, col, trl_new = 0, bound;
	size_t nraw, ncomp, got;
	const uint8_t *meta;
	uint32_t meta_len;
	uint64_t cap;

	if (size < STORE_HDR_LEN)
		return 0;
	/* Count the block chunks with a column directory. */
	for (off = STORE_HDR_LEN; (len = chunk_at(d, size, off)) != 0;
	     off += len)
		if (d[off + STORE_CHUNK_KIND] == STORE_KIND_BLOCK &&
		    be32(d + off + STORE_CHUNK_META_LEN) >= STORE_BLK_FIXED_LEN)
			nb++;
	if (nb == 0)
		return 0;
	pick = rnd(s) % nb;
	memcpy(out, d, STORE_HDR_LEN);
	o = STORE_HDR_LEN;
	nb = 0;
	for (off = STORE_HDR_LEN; (len = chunk_at(d, size, off)) != 0;
	     off += len) {
		meta = d + off + STORE_CHUNK_PREFIX_LEN;
		meta_len = be32(d + off + STORE_CHUNK_META_LEN);
		if (d[off + STORE_CHUNK_KIND] == STORE_KIND_BLOCK &&
		    meta_len >= STORE_BLK_FIXED_LEN) {
			if (nb < MAX_BLOCKS) {
				old_off[nb] = off;
				new_off[nb] = o;
			}
			if (nb++ == pick)
				goto rebuild;
		}
		if (d[off + STORE_CHUNK_KIND] == STORE_KIND_TRAILER)
			trl_new = o;
		if (max_size - o < len)
			goto fail;
		memcpy(out + o, d + off, len);
		if (d[off + STORE_CHUNK_KIND] == STORE_KIND_TRAILER &&
		    meta_len >= 32) {
			uint8_t *m = out + o + STORE_CHUNK_PREFIX_LEN;
			uint64_t nexp = be32(m + STORE_TRL_NEXP);
			uint64_t nblk = be32(m + STORE_TRL_NBLOCKS);
			uint64_t at;

			for (i = 0; i < nblk; i++) {
				at = STORE_TRL_EXPORTERS +
				    nexp * STORE_EXP_ENTRY_LEN + 8 * i;
				if (at + 8 > meta_len)
					break;
				for (j = 0; j < nb && j < MAX_BLOCKS; j++)
					if (old_off[j] == be64(m + at))
						put64(m + at, new_off[j]);
			}
			chunk_crc(out + o);
		}
		o += len;
		continue;
rebuild:
		/* The picked block: one column replaced. */
		ncols = meta[STORE_BLK_NCOLS];
		if ((meta_len - STORE_BLK_FIXED_LEN) / STORE_BLK_COLDIR_ENTRY <
		    ncols || ncols == 0)
			goto fail;
		col = rnd(s) % ncols;
		col_start = 0;
		for (i = 0; i < col; i++)
			col_start += be32(meta + STORE_BLK_COLDIR +
					  STORE_BLK_COLDIR_ENTRY * i + 4);
		raw_len = be32(meta + STORE_BLK_COLDIR +
			       STORE_BLK_COLDIR_ENTRY * col);
		comp_len = be32(meta + STORE_BLK_COLDIR +
				STORE_BLK_COLDIR_ENTRY * col + 4);
		if (raw_len > RAW_MAX || col_start + comp_len >
		    be32(d + off + STORE_CHUNK_DATA_LEN))
			goto fail;
		cap = 2 * (uint64_t)raw_len + 256;
		if ((raw = malloc(cap)) == NULL)
			goto fail;
		got = ZSTD_decompress(raw, cap, meta + meta_len + col_start,
				      comp_len);
		if (ZSTD_isError(got))
			got = 0;	/* damaged already: start from nothing */
		nraw = LLVMFuzzerMutate(raw, got, cap);
		bound = ZSTD_compressBound(nraw);
		if ((comp = malloc(bound)) == NULL)
			goto fail;
		ncomp = ZSTD_compress(comp, bound, raw, nraw, 1);
		if (ZSTD_isError(ncomp))
			goto fail;
		want = len - comp_len + ncomp;
		if (max_size - o < want)
			goto fail;
		/* Prefix and meta, the column's new lengths, the data. */
		memcpy(out + o, d + off, STORE_CHUNK_PREFIX_LEN + meta_len);
		put32(out + o + STORE_CHUNK_DATA_LEN,
		      (uint32_t)(be32(d + off + STORE_CHUNK_DATA_LEN) -
				 comp_len + ncomp));
		put32(out + o + STORE_CHUNK_PREFIX_LEN + STORE_BLK_COLDIR +
		      STORE_BLK_COLDIR_ENTRY * col, (uint32_t)nraw);
		put32(out + o + STORE_CHUNK_PREFIX_LEN + STORE_BLK_COLDIR +
		      STORE_BLK_COLDIR_ENTRY * col + 4, (uint32_t)ncomp);
		chunk_crc(out + o);
		i = o + STORE_CHUNK_PREFIX_LEN + meta_len;
		memcpy(out + i, meta + meta_len, col_start);
		memcpy(out + i + col_start, comp, ncomp);
		memcpy(out + i + col_start + ncomp,
		       meta + meta_len + col_start + comp_len,
		       len - STORE_CHUNK_PREFIX_LEN - meta_len - col_start -
		       comp_len);
		o += want;
		free(raw);
		free(comp);
		raw = comp = NULL;
	}
	/* What follows the last whole chunk: a cut chunk, or the footer. */
	if (max_size - o < size - off)
		goto fail;
	memcpy(out + o, d + off, size - off);
	if (size - off == STORE_FTR_LEN && trl_new != 0 &&
	    memcmp(out + o + STORE_FTR_MAGIC, STORE_FTR_MAGIC_STR, 4) == 0) {
		put64(out + o, trl_new);
		put32(out + o + STORE_FTR_CRC, store_crc32c(0, out + o, 8));
	}
	return o + size - off;
fail:
	free(raw);
	free(comp);
	return 0;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
			       unsigned int seed)
{
	uint32_t s = seed | 1;
	uint8_t *out;
	size_t n;

	if (LLVMFuzzerMutate == NULL)
		return size;
	switch (rnd(&s) % 8) {
	case 0:
	case 1:
		/* Plain: the checksums catch most of it. */
		return LLVMFuzzerMutate(data, size, max_size);
	case 2:
	case 3:
		n = LLVMFuzzerMutate(data, size, max_size);
		fix_crcs(data, n);
		return n;
	default:
		if ((out = malloc(max_size)) == NULL)
			return size;
		n = mutate_column(data, size, out, max_size, &s);
		if (n != 0)
			memcpy(data, out, n);
		free(out);
		if (n == 0) {
			n = LLVMFuzzerMutate(data, size, max_size);
			fix_crcs(data, n);
		}
		return n;
	}
}
