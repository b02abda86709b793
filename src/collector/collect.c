/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * collect: allow list, decoding and output of one worker's datagrams, and
 * the accounting report.  Lines are formatted into the worker's own buffer
 * and written with one write(2) per batch (or per COLLECT_OUTBUF bytes),
 * so the shared output's lock is taken per batch, never per record.
 */
#include "collect.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/* Output buffered per worker before a write: large enough that a batch of
 * full v5 datagrams (64 x 30 records) costs a handful of writes. */
#define COLLECT_OUTBUF (256 * 1024)

/* Peers refused by --allow, counted one by one up to this many per worker
 * (a scan of a whole address range must not grow memory); the rest are
 * summed under "other". */
#define COLLECT_DENY_SLOTS 64

struct collect_out {
	int fd;
	int err;			/* sticky: first write error */
	pthread_mutex_t lock;
};

struct deny_slot {
	uint8_t addr[16];
	uint8_t family;
	uint64_t count;
};

struct collect {
	pthread_mutex_t lock;		/* held per batch and by the report */
	struct collect_config cfg;
	struct collect_out *out;
	struct dec_ctx *dec;
	char *buf;			/* COLLECT_OUTBUF bytes of lines */
	size_t used;
	int out_err;			/* output failed during this batch */
	struct collect_counters cnt;
	struct deny_slot deny[COLLECT_DENY_SLOTS];
	size_t n_deny;
	uint64_t deny_other;
	uint64_t deny_logged_ms;	/* last deny log line */
	uint64_t deny_since_log;	/* denied since that line */
	uint64_t now_ms;		/* of the batch being decoded */
	/* Loss counts already reported by collect_losses(). */
	struct loss_seen *seen;
	size_t n_seen, cap_seen;
	uint64_t seen_total;		/* lost_records + lost_datagrams */
};

struct loss_seen {
	struct dec_source src;
	uint16_t version;
	uint32_t domain;
	uint64_t records, datagrams;
};

struct collect_out *collect_out_new(int fd)
{
	struct collect_out *o = calloc(1, sizeof(*o));
	int r;

	if (o == NULL)
		return NULL;
	o->fd = fd;
	if ((r = pthread_mutex_init(&o->lock, NULL)) != 0) {
		free(o);
		errno = r;
		return NULL;
	}
	return o;
}

void collect_out_free(struct collect_out *o)
{
	if (o == NULL)
		return;
	pthread_mutex_destroy(&o->lock);
	free(o);
}

int collect_out_write(struct collect_out *o, const char *buf, size_t len)
{
	ssize_t w;
	int r = 0;

	pthread_mutex_lock(&o->lock);
	if (o->err != 0) {
		r = o->err;
		goto out;
	}
	while (len > 0) {
		w = write(o->fd, buf, len);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			/* A non-blocking stdout is the caller's choice;
			 * waiting here would be a busy loop, so it is an
			 * error like any other. */
			o->err = r = -errno;
			break;
		}
		buf += w;
		len -= (size_t)w;
	}
out:
	pthread_mutex_unlock(&o->lock);
	return r;
}

struct collect *collect_new(const struct collect_config *cfg,
			    struct collect_out *out)
{
	struct collect *c = calloc(1, sizeof(*c));
	int r, e;

	if (c == NULL)
		return NULL;
	c->cfg = *cfg;
	c->out = out;
	c->buf = malloc(COLLECT_OUTBUF);
	if (c->buf == NULL)
		goto fail_buf;
	c->dec = dec_new(&cfg->dec);
	if (c->dec == NULL)
		goto fail_dec;
	if ((r = pthread_mutex_init(&c->lock, NULL)) != 0) {
		errno = r;
		goto fail_lock;
	}
	return c;
fail_lock:
	dec_free(c->dec);
fail_dec:
	free(c->buf);
fail_buf:
	e = errno;
	free(c);
	errno = e;
	return NULL;
}

void collect_free(struct collect *c)
{
	if (c == NULL)
		return;
	pthread_mutex_destroy(&c->lock);
	dec_free(c->dec);
	free(c->seen);
	free(c->buf);
	free(c);
}

uint64_t collect_scale(uint64_t count, uint32_t sampling_packets,
		       uint32_t sampling_space)
{
	uint64_t n = (uint64_t)sampling_packets + sampling_space;
	uint64_t half = sampling_packets / 2;
	long double v;

	if (sampling_packets == 0)
		return count;
	if (count <= (UINT64_MAX - half) / n)
		return (count * n + half) / sampling_packets;
	/* Only absurd counters get here; saturate rather than wrap. */
	v = (long double)count * (long double)n / sampling_packets + 0.5L;
	return v >= 18446744073709551615.0L ? UINT64_MAX : (uint64_t)v;
}

static void flush_buf(struct collect *c)
{
	int r;

	if (c->used == 0)
		return;
	r = collect_out_write(c->out, c->buf, c->used);
	if (r != 0 && c->out_err == 0)
		c->out_err = r;
	c->used = 0;
}

