/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tflow-query: reads what tflow-collector --write stored and prints
 * records, aggregates, top-N lists or tenant reports.
 *
 *   tflow-query -R DIR [--from T] [--to T] [FILTER] [--format text|json|csv]
 *               [--aggregate KEYS] [--top N --by bytes|packets|flows]
 *               [--order ...] [--fields LIST] [--tenants MAPFILE]
 *   tflow-query -R DIR report (--subnet CIDR | --tenants MAPFILE)
 *               [--month YYYY-MM | --from T --to T] [FILTER]
 *
 * This file is the top level: options, the file and block loop, and the
 * printing of raw records.  The loop asks each block's summary whether it
 * can match (filter.h) before decompressing it, decodes only the columns
 * the filter and the consumer need, and hands the selected record
 * numbers of a block to one consumer: the record printer, the counter,
 * the aggregator (agg.h) or the tenant report (report.h).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "agg.h"
#include "cidr.h"
#include "filter.h"
#include "out.h"
#include "record_fmt.h"
#include "report.h"
#include "store.h"
#include "tenant.h"

#define PROG "tflow-query"
#define MAX_SOURCES 64

enum mode {
	MODE_RECORDS,
	MODE_COUNT,
	MODE_AGG,
	MODE_REPORT,
};

/* Raw records kept for --top without --aggregate. */
struct top_recs {
	struct tflow_record *r;
	size_t n, cap;
};

struct query {
	const char *dirs[MAX_SOURCES], *files[MAX_SOURCES];
	size_t n_dirs, n_files;
	uint64_t from_ms, to_ms;
	enum record_fmt fmt;
	enum mode mode;
	const char *agg_keys, *fields, *tenants, *subnet;
	size_t top;
	uint64_t limit;		/* raw records printed at most; 0 none */
	enum agg_by by;
	bool reverse;
	bool stats;
	char *filter_text;

	struct filter *filter;
	struct agg *agg;
	struct report *report;
	struct tenant_map *tm;
	int raw_cols[OUT_MAX_COLS];	/* --fields of raw records */
	size_t n_raw_cols;
	struct out out;
	struct top_recs top_recs;

	/* Counters for --count and --stats. */
	uint64_t files_read, blocks, blocks_skipped, skipped, scanned, matched;
	uint64_t packets, bytes, printed;
	uint32_t *sel;
	size_t sel_cap;
	/* The file being scanned: one store_file reopened for each, so its
	 * decode memory is allocated once per run, not once per file. */
	struct store_file *sf;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " -R DIR|-r FILE... [--from T] [--to T] "
		"[--format text|json|csv]\n"
		"           [--aggregate KEYS] [--top N] [--by bytes|packets|flows]\n"
		"           [--order bytes|packets|flows|key[:asc|:desc]]\n"
		"           [--fields LIST] [--tenants MAPFILE] [--limit N] "
		"[--count] [--stats] [FILTER]\n"
		"       " PROG " -R DIR report --subnet CIDR|--tenants MAPFILE\n"
		"           [--month YYYY-MM | --from T --to T] "
		"[--format text|json|csv] [FILTER]\n"
		"times: RFC 3339 or YYYY-MM-DD[ HH:MM[:SS]] (UTC)\n");
}

/* --- times ------------------------------------------------------------ */

static int num(const char **s, int digits, int *out)
{
	int v = 0, i;

	for (i = 0; i < digits; i++) {
		if ((*s)[i] < '0' || (*s)[i] > '9')
			return -EINVAL;
		v = v * 10 + ((*s)[i] - '0');
	}
	*s += digits;
	*out = v;
	return 0;
}

/*
 * "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS]", or RFC 3339
 * "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)"; without a zone, UTC.
 * Unix milliseconds in *ms.
 */
