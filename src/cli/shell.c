/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * shell: the RouterOS session around a backend.
 *
 * The current menu lives here, not in tflowd: a relative line is sent as
 * "<menu> <line>" (the parser takes a path before the command, and `..`
 * inside it), so the daemon stays stateless and one request is one
 * complete command.  Whether a line only moves between menus, changes
 * something or asks for `monitor` is found by conf_command_kind(), the
 * same grammar the daemon runs, without running anything.
 *
 * `monitor` (without `once`) repeats the request every second until
 * SIGINT; the handler only sets a flag and does not restart syscalls, so
 * the wait between snapshots ends at once.
 */
#include "shell.h"

#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "lineedit.h"

#define SHELL_LINE_MAX	LINEEDIT_MAX
#define SHELL_PROMPT_MAX 160

static volatile sig_atomic_t shell_interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	shell_interrupted = 1;
}

/* SIGINT sets a flag instead of ending tflow; restored by the caller. */
static void sigint_catch(struct sigaction *old)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: a sleep ends at ^C */
	sigaction(SIGINT, &sa, old);
}

void shell_print_error(const char *msg, unsigned line, unsigned column,
		       size_t typed_at)
{
	if (line == 0) {
		fprintf(stderr, "%s\n", msg);
		return;
	}
	/* the column in what the operator typed, not in the menu we put
	 * before it */
	if (line == 1 && column > typed_at)
		column -= (unsigned)typed_at;
	fprintf(stderr, "%s (line %u column %u)\n", msg, line, column);
}

/* A second, or less when ^C comes. */
static void wait_second(void)
{
	struct timespec ts = { 1, 0 };

	while (!shell_interrupted && nanosleep(&ts, &ts) == -1 &&
	       errno == EINTR)
		;
}

/*
 * Run what the operator typed in `menu`.  Returns 0, 1 (the command
 * failed), or -errno (the backend is gone).  *menu follows path-only
 * lines.
 */
static int run_typed(const struct shell_backend *be, const char **menu,
		     const char *typed, bool tty)
{
	char *line;
	const char *after = NULL;
	struct conf_error err;
	size_t typed_at = 0, len;
	int kind, rc;
	bool first = true;

	len = strlen(typed);
	kind = conf_command_kind(*menu, typed, len, &after, &err);
	if (kind < 0) {
		shell_print_error(err.msg, err.line, err.column, 0);
		return 1;
	}
	if (kind == CONF_KIND_NONE) {
		if (after != NULL)
			*menu = after;
		return 0;
	}
	line = malloc(SHELL_LINE_MAX + 256);
	if (line == NULL) {
		fprintf(stderr, "failure: out of memory\n");
		return 1;
	}
	if (typed[strspn(typed, " \t")] == '/' || strcmp(*menu, "/") == 0)
		snprintf(line, SHELL_LINE_MAX + 256, "%s", typed);
	else {
		snprintf(line, SHELL_LINE_MAX + 256, "%s %s", *menu, typed);
		typed_at = strlen(*menu) + 1;
	}
	len = strlen(line);
	if (kind != CONF_KIND_MONITOR) {
		rc = be->run(be->ctx, line, len, typed_at);
		free(line);
		return rc;
	}

	/* monitor: a snapshot a second until ^C */
	struct sigaction old;

	shell_interrupted = 0;
	sigint_catch(&old);
	for (;;) {
		if (tty)
			fputs(first ? "\033[H\033[2J" : "\033[H", stdout);
		else if (!first)
			fputc('\n', stdout);
		fflush(stdout);
		rc = be->run(be->ctx, line, len, typed_at);
		if (tty)
			fputs("\033[J", stdout);	/* below: old lines */
		fflush(stdout);
		first = false;
		if (rc != 0 || shell_interrupted)
			break;
		wait_second();
		if (shell_interrupted)
			break;
	}
	sigaction(SIGINT, &old, NULL);
	free(line);
	return rc;
}

