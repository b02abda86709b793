/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * gen_args: what the small test tools under tests/gen share: a strict
 * integer option parser and a monotonic clock.  Header-only, so each tool
 * stays one file plus what it links.
 */
#ifndef TFLOW_GEN_ARGS_H
#define TFLOW_GEN_ARGS_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

/* s as a decimal integer in [lo, hi]; anything else calls bad(), the
 * tool's usage(), which exits. */
static inline long gen_num(const char *s, long lo, long hi, void (*bad)(void))
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < lo || v > hi)
		bad();
	return v;
}

static inline uint64_t gen_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

#endif
