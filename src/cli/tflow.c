/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tflow: the RouterOS-style command line for tflowd's configuration.
 *
 *   tflow [-S SOCKET] [COMMAND...]      tflowd over its control socket
 *   tflow --offline [-c FILE] [COMMAND...]   a config file, no daemon
 *
 * With a COMMAND it runs that one line and exits non-zero when it failed,
 * the error on stderr as RouterOS words it.  Without one it is a shell
 * (shell.c): a prompt with the current menu, history and Tab completion
 * on a terminal, or plain lines read one by one from a pipe.
 *
 * Over the socket every line is one CTL_REQ_COMMAND frame, answered by
 * output frames and a final DONE or ERROR (ctl.h, docs/design/control.md).
 * Offline, the file is read once, each line runs through the same parser
 * (conf_run_command()), and a change is written back atomically
 * (conf_save()); a command that fails never reaches the disk.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "conf.h"
#include "conf_save.h"
#include "ctl.h"
#include "shell.h"

#define TFLOW_DEFAULT_CONFIG	"/etc/tflow/tflow.rsc"
#define TFLOW_DEFAULT_SOCKET	CTL_DEFAULT_SOCKET
/* A command line is a few hundred bytes; this bounds a runaway argv. */
#define TFLOW_LINE_MAX		(64 * 1024)

static void usage(FILE *f)
{
	fprintf(f,
	    "usage: tflow [-S SOCKET] [COMMAND...]\n"
	    "       tflow --offline [-c FILE] [COMMAND...]\n"
	    "\n"
	    "  -c, --config FILE  config file for --offline (default %s)\n"
	    "  -o, --offline      edit and print FILE, no daemon needed\n"
	    "  -S, --socket PATH  tflowd control socket (default %s)\n"
	    "  -h, --help         this text\n"
	    "  -V, --version      print the version\n"
	    "\n"
	    "COMMAND is RouterOS script, e.g.\n"
	    "  /ip traffic-flow print\n"
	    "  /ip traffic-flow set enabled=yes cache-entries=4k\n"
	    "  /ip traffic-flow target add dst-address=192.0.2.1 version=9\n"
	    "  /ip traffic-flow target print detail\n"
	    "  /ip traffic-flow monitor\n"
	    "  /export\n"
	    "Without COMMAND: an interactive shell (quit or ^D to leave).\n",
	    TFLOW_DEFAULT_CONFIG, TFLOW_DEFAULT_SOCKET);
}

/* Bytes that make the lexer end or split a value: such a value is quoted. */
static bool needs_quotes(const char *v)
{
	if (*v == '\0')
		return true;
	return strpbrk(v, " \t\r\n;#\"\\$?") != NULL;
}

/* Append `v` as a "quoted" RouterOS string with escapes. */
static int put_quoted(char *buf, size_t size, size_t *used, const char *v)
{
	int n;

	if (*used + 1 >= size)
		return -E2BIG;
	buf[(*used)++] = '"';
	for (; *v != '\0'; v++) {
		if (*v == '\n')
			n = snprintf(buf + *used, size - *used, "\\n");
		else if (*v == '\r' || *v == '\t')
			n = snprintf(buf + *used, size - *used, "\\%c",
			    *v == '\r' ? 'r' : 't');
		else if (strchr("\"\\$?", *v) != NULL)
			n = snprintf(buf + *used, size - *used, "\\%c", *v);
		else
			n = snprintf(buf + *used, size - *used, "%c", *v);
		if (n < 0 || (size_t)n >= size - *used)
			return -E2BIG;
		*used += (size_t)n;
	}
	if (*used + 1 >= size)
		return -E2BIG;
	buf[(*used)++] = '"';
	buf[*used] = '\0';
	return 0;
}

/*
 * Join argv words into one command line.  The shell already took the
 * operator's quotes off, so a word that needs them gets them back: the
 * value of name=value, or the whole word otherwise.
 */
