/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ctl: tflowd's control socket server.
 *
 * One internal epoll set holds the listening socket and every client, so
 * the daemon sees a single fd.  Everything is non-blocking and bounded:
 * each ctl_server_process() call handles at most CTL_EVENTS_PER_CALL
 * ready sockets, reads at most one buffer from each and runs at most
 * CTL_REQS_PER_CALL requests of a client.  A client's answers queue in its
 * output buffer; while anything is queued its next requests wait (flow
 * control), so a client that never reads only ever costs its own two
 * bounded buffers.  An answer that would not fit drops the client.
 *
 * Authority comes from SO_PEERCRED, taken once at accept: root, the
 * daemon's own user, and members of the socket's group (primary or
 * supplementary, from /proc/PID/status, else getgrouplist()) may change
 * things; anyone who can connect may read.  The socket is 0660, so
 * "anyone" means the group anyway unless an operator widens it.
 */
#include "ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "conf_save.h"
#include "log.h"

/* A handful of operators and scripts at once; more is a runaway loop. */
#define CTL_MAX_CLIENTS		16
/* Ready sockets handled per call: the daemon's loop gets back quickly. */
#define CTL_EVENTS_PER_CALL	8
/* Requests run per client per call: a pipelining client cannot starve
 * the capture (each request may print a whole config). */
#define CTL_REQS_PER_CALL	4
/* One request frame and its header. */
#define CTL_INBUF		(CTL_HDR_LEN + CTL_FRAME_MAX)
/* Queued answer bytes per client: the largest answer (export of a full
 * config, a monitor snapshot) is a few KiB; a megabyte is a client that
 * does not read. */
#define CTL_OUTBUF		(1024 * 1024)
/* A client that made no progress this long is dropped when a new one
 * needs its slot. */
#define CTL_STALE_MS		10000

struct ctl_client {
	int fd;				/* -1: free slot */
	bool may_change;		/* root, our user or the socket group */
	uid_t uid;
	pid_t pid;
	uint64_t active_ms;		/* last read or write progress */
	size_t in_len;
	uint8_t *in;			/* CTL_INBUF bytes */
	size_t out_off, out_len;
	uint8_t *out;			/* CTL_OUTBUF bytes */
	uint32_t events;		/* registered with epoll */
	bool eof;			/* the peer will send nothing more */
};

struct ctl_server {
	int epfd;
	int lfd;
	char *sock_path;
	char *config_path;		/* NULL: changes are not saved */
	gid_t group;			/* the socket's group */
	const struct ctl_ops *ops;
	void *ctx;
	struct ctl_client clients[CTL_MAX_CLIENTS];
};

/* epoll data: the listening socket, or client slot + 1. */
#define CTL_EV_LISTEN	0

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------------------
 * Opening the socket.
 */

/* mkdir -p for the socket's directory; existing directories are kept as
 * they are (their mode is the operator's). */
static int make_dirs(const char *sock_path)
{
	char dir[PATH_MAX];
	char *slash, *p;
	size_t len;

	slash = strrchr(sock_path, '/');
	if (slash == NULL || slash == sock_path)
		return 0;
	len = (size_t)(slash - sock_path);
	if (len >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, sock_path, len);
	dir[len] = '\0';
	for (p = dir + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		bool last = *p == '\0';

		*p = '\0';
		if (mkdir(dir, 0755) == -1 && errno != EEXIST)
			return -errno;
		if (last)
			break;
		*p = '/';
	}
	return 0;
}

/*
 * A socket file left by a crashed daemon is replaced; one that a running
 * daemon answers on is not (two daemons would fight over the config).
 */
static int check_stale(const char *path, const struct sockaddr_un *sun)
{
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) == -1)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -errno;
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	close(fd);
	if (rc == 0)
		return -EADDRINUSE;
	if (errno != ECONNREFUSED)
		return -errno;
	if (unlink(path) == -1 && errno != ENOENT)
		return -errno;
	return 0;
}

