/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * export: every enabled /ip traffic-flow target, each an encoder (exp.h)
 * bound to its own UDP socket (target_sock.h).  One pass over expired
 * records feeds all targets, each in its own format.  A target whose
 * socket cannot be opened or whose sends fail is counted and never holds
 * up the others.
 *
 * Offline mode is "patient": a full socket buffer is waited out, and sends
 * are paced (TFLOWD_OFFLINE_PPS datagrams per second, default 20000) so a
 * collector on loopback loses nothing; live mode never waits.
 */
#ifndef TFLOW_EXPORT_H
#define TFLOW_EXPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "conf.h"
#include "ctl.h"
#include "exp.h"
#include "target_sock.h"
#include "tflow/record.h"

#define EXPORT_DEFAULT_OFFLINE_PPS 20000

struct export_set;

/* Builds one encoder and socket per enabled target of cfg (none enabled:
 * a valid empty set).  sys_init_ms is
 * the exporter's start (sysUptime zero).  pps: offline pacing, datagrams
 * per second for each target, 0 = no pacing.  NULL with errno and a
 * message in err on failure (a target socket that fails to open is not a
 * failure: it is counted on every datagram). */
struct export_set *export_set_new(const struct tflow_config *cfg,
				  uint64_t sys_init_ms, bool patient,
				  uint32_t pps, char *err, size_t errlen);
void export_set_free(struct export_set *xs);

/*
 * Put cfg's targets in force: a target whose settings (its row, and the
 * IPFIX toggles and sampling as far as its version uses them) did not
 * change keeps its encoder and socket, so v9/IPFIX sequence numbers and
 * template timing continue; removed and disabled targets flush what they
 * hold and go; new ones are created.  Returns 0, or -EINVAL with a
 * message in err and xs exactly as it was.
 */
int export_set_reconfigure(struct export_set *xs,
			   const struct tflow_config *cfg, uint64_t now_ms,
			   char *err, size_t errlen);

/* The interface table sent in v9/IPFIX options data (copied, and given
 * to targets created later too). */
void export_set_interfaces(struct export_set *xs, const struct exp_iface *ifs,
			   size_t n);

/* Fill m->n_targets and m->targets[] for /ip traffic-flow monitor. */
void export_set_monitor(const struct export_set *xs, struct ctl_monitor *m);

/* Number of targets (enabled ones). */
unsigned export_set_count(const struct export_set *xs);

/* Give one expired record to every target. */
void export_set_record(struct export_set *xs, const struct tflow_record *r,
		       uint64_t now_ms);

/* Send every partly filled datagram. */
void export_set_flush(struct export_set *xs, uint64_t now_ms);

/* Update the statistics every target announces (RFC 7011 section 4). */
void export_set_stats(struct export_set *xs, const struct exp_meter_stats *s);

/* One line per target: address, version, datagrams, records, templates,
 * not exportable, send errors, last error. */
void export_set_report(const struct export_set *xs, FILE *out);

#endif