static int parse_time(const char *s, uint64_t *ms)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, frac_ms = 0, zh, zm, scale;
	long long off_s = 0;
	struct tm tm;
	time_t t;

	if (num(&s, 4, &y) || *s++ != '-' || num(&s, 2, &mo) ||
	    *s++ != '-' || num(&s, 2, &d))
		return -EINVAL;
	if (*s == 'T' || *s == 't' || *s == ' ') {
		s++;
		if (num(&s, 2, &h) || *s++ != ':' || num(&s, 2, &mi))
			return -EINVAL;
		if (*s == ':') {
			s++;
			if (num(&s, 2, &sec))
				return -EINVAL;
			if (*s == '.') {
				s++;
				if (*s < '0' || *s > '9')
					return -EINVAL;
				for (scale = 100; *s >= '0' && *s <= '9'; s++) {
					frac_ms += (*s - '0') * scale;
					scale /= 10;
				}
			}
		}
		if (*s == 'Z' || *s == 'z') {
			s++;
		} else if (*s == '+' || *s == '-') {
			int sign = *s++ == '-' ? -1 : 1;

			if (num(&s, 2, &zh) || *s++ != ':' || num(&s, 2, &zm))
				return -EINVAL;
			off_s = sign * (zh * 3600LL + zm * 60LL);
		}
	}
	if (*s != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || sec > 60)
		return -EINVAL;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (t == (time_t)-1 || (long long)t - off_s < 0)
		return -EINVAL;
	*ms = (uint64_t)((long long)t - off_s) * 1000 + (uint64_t)frac_ms;
	return 0;
}

/* "YYYY-MM" -> [first of the month, first of the next). */
static int parse_month(const char *s, uint64_t *from, uint64_t *to)
{
	char buf[32];
	int y, m;

	if (sscanf(s, "%4d-%2d", &y, &m) != 2 || strlen(s) != 7 || m < 1 ||
	    m > 12)
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%04d-%02d-01", y, m);
	if (parse_time(buf, from) != 0)
		return -EINVAL;
	if (m == 12) {
		y++;
		m = 0;
	}
	snprintf(buf, sizeof(buf), "%04d-%02d-01", y, m + 1);
	return parse_time(buf, to);
}

/* --- raw record columns (--fields) ------------------------------------ */

static const char *const raw_names[] = {
	"exporter", "version", "ip_version", "src_addr", "dst_addr",
	"src_port", "dst_port", "proto", "tos", "tcp_flags", "packets",
	"bytes", "first", "last", "in_if", "out_if", "next_hop", "src_mask",
	"dst_mask", "sampling_interval", "time_estimated", "end_reason",
};
#define N_RAW (sizeof(raw_names) / sizeof(raw_names[0]))

static bool raw_numeric(int c)
{
	switch (c) {
	case 0: case 3: case 4: case 12: case 13: case 16: case 21:
		return false;
	default:
		return true;
	}
}

static void raw_cell(const struct tflow_record *r, int c, char *b, size_t l)
{
	switch (c) {
	case 0:
		if (r->exporter_family == 0)
			b[0] = '\0';
		else
			record_fmt_addr(r->exporter_addr, r->exporter_family,
					b, l);
		break;
	case 1: snprintf(b, l, "%u", r->version); break;
	case 2: snprintf(b, l, "%u", r->ip_version); break;
	case 3: record_fmt_addr(r->src_addr, r->ip_version, b, l); break;
	case 4: record_fmt_addr(r->dst_addr, r->ip_version, b, l); break;
	case 5: snprintf(b, l, "%u", r->src_port); break;
	case 6: snprintf(b, l, "%u", r->dst_port); break;
	case 7: snprintf(b, l, "%u", r->proto); break;
	case 8: snprintf(b, l, "%u", r->tos); break;
	case 9: snprintf(b, l, "%u", r->tcp_flags); break;
	case 10: snprintf(b, l, "%" PRIu64, r->packets); break;
	case 11: snprintf(b, l, "%" PRIu64, r->octets); break;
	case 12: record_fmt_time(r->first_ms, b, l); break;
	case 13: record_fmt_time(r->last_ms, b, l); break;
	case 14: snprintf(b, l, "%" PRIu32, r->in_if); break;
	case 15: snprintf(b, l, "%" PRIu32, r->out_if); break;
	case 16: record_fmt_addr(r->next_hop, r->ip_version, b, l); break;
	case 17: snprintf(b, l, "%u", r->src_mask); break;
	case 18: snprintf(b, l, "%u", r->dst_mask); break;
	case 19:
		if (r->sampling_packets == 0) {
			b[0] = '\0';
		} else {
			uint64_t n = (uint64_t)r->sampling_packets +
			    r->sampling_space;
			uint64_t milli = (n * 1000 + r->sampling_packets / 2) /
			    r->sampling_packets;

			if (milli % 1000 == 0)
				snprintf(b, l, "%" PRIu64, milli / 1000);
			else
				snprintf(b, l, "%" PRIu64 ".%03" PRIu64,
					 milli / 1000, milli % 1000);
		}
		break;
	case 20: snprintf(b, l, "%s", r->time_estimated ? "true" : "false");
		break;
	default: snprintf(b, l, "%s", record_end_reason_name(r->end_reason));
		break;
	}
}

