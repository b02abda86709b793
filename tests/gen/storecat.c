/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tflow-storecat: prints the records of store files (tflow-collector
 * --write) as JSON lines through record_fmt, the same keys as
 * tflow-collector --format json, so tests can compare what was stored with
 * what was received.  A test tool, not an interface: tflow-query is the
 * operator's reader.
 *
 *   tflow-storecat [-i] FILE|DIR...
 *
 * A directory is listed with store_dir_list().  -i prints one line per
 * file instead: path, complete, damaged, blocks, records, first and last
 * ms, and per exporter "exporter=ADDR/VERSION/DOMAIN lost=N lost_dgrams=N".
 * Exit 1 when a file cannot be opened or a block is damaged (the records
 * before it are printed).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "record_fmt.h"
#include "store.h"

static int cat_file(const char *path, int info_only)
{
	const struct store_file_info *fi;
	struct store_block_summary sum;
	const struct store_cols *c;
	struct store_file *f;
	struct tflow_record rec;
	char err[512], buf[RECORD_FMT_MAX], a[64];
	uint32_t i;
	size_t k;
	int r, status = 0;

	r = store_file_open(path, &f, err, sizeof(err));
	if (r != 0) {
		fprintf(stderr, "tflow-storecat: %s\n", err);
		return 1;
	}
	fi = store_file_info(f);
	if (info_only) {
		printf("%s complete=%d damaged=%d blocks=%" PRIu32
		       " records=%" PRIu64 " first=%" PRIu64 " last=%" PRIu64,
		       path, fi->complete, fi->damaged, fi->n_blocks,
		       fi->records, fi->first_ms, fi->last_ms);
		for (i = 0; i < fi->n_exporters; i++) {
			record_fmt_addr(fi->exporters[i].addr,
					fi->exporters[i].family, a, sizeof(a));
			printf(" exporter=%s/%u/%" PRIu32 " lost=%" PRIu64
			       " lost_dgrams=%" PRIu64, a,
			       fi->exporters[i].version,
			       fi->exporters[i].domain, fi->exporters[i].lost,
			       fi->exporters[i].lost_datagrams);
		}
		putchar('\n');
		store_file_close(f);
		return 0;
	}
	while ((r = store_file_next_block(f, &sum)) == 1) {
		r = store_file_read_block(f, STORE_COLS_ALL, &c);
		if (r != 0)
			break;
		for (k = 0; k < c->n; k++) {
			store_cols_record(f, c, k, &rec);
			record_fmt_line(RECORD_FMT_JSON, &rec, buf,
					sizeof(buf));
			fputs(buf, stdout);
		}
	}
	if (r < 0) {
		fprintf(stderr, "tflow-storecat: %s: damaged block: %s\n",
			path, strerror(-r));
		status = 1;
	}
	store_file_close(f);
	return status;
}

int main(int argc, char **argv)
{
	struct stat st;
	char **paths;
	size_t n, k;
	int i, r, status = 0, info = 0;

	if (argc > 1 && strcmp(argv[1], "-i") == 0) {
		info = 1;
		argv++;
		argc--;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: tflow-storecat [-i] FILE|DIR...\n");
		return 2;
	}
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			r = store_dir_list(argv[i], 0, UINT64_MAX, &paths, &n);
			if (r != 0) {
				fprintf(stderr, "tflow-storecat: %s: %s\n",
					argv[i], strerror(-r));
				status = 1;
				continue;
			}
			for (k = 0; k < n; k++) {
				status |= cat_file(paths[k], info);
				free(paths[k]);
			}
			free(paths);
		} else {
			status |= cat_file(argv[i], info);
		}
	}
	if (fflush(stdout) != 0)
		status = 1;
	return status;
}
