/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lineedit: raw-termios line editing.  The edit buffer is redrawn whole
 * after every key (carriage return, prompt, text, erase to end of line,
 * cursor back): a terminal line is short and this keeps the state machine
 * to "buffer + cursor", with no cursor arithmetic to get wrong.
 */
#include "lineedit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define KEY_CTRL(c)	((c) & 0x1f)

struct lineedit {
	int in, out;
	char *history_path;
	lineedit_complete_fn complete;
	void *ctx;
	unsigned n_hist;
	char *hist[LINEEDIT_HISTORY];	/* oldest first */
	/* the line being edited */
	const char *prompt;
	char *buf;
	size_t len, pos;
};

static void hist_push(struct lineedit *le, const char *line)
{
	char *copy;

	if (line[0] == '\0' || (le->n_hist > 0 &&
	    strcmp(le->hist[le->n_hist - 1], line) == 0))
		return;
	copy = strdup(line);
	if (copy == NULL)
		return;
	if (le->n_hist == LINEEDIT_HISTORY) {
		free(le->hist[0]);
		memmove(le->hist, le->hist + 1,
			(LINEEDIT_HISTORY - 1) * sizeof(le->hist[0]));
		le->n_hist--;
	}
	le->hist[le->n_hist++] = copy;
}

static void hist_load(struct lineedit *le)
{
	char line[LINEEDIT_MAX];
	FILE *f;

	f = fopen(le->history_path, "re");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		hist_push(le, line);
	}
	fclose(f);
}

struct lineedit *lineedit_new(int in, int out, const char *history_path,
			      lineedit_complete_fn complete, void *ctx)
{
	struct lineedit *le;

	if (!isatty(in)) {
		errno = ENOTTY;
		return NULL;
	}
	le = calloc(1, sizeof(*le));
	if (le == NULL)
		return NULL;
	le->in = in;
	le->out = out;
	le->complete = complete;
	le->ctx = ctx;
	if (history_path != NULL) {
		le->history_path = strdup(history_path);
		if (le->history_path != NULL)
			hist_load(le);
	}
	return le;
}

void lineedit_free(struct lineedit *le)
{
	unsigned i;

	if (le == NULL)
		return;
	for (i = 0; i < le->n_hist; i++)
		free(le->hist[i]);
	free(le->history_path);
	free(le);
}

void lineedit_history_add(struct lineedit *le, const char *line)
{
	unsigned before = le->n_hist;
	int fd;

	hist_push(le, line);
	if (le->history_path == NULL || (le->n_hist == before &&
	    before < LINEEDIT_HISTORY))
		return;
	/* the file only grows by appends; 0600: commands may be private */
	fd = open(le->history_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		  0600);
	if (fd == -1)
		return;
	if (write(fd, line, strlen(line)) == -1 || write(fd, "\n", 1) == -1) {
		/* an unwritable history is no reason to fail a command */
	}
	close(fd);
}

