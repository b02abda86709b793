/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tflowd: the probe.  This file is the top level: options, configuration,
 * and the choice between offline mode (-r, pcap timestamps drive every
 * clock) and live capture.  The daemon's top-level state lives here and
 * nowhere else.
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "conf.h"
#include "ctl.h"
#include "daemon.h"
#include "export.h"
#include "live.h"
#include "log.h"
#include "offline.h"
#include "record_fmt.h"

#define TFLOWD_DEFAULT_CONFIG "/etc/tflow/tflow.rsc"
#define TFLOWD_MAX_FILES 256
/* Live mode drops root to this user when it exists. */
#define TFLOWD_USER "tflow"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: tflowd [-f] [-c CONFIG] [-S SOCKET] [-r FILE.pcap]... "
		"[-o text|json|csv] [-p PIDFILE] [-v]\n"
		"  -f          stay in the foreground, log to stderr\n"
		"  -c CONFIG   RouterOS script config (default %s)\n"
		"  -S SOCKET   control socket (default %s)\n"
		"  -r FILE     offline mode: read a pcap file (repeatable)\n"
		"  -o FORMAT   also print every expired flow record on stdout\n"
		"  -p PIDFILE  write the daemon's pid\n"
		"  -v          more messages (repeatable)\n"
		"  -V          print the version\n",
		TFLOWD_DEFAULT_CONFIG, CTL_DEFAULT_SOCKET);
}

/* Where offline records go: printed (-o) and exported to every target,
 * in one pass. */
struct offline_sink {
	const struct tflow_config *cfg;
	bool print;
	enum record_fmt fmt;
	FILE *out;
	uint64_t records;
	struct export_set *exports;	/* created at the first packet */
	const struct offline_stats *st;	/* live counters of the run */
	char err[256];
};

/* What the exporters announce in their RFC 7011 section 4 options data:
 * records made so far, and packets the metering process could not
 * account (not parsable). */
static void sink_meter_stats(struct offline_sink *sk)
{
	struct exp_meter_stats ms;
	int r;

	memset(&ms, 0, sizeof(ms));
	ms.observed_flows = sk->records;
	for (r = PKT_OK + 1; r < PKT_REASON_MAX; r++)
		ms.ignored_packets += sk->st->pkts_dropped[r];
	export_set_stats(sk->exports, &ms);
}

static void sink_record(const struct tflow_record *rec, uint64_t now_ms,
			void *arg)
{
	struct offline_sink *sk = arg;

	sk->records++;
	if (sk->print) {
		char line[RECORD_FMT_MAX];
		size_t n = record_fmt_line(sk->fmt, rec, line, sizeof(line));

		fwrite(line, 1, n, sk->out);
	}
	if (sk->exports != NULL) {
		/* Often enough for every options refresh to be current. */
		if ((sk->records & 255) == 1)
			sink_meter_stats(sk);
		export_set_record(sk->exports, rec, now_ms);
	}
}

/* The first packet's time is the exporter's system init time: sysUptime
 * in v5/v9 headers starts there, as if tflowd had booted with the pcap. */
static int sink_start(uint64_t first_ms, void *arg)
{
	struct offline_sink *sk = arg;
	uint32_t pps = EXPORT_DEFAULT_OFFLINE_PPS;
	const char *env = getenv("TFLOWD_OFFLINE_PPS");

	if (sk->cfg->n_targets == 0)
		return 0;
	if (env != NULL)
		pps = (uint32_t)strtoul(env, NULL, 10);
	sk->exports = export_set_new(sk->cfg, first_ms, true, pps, sk->err,
				     sizeof(sk->err));
	return sk->exports == NULL ? -1 : 0;
}

static void sink_finish(uint64_t last_ms, void *arg)
{
	struct offline_sink *sk = arg;

	if (sk->exports != NULL) {
		sink_meter_stats(sk);
		export_set_flush(sk->exports, last_ms);
	}
}

/* The summary line that tests and operators read: every packet is in one
 * of accounted / sampled out / a named reason. */
