/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * log: the daemon's messages.  To stderr in the foreground, to syslog
 * otherwise.  Deep code returns errors; only program top levels log.
 */
#ifndef TFLOW_LOG_H
#define TFLOW_LOG_H

#include <stdbool.h>
#include <stdnoreturn.h>

void log_init(const char *ident, bool foreground, int verbose);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));	/* appends strerror(errno) */
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));	/* appends strerror(errno) */
noreturn void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
