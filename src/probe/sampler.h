/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sampler: RouterOS packet sampling, PSAMP systematic count-based selection
 * (RFC 5475 6.1, RFC 5477 samplingPacketInterval/Space): `interval` packets
 * in a row are taken, then `space` are skipped, and the cycle repeats.
 * Deterministic; the first packet seen is taken.
 */
#ifndef TFLOW_SAMPLER_H
#define TFLOW_SAMPLER_H

#include <stdbool.h>
#include <stdint.h>

struct sampler {
	uint32_t interval;	/* packets taken in a row; 0: sampling off */
	uint32_t space;		/* packets skipped in a row */
	uint32_t pos;		/* position in the current cycle */
};

/* interval 0 or space 0 means every packet is taken. */
static inline void sampler_init(struct sampler *s, uint32_t interval,
				uint32_t space)
{
	s->interval = interval;
	s->space = space;
	s->pos = 0;
}

/* true when this packet is taken. */
static inline bool sampler_take(struct sampler *s)
{
	bool take;

	if (s->interval == 0 || s->space == 0)
		return true;
	take = s->pos < s->interval;
	if (++s->pos == s->interval + s->space)
		s->pos = 0;
	return take;
}

/* The effective 1-in-N rate collectors scale by: (interval + space) /
 * interval, rounded to the nearest integer; 1 when not sampling. */
static inline uint32_t sampler_rate(const struct sampler *s)
{
	if (s->interval == 0 || s->space == 0)
		return 1;
	return (uint32_t)(((uint64_t)s->interval + s->space +
			   s->interval / 2) / s->interval);
}

#endif