struct ctl_server *ctl_server_open(const char *sock_path,
				   const char *config_path,
				   const struct ctl_ops *ops, void *ctx,
				   char *err, size_t errlen)
{
	struct epoll_event ev;
	struct sockaddr_un sun;
	struct ctl_server *s;
	struct group *gr;
	mode_t old_mask;
	unsigned i;
	int rc;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(sock_path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: socket path too long", sock_path);
		errno = ENAMETOOLONG;
		return NULL;
	}
	memcpy(sun.sun_path, sock_path, strlen(sock_path) + 1);

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		goto fail_errno;
	s->epfd = -1;
	s->lfd = -1;
	s->ops = ops;
	s->ctx = ctx;
	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		s->clients[i].fd = -1;
	s->sock_path = strdup(sock_path);
	s->config_path = config_path != NULL ? strdup(config_path) : NULL;
	if (s->sock_path == NULL || (config_path != NULL &&
	    s->config_path == NULL))
		goto fail_errno_free;

	if ((rc = make_dirs(sock_path)) != 0) {
		snprintf(err, errlen, "%s: cannot create its directory: %s",
			 sock_path, strerror(-rc));
		goto fail_rc;
	}
	if ((rc = check_stale(sock_path, &sun)) != 0) {
		snprintf(err, errlen, "%s: %s", sock_path,
			 rc == -EADDRINUSE ? "another tflowd answers on it" :
			 rc == -EEXIST ? "exists and is not a socket" :
			 strerror(-rc));
		goto fail_rc;
	}
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			0);
	if (s->lfd == -1)
		goto fail_errno_msg;
	/* Never world-accessible, not even between bind() and chmod(). */
	old_mask = umask(0177);
	rc = bind(s->lfd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old_mask);
	if (rc == -1)
		goto fail_errno_msg;
	gr = getgrnam(CTL_GROUP);
	s->group = gr != NULL ? gr->gr_gid : getegid();
	if (gr != NULL && chown(sock_path, (uid_t)-1, s->group) == -1)
		goto fail_errno_unlink;
	if (chmod(sock_path, 0660) == -1 || listen(s->lfd, 8) == -1)
		goto fail_errno_unlink;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd == -1)
		goto fail_errno_unlink;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u32 = CTL_EV_LISTEN;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->lfd, &ev) == -1)
		goto fail_errno_unlink;
	return s;

fail_errno_unlink:
	rc = -errno;
	unlink(sock_path);
	snprintf(err, errlen, "%s: %s", sock_path, strerror(-rc));
	goto fail_rc;
fail_errno_msg:
	rc = -errno;
	snprintf(err, errlen, "%s: %s", sock_path, strerror(-rc));
	goto fail_rc;
fail_errno_free:
	rc = -errno;
	snprintf(err, errlen, "control socket: %s", strerror(-rc));
fail_rc:
	if (s->epfd != -1)
		close(s->epfd);
	if (s->lfd != -1)
		close(s->lfd);
	free(s->sock_path);
	free(s->config_path);
	free(s);
	errno = -rc;
	return NULL;
fail_errno:
	snprintf(err, errlen, "control socket: %s", strerror(errno));
	return NULL;
}

static void client_drop(struct ctl_server *s, struct ctl_client *c)
{
	if (c->fd == -1)
		return;
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->in);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

void ctl_server_close(struct ctl_server *s)
{
	unsigned i;

	if (s == NULL)
		return;
	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		client_drop(s, &s->clients[i]);
	close(s->lfd);
	close(s->epfd);
	unlink(s->sock_path);
	free(s->sock_path);
	free(s->config_path);
	free(s);
}

int ctl_server_fd(const struct ctl_server *s)
{
	return s->epfd;
}

/* ------------------------------------------------------------------------
 * Who may change things.
 */

/* The Groups: line of /proc/PID/status: the peer's supplementary groups
 * as they are now.  1 member, 0 not, -1 unknown (no procfs). */
static int proc_in_group(pid_t pid, gid_t group)
{
	char path[64], line[4096], *p, *end;
	unsigned long g;
	FILE *f;
	int found = -1;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "Groups:", 7) != 0)
			continue;
		found = 0;
		for (p = line + 7;;) {
			errno = 0;
			g = strtoul(p, &end, 10);
			if (end == p || errno != 0)
				break;
			if ((gid_t)g == group)
				found = 1;
			p = end;
		}
		break;
	}
	fclose(f);
	return found;
}

/* The group database's view, for systems without /proc. */
static bool user_in_group(uid_t uid, gid_t pgid, gid_t group)
{
	struct passwd pw, *res = NULL;
	gid_t groups[256];
	char buf[4096];
	int n = (int)(sizeof(groups) / sizeof(groups[0])), i;

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) != 0 || res == NULL)
		return false;
	if (getgrouplist(pw.pw_name, pgid, groups, &n) == -1)
		return false;
	for (i = 0; i < n; i++)
		if (groups[i] == group)
			return true;
	return false;
}

