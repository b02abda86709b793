/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * store_write: tflow-collector --write (store.h, writer half).
 *
 * Three roles, so that the receive path never waits for the disk:
 *  - the producer (the collector's receive thread) copies each record
 *    into its current in-memory block; a full block, a block older than
 *    half of sync_ms, or a block of the previous period is handed over,
 *    under the queue mutex, once per block -- never per record;
 *  - the writer thread compresses blocks, appends them to the file of
 *    their period and, when the period changes, writes the old file's
 *    trailer and opens the next one;
 *  - the sync thread fdatasyncs the current file every sync_ms;
 *  - the finish thread finishes files (fsync, compaction into large
 *    blocks, rename into place, fsync of the directory) and expires old
 *    ones, so that none of it stalls compression or the sync.
 * Blocks come from a fixed pool: when every block is queued the producer
 * has nowhere to put a record and counts it as dropped.
 *
 * Rotation is by arrival time (now_ms), so each record lands in exactly
 * one file, and a file is named by the UTC start of its period.  The
 * producer's clock only moves forward: a receive time that steps back
 * counts as the latest one seen (see_time()).  A new
 * file never replaces an existing one: the name gets -1, -2...; files a
 * crash left behind as .current are renamed into place at start.
 */
#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "store_codec.h"
#include "tflow/store_format.h"
#include "wire_cursor.h"

struct wblock {
	struct tflow_record *recs;	/* block_records entries */
	uint32_t n;
	uint64_t period_ms;		/* start of the period it belongs to */
	uint64_t first_add_ms;		/* arrival of its first record */
};

enum item_kind { ITEM_BLOCK, ITEM_ROTATE, ITEM_STOP };

struct item {
	enum item_kind kind;
	uint32_t blk;			/* ITEM_BLOCK: index into blocks */
	uint64_t now_ms;
	uint64_t period_ms;		/* ITEM_ROTATE: the new period */
};

struct loss_note {
	uint8_t addr[16];
	uint8_t family;
	uint16_t version;
	uint32_t domain;
	uint64_t lost_rec, lost_dgram;
};

/* One exporter of the current file; indexes restart with each file. */
struct wexp {
	uint8_t addr[16];
	uint8_t family;
	uint16_t version;
	uint32_t domain;
	uint64_t lost_rec, lost_dgram;	/* this file */
	uint64_t d_rec, d_dgram;	/* not yet in an 'E' chunk */
	bool announced;			/* its entry is in the file */
};

/* What encodes blocks: one for the writer thread, one for compaction. */
struct benc {
	ZSTD_CCtx *cctx;
	struct store_enc *enc;		/* the codec's hash tables */
	uint8_t *raw, *comp;
	size_t comp_cap;
};

/* A file handed from the writer to the finish thread. */
struct finish_job {
	struct finish_job *next;
	int fd;
	char *tmp_path, *final_path, *day_dir;
	uint64_t now_ms;
	uint64_t records;
};

struct store_writer {
	struct store_writer_opts o;
	char *dir;
	uint64_t rotate_ms;
	uint32_t cap;			/* records per block */
	uint32_t nbuf;

	/* Producer side: touched only by the (serialised) producer. */
	pthread_mutex_t prod_lock;	/* store_writer_lock() */
	struct wblock *blocks;
	int cur;			/* producer's block, -1 none */
	uint64_t clock_ms;		/* latest now_ms seen: never goes back */
	uint64_t p_start, p_end;	/* period of clock_ms */
	uint64_t last_sent_period;	/* of the last item queued */
	uint64_t handoff_ms;		/* block age that triggers a handoff */

	/* Handoff between producer and writer. */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct item *q;
	uint32_t qcap, qhead, qlen;
	uint32_t n_ctl;			/* ROTATE items queued */
	uint32_t *free_blk;
	uint32_t n_free;		/* under mu */
	atomic_uint free_hint;		/* n_free, read without the lock */

	pthread_mutex_t loss_mu;
	struct loss_note *loss;
	size_t n_loss, cap_loss;

	/* Writer thread. */
	pthread_t thr;
	bool thr_started;
	int fd;				/* current file, -1 none */
	uint64_t file_period;
	uint64_t off;			/* bytes written to it */
	char *tmp_path, *final_path, *day_dir;
	struct wexp *exp;
	size_t n_exp, cap_exp;
	uint16_t *hash;			/* open addressing: index + 1, 0 empty */
	size_t hash_size;
	uint64_t *boffs;
	size_t n_boffs, cap_boffs;
	uint64_t f_first, f_last, f_records;
	struct benc be;
	uint16_t *idx;

	/* Sync thread (fdatasync) and finish thread (fsync, compaction,
	 * rename into place, expiry), sharing smu. */
	pthread_t sthr, fthr;
	bool sthr_started, fthr_started;
	pthread_mutex_t smu;
	pthread_cond_t scv, fcv;
	struct finish_job *jobs, **jobs_tail;
	bool stop_fin;

	/* Finish thread: compaction, allocated at its first use. */
	uint32_t ccap;			/* records per compacted block */
	struct benc ce;
	struct tflow_record *crecs;
	uint16_t *cidx;
	uint64_t *cboffs;
	size_t cap_cboffs;
	struct store_file *rf;
	int sync_fd;			/* dup of the current file, -1 none */
	char *sync_dir;			/* its directory, fsynced once */
	bool stop_sync;
	atomic_bool dirty;		/* written since the last fdatasync */

	atomic_uint_fast64_t st_records, st_dropped, st_files, st_bytes,
	    st_expired, st_errors, st_compacted, st_not_compacted;
	int first_err;
};

static void notify(struct store_writer *w, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void notify(struct store_writer *w, int prio, const char *fmt, ...)
{
	char msg[STORE_PATH_MAX + 256];
	va_list ap;

	if (w->o.notify == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	w->o.notify(w->o.notify_arg, prio, msg);
}

static void count(atomic_uint_fast64_t *c, uint64_t v)
{
	atomic_fetch_add_explicit(c, v, memory_order_relaxed);
}

/* ---- producer --------------------------------------------------------------- */

void store_writer_lock(struct store_writer *w)
{
	pthread_mutex_lock(&w->prod_lock);
}

void store_writer_unlock(struct store_writer *w)
{
	pthread_mutex_unlock(&w->prod_lock);
}

/* Queues an item; the caller holds mu.  The queue has room for every
 * block plus the control items a producer can send between two blocks,
 * so it cannot overflow. */
static void push_locked(struct store_writer *w, const struct item *it)
{
	w->q[(w->qhead + w->qlen) % w->qcap] = *it;
	w->qlen++;
	pthread_cond_signal(&w->cv);
}

/* Takes a free block for the producer, or leaves cur at -1. */
static void take_free_locked(struct store_writer *w)
{
	if (w->n_free == 0)
		return;
	w->cur = (int)w->free_blk[--w->n_free];
	atomic_store_explicit(&w->free_hint, w->n_free, memory_order_relaxed);
	w->blocks[w->cur].n = 0;
}

static void handoff(struct store_writer *w, uint64_t now_ms)
{
	struct item it = { ITEM_BLOCK, (uint32_t)w->cur, now_ms, 0 };

	pthread_mutex_lock(&w->mu);
	/* A ROTATE may still be queued ahead of this block: fine, the
	 * writer handles items in order. */
	push_locked(w, &it);
	w->last_sent_period = w->blocks[w->cur].period_ms;
	w->cur = -1;
	take_free_locked(w);
	pthread_mutex_unlock(&w->mu);
}

/*
 * The producer's clock: the latest receive time seen, so that it never
 * goes back.  A receive clock stepped back (NTP) keeps records in the
 * current period until it catches up again; without this, times going
 * back and forth across a boundary would alternate periods -- a file per
 * block -- and a block's age (now - first add) would wrap and hand over
 * every record on its own.  Keeps p_start/p_end on the period of the
 * clock without a division per record.  Returns the clock.
 */
static uint64_t see_time(struct store_writer *w, uint64_t now_ms)
{
	if (now_ms > w->clock_ms)
		w->clock_ms = now_ms;
	now_ms = w->clock_ms;
	if (now_ms >= w->p_start && now_ms < w->p_end)
		return now_ms;
	w->p_start = now_ms - now_ms % w->rotate_ms;
	w->p_end = w->p_start + w->rotate_ms;
	return now_ms;
}

int store_writer_add(struct store_writer *w, const struct tflow_record *r,
		     uint64_t now_ms)
{
	struct wblock *b;

	now_ms = see_time(w, now_ms);
	if (w->cur >= 0) {
		b = &w->blocks[w->cur];
		if (b->n != 0 && b->period_ms != w->p_start)
			handoff(w, now_ms);
	}
	if (w->cur < 0) {
		/* Starved: look without the lock first, so a writer that
		 * fell behind costs the receive thread one load a record. */
		if (atomic_load_explicit(&w->free_hint,
					 memory_order_relaxed) == 0) {
			count(&w->st_dropped, 1);
			return -ENOBUFS;
		}
		pthread_mutex_lock(&w->mu);
		take_free_locked(w);
		pthread_mutex_unlock(&w->mu);
		if (w->cur < 0) {
			count(&w->st_dropped, 1);
			return -ENOBUFS;
		}
	}
	b = &w->blocks[w->cur];
	if (b->n == 0) {
		b->period_ms = w->p_start;
		b->first_add_ms = now_ms;
	}
	b->recs[b->n++] = *r;
	if (b->n == w->cap || now_ms - b->first_add_ms >= w->handoff_ms)
		handoff(w, now_ms);
	return 0;
}

void store_writer_tick(struct store_writer *w, uint64_t now_ms)
{
	struct item it = { ITEM_ROTATE, 0, 0, 0 };
	struct wblock *b;

	now_ms = see_time(w, now_ms);
	it.now_ms = now_ms;
	if (w->cur >= 0) {
		b = &w->blocks[w->cur];
		if (b->n != 0 && (b->period_ms != w->p_start ||
				  now_ms - b->first_add_ms >= w->handoff_ms)) {
			handoff(w, now_ms);
			return;
		}
	}
	/* Nothing arrives: the last file must still be finished when its
	 * period is over, not when the next record comes.  At most two
	 * such items wait in the queue (a stuck writer must not overflow
	 * it; the next block rotates anyway), so STOP always fits. */
	if (w->last_sent_period != 0 && w->last_sent_period != w->p_start &&
	    (w->cur < 0 || w->blocks[w->cur].n == 0)) {
		it.period_ms = w->p_start;
		pthread_mutex_lock(&w->mu);
		if (w->n_ctl < 2) {
			w->n_ctl++;
			push_locked(w, &it);
			w->last_sent_period = w->p_start;
		}
		pthread_mutex_unlock(&w->mu);
	}
}

void store_writer_note_loss(struct store_writer *w, const uint8_t addr[16],
			    uint8_t family, uint16_t version, uint32_t domain,
			    uint64_t lost_records, uint64_t lost_datagrams)
{
	struct loss_note *l;
	size_t i;

	if (lost_records == 0 && lost_datagrams == 0)
		return;
	pthread_mutex_lock(&w->loss_mu);
	for (i = 0; i < w->n_loss; i++) {
		l = &w->loss[i];
		if (l->family == family && l->version == version &&
		    l->domain == domain && memcmp(l->addr, addr, 16) == 0)
			break;
	}
	if (i == w->n_loss) {
		if (w->n_loss == w->cap_loss) {
			size_t cap = w->cap_loss ? w->cap_loss * 2 : 16;

			l = realloc(w->loss, cap * sizeof(*l));
			if (l == NULL) {
				pthread_mutex_unlock(&w->loss_mu);
				return;	/* the collector's report still has it */
			}
			w->loss = l;
			w->cap_loss = cap;
		}
		l = &w->loss[w->n_loss++];
		memset(l, 0, sizeof(*l));
		memcpy(l->addr, addr, 16);
		l->family = family;
		l->version = version;
		l->domain = domain;
	}
	w->loss[i].lost_rec += lost_records;
	w->loss[i].lost_dgram += lost_datagrams;
	pthread_mutex_unlock(&w->loss_mu);
}

void store_writer_get_stats(struct store_writer *w,
			    struct store_writer_stats *out)
{
	out->records = atomic_load(&w->st_records);
	out->dropped = atomic_load(&w->st_dropped);
	out->files = atomic_load(&w->st_files);
	out->bytes = atomic_load(&w->st_bytes);
	out->expired_files = atomic_load(&w->st_expired);
	out->write_errors = atomic_load(&w->st_errors);
	out->compacted = atomic_load(&w->st_compacted);
	out->not_compacted = atomic_load(&w->st_not_compacted);
}

/* ---- writer thread: exporters ----------------------------------------------- */

static size_t exp_hash(const uint8_t addr[16], uint8_t family,
		       uint16_t version, uint32_t domain, size_t size)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < 16; i++)
		h = (h ^ addr[i]) * 1099511628211ULL;
	h = (h ^ family) * 1099511628211ULL;
	h = (h ^ version) * 1099511628211ULL;
	h = (h ^ domain) * 1099511628211ULL;
	return (size_t)(h ^ (h >> 29)) & (size - 1);
}

static bool exp_eq(const struct wexp *e, const uint8_t addr[16],
		   uint8_t family, uint16_t version, uint32_t domain)
{
	return e->family == family && e->version == version &&
	    e->domain == domain && memcmp(e->addr, addr, 16) == 0;
}

static int exp_rehash(struct store_writer *w, size_t size)
{
	uint16_t *h = calloc(size, sizeof(*h));
	size_t i, s;

	if (h == NULL)
		return -ENOMEM;
	for (i = 0; i < w->n_exp; i++) {
		s = exp_hash(w->exp[i].addr, w->exp[i].family,
			     w->exp[i].version, w->exp[i].domain, size);
		while (h[s] != 0)
			s = (s + 1) & (size - 1);
		h[s] = (uint16_t)(i + 1);
	}
	free(w->hash);
	w->hash = h;
	w->hash_size = size;
	return 0;
}

/* The index of an exporter in the current file, added when new;
 * STORE_EXP_NONE when the table is full or memory is short. */
static uint16_t exp_lookup(struct store_writer *w, const uint8_t addr[16],
			   uint8_t family, uint16_t version, uint32_t domain)
{
	struct wexp *e;
	size_t s;

	if (w->hash == NULL && exp_rehash(w, 64) != 0)
		return STORE_EXP_NONE;
	s = exp_hash(addr, family, version, domain, w->hash_size);
	while (w->hash[s] != 0) {
		if (exp_eq(&w->exp[w->hash[s] - 1], addr, family, version,
			   domain))
			return (uint16_t)(w->hash[s] - 1);
		s = (s + 1) & (w->hash_size - 1);
	}
	if (w->n_exp >= STORE_EXP_MAX - 1)
		return STORE_EXP_NONE;
	if (w->n_exp == w->cap_exp) {
		size_t cap = w->cap_exp ? w->cap_exp * 2 : 16;

		e = realloc(w->exp, cap * sizeof(*e));
		if (e == NULL)
			return STORE_EXP_NONE;
		w->exp = e;
		w->cap_exp = cap;
	}
	e = &w->exp[w->n_exp];
	memset(e, 0, sizeof(*e));
	memcpy(e->addr, addr, 16);
	e->family = family;
	e->version = version;
	e->domain = domain;
	w->hash[s] = (uint16_t)(w->n_exp + 1);
	w->n_exp++;
	if (w->n_exp * 2 > w->hash_size && exp_rehash(w, w->hash_size * 2))
		return (uint16_t)(w->n_exp - 1);	/* still fine, slower */
	return (uint16_t)(w->n_exp - 1);
}

static void put_exp_entry(struct wire_cursor *c, size_t i,
			  const uint8_t addr[16], uint8_t family,
			  uint16_t version, uint32_t domain, uint64_t lr,
			  uint64_t ld)
{
	wire_put_u16(c, (uint16_t)i);
	wire_put_u8(c, family);
	wire_put_u8(c, 0);
	wire_put_u16(c, version);
	wire_put_u16(c, 0);
	wire_put_u32(c, domain);
	wire_put_bytes(c, addr, 16);
	wire_put_u64(c, lr);
	wire_put_u64(c, ld);
}

static void put_exporter(struct wire_cursor *c, size_t i,
			 const struct wexp *e, uint64_t lr, uint64_t ld)
{
	put_exp_entry(c, i, e->addr, e->family, e->version, e->domain, lr,
		      ld);
}

/* ---- writer thread: file output ----------------------------------------------- */

static int write_all(int fd, struct iovec *iov, int iovcnt)
{
	ssize_t n;

	while (iovcnt > 0) {
		n = writev(fd, iov, iovcnt);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		while (iovcnt > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			iovcnt--;
		}
		if (iovcnt > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

static void chunk_prefix(uint8_t pre[STORE_CHUNK_PREFIX_LEN], uint8_t kind,
			 const uint8_t *meta, uint32_t meta_len,
			 uint32_t data_len)
{
	struct wire_cursor c;

	wire_init(&c, pre, STORE_CHUNK_PREFIX_LEN);
	wire_put_bytes(&c, STORE_CHUNK_MAGIC_STR, 3);
	wire_put_u8(&c, kind);
	wire_put_u32(&c, meta_len);
	wire_put_u32(&c, data_len);
	wire_put_u32(&c, store_crc32c(store_crc32c(0, pre, STORE_CHUNK_CRC),
				      meta, meta_len));
}

/* Appends a chunk to fd.  0 or -errno. */
static int chunk_out(int fd, uint8_t kind, const uint8_t *meta,
		     uint32_t meta_len, const uint8_t *data, uint32_t data_len)
{
	uint8_t pre[STORE_CHUNK_PREFIX_LEN];
	struct iovec iov[3];

	chunk_prefix(pre, kind, meta, meta_len, data_len);
	iov[0].iov_base = pre;
	iov[0].iov_len = sizeof(pre);
	iov[1].iov_base = (void *)(uintptr_t)meta;
	iov[1].iov_len = meta_len;
	iov[2].iov_base = (void *)(uintptr_t)data;
	iov[2].iov_len = data_len;
	return write_all(fd, iov, data_len != 0 ? 3 : 2);
}

/* The footer that points at the trailer chunk at toff.  0 or -errno. */
static int footer_out(int fd, uint64_t toff)
{
	uint8_t ftr[STORE_FTR_LEN];
	struct wire_cursor c;
	struct iovec iov;

	wire_init(&c, ftr, sizeof(ftr));
	wire_put_u64(&c, toff);
	wire_put_u32(&c, store_crc32c(0, ftr, 8));
	wire_put_bytes(&c, STORE_FTR_MAGIC_STR, 4);
	iov.iov_base = ftr;
	iov.iov_len = sizeof(ftr);
	return write_all(fd, &iov, 1);
}

/* Appends a chunk; the file's offset moves only when all of it is out. */
static int write_chunk(struct store_writer *w, uint8_t kind,
		       const uint8_t *meta, uint32_t meta_len,
		       const uint8_t *data, uint32_t data_len)
{
	int r;

	r = chunk_out(w->fd, kind, meta, meta_len, data, data_len);
	if (r != 0)
		return r;
	w->off += STORE_CHUNK_PREFIX_LEN + (uint64_t)meta_len + data_len;
	count(&w->st_bytes, STORE_CHUNK_PREFIX_LEN + (uint64_t)meta_len + data_len);
	atomic_store(&w->dirty, true);
	return 0;
}

static void free_job(struct finish_job *j)
{
	free(j->tmp_path);
	free(j->final_path);
	free(j->day_dir);
	free(j);
}

/* Hands the current file to the finish thread (with_trailer false: a file
 * abandoned after a write error, readable up to its last whole chunk). */
static void close_file(struct store_writer *w, uint64_t now_ms,
		       bool with_trailer)
{
	struct finish_job *j;
	struct wire_cursor c;
	uint8_t *meta = NULL;
	size_t mlen, i;
	uint64_t toff = w->off;
	int r = 0;

	if (w->fd == -1)
		return;
	if (with_trailer) {
		mlen = STORE_TRL_EXPORTERS + w->n_exp * STORE_EXP_ENTRY_LEN +
		    w->n_boffs * 8;
		meta = malloc(mlen);
		if (meta == NULL) {
			r = -ENOMEM;
			goto trailer_done;
		}
		wire_init(&c, meta, mlen);
		wire_put_u64(&c, w->f_records != 0 ? w->f_first : 0);
		wire_put_u64(&c, w->f_last);
		wire_put_u64(&c, w->f_records);
		wire_put_u32(&c, (uint32_t)w->n_boffs);
		wire_put_u32(&c, (uint32_t)w->n_exp);
		for (i = 0; i < w->n_exp; i++)
			put_exporter(&c, i, &w->exp[i], w->exp[i].lost_rec,
				     w->exp[i].lost_dgram);
		for (i = 0; i < w->n_boffs; i++)
			wire_put_u64(&c, w->boffs[i]);
		r = write_chunk(w, STORE_KIND_TRAILER, meta, (uint32_t)mlen,
				NULL, 0);
		if (r == 0) {
			r = footer_out(w->fd, toff);
			if (r == 0)
				count(&w->st_bytes, STORE_FTR_LEN);
		}
trailer_done:
		free(meta);
		if (r != 0) {
			count(&w->st_errors, 1);
			notify(w, LOG_WARNING, "%s: writing the trailer: %s "
			       "(the file stays readable without it)",
			       w->tmp_path, strerror(-r));
		}
	}
	j = calloc(1, sizeof(*j));
	if (j == NULL || w->tmp_path == NULL || w->final_path == NULL ||
	    w->day_dir == NULL) {
		free(j);
		/* Cannot hand it over: finish it here rather than leak.
		 * Its records stay readable in the .current file, but it is
		 * not renamed into place: a write error for the stats. */
		close(w->fd);
		count(&w->st_errors, 1);
		notify(w, LOG_WARNING, "%s: out of memory, left as is",
		       w->tmp_path != NULL ? w->tmp_path : "store file");
		free(w->tmp_path);
		free(w->final_path);
		free(w->day_dir);
	} else {
		j->fd = w->fd;
		j->tmp_path = w->tmp_path;
		j->final_path = w->final_path;
		j->day_dir = w->day_dir;
		j->now_ms = now_ms;
		j->records = w->f_records;
		pthread_mutex_lock(&w->smu);
		*w->jobs_tail = j;
		w->jobs_tail = &j->next;
		pthread_cond_signal(&w->fcv);
		pthread_mutex_unlock(&w->smu);
	}
	w->fd = -1;
	w->tmp_path = w->final_path = w->day_dir = NULL;
	w->n_exp = 0;
	w->n_boffs = 0;
	if (w->hash != NULL)
		memset(w->hash, 0, w->hash_size * sizeof(*w->hash));
}

static int open_file(struct store_writer *w, uint64_t period_ms,
		     uint64_t now_ms)
{
	char day[STORE_PATH_MAX], name[128], fin[STORE_PATH_MAX],
	    tmp[STORE_PATH_MAX];
	uint8_t h[STORE_HDR_LEN];
	struct wire_cursor c;
	struct iovec iov;
	struct stat st;
	unsigned seq;
	int r, fd = -1, n, dfd;

	if ((r = store_day_dir(w->dir, period_ms, day, sizeof(day))) != 0 ||
	    (r = store_mkdirs(day)) != 0)
		goto fail;
	for (seq = 0; seq < 100000; seq++) {
		if ((r = store_file_name(period_ms, seq, name,
					 sizeof(name))) != 0)
			goto fail;
		n = snprintf(fin, sizeof(fin), "%s/%s", day, name);
		if (n < 0 || (size_t)n >= sizeof(fin)) {
			r = -ENAMETOOLONG;
			goto fail;
		}
		n = snprintf(tmp, sizeof(tmp), "%s" STORE_SUFFIX_CURRENT, fin);
		if (n < 0 || (size_t)n >= sizeof(tmp)) {
			r = -ENAMETOOLONG;
			goto fail;
		}
		if (lstat(fin, &st) == 0)
			continue;	/* never overwrite: next suffix */
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd != -1)
			break;
		if (errno != EEXIST) {
			r = -errno;
			goto fail;
		}
	}
	if (fd == -1) {
		r = -EEXIST;
		goto fail;
	}
	memset(h, 0, sizeof(h));
	wire_init(&c, h, sizeof(h));
	wire_put_bytes(&c, STORE_MAGIC, STORE_MAGIC_LEN);
	wire_put_u16(&c, STORE_VERSION);
	wire_put_u16(&c, STORE_HDR_LEN);
	wire_put_u32(&c, (uint32_t)(w->rotate_ms / 1000));
	wire_put_u64(&c, period_ms);
	wire_put_u64(&c, now_ms);
	wire_put_u32(&c, w->cap);
	wire_init(&c, h + STORE_HDR_CRC, 4);
	wire_put_u32(&c, store_crc32c(0, h, STORE_HDR_CRC));
	iov.iov_base = h;
	iov.iov_len = sizeof(h);
	if ((r = write_all(fd, &iov, 1)) != 0) {
		close(fd);
		unlink(tmp);
		goto fail;
	}
	w->fd = fd;
	w->off = sizeof(h);
	w->file_period = period_ms;
	w->tmp_path = strdup(tmp);
	w->final_path = strdup(fin);
	w->day_dir = strdup(day);
	w->f_first = UINT64_MAX;
	w->f_last = 0;
	w->f_records = 0;
	w->n_exp = 0;
	w->n_boffs = 0;
	count(&w->st_bytes, sizeof(h));
	/* The sync thread gets its own descriptor, so that a file handed
	 * on for finishing is never synced through a closed one. */
	dfd = dup(fd);
	pthread_mutex_lock(&w->smu);
	if (w->sync_fd != -1)
		close(w->sync_fd);
	w->sync_fd = dfd;
	free(w->sync_dir);
	w->sync_dir = strdup(day);
	pthread_mutex_unlock(&w->smu);
	atomic_store(&w->dirty, true);
	if (w->tmp_path == NULL || w->final_path == NULL || w->day_dir == NULL)
		return -ENOMEM;	/* close_file() copes with the NULLs */
	return 0;
fail:
	count(&w->st_errors, 1);
	notify(w, LOG_WARNING, "cannot create a store file in %s: %s", w->dir,
	       strerror(-r));
	return r;
}

/* Takes the loss notes of the receive thread into the exporter table. */
static void merge_losses(struct store_writer *w)
{
	struct loss_note *l;
	uint16_t i;
	size_t k;

	pthread_mutex_lock(&w->loss_mu);
	for (k = 0; k < w->n_loss; k++) {
		l = &w->loss[k];
		i = exp_lookup(w, l->addr, l->family, l->version, l->domain);
		if (i == STORE_EXP_NONE)
			continue;
		w->exp[i].lost_rec += l->lost_rec;
		w->exp[i].lost_dgram += l->lost_dgram;
		w->exp[i].d_rec += l->lost_rec;
		w->exp[i].d_dgram += l->lost_dgram;
	}
	w->n_loss = 0;
	pthread_mutex_unlock(&w->loss_mu);
}

/* An 'E' chunk for exporters new to the file and loss not yet written. */
static int write_exporters(struct store_writer *w)
{
	struct wire_cursor c;
	uint8_t *meta;
	size_t i, n = 0, mlen;
	int r;

	for (i = 0; i < w->n_exp; i++)
		if (!w->exp[i].announced || w->exp[i].d_rec != 0 ||
		    w->exp[i].d_dgram != 0)
			n++;
	if (n == 0)
		return 0;
	mlen = STORE_EXP_FIRST + n * STORE_EXP_ENTRY_LEN;
	if ((meta = malloc(mlen)) == NULL)
		return -ENOMEM;
	wire_init(&c, meta, mlen);
	wire_put_u32(&c, (uint32_t)n);
	for (i = 0; i < w->n_exp; i++) {
		struct wexp *e = &w->exp[i];

		if (e->announced && e->d_rec == 0 && e->d_dgram == 0)
			continue;
		put_exporter(&c, i, e, e->d_rec, e->d_dgram);
	}
	r = write_chunk(w, STORE_KIND_EXPORTERS, meta, (uint32_t)mlen, NULL,
			0);
	free(meta);
	if (r == 0)
		for (i = 0; i < w->n_exp; i++) {
			w->exp[i].announced = true;
			w->exp[i].d_rec = w->exp[i].d_dgram = 0;
		}
	return r;
}

static uint32_t addr4(const uint8_t a[16])
{
	return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 |
	    (uint32_t)a[2] << 8 | a[3];
}

/* The summary and column directory of recs[0..n) into meta, the
 * compressed columns into be->comp (*total bytes); idx[i] is record i's
 * exporter index.  0 or -EIO. */
static int encode_block(struct benc *be, const struct tflow_record *recs,
			const uint16_t *idx, uint32_t n, uint8_t *meta,
			size_t *total, uint64_t *firstp, uint64_t *lastp)
{
	uint8_t protos[32];
	struct wire_cursor c, cd;
	uint64_t first = UINT64_MAX, last = 0;
	uint32_t min4 = UINT32_MAX, max4 = 0, a;
	uint8_t flags = 0;
	size_t i, raw_len, comp_len, tot = 0;
	unsigned col;

	memset(protos, 0, sizeof(protos));
	for (i = 0; i < n; i++) {
		const struct tflow_record *rec = &recs[i];

		if (rec->first_ms < first)
			first = rec->first_ms;
		if (rec->last_ms > last)
			last = rec->last_ms;
		protos[rec->proto >> 3] |= (uint8_t)(1u << (rec->proto & 7));
		if (rec->ip_version == 4) {
			flags |= STORE_BLKF_V4;
			a = addr4(rec->src_addr);
			min4 = a < min4 ? a : min4;
			max4 = a > max4 ? a : max4;
			a = addr4(rec->dst_addr);
			min4 = a < min4 ? a : min4;
			max4 = a > max4 ? a : max4;
		} else if (rec->ip_version == 6) {
			flags |= STORE_BLKF_V6;
		}
	}
	if (!(flags & STORE_BLKF_V4))
		min4 = max4 = 0;
	wire_init(&c, meta, STORE_BLK_FIXED_LEN);
	wire_put_u32(&c, n);
	wire_put_u64(&c, first);
	wire_put_u64(&c, last);
	wire_put_u32(&c, min4);
	wire_put_u32(&c, max4);
	wire_put_u8(&c, flags);
	wire_put_u8(&c, STORE_COL_MAX);
	wire_put_u16(&c, 0);
	wire_put_bytes(&c, protos, sizeof(protos));
	wire_init(&cd, meta + STORE_BLK_COLDIR,
		  STORE_COL_MAX * STORE_BLK_COLDIR_ENTRY);
	store_enc_block(be->enc, recs, n);
	for (col = 0; col < STORE_COL_MAX; col++) {
		raw_len = store_col_encode(be->enc, col, recs, idx, n,
					   be->raw);
		comp_len = ZSTD_compress2(be->cctx, be->comp + tot,
					  be->comp_cap - tot, be->raw,
					  raw_len);
		if (ZSTD_isError(comp_len))
			return -EIO;
		wire_put_u32(&cd, (uint32_t)raw_len);
		wire_put_u32(&cd, (uint32_t)comp_len);
		tot += comp_len;
	}
	*total = tot;
	*firstp = first;
	*lastp = last;
	return 0;
}

static int push_boff(uint64_t **boffs, size_t *cap, size_t n, uint64_t off)
{
	uint64_t *nb;
	size_t ncap;

	if (n == *cap) {
		ncap = *cap ? *cap * 2 : 256;
		nb = realloc(*boffs, ncap * sizeof(*nb));
		if (nb == NULL)
			return -ENOMEM;
		*boffs = nb;
		*cap = ncap;
	}
	(*boffs)[n] = off;
	return 0;
}

static bool same_exporter(const struct tflow_record *a,
			  const struct tflow_record *b)
{
	return a->exporter_family == b->exporter_family &&
	    a->version == b->version &&
	    a->exporter_domain == b->exporter_domain &&
	    memcmp(a->exporter_addr, b->exporter_addr, 16) == 0;
}

/* Compresses and appends one block.  0 or -errno. */
static int write_block(struct store_writer *w, const struct wblock *b)
{
	uint8_t meta[STORE_BLK_FIXED_LEN + STORE_COL_MAX *
		     STORE_BLK_COLDIR_ENTRY];
	uint64_t first, last;
	size_t i, total;
	int r;

	for (i = 0; i < b->n; i++) {
		const struct tflow_record *rec = &b->recs[i];

		/* A datagram's records come from one exporter: runs. */
		if (i != 0 && same_exporter(rec, &b->recs[i - 1])) {
			w->idx[i] = w->idx[i - 1];
			continue;
		}
		w->idx[i] = exp_lookup(w, rec->exporter_addr,
				       rec->exporter_family, rec->version,
				       rec->exporter_domain);
	}
	merge_losses(w);
	if ((r = write_exporters(w)) != 0)
		return r;
	if ((r = encode_block(&w->be, b->recs, w->idx, b->n, meta, &total,
			      &first, &last)) != 0)
		return r;
	if ((r = push_boff(&w->boffs, &w->cap_boffs, w->n_boffs,
			   w->off)) != 0)
		return r;
	r = write_chunk(w, STORE_KIND_BLOCK, meta, sizeof(meta), w->be.comp,
			(uint32_t)total);
	if (r != 0)
		return r;
	w->n_boffs++;
	if (first < w->f_first)
		w->f_first = first;
	if (last > w->f_last)
		w->f_last = last;
	w->f_records += b->n;
	count(&w->st_records, b->n);
	return 0;
}

static void handle_block(struct store_writer *w, const struct wblock *b,
			 uint64_t now_ms)
{
	int r;

	if (w->fd != -1 && w->file_period != b->period_ms)
		close_file(w, now_ms, true);
	if (w->fd == -1 && open_file(w, b->period_ms, now_ms) != 0) {
		if (w->fd != -1)
			close_file(w, now_ms, false);
		count(&w->st_dropped, b->n);
		return;
	}
	r = write_block(w, b);
	if (r != 0) {
		/* What is on disk may end in a partial chunk: nothing more
		 * goes into this file; the next block opens a new one. */
		count(&w->st_errors, 1);
		count(&w->st_dropped, b->n);
		notify(w, LOG_WARNING, "%s: %s: %u records lost", w->tmp_path,
		       strerror(-r), b->n);
		close_file(w, now_ms, false);
	}
}

static void *writer_main(void *arg)
{
	struct store_writer *w = arg;
	struct item it;
	bool stop = false;

	while (!stop) {
		pthread_mutex_lock(&w->mu);
		while (w->qlen == 0)
			pthread_cond_wait(&w->cv, &w->mu);
		it = w->q[w->qhead];
		w->qhead = (w->qhead + 1) % w->qcap;
		w->qlen--;
		pthread_mutex_unlock(&w->mu);

		switch (it.kind) {
		case ITEM_BLOCK:
			handle_block(w, &w->blocks[it.blk], it.now_ms);
			pthread_mutex_lock(&w->mu);
			w->free_blk[w->n_free++] = it.blk;
			atomic_store_explicit(&w->free_hint, w->n_free,
					      memory_order_relaxed);
			pthread_mutex_unlock(&w->mu);
			break;
		case ITEM_ROTATE:
			pthread_mutex_lock(&w->mu);
			w->n_ctl--;
			pthread_mutex_unlock(&w->mu);
			if (w->fd != -1 && w->file_period != it.period_ms)
				close_file(w, it.now_ms, true);
			break;
		case ITEM_STOP:
			if (w->fd != -1) {
				/* Losses noted since the last block. */
				merge_losses(w);
				(void)write_exporters(w);
			}
			close_file(w, it.now_ms, true);
			stop = true;
			break;
		}
	}
	return NULL;
}

/* ---- finish thread: compaction --------------------------------------------------- */

static void benc_clear(struct benc *be)
{
	free(be->raw);
	free(be->comp);
	ZSTD_freeCCtx(be->cctx);
	store_enc_free(be->enc);
	memset(be, 0, sizeof(*be));
}

/* An encoder for blocks of at most cap records.  0 or -ENOMEM. */
static int benc_init(struct benc *be, uint32_t cap, int level)
{
	size_t raw_max = 0, s;
	unsigned col;

	memset(be, 0, sizeof(*be));
	for (col = 0; col < STORE_COL_MAX; col++) {
		s = store_col_raw_max(col, cap);
		raw_max = s > raw_max ? s : raw_max;
		be->comp_cap += ZSTD_compressBound(s);
	}
	be->raw = malloc(raw_max);
	be->comp = malloc(be->comp_cap);
	be->cctx = ZSTD_createCCtx();
	be->enc = store_enc_new(cap);
	if (be->raw == NULL || be->comp == NULL || be->cctx == NULL ||
	    be->enc == NULL) {
		benc_clear(be);
		return -ENOMEM;
	}
	ZSTD_CCtx_setParameter(be->cctx, ZSTD_c_compressionLevel,
			       level != 0 ? level : STORE_ZSTD_LEVEL);
	ZSTD_CCtx_setParameter(be->cctx, ZSTD_c_checksumFlag, 1);
	return 0;
}

/* The compaction memory, at its first use: one compacted block. */
static int compact_ready(struct store_writer *w)
{
	if (w->crecs != NULL)
		return 0;
	w->cidx = malloc((size_t)w->ccap * sizeof(*w->cidx));
	w->crecs = malloc((size_t)w->ccap * sizeof(*w->crecs));
	if (w->cidx == NULL || w->crecs == NULL ||
	    benc_init(&w->ce, w->ccap, w->o.zstd_level) != 0) {
		free(w->cidx);
		free(w->crecs);
		w->cidx = NULL;
		w->crecs = NULL;
		return -ENOMEM;
	}
	return 0;
}

struct cout {
	int fd;
	uint64_t off, first, last, records;
	size_t nb;
};

/* Encodes crecs[0..n) as one block of the compacted file. */
static int compact_block(struct store_writer *w, struct cout *o, uint32_t n)
{
	uint8_t meta[STORE_BLK_FIXED_LEN + STORE_COL_MAX *
		     STORE_BLK_COLDIR_ENTRY];
	uint64_t first, last;
	size_t total;
	int r;

	if ((r = encode_block(&w->ce, w->crecs, w->cidx, n, meta, &total,
			      &first, &last)) != 0 ||
	    (r = push_boff(&w->cboffs, &w->cap_cboffs, o->nb, o->off)) != 0 ||
	    (r = chunk_out(o->fd, STORE_KIND_BLOCK, meta, sizeof(meta),
			   w->ce.comp, (uint32_t)total)) != 0)
		return r;
	o->nb++;
	o->off += STORE_CHUNK_PREFIX_LEN + sizeof(meta) + total;
	o->first = first < o->first ? first : o->first;
	o->last = last > o->last ? last : o->last;
	o->records += n;
	return 0;
}

/* The exporter table with the file's loss totals: an 'E' chunk before
 * the blocks (kind 'E') or the trailer (kind 'T'). */
static int compact_table(struct store_writer *w, struct cout *o,
			 const struct store_file_info *fi, uint8_t kind)
{
	const struct store_exporter *e;
	struct wire_cursor c;
	uint8_t *meta;
	size_t mlen, k;
	int r;

	if (kind == STORE_KIND_EXPORTERS)
		mlen = STORE_EXP_FIRST;
	else
		mlen = STORE_TRL_EXPORTERS + o->nb * 8;
	mlen += (size_t)fi->n_exporters * STORE_EXP_ENTRY_LEN;
	if ((meta = malloc(mlen)) == NULL)
		return -ENOMEM;
	wire_init(&c, meta, mlen);
	if (kind == STORE_KIND_EXPORTERS) {
		wire_put_u32(&c, fi->n_exporters);
	} else {
		wire_put_u64(&c, o->records != 0 ? o->first : 0);
		wire_put_u64(&c, o->last);
		wire_put_u64(&c, o->records);
		wire_put_u32(&c, (uint32_t)o->nb);
		wire_put_u32(&c, fi->n_exporters);
	}
	for (k = 0; k < fi->n_exporters; k++) {
		e = &fi->exporters[k];
		put_exp_entry(&c, k, e->addr, e->family, e->version,
			      e->domain, e->lost, e->lost_datagrams);
	}
	if (kind == STORE_KIND_TRAILER)
		for (k = 0; k < o->nb; k++)
			wire_put_u64(&c, w->cboffs[k]);
	r = chunk_out(o->fd, kind, meta, (uint32_t)mlen, NULL, 0);
	free(meta);
	if (r == 0)
		o->off += STORE_CHUNK_PREFIX_LEN + mlen;
	return r;
}

/*
 * Blocks are cut every sync_ms / 2 so that a crash loses little, and a
 * small block pays its dictionaries and zstd tables often.  A finished
 * file is therefore rewritten here with blocks of ccap records: read back
 * block by block in arrival order (memory: one compacted block, however
 * large the period), written to PATH.compact, fsynced, and renamed over
 * PATH (the .current).  At every moment PATH is a complete file, the old
 * one or the new one, so a crash loses and duplicates nothing; a
 * .compact a crash left is removed at the next start (recover()).
 * 1 compacted, 0 nothing to gain, -errno (PATH untouched).
 */
static int compact(struct store_writer *w, const char *path)
{
	const struct store_file_info *fi;
	struct store_block_summary sum;
	const struct store_cols *c;
	struct store_file *f = NULL;
	struct cout o = { -1, STORE_HDR_LEN, UINT64_MAX, 0, 0, 0 };
	uint8_t h[STORE_HDR_LEN];
	char tmp[STORE_PATH_MAX], err[256];
	struct wire_cursor wc;
	struct iovec iov;
	struct stat st;
	uint64_t toff;
	uint32_t n = 0;
	size_t k;
	int fd, r, e;

	if ((r = store_file_open(path, &f, err, sizeof(err))) != 0)
		return r;
	fi = store_file_info(f);
	if (!fi->complete || fi->damaged) {
		r = -EBADMSG;
		goto out_file;
	}
	/* Large full blocks (a high rate: blocks filled before their
	 * 500 ms) gain little (9.72 -> 9.25 B/record on the typical mix)
	 * for twice the writer's work, which a high rate cannot spare. */
	if (fi->n_blocks < 2 || (w->cap >= STORE_COMPACT_MIN_CAP &&
	    fi->records / fi->n_blocks >= w->cap - w->cap / 8)) {
		r = 0;
		goto out_file;
	}
	if ((r = compact_ready(w)) != 0)
		goto out_file;
	/* The header as written, but for the block capacity. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		r = -errno;
		goto out_file;
	}
	if (pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
	    fstat(fd, &st) == -1) {
		close(fd);
		r = -EIO;
		goto out_file;
	}
	close(fd);
	wire_init(&wc, h + STORE_HDR_BLOCK_CAP, 4);
	wire_put_u32(&wc, w->ccap);
	wire_init(&wc, h + STORE_HDR_CRC, 4);
	wire_put_u32(&wc, store_crc32c(0, h, STORE_HDR_CRC));
	if (snprintf(tmp, sizeof(tmp), "%s" STORE_SUFFIX_COMPACT, path) >=
	    (int)sizeof(tmp)) {
		r = -ENAMETOOLONG;
		goto out_file;
	}
	o.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (o.fd == -1) {
		r = -errno;
		goto out_file;
	}
	iov.iov_base = h;
	iov.iov_len = sizeof(h);
	if ((r = write_all(o.fd, &iov, 1)) != 0)
		goto out_tmp;
	if (fi->n_exporters != 0 &&
	    (r = compact_table(w, &o, fi, STORE_KIND_EXPORTERS)) != 0)
		goto out_tmp;
	while ((r = store_file_next_block(f, &sum)) == 1) {
		if ((r = store_file_read_block(f, STORE_COLS_ALL, &c)) != 0)
			goto out_tmp;
		for (k = 0; k < c->n; k++) {
			store_cols_record(f, c, k, &w->crecs[n]);
			w->cidx[n] = c->exporter[k];
			if (++n == w->ccap) {
				if ((r = compact_block(w, &o, n)) != 0)
					goto out_tmp;
				n = 0;
			}
		}
	}
	if (r != 0 || (n != 0 && (r = compact_block(w, &o, n)) != 0))
		goto out_tmp;
	if (o.records != fi->records) {
		r = -EBADMSG;
		goto out_tmp;
	}
	toff = o.off;
	if ((r = compact_table(w, &o, fi, STORE_KIND_TRAILER)) != 0 ||
	    (r = footer_out(o.fd, toff)) != 0)
		goto out_tmp;
	o.off += STORE_FTR_LEN;
	if (fsync(o.fd) == -1) {
		r = -errno;
		goto out_tmp;
	}
	close(o.fd);
	o.fd = -1;
	if (rename(tmp, path) == -1) {
		r = -errno;
		goto out_tmp;
	}
	if (o.off < (uint64_t)st.st_size)
		atomic_fetch_sub(&w->st_bytes, (uint64_t)st.st_size - o.off);
	else
		count(&w->st_bytes, o.off - (uint64_t)st.st_size);
	store_file_close(f);
	return 1;
out_tmp:
	e = r;
	if (o.fd != -1)
		close(o.fd);
	unlink(tmp);
	r = e;
out_file:
	store_file_close(f);
	return r;
}

/* ---- finish thread ------------------------------------------------------------- */

/* Moves tmp to a final name that does not exist yet: link() fails with
 * EEXIST where rename() would replace.  Returns the name used (malloc'd)
 * or NULL with errno. */
static char *place_file(const char *tmp, const char *final)
{
	char buf[STORE_PATH_MAX], base[STORE_PATH_MAX];
	size_t blen;
	unsigned seq;
	int n;

	if (link(tmp, final) == 0) {
		unlink(tmp);
		return strdup(final);
	}
	if (errno != EEXIST) {
		/* A filesystem without hard links: rename, after making
		 * sure the name is free (nobody else writes here). */
		if (access(final, F_OK) == -1 && rename(tmp, final) == 0)
			return strdup(final);
		if (errno != EEXIST && access(final, F_OK) == -1)
			return NULL;
	}
	/* Taken (a file of an earlier run with the same period start):
	 * the next free -N. */
	blen = strlen(final) - strlen(STORE_NAME_EXT);
	if (blen >= sizeof(base))
		return NULL;
	memcpy(base, final, blen);
	base[blen] = '\0';
	for (seq = 1; seq < 100000; seq++) {
		n = snprintf(buf, sizeof(buf), "%s-%u" STORE_NAME_EXT, base,
			     seq);
		if (n < 0 || (size_t)n >= sizeof(buf)) {
			errno = ENAMETOOLONG;
			return NULL;
		}
		if (link(tmp, buf) == 0) {
			unlink(tmp);
			return strdup(buf);
		}
		if (errno != EEXIST) {
			if (access(buf, F_OK) == -1 && rename(tmp, buf) == 0)
				return strdup(buf);
			if (access(buf, F_OK) == -1)
				return NULL;
		}
	}
	errno = EEXIST;
	return NULL;
}

static void finish(struct store_writer *w, struct finish_job *j)
{
	char *placed;
	int e;
	int r;

	if (fsync(j->fd) == -1) {
		e = errno;
		count(&w->st_errors, 1);
		notify(w, LOG_WARNING, "%s: fsync: %s", j->tmp_path,
		       strerror(e));
	}
	close(j->fd);
	r = compact(w, j->tmp_path);
	if (r == 1) {
		count(&w->st_compacted, 1);
	} else if (r < 0) {
		count(&w->st_not_compacted, 1);
		notify(w, LOG_WARNING, "%s: not compacted: %s (kept as "
		       "written)", j->tmp_path, strerror(-r));
	}
	placed = place_file(j->tmp_path, j->final_path);
	if (placed == NULL) {
		e = errno;
		count(&w->st_errors, 1);
		notify(w, LOG_WARNING, "%s: cannot rename into place: %s",
		       j->tmp_path, strerror(e));
		return;
	}
	(void)store_fsync_dir(j->day_dir);
	count(&w->st_files, 1);
	notify(w, LOG_DEBUG, "stored %s (%" PRIu64 " records)", placed,
	       j->records);
	free(placed);
}

/* Deletes finished files, oldest first, while they are older than
 * expire_age or the tree is larger than expire_size. */
static void expire(struct store_writer *w, uint64_t now_ms)
{
	struct store_entry *e;
	uint64_t total = 0, age = w->o.expire_age_ms;
	size_t n, i;
	bool by_age, by_size;
	int r;

	if (w->o.expire_size == 0 && age == 0)
		return;
	r = store_tree_scan(w->dir, &e, &n);
	if (r != 0) {
		notify(w, LOG_WARNING, "%s: expiry scan: %s", w->dir,
		       strerror(-r));
		return;
	}
	for (i = 0; i < n; i++)
		total += e[i].size;
	for (i = 0; i < n; i++) {
		if (e[i].current)
			continue;	/* being written, or its owner's */
		by_age = age != 0 && now_ms > age &&
		    e[i].start_ms + w->rotate_ms <= now_ms - age;
		by_size = w->o.expire_size != 0 && total > w->o.expire_size;
		if (!by_age && !by_size)
			break;	/* the rest is younger, and the tree fits */
		if (unlink(e[i].path) == -1) {
			notify(w, LOG_WARNING, "expire %s: %s", e[i].path,
			       strerror(errno));
			continue;
		}
		total -= e[i].size;
		count(&w->st_expired, 1);
		notify(w, LOG_INFO, "expired %s (%" PRIu64 " bytes, %s)",
		       e[i].path, e[i].size, by_age ? "--expire-age" :
		       "--expire-size");
		store_prune_dirs(w->dir, e[i].path);
	}
	store_entries_free(e, n);
}

static void *fin_main(void *arg)
{
	struct store_writer *w = arg;
	struct finish_job *jobs, *j;
	uint64_t last_now = 0;
	bool stop;

	pthread_mutex_lock(&w->smu);
	for (;;) {
		while (w->jobs == NULL && !w->stop_fin)
			pthread_cond_wait(&w->fcv, &w->smu);
		jobs = w->jobs;
		w->jobs = NULL;
		w->jobs_tail = &w->jobs;
		stop = w->stop_fin;
		pthread_mutex_unlock(&w->smu);
		while ((j = jobs) != NULL) {
			jobs = j->next;
			finish(w, j);
			last_now = j->now_ms;
			free_job(j);
			if (jobs == NULL)
				expire(w, last_now);
		}
		pthread_mutex_lock(&w->smu);
		if (stop && w->jobs == NULL)
			break;
	}
	pthread_mutex_unlock(&w->smu);
	return NULL;
}

/* ---- sync thread --------------------------------------------------------------- */

/* fdatasync of the current file every sync_ms: on its own thread, so that
 * a compaction or an expiry never delays it. */
static void *sync_main(void *arg)
{
	struct store_writer *w = arg;
	struct timespec ts;
	int fd;
	bool stop, dir_synced = false;
	char *dir = NULL;

	pthread_mutex_lock(&w->smu);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += w->o.sync_ms / 1000;
		ts.tv_nsec += (long)(w->o.sync_ms % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		while (!w->stop_sync)
			if (pthread_cond_timedwait(&w->scv, &w->smu, &ts) ==
			    ETIMEDOUT)
				break;
		stop = w->stop_sync;
		/* Sync through a descriptor of our own: the writer may
		 * move on to the next file meanwhile. */
		fd = w->sync_fd != -1 ? dup(w->sync_fd) : -1;
		if (w->sync_dir != NULL && (dir == NULL ||
					    strcmp(dir, w->sync_dir) != 0)) {
			free(dir);
			dir = strdup(w->sync_dir);
			dir_synced = false;
		}
		pthread_mutex_unlock(&w->smu);

		if (fd != -1 && atomic_exchange(&w->dirty, false)) {
			if (fdatasync(fd) == -1)
				count(&w->st_errors, 1);
			/* The new file's name is durable too. */
			if (!dir_synced && dir != NULL)
				dir_synced = store_fsync_dir(dir) == 0;
		}
		if (fd != -1)
			close(fd);
		pthread_mutex_lock(&w->smu);
		if (stop)
			break;
	}
	pthread_mutex_unlock(&w->smu);
	free(dir);
	return NULL;
}

/* ---- open and close ---------------------------------------------------------- */

/* Files a crash left as .current: renamed into place (they stay
 * readable up to their last whole block) so a new run never writes to or
 * past them. */
static void recover(struct store_writer *w)
{
	struct store_entry *e;
	char fin[STORE_PATH_MAX], cpt[STORE_PATH_MAX + 16], *placed;
	size_t n, i, len;

	if (store_tree_scan(w->dir, &e, &n) != 0)
		return;
	for (i = 0; i < n; i++) {
		if (!e[i].current)
			continue;
		len = strlen(e[i].path) - strlen(STORE_SUFFIX_CURRENT);
		if (len >= sizeof(fin))
			continue;
		memcpy(fin, e[i].path, len);
		fin[len] = '\0';
		/* A compaction the crash cut short: the .current is whole. */
		if (snprintf(cpt, sizeof(cpt), "%s" STORE_SUFFIX_COMPACT,
			     e[i].path) < (int)sizeof(cpt))
			(void)unlink(cpt);
		placed = place_file(e[i].path, fin);
		if (placed == NULL) {
			notify(w, LOG_WARNING, "%s: cannot rename a file of "
			       "an earlier run: %s", e[i].path,
			       strerror(errno));
			continue;
		}
		notify(w, LOG_INFO, "%s: left unfinished by an earlier run, "
		       "kept as %s", e[i].path, placed);
		free(placed);
	}
	store_entries_free(e, n);
}

static void writer_free(struct store_writer *w)
{
	uint32_t i;

	if (w->blocks != NULL)
		for (i = 0; i < w->nbuf; i++)
			free(w->blocks[i].recs);
	free(w->blocks);
	free(w->q);
	free(w->free_blk);
	free(w->loss);
	free(w->exp);
	free(w->hash);
	free(w->boffs);
	free(w->cboffs);
	free(w->crecs);
	free(w->cidx);
	benc_clear(&w->be);
	benc_clear(&w->ce);
	free(w->idx);
	free(w->sync_dir);
	free(w->tmp_path);
	free(w->final_path);
	free(w->day_dir);
	if (w->sync_fd != -1)
		close(w->sync_fd);
	free(w->dir);
	free(w);
}

struct store_writer *store_writer_open(const struct store_writer_opts *o,
				       char *err, size_t errlen)
{
	struct store_writer *w;
	pthread_condattr_t ca;
	uint32_t i;
	int r;

	if (o->dir == NULL || o->dir[0] == '\0') {
		store_seterr(err, errlen, "no directory");
		errno = EINVAL;
		return NULL;
	}
	if (o->block_records > STORE_BLOCK_MAX / STORE_COMPACT_FACTOR) {
		store_seterr(err, errlen, "block_records %" PRIu32 " above %u",
			     o->block_records,
			     STORE_BLOCK_MAX / STORE_COMPACT_FACTOR);
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		goto nomem;
	w->o = *o;
	w->fd = -1;
	w->sync_fd = -1;
	w->cur = -1;
	w->jobs_tail = &w->jobs;
	w->dir = strdup(o->dir);
	w->rotate_ms = (uint64_t)(o->rotate_s != 0 ? o->rotate_s : 300) * 1000;
	if (w->o.sync_ms == 0)
		w->o.sync_ms = 1000;
	/* Half of sync_ms: with the collector's ticks several times a
	 * second, a record is handed to the writer well within sync_ms. */
	w->handoff_ms = w->o.sync_ms / 2;
	w->cap = o->block_records != 0 ? o->block_records :
	    STORE_BLOCK_RECORDS;
	w->ccap = w->cap * STORE_COMPACT_FACTOR;
	w->nbuf = o->buffers != 0 ? o->buffers : STORE_BUFFERS;
	if (w->nbuf < 2)
		w->nbuf = 2;
	w->qcap = w->nbuf + 4;
	if (w->dir == NULL)
		goto nomem_w;
	r = store_mkdirs(w->dir);
	if (r != 0) {
		store_seterr(err, errlen, "%s: %s", o->dir, strerror(-r));
		writer_free(w);
		errno = -r;
		return NULL;
	}
	w->blocks = calloc(w->nbuf, sizeof(*w->blocks));
	w->q = calloc(w->qcap, sizeof(*w->q));
	w->free_blk = calloc(w->nbuf, sizeof(*w->free_blk));
	w->idx = calloc(w->cap, sizeof(*w->idx));
	if (w->blocks == NULL || w->q == NULL || w->free_blk == NULL ||
	    w->idx == NULL)
		goto nomem_w;
	for (i = 0; i < w->nbuf; i++) {
		w->blocks[i].recs = malloc((size_t)w->cap *
					   sizeof(struct tflow_record));
		if (w->blocks[i].recs == NULL)
			goto nomem_w;
		w->free_blk[i] = w->nbuf - 1 - i;
	}
	w->n_free = w->nbuf;
	atomic_store(&w->free_hint, w->nbuf);
	if (benc_init(&w->be, w->cap, o->zstd_level) != 0)
		goto nomem_w;
	pthread_mutex_init(&w->prod_lock, NULL);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	pthread_mutex_init(&w->loss_mu, NULL);
	pthread_mutex_init(&w->smu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->scv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&w->fcv, NULL);

	recover(w);
	r = pthread_create(&w->sthr, NULL, sync_main, w);
	if (r == 0) {
		w->sthr_started = true;
		r = pthread_create(&w->fthr, NULL, fin_main, w);
	}
	if (r == 0) {
		w->fthr_started = true;
		r = pthread_create(&w->thr, NULL, writer_main, w);
		w->thr_started = r == 0;
	}
	if (r != 0) {
		store_seterr(err, errlen, "cannot start the writer: %s",
		       strerror(r));
		store_writer_close(w);
		errno = r;
		return NULL;
	}
	return w;
nomem_w:
	writer_free(w);
nomem:
	store_seterr(err, errlen, "out of memory");
	errno = ENOMEM;
	return NULL;
}

int store_writer_close(struct store_writer *w)
{
	return store_writer_close_stats(w, NULL);
}

int store_writer_close_stats(struct store_writer *w,
			     struct store_writer_stats *final)
{
	struct item it = { ITEM_STOP, 0, 0, 0 };
	struct store_writer_stats st;
	struct timespec ts;

	if (w == NULL)
		return 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	it.now_ms = (uint64_t)ts.tv_sec * 1000 +
	    (uint64_t)ts.tv_nsec / 1000000;
	if (w->thr_started) {
		if (w->cur >= 0 && w->blocks[w->cur].n != 0)
			handoff(w, w->p_start != 0 ? w->p_start : it.now_ms);
		/* The close happens at the producer's time, not the
		 * wall clock's (they differ in tests). */
		if (w->p_start != 0)
			it.now_ms = w->p_start;
		pthread_mutex_lock(&w->mu);
		push_locked(w, &it);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->thr, NULL);
	}
	if (w->fthr_started) {
		pthread_mutex_lock(&w->smu);
		w->stop_fin = true;
		pthread_cond_signal(&w->fcv);
		pthread_mutex_unlock(&w->smu);
		pthread_join(w->fthr, NULL);
	}
	if (w->sthr_started) {
		pthread_mutex_lock(&w->smu);
		w->stop_sync = true;
		pthread_cond_signal(&w->scv);
		pthread_mutex_unlock(&w->smu);
		pthread_join(w->sthr, NULL);
	}
	store_writer_get_stats(w, &st);
	if (final != NULL)
		*final = st;
	pthread_mutex_destroy(&w->prod_lock);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->loss_mu);
	pthread_mutex_destroy(&w->smu);
	pthread_cond_destroy(&w->scv);
	pthread_cond_destroy(&w->fcv);
	writer_free(w);
	return st.write_errors != 0 ? -EIO : 0;
}