static int parse_raw_fields(struct query *q)
{
	char *dup = strdup(q->fields), *tok, *save;
	size_t i;

	if (dup == NULL)
		return -ENOMEM;
	for (tok = strtok_r(dup, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < N_RAW; i++)
			if (strcmp(raw_names[i], tok) == 0)
				break;
		if (i == N_RAW || q->n_raw_cols == OUT_MAX_COLS) {
			fprintf(stderr, PROG ": --fields: unknown field '%s' "
				"(", tok);
			for (i = 0; i < N_RAW; i++)
				fprintf(stderr, "%s%s", raw_names[i],
					i + 1 < N_RAW ? ", " : ")\n");
			free(dup);
			return -EINVAL;
		}
		q->raw_cols[q->n_raw_cols++] = (int)i;
	}
	free(dup);
	return 0;
}

static void print_record(struct query *q, const struct tflow_record *r)
{
	char line[RECORD_FMT_MAX], cells[OUT_MAX_COLS][OUT_CELL];
	size_t n, i;

	if (q->n_raw_cols == 0) {
		n = record_fmt_line(q->fmt, r, line, sizeof(line));
		fwrite(line, 1, n, stdout);
		return;
	}
	for (i = 0; i < q->n_raw_cols; i++)
		raw_cell(r, q->raw_cols[i], cells[i], OUT_CELL);
	out_row(&q->out, cells);
}

static uint64_t rec_metric(const struct query *q, const struct tflow_record *r)
{
	switch (q->by) {
	case AGG_BY_PACKETS: return r->packets;
	case AGG_BY_BYTES: return r->octets;
	default: return 1;
	}
}

/* Records ordered for --top without --aggregate: the metric descending
 * (ascending with :asc), then flow start. */
static int rec_before(const struct query *q, const struct tflow_record *a,
		      const struct tflow_record *b)
{
	uint64_t x = rec_metric(q, a), y = rec_metric(q, b);

	if (x != y)
		return q->reverse ? x < y : x > y;
	return a->first_ms < b->first_ms;
}

/* Keep the best q->top records: a small sorted array, which is cheap for
 * the short lists --top prints. */
static int top_offer(struct query *q, const struct tflow_record *r)
{
	struct top_recs *t = &q->top_recs;
	size_t i;

	if (t->n == q->top && !rec_before(q, r, &t->r[t->n - 1]))
		return 0;
	if (t->r == NULL) {
		t->r = calloc(q->top, sizeof(*t->r));
		if (t->r == NULL)
			return -ENOMEM;
		t->cap = q->top;
	}
	i = t->n < q->top ? t->n++ : t->n - 1;
	while (i > 0 && rec_before(q, r, &t->r[i - 1])) {
		t->r[i] = t->r[i - 1];
		i--;
	}
	t->r[i] = *r;
	return 0;
}

/* --- the scan ------------------------------------------------------- */

static unsigned consumer_cols(const struct query *q)
{
	switch (q->mode) {
	case MODE_RECORDS: return STORE_COLS_ALL;
	case MODE_COUNT: return 1u << STORE_COL_COUNTERS;
	case MODE_AGG: return agg_columns(q->agg);
	case MODE_REPORT: return report_columns();
	}
	return STORE_COLS_ALL;
}

