/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lineedit: a small line editor for tflow's interactive shell, on raw
 * termios, so that tflow needs neither readline (GPL) nor libedit on an
 * OpenWrt image.  It knows left/right, home/end (and ^A/^E), backspace,
 * delete, ^U/^K, up/down history, Tab completion through a callback, ^C
 * (drop the line) and ^D (end, on an empty line).  The terminal is raw
 * only inside lineedit_read(): commands run with the terminal as it was,
 * so ^C during `monitor` is a signal as usual.
 *
 * The line is drawn on one terminal row; a line wider than the terminal
 * wraps and redraws less tidily (no multi-row bookkeeping).
 */
#ifndef TFLOW_LINEEDIT_H
#define TFLOW_LINEEDIT_H

#include <stddef.h>

#define LINEEDIT_MAX		4096	/* bytes in a line, NUL included */
#define LINEEDIT_HISTORY	500	/* lines kept */
#define LINEEDIT_CHOICES	64

/* What Tab may insert at the cursor. */
struct lineedit_choices {
	size_t start;			/* offset of the word being completed */
	unsigned n;
	const char *words[LINEEDIT_CHOICES];
	char suffix[LINEEDIT_CHOICES];	/* appended after a unique word, 0 none */
};

/* Fill *c for buf[0, cursor); return c->n. */
typedef unsigned (*lineedit_complete_fn)(void *ctx, const char *buf,
					 size_t cursor,
					 struct lineedit_choices *c);

struct lineedit;

/*
 * An editor on terminal fds in and out.  history_path (may be NULL): lines
 * are loaded from it and appended to it when it is writable.  NULL with
 * errno when `in` is not a terminal (ENOTTY) or on ENOMEM.
 */
struct lineedit *lineedit_new(int in, int out, const char *history_path,
			      lineedit_complete_fn complete, void *ctx);
void lineedit_free(struct lineedit *le);

#define LINEEDIT_EOF	(-1)	/* ^D on an empty line, or end of input */
#define LINEEDIT_INTR	(-2)	/* ^C: the line was dropped */

/* Show prompt and edit a line into buf (LINEEDIT_MAX bytes, NUL-ended).
 * Returns its length, LINEEDIT_EOF, LINEEDIT_INTR or -errno. */
int lineedit_read(struct lineedit *le, const char *prompt, char *buf);

/* Remember a line (not empty, not the same as the last one). */
void lineedit_history_add(struct lineedit *le, const char *line);

#endif