static void emit(void *arg, const struct tflow_record *rec)
{
	struct collect *c = arg;
	struct tflow_record scaled;

	if (c->cfg.on_record != NULL)
		c->cfg.on_record(c->cfg.on_record_arg, rec, c->now_ms);
	if (c->cfg.quiet)
		return;
	if (c->cfg.scale && rec->sampling_packets != 0) {
		scaled = *rec;
		scaled.packets = collect_scale(rec->packets,
					       rec->sampling_packets,
					       rec->sampling_space);
		scaled.octets = collect_scale(rec->octets,
					      rec->sampling_packets,
					      rec->sampling_space);
		rec = &scaled;
	}
	if (COLLECT_OUTBUF - c->used < RECORD_FMT_MAX)
		flush_buf(c);
	c->used += record_fmt_line(c->cfg.fmt, rec, c->buf + c->used,
				   COLLECT_OUTBUF - c->used);
}

static bool allowed(const struct collect *c, const uint8_t addr[16],
		    uint8_t family)
{
	size_t i;

	if (c->cfg.n_allow == 0)
		return true;
	for (i = 0; i < c->cfg.n_allow; i++)
		if (cidr_match(&c->cfg.allow[i], addr, family))
			return true;
	return false;
}

static void deny(struct collect *c, const uint8_t addr[16], uint8_t family,
		 uint64_t now_ms)
{
	char a[64];
	size_t i;

	c->cnt.denied++;
	c->deny_since_log++;
	for (i = 0; i < c->n_deny; i++)
		if (c->deny[i].family == family &&
		    memcmp(c->deny[i].addr, addr, 16) == 0)
			break;
	if (i < c->n_deny) {
		c->deny[i].count++;
	} else if (c->n_deny < COLLECT_DENY_SLOTS) {
		memcpy(c->deny[i].addr, addr, 16);
		c->deny[i].family = family;
		c->deny[i].count = 1;
		c->n_deny++;
	} else {
		c->deny_other++;
	}
	/* A flood of refused datagrams must not become a flood of log
	 * lines: one line per period says how many there were. */
	if (c->deny_logged_ms != 0 &&
	    now_ms - c->deny_logged_ms < COLLECT_DENY_LOG_MS)
		return;
	record_fmt_addr(addr, family, a, sizeof(a));
	log_warnx("dropped %" PRIu64 " datagram(s) from exporters not in "
		  "--allow, the last from %s", c->deny_since_log, a);
	c->deny_logged_ms = now_ms != 0 ? now_ms : 1;
	c->deny_since_log = 0;
}

int collect_batch(struct collect *c, const struct listen_dgram *d, size_t n,
		  uint64_t now_ms)
{
	struct dec_source src;
	size_t i;
	int r;

	pthread_mutex_lock(&c->lock);
	c->now_ms = now_ms;
	for (i = 0; i < n; i++) {
		memset(&src, 0, sizeof(src));
		listen_peer(&d[i].from, src.addr, &src.family, &src.port);
		if (src.family == 0)
			continue;	/* not from an IP socket: cannot be */
		if (!allowed(c, src.addr, src.family)) {
			deny(c, src.addr, src.family, now_ms);
			continue;
		}
		if (d[i].truncated) {
			c->cnt.truncated++;
			continue;
		}
		(void)dec_datagram(c->dec, &src, d[i].data, d[i].len, now_ms,
				   emit, c);
	}
	flush_buf(c);
	r = c->out_err;
	c->out_err = 0;
	pthread_mutex_unlock(&c->lock);
	return r;
}

void collect_expire(struct collect *c, uint64_t now_ms)
{
	pthread_mutex_lock(&c->lock);
	dec_expire(c->dec, now_ms);
	pthread_mutex_unlock(&c->lock);
}

struct loss_arg {
	struct collect *c;
	collect_loss_fn *fn;
	void *arg;
};

static void loss_exporter(void *arg, const struct dec_exporter_info *e)
{
	struct loss_arg *la = arg;
	struct collect *c = la->c;
	struct loss_seen *s;
	size_t i;

	if (e->stats.lost_records == 0 && e->stats.lost_datagrams == 0)
		return;
	/* Linear: this runs once a second and only when some exporter
	 * lost something since the last time. */
	for (i = 0; i < c->n_seen; i++) {
		s = &c->seen[i];
		if (s->version == e->version && s->domain == e->domain &&
		    s->src.port == e->src.port &&
		    s->src.family == e->src.family &&
		    memcmp(s->src.addr, e->src.addr, 16) == 0)
			break;
	}
	if (i == c->n_seen) {
		if (c->n_seen == c->cap_seen) {
			size_t cap = c->cap_seen ? c->cap_seen * 2 : 16;

			s = realloc(c->seen, cap * sizeof(*s));
			if (s == NULL)
				return;	/* next time */
			c->seen = s;
			c->cap_seen = cap;
		}
		s = &c->seen[c->n_seen++];
		memset(s, 0, sizeof(*s));
		s->src = e->src;
		s->version = e->version;
		s->domain = e->domain;
	}
	s = &c->seen[i];
	/* The decoder's counters only grow while the entry lives; a
	 * smaller value is a new entry for the same key. */
	if (e->stats.lost_records < s->records ||
	    e->stats.lost_datagrams < s->datagrams)
		s->records = s->datagrams = 0;
	if (e->stats.lost_records != s->records ||
	    e->stats.lost_datagrams != s->datagrams)
		la->fn(la->arg, &e->src, e->version, e->domain,
		       e->stats.lost_records - s->records,
		       e->stats.lost_datagrams - s->datagrams);
	s->records = e->stats.lost_records;
	s->datagrams = e->stats.lost_datagrams;
}

