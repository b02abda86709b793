/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * store_int: what the store's own files share and nobody else needs: file
 * names and the directory tree (store_dir.c), the file header and chunk
 * helpers used by both the writer and the reader.
 */
#ifndef TFLOW_STORE_INT_H
#define TFLOW_STORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define STORE_PATH_MAX 4096
#define MS_PER_DAY (86400ULL * 1000)

/* One file of the tree, as store_tree_scan() finds it. */
struct store_entry {
	char *path;			/* malloc'd */
	uint64_t start_ms;		/* period start, from the name */
	uint64_t size;			/* bytes on disk */
	unsigned seq;			/* -N suffix, 0 none */
	bool current;			/* .current: being written or cut */
};

/* "DIR/YYYY/MM/DD" of a period start into buf.  0 or -ENAMETOOLONG. */
int store_day_dir(const char *dir, uint64_t start_ms, char *buf, size_t len);

/* "tflow-YYYYMMDDTHHMMSSZ[-N].tfs" into buf.  0 or -ENAMETOOLONG. */
int store_file_name(uint64_t start_ms, unsigned seq, char *buf, size_t len);

/* Parses a name made by store_file_name(), with or without the .current
 * suffix: 0, or -EINVAL for any other name. */
int store_name_parse(const char *name, uint64_t *start_ms, unsigned *seq,
		     bool *current);

/* mkdir -p of DIR/YYYY/MM/DD.  0 or -errno. */
int store_mkdirs(const char *path);

/* Every store file under dir, sorted oldest first (period start, then
 * suffix).  0 or -errno; free with store_entries_free(). */
int store_tree_scan(const char *dir, struct store_entry **out, size_t *n);
void store_entries_free(struct store_entry *e, size_t n);

/* fsync of a directory.  0 or -errno. */
int store_fsync_dir(const char *dir);

/* Removes now-empty DIR/YYYY/MM/DD, then MM and YYYY, of a file path. */
void store_prune_dirs(const char *dir, const char *file_path);

/* Reads the 64-byte header of an open file: 0, or -EBADMSG / -errno. */
int store_read_header(int fd, uint32_t *period_s, uint64_t *start_ms,
		      uint32_t *block_cap, char *err, size_t errlen);

/* The time range of a finished file from its trailer alone (cheap), or
 * -ENOENT when it has none (being written or cut). */
int store_peek_range(int fd, uint64_t *first_ms, uint64_t *last_ms);

/* Format a message into err (NULL or len 0: nothing), for the functions
 * that return -errno with a message. */
void store_seterr(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