static bool peer_may_change(const struct ctl_server *s, const struct ucred *uc)
{
	int in;

	if (uc->uid == 0 || uc->uid == geteuid() || uc->gid == s->group)
		return true;
	in = proc_in_group(uc->pid, s->group);
	if (in >= 0)
		return in == 1;
	return user_in_group(uc->uid, uc->gid, s->group);
}

/* ------------------------------------------------------------------------
 * Clients.
 */

/* Make room by dropping a client that has not moved in CTL_STALE_MS. */
static struct ctl_client *client_slot(struct ctl_server *s, uint64_t now)
{
	struct ctl_client *oldest = NULL;
	unsigned i;

	for (i = 0; i < CTL_MAX_CLIENTS; i++) {
		if (s->clients[i].fd == -1)
			return &s->clients[i];
		if (oldest == NULL ||
		    s->clients[i].active_ms < oldest->active_ms)
			oldest = &s->clients[i];
	}
	if (now - oldest->active_ms < CTL_STALE_MS)
		return NULL;
	log_debug("ctl: dropping client pid %ld: idle for %" PRIu64 " ms",
		  (long)oldest->pid, now - oldest->active_ms);
	client_drop(s, oldest);
	return oldest;
}

static void ctl_accept(struct ctl_server *s)
{
	struct epoll_event ev;
	struct ctl_client *c;
	struct ucred uc;
	socklen_t len = sizeof(uc);
	uint64_t now = mono_ms();
	int fd;

	fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd == -1) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warn("ctl: accept");
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == -1) {
		log_warn("ctl: SO_PEERCRED");
		close(fd);
		return;
	}
	c = client_slot(s, now);
	if (c == NULL) {
		log_warnx("ctl: too many clients, refusing pid %ld",
			  (long)uc.pid);
		close(fd);
		return;
	}
	c->in = malloc(CTL_INBUF);
	c->out = malloc(CTL_OUTBUF);
	if (c->in == NULL || c->out == NULL) {
		log_warn("ctl: client buffers");
		goto drop;
	}
	c->fd = fd;
	c->uid = uc.uid;
	c->pid = uc.pid;
	c->may_change = peer_may_change(s, &uc);
	c->active_ms = now;
	c->events = EPOLLIN;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u32 = (uint32_t)(c - s->clients) + 1;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
		log_warn("ctl: epoll");
		goto drop;
	}
	return;
drop:
	free(c->in);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	close(fd);
}

/* A whole request (or a header that will not parse) waits in c->in. */
static bool request_ready(const struct ctl_client *c)
{
	unsigned type;
	uint32_t len;

	if (c->in_len < CTL_HDR_LEN)
		return false;
	if (ctl_hdr_get(c->in, &type, &len) != 0)
		return true;
	return c->in_len >= CTL_HDR_LEN + len;
}

/*
 * What to wait for: EPOLLOUT while answers are queued (and no reading:
 * that is the flow control) or while requests wait that the per-call
 * bound left (EPOLLOUT is ready at once and brings us back; bytes already
 * read would not make EPOLLIN fire again), else EPOLLIN until EOF.
 */
static int client_events(struct ctl_server *s, struct ctl_client *c)
{
	struct epoll_event ev;
	uint32_t want;

	if (c->out_len > c->out_off || request_ready(c))
		want = EPOLLOUT;
	else
		want = c->eof ? 0 : EPOLLIN;
	if (want == c->events)
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.events = want;
	ev.data.u32 = (uint32_t)(c - s->clients) + 1;
	if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev) == -1)
		return -errno;
	c->events = want;
	return 0;
}

/* Write what the socket takes now.  0, or -errno: drop the client. */
static int client_flush(struct ctl_client *c)
{
	ssize_t n;

	while (c->out_off < c->out_len) {
		n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n == -1)
			return -errno;
		c->out_off += (size_t)n;
		c->active_ms = mono_ms();
	}
	c->out_off = c->out_len = 0;
	return 0;
}

