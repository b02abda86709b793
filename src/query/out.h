/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * out: rows of named cells in tflow-query's three formats: text (columns
 * aligned, numbers right-aligned), JSON (one object a line, numbers bare,
 * the rest quoted and escaped) and CSV (a header row of the names, fields
 * quoted when they need it).  Aggregates, reports and raw records with
 * --fields all print through it, so the formats agree everywhere.
 */
#ifndef TFLOW_QUERY_OUT_H
#define TFLOW_QUERY_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "record_fmt.h"

#define OUT_MAX_COLS	64
#define OUT_CELL	64	/* longest cell text, NUL included */

struct out {
	enum record_fmt fmt;
	FILE *f;
	size_t n;
	const char *names[OUT_MAX_COLS];
	bool numeric[OUT_MAX_COLS];	/* JSON: unquoted; text: right-aligned */
	int width[OUT_MAX_COLS];	/* text */
};

/* n <= OUT_MAX_COLS columns; widths start at the names' lengths. */
void out_init(struct out *o, enum record_fmt fmt, FILE *f, size_t n,
	      const char *const *names, const bool *numeric);

/* Widen text columns to fit these cells (call for every row first to
 * align a whole table). */
void out_fit(struct out *o, char cells[][OUT_CELL]);

/* Header: text titles or the CSV names; nothing for JSON. */
void out_header(struct out *o);

/* One row.  A numeric cell that is empty prints as JSON null. */
void out_row(struct out *o, char cells[][OUT_CELL]);

#endif
