/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_ctl: the control socket server against a real Unix socket in a
 * mkdtemp directory, with fake daemon ops that count apply calls.  The
 * server runs in this process: the client helper polls both ends and
 * calls ctl_server_process() whenever the server's fd is ready, as
 * tflowd's loop does.  A forked child plays the non-privileged peer and a
 * client that never reads plays the stuck one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "conf_save.h"
#include "ctl.h"

#define WAIT_MS 10000	/* generous: the machine is shared */

struct fake {
	struct tflow_config cfg;
	unsigned applies;
	int apply_rc;			/* what apply returns */
	struct ctl_monitor mon;
};

struct env {
	char dir[64];
	char sock[128];
	char conf[128];
	struct fake fake;
	struct ctl_server *srv;
};

static const struct tflow_config *fake_config(void *ctx)
{
	return &((struct fake *)ctx)->cfg;
}

static int fake_apply(void *ctx, const struct tflow_config *next, char *err,
		      size_t errlen)
{
	struct fake *f = ctx;

	f->applies++;
	if (f->apply_rc != 0) {
		snprintf(err, errlen, "cannot put it in force");
		return f->apply_rc;
	}
	memcpy(&f->cfg, next, sizeof(f->cfg));
	return 0;
}

static void fake_monitor(void *ctx, struct ctl_monitor *out)
{
	memcpy(out, &((struct fake *)ctx)->mon, sizeof(*out));
}