/* Queue one frame; -ENOBUFS when the client's answers do not fit. */
static int client_put(struct ctl_client *c, enum ctl_frame_type type,
		      const void *a, size_t alen, const void *b, size_t blen)
{
	if (alen + blen > CTL_FRAME_MAX)
		return -EMSGSIZE;
	if (c->out_off > 0 && c->out_len + CTL_HDR_LEN + alen + blen >
	    CTL_OUTBUF) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	if (c->out_len + CTL_HDR_LEN + alen + blen > CTL_OUTBUF)
		return -ENOBUFS;
	ctl_hdr_put(c->out + c->out_len, type, (uint32_t)(alen + blen));
	c->out_len += CTL_HDR_LEN;
	if (alen > 0)
		memcpy(c->out + c->out_len, a, alen);
	c->out_len += alen;
	if (blen > 0)
		memcpy(c->out + c->out_len, b, blen);
	c->out_len += blen;
	return 0;
}

/* The text in CTL_FRAME_MAX pieces, then DONE. */
static int reply_ok(struct ctl_client *c, const char *text, size_t len)
{
	size_t n;
	int rc;

	while (len > 0) {
		n = len < CTL_FRAME_MAX ? len : CTL_FRAME_MAX;
		if ((rc = client_put(c, CTL_REP_OUTPUT, text, n, NULL, 0)) != 0)
			return rc;
		text += n;
		len -= n;
	}
	return client_put(c, CTL_REP_DONE, NULL, 0, NULL, 0);
}

static int reply_error(struct ctl_client *c, unsigned line, unsigned column,
		       const char *msg)
{
	uint8_t pos[8];

	pos[0] = (uint8_t)(line >> 24);
	pos[1] = (uint8_t)(line >> 16);
	pos[2] = (uint8_t)(line >> 8);
	pos[3] = (uint8_t)line;
	pos[4] = (uint8_t)(column >> 24);
	pos[5] = (uint8_t)(column >> 16);
	pos[6] = (uint8_t)(column >> 8);
	pos[7] = (uint8_t)column;
	return client_put(c, CTL_REP_ERROR, pos, sizeof(pos), msg,
			  strlen(msg));
}

static void monitor_hook(void *arg, FILE *out)
{
	struct ctl_server *s = arg;
	struct ctl_monitor *m;

	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		fputs("failure: out of memory\n", out);
		return;
	}
	s->ops->monitor(s->ctx, m);
	ctl_monitor_print(m, out);
	free(m);
}

/*
 * Run one command line for client c.  A change runs on a copy of the
 * config in force; it reaches the daemon (apply) only when it parsed and
 * validated as a whole and the peer may change things, and reaches the
 * file only when the daemon took it.
 */
static int run_request(struct ctl_server *s, struct ctl_client *c,
		       const char *line, size_t len)
{
	struct conf_hooks hooks = { monitor_hook, s };
	struct tflow_config *next;
	struct conf_error cerr;
	char msg[512], aerr[256];
	char *text = NULL;
	size_t text_len = 0;
	FILE *out;
	int rc;

	next = malloc(sizeof(*next));
	if (next == NULL)
		return reply_error(c, 0, 0, "failure: out of memory");
	memcpy(next, s->ops->config(s->ctx), sizeof(*next));
	out = open_memstream(&text, &text_len);
	if (out == NULL) {
		free(next);
		return reply_error(c, 0, 0, "failure: out of memory");
	}
	rc = conf_run_command(next, line, len, out, &hooks, &cerr);
	if (fclose(out) != 0 && rc >= 0) {
		rc = -ENOMEM;
		snprintf(cerr.msg, sizeof(cerr.msg), "out of memory");
	}
	if (rc == -EINVAL) {
		rc = reply_error(c, cerr.line, cerr.column, cerr.msg);
		goto done;
	}
	if (rc < 0) {
		snprintf(msg, sizeof(msg), "failure: %s", cerr.msg);
		rc = reply_error(c, 0, 0, msg);
		goto done;
	}
	if (rc == 1) {
		if (!c->may_change) {
			rc = reply_error(c, 0, 0, CTL_MSG_NOT_PERMITTED);
			goto done;
		}
		aerr[0] = '\0';
		rc = s->ops->apply(s->ctx, next, aerr, sizeof(aerr));
		if (rc != 0) {
			snprintf(msg, sizeof(msg), "failure: %s",
				 aerr[0] != '\0' ? aerr : strerror(-rc));
			rc = reply_error(c, 0, 0, msg);
			goto done;
		}
		if (s->config_path != NULL &&
		    (rc = conf_save(s->config_path, next)) != 0) {
			log_warnx("ctl: change applied but not saved: %s: %s",
				  s->config_path, strerror(-rc));
			snprintf(msg, sizeof(msg), "failure: applied, but "
				 "cannot save %s: %s", s->config_path,
				 strerror(-rc));
			rc = reply_error(c, 0, 0, msg);
			goto done;
		}
		log_info("ctl: uid %ld: %.*s", (long)c->uid,
			 (int)(len < 200 ? len : 200), line);
	}
	rc = reply_ok(c, text, text_len);
done:
	free(text);
	free(next);
	return rc;
}

