/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * log: stderr or syslog.  The only state is set once by log_init() at start
 * and read afterwards, so threads may log without a lock.
 */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

static const char *log_ident = "tflow";
static bool log_foreground = true;
static int log_verbose;

void log_init(const char *ident, bool foreground, int verbose)
{
	log_ident = ident;
	log_foreground = foreground;
	log_verbose = verbose;
	if (!foreground)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

static void log_vmsg(int prio, const char *fmt, va_list ap, int errnum)
{
	char buf[1024];
	int n;

	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (errnum && n >= 0 && (size_t)n < sizeof(buf))
		snprintf(buf + n, sizeof(buf) - (size_t)n, ": %s",
			 strerror(errnum));
	if (log_foreground)
		fprintf(stderr, "%s: %s\n", log_ident, buf);
	else
		syslog(prio, "%s", buf);
}

#define LOG_BODY(prio, errnum)				\
	do {						\
		va_list ap;				\
		va_start(ap, fmt);			\
		log_vmsg(prio, fmt, ap, errnum);	\
		va_end(ap);				\
	} while (0)

void log_warn(const char *fmt, ...)
{
	int e = errno;

	LOG_BODY(LOG_WARNING, e);
}

void log_warnx(const char *fmt, ...)
{
	LOG_BODY(LOG_WARNING, 0);
}

void log_info(const char *fmt, ...)
{
	if (log_verbose < 0)
		return;
	LOG_BODY(LOG_INFO, 0);
}

void log_debug(const char *fmt, ...)
{
	if (log_verbose < 1)
		return;
	LOG_BODY(LOG_DEBUG, 0);
}

void fatal(const char *fmt, ...)
{
	int e = errno;

	LOG_BODY(LOG_CRIT, e);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	LOG_BODY(LOG_CRIT, 0);
	exit(1);
}