static int consume(struct query *q, struct store_file *sf,
		   const struct store_cols *c, size_t n)
{
	struct tflow_record r;
	size_t j;

	switch (q->mode) {
	case MODE_COUNT:
		for (j = 0; j < n; j++) {
			q->packets += c->packets[q->sel[j]];
			q->bytes += c->bytes[q->sel[j]];
		}
		return 0;
	case MODE_AGG:
		return agg_add(q->agg, c, q->sel, n);
	case MODE_REPORT:
		return report_add(q->report, c, q->sel, n);
	case MODE_RECORDS:
		for (j = 0; j < n; j++) {
			store_cols_record(sf, c, q->sel[j], &r);
			if (q->top > 0) {
				if (top_offer(q, &r) != 0)
					return -ENOMEM;
				continue;
			}
			if (q->limit != 0 && q->printed >= q->limit)
				return 1;
			print_record(q, &r);
			q->printed++;
		}
		return 0;
	}
	return 0;
}

/* One file: 0, 1 when --limit is reached, or -errno (reported). */
static int scan_file(struct query *q, const char *path)
{
	const struct store_file_info *info;
	struct store_block_summary sum;
	const struct store_cols *c;
	struct store_file *sf;
	unsigned mask = filter_columns(q->filter) | consumer_cols(q);
	uint32_t bound = UINT32_MAX;
	char err[512];
	size_t n;
	int r;

	if (q->sf == NULL)
		r = store_file_open(path, &q->sf, err, sizeof(err));
	else
		r = store_file_reopen(q->sf, path, err, sizeof(err));
	if (r != 0) {
		fprintf(stderr, PROG ": %s\n", err);
		return r;
	}
	sf = q->sf;
	q->files_read++;
	info = store_file_info(sf);
	/* A file whose flows all started outside the range. */
	if (info->records > 0 && (info->last_ms < q->from_ms ||
	    info->first_ms >= q->to_ms))
		goto done;
	for (;;) {
		r = store_file_next_block(sf, &sum);
		if (r <= 0)
			break;
		q->blocks++;
		/* Exporters may be added as the file grows: rebind. */
		if (info->n_exporters != bound) {
			bound = info->n_exporters;
			if (filter_bind(q->filter, info->exporters, bound) != 0 ||
			    (q->agg != NULL &&
			     agg_bind(q->agg, info->exporters, bound) != 0)) {
				r = -ENOMEM;
				break;
			}
		}
		if (!filter_block_may_match(q->filter, &sum)) {
			q->blocks_skipped++;
			q->skipped += sum.records;
			continue;
		}
		r = store_file_read_block(sf, mask, &c);
		if (r < 0)
			break;
		if (c->n > q->sel_cap) {
			uint32_t *s = realloc(q->sel, c->n * sizeof(*s));

			if (s == NULL) {
				r = -ENOMEM;
				break;
			}
			q->sel = s;
			q->sel_cap = c->n;
		}
		if ((r = filter_eval(q->filter, c, q->sel, &n)) != 0)
			break;
		q->scanned += c->n;
		q->matched += n;
		if ((r = consume(q, sf, c, n)) != 0)
			break;
	}
	if (r < 0 && r != -ENOMEM) {
		/* A damaged block ends the readable part; keep going. */
		fprintf(stderr, PROG ": %s: %s; the rest of the file is "
			"not read\n", path, strerror(-r));
		r = 0;
	}
done:
	/* sf stays open for the next file's store_file_reopen(). */
	return r;
}

static int scan(struct query *q)
{
	size_t i, j, n;
	char **paths;
	int r = 0;

	for (i = 0; i < q->n_files && r == 0; i++)
		r = scan_file(q, q->files[i]);
	for (i = 0; i < q->n_dirs && r >= 0 && r != 1; i++) {
		r = store_dir_list(q->dirs[i], q->from_ms, q->to_ms, &paths, &n);
		if (r != 0) {
			fprintf(stderr, PROG ": %s: %s\n", q->dirs[i],
				strerror(-r));
			return r;
		}
		for (j = 0; j < n; j++) {
			if (r == 0)
				r = scan_file(q, paths[j]);
			free(paths[j]);
		}
		free(paths);
	}
	if (r == -ENOMEM)
		fprintf(stderr, PROG ": out of memory\n");
	return r < 0 ? r : 0;
}

/* --- options -------------------------------------------------------- */

enum {
	OPT_FROM = 256, OPT_TO, OPT_TOP, OPT_BY, OPT_ORDER, OPT_FIELDS,
	OPT_TENANTS, OPT_SUBNET, OPT_MONTH, OPT_COUNT, OPT_STATS, OPT_LIMIT,
};