/* Run the complete requests in c->in; at most CTL_REQS_PER_CALL, and none
 * while earlier answers are still queued. */
static int client_requests(struct ctl_server *s, struct ctl_client *c)
{
	unsigned type, done = 0;
	uint32_t len;
	size_t used = 0;
	int rc = 0;

	while (done < CTL_REQS_PER_CALL && c->out_len == c->out_off &&
	       c->in_len - used >= CTL_HDR_LEN) {
		if (ctl_hdr_get(c->in + used, &type, &len) != 0) {
			/* a stranger or a newer client: say so, then hang up */
			(void)reply_error(c, 0, 0, "failure: unsupported "
					  "control protocol version");
			(void)client_flush(c);
			return -EPROTO;
		}
		if (c->in_len - used < CTL_HDR_LEN + len)
			break;
		if (type == CTL_REQ_COMMAND)
			rc = run_request(s, c,
			    (const char *)c->in + used + CTL_HDR_LEN, len);
		else
			rc = reply_error(c, 0, 0, "failure: unknown request");
		used += CTL_HDR_LEN + len;
		done++;
		if (rc != 0)
			break;
		if ((rc = client_flush(c)) != 0)
			break;
	}
	if (used > 0) {
		memmove(c->in, c->in + used, c->in_len - used);
		c->in_len -= used;
	}
	return rc;
}

static void client_io(struct ctl_server *s, struct ctl_client *c,
		      uint32_t events)
{
	ssize_t n;
	int rc;

	if ((rc = client_flush(c)) != 0)
		goto drop;
	if (!c->eof && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) &&
	    c->in_len < CTL_INBUF) {
		n = recv(c->fd, c->in + c->in_len, CTL_INBUF - c->in_len,
			 MSG_DONTWAIT);
		if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR) {
			rc = -errno;
			goto drop;
		}
		/* a half-close after the last request still gets answers */
		if (n == 0)
			c->eof = true;
		if (n > 0) {
			c->in_len += (size_t)n;
			c->active_ms = mono_ms();
		}
	}
	if ((rc = client_requests(s, c)) != 0 || (rc = client_flush(c)) != 0)
		goto drop;
	if (c->eof && c->out_len == c->out_off && !request_ready(c))
		goto drop;
	if ((rc = client_events(s, c)) != 0)
		goto drop;
	return;
drop:
	if (rc != 0 && rc != -EPIPE && rc != -ECONNRESET)
		log_debug("ctl: dropping client pid %ld: %s", (long)c->pid,
			  strerror(-rc));
	client_drop(s, c);
}

void ctl_server_process(struct ctl_server *s)
{
	struct epoll_event evs[CTL_EVENTS_PER_CALL];
	int n, i;

	n = epoll_wait(s->epfd, evs, CTL_EVENTS_PER_CALL, 0);
	for (i = 0; i < n; i++) {
		if (evs[i].data.u32 == CTL_EV_LISTEN)
			ctl_accept(s);
		else if (evs[i].data.u32 <= CTL_MAX_CLIENTS &&
			 s->clients[evs[i].data.u32 - 1].fd != -1)
			client_io(s, &s->clients[evs[i].data.u32 - 1],
				  evs[i].events);
	}
}

/* ------------------------------------------------------------------------
 * monitor.
 */

struct mon_line {
	char name[48];
	char value[160];
};

/* RouterOS's Status tab: names right-aligned on the colon. */
static void mon_print(const struct mon_line *l, size_t n, FILE *out)
{
	size_t i, width = 0;

	for (i = 0; i < n; i++)
		if (strlen(l[i].name) > width)
			width = strlen(l[i].name);
	for (i = 0; i < n; i++)
		fprintf(out, "%*s: %s\n", (int)width, l[i].name, l[i].value);
}

#define MON_LINES (24 + PKT_REASON_MAX + 8 * CONF_MAX_TARGETS)