static void offline_report(const struct offline_stats *st)
{
	char reasons[1024];
	struct rusage ru;
	uint64_t dropped;

	dropped = pkt_reasons_format(st->pkts_dropped, reasons,
				     sizeof(reasons));
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		memset(&ru, 0, sizeof(ru));
	log_info("offline: files=%" PRIu64 " packets=%" PRIu64
		 " accounted=%" PRIu64 " sampled_out=%" PRIu64
		 " not_parsable=%" PRIu64 "%s records=%" PRIu64
		 " idle=%" PRIu64 " active=%" PRIu64 " end=%" PRIu64
		 " forced=%" PRIu64 " evicted=%" PRIu64
		 " time_backwards=%" PRIu64 " maxrss_kb=%ld cpu_ms=%ld",
		 st->files, st->pkts_seen, st->cache.packets,
		 st->pkts_sampled_out, dropped, reasons,
		 st->cache.expired[TFLOW_END_IDLE] +
		 st->cache.expired[TFLOW_END_ACTIVE] +
		 st->cache.expired[TFLOW_END_DETECTED] +
		 st->cache.expired[TFLOW_END_FORCED] +
		 st->cache.expired[TFLOW_END_RESOURCES],
		 st->cache.expired[TFLOW_END_IDLE],
		 st->cache.expired[TFLOW_END_ACTIVE],
		 st->cache.expired[TFLOW_END_DETECTED],
		 st->cache.expired[TFLOW_END_FORCED],
		 st->cache.expired[TFLOW_END_RESOURCES],
		 st->time_backwards, ru.ru_maxrss,
		 (long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
		 (long)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000);
}

static int run_offline(const struct tflow_config *cfg,
		       const char *const *files, size_t n_files,
		       const char *out_fmt)
{
	struct offline_sink sink = { .cfg = cfg, .out = stdout };
	struct offline_opts opts = {
		.files = files,
		.n_files = n_files,
		.cache_entries = cfg->cache_entries,
		.active_timeout_ms = cfg->active_timeout_ms,
		.inactive_timeout_ms = cfg->inactive_timeout_ms,
		.packet_sampling = cfg->packet_sampling,
		.sampling_interval = cfg->sampling_interval,
		.sampling_space = cfg->sampling_space,
		.emit = sink_record,
		.emit_ctx = &sink,
		.start = sink_start,
		.finish = sink_finish,
	};
	static char outbuf[1 << 16];
	struct offline_stats st;
	char err[512];
	int rc, status = 0;

	if (out_fmt != NULL) {
		char hdr[512];
		size_t n;

		if (record_fmt_from_name(out_fmt, &sink.fmt) != 0) {
			log_warnx("-o %s: expected text, json or csv", out_fmt);
			return 2;
		}
		sink.print = true;
		setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
		n = record_fmt_header(sink.fmt, hdr, sizeof(hdr));
		fwrite(hdr, 1, n, stdout);
	}
	sink.st = &st;
	rc = offline_run(&opts, &st, err, sizeof(err));
	if (fflush(stdout) != 0) {
		log_warn("stdout");
		status = 1;
	}
	offline_report(&st);
	if (sink.exports != NULL) {
		fflush(stdout);
		export_set_report(sink.exports, stderr);
		export_set_free(sink.exports);
	}
	if (!offline_stats_balanced(&st)) {
		/* A broken invariant: a packet was neither counted in a
		 * record nor under a reason. */
		log_warnx("offline: packet counters do not balance");
		status = 1;
	}
	if (rc != 0) {
		log_warnx("%s", rc == -ECANCELED ? sink.err : err);
		status = 1;
	}
	return status;
}

/* path made absolute against the working directory: a detached daemon
 * runs in /, and SIGHUP, the control socket and the pidfile need the
 * paths the operator meant.  0 or -ENAMETOOLONG. */
static int abs_path(const char *path, char *out, size_t outlen)
{
	char cwd[4096];
	int n;

	if (path[0] == '/') {
		n = snprintf(out, outlen, "%s", path);
	} else {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return -errno;
		n = snprintf(out, outlen, "%s/%s", cwd, path);
	}
	return n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : 0;
}

/*
 * Live mode, in the order daemon.h asks for: detach (the parent waits for
 * our verdict), pidfile, every socket opened as root, privileges dropped
 * while still single-threaded, then the worker threads, then syslog and
 * the parent released.  With -f nothing detaches and messages stay on
 * stderr.
 */
static int run_live(const struct tflow_config *cfg, const char *config_path,
		    const char *ctl_path, const char *pidfile, bool foreground,
		    int verbose)
{
	char cpath[4096], spath[4096], ppath[4096], err[512];
	struct live_opts lo = { 0 };
	struct live *l = NULL;
	int notify = -1, pidfd = -1, rc, status = 1;

	if ((config_path != NULL &&
	     abs_path(config_path, cpath, sizeof(cpath)) < 0) ||
	    (ctl_path[0] != '\0' &&
	     abs_path(ctl_path, spath, sizeof(spath)) < 0) ||
	    (pidfile != NULL && abs_path(pidfile, ppath, sizeof(ppath)) < 0)) {
		log_warnx("a path is too long");
		return 1;
	}
	lo.config_path = config_path != NULL ? cpath : NULL;
	lo.ctl_path = ctl_path[0] != '\0' ? spath : NULL;
	if (!foreground && (rc = daemon_detach_begin(&notify)) < 0) {
		log_warnx("cannot detach: %s", strerror(-rc));
		return 1;
	}
	if (pidfile != NULL) {
		pidfd = pidfile_create(ppath, err, sizeof(err));
		if (pidfd < 0) {
			log_warnx("%s", err);
			goto done;
		}
	}
	l = live_open(cfg, &lo, err, sizeof(err));
	if (l == NULL) {
		log_warnx("live: %s", err);
		goto done;
	}
	/* Sockets are open: keep only what capture on interfaces that
	 * appear later needs (CAP_NET_RAW, CAP_NET_ADMIN). */
	rc = privdrop(TFLOWD_USER, err, sizeof(err));
	if (rc < 0) {
		log_warnx("privilege drop: %s", err);
		goto done;
	}
	if (err[0] != '\0')
		log_info("%s", err);
	rc = live_start(l, err, sizeof(err));
	if (rc < 0) {
		log_warnx("live: %s", err);
		goto done;
	}
	if (!foreground) {
		log_init("tflowd", false, verbose);
		(void)daemon_detach_done(notify, 0);
		notify = -1;
	}
	status = live_run(l);
done:
	live_close(l);
	if (pidfd >= 0)
		(void)pidfile_remove(ppath, pidfd);
	if (notify != -1)
		(void)daemon_detach_done(notify, status);
	return status;
}

int main(int argc, char **argv)
{
	const char *files[TFLOWD_MAX_FILES];
	const char *config_path = NULL, *out_fmt = NULL, *pidfile = NULL;
	const char *ctl_path = CTL_DEFAULT_SOCKET;
	struct tflow_config cfg;
	struct conf_error cerr;
	size_t n_files = 0;
	bool foreground = false;
	int verbose = 0, ch, rc;

	while ((ch = getopt(argc, argv, "fc:S:r:o:p:vVh")) != -1) {
		switch (ch) {
		case 'f':
			foreground = true;
			break;
		case 'c':
			config_path = optarg;
			break;
		case 'S':
			/* "" runs without a control socket. */
			ctl_path = optarg;
			break;
		case 'p':
			pidfile = optarg;
			break;
		case 'r':
			if (n_files == TFLOWD_MAX_FILES) {
				fprintf(stderr, "tflowd: at most %d -r files\n",
					TFLOWD_MAX_FILES);
				return 2;
			}
			files[n_files++] = optarg;
			break;
		case 'o':
			out_fmt = optarg;
			break;
		case 'v':
			verbose++;
			break;
		case 'V':
			printf("tflowd %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	/* stderr until live mode has detached (start-up errors reach the
	 * terminal); offline mode is a foreground tool. */
	log_init("tflowd", true, verbose);

	conf_init_defaults(&cfg);
	if (config_path != NULL ||
	    access(TFLOWD_DEFAULT_CONFIG, F_OK) == 0) {
		const char *path = config_path ? config_path :
				   TFLOWD_DEFAULT_CONFIG;

		rc = conf_parse_file(path, &cfg, &cerr);
		if (rc != 0) {
			if (rc == -EINVAL)
				log_warnx("%s:%u:%u: %s", path, cerr.line,
					  cerr.column, cerr.msg);
			else
				log_warnx("%s", cerr.msg);
			return 1;
		}
	}

	if (n_files > 0)
		return run_offline(&cfg, files, n_files, out_fmt);

	/*
	 * Live mode.  As on RouterOS, enabled=no means traffic-flow does not
	 * capture.  With a control socket the daemon stays up to be enabled;
	 * without one (-S "") there is nothing to wait for: say so, exit 0.
	 */
	if (!cfg.enabled && ctl_path[0] == '\0') {
		log_info("traffic-flow is disabled (enabled=no); nothing to do");
		return 0;
	}
	if (out_fmt != NULL)
		log_warnx("-o is only available with -r (offline mode)");
	return run_live(&cfg, config_path != NULL ? config_path :
			access(TFLOWD_DEFAULT_CONFIG, F_OK) == 0 ?
			TFLOWD_DEFAULT_CONFIG : NULL, ctl_path, pidfile,
			foreground, verbose);
}
