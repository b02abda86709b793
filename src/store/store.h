/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * store: flow records on disk, as tflow-collector --write stores them and
 * tflow-query reads them back.  The on-disk layout (file header, column-
 * compressed blocks with per-block summaries, exporter and loss tables) is
 * described in docs/design/storage.md and include/tflow/store_format.h.
 *
 * Files live under DIR/YYYY/MM/DD/, one per --rotate period, named by the
 * UTC start of their period.  A file being written is readable up to its
 * last complete block; a finished one is renamed into place atomically.
 *
 * Writer: the receive thread only appends records into an in-memory block;
 * full blocks are compressed and written, files rotated, fsynced and
 * expired by the writer's own thread, so the receive path never waits for
 * the disk.  Reader: blocks can be skipped by their summary, and a block is
 * decoded column by column into arrays (struct store_cols) so a filter
 * reads only the columns it needs.
 *
 * CHANGED (store engineer): additions only, the reader calls and struct
 * store_cols are as first published.  struct store_exporter gained
 * `lost_datagrams` (v9 counts sequence gaps in datagrams, not records);
 * struct store_file_info gained `damaged`; the writer gained options
 * (block size, buffers, a notify hook for log lines), store_writer_lock()
 * for several receive threads, a version and datagram count in
 * store_writer_note_loss(), store_writer_close_stats(), and
 * store_parse_size(); the reader gained store_file_reopen(); the writer
 * compacts finished files (compacted, not_compacted in the stats).
 */
#ifndef TFLOW_STORE_H
#define TFLOW_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tflow/record.h"

/* ------------------------------------------------------------------------
 * Writer (tflow-collector).
 */

struct store_writer_opts {
	const char *dir;		/* --write DIR */
	uint32_t rotate_s;		/* --rotate, default 300 */
	uint64_t expire_size;		/* --expire-size bytes, 0 = none */
	uint64_t expire_age_ms;		/* --expire-age, 0 = none */
	uint32_t sync_ms;		/* max age of unwritten records, default 1000 */
	uint32_t block_records;		/* records per block, 0: STORE_BLOCK_RECORDS */
	uint32_t buffers;		/* blocks in flight, 0: STORE_BUFFERS */
	int zstd_level;			/* 0: STORE_ZSTD_LEVEL */
	/* Called on the writer's threads with a line for the log: prio is
	 * a syslog priority (LOG_DEBUG a file finished, LOG_INFO a file
	 * expired or recovered, LOG_WARNING a write error); NULL: silent. */
	void (*notify)(void *arg, int prio, const char *msg);
	void *notify_arg;
};

#define STORE_BLOCK_RECORDS 32768
#define STORE_BUFFERS 8
#define STORE_ZSTD_LEVEL 3

struct store_writer;

/* Creates DIR if needed and starts the writer thread.  NULL with errno and
 * a message in err on failure. */
struct store_writer *store_writer_open(const struct store_writer_opts *o,
				       char *err, size_t errlen);

/*
 * Append one record (receive thread; never blocks on I/O).  now_ms is the
 * receive time, which decides the file (rotation is by arrival time, so a
 * file never gets records older than its predecessor's end).  The
 * writer's clock never goes back: a now_ms earlier than one already seen
 * (here or in store_writer_tick) counts as that latest time, so a stepped
 * back clock keeps records in the current period.  Returns 0 or
 * -ENOBUFS when the writer has fallen behind by more than its buffers
 * (the record is counted as lost by the writer, and said in its stats).
 */
int store_writer_add(struct store_writer *w, const struct tflow_record *r,
		     uint64_t now_ms);

/* Records (v5, IPFIX) or datagrams (v9) lost by sequence gaps for an
 * exporter since the last note, stored with the data of the current file
 * (receive thread). */
void store_writer_note_loss(struct store_writer *w, const uint8_t addr[16],
			    uint8_t family, uint16_t version, uint32_t domain,
			    uint64_t lost_records, uint64_t lost_datagrams);

/*
 * store_writer_add, _note_loss and _tick are for one producer at a time:
 * they take no lock per record.  With several receive threads, each holds
 * this lock around a batch of calls.
 */
void store_writer_lock(struct store_writer *w);
void store_writer_unlock(struct store_writer *w);

/* Let the writer see the time pass when nothing arrives (receive thread,
 * about once a second): rotation and the 1 s sync happen on time. */
void store_writer_tick(struct store_writer *w, uint64_t now_ms);

struct store_writer_stats {
	uint64_t records;		/* stored */
	uint64_t dropped;		/* -ENOBUFS */
	uint64_t files;			/* finished */
	uint64_t bytes;			/* written */
	uint64_t expired_files;
	uint64_t write_errors;
	uint64_t compacted;		/* see STORE_COMPACT_FACTOR */
	uint64_t not_compacted;
};
void store_writer_get_stats(struct store_writer *w,
			    struct store_writer_stats *out);

/*
 * Compaction (store_write.c): a finished file is rewritten with blocks of
 * STORE_COMPACT_FACTOR x block_records records before it is renamed into
 * place, on the writer's finish thread.  compacted: files rewritten;
 * not_compacted: files kept as written because compaction failed (a file
 * cut or damaged, no memory, a write error; said in a LOG_WARNING line).
 */
#define STORE_COMPACT_FACTOR 4
/* The most records a block holds: a writer takes block_records up to
 * STORE_BLOCK_MAX / STORE_COMPACT_FACTOR, and a reader treats a larger
 * block (or one above its file header's block capacity) as damage, so a
 * forged count cannot make it allocate gigabytes. */
