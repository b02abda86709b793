/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * live: tflowd's live mode.  Capture workers (live_worker.h), one per CPU
 * by default, each with its own flow cache shard, feed expired records
 * through lock-free rings to the main thread, whose epoll loop exports
 * them and serves signals, a 1 s timer, the control socket (ctl.h) and
 * netlink (nl.h: links to follow, routes for out_if / next hop / masks).
 * The clock is CLOCK_REALTIME in ms.
 *
 * Life: live_open() opens every socket (capture, control, netlink,
 * export) while the process is still single-threaded and privileged;
 * the caller may then drop privileges and detach; live_start() starts the
 * workers; live_run() loops until SIGTERM/SIGINT, exports every cached
 * flow and returns the exit status; live_close() frees everything.
 *
 * Changes: live_apply() puts a whole new config in force without losing
 * a cached flow; SIGHUP (the config file) and the control socket both use
 * it.  See docs/design/live-capture.md.
 */
#ifndef TFLOW_LIVE_H
#define TFLOW_LIVE_H

#include <stddef.h>

#include "conf.h"

struct live;

struct live_opts {
	const char *config_path;	/* re-read on SIGHUP, saved by the
					 * control socket; NULL: none */
	const char *ctl_path;		/* control socket; NULL or "": none */
};

/*
 * Open everything live mode needs, start no thread.  With cfg->enabled
 * false nothing is captured until a change enables it (that needs a
 * control socket or SIGHUP).  NULL with a message in err.
 */
struct live *live_open(const struct tflow_config *cfg,
		       const struct live_opts *o, char *err, size_t errlen);

/* Block the signals the loop takes (so threads inherit the mask) and
 * start the capture workers.  0 or -errno with a message in err. */
int live_start(struct live *l, char *err, size_t errlen);

/*
 * Run until SIGTERM/SIGINT (or, without a control socket, a reload with
 * enabled=no); then let the workers read their last packets, export every
 * cached flow and log the stats line.  Returns the process exit status:
 * 0, or 1 when the packet counters did not balance.
 */
int live_run(struct live *l);

/* NULL is a no-op. */
void live_close(struct live *l);

/*
 * Put next in force: targets and IPFIX fields, timeouts, sampling,
 * cache-entries, interfaces, enabled, and the capture settings (backend,
 * workers, count-direction: the workers are replaced, their flows
 * exported first).  Returns 0, or -errno with a message in err and the
 * running config unchanged.
 */
int live_apply(struct live *l, const struct tflow_config *next, char *err,
	       size_t errlen);

#endif
