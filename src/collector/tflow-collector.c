/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tflow-collector: receives NetFlow v1/v5/v9 and IPFIX and prints one line
 * per flow record on stdout, and/or stores the records in rotated files
 * (--write, src/store/).  This file is the top level: options, the worker
 * threads and the main thread's signal loop.
 *
 * Each of the --workers threads has its own socket per --listen address,
 * bound with SO_REUSEPORT, its own epoll and its own decoder (collect.h):
 * the kernel hashes datagrams by 4-tuple, so an exporter's templates stay
 * with one worker and workers share nothing but the output lock.  The main
 * thread only waits for signals (signalfd; they are blocked everywhere)
 * and prints the accounting report on SIGUSR1 and at exit.
 *
 * With --write every decoded record is also copied into the store's
 * in-memory block (store_writer_add: a copy, no I/O); the store's own
 * threads compress, write, rotate and expire.  Workers share one store
 * writer, so with several workers each batch holds its lock.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <syslog.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "cidr.h"
#include "collect.h"
#include "conf.h"
#include "listen.h"
#include "log.h"
#include "record_fmt.h"
#include "store.h"

#define PROG "tflow-collector"
#define MAX_LISTEN 16
#define MAX_ALLOW 256
#define MAX_WORKERS 256
/* Asked of every socket; without CAP_NET_ADMIN the kernel caps it at
 * net.core.rmem_max. */
#define RCVBUF_BYTES (32 * 1024 * 1024)
/* recvmmsg batches read from one socket per wake-up before the worker
 * looks at its other sockets, the clock and the stop flag again: 16 x 64
 * datagrams is a few milliseconds of decoding, short enough for fairness
 * between --listen sockets, long enough to amortise epoll_wait. */
#define BATCHES_PER_WAKE 16
/* On stop, what is already queued is still read, but a flood that keeps
 * coming must not keep the collector from exiting. */
#define BATCHES_AT_STOP 1024
#define EXPIRE_EVERY_MS 1000
/* With --write the workers wake at least this often to let the store see
 * the time: a block is handed to its writer within sync_ms / 2 + this,
 * so a crash loses well under a second. */
#define STORE_TICK_MS 250

struct collector;

struct worker {
	pthread_t thread;
	struct collector *top;
	struct collect *col;
	int epfd;
	int fds[MAX_LISTEN];
	size_t n_fds;
	struct listen_batch *batch;
	bool started;
};

struct collector {
	struct sockaddr_storage listen[MAX_LISTEN];
	size_t n_listen;
	struct cidr allow[MAX_ALLOW];
	size_t n_allow;
	unsigned n_workers;
	struct collect_config ccfg;
	struct collect_out *out;
	struct worker *workers;
	struct collect **cols;		/* workers[i].col, for the report */
	int stop_fd;			/* eventfd: readable once stopping */
	atomic_bool stop;
	atomic_int out_err;		/* output failed: exit status 1 */
	bool format_given;
	struct store_writer_opts sopts;	/* sopts.dir != NULL: --write */
	struct store_writer *store;
	bool store_locked;		/* several workers share it */
	bool store_closed;
	struct store_writer_stats store_final;	/* after the close */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " [--listen [ADDR]:PORT]... [--format text|json|csv]\n"
		"           [--write DIR] [--rotate SECONDS] [--expire-size SIZE]\n"
		"           [--expire-age TIME] [--allow CIDR]... [--workers N]\n"
		"           [--template-timeout TIME] [--scale] [-v]\n"
		"  -l, --listen [ADDR]:PORT   receive on ADDR:PORT, repeatable "
		"(default :%d, IPv4 and IPv6)\n"
		"  -F, --format FORMAT        text, json or csv (default text; none "
		"with --write)\n"
		"  -W, --write DIR            store records in compressed files "
		"under DIR\n"
		"  -R, --rotate SECONDS       a new file every SECONDS (default 300)\n"
		"  -S, --expire-size SIZE     delete the oldest files above SIZE "
		"(100G, 512M)\n"
		"  -A, --expire-age TIME      delete files older than TIME "
		"(31d, 12h)\n"
		"  -a, --allow CIDR           accept only these exporters, repeatable\n"
		"  -w, --workers N            receiving threads (default 1)\n"
		"  -T, --template-timeout TIME  forget templates not refreshed for TIME "
		"(default 30m, 0 never)\n"
		"  -s, --scale                multiply packets and bytes by the "
		"sampling rate\n"
		"  -v, --verbose              more messages\n"
		"  -h, --help                 this text\n",
		LISTEN_DEFAULT_PORT);
}

