/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * export: the set of targets.  Each target owns an encoder whose emit
 * callback sends through the target's socket, so a record goes from the
 * flow cache to every collector without a copy beyond the encoders'.
 *
 * Targets live on the heap, one allocation each, because the encoder's
 * emit context points at its target: a reconfiguration moves the pointers
 * around the array, never the targets, so an unchanged target keeps its
 * encoder (sequence numbers, template refresh state) and its socket.
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
	char name[64];			/* "192.0.2.1:2055" */
	/* what the encoder and socket were built from: equal on a
	 * reconfiguration means "keep this target as it is" */
	struct conf_target conf;
	struct exp_params params;	/* emit and emit_ctx zeroed */
	/* offline pacing */
	uint64_t window_start_ns;
	uint32_t window_sent;
};

struct export_set {
	bool patient;
	uint32_t per_window;		/* datagrams per 10 ms window, 0 off */
	uint64_t sys_init_ms;		/* whole seconds */
	unsigned n;
	struct export_target *t[CONF_MAX_TARGETS];	/* [0, n) owned */
	/* kept for targets added later */
	struct exp_iface *ifs;
	size_t n_ifs;
	bool have_stats;
	struct exp_meter_stats stats;
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

/* The encoder parameters of target ct under cfg; emit fields zero.
 * Fields a version ignores are zeroed too, so that a change of, say, the
 * IPFIX toggles does not restart a v5 target. */
static void target_params(const struct export_set *xs,
			  const struct tflow_config *cfg,
			  const struct conf_target *ct, struct exp_params *p)
{
	memset(p, 0, sizeof(*p));
	p->version = ct->version;
	if (ct->version == CONF_VERSION_9 || ct->version == CONF_VERSION_IPFIX) {
		p->template_refresh = ct->template_refresh;
		p->template_timeout_ms = ct->template_timeout_ms;
		p->ipfix_fields = cfg->ipfix_fields;
	}
	if (ct->version != CONF_VERSION_1 && cfg->packet_sampling) {
		p->sampling_interval = cfg->sampling_interval;
		p->sampling_space = cfg->sampling_space;
	}
	p->sys_init_ms = xs->sys_init_ms;
}

static void target_free(struct export_target *t)
{
	if (t == NULL)
		return;
	exp_free(t->enc);
	target_sock_close(&t->sock);
	free(t);
}

/* A new target: encoder, socket, the set's interface table and stats.
 * NULL with a message in err when the encoder cannot be made. */
static struct export_target *target_new(struct export_set *xs,
					const struct tflow_config *cfg,
					const struct conf_target *ct,
					char *err, size_t errlen)
{
	struct export_target *t;
	struct exp_params p;
	int rc;

	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		snprintf(err, errlen, "export: %s", strerror(errno));
		return NULL;
	}
	t->sock.fd = -1;
	t->set = xs;
	t->version = ct->version;
	t->conf = *ct;
	target_name(ct, t->name, sizeof(t->name));
	target_params(xs, cfg, ct, &t->params);
	p = t->params;
	p.emit = target_emit;
	p.emit_ctx = t;
	t->enc = exp_new(&p);
	if (t->enc == NULL) {
		snprintf(err, errlen, "target %s: cannot create the v%u "
			 "encoder: %s", t->name, ct->version, strerror(errno));
		free(t);
		return NULL;
	}
	if (xs->n_ifs > 0)
		(void)exp_set_interfaces(t->enc, xs->ifs, xs->n_ifs);
	if (xs->have_stats)
		exp_set_stats(t->enc, &xs->stats);
	rc = target_sock_open(&t->sock, ct);
	if (rc < 0)
		t->open_errno = -rc;
	return t;
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
	xs->sys_init_ms = sys_init_ms - sys_init_ms % 1000;
	xs->patient = patient;
	xs->per_window = pps == 0 ? 0 : (pps + 99) / 100;
	/* zero enabled targets is a valid, empty set */
	for (i = 0; i < cfg->n_targets && i < CONF_MAX_TARGETS; i++) {
		const struct conf_target *ct = &cfg->targets[i];

		if (ct->disabled)
			continue;
		xs->t[xs->n] = target_new(xs, cfg, ct, err, errlen);
		if (xs->t[xs->n] == NULL) {
			export_set_free(xs);
			return NULL;
		}
		xs->n++;
	}
	return xs;
}

