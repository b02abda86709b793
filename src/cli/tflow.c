/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tflow: the RouterOS-style command line for tflowd's configuration.
 *
 * This first cut works offline only: `tflow --offline -c FILE COMMAND...`
 * reads FILE (defaults when it does not exist), runs one command line
 * through the same parser as the config file (conf_apply_command()), and
 * when the command changed something writes the whole config back as
 * `export` prints it.  The write is atomic: a temp file in FILE's
 * directory, fsync, rename, fsync of the directory; a command that fails
 * never reaches the disk.  The control socket (-S) comes with the daemon's
 * live mode.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"

#define TFLOW_DEFAULT_CONFIG	"/etc/tflow/tflow.rsc"
#define TFLOW_DEFAULT_SOCKET	"/run/tflow/tflowd.sock"
/* A command line is a few hundred bytes; this bounds a runaway argv. */
#define TFLOW_LINE_MAX		(64 * 1024)

static void usage(FILE *f)
{
	fprintf(f,
	    "usage: tflow [-S SOCKET] [COMMAND...]\n"
	    "       tflow --offline [-c FILE] COMMAND...\n"
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
	    "  /export\n",
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

/* fsync the directory holding `path`, so that the rename is durable. */
static int sync_dir(const char *path)
{
	char *copy, *dir;
	int fd, rc = 0;

	copy = strdup(path);
	if (copy == NULL)
		return -ENOMEM;
	dir = dirname(copy);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		rc = -errno;
	else {
		if (fsync(fd) == -1 && errno != EINVAL)
			rc = -errno;
		close(fd);
	}
	free(copy);
	return rc;
}

/*
 * Write cfg to `path` atomically: export into a temp file next to it,
 * fsync, rename over it, fsync the directory.  The file keeps its mode;
 * a new one gets 0644 less the umask.  Returns 0 or -errno.
 */
static int save_config(const char *path, const struct tflow_config *cfg)
{
	struct stat st;
	mode_t mode, mask;
	char *tmp;
	FILE *f;
	int fd, rc;

	if (asprintf(&tmp, "%s.XXXXXX", path) == -1)
		return -ENOMEM;
	fd = mkstemp(tmp);
	if (fd == -1) {
		rc = -errno;
		goto free_tmp;
	}
	if (stat(path, &st) == 0)
		mode = st.st_mode & 07777;
	else {
		mask = umask(0);
		umask(mask);
		mode = 0644 & ~mask;
	}
	if (fchmod(fd, mode) == -1) {
		rc = -errno;
		close(fd);
		goto unlink_tmp;
	}
	f = fdopen(fd, "w");
	if (f == NULL) {
		rc = -errno;
		close(fd);
		goto unlink_tmp;
	}
	conf_export(cfg, f);
	if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) == -1) {
		rc = -errno;
		fclose(f);
		goto unlink_tmp;
	}
	if (fclose(f) != 0) {
		rc = -errno;
		goto unlink_tmp;
	}
	if (rename(tmp, path) == -1) {
		rc = -errno;
		goto unlink_tmp;
	}
	free(tmp);
	return sync_dir(path);

unlink_tmp:
	unlink(tmp);
free_tmp:
	free(tmp);
	return rc != 0 ? rc : -EIO;
}

static int run_offline(const char *path, char **words, int n)
{
	struct tflow_config cfg;
	struct conf_error err;
	char *line;
	int rc, status = 1;

	conf_init_defaults(&cfg);
	rc = conf_parse_file(path, &cfg, &err);
	if (rc == -ENOENT) {
		/* a new file: defaults now, created on the first change */
		conf_init_defaults(&cfg);
	} else if (rc == -EINVAL) {
		fprintf(stderr, "failure: %s: %s (line %u column %u)\n", path,
		    err.msg, err.line, err.column);
		return 1;
	} else if (rc != 0) {
		fprintf(stderr, "failure: %s\n", err.msg);
		return 1;
	}

	line = malloc(TFLOW_LINE_MAX);
	if (line == NULL) {
		fprintf(stderr, "failure: out of memory\n");
		return 1;
	}
	if (join_words(words, n, line, TFLOW_LINE_MAX) != 0) {
		fprintf(stderr, "failure: command line too long\n");
		goto free_line;
	}
	rc = conf_apply_command(&cfg, line, strlen(line), stdout, &err);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "failure: stdout: %s\n", strerror(errno));
		goto free_line;
	}
	if (rc == -EINVAL) {
		fprintf(stderr, "%s (line %u column %u)\n", err.msg, err.line,
		    err.column);
		goto free_line;
	}
	if (rc < 0) {
		fprintf(stderr, "failure: %s\n", err.msg);
		goto free_line;
	}
	if (rc > 0 && (rc = save_config(path, &cfg)) != 0) {
		fprintf(stderr, "failure: cannot save %s: %s\n", path,
		    strerror(-rc));
		goto free_line;
	}
	status = 0;
free_line:
	free(line);
	return status;
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
	bool offline = false;
	int ch;

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
			/* the socket's path, for the live mode to come */
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
	if (!offline) {
		fprintf(stderr, "failure: control socket not available yet; "
		    "use --offline -c FILE\n");
		return 1;
	}
	if (optind == argc) {
		fprintf(stderr, "failure: the interactive shell needs the "
		    "daemon; give a COMMAND with --offline\n");
		return 2;
	}
	return run_offline(config_path, argv + optind, argc - optind);
}
