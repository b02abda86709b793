/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * shell: what tflow does with command lines, whoever runs them.  A
 * backend runs one full command line (tflowd over the control socket, or
 * a config file with --offline); the shell adds the RouterOS manners on
 * top: a current menu that relative commands start from, `..` and `/`,
 * `quit`, `monitor` refreshing every second until ^C, and the prompt,
 * history and Tab completion of an interactive session.
 */
#ifndef TFLOW_SHELL_H
#define TFLOW_SHELL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct shell_backend {
	/*
	 * Run `line` (absolute, or relative to the root menu).  Output goes
	 * to stdout, errors to stderr in RouterOS's words, their column
	 * counted from byte `typed_at` of line (where what the operator
	 * typed starts, after the menu the shell put before it).  Returns 0,
	 * 1 when the command failed (said on stderr), or -errno when the
	 * backend is gone (said on stderr too).
	 */
	int (*run)(void *ctx, const char *line, size_t len, size_t typed_at);
	void *ctx;
};

/* One command line from argv (tflow COMMAND...), monitor looping.
 * Returns the exit status. */
int shell_one(const struct shell_backend *be, const char *line);

/* Lines from `in` until EOF or quit: an editor with prompt, history and
 * completion when in is a terminal, plain lines otherwise.  Returns the
 * exit status: 0, or 1 when a command failed (not interactive). */
int shell_loop(const struct shell_backend *be, FILE *in);

/* Write error position text: "MSG (line L column C)" as RouterOS does,
 * or MSG alone when line is 0. */
void shell_print_error(const char *msg, unsigned line, unsigned column,
		       size_t typed_at);

#endif