static uint64_t realtime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void request_stop(struct collector *co)
{
	uint64_t one = 1;

	atomic_store(&co->stop, true);
	/* The eventfd is never read, so it stays readable: every worker's
	 * epoll and the main poll see it. */
	if (write(co->stop_fd, &one, sizeof(one)) == -1 && errno != EAGAIN)
		log_warn("eventfd write");
}

/* Up to `max` batches from one socket.  Returns 0, or -errno when the
 * output failed. */
static int drain(struct worker *w, int fd, unsigned max)
{
	const struct listen_dgram *d;
	unsigned i;
	int n, r;

	for (i = 0; i < max; i++) {
		n = listen_receive(fd, w->batch, &d);
		if (n < 0) {
			/* ECONNREFUSED and friends are ICMP errors of
			 * nothing we sent; ENOMEM passes.  Not fatal. */
			log_debug("recvmmsg: %s", strerror(-n));
			return 0;
		}
		if (n == 0)
			return 0;
		if (w->top->store_locked)
			store_writer_lock(w->top->store);
		r = collect_batch(w->col, d, (size_t)n, realtime_ms());
		if (w->top->store_locked)
			store_writer_unlock(w->top->store);
		if (r != 0)
			return r;
		if (n < LISTEN_BATCH)
			return 0;
	}
	return 0;
}

/* The store's record hook (collect_config.on_record). */
static void store_record(void *arg, const struct tflow_record *rec,
			 uint64_t now_ms)
{
	struct collector *co = arg;

	/* -ENOBUFS is counted by the store and reported at exit. */
	(void)store_writer_add(co->store, rec, now_ms);
}

static void store_loss(void *arg, const struct dec_source *src,
		       uint16_t version, uint32_t domain, uint64_t lost_records,
		       uint64_t lost_datagrams)
{
	struct collector *co = arg;

	store_writer_note_loss(co->store, src->addr, src->family, version,
			       domain, lost_records, lost_datagrams);
}

/* Lines from the store's threads. */
static void store_notify(void *arg, int prio, const char *msg)
{
	(void)arg;
	if (prio <= LOG_WARNING)
		log_warnx("store: %s", msg);
	else if (prio <= LOG_INFO)
		log_info("store: %s", msg);
	else
		log_debug("store: %s", msg);
}

/* Periodic store work of a worker: the time, and losses once a second. */
static void store_tick(struct worker *w, uint64_t now, bool losses)
{
	struct collector *co = w->top;

	if (co->store == NULL)
		return;
	if (co->store_locked)
		store_writer_lock(co->store);
	if (losses)
		collect_losses(w->col, store_loss, co);
	store_writer_tick(co->store, now);
	if (co->store_locked)
		store_writer_unlock(co->store);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct collector *co = w->top;
	struct epoll_event ev[MAX_LISTEN + 1];
	uint64_t now, last_expire = realtime_ms();
	int n, i, r = 0;
	int timeout = co->store != NULL ? STORE_TICK_MS : EXPIRE_EVERY_MS;
	size_t k;

	while (!atomic_load(&co->stop) && r == 0) {
		n = epoll_wait(w->epfd, ev, MAX_LISTEN + 1, timeout);
		if (n == -1 && errno != EINTR) {
			log_warn("epoll_wait");
			break;
		}
		for (i = 0; i < n && r == 0; i++) {
			if (ev[i].data.fd == co->stop_fd)
				continue;	/* the loop test sees it */
			r = drain(w, ev[i].data.fd, BATCHES_PER_WAKE);
		}
		now = realtime_ms();
		if (now - last_expire >= EXPIRE_EVERY_MS || now < last_expire) {
			collect_expire(w->col, now);
			last_expire = now;
			store_tick(w, now, true);
		} else {
			store_tick(w, now, false);
		}
	}
	/* Stopping: what the kernel already accepted is decoded and
	 * printed, so a SIGTERM right after the last export loses nothing. */
	for (k = 0; k < w->n_fds && r == 0; k++)
		r = drain(w, w->fds[k], BATCHES_AT_STOP);
	store_tick(w, realtime_ms(), true);
	if (r != 0) {
		log_warnx("writing records: %s", strerror(-r));
		atomic_store(&co->out_err, 1);
		request_stop(co);
	}
	return NULL;
}