static const struct ctl_ops fake_ops = {
	fake_config, fake_apply, fake_monitor,
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

static char *export_str(const struct tflow_config *cfg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	conf_export(cfg, f);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	char err[256];

	assert_non_null(e);
	snprintf(e->dir, sizeof(e->dir), "/tmp/test_ctl.XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	/* a directory that does not exist yet: the server makes it */
	snprintf(e->sock, sizeof(e->sock), "%s/run/tflow/sock", e->dir);
	snprintf(e->conf, sizeof(e->conf), "%s/tflow.rsc", e->dir);
	conf_init_defaults(&e->fake.cfg);
	assert_int_equal(conf_save(e->conf, &e->fake.cfg), 0);
	e->srv = ctl_server_open(e->sock, e->conf, &fake_ops, &e->fake, err,
				 sizeof(err));
	if (e->srv == NULL)
		fail_msg("ctl_server_open: %s", err);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	char cmd[128];

	ctl_server_close(e->srv);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
	assert_int_equal(system(cmd), 0);
	free(e);
	return 0;
}

/* ---- a client ----------------------------------------------------------- */

static int client_connect(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static void send_frame(int fd, unsigned type, const void *p, size_t len)
{
	uint8_t hdr[CTL_HDR_LEN];

	ctl_hdr_put(hdr, (enum ctl_frame_type)type, (uint32_t)len);
	assert_int_equal(send(fd, hdr, sizeof(hdr), MSG_NOSIGNAL),
			 sizeof(hdr));
	if (len > 0)
		assert_int_equal(send(fd, p, len, MSG_NOSIGNAL), (ssize_t)len);
}

struct reply {
	bool ok;		/* DONE, else ERROR */
	bool closed;		/* the server hung up instead */
	unsigned line, col;
	char *text;		/* output (ok) or message; caller frees */
	size_t len;
};

/* Read one whole reply, serving the server while waiting (srv may be
 * NULL when another process serves).  Bytes of the next reply wait in
 * buf for the next call on the same fd. */
static void read_reply(struct ctl_server *srv, int fd, struct reply *r)
{
	static uint8_t buf[2 * (CTL_HDR_LEN + CTL_FRAME_MAX)];
	static size_t have;
	static int last_fd = -1;
	uint64_t deadline = now_ms() + WAIT_MS;
	bool done = false;
	unsigned type;
	uint32_t len;
	ssize_t n;

	memset(r, 0, sizeof(r[0]));
	r->text = calloc(1, 1);
	if (fd != last_fd)
		have = 0;
	last_fd = fd;
	for (;;) {
		struct pollfd p[2] = {
			{ fd, POLLIN, 0 },
			{ srv != NULL ? ctl_server_fd(srv) : -1, POLLIN, 0 },
		};

		while (have >= CTL_HDR_LEN) {
			assert_int_equal(ctl_hdr_get(buf, &type, &len), 0);
			if (have < CTL_HDR_LEN + len)
				break;
			if (type == CTL_REP_OUTPUT) {
				r->text = realloc(r->text, r->len + len + 1);
				memcpy(r->text + r->len, buf + CTL_HDR_LEN, len);
				r->len += len;
				r->text[r->len] = '\0';
			} else {
				assert_true(type == CTL_REP_DONE ||
					    type == CTL_REP_ERROR);
				r->ok = type == CTL_REP_DONE;
				if (!r->ok) {
					const uint8_t *q = buf + CTL_HDR_LEN;

					assert_true(len >= 8);
					r->line = (unsigned)q[0] << 24 |
					    (unsigned)q[1] << 16 |
					    (unsigned)q[2] << 8 | q[3];
					r->col = (unsigned)q[4] << 24 |
					    (unsigned)q[5] << 16 |
					    (unsigned)q[6] << 8 | q[7];
					free(r->text);
					r->text = strndup((const char *)q + 8,
							  len - 8);
					r->len = len - 8;
				}
				done = true;
			}
			memmove(buf, buf + CTL_HDR_LEN + len,
				have - CTL_HDR_LEN - len);
			have -= CTL_HDR_LEN + len;
			if (done)
				return;
		}
		assert_true(now_ms() < deadline);
		assert_true(poll(p, 2, 100) >= 0);
		if (srv != NULL && (p[1].revents & POLLIN))
			ctl_server_process(srv);
		if (!(p[0].revents & (POLLIN | POLLHUP)))
			continue;
		n = recv(fd, buf + have, sizeof(buf) - have, MSG_DONTWAIT);
		if (n == -1 && errno == EAGAIN)
			continue;
		if (n <= 0) {
			r->closed = true;
			have = 0;
			return;
		}
		have += (size_t)n;
	}
}

/* Connect, run one command, hang up. */
static void run(struct env *e, const char *cmd, struct reply *r)
{
	int fd = client_connect(e->sock);

	assert_true(fd >= 0);
	send_frame(fd, CTL_REQ_COMMAND, cmd, strlen(cmd));
	read_reply(e->srv, fd, r);
	close(fd);
	/* let the server see the hang-up */
	ctl_server_process(e->srv);
}

/* ---- tests -------------------------------------------------------------- */

static void test_socket_file(void **state)
{
	struct env *e = *state;
	struct ctl_server *second;
	struct stat st;
	char err[256];

	assert_int_equal(stat(e->sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0660);
	/* a live socket is not taken over */
	second = ctl_server_open(e->sock, NULL, &fake_ops, &e->fake, err,
				 sizeof(err));
	assert_null(second);
	assert_int_equal(errno, EADDRINUSE);
	assert_non_null(strstr(err, "another tflowd"));
}

static void test_stale_socket(void **state)
{
	struct env *e = *state;
	struct sockaddr_un sun;
	struct ctl_server *s;
	struct reply r;
	char path[100], err[256];
	int fd;

	/* a socket file nobody listens on, as a crash leaves it */
	snprintf(path, sizeof(path), "%s/stale.sock", e->dir);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	s = ctl_server_open(path, NULL, &fake_ops, &e->fake, err, sizeof(err));
	if (s == NULL)
		fail_msg("%s", err);
	fd = client_connect(path);
	assert_true(fd >= 0);
	send_frame(fd, CTL_REQ_COMMAND, "/ip traffic-flow print", 22);
	read_reply(s, fd, &r);
	assert_true(r.ok);
	assert_non_null(strstr(r.text, "enabled: no"));
	free(r.text);
	close(fd);
	ctl_server_close(s);
	assert_int_equal(access(path, F_OK), -1);

	/* a regular file is not a socket to replace */
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	assert_null(ctl_server_open(path, NULL, &fake_ops, &e->fake, err,
				    sizeof(err)));
	assert_int_equal(access(path, F_OK), 0);
}

static void test_print_export(void **state)
{
	struct env *e = *state;
	struct reply r;
	char *want;

	run(e, "/ip traffic-flow print", &r);
	assert_true(r.ok);
	assert_non_null(strstr(r.text, "              enabled: no\n"));
	assert_non_null(strstr(r.text, "        cache-entries: 4k\n"));
	free(r.text);

	run(e, "/export", &r);
	assert_true(r.ok);
	want = export_str(&e->fake.cfg);
	assert_string_equal(r.text, want);
	free(want);
	free(r.text);
	run(e, "/ip traffic-flow target print where version=5", &r);
	assert_true(r.ok);
	assert_string_equal(r.text, "Flags: X - disabled\n"
	    " #   DST-ADDRESS PORT VERSION SRC-ADDRESS\n");
	free(r.text);
	assert_int_equal(e->fake.applies, 0);
}

/* A change: applied once, then saved atomically as export prints it. */
static void test_change(void **state)
{
	struct env *e = *state;
	struct stat before, after;
	struct reply r;
	char *file, *want;
	int old_fd;

	assert_int_equal(chmod(e->conf, 0640), 0);
	/* held open, the old file keeps its inode: the new one differs */
	old_fd = open(e->conf, O_RDONLY);
	assert_true(old_fd >= 0);
	assert_int_equal(fstat(old_fd, &before), 0);
	run(e, "/ip traffic-flow set enabled=yes cache-entries=128k", &r);
	if (!r.ok)
		fail_msg("%s", r.text);
	assert_int_equal(r.len, 0);
	free(r.text);
	assert_int_equal(e->fake.applies, 1);
	assert_true(e->fake.cfg.enabled);
	assert_int_equal(e->fake.cfg.cache_entries, 128 * 1024);

	run(e, "/ip traffic-flow target add address=192.0.2.11:9995 version=5",
	    &r);
	assert_true(r.ok);
	free(r.text);
	assert_int_equal(e->fake.applies, 2);
	assert_int_equal(e->fake.cfg.n_targets, 1);

	file = read_file(e->conf);
	want = export_str(&e->fake.cfg);
	assert_string_equal(file, want);
	free(file);
	free(want);
	/* renamed over, not rewritten in place; the mode kept */
	assert_int_equal(stat(e->conf, &after), 0);
	assert_int_not_equal(after.st_ino, before.st_ino);
	assert_int_equal(after.st_mode & 07777, 0640);
	assert_int_equal(fstat(old_fd, &before), 0);
	assert_int_equal(before.st_nlink, 0);
	close(old_fd);

	/* print answers from the new config */
	run(e, "/ip traffic-flow target print where version=5 and port=9995",
	    &r);
	assert_true(r.ok);
	if (strstr(r.text, " 0   192.0.2.11  9995 5 ") == NULL)
		fail_msg("%s", r.text);
	free(r.text);
}

struct reject_case {
	const char *cmd;
	const char *msg;
	unsigned col;
};

static const struct reject_case rejects[] = {
	{ "/ip traffic-flow target add address=192.168.88.100.182:9995",
	  "invalid value for argument address", 37 },
	{ "/ip traffic-flow set colour=red", "unknown parameter colour", 22 },
	{ "/ip traffic-flow set active-flow-timeout=5x",
	  "invalid value for argument active-flow-timeout", 42 },
	{ "/ip traffic-flow set cache-entries=0",
	  "invalid value for argument cache-entries", 36 },
	{ "/ip traffic-flow print foo", "expected end of command", 24 },
	{ "/ip traffic-flow target remove 3", "no such item", 32 },
};

/* Refused commands: the RouterOS error, no apply, the file untouched. */
static void test_reject(void **state)
{
	struct env *e = *state;
	struct stat before, after;
	struct reply r;
	char *file_before, *file_after;
	size_t i;

	assert_int_equal(stat(e->conf, &before), 0);
	file_before = read_file(e->conf);
	for (i = 0; i < sizeof(rejects) / sizeof(rejects[0]); i++) {
		print_message("reject: %s\n", rejects[i].cmd);
		run(e, rejects[i].cmd, &r);
		assert_false(r.ok);
		assert_string_equal(r.text, rejects[i].msg);
		assert_int_equal(r.line, 1);
		assert_int_equal(r.col, rejects[i].col);
		free(r.text);
	}
	assert_int_equal(e->fake.applies, 0);
	assert_int_equal(stat(e->conf, &after), 0);
	assert_int_equal(after.st_ino, before.st_ino);
	file_after = read_file(e->conf);
	assert_string_equal(file_after, file_before);
	free(file_before);
	free(file_after);
}

/* The daemon refuses: the error says why; config and file stay. */
static void test_apply_fails(void **state)
{
	struct env *e = *state;
	struct tflow_config before;
	struct reply r;
	char *file_before, *file_after;

	memcpy(&before, &e->fake.cfg, sizeof(before));
	file_before = read_file(e->conf);
	e->fake.apply_rc = -EBUSY;
	run(e, "/ip traffic-flow set inactive-flow-timeout=1m", &r);
	assert_false(r.ok);
	assert_string_equal(r.text, "failure: cannot put it in force");
	assert_int_equal(r.line, 0);
	free(r.text);
	assert_int_equal(e->fake.applies, 1);
	assert_memory_equal(&e->fake.cfg, &before, sizeof(before));
	file_after = read_file(e->conf);
	assert_string_equal(file_after, file_before);
	free(file_before);
	free(file_after);
}

static void test_monitor(void **state)
{
	struct env *e = *state;
	struct ctl_monitor *m = &e->fake.mon;
	struct reply r;

	m->enabled = true;
	m->active_flows = 42;
	m->finished_flows = 7;
	m->packets_seen = 1000;
	m->not_parsable[PKT_ERR_NON_IP] = 3;
	m->n_targets = 1;
	snprintf(m->targets[0].name, sizeof(m->targets[0].name),
		 "192.0.2.1:2055");
	m->targets[0].version = 9;
	m->targets[0].datagrams = 5;
	run(e, "/ip traffic-flow monitor once", &r);
	assert_true(r.ok);
	assert_non_null(strstr(r.text, "       active-flows: 42\n"));
	assert_non_null(strstr(r.text, "not-parsable-non-ip: 3\n"));
	free(r.text);
	/* monitor is read-only, and only under /ip traffic-flow */
	run(e, "/ip traffic-flow target monitor", &r);
	assert_false(r.ok);
	free(r.text);
	assert_int_equal(e->fake.applies, 0);
}

static void test_monitor_print(void **state)
{
	struct ctl_monitor *m = calloc(1, sizeof(*m));
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	m->enabled = true;
	m->uptime_ms = 90061000;	/* 1d01:01:01 */
	m->workers = 2;
	m->interfaces = 3;
	m->active_flows = 10;
	m->finished_flows = 20;
	m->packets_seen = 300;
	m->packets_sampled_out = 4;
	m->not_parsable[PKT_ERR_L4_TRUNCATED] = 2;
	m->not_parsable[PKT_ERR_NON_IP] = 5;
	m->capture_drops = 6;
	m->evicted = 7;
	snprintf(m->notice, sizeof(m->notice), "flow offloading is on");
	m->n_targets = 2;
	snprintf(m->targets[0].name, 64, "192.0.2.1:2055");
	m->targets[0].version = 10;
	m->targets[0].datagrams = 11;
	m->targets[0].records = 12;
	m->targets[0].templates = 13;
	m->targets[0].send_errors = 14;
	snprintf(m->targets[0].last_error, 96, "Connection refused");
	snprintf(m->targets[1].name, 64, "192.0.2.2:9995");
	m->targets[1].version = 5;
	m->targets[1].not_exportable = 15;
	f = open_memstream(&buf, &len);
	ctl_monitor_print(m, f);
	fclose(f);
	assert_string_equal(buf,
	    "                  enabled: yes\n"
	    "                   uptime: 1d01:01:01\n"
	    "             active-flows: 10\n"
	    "           finished-flows: 20\n"
	    "             packets-seen: 300\n"
	    "              sampled-out: 4\n"
	    "             not-parsable: 7\n"
	    "      not-parsable-non-ip: 5\n"
	    "not-parsable-l4-truncated: 2\n"
	    "       dropped-by-capture: 6\n"
	    "        evicted-when-full: 7\n"
	    "                  workers: 2\n"
	    "               interfaces: 3\n"
	    "                   notice: flow offloading is on\n"
	    "                  targets: 2\n"
	    "                 target-0: 192.0.2.1:2055 version=ipfix\n"
	    "                datagrams: 11\n"
	    "                  records: 12\n"
	    "                templates: 13\n"
	    "              send-errors: 14\n"
	    "               last-error: Connection refused\n"
	    "                 target-1: 192.0.2.2:9995 version=5\n"
	    "                datagrams: 0\n"
	    "                  records: 0\n"
	    "                templates: 0\n"
	    "           not-exportable: 15\n"
	    "              send-errors: 0\n"
	    "               last-error: none\n");
	free(buf);
	free(m);
}

/* Bad frames: another version is answered with an error, then dropped. */
static void test_bad_frame(void **state)
{
	struct env *e = *state;
	uint8_t hdr[CTL_HDR_LEN];
	struct reply r;
	int fd;

	fd = client_connect(e->sock);
	ctl_hdr_put(hdr, CTL_REQ_COMMAND, 0);
	hdr[0] = 99;
	assert_int_equal(send(fd, hdr, sizeof(hdr), 0), sizeof(hdr));
	read_reply(e->srv, fd, &r);
	assert_false(r.ok);
	assert_non_null(strstr(r.text, "protocol version"));
	free(r.text);
	read_reply(e->srv, fd, &r);
	assert_true(r.closed);
	free(r.text);
	close(fd);

	/* several requests in one write: answered in order */
	fd = client_connect(e->sock);
	send_frame(fd, CTL_REQ_COMMAND, "/ip traffic-flow print", 22);
	send_frame(fd, CTL_REQ_COMMAND, "/ip traffic-flow set bogus=1", 28);
	read_reply(e->srv, fd, &r);
	assert_true(r.ok);
	free(r.text);
	read_reply(e->srv, fd, &r);
	assert_false(r.ok);
	assert_string_equal(r.text, "unknown parameter bogus");
	free(r.text);
	close(fd);
}

/* A peer outside root and the socket's group reads but cannot change. */
static void test_unprivileged(void **state)
{
	struct env *e = *state;
	uint64_t deadline;
	struct passwd *pw;
	struct reply r;
	char *file_before, *file_after;
	pid_t pid;
	int status, fd, rc = 0;

	if (geteuid() != 0) {
		print_message("SKIP part: not root, cannot become nobody\n");
		skip();
	}
	pw = getpwnam("nobody");
	if (pw == NULL) {
		print_message("SKIP part: no user nobody\n");
		skip();
	}
	/* nobody is in no group of ours, so the socket's 0660 would keep it
	 * out before the server is asked: widen it, as a careless operator
	 * might, to show that the server itself refuses the change */
	assert_int_equal(chmod(e->dir, 0755), 0);
	assert_int_equal(chmod(e->sock, 0666), 0);
	file_before = read_file(e->conf);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 ||
		    setuid(pw->pw_uid) != 0)
			_exit(10);
		fd = client_connect(e->sock);
		if (fd < 0)
			_exit(11);
		send_frame(fd, CTL_REQ_COMMAND, "/ip traffic-flow print", 22);
		read_reply(NULL, fd, &r);
		if (!r.ok || strstr(r.text, "enabled:") == NULL)
			_exit(12);
		send_frame(fd, CTL_REQ_COMMAND,
			   "/ip traffic-flow set enabled=yes", 32);
		read_reply(NULL, fd, &r);
		if (r.ok || strcmp(r.text, CTL_MSG_NOT_PERMITTED) != 0)
			_exit(13);
		_exit(0);
	}
	deadline = now_ms() + WAIT_MS;
	while ((rc = waitpid(pid, &status, WNOHANG)) == 0) {
		struct pollfd p = { ctl_server_fd(e->srv), POLLIN, 0 };

		if (now_ms() > deadline) {
			kill(pid, SIGKILL);
			fail_msg("the unprivileged client hangs");
		}
		if (poll(&p, 1, 50) > 0)
			ctl_server_process(e->srv);
	}
	assert_int_equal(rc, pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(e->fake.applies, 0);
	assert_false(e->fake.cfg.enabled);
	file_after = read_file(e->conf);
	assert_string_equal(file_after, file_before);
	free(file_before);
	free(file_after);
}

/* A client that asks a lot and never reads holds up nobody. */
static void test_stuck_client(void **state)
{
	struct env *e = *state;
	uint8_t frame[CTL_HDR_LEN + 7];
	struct reply r;
	int stuck, i, flags, sent = 0;
	uint64_t start;

	stuck = client_connect(e->sock);
	flags = fcntl(stuck, F_GETFL);
	fcntl(stuck, F_SETFL, flags | O_NONBLOCK);
	ctl_hdr_put(frame, CTL_REQ_COMMAND, 7);
	memcpy(frame + CTL_HDR_LEN, "/export", 7);
	/* until our socket buffer is full: far more answers than any
	 * socket buffer holds */
	for (i = 0; i < 100000; i++) {
		if (send(stuck, frame, sizeof(frame), MSG_NOSIGNAL) !=
		    (ssize_t)sizeof(frame))
			break;
		sent++;
		if (i % 64 == 0)
			ctl_server_process(e->srv);
	}
	assert_true(sent > 100);
	start = now_ms();
	for (i = 0; i < 200; i++)
		ctl_server_process(e->srv);
	/* the server never waited on the stuck client */
	assert_true(now_ms() - start < 5000);
	run(e, "/ip traffic-flow print", &r);
	assert_true(r.ok);
	assert_non_null(strstr(r.text, "enabled:"));
	free(r.text);
	close(stuck);
}

/* ---- the real tflow client against this server ------------------------ */

struct spawned {
	int status;
	char *out, *err;
};

static unsigned count_str(const char *hay, const char *needle)
{
	unsigned n = 0;

	while (hay != NULL && (hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

/*
 * Run tflow with argv (after the program name), `input` on its stdin,
 * serving requests meanwhile.  With sigint_after, SIGINT goes to tflow
 * once its stdout holds that many "enabled:" lines (monitor snapshots).
 */
static void spawn_tflow(struct env *e, const char *const *args,
			const char *input, unsigned sigint_after,
			struct spawned *sp)
{
	const char *bdir = getenv("TFLOW_BUILDDIR");
	char tflow[256], out[160], errp[160], in[160];
	const char *argv[16];
	uint64_t deadline = now_ms() + WAIT_MS;
	bool signalled = false;
	pid_t pid;
	int i, fd, rc;

	snprintf(tflow, sizeof(tflow), "%s/tflow", bdir);
	snprintf(out, sizeof(out), "%s/out", e->dir);
	snprintf(errp, sizeof(errp), "%s/err", e->dir);
	snprintf(in, sizeof(in), "%s/in", e->dir);
	fd = open(in, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	assert_true(fd >= 0);
	if (input != NULL)
		assert_int_equal(write(fd, input, strlen(input)),
				 (ssize_t)strlen(input));
	close(fd);
	argv[0] = "tflow";
	argv[1] = "-S";
	argv[2] = e->sock;
	for (i = 0; args[i] != NULL && i < 12; i++)
		argv[3 + i] = args[i];
	argv[3 + i] = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (freopen(in, "r", stdin) == NULL ||
		    freopen(out, "w", stdout) == NULL ||
		    freopen(errp, "w", stderr) == NULL)
			_exit(120);
		execv(tflow, (char *const *)argv);
		_exit(121);
	}
	while ((rc = waitpid(pid, &sp->status, WNOHANG)) == 0) {
		struct pollfd p = { ctl_server_fd(e->srv), POLLIN, 0 };

		if (now_ms() > deadline) {
			kill(pid, SIGKILL);
			fail_msg("tflow hangs");
		}
		if (poll(&p, 1, 20) > 0)
			ctl_server_process(e->srv);
		if (sigint_after > 0 && !signalled) {
			char *o = read_file(out);

			if (count_str(o, "enabled:") >= sigint_after) {
				kill(pid, SIGINT);
				signalled = true;
			}
			free(o);
		}
	}
	assert_int_equal(rc, pid);
	sp->out = read_file(out);
	sp->err = read_file(errp);
	/* the server notices the hang-up */
	ctl_server_process(e->srv);
}

static void spawned_free(struct spawned *sp)
{
	free(sp->out);
	free(sp->err);
}

static void test_tflow_client(void **state)
{
	struct env *e = *state;
	struct spawned sp;
	char path[256];

	if (getenv("TFLOW_BUILDDIR") == NULL) {
		print_message("SKIP part: TFLOW_BUILDDIR not set, no tflow\n");
		skip();
	}
	snprintf(path, sizeof(path), "%s/tflow", getenv("TFLOW_BUILDDIR"));
	if (access(path, X_OK) != 0) {
		print_message("SKIP part: %s not built\n", path);
		skip();
	}

	/* one-shot change */
	spawn_tflow(e, (const char *const[]){ "/ip", "traffic-flow", "set",
		    "enabled=yes", NULL }, NULL, 0, &sp);
	assert_true(WIFEXITED(sp.status));
	assert_int_equal(WEXITSTATUS(sp.status), 0);
	assert_string_equal(sp.err, "");
	assert_int_equal(e->fake.applies, 1);
	assert_true(e->fake.cfg.enabled);
	spawned_free(&sp);

	/* one-shot error: stderr in RouterOS words, exit 1, no apply */
	spawn_tflow(e, (const char *const[]){ "/ip", "traffic-flow", "set",
		    "cache-entries=0", NULL }, NULL, 0, &sp);
	assert_int_equal(WEXITSTATUS(sp.status), 1);
	assert_string_equal(sp.err, "invalid value for argument "
			    "cache-entries (line 1 column 36)\n");
	assert_int_equal(e->fake.applies, 1);
	spawned_free(&sp);

	/* the shell on a pipe: menus, relative commands, `..`, errors with
	 * the column of what was typed */
	spawn_tflow(e, (const char *const[]){ NULL },
		    "/ip traffic-flow target\n"
		    "add dst-address=192.0.2.7 version=ipfix\n"
		    "print\n"
		    "..\n"
		    "print\n"
		    "set colour=red\n"
		    "ipfix set nat-events=no\n"
		    "quit\n"
		    "/export\n", 0, &sp);
	assert_int_equal(WEXITSTATUS(sp.status), 1);
	assert_non_null(strstr(sp.out, " 0   192.0.2.7   2055 ipfix "));
	assert_non_null(strstr(sp.out, "              enabled: yes\n"));
	/* quit ended it: /export did not run */
	assert_null(strstr(sp.out, "/ip traffic-flow target\nadd"));
	assert_string_equal(sp.err,
			    "unknown parameter colour (line 1 column 5)\n");
	assert_int_equal(e->fake.applies, 3);
	assert_int_equal(e->fake.cfg.n_targets, 1);
	assert_false(e->fake.cfg.ipfix_fields & (UINT64_C(1) <<
						 CONF_IPFIX_NAT_EVENTS));
	spawned_free(&sp);

	/* not a menu: refused locally with its column */
	spawn_tflow(e, (const char *const[]){ "/ip", "traffic-flw", "print",
		    NULL }, NULL, 0, &sp);
	assert_int_equal(WEXITSTATUS(sp.status), 1);
	assert_string_equal(sp.err, "no such command prefix (line 1 column 5)\n");
	spawned_free(&sp);

	/* monitor refreshes until ^C, then tflow ends well */
	e->fake.mon.enabled = true;
	spawn_tflow(e, (const char *const[]){ "/ip", "traffic-flow",
		    "monitor", NULL }, NULL, 2, &sp);
	assert_true(WIFEXITED(sp.status));
	assert_int_equal(WEXITSTATUS(sp.status), 0);
	assert_true(count_str(sp.out, "enabled: yes") >= 2);
	spawned_free(&sp);
	spawn_tflow(e, (const char *const[]){ "/ip", "traffic-flow",
		    "monitor", "once", NULL }, NULL, 0, &sp);
	assert_int_equal(WEXITSTATUS(sp.status), 0);
	assert_int_equal(count_str(sp.out, "enabled: yes"), 1);
	spawned_free(&sp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_socket_file, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stale_socket, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_print_export, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reject, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_fails, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_monitor, setup, teardown),
		cmocka_unit_test(test_monitor_print),
		cmocka_unit_test_setup_teardown(test_bad_frame, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unprivileged, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stuck_client, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_tflow_client, setup,
						teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	alarm(120);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
