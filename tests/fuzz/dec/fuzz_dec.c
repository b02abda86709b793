/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target for dec_datagram(), all versions.  Input layout: one
 * selector byte, then the UDP payload.  The selector's low 2 bits pick
 * one of four exporter sources (two share an address, as behind a NAT);
 * the payload is the tail of the input, so a read past it is a read past
 * the fuzzer's (or replay.c's exactly sized) buffer.  The decoder context
 * persists across inputs, so templates learned from one input decode the
 * data of later ones, and held data, expiry and the store limits (kept
 * small here) get exercised.  Records are checked against the invariants
 * output relies on.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "dec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* libFuzzer calls the target repeatedly in one process: state that must
 * outlive a call can only live here. */
static struct dec_ctx *ctx;
static uint64_t now_ms = 1700000000000ULL;
static unsigned calls;

static const struct dec_source sources[4] = {
	{ .addr = { 192, 0, 2, 1 }, .port = 2055, .family = 4 },
	{ .addr = { 192, 0, 2, 1 }, .port = 40000, .family = 4 },
	{ .addr = { 192, 0, 2, 2 }, .port = 2055, .family = 4 },
	{ .addr = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 }, .port = 9995,
	  .family = 6 },
};

static void check(void *arg, const struct tflow_record *r)
{
	(void)arg;
	if (r->first_ms > r->last_ms || r->first_ms < 946684800000ULL)
		abort();
	if (r->ip_version != 4 && r->ip_version != 6)
		abort();
	if (r->version != 1 && r->version != 5 && r->version != 9 &&
	    r->version != 10)
		abort();
	if (r->sampling_packets == 0 && r->sampling_space != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dec_config cfg;

	if (ctx == NULL) {
		dec_config_default(&cfg);
		cfg.max_templates = 64;
		cfg.max_templates_per_session = 16;
		cfg.max_exporters = 64;
		cfg.hold_sets = 4;
		cfg.hold_bytes = 4096;
		cfg.template_timeout_ms = 600000;
		ctx = dec_new(&cfg);
		if (ctx == NULL)
			abort();
	}
	if (size < 1)
		return 0;
	now_ms += 1000;
	dec_datagram(ctx, &sources[data[0] & 3], data + 1, size - 1, now_ms,
		     check, NULL);
	if (++calls % 32 == 0)
		dec_expire(ctx, now_ms);
	if (dec_template_count(ctx) > 64)
		abort();
	return 0;
}
