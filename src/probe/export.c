/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * export: the set of targets.  Each target owns an encoder whose emit
 * callback sends through the target's socket, so a record goes from the
 * flow cache to every collector without a copy beyond the encoders'.
 */
#include "export.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct export_target {
	struct export_set *set;
	struct exp *enc;
	struct target_sock sock;
	int open_errno;			/* socket could not be opened */
	unsigned version;
	char name[64];			/* "192.0.2.1:2055 v9" */
	/* offline pacing */
	uint64_t window_start_ns;
	uint32_t window_sent;
};

struct export_set {
	bool patient;
	uint32_t per_window;		/* datagrams per 10 ms window, 0 off */
	unsigned n;
	struct export_target t[CONF_MAX_TARGETS];
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Offline only: at most per_window datagrams per 10 ms of wall time, so
 * a collector reading at a normal pace keeps up with a pcap replayed as
 * fast as the disk reads. */
static void pace(struct export_target *t)
{
	const uint64_t window_ns = 10 * 1000 * 1000;
	uint64_t now = mono_ns();

	if (now - t->window_start_ns >= window_ns) {
		t->window_start_ns = now;
		t->window_sent = 0;
	}
	if (++t->window_sent <= t->set->per_window)
		return;
	while ((now = mono_ns()) - t->window_start_ns < window_ns) {
		uint64_t left = window_ns - (now - t->window_start_ns);
		struct timespec ts = { 0, (long)left };

		nanosleep(&ts, NULL);
	}
	t->window_start_ns = now;
	t->window_sent = 1;
}

static int target_emit(const uint8_t *dgram, size_t len, void *ctx)
{
	struct export_target *t = ctx;

	if (t->set->per_window != 0)
		pace(t);
	return target_sock_send(&t->sock, dgram, len, t->set->patient);
}

static void target_name(const struct conf_target *ct, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";
	uint16_t port = 0;

	if (ct->dst.ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)&ct->dst;

		inet_ntop(AF_INET, &s->sin_addr, a, sizeof(a));
		port = ntohs(s->sin_port);
		snprintf(buf, len, "%s:%u", a, port);
	} else {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)&ct->dst;

		inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof(a));
		port = ntohs(s->sin6_port);
		snprintf(buf, len, "[%s]:%u", a, port);
	}
}

struct export_set *export_set_new(const struct tflow_config *cfg,
				  uint64_t sys_init_ms, bool patient,
				  uint32_t pps, char *err, size_t errlen)
{
	struct export_set *xs;
	unsigned i;

	xs = calloc(1, sizeof(*xs));
	if (xs == NULL) {
		snprintf(err, errlen, "export: %s", strerror(errno));
		return NULL;
	}
	/* A whole second, so that v9's seconds-only header time and its
	 * sysUptime agree on boot time to the millisecond (exp_v9.c). */
	sys_init_ms -= sys_init_ms % 1000;
	xs->patient = patient;
	xs->per_window = pps == 0 ? 0 : (pps + 99) / 100;
	for (i = 0; i < cfg->n_targets; i++) {
		const struct conf_target *ct = &cfg->targets[i];
		struct export_target *t = &xs->t[xs->n];
		struct exp_params p = {
			.version = ct->version,
			.domain_id = 0,
			.process_id = 0,
			.template_refresh = ct->template_refresh,
			.template_timeout_ms = ct->template_timeout_ms,
			.ipfix_fields = cfg->ipfix_fields,
			.sampling_interval = cfg->packet_sampling ?
					     cfg->sampling_interval : 0,
			.sampling_space = cfg->packet_sampling ?
					  cfg->sampling_space : 0,
			.sys_init_ms = sys_init_ms,
			.emit = target_emit,
			.emit_ctx = t,
		};
		int rc;

		if (ct->disabled)
			continue;
		t->set = xs;
		t->version = ct->version;
		target_name(ct, t->name, sizeof(t->name));
		t->enc = exp_new(&p);
		if (t->enc == NULL) {
			snprintf(err, errlen, "target %s: cannot create the "
				 "v%u encoder: %s", t->name, ct->version,
				 strerror(errno));
			export_set_free(xs);
			return NULL;
		}
		rc = target_sock_open(&t->sock, ct);
		if (rc < 0)
			t->open_errno = -rc;
		xs->n++;
	}
	return xs;
}

void export_set_free(struct export_set *xs)
{
	unsigned i;

	if (xs == NULL)
		return;
	for (i = 0; i < CONF_MAX_TARGETS; i++) {
		exp_free(xs->t[i].enc);
		if (xs->t[i].set != NULL)
			target_sock_close(&xs->t[i].sock);
	}
	free(xs);
}

unsigned export_set_count(const struct export_set *xs)
{
	return xs->n;
}

void export_set_record(struct export_set *xs, const struct tflow_record *r,
		       uint64_t now_ms)
{
	unsigned i;

	for (i = 0; i < xs->n; i++)
		(void)exp_add_record(xs->t[i].enc, r, now_ms);
}

void export_set_flush(struct export_set *xs, uint64_t now_ms)
{
	unsigned i;

	for (i = 0; i < xs->n; i++)
		exp_flush(xs->t[i].enc, now_ms);
}

void export_set_stats(struct export_set *xs, const struct exp_meter_stats *s)
{
	unsigned i;

	for (i = 0; i < xs->n; i++)
		exp_set_stats(xs->t[i].enc, s);
}

void export_set_report(const struct export_set *xs, FILE *out)
{
	unsigned i;

	for (i = 0; i < xs->n; i++) {
		const struct export_target *t = &xs->t[i];
		struct exp_counters c;
		int e = t->open_errno ? t->open_errno : t->sock.stats.last_errno;

		exp_get_counters(t->enc, &c);
		fprintf(out, "tflowd: target %s version=%u datagrams=%" PRIu64
			" records=%" PRIu64 " templates=%" PRIu64
			" options=%" PRIu64 " not_exportable=%" PRIu64
			" send_errors=%" PRIu64 " refused=%" PRIu64
			" last_error=%s\n",
			t->name, t->version, t->sock.stats.datagrams,
			c.records, c.templates, c.options, c.not_exportable,
			c.send_errors, t->sock.stats.refused,
			e ? strerror(e) : "none");
	}
}