/* Write all of s; a terminal that fails is dealt with by the next read. */
static void out_str(struct lineedit *le, const char *s, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(le->out, s, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void refresh(struct lineedit *le)
{
	char seq[32];

	out_str(le, "\r", 1);
	out_str(le, le->prompt, strlen(le->prompt));
	out_str(le, le->buf, le->len);
	out_str(le, "\033[K", 3);
	if (le->len > le->pos) {
		snprintf(seq, sizeof(seq), "\033[%zuD", le->len - le->pos);
		out_str(le, seq, strlen(seq));
	}
}

static void insert(struct lineedit *le, const char *s, size_t n)
{
	if (le->len + n >= LINEEDIT_MAX)
		return;
	memmove(le->buf + le->pos + n, le->buf + le->pos, le->len - le->pos);
	memcpy(le->buf + le->pos, s, n);
	le->pos += n;
	le->len += n;
	le->buf[le->len] = '\0';
}

static void delete_at(struct lineedit *le, size_t at, size_t n)
{
	if (at >= le->len)
		return;
	if (n > le->len - at)
		n = le->len - at;
	memmove(le->buf + at, le->buf + at + n, le->len - at - n);
	le->len -= n;
	le->buf[le->len] = '\0';
	if (le->pos > at)
		le->pos = le->pos > at + n ? le->pos - n : at;
}

static void set_line(struct lineedit *le, const char *s)
{
	size_t n = strlen(s);

	if (n >= LINEEDIT_MAX)
		n = LINEEDIT_MAX - 1;
	memcpy(le->buf, s, n);
	le->buf[n] = '\0';
	le->len = le->pos = n;
}

/* Tab: a unique word is completed with its suffix; several are completed
 * to their common prefix, or listed when there is nothing to add. */
static void complete(struct lineedit *le)
{
	struct lineedit_choices c;
	size_t typed, common, j;
	unsigned k;

	if (le->complete == NULL)
		return;
	memset(&c, 0, sizeof(c));
	if (le->complete(le->ctx, le->buf, le->pos, &c) == 0 ||
	    c.start > le->pos)
		return;
	typed = le->pos - c.start;
	if (c.n == 1) {
		if (strlen(c.words[0]) > typed)
			insert(le, c.words[0] + typed,
			       strlen(c.words[0]) - typed);
		if (c.suffix[0] != '\0' &&
		    le->buf[le->pos] != c.suffix[0])
			insert(le, &c.suffix[0], 1);
		return;
	}
	common = strlen(c.words[0]);
	for (k = 1; k < c.n; k++) {
		for (j = 0; j < common && c.words[k][j] == c.words[0][j]; j++)
			;
		common = j;
	}
	if (common > typed) {
		insert(le, c.words[0] + typed, common - typed);
		return;
	}
	out_str(le, "\r\n", 2);
	for (k = 0; k < c.n; k++) {
		out_str(le, c.words[k], strlen(c.words[k]));
		out_str(le, "  ", 2);
	}
	out_str(le, "\r\n", 2);
}

/* One byte, or -1 at the end of input; EINTR is retried (the shell's
 * SIGINT handler does not restart reads). */
static int read_byte(struct lineedit *le)
{
	unsigned char c;
	ssize_t n;

	for (;;) {
		n = read(le->in, &c, 1);
		if (n == 1)
			return c;
		if (n == -1 && errno == EINTR)
			continue;
		return -1;
	}
}

/* After ESC: the arrow and editing keys of xterm and the vt100 family. */
static void escape(struct lineedit *le, unsigned *hist_at)
{
	int a, b, c;

	a = read_byte(le);
	if (a != '[' && a != 'O')
		return;
	b = read_byte(le);
	if (b >= '0' && b <= '9') {
		c = read_byte(le);
		if (c != '~')
			return;
		if (b == '3')
			delete_at(le, le->pos, 1);
		else if (b == '1' || b == '7')
			le->pos = 0;
		else if (b == '4' || b == '8')
			le->pos = le->len;
		return;
	}
	switch (b) {
	case 'A':	/* up: older */
		if (*hist_at > 0)
			set_line(le, le->hist[--*hist_at]);
		break;
	case 'B':	/* down: newer, then an empty line */
		if (*hist_at < le->n_hist) {
			++*hist_at;
			set_line(le, *hist_at < le->n_hist ?
				 le->hist[*hist_at] : "");
		}
		break;
	case 'C':
		if (le->pos < le->len)
			le->pos++;
		break;
	case 'D':
		if (le->pos > 0)
			le->pos--;
		break;
	case 'H':
		le->pos = 0;
		break;
	case 'F':
		le->pos = le->len;
		break;
	default:
		break;
	}
}

int lineedit_read(struct lineedit *le, const char *prompt, char *buf)
{
	struct termios saved, raw;
	unsigned hist_at = le->n_hist;
	int c, rc;
	char ch;

	if (tcgetattr(le->in, &saved) == -1)
		return -errno;
	raw = saved;
	/* bytes as typed: no echo, no line discipline, ^C and ^Z as bytes,
	 * CR not turned into NL; output processing stays (NL -> CRLF) */
	raw.c_lflag &= ~(tcflag_t)(ECHO | ICANON | ISIG | IEXTEN);
	raw.c_iflag &= ~(tcflag_t)(IXON | ICRNL | INLCR | BRKINT | ISTRIP);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(le->in, TCSAFLUSH, &raw) == -1)
		return -errno;

	le->prompt = prompt;
	le->buf = buf;
	le->len = le->pos = 0;
	buf[0] = '\0';
	refresh(le);
	for (;;) {
		c = read_byte(le);
		switch (c) {
		case -1:
			rc = LINEEDIT_EOF;
			goto done;
		case '\r':
		case '\n':
			rc = (int)le->len;
			goto done;
		case KEY_CTRL('C'):
			out_str(le, "^C", 2);
			le->len = le->pos = 0;
			buf[0] = '\0';
			rc = LINEEDIT_INTR;
			goto done;
		case KEY_CTRL('D'):
			if (le->len == 0) {
				rc = LINEEDIT_EOF;
				goto done;
			}
			delete_at(le, le->pos, 1);
			break;
		case 127:
		case KEY_CTRL('H'):
			if (le->pos > 0)
				delete_at(le, le->pos - 1, 1);
			break;
		case KEY_CTRL('A'):
			le->pos = 0;
			break;
		case KEY_CTRL('E'):
			le->pos = le->len;
			break;
		case KEY_CTRL('B'):
			if (le->pos > 0)
				le->pos--;
			break;
		case KEY_CTRL('F'):
			if (le->pos < le->len)
				le->pos++;
			break;
		case KEY_CTRL('U'):
			delete_at(le, 0, le->pos);
			break;
		case KEY_CTRL('K'):
			delete_at(le, le->pos, le->len - le->pos);
			break;
		case KEY_CTRL('L'):
			out_str(le, "\033[H\033[2J", 7);
			break;
		case '\t':
			complete(le);
			break;
		case 27:
			escape(le, &hist_at);
			break;
		default:
			if (c >= 32) {
				ch = (char)c;
				insert(le, &ch, 1);
			}
			break;
		}
		refresh(le);
	}
done:
	out_str(le, "\r\n", 2);
	tcsetattr(le->in, TCSAFLUSH, &saved);
	return rc;
}