static int join_words(char **words, int n, char *buf, size_t size)
{
	size_t used = 0, len;
	const char *eq;
	int i, rc;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0) {
			if (used + 1 >= size)
				return -E2BIG;
			buf[used++] = ' ';
			buf[used] = '\0';
		}
		eq = strchr(words[i], '=');
		/* bare, or quoted by the operator for RouterOS already */
		if (!needs_quotes(words[i]) || words[i][0] == '"' ||
		    (eq != NULL && eq[1] == '"')) {
			len = strlen(words[i]);
			if (used + len >= size)
				return -E2BIG;
			memcpy(buf + used, words[i], len + 1);
			used += len;
			continue;
		}
		if (eq != NULL && eq > words[i] &&
		    strcspn(words[i], " \t\r\n;#\"\\$?") >
		    (size_t)(eq - words[i])) {
			/* name="value" */
			len = (size_t)(eq - words[i]) + 1;
			if (used + len >= size)
				return -E2BIG;
			memcpy(buf + used, words[i], len);
			used += len;
			buf[used] = '\0';
			rc = put_quoted(buf, size, &used, eq + 1);
		} else
			rc = put_quoted(buf, size, &used, words[i]);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* ---- offline: a config file ------------------------------------------- */

struct offline {
	const char *path;
	struct tflow_config cfg;
};

/* Read the file once; a missing one is the defaults, created on the
 * first change.  0 or 1 (said on stderr). */
static int offline_load(struct offline *o)
{
	struct conf_error err;
	int rc;

	conf_init_defaults(&o->cfg);
	rc = conf_parse_file(o->path, &o->cfg, &err);
	if (rc == -ENOENT) {
		conf_init_defaults(&o->cfg);
		return 0;
	}
	if (rc == -EINVAL) {
		fprintf(stderr, "failure: %s: %s (line %u column %u)\n",
		    o->path, err.msg, err.line, err.column);
		return 1;
	}
	if (rc != 0) {
		fprintf(stderr, "failure: %s\n", err.msg);
		return 1;
	}
	return 0;
}

static int offline_run(void *ctx, const char *line, size_t len,
    size_t typed_at)
{
	struct offline *o = ctx;
	struct tflow_config *next;
	struct conf_error err;
	int rc;

	/* a copy: a change that cannot be saved is not kept either */
	next = malloc(sizeof(*next));
	if (next == NULL) {
		fprintf(stderr, "failure: out of memory\n");
		return 1;
	}
	memcpy(next, &o->cfg, sizeof(*next));
	rc = conf_run_command(next, line, len, stdout, NULL, &err);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "failure: stdout: %s\n", strerror(errno));
		free(next);
		return -EIO;
	}
	if (rc == -EINVAL) {
		shell_print_error(err.msg, err.line, err.column, typed_at);
		free(next);
		return 1;
	}
	if (rc < 0) {
		fprintf(stderr, "failure: %s\n", err.msg);
		free(next);
		return 1;
	}
	if (rc > 0 && (rc = conf_save(o->path, next)) != 0) {
		fprintf(stderr, "failure: cannot save %s: %s\n", o->path,
		    strerror(-rc));
		free(next);
		return 1;
	}
	memcpy(&o->cfg, next, sizeof(o->cfg));
	free(next);
	return 0;
}

/* ---- tflowd over the control socket ------------------------------------ */

struct client {
	const char *path;
	int fd;
	uint8_t *buf;		/* one frame */
};

static int client_connect(struct client *c)
{
	struct sockaddr_un sun;
	int rc;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(c->path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "failure: %s: socket path too long\n", c->path);
		return -ENAMETOOLONG;
	}
	memcpy(sun.sun_path, c->path, strlen(c->path) + 1);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd == -1) {
		rc = -errno;
		fprintf(stderr, "failure: socket: %s\n", strerror(-rc));
		return rc;
	}
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		rc = -errno;
		fprintf(stderr, "failure: cannot reach tflowd at %s: %s%s\n",
		    c->path, strerror(-rc), rc == -EACCES ?
		    " (tflow group or root only)" : rc == -ENOENT ||
		    rc == -ECONNREFUSED ? " (is tflowd running? "
		    "tflow --offline edits the file)" : "");
		close(c->fd);
		c->fd = -1;
		return rc;
	}
	return 0;
}

