/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * store_read: opens a store file and hands out its blocks column by
 * column (store.h, reader half).  A finished file is found through its
 * footer and trailer (three reads, whatever its size); any other file --
 * being written, or cut by a crash -- is walked chunk by chunk from the
 * header and ends at its last chunk that is whole and whose checksum
 * holds.  Everything read from the file is untrusted: lengths are bounded
 * before anything is allocated and every field goes through a cursor.
 */
#include "store_int.h"

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "store_codec.h"
#include "tflow/store_format.h"
#include "wire_cursor.h"

struct store_file {
	int fd;
	uint64_t size;			/* bytes, at open */
	struct store_file_info info;
	struct store_exporter *exp;
	size_t n_exp;
	uint64_t *blocks;		/* offsets of 'B' chunks */
	size_t n_blocks, cap_blocks;
	size_t next;			/* index of the next block */

	uint32_t block_cap;		/* from the header: records a block */

	/* The current block, after store_file_next_block(). */
	bool have_block;
	uint32_t cur_n;
	unsigned cur_ncols;
	uint32_t raw_len[STORE_COL_MAX];
	uint32_t comp_len[STORE_COL_MAX];
	uint64_t col_off[STORE_COL_MAX];

	ZSTD_DCtx *dctx;
	uint8_t *cbuf, *rbuf;
	size_t cbuf_cap, rbuf_cap;
	struct store_cols cols;		/* arrays of cols_cap entries */
	struct store_misc misc;
	size_t cols_cap;
};