int shell_one(const struct shell_backend *be, const char *line)
{
	const char *menu = "/";
	int rc;

	rc = run_typed(be, &menu, line, isatty(STDOUT_FILENO) == 1);
	return rc == 0 ? 0 : 1;
}

static bool is_quit(const char *s)
{
	size_t n;

	s += strspn(s, " \t");
	n = strcspn(s, " \t\r\n");
	if (s[n + strspn(s + n, " \t\r\n")] != '\0')
		return false;
	return (n == 4 && strncmp(s, "quit", 4) == 0) ||
	       (n == 5 && strncmp(s, "/quit", 5) == 0) ||
	       (n == 4 && strncmp(s, "exit", 4) == 0);
}

struct complete_ctx {
	const char **menu;
};

static unsigned complete_cb(void *arg, const char *buf, size_t cursor,
			    struct lineedit_choices *lc)
{
	struct complete_ctx *cc = arg;
	struct conf_completions c;
	unsigned i;

	if (conf_complete(*cc->menu, buf, cursor, &c) <= 0)
		return 0;
	lc->start = c.start;
	lc->n = c.n < LINEEDIT_CHOICES ? c.n : LINEEDIT_CHOICES;
	for (i = 0; i < lc->n; i++) {
		lc->words[i] = c.words[i];
		lc->suffix[i] = c.suffix[i];
	}
	return lc->n;
}

/* "[user@tflow] /ip traffic-flow target> ", RouterOS's shape. */
static void make_prompt(char *buf, size_t size, const char *menu)
{
	const struct passwd *pw = getpwuid(getuid());

	snprintf(buf, size, "[%s@tflow] %s> ",
		 pw != NULL ? pw->pw_name : "?",
		 strcmp(menu, "/") == 0 ? "" : menu);
}

static char *history_path(void)
{
	const char *home = getenv("HOME");
	char *path;

	if (home == NULL || home[0] == '\0')
		return NULL;
	if (asprintf(&path, "%s/.tflow_history", home) == -1)
		return NULL;
	return path;
}

static int loop_tty(const struct shell_backend *be, const char **menu)
{
	struct complete_ctx cc = { menu };
	char prompt[SHELL_PROMPT_MAX];
	struct lineedit *le;
	char *hist, *buf;
	int n, rc = 0;

	hist = history_path();
	le = lineedit_new(STDIN_FILENO, STDOUT_FILENO, hist, complete_cb, &cc);
	free(hist);
	buf = malloc(LINEEDIT_MAX);
	if (le == NULL || buf == NULL) {
		fprintf(stderr, "failure: %s\n", strerror(errno));
		lineedit_free(le);
		free(buf);
		return 1;
	}
	for (;;) {
		make_prompt(prompt, sizeof(prompt), *menu);
		n = lineedit_read(le, prompt, buf);
		if (n == LINEEDIT_INTR)
			continue;
		if (n < 0)
			break;
		if (buf[strspn(buf, " \t")] == '\0')
			continue;
		lineedit_history_add(le, buf);
		if (is_quit(buf))
			break;
		rc = run_typed(be, menu, buf, true);
		fflush(stdout);
		if (rc < 0)
			break;
	}
	free(buf);
	lineedit_free(le);
	return rc < 0 ? 1 : 0;
}

int shell_loop(const struct shell_backend *be, FILE *in)
{
	const char *menu = "/";
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc, status = 0;

	if (in == stdin && isatty(STDIN_FILENO) == 1)
		return loop_tty(be, &menu);
	/* a script on a pipe: no prompt, no editor, every line counts */
	while ((n = getline(&line, &cap, in)) != -1) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if ((size_t)n >= SHELL_LINE_MAX) {
			fprintf(stderr, "failure: line too long\n");
			status = 1;
			continue;
		}
		if (line[strspn(line, " \t")] == '\0')
			continue;
		if (is_quit(line))
			break;
		rc = run_typed(be, &menu, line, false);
		fflush(stdout);
		if (rc != 0)
			status = 1;
		if (rc < 0)
			break;
	}
	free(line);
	return status;
}