static int write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	ssize_t w;

	while (n > 0) {
		w = send(fd, b, n, MSG_NOSIGNAL);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			return -errno;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Exactly n bytes; -EPIPE at EOF.  EINTR (^C during monitor) retries:
 * an answer on its way is read to its end. */
static int read_all(int fd, void *p, size_t n)
{
	uint8_t *b = p;
	ssize_t r;

	while (n > 0) {
		r = recv(fd, b, n, 0);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -errno;
		if (r == 0)
			return -EPIPE;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static int client_run(void *ctx, const char *line, size_t len,
    size_t typed_at)
{
	struct client *c = ctx;
	uint8_t hdr[CTL_HDR_LEN];
	unsigned type;
	uint32_t n;
	int rc;

	if (len > CTL_FRAME_MAX) {
		fprintf(stderr, "failure: command line too long\n");
		return 1;
	}
	ctl_hdr_put(hdr, CTL_REQ_COMMAND, (uint32_t)len);
	if ((rc = write_all(c->fd, hdr, sizeof(hdr))) != 0 ||
	    (rc = write_all(c->fd, line, len)) != 0)
		goto lost;
	for (;;) {
		if ((rc = read_all(c->fd, hdr, sizeof(hdr))) != 0)
			goto lost;
		if ((rc = ctl_hdr_get(hdr, &type, &n)) != 0)
			goto lost;
		if ((rc = read_all(c->fd, c->buf, n)) != 0)
			goto lost;
		switch (type) {
		case CTL_REP_OUTPUT:
			fwrite(c->buf, 1, n, stdout);
			break;
		case CTL_REP_DONE:
			return fflush(stdout) == 0 ? 0 : -EIO;
		case CTL_REP_ERROR:
			if (n < 8) {
				rc = -EPROTO;
				goto lost;
			}
			fflush(stdout);
			c->buf[n < CTL_FRAME_MAX ? n : CTL_FRAME_MAX - 1] = 0;
			shell_print_error((const char *)c->buf + 8,
			    get_be32(c->buf), get_be32(c->buf + 4), typed_at);
			return 1;
		default:
			rc = -EPROTO;
			goto lost;
		}
	}
lost:
	fprintf(stderr, "failure: connection to tflowd lost: %s\n",
	    strerror(-rc));
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "offline", no_argument, NULL, 'o' },
		{ "socket", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = TFLOW_DEFAULT_CONFIG;
	const char *sock_path = TFLOW_DEFAULT_SOCKET;
	struct shell_backend be;
	struct offline *off = NULL;
	struct client cl = { NULL, -1, NULL };
	char *line = NULL;
	bool offline = false;
	int ch, status;

	/* `+`: stop at the first command word, so `set` args stay args. */
	while ((ch = getopt_long(argc, argv, "+c:oS:hV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			config_path = optarg;
			break;
		case 'o':
			offline = true;
			break;
		case 'S':
			sock_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("tflow %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		line = malloc(TFLOW_LINE_MAX);
		if (line == NULL) {
			fprintf(stderr, "failure: out of memory\n");
			return 1;
		}
		if (join_words(argv + optind, argc - optind, line,
		    TFLOW_LINE_MAX) != 0) {
			fprintf(stderr, "failure: command line too long\n");
			free(line);
			return 1;
		}
	}

	if (offline) {
		off = malloc(sizeof(*off));
		if (off == NULL) {
			fprintf(stderr, "failure: out of memory\n");
			free(line);
			return 1;
		}
		off->path = config_path;
		if (offline_load(off) != 0) {
			free(off);
			free(line);
			return 1;
		}
		be.run = offline_run;
		be.ctx = off;
	} else {
		cl.path = sock_path;
		cl.buf = malloc(CTL_FRAME_MAX);
		if (cl.buf == NULL || client_connect(&cl) != 0) {
			free(cl.buf);
			free(line);
			return 1;
		}
		be.run = client_run;
		be.ctx = &cl;
	}
	status = line != NULL ? shell_one(&be, line) : shell_loop(&be, stdin);
	if (cl.fd != -1)
		close(cl.fd);
	free(cl.buf);
	free(off);
	free(line);
	return status;
}