#define STORE_BLOCK_MAX (1u << 20)
/* A file whose blocks are nearly full (7/8 on average) and hold at least
 * this many records each is not compacted. */
#define STORE_COMPACT_MIN_CAP 16384

/* Write what is buffered, finish the current file, stop the threads and
 * free w.  0, or -EIO when some write failed during the writer's life
 * (counted in write_errors). */
int store_writer_close(struct store_writer *w);

/* The same, and the final counters go to *final. */
int store_writer_close_stats(struct store_writer *w,
			     struct store_writer_stats *final);

/* ------------------------------------------------------------------------
 * Reader (tflow-query).
 */

struct store_file;

struct store_exporter {
	uint8_t addr[16];		/* IPv4: first 4 bytes */
	uint8_t family;			/* 4 or 6 */
	uint16_t version;
	uint32_t domain;
	uint64_t lost;			/* records lost by sequence gaps, this file */
	uint64_t lost_datagrams;	/* v9: datagrams lost, this file */
};

struct store_file_info {
	uint64_t first_ms, last_ms;	/* flow times covered (min first, max last) */
	uint64_t records;
	uint32_t n_blocks;		/* complete blocks */
	bool complete;			/* finished file (else: being written or cut) */
	bool damaged;			/* a damaged chunk ended the readable part */
	uint32_t n_exporters;
	const struct store_exporter *exporters;
};

/* What a block's header says, enough to skip it. */
struct store_block_summary {
	uint32_t records;
	uint64_t first_ms, last_ms;	/* min first, max last */
	uint8_t min_addr4[4], max_addr4[4];	/* over src and dst, IPv4 */
	bool has_v4, has_v6;
	uint8_t protos[32];		/* bitmap of protocols present */
};

enum store_col {
	STORE_COL_TIMES,		/* first_ms, last_ms */
	STORE_COL_SRC_ADDR,
	STORE_COL_DST_ADDR,
	STORE_COL_PORTS,		/* src_port, dst_port */
	STORE_COL_PROTO,		/* proto, ip_version */
	STORE_COL_TOS_FLAGS,		/* tos, tcp_flags */
	STORE_COL_COUNTERS,		/* packets, bytes */
	STORE_COL_IFACES,		/* in_if, out_if */
	STORE_COL_NEXT_HOP,
	STORE_COL_MASKS,		/* src_mask, dst_mask */
	STORE_COL_EXPORTER,		/* exporter index, sampling, vlan, misc */
	STORE_COL_PAIRS,		/* which records are another's reverse */
	STORE_COL_MAX
};
#define STORE_COLS_ALL ((1u << STORE_COL_MAX) - 1)

/* A decoded block: arrays of `n` values; only the requested columns are
 * valid.  The memory belongs to the store_file and is reused by the next
 * store_file_read_block(). */
struct store_cols {
	size_t n;
	uint64_t *first_ms, *last_ms;
	uint8_t (*src_addr)[16], (*dst_addr)[16], (*next_hop)[16];
	uint16_t *src_port, *dst_port;
	uint8_t *proto, *ip_version, *tos, *tcp_flags;
	uint64_t *packets, *bytes;
	uint32_t *in_if, *out_if;
	uint8_t *src_mask, *dst_mask;
	uint16_t *exporter;		/* index into store_file_info.exporters */
	uint32_t *sampling_packets, *sampling_space;
	uint16_t *vlan;
	uint8_t *end_reason, *time_estimated;
};

/* Open one file (finished, being written, or cut short by a crash: read up
 * to its last complete block).  0 or -errno with a message in err. */
int store_file_open(const char *path, struct store_file **out, char *err,
		    size_t errlen);
void store_file_close(struct store_file *f);

/*
 * Open another file in place of the one f has: the same as closing f and
 * opening path, but the decode memory (zstd context, buffers, column
 * arrays of the largest block seen) is kept, so a scan over many files
 * allocates and faults it in once.  0 or -errno with a message in err;
 * after a failure f holds no file (no blocks) and may be reopened again
 * or closed.  What store_file_info() and store_file_read_block() gave out
 * for the previous file is no longer valid.
 */
int store_file_reopen(struct store_file *f, const char *path, char *err,
		      size_t errlen);
const struct store_file_info *store_file_info(const struct store_file *f);

/* Advance to the next block and read its summary: 1, 0 at the end, or
 * -errno (a damaged block: the rest of the file is not read). */
int store_file_next_block(struct store_file *f,
			  struct store_block_summary *sum);

/* Decode the columns in mask (1u << STORE_COL_x) of the current block. */
int store_file_read_block(struct store_file *f, unsigned mask,
			  const struct store_cols **out);

/* Record i of a block decoded with STORE_COLS_ALL, as a struct. */
void store_cols_record(const struct store_file *f, const struct store_cols *c,
		       size_t i, struct tflow_record *out);

/*
 * The files of DIR whose period may hold flows in [from_ms, to_ms] (0 and
 * UINT64_MAX for no bound), oldest first, as malloc'd paths (free each and
 * the array).  0 or -errno.
 */
int store_dir_list(const char *dir, uint64_t from_ms, uint64_t to_ms,
		   char ***paths, size_t *n);

/* "100G", "512M", "4k", "2T", "12345" (bytes; binary multiples) -> 0, or
 * -EINVAL. */
int store_parse_size(const char *s, uint64_t *out);

#endif
