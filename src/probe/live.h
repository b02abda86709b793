/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * live: tflowd's live mode.  One epoll loop over the capture (cap.h), a
 * signalfd and a 1 s timerfd drives the same pipeline as offline mode
 * (parse -> sample -> fragment ports -> flow cache) and hands expired
 * records to every export target.  The clock is CLOCK_REALTIME in ms.
 *
 * Signals: SIGTERM/SIGINT stop, export every cached flow and return 0;
 * SIGHUP re-reads the config file: a broken file keeps the running config,
 * a good one replaces the export targets (see live.c for what needs a
 * restart).
 */
#ifndef TFLOW_LIVE_H
#define TFLOW_LIVE_H

#include "conf.h"

/*
 * Run live mode until SIGTERM/SIGINT (or a reload with enabled=no).
 * cfg is the parsed config; config_path the file SIGHUP re-reads (NULL:
 * SIGHUP only says so).  Returns the process exit status: 0, or 1 when
 * capture could not start or the packet counters did not balance.
 */
int live_run(const struct tflow_config *cfg, const char *config_path);

#endif