/* pread of exactly len bytes: 0, -EIO when the file is shorter. */
static int read_at(int fd, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		n = pread(fd, p, len, (off_t)off);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int grow(uint8_t **buf, size_t *cap, size_t want)
{
	uint8_t *nb;

	if (*cap >= want)
		return 0;
	nb = realloc(*buf, want);
	if (nb == NULL)
		return -ENOMEM;
	*buf = nb;
	*cap = want;
	return 0;
}

int store_read_header(int fd, uint32_t *period_s, uint64_t *start_ms,
		      uint32_t *block_cap, char *err, size_t errlen)
{
	uint8_t h[STORE_HDR_LEN];
	struct wire_cursor c;
	uint16_t version;
	uint32_t crc;
	int r;

	if ((r = read_at(fd, h, sizeof(h), 0)) != 0) {
		store_seterr(err, errlen, "file header: %s", r == -EIO ?
		       "file too short" : strerror(-r));
		return r == -EIO ? -EBADMSG : r;
	}
	if (memcmp(h + STORE_HDR_MAGIC, STORE_MAGIC, STORE_MAGIC_LEN) != 0) {
		store_seterr(err, errlen, "not a tflow store file (bad magic)");
		return -EBADMSG;
	}
	wire_init(&c, h + STORE_HDR_VERSION, 2);
	version = wire_get_u16(&c);
	if (version < STORE_VERSION_MIN || version > STORE_VERSION) {
		store_seterr(err, errlen, "store format version %u, this reader "
		       "knows %u to %u", version, STORE_VERSION_MIN,
		       STORE_VERSION);
		return -EPROTONOSUPPORT;
	}
	wire_init(&c, h + STORE_HDR_CRC, 4);
	crc = wire_get_u32(&c);
	if (crc != store_crc32c(0, h, STORE_HDR_CRC)) {
		store_seterr(err, errlen, "file header checksum mismatch");
		return -EBADMSG;
	}
	wire_init(&c, h + STORE_HDR_PERIOD_S, 12);
	*period_s = wire_get_u32(&c);
	*start_ms = wire_get_u64(&c);
	wire_init(&c, h + STORE_HDR_BLOCK_CAP, 4);
	*block_cap = wire_get_u32(&c);
	if (*block_cap > STORE_BLOCK_MAX) {
		store_seterr(err, errlen, "block capacity %" PRIu32
			     " above %u records", *block_cap, STORE_BLOCK_MAX);
		return -EBADMSG;
	}
	return 0;
}

/* ---- chunks --------------------------------------------------------------- */

struct chunk {
	uint8_t kind;
	uint32_t meta_len, data_len;
	uint8_t *meta;			/* malloc'd, meta_len bytes */
};

/* Reads the chunk at off whole-ness checked against size.  1 and the
 * chunk; 0 when it does not lie whole in the file (cut); -EBADMSG when
 * damaged; -errno. */
static int chunk_read(int fd, uint64_t off, uint64_t size, struct chunk *ch)
{
	uint8_t pre[STORE_CHUNK_PREFIX_LEN];
	struct wire_cursor c;
	uint32_t crc;
	int r;

	ch->meta = NULL;
	if (size < off || size - off < STORE_CHUNK_PREFIX_LEN)
		return 0;
	if ((r = read_at(fd, pre, sizeof(pre), off)) != 0)
		return r == -EIO ? 0 : r;
	if (memcmp(pre + STORE_CHUNK_MAGIC, STORE_CHUNK_MAGIC_STR, 3) != 0)
		return -EBADMSG;
	ch->kind = pre[STORE_CHUNK_KIND];
	wire_init(&c, pre + STORE_CHUNK_META_LEN, 12);
	ch->meta_len = wire_get_u32(&c);
	ch->data_len = wire_get_u32(&c);
	crc = wire_get_u32(&c);
	if (ch->meta_len > STORE_META_MAX || ch->data_len > STORE_DATA_MAX)
		return -EBADMSG;
	if (size - off - STORE_CHUNK_PREFIX_LEN <
	    (uint64_t)ch->meta_len + ch->data_len)
		return 0;
	ch->meta = malloc(ch->meta_len + 1u);
	if (ch->meta == NULL)
		return -ENOMEM;
	r = read_at(fd, ch->meta, ch->meta_len, off + STORE_CHUNK_PREFIX_LEN);
	if (r != 0) {
		free(ch->meta);
		ch->meta = NULL;
		return r == -EIO ? 0 : r;
	}
	if (crc != store_crc32c(store_crc32c(0, pre, STORE_CHUNK_CRC),
				ch->meta, ch->meta_len)) {
		free(ch->meta);
		ch->meta = NULL;
		return -EBADMSG;
	}
	return 1;
}

static void parse_exporter(struct wire_cursor *c, uint16_t *idx,
			   struct store_exporter *e)
{
	memset(e, 0, sizeof(*e));
	*idx = wire_get_u16(c);
	e->family = wire_get_u8(c);
	wire_skip(c, 1);
	e->version = wire_get_u16(c);
	wire_skip(c, 2);
	e->domain = wire_get_u32(c);
	wire_get_bytes(c, e->addr, 16);
	e->lost = wire_get_u64(c);
	e->lost_datagrams = wire_get_u64(c);
}

/* An 'E' chunk: new exporters (in index order) or loss deltas. */
static int apply_exporters(struct store_file *f, const struct chunk *ch)
{
	struct store_exporter e, *ne;
	struct wire_cursor c;
	uint32_t n, i;
	uint16_t idx;

	wire_init(&c, ch->meta, ch->meta_len);
	n = wire_get_u32(&c);
	if (c.err || wire_left(&c) / STORE_EXP_ENTRY_LEN < n)
		return -EBADMSG;
	for (i = 0; i < n; i++) {
		parse_exporter(&c, &idx, &e);
		if (idx < f->n_exp) {
			f->exp[idx].lost += e.lost;
			f->exp[idx].lost_datagrams += e.lost_datagrams;
			continue;
		}
		if (idx != f->n_exp)
			return -EBADMSG;	/* indexes come in order */
		ne = realloc(f->exp, (f->n_exp + 1) * sizeof(*ne));
		if (ne == NULL)
			return -ENOMEM;
		f->exp = ne;
		f->exp[f->n_exp++] = e;
	}
	return 0;
}

static int add_block(struct store_file *f, uint64_t off)
{
	uint64_t *nb;
	size_t cap;

	if (f->n_blocks == f->cap_blocks) {
		cap = f->cap_blocks != 0 ? f->cap_blocks * 2 : 64;
		nb = realloc(f->blocks, cap * sizeof(*nb));
		if (nb == NULL)
			return -ENOMEM;
		f->blocks = nb;
		f->cap_blocks = cap;
	}
	f->blocks[f->n_blocks++] = off;
	return 0;
}

/* The finished-file path: footer -> trailer.  0, or -ENOENT when the file
 * has no valid footer (then it is walked). */
static int open_trailer(struct store_file *f)
{
	uint8_t ftr[STORE_FTR_LEN];
	struct wire_cursor c;
	struct chunk ch;
	uint64_t toff, records;
	uint32_t crc, nblocks, nexp, i;
	uint16_t idx;
	int r;

	if (f->size < STORE_HDR_LEN + STORE_FTR_LEN ||
	    read_at(f->fd, ftr, sizeof(ftr), f->size - STORE_FTR_LEN) != 0)
		return -ENOENT;
	if (memcmp(ftr + STORE_FTR_MAGIC, STORE_FTR_MAGIC_STR, 4) != 0)
		return -ENOENT;
	wire_init(&c, ftr, sizeof(ftr));
	toff = wire_get_u64(&c);
	crc = wire_get_u32(&c);
	if (crc != store_crc32c(0, ftr, 8) || toff < STORE_HDR_LEN ||
	    toff >= f->size - STORE_FTR_LEN)
		return -ENOENT;
	r = chunk_read(f->fd, toff, f->size - STORE_FTR_LEN, &ch);
	if (r != 1 || ch.kind != STORE_KIND_TRAILER) {
		free(ch.meta);
		return r < 0 && r != -EBADMSG ? r : -ENOENT;
	}
	wire_init(&c, ch.meta, ch.meta_len);
	f->info.first_ms = wire_get_u64(&c);
	f->info.last_ms = wire_get_u64(&c);
	records = wire_get_u64(&c);
	nblocks = wire_get_u32(&c);
	nexp = wire_get_u32(&c);
	r = -ENOENT;
	if (c.err || wire_left(&c) / STORE_EXP_ENTRY_LEN < nexp ||
	    (wire_left(&c) - (size_t)nexp * STORE_EXP_ENTRY_LEN) / 8 < nblocks)
		goto out;
	f->exp = calloc(nexp + 1u, sizeof(*f->exp));
	f->blocks = calloc(nblocks + 1u, sizeof(*f->blocks));
	if (f->exp == NULL || f->blocks == NULL) {
		r = -ENOMEM;
		goto out;
	}
	f->cap_blocks = nblocks + 1u;
	for (i = 0; i < nexp; i++) {
		parse_exporter(&c, &idx, &f->exp[i]);
		if (idx != i)
			goto out;
	}
	f->n_exp = nexp;
	for (i = 0; i < nblocks; i++) {
		f->blocks[i] = wire_get_u64(&c);
		/* In file order, each once: a block listed many times would
		 * be decoded as often. */
		if (f->blocks[i] < STORE_HDR_LEN || f->blocks[i] >= toff ||
		    (i != 0 && f->blocks[i] <= f->blocks[i - 1]))
			goto out;
	}
	f->n_blocks = nblocks;
	f->info.records = records;
	f->info.complete = true;
	r = c.err ? -ENOENT : 0;
out:
	if (r != 0) {
		free(f->exp);
		free(f->blocks);
		f->exp = NULL;
		f->blocks = NULL;
		f->n_exp = f->n_blocks = f->cap_blocks = 0;
		f->info.records = 0;
		f->info.first_ms = f->info.last_ms = 0;
	}
	free(ch.meta);
	return r;
}

/* A file without a trailer: every chunk from the header on, up to the
 * first that is cut or damaged. */
static int open_walk(struct store_file *f)
{
	uint64_t off = STORE_HDR_LEN, first, last;
	struct wire_cursor c;
	struct chunk ch;
	uint32_t n;
	int r;

	f->info.first_ms = UINT64_MAX;
	for (;;) {
		r = chunk_read(f->fd, off, f->size, &ch);
		if (r == 0)
			break;
		if (r == -EBADMSG) {
			f->info.damaged = true;
			break;
		}
		if (r < 0)
			return r;
		r = 0;
		if (ch.kind == STORE_KIND_BLOCK) {
			wire_init(&c, ch.meta, ch.meta_len);
			n = wire_get_u32(&c);
			first = wire_get_u64(&c);
			last = wire_get_u64(&c);
			if (c.err) {
				r = -EBADMSG;
			} else if ((r = add_block(f, off)) == 0) {
				f->info.records += n;
				if (first < f->info.first_ms)
					f->info.first_ms = first;
				if (last > f->info.last_ms)
					f->info.last_ms = last;
			}
		} else if (ch.kind == STORE_KIND_EXPORTERS) {
			r = apply_exporters(f, &ch);
		} else if (ch.kind == STORE_KIND_TRAILER) {
			/* Its footer was damaged or the file was cut
			 * right after it: the data before is whole. */
			free(ch.meta);
			break;
		}
		free(ch.meta);
		if (r == -EBADMSG) {
			f->info.damaged = true;
			break;
		}
		if (r != 0)
			return r;
		off += STORE_CHUNK_PREFIX_LEN + (uint64_t)ch.meta_len +
		    ch.data_len;
	}
	if (f->info.first_ms == UINT64_MAX)
		f->info.first_ms = 0;
	return 0;
}

/* Loads the file at path into f, whose per-file state is empty (fd -1,
 * no blocks or exporters); the decode memory f already has is kept. */
static int file_load(struct store_file *f, const char *path, char *err,
		     size_t errlen)
{
	struct stat st;
	uint64_t start_ms;
	uint32_t period_s;
	int r;

	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd == -1) {
		r = -errno;
		store_seterr(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	if (fstat(f->fd, &st) == -1) {
		r = -errno;
		store_seterr(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	f->size = (uint64_t)st.st_size;
	if ((r = store_read_header(f->fd, &period_s, &start_ms,
				   &f->block_cap, err, errlen)) != 0) {
		/* Prefix the message with the path. */
		char m[256];

		snprintf(m, sizeof(m), "%s", err != NULL ? err : "");
		store_seterr(err, errlen, "%s: %s", path, m);
		return r;
	}
	r = open_trailer(f);
	if (r == -ENOENT)
		r = open_walk(f);
	if (r != 0) {
		store_seterr(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	if (f->dctx == NULL && (f->dctx = ZSTD_createDCtx()) == NULL) {
		store_seterr(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	f->info.n_blocks = (uint32_t)f->n_blocks;
	f->info.n_exporters = (uint32_t)f->n_exp;
	f->info.exporters = f->exp;
	return 0;
}

/* Forgets the file f had open; keeps what decodes blocks (the zstd
 * context, buffers and column arrays). */
static void file_unload(struct store_file *f)
{
	if (f->fd != -1)
		close(f->fd);
	f->fd = -1;
	free(f->exp);
	free(f->blocks);
	f->exp = NULL;
	f->blocks = NULL;
	f->n_exp = f->n_blocks = f->cap_blocks = f->next = 0;
	f->size = 0;
	f->have_block = false;
	f->cur_n = 0;
	f->cur_ncols = 0;
	memset(&f->info, 0, sizeof(f->info));
}

int store_file_open(const char *path, struct store_file **out, char *err,
		    size_t errlen)
{
	struct store_file *f;
	int r;

	*out = NULL;
	f = calloc(1, sizeof(*f));
	if (f == NULL) {
		store_seterr(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	f->fd = -1;
	if ((r = file_load(f, path, err, errlen)) != 0) {
		store_file_close(f);
		return r;
	}
	*out = f;
	return 0;
}

int store_file_reopen(struct store_file *f, const char *path, char *err,
		      size_t errlen)
{
	int r;

	file_unload(f);
	if ((r = file_load(f, path, err, errlen)) != 0)
		file_unload(f);
	return r;
}

static void free_cols(struct store_file *f)
{
	struct store_cols *c = &f->cols;

	free(c->first_ms);
	free(c->last_ms);
	free(c->src_addr);
	free(c->dst_addr);
	free(c->next_hop);
	free(c->src_port);
	free(c->dst_port);
	free(c->proto);
	free(c->ip_version);
	free(c->tos);
	free(c->tcp_flags);
	free(c->packets);
	free(c->bytes);
	free(c->in_if);
	free(c->out_if);
	free(c->src_mask);
	free(c->dst_mask);
	free(c->exporter);
	free(c->sampling_packets);
	free(c->sampling_space);
	free(c->vlan);
	free(c->end_reason);
	free(c->time_estimated);
	free(f->misc.ttl_min);
	free(f->misc.ttl_max);
	free(f->misc.src_mac);
	free(f->misc.dst_mac);
	free(f->misc.scratch);
	free(f->misc.pair);
	free(f->misc.order);
	memset(c, 0, sizeof(*c));
	memset(&f->misc, 0, sizeof(f->misc));
	f->cols_cap = 0;
}

void store_file_close(struct store_file *f)
{
	if (f == NULL)
		return;
	file_unload(f);
	ZSTD_freeDCtx(f->dctx);
	free_cols(f);
	free(f->cbuf);
	free(f->rbuf);
	free(f);
}

const struct store_file_info *store_file_info(const struct store_file *f)
{
	return &f->info;
}

int store_file_next_block(struct store_file *f,
			  struct store_block_summary *sum)
{
	struct wire_cursor c;
	struct chunk ch;
	uint64_t off, doff, total = 0;
	unsigned i, ncols;
	int r;

	f->have_block = false;
	if (f->next >= f->n_blocks)
		return 0;
	off = f->blocks[f->next];
	r = chunk_read(f->fd, off, f->size, &ch);
	if (r != 1 || ch.kind != STORE_KIND_BLOCK ||
	    ch.meta_len < STORE_BLK_FIXED_LEN) {
		free(ch.meta);
		goto damaged;
	}
	memset(sum, 0, sizeof(*sum));
	wire_init(&c, ch.meta, ch.meta_len);
	sum->records = wire_get_u32(&c);
	sum->first_ms = wire_get_u64(&c);
	sum->last_ms = wire_get_u64(&c);
	wire_get_bytes(&c, sum->min_addr4, 4);
	wire_get_bytes(&c, sum->max_addr4, 4);
	sum->has_v4 = (ch.meta[STORE_BLK_FLAGS] & STORE_BLKF_V4) != 0;
	sum->has_v6 = (ch.meta[STORE_BLK_FLAGS] & STORE_BLKF_V6) != 0;
	ncols = ch.meta[STORE_BLK_NCOLS];
	memcpy(sum->protos, ch.meta + STORE_BLK_PROTOS, sizeof(sum->protos));
	if ((ch.meta_len - STORE_BLK_FIXED_LEN) / STORE_BLK_COLDIR_ENTRY <
	    ncols) {
		free(ch.meta);
		goto damaged;
	}
	wire_init(&c, ch.meta + STORE_BLK_COLDIR,
		  (size_t)ncols * STORE_BLK_COLDIR_ENTRY);
	doff = off + STORE_CHUNK_PREFIX_LEN + ch.meta_len;
	f->cur_ncols = ncols < STORE_COL_MAX ? ncols : STORE_COL_MAX;
	for (i = 0; i < ncols; i++) {
		uint32_t raw = wire_get_u32(&c), comp = wire_get_u32(&c);

		if (i < STORE_COL_MAX) {
			f->raw_len[i] = raw;
			f->comp_len[i] = comp;
			f->col_off[i] = doff + total;
		}
		total += comp;
	}
	free(ch.meta);
	if (c.err || total > ch.data_len)
		goto damaged;
	if (sum->records > f->block_cap)
		goto damaged;
	f->cur_n = sum->records;
	f->have_block = true;
	f->next++;
	return 1;
damaged:
	/* The rest of the file is not trusted after a damaged block. */
	f->next = f->n_blocks;
	f->info.damaged = true;
	return r < 0 && r != -EBADMSG ? r : -EBADMSG;
}

#define ALLOC_COL(field, nmemb)						\
	do {								\
		void *np_ = realloc((field), (nmemb) * sizeof(*(field)));	\
		if (np_ == NULL)					\
			return -ENOMEM;					\
		(field) = np_;						\
	} while (0)

static int cols_reserve(struct store_file *f, size_t n)
{
	struct store_cols *c = &f->cols;

	if (n <= f->cols_cap)
		return 0;
	ALLOC_COL(c->first_ms, n);
	ALLOC_COL(c->last_ms, n);
	ALLOC_COL(c->src_addr, n);
	ALLOC_COL(c->dst_addr, n);
	ALLOC_COL(c->next_hop, n);
	ALLOC_COL(c->src_port, n);
	ALLOC_COL(c->dst_port, n);
	ALLOC_COL(c->proto, n);
	ALLOC_COL(c->ip_version, n);
	ALLOC_COL(c->tos, n);
	ALLOC_COL(c->tcp_flags, n);
	ALLOC_COL(c->packets, n);
	ALLOC_COL(c->bytes, n);
	ALLOC_COL(c->in_if, n);
	ALLOC_COL(c->out_if, n);
	ALLOC_COL(c->src_mask, n);
	ALLOC_COL(c->dst_mask, n);
	ALLOC_COL(c->exporter, n);
	ALLOC_COL(c->sampling_packets, n);
	ALLOC_COL(c->sampling_space, n);
	ALLOC_COL(c->vlan, n);
	ALLOC_COL(c->end_reason, n);
	ALLOC_COL(c->time_estimated, n);
	ALLOC_COL(f->misc.ttl_min, n);
	ALLOC_COL(f->misc.ttl_max, n);
	ALLOC_COL(f->misc.src_mac, n);
	ALLOC_COL(f->misc.dst_mac, n);
	ALLOC_COL(f->misc.scratch, store_col_scratch_len(n));
	ALLOC_COL(f->misc.pair, n);
	ALLOC_COL(f->misc.order, n);
	f->cols_cap = n;
	return 0;
}

int store_file_read_block(struct store_file *f, unsigned mask,
			  const struct store_cols **out)
{
	unsigned col, k;
	size_t got;
	int r;

	if (!f->have_block)
		return -EINVAL;
	/* A count above the file's block capacity is damage, not a
	 * reason to allocate (store_file_next_block checked it too). */
	if (f->cur_n > f->block_cap)
		goto damaged;
	if ((r = cols_reserve(f, f->cur_n != 0 ? f->cur_n : 1)) != 0)
		return r;
	f->cols.n = f->cur_n;
	f->misc.npaired = 0;
	mask = store_cols_closure(mask, f->cur_ncols);
	/* PAIRS first: the paired columns' streams are sized by it. */
	for (k = 0; k < STORE_COL_MAX; k++) {
		col = k == 0 ? STORE_COL_PAIRS : k - 1;
		if (!(mask & (1u << col)))
			continue;
		if (col >= f->cur_ncols ||
		    f->raw_len[col] > store_col_raw_max(col, f->cur_n))
			goto damaged;
		if ((r = grow(&f->cbuf, &f->cbuf_cap, f->comp_len[col] + 1u)) ||
		    (r = grow(&f->rbuf, &f->rbuf_cap, f->raw_len[col] + 1u)))
			return r;
		r = read_at(f->fd, f->cbuf, f->comp_len[col], f->col_off[col]);
		if (r == -EIO)
			goto damaged;
		if (r != 0)
			return r;
		got = ZSTD_decompressDCtx(f->dctx, f->rbuf, f->raw_len[col],
					  f->cbuf, f->comp_len[col]);
		if (ZSTD_isError(got) || got != f->raw_len[col])
			goto damaged;
		if (store_col_decode(col, f->rbuf, got, f->cur_n, &f->cols,
				     &f->misc) != 0)
			goto damaged;
	}
	store_cols_unpair(&f->cols, &f->misc, mask, f->cur_n);
	*out = &f->cols;
	return 0;
damaged:
	f->have_block = false;
	f->next = f->n_blocks;
	f->info.damaged = true;
	return -EBADMSG;
}

void store_cols_record(const struct store_file *f, const struct store_cols *c,
		       size_t i, struct tflow_record *r)
{
	const struct store_exporter *e = NULL;

	memset(r, 0, sizeof(*r));
	memcpy(r->src_addr, c->src_addr[i], 16);
	memcpy(r->dst_addr, c->dst_addr[i], 16);
	memcpy(r->next_hop, c->next_hop[i], 16);
	r->packets = c->packets[i];
	r->octets = c->bytes[i];
	r->first_ms = c->first_ms[i];
	r->last_ms = c->last_ms[i];
	r->in_if = c->in_if[i];
	r->out_if = c->out_if[i];
	r->sampling_packets = c->sampling_packets[i];
	r->sampling_space = c->sampling_space[i];
	r->src_port = c->src_port[i];
	r->dst_port = c->dst_port[i];
	r->vlan = c->vlan[i];
	r->ip_version = c->ip_version[i];
	r->proto = c->proto[i];
	r->tos = c->tos[i];
	r->tcp_flags = c->tcp_flags[i];
	r->src_mask = c->src_mask[i];
	r->dst_mask = c->dst_mask[i];
	r->end_reason = c->end_reason[i];
	r->time_estimated = c->time_estimated[i] != 0;
	if (c == &f->cols && i < f->cols_cap) {
		r->ttl_min = f->misc.ttl_min[i];
		r->ttl_max = f->misc.ttl_max[i];
		memcpy(r->src_mac, f->misc.src_mac[i], 6);
		memcpy(r->dst_mac, f->misc.dst_mac[i], 6);
	}
	if (c->exporter[i] < f->n_exp)
		e = &f->exp[c->exporter[i]];
	if (e != NULL) {
		memcpy(r->exporter_addr, e->addr, 16);
		r->exporter_family = e->family;
		r->version = e->version;
		r->exporter_domain = e->domain;
	}
}

int store_peek_range(int fd, uint64_t *first_ms, uint64_t *last_ms)
{
	uint8_t ftr[STORE_FTR_LEN], t[STORE_CHUNK_PREFIX_LEN + 16];
	struct wire_cursor c;
	struct stat st;
	uint64_t toff;
	uint32_t crc;

	if (fstat(fd, &st) == -1)
		return -errno;
	if ((uint64_t)st.st_size < STORE_HDR_LEN + STORE_FTR_LEN ||
	    read_at(fd, ftr, sizeof(ftr),
		    (uint64_t)st.st_size - STORE_FTR_LEN) != 0 ||
	    memcmp(ftr + STORE_FTR_MAGIC, STORE_FTR_MAGIC_STR, 4) != 0)
		return -ENOENT;
	wire_init(&c, ftr, sizeof(ftr));
	toff = wire_get_u64(&c);
	crc = wire_get_u32(&c);
	if (crc != store_crc32c(0, ftr, 8) ||
	    read_at(fd, t, sizeof(t), toff) != 0 ||
	    memcmp(t, STORE_CHUNK_MAGIC_STR, 3) != 0 ||
	    t[STORE_CHUNK_KIND] != STORE_KIND_TRAILER)
		return -ENOENT;
	wire_init(&c, t + STORE_CHUNK_PREFIX_LEN, 16);
	*first_ms = wire_get_u64(&c);
	*last_ms = wire_get_u64(&c);
	return 0;
}