void collect_losses(struct collect *c, collect_loss_fn *fn, void *arg)
{
	struct loss_arg la = { c, fn, arg };
	struct dec_stats st;
	uint64_t total;

	pthread_mutex_lock(&c->lock);
	dec_total(c->dec, &st);
	total = st.lost_records + st.lost_datagrams;
	if (total != c->seen_total) {
		dec_foreach(c->dec, loss_exporter, &la);
		c->seen_total = total;
	}
	pthread_mutex_unlock(&c->lock);
}

void collect_counters(struct collect *c, struct collect_counters *out)
{
	pthread_mutex_lock(&c->lock);
	*out = c->cnt;
	pthread_mutex_unlock(&c->lock);
}

/* The counters every report line shows, exporter or total. */
static void put_stats(FILE *f, const struct dec_stats *s)
{
	int e;

	fprintf(f, " datagrams=%" PRIu64 " records=%" PRIu64
		" options_records=%" PRIu64 " templates=%" PRIu64
		" options_templates=%" PRIu64 " lost_records=%" PRIu64
		" lost_datagrams=%" PRIu64 " seq_late=%" PRIu64
		" restarts=%" PRIu64,
		s->datagrams, s->records, s->options_records, s->templates,
		s->options_templates, s->lost_records, s->lost_datagrams,
		s->seq_late, s->restarts);
	for (e = 1; e < DEC_ERR__MAX; e++)
		if (s->errors[e] != 0)
			fprintf(f, " err_%s=%" PRIu64,
				dec_err_name((enum dec_err)e), s->errors[e]);
}

struct report_arg {
	FILE *f;
	const char *prefix;
	size_t exporters;
};

static void report_exporter(void *arg, const struct dec_exporter_info *e)
{
	struct report_arg *ra = arg;
	char a[64];

	record_fmt_addr(e->src.addr, e->src.family, a, sizeof(a));
	fprintf(ra->f, "%s: exporter=%s%s%s:%u version=%u domain=%" PRIu32,
		ra->prefix, e->src.family == 6 ? "[" : "", a,
		e->src.family == 6 ? "]" : "", e->src.port, e->version,
		e->domain);
	put_stats(ra->f, &e->stats);
	fputc('\n', ra->f);
	ra->exporters++;
}

static void add_stats(struct dec_stats *sum, const struct dec_stats *s)
{
	int e;

	sum->datagrams += s->datagrams;
	sum->records += s->records;
	sum->options_records += s->options_records;
	sum->templates += s->templates;
	sum->options_templates += s->options_templates;
	sum->templates_withdrawn += s->templates_withdrawn;
	sum->templates_refused += s->templates_refused;
	sum->unknown_fields += s->unknown_fields;
	sum->held_sets += s->held_sets;
	sum->lost_records += s->lost_records;
	sum->lost_datagrams += s->lost_datagrams;
	sum->seq_late += s->seq_late;
	sum->restarts += s->restarts;
	for (e = 0; e < DEC_ERR__MAX; e++)
		sum->errors[e] += s->errors[e];
}

void collect_report(struct collect *const *cs, size_t n, const char *prefix,
		    FILE *f)
{
	struct report_arg ra = { f, prefix, 0 };
	struct collect_counters cnt = { 0, 0 };
	struct dec_stats sum, st;
	uint64_t other = 0;
	size_t i, k;
	char a[64];

	memset(&sum, 0, sizeof(sum));
	for (i = 0; i < n; i++) {
		struct collect *c = cs[i];

		pthread_mutex_lock(&c->lock);
		dec_foreach(c->dec, report_exporter, &ra);
		dec_total(c->dec, &st);
		add_stats(&sum, &st);
		cnt.denied += c->cnt.denied;
		cnt.truncated += c->cnt.truncated;
		for (k = 0; k < c->n_deny; k++) {
			record_fmt_addr(c->deny[k].addr, c->deny[k].family,
					a, sizeof(a));
			fprintf(f, "%s: denied=%s datagrams=%" PRIu64 "\n",
				prefix, a, c->deny[k].count);
		}
		other += c->deny_other;
		pthread_mutex_unlock(&c->lock);
	}
	if (other != 0)
		fprintf(f, "%s: denied=other datagrams=%" PRIu64 "\n", prefix,
			other);
	fprintf(f, "%s: total exporters=%zu", prefix, ra.exporters);
	put_stats(f, &sum);
	fprintf(f, " denied=%" PRIu64 " truncated=%" PRIu64 "\n", cnt.denied,
		cnt.truncated);
	fflush(f);
}