static int worker_setup(struct collector *co, struct worker *w)
{
	struct epoll_event ev;
	size_t i;
	int fd;

	w->top = co;
	w->epfd = -1;
	w->col = collect_new(&co->ccfg, co->out);
	if (w->col == NULL)
		return -errno;
	w->batch = listen_batch_new();
	if (w->batch == NULL)
		return -errno;
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd == -1)
		return -errno;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.fd = co->stop_fd;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, co->stop_fd, &ev) == -1)
		return -errno;
	for (i = 0; i < co->n_listen; i++) {
		/* SO_REUSEPORT always: workers of this process share the
		 * port, and so may several collector processes. */
		fd = listen_open(&co->listen[i], true, RCVBUF_BYTES);
		if (fd < 0)
			return fd;
		w->fds[w->n_fds++] = fd;
		ev.data.fd = fd;
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) == -1)
			return -errno;
	}
	return 0;
}

static void worker_clear(struct worker *w)
{
	size_t i;

	for (i = 0; i < w->n_fds; i++)
		close(w->fds[i]);
	if (w->epfd != -1)
		close(w->epfd);
	listen_batch_free(w->batch);
	collect_free(w->col);
}

static const char *sockaddr_text(const struct sockaddr_storage *ss,
				 char *buf, size_t len)
{
	uint8_t a[16];
	uint8_t fam;
	uint16_t port;
	char t[64];

	listen_peer(ss, a, &fam, &port);
	if (ss->ss_family == AF_INET6 && fam == 6) {
		record_fmt_addr(a, 6, t, sizeof(t));
		snprintf(buf, len, "[%s]:%u", t, port);
	} else {
		record_fmt_addr(a, 4, t, sizeof(t));
		snprintf(buf, len, "%s:%u", t, port);
	}
	return buf;
}

/* Parses argv into co; exits on a usage error. */
static void parse_args(struct collector *co, int argc, char **argv,
		       int *verbose)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "format", required_argument, NULL, 'F' },
		{ "write", required_argument, NULL, 'W' },
		{ "rotate", required_argument, NULL, 'R' },
		{ "expire-size", required_argument, NULL, 'S' },
		{ "expire-age", required_argument, NULL, 'A' },
		{ "allow", required_argument, NULL, 'a' },
		{ "workers", required_argument, NULL, 'w' },
		{ "template-timeout", required_argument, NULL, 'T' },
		{ "scale", no_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t ms;
	char *end;
	long v;
	int ch;

	while ((ch = getopt_long(argc, argv, "l:F:W:R:S:A:a:w:T:svh", opts,
				 NULL)) != -1) {
		switch (ch) {
		case 'l':
			if (co->n_listen == MAX_LISTEN)
				fatalx("at most %d --listen addresses",
				       MAX_LISTEN);
			if (listen_parse(optarg, &co->listen[co->n_listen]) != 0)
				fatalx("--listen %s: expected [ADDR]:PORT, "
				       "ADDR:PORT or PORT", optarg);
			co->n_listen++;
			break;
		case 'F':
			if (record_fmt_from_name(optarg, &co->ccfg.fmt) != 0)
				fatalx("--format %s: expected text, json or csv",
				       optarg);
			co->format_given = true;
			break;
		case 'W':
			if (*optarg == '\0')
				fatalx("--write: expected a directory");
			co->sopts.dir = optarg;
			break;
		case 'R':
			/* Seconds, or a RouterOS time (5m, 1h). */
			if (conf_parse_time_ms(optarg, &ms) != 0 ||
			    ms < 1000 || ms % 1000 != 0 ||
			    ms > 7ULL * 24 * 3600 * 1000)
				fatalx("--rotate %s: expected whole seconds, "
				       "1 to 604800 (300, 5m, 1h)", optarg);
			co->sopts.rotate_s = (uint32_t)(ms / 1000);
			break;
		case 'S':
			if (store_parse_size(optarg, &co->sopts.expire_size) !=
			    0 || co->sopts.expire_size == 0)
				fatalx("--expire-size %s: expected a size "
				       "(100G, 512M, 2T)", optarg);
			break;
		case 'A':
			if (conf_parse_time_ms(optarg, &ms) != 0 || ms == 0)
				fatalx("--expire-age %s: expected a time "
				       "(31d, 12h, 3600s)", optarg);
			co->sopts.expire_age_ms = ms;
			break;
		case 'a':
			if (co->n_allow == MAX_ALLOW)
				fatalx("at most %d --allow prefixes", MAX_ALLOW);
			if (cidr_parse(optarg, &co->allow[co->n_allow]) != 0)
				fatalx("--allow %s: expected an address or "
				       "prefix (192.0.2.0/24, 2001:db8::/32)",
				       optarg);
			co->n_allow++;
			break;
		case 'w':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || errno != 0 ||
			    v < 1 || v > MAX_WORKERS)
				fatalx("--workers %s: expected 1..%d", optarg,
				       MAX_WORKERS);
			co->n_workers = (unsigned)v;
			break;
		case 'T':
			if (conf_parse_time_ms(optarg, &ms) != 0)
				fatalx("--template-timeout %s: expected a time "
				       "(90s, 30m, 1h, 0)", optarg);
			co->ccfg.dec.template_timeout_ms = ms;
			break;
		case 's':
			co->ccfg.scale = true;
			break;
		case 'v':
			(*verbose)++;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind != argc) {
		usage(stderr);
		exit(2);
	}
	if (co->sopts.dir == NULL && (co->sopts.rotate_s != 0 ||
				      co->sopts.expire_size != 0 ||
				      co->sopts.expire_age_ms != 0))
		fatalx("--rotate, --expire-size and --expire-age need --write");
	if (co->n_listen == 0) {
		char spec[16];

		snprintf(spec, sizeof(spec), ":%d", LISTEN_DEFAULT_PORT);
		if (listen_parse(spec, &co->listen[0]) != 0)
			fatalx("default listen address");
		co->n_listen = 1;
	}
}