static struct mon_line *mon_add(struct mon_line *l, size_t *n,
				const char *name)
{
	if (*n >= MON_LINES)
		return NULL;
	snprintf(l[*n].name, sizeof(l[*n].name), "%s", name);
	l[*n].value[0] = '\0';
	return &l[(*n)++];
}

#define MON_U64(l, n, name, v) do {					\
	struct mon_line *ml_ = mon_add((l), (n), (name));		\
	if (ml_ != NULL)						\
		snprintf(ml_->value, sizeof(ml_->value), "%" PRIu64,	\
			 (uint64_t)(v));				\
} while (0)

#define MON_STR(l, n, name, s) do {					\
	struct mon_line *ml_ = mon_add((l), (n), (name));		\
	if (ml_ != NULL)						\
		snprintf(ml_->value, sizeof(ml_->value), "%s", (s));	\
} while (0)

static const char *version_name(unsigned v)
{
	switch (v) {
	case 1: return "1";
	case 5: return "5";
	case 9: return "9";
	case 10: return "ipfix";
	default: return "?";
	}
}

void ctl_monitor_print(const struct ctl_monitor *m, FILE *out)
{
	struct mon_line *l;
	char name[48], v[160];
	uint64_t total = 0, up;
	size_t n = 0;
	unsigned i, r, nt;

	l = calloc(MON_LINES, sizeof(*l));
	if (l == NULL) {
		fputs("failure: out of memory\n", out);
		return;
	}
	MON_STR(l, &n, "enabled", m->enabled ? "yes" : "no");
	up = m->uptime_ms / 1000;
	snprintf(v, sizeof(v), "%" PRIu64 "d%02" PRIu64 ":%02" PRIu64
		 ":%02" PRIu64, up / 86400, up / 3600 % 24, up / 60 % 60,
		 up % 60);
	/* RouterOS prints uptimes without a zero day count */
	MON_STR(l, &n, "uptime", up >= 86400 ? v : strchr(v, 'd') + 1);
	MON_U64(l, &n, "active-flows", m->active_flows);
	MON_U64(l, &n, "finished-flows", m->finished_flows);
	MON_U64(l, &n, "packets-seen", m->packets_seen);
	MON_U64(l, &n, "sampled-out", m->packets_sampled_out);
	for (r = PKT_OK + 1; r < PKT_REASON_MAX; r++)
		total += m->not_parsable[r];
	MON_U64(l, &n, "not-parsable", total);
	for (r = PKT_OK + 1; r < PKT_REASON_MAX; r++) {
		if (m->not_parsable[r] == 0)
			continue;
		/* pkt_reason_name() is snake_case; RouterOS names are
		 * kebab-case */
		snprintf(name, sizeof(name), "not-parsable-%s",
			 pkt_reason_name((enum pkt_reason)r));
		for (char *p = name; *p != '\0'; p++)
			if (*p == '_')
				*p = '-';
		MON_U64(l, &n, name, m->not_parsable[r]);
	}
	MON_U64(l, &n, "dropped-by-capture", m->capture_drops);
	MON_U64(l, &n, "evicted-when-full", m->evicted);
	MON_U64(l, &n, "workers", m->workers);
	MON_U64(l, &n, "interfaces", m->interfaces);
	if (m->notice[0] != '\0')
		MON_STR(l, &n, "notice", m->notice);
	nt = m->n_targets < CONF_MAX_TARGETS ? m->n_targets :
	     CONF_MAX_TARGETS;
	MON_U64(l, &n, "targets", nt);
	for (i = 0; i < nt; i++) {
		const struct ctl_monitor_target *t = &m->targets[i];

		snprintf(v, sizeof(v), "%.*s version=%s",
			 (int)sizeof(t->name), t->name,
			 version_name(t->version));
		snprintf(name, sizeof(name), "target-%u", i);
		MON_STR(l, &n, name, v);
		MON_U64(l, &n, "datagrams", t->datagrams);
		MON_U64(l, &n, "records", t->records);
		MON_U64(l, &n, "templates", t->templates);
		if (t->version == 1 || t->version == 5)
			MON_U64(l, &n, "not-exportable", t->not_exportable);
		MON_U64(l, &n, "send-errors", t->send_errors);
		snprintf(v, sizeof(v), "%.*s", (int)sizeof(t->last_error),
			 t->last_error[0] != '\0' ? t->last_error : "none");
		MON_STR(l, &n, "last-error", v);
	}
	mon_print(l, n, out);
	free(l);
}