int export_set_reconfigure(struct export_set *xs,
			   const struct tflow_config *cfg, uint64_t now_ms,
			   char *err, size_t errlen)
{
	struct export_target *next[CONF_MAX_TARGETS] = { NULL };
	bool kept[CONF_MAX_TARGETS] = { false };
	bool fresh[CONF_MAX_TARGETS] = { false };
	struct exp_params p;
	unsigned i, j, n = 0;

	for (i = 0; i < cfg->n_targets && i < CONF_MAX_TARGETS; i++) {
		const struct conf_target *ct = &cfg->targets[i];

		if (ct->disabled)
			continue;
		target_params(xs, cfg, ct, &p);
		for (j = 0; j < xs->n; j++)
			if (!kept[j] &&
			    memcmp(&xs->t[j]->conf, ct, sizeof(*ct)) == 0 &&
			    memcmp(&xs->t[j]->params, &p, sizeof(p)) == 0)
				break;
		if (j < xs->n) {
			kept[j] = true;
			next[n++] = xs->t[j];
			continue;
		}
		next[n] = target_new(xs, cfg, ct, err, errlen);
		if (next[n] == NULL)
			goto undo;
		fresh[n++] = true;
	}
	/* Past the last error: the old targets that go say goodbye with
	 * what they still hold. */
	for (j = 0; j < xs->n; j++) {
		if (kept[j])
			continue;
		exp_flush(xs->t[j]->enc, now_ms);
		target_free(xs->t[j]);
	}
	memset(xs->t, 0, sizeof(xs->t));
	memcpy(xs->t, next, n * sizeof(next[0]));
	xs->n = n;
	return 0;

undo:
	for (i = 0; i < n; i++)
		if (fresh[i])
			target_free(next[i]);
	return -EINVAL;
}

void export_set_free(struct export_set *xs)
{
	unsigned i;

	if (xs == NULL)
		return;
	for (i = 0; i < xs->n; i++)
		target_free(xs->t[i]);
	free(xs->ifs);
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
		(void)exp_add_record(xs->t[i]->enc, r, now_ms);
}

void export_set_flush(struct export_set *xs, uint64_t now_ms)
{
	unsigned i;

	for (i = 0; i < xs->n; i++)
		exp_flush(xs->t[i]->enc, now_ms);
}

void export_set_stats(struct export_set *xs, const struct exp_meter_stats *s)
{
	unsigned i;

	xs->stats = *s;
	xs->have_stats = true;
	for (i = 0; i < xs->n; i++)
		exp_set_stats(xs->t[i]->enc, s);
}

void export_set_interfaces(struct export_set *xs, const struct exp_iface *ifs,
			   size_t n)
{
	struct exp_iface *copy = NULL;
	unsigned i;

	if (n > 0) {
		copy = malloc(n * sizeof(*copy));
		if (copy == NULL)
			return;		/* the old table stays: still true-ish */
		memcpy(copy, ifs, n * sizeof(*copy));
	}
	free(xs->ifs);
	xs->ifs = copy;
	xs->n_ifs = n;
	for (i = 0; i < xs->n; i++)
		(void)exp_set_interfaces(xs->t[i]->enc, ifs, n);
}

/* The error a target last met: opening its socket, else its last send. */
static int target_errno(const struct export_target *t)
{
	return t->open_errno ? t->open_errno : t->sock.stats.last_errno;
}

void export_set_monitor(const struct export_set *xs, struct ctl_monitor *m)
{
	unsigned i;

	m->n_targets = 0;
	for (i = 0; i < xs->n && i < CONF_MAX_TARGETS; i++) {
		const struct export_target *t = xs->t[i];
		struct ctl_monitor_target *mt = &m->targets[i];
		struct exp_counters c;
		int e = target_errno(t);

		exp_get_counters(t->enc, &c);
		memset(mt, 0, sizeof(*mt));
		snprintf(mt->name, sizeof(mt->name), "%s", t->name);
		mt->version = t->version;
		mt->datagrams = t->sock.stats.datagrams;
		mt->records = c.records;
		mt->templates = c.templates;
		mt->not_exportable = c.not_exportable;
		mt->send_errors = c.send_errors;
		if (e != 0)
			snprintf(mt->last_error, sizeof(mt->last_error), "%s",
				 strerror(e));
		m->n_targets++;
	}
}

void export_set_report(const struct export_set *xs, FILE *out)
{
	unsigned i;

	for (i = 0; i < xs->n; i++) {
		const struct export_target *t = xs->t[i];
		struct exp_counters c;
		int e = target_errno(t);

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