static int parse_by(const char *s, enum agg_by *by)
{
	if (strcmp(s, "bytes") == 0)
		*by = AGG_BY_BYTES;
	else if (strcmp(s, "packets") == 0)
		*by = AGG_BY_PACKETS;
	else if (strcmp(s, "flows") == 0 || strcmp(s, "records") == 0)
		*by = AGG_BY_FLOWS;
	else if (strcmp(s, "key") == 0)
		*by = AGG_BY_KEY;
	else
		return -EINVAL;
	return 0;
}

static int parse_order(struct query *q, const char *s)
{
	char buf[32], *colon;

	snprintf(buf, sizeof(buf), "%s", s);
	colon = strchr(buf, ':');
	q->reverse = false;
	if (colon != NULL) {
		*colon++ = '\0';
		if (strcmp(colon, "asc") != 0 && strcmp(colon, "desc") != 0)
			return -EINVAL;
	}
	if (parse_by(buf, &q->by) != 0)
		return -EINVAL;
	/* Counters run descending and keys ascending unless told. */
	if (colon != NULL)
		q->reverse = (q->by == AGG_BY_KEY) != (strcmp(colon, "asc") == 0);
	return 0;
}

static void die_usage(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

static void die_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	usage(stderr);
	exit(2);
}

static void parse_args(struct query *q, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "read-dir", required_argument, NULL, 'R' },
		{ "read", required_argument, NULL, 'r' },
		{ "format", required_argument, NULL, 'o' },
		{ "aggregate", required_argument, NULL, 'A' },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "to", required_argument, NULL, OPT_TO },
		{ "top", required_argument, NULL, OPT_TOP },
		{ "by", required_argument, NULL, OPT_BY },
		{ "order", required_argument, NULL, OPT_ORDER },
		{ "fields", required_argument, NULL, OPT_FIELDS },
		{ "tenants", required_argument, NULL, OPT_TENANTS },
		{ "subnet", required_argument, NULL, OPT_SUBNET },
		{ "month", required_argument, NULL, OPT_MONTH },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		{ "count", no_argument, NULL, OPT_COUNT },
		{ "stats", no_argument, NULL, OPT_STATS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *month = NULL;
	bool have_range = false, count = false, have_by = false;
	size_t len = 1;
	int ch, i;
	char *end;

	q->to_ms = UINT64_MAX;
	q->by = AGG_BY_BYTES;
	while ((ch = getopt_long(argc, argv, "R:r:o:A:n:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'R':
			if (q->n_dirs == MAX_SOURCES)
				die_usage("too many -R");
			q->dirs[q->n_dirs++] = optarg;
			break;
		case 'r':
			if (q->n_files == MAX_SOURCES)
				die_usage("too many -r");
			q->files[q->n_files++] = optarg;
			break;
		case 'o':
			if (record_fmt_from_name(optarg, &q->fmt) != 0)
				die_usage("--format: '%s' is not text, json or "
					  "csv", optarg);
			break;
		case 'A':
			q->agg_keys = optarg;
			break;
		case OPT_FROM:
		case OPT_TO:
			if (parse_time(optarg, ch == OPT_FROM ? &q->from_ms :
				       &q->to_ms) != 0)
				die_usage("'%s' is not a time (RFC 3339 or "
					  "YYYY-MM-DD[ HH:MM[:SS]])", optarg);
			have_range = true;
			break;
		case 'n':
		case OPT_TOP:
			errno = 0;
			q->top = strtoul(optarg, &end, 10);
			if (*end != '\0' || errno != 0 || q->top == 0 ||
			    q->top > 100000000)
				die_usage("--top: '%s' is not a count 1-1e8",
					  optarg);
			break;
		case OPT_BY:
			if (parse_by(optarg, &q->by) != 0 ||
			    q->by == AGG_BY_KEY)
				die_usage("--by: '%s' is not bytes, packets or "
					  "flows", optarg);
			have_by = true;
			break;
		case OPT_ORDER:
			if (parse_order(q, optarg) != 0)
				die_usage("--order: '%s' is not bytes, packets, "
					  "flows or key, optionally :asc or "
					  ":desc", optarg);
			have_by = true;
			break;
		case OPT_FIELDS:
			q->fields = optarg;
			break;
		case OPT_TENANTS:
			q->tenants = optarg;
			break;
		case OPT_SUBNET:
			q->subnet = optarg;
			break;
		case OPT_MONTH:
			month = optarg;
			break;
		case OPT_LIMIT:
			if (filter_parse_count(optarg, &q->limit) != 0)
				die_usage("--limit: '%s' is not a count",
					  optarg);
			break;
		case OPT_COUNT:
			count = true;
			break;
		case OPT_STATS:
			q->stats = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind < argc && strcmp(argv[optind], "report") == 0) {
		q->mode = MODE_REPORT;
		optind++;
	}
	for (i = optind; i < argc; i++)
		len += strlen(argv[i]) + 1;
	q->filter_text = calloc(1, len);
	if (q->filter_text == NULL) {
		fprintf(stderr, PROG ": out of memory\n");
		exit(1);
	}
	for (i = optind; i < argc; i++) {
		if (i > optind)
			strcat(q->filter_text, " ");
		strcat(q->filter_text, argv[i]);
	}
	if (q->n_dirs == 0 && q->n_files == 0)
		die_usage("nothing to read: give -R DIR or -r FILE");
	if (month != NULL) {
		if (have_range)
			die_usage("--month and --from/--to exclude each other");
		if (parse_month(month, &q->from_ms, &q->to_ms) != 0)
			die_usage("--month: '%s' is not YYYY-MM", month);
	}
	if (q->mode == MODE_REPORT) {
		if ((q->subnet == NULL) == (q->tenants == NULL))
			die_usage("report needs --subnet CIDR or --tenants "
				  "MAPFILE (one of them)");
		if (q->agg_keys != NULL || q->top != 0 || count)
			die_usage("report takes no --aggregate, --top or --count");
		return;
	}
	if (q->subnet != NULL)
		die_usage("--subnet belongs to 'report'");
	if (count && (q->agg_keys != NULL || q->top != 0))
		die_usage("--count prints totals: no --aggregate or --top");
	if (have_by && q->top == 0 && q->agg_keys == NULL)
		die_usage("--by and --order sort aggregates or --top lists");
	if (q->by == AGG_BY_KEY && q->agg_keys == NULL)
		die_usage("--order key needs --aggregate");
	q->mode = count ? MODE_COUNT : q->agg_keys != NULL ? MODE_AGG :
	    MODE_RECORDS;
}

static long maxrss_kb(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return ru.ru_maxrss;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int setup(struct query *q)
{
	char err[512];
	struct cidr c;
	int r;

	r = filter_compile(q->filter_text, &q->filter, err, sizeof(err));
	if (r != 0) {
		fprintf(stderr, PROG ": %s\n  %s\n", err, q->filter_text);
		return r;
	}
	filter_set_time(q->filter, q->from_ms, q->to_ms);
	if (q->tenants != NULL || q->subnet != NULL) {
		q->tm = tenant_map_new();
		if (q->tm == NULL)
			return -ENOMEM;
	}
	if (q->tenants != NULL) {
		r = tenant_map_load(q->tm, q->tenants, err, sizeof(err));
		if (r != 0) {
			fprintf(stderr, PROG ": %s\n", err);
			return r;
		}
	}
	if (q->subnet != NULL) {
		if (cidr_parse(q->subnet, &c) != 0) {
			fprintf(stderr, PROG ": --subnet: '%s' is not a "
				"prefix\n", q->subnet);
			return -EINVAL;
		}
		if ((r = tenant_map_add(q->tm, &c, q->subnet)) != 0)
			return r;
	}
	switch (q->mode) {
	case MODE_AGG:
		r = agg_new(q->agg_keys, q->tm, &q->agg, err, sizeof(err));
		if (r != 0) {
			fprintf(stderr, PROG ": --aggregate: %s\n", err);
			return r;
		}
		break;
	case MODE_REPORT:
		q->report = report_new(q->tm);
		if (q->report == NULL)
			return -ENOMEM;
		break;
	case MODE_RECORDS:
		if (q->fields != NULL) {
			const char *names[OUT_MAX_COLS];
			bool numeric[OUT_MAX_COLS];
			size_t i;

			if ((r = parse_raw_fields(q)) != 0)
				return r;
			for (i = 0; i < q->n_raw_cols; i++) {
				names[i] = raw_names[q->raw_cols[i]];
				numeric[i] = raw_numeric(q->raw_cols[i]);
				/* Text: widths that fit typical values. */
			}
			out_init(&q->out, q->fmt, stdout, q->n_raw_cols, names,
				 numeric);
			for (i = 0; i < q->n_raw_cols; i++)
				if (q->out.width[i] < 15)
					q->out.width[i] = q->raw_cols[i] == 12 ||
					    q->raw_cols[i] == 13 ? 24 : 15;
			out_header(&q->out);
		} else {
			char h[512];
			size_t n = record_fmt_header(q->fmt, h, sizeof(h));

			fwrite(h, 1, n, stdout);
		}
		break;
	case MODE_COUNT:
		break;
	}
	return 0;
}

static int finish(struct query *q)
{
	uint32_t *rows;
	size_t n, i;
	char err[256];
	int r = 0;

	switch (q->mode) {
	case MODE_COUNT:
		if (q->fmt == RECORD_FMT_JSON)
			printf("{\"flows\":%" PRIu64 ",\"packets\":%" PRIu64
			       ",\"bytes\":%" PRIu64 "}\n", q->matched,
			       q->packets, q->bytes);
		else if (q->fmt == RECORD_FMT_CSV)
			printf("flows,packets,bytes\n%" PRIu64 ",%" PRIu64
			       ",%" PRIu64 "\n", q->matched, q->packets,
			       q->bytes);
		else
			printf("flows %" PRIu64 " packets %" PRIu64
			       " bytes %" PRIu64 "\n", q->matched, q->packets,
			       q->bytes);
		break;
	case MODE_AGG:
		r = agg_rows(q->agg, q->by, q->reverse, q->top, &rows, &n);
		if (r != 0)
			break;
		r = agg_print(q->agg, rows, n, q->fmt, q->fields, stdout, err,
			      sizeof(err));
		if (r != 0)
			fprintf(stderr, PROG ": %s\n", err);
		free(rows);
		break;
	case MODE_REPORT:
		r = report_print(q->report, q->fmt, q->from_ms, q->to_ms,
				 stdout);
		break;
	case MODE_RECORDS:
		for (i = 0; i < q->top_recs.n; i++)
			print_record(q, &q->top_recs.r[i]);
		break;
	}
	return r;
}

int main(int argc, char **argv)
{
	struct query q;
	bool bad_input = false;
	double t0, t;
	int r;

	memset(&q, 0, sizeof(q));
	parse_args(&q, argc, argv);
	r = setup(&q);
	if (r == -ENOMEM)
		fprintf(stderr, PROG ": out of memory\n");
	/* A bad filter, key or map is a usage error, as a bad option. */
	if (r == -EINVAL)
		bad_input = true;
	if (r == 0) {
		t0 = now_s();
		r = scan(&q);
		if (r == 0)
			r = finish(&q);
		t = now_s() - t0;
		if (q.stats)
			fprintf(stderr, PROG ": files=%" PRIu64 " blocks=%"
				PRIu64 " skipped=%" PRIu64 " records=%" PRIu64
				" decoded=%" PRIu64 " matched=%" PRIu64
				" keys=%zu seconds=%.3f rate=%.2fM/s "
				"maxrss_kb=%ld\n", q.files_read, q.blocks,
				q.blocks_skipped, q.scanned + q.skipped,
				q.scanned, q.matched,
				q.agg ? agg_count(q.agg) : 0, t, t > 0 ?
				(double)(q.scanned + q.skipped) / t / 1e6 : 0.0,
				maxrss_kb());
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, PROG ": write error on standard output\n");
		r = -EIO;
	}
	agg_free(q.agg);
	report_free(q.report);
	tenant_map_free(q.tm);
	filter_free(q.filter);
	free(q.top_recs.r);
	free(q.sel);
	store_file_close(q.sf);
	free(q.filter_text);
	return r == 0 ? 0 : bad_input ? 2 : 1;
}