/* The store's counters, one line before the totals. */
static void store_report(struct collector *co)
{
	struct store_writer_stats st;

	if (co->store_closed)
		st = co->store_final;
	else if (co->store != NULL)
		store_writer_get_stats(co->store, &st);
	else
		return;
	fprintf(stderr, PROG ": store dir=%s records=%" PRIu64 " dropped=%"
		PRIu64 " files=%" PRIu64 " bytes=%" PRIu64 " expired_files=%"
		PRIu64 " write_errors=%" PRIu64 " compacted=%" PRIu64
		" not_compacted=%" PRIu64 "\n", co->sopts.dir,
		st.records, st.dropped, st.files, st.bytes, st.expired_files,
		st.write_errors, st.compacted, st.not_compacted);
	fflush(stderr);
}

/* Waits for a signal or a worker's stop request.  Returns when stopping. */
static void main_loop(struct collector *co, int sigfd)
{
	struct signalfd_siginfo si;
	struct pollfd p[2];
	ssize_t n;

	p[0].fd = sigfd;
	p[0].events = POLLIN;
	p[1].fd = co->stop_fd;
	p[1].events = POLLIN;
	for (;;) {
		if (poll(p, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			log_warn("poll");
			return;
		}
		if (p[1].revents != 0)
			return;
		if ((p[0].revents & POLLIN) == 0)
			continue;
		n = read(sigfd, &si, sizeof(si));
		if (n != (ssize_t)sizeof(si))
			continue;
		switch (si.ssi_signo) {
		case SIGUSR1:
			collect_report(co->cols, co->n_workers, PROG, stderr);
			store_report(co);
			break;
		case SIGINT:
		case SIGTERM:
		case SIGHUP:
			log_info("signal %u: stopping", si.ssi_signo);
			return;
		default:
			break;
		}
	}
}

int main(int argc, char **argv)
{
	struct collector *co;
	sigset_t sigs;
	char hdr[RECORD_FMT_MAX], a[80];
	size_t n, i;
	int sigfd, r, verbose = 0, status = 0;
	unsigned k, started = 0;

	co = calloc(1, sizeof(*co));
	if (co == NULL)
		return 1;
	co->n_workers = 1;
	co->ccfg.fmt = RECORD_FMT_TEXT;
	dec_config_default(&co->ccfg.dec);
	log_init(PROG, true, 0);
	parse_args(co, argc, argv, &verbose);
	log_init(PROG, true, verbose);
	co->ccfg.allow = co->allow;
	co->ccfg.n_allow = co->n_allow;

	/* Signals are blocked before any thread exists, so every thread
	 * inherits the mask and only the signalfd sees them. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR1);
	if (pthread_sigmask(SIG_BLOCK, &sigs, NULL) != 0)
		fatalx("pthread_sigmask");
	/* A closed stdout reader shows as EPIPE from write(), which stops
	 * the collector with a message rather than a silent death. */
	signal(SIGPIPE, SIG_IGN);
	sigfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (sigfd == -1)
		fatal("signalfd");
	co->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (co->stop_fd == -1)
		fatal("eventfd");
	co->out = collect_out_new(STDOUT_FILENO);
	if (co->out == NULL)
		fatal("output");
	/* After the signal mask: the store's threads inherit it. */
	if (co->sopts.dir != NULL) {
		char err[512];

		co->sopts.notify = store_notify;
		co->store = store_writer_open(&co->sopts, err, sizeof(err));
		if (co->store == NULL)
			fatalx("--write %s: %s", co->sopts.dir, err);
		co->store_locked = co->n_workers > 1;
		co->ccfg.on_record = store_record;
		co->ccfg.on_record_arg = co;
		/* --write alone stores quietly; --format prints as well. */
		co->ccfg.quiet = !co->format_given;
		log_info("storing records under %s (a file every %" PRIu32
			 " s)", co->sopts.dir, co->sopts.rotate_s != 0 ?
			 co->sopts.rotate_s : 300);
	}

	co->workers = calloc(co->n_workers, sizeof(*co->workers));
	co->cols = calloc(co->n_workers, sizeof(*co->cols));
	if (co->workers == NULL || co->cols == NULL)
		fatal("calloc");
	for (k = 0; k < co->n_workers; k++)
		co->workers[k].epfd = -1;
	for (k = 0; k < co->n_workers; k++) {
		r = worker_setup(co, &co->workers[k]);
		if (r != 0) {
			errno = -r;
			log_warn("worker %u", k);
			status = 1;
			goto clear;
		}
		co->cols[k] = co->workers[k].col;
	}
	for (i = 0; i < co->n_listen; i++)
		log_info("listening on %s (%u worker%s)",
			 sockaddr_text(&co->listen[i], a, sizeof(a)),
			 co->n_workers, co->n_workers == 1 ? "" : "s");

	n = co->ccfg.quiet ? 0 :
	    record_fmt_header(co->ccfg.fmt, hdr, sizeof(hdr));
	if (n > 0 && collect_out_write(co->out, hdr, n) != 0) {
		log_warnx("writing the header failed");
		status = 1;
		goto clear;
	}
	for (k = 0; k < co->n_workers; k++) {
		r = pthread_create(&co->workers[k].thread, NULL, worker_main,
				   &co->workers[k]);
		if (r != 0) {
			errno = r;
			log_warn("pthread_create");
			status = 1;
			break;
		}
		co->workers[k].started = true;
		started++;
	}
	if (started == co->n_workers)
		main_loop(co, sigfd);
	request_stop(co);
	for (k = 0; k < co->n_workers; k++)
		if (co->workers[k].started)
			pthread_join(co->workers[k].thread, NULL);
	if (atomic_load(&co->out_err))
		status = 1;
	if (co->store != NULL) {
		/* Finish the current file before the report, so the
		 * report's counts include it. */
		if (store_writer_close_stats(co->store, &co->store_final) != 0)
			status = 1;
		co->store = NULL;
		co->store_closed = true;
	}
	store_report(co);
	collect_report(co->cols, co->n_workers, PROG, stderr);
clear:
	if (co->store != NULL)
		(void)store_writer_close(co->store);	/* start-up failed */
	for (k = 0; k < co->n_workers; k++)
		worker_clear(&co->workers[k]);
	free(co->workers);
	free(co->cols);
	collect_out_free(co->out);
	close(co->stop_fd);
	close(sigfd);
	free(co);
	return status;
}
