/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * record_fmt: text, JSON and CSV lines for flow records.  JSON and CSV are
 * built with small appenders rather than snprintf, because `tflowd -r -o
 * json` and the collector print millions of lines; the time prefixes of
 * recent seconds are cached for the same reason, and JSON into a full-size
 * buffer skips even the appenders' bound checks (fmt_json_fast()).  Every
 * line fits in RECORD_FMT_MAX bytes (the longest record is well under 700
 * bytes).
 */
#include "record_fmt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const end_reason_names[] = {
	"", "idle", "active", "end", "forced", "resources",
};

const char *record_end_reason_name(unsigned reason)
{
	if (reason >= sizeof(end_reason_names) / sizeof(end_reason_names[0]))
		return "";
	return end_reason_names[reason];
}

int record_fmt_from_name(const char *name, enum record_fmt *out)
{
	if (strcmp(name, "text") == 0)
		*out = RECORD_FMT_TEXT;
	else if (strcmp(name, "json") == 0)
		*out = RECORD_FMT_JSON;
	else if (strcmp(name, "csv") == 0)
		*out = RECORD_FMT_CSV;
	else
		return -EINVAL;
	return 0;
}

/* 0..255 as text, four bytes each: the digits, NUL padding, and the
 * number of digits last.  Copying four bytes and stepping by the count
 * has no branch to mispredict, where random addresses defeat the
 * predictor of a digit-by-digit loop. */
static const char dec8[256 * 4 + 1] =
	"0\0\0\1" "1\0\0\1" "2\0\0\1" "3\0\0\1" "4\0\0\1" "5\0\0\1" "6\0\0\1"
	"7\0\0\1" "8\0\0\1" "9\0\0\1" "10\0\2" "11\0\2" "12\0\2" "13\0\2"
	"14\0\2" "15\0\2" "16\0\2" "17\0\2" "18\0\2" "19\0\2" "20\0\2"
	"21\0\2" "22\0\2" "23\0\2" "24\0\2" "25\0\2" "26\0\2" "27\0\2"
	"28\0\2" "29\0\2" "30\0\2" "31\0\2" "32\0\2" "33\0\2" "34\0\2"
	"35\0\2" "36\0\2" "37\0\2" "38\0\2" "39\0\2" "40\0\2" "41\0\2"
	"42\0\2" "43\0\2" "44\0\2" "45\0\2" "46\0\2" "47\0\2" "48\0\2"
	"49\0\2" "50\0\2" "51\0\2" "52\0\2" "53\0\2" "54\0\2" "55\0\2"
	"56\0\2" "57\0\2" "58\0\2" "59\0\2" "60\0\2" "61\0\2" "62\0\2"
	"63\0\2" "64\0\2" "65\0\2" "66\0\2" "67\0\2" "68\0\2" "69\0\2"
	"70\0\2" "71\0\2" "72\0\2" "73\0\2" "74\0\2" "75\0\2" "76\0\2"
	"77\0\2" "78\0\2" "79\0\2" "80\0\2" "81\0\2" "82\0\2" "83\0\2"
	"84\0\2" "85\0\2" "86\0\2" "87\0\2" "88\0\2" "89\0\2" "90\0\2"
	"91\0\2" "92\0\2" "93\0\2" "94\0\2" "95\0\2" "96\0\2" "97\0\2"
	"98\0\2" "99\0\2" "100\3" "101\3" "102\3" "103\3" "104\3"
	"105\3" "106\3" "107\3" "108\3" "109\3" "110\3" "111\3"
	"112\3" "113\3" "114\3" "115\3" "116\3" "117\3" "118\3"
	"119\3" "120\3" "121\3" "122\3" "123\3" "124\3" "125\3"
	"126\3" "127\3" "128\3" "129\3" "130\3" "131\3" "132\3"
	"133\3" "134\3" "135\3" "136\3" "137\3" "138\3" "139\3"
	"140\3" "141\3" "142\3" "143\3" "144\3" "145\3" "146\3"
	"147\3" "148\3" "149\3" "150\3" "151\3" "152\3" "153\3"
	"154\3" "155\3" "156\3" "157\3" "158\3" "159\3" "160\3"
	"161\3" "162\3" "163\3" "164\3" "165\3" "166\3" "167\3"
	"168\3" "169\3" "170\3" "171\3" "172\3" "173\3" "174\3"
	"175\3" "176\3" "177\3" "178\3" "179\3" "180\3" "181\3"
	"182\3" "183\3" "184\3" "185\3" "186\3" "187\3" "188\3"
	"189\3" "190\3" "191\3" "192\3" "193\3" "194\3" "195\3"
	"196\3" "197\3" "198\3" "199\3" "200\3" "201\3" "202\3"
	"203\3" "204\3" "205\3" "206\3" "207\3" "208\3" "209\3"
	"210\3" "211\3" "212\3" "213\3" "214\3" "215\3" "216\3"
	"217\3" "218\3" "219\3" "220\3" "221\3" "222\3" "223\3"
	"224\3" "225\3" "226\3" "227\3" "228\3" "229\3" "230\3"
	"231\3" "232\3" "233\3" "234\3" "235\3" "236\3" "237\3"
	"238\3" "239\3" "240\3" "241\3" "242\3" "243\3" "244\3"
	"245\3" "246\3" "247\3" "248\3" "249\3" "250\3" "251\3"
	"252\3" "253\3" "254\3" "255\3";

/* Dotted quad at p (at least 16 bytes), NUL-terminated; returns its
 * length.  By hand: snprintf was the collector's largest cost per record
 * (three or four addresses a line). */
static size_t ipv4_text(const uint8_t a[4], char *p)
{
	char *s = p;
	const char *d;
	int i;

	/* Each copy may write three bytes past the digits; the next one
	 * or the NUL overwrites them, and 4 x (3 + 1) + 1 fits in 16. */
	for (i = 0; i < 4; i++) {
		d = dec8 + 4 * a[i];
		memcpy(p, d, 3);
		p += d[3];
		*p++ = '.';
	}
	*--p = '\0';
	return (size_t)(p - s);
}

/* IPv6 text at p (at least INET6_ADDRSTRLEN bytes), NUL-terminated,
 * exactly as glibc's inet_ntop writes it (RFC 5952: lower-case hex, the
 * first longest run of two or more zero groups as "::", IPv4-mapped and
 * -compatible addresses with a dotted quad); returns its length.
 * inet_ntop formats each group with sprintf, which made it the costliest
 * part of an IPv6 record's line. */
static size_t ipv6_text(const uint8_t a[16], char *p)
{
	static const char hex[] = "0123456789abcdef";
	int best = -1, best_len = 0, cur = -1, cur_len = 0, i;
	uint16_t w[8];
	char *s = p;

	for (i = 0; i < 8; i++) {
		w[i] = (uint16_t)(a[2 * i] << 8 | a[2 * i + 1]);
		if (w[i] == 0) {
			if (cur == -1)
				cur = i;
			if (++cur_len > best_len) {
				best = cur;
				best_len = cur_len;
			}
		} else {
			cur = -1;
			cur_len = 0;
		}
	}
	if (best_len < 2)
		best = -1;
	for (i = 0; i < 8; i++) {
		if (best != -1 && i >= best && i < best + best_len) {
			if (i == best)
				*p++ = ':';
			continue;
		}
		if (i != 0)
			*p++ = ':';
		if (i == 6 && best == 0 &&
		    (best_len == 6 || (best_len == 5 && w[5] == 0xffff))) {
			p += ipv4_text(a + 12, p);
			return (size_t)(p - s);
		}
		if (w[i] >= 0x1000)
			*p++ = hex[w[i] >> 12];
		if (w[i] >= 0x100)
			*p++ = hex[w[i] >> 8 & 0xf];
		if (w[i] >= 0x10)
			*p++ = hex[w[i] >> 4 & 0xf];
		*p++ = hex[w[i] & 0xf];
	}
	if (best != -1 && best + best_len == 8)
		*p++ = ':';
	*p = '\0';
	return (size_t)(p - s);
}

/* snprintf's "%s" cut to len, without the format machinery. */
static void copy_cut(char *buf, size_t len, const char *s)
{
	size_t n = strlen(s);

	if (len == 0)
		return;
	if (n >= len)
		n = len - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
}

void record_fmt_addr(const uint8_t addr[16], int ip_version, char *buf,
		     size_t len)
{
	char a[16];

	char a6[INET6_ADDRSTRLEN];

	if (ip_version == 6) {
		if (len >= sizeof(a6)) {
			ipv6_text(addr, buf);
		} else {
			ipv6_text(addr, a6);
			copy_cut(buf, len, a6);
		}
	} else if (len >= sizeof(a)) {
		ipv4_text(addr, buf);
	} else {
		ipv4_text(addr, a);
		copy_cut(buf, len, a);
	}
}

/* Last second gmtime_r and this formatter agree on: 9999-12-31T23:59:59. */
#define FAST_TIME_MAX_S 253402300799ULL

static void put2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

/* "YYYY-MM-DDThh:mm:ss" (19 bytes, no NUL) for secs <= FAST_TIME_MAX_S:
 * the civil date by day arithmetic (H. Hinnant's days-to-civil), which
 * costs a fraction of gmtime_r's time zone machinery. */
static void time_prefix(uint64_t secs, char p[19])
{
	uint64_t days = secs / 86400, sod = secs % 86400;
	uint64_t z = days + 719468, era = z / 146097;
	uint64_t doe = z - era * 146097;
	uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	uint64_t mp = (5 * doy + 2) / 153;
	unsigned day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	unsigned mon = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	unsigned year = (unsigned)(yoe + era * 400 + (mon <= 2));

	put2(p, year / 100);
	put2(p + 2, year % 100);
	p[4] = '-';
	put2(p + 5, mon);
	p[7] = '-';
	put2(p + 8, day);
	p[10] = 'T';
	put2(p + 11, (unsigned)(sod / 3600));
	p[13] = ':';
	put2(p + 14, (unsigned)(sod / 60 % 60));
	p[16] = ':';
	put2(p + 17, (unsigned)(sod % 60));
}

void record_fmt_time(uint64_t ms, char *buf, size_t len)
{
	time_t secs = (time_t)(ms / 1000);
	char t[32];
	struct tm tm;

	if (ms / 1000 <= FAST_TIME_MAX_S && len >= 25) {
		time_prefix(ms / 1000, buf);
		buf[19] = '.';
		buf[20] = (char)('0' + ms % 1000 / 100);
		buf[21] = (char)('0' + ms % 100 / 10);
		buf[22] = (char)('0' + ms % 10);
		buf[23] = 'Z';
		buf[24] = '\0';
		return;
	}
	if (ms / 1000 <= FAST_TIME_MAX_S) {
		record_fmt_time(ms, t, sizeof(t));
		copy_cut(buf, len, t);
		return;
	}
	if (gmtime_r(&secs, &tm) == NULL) {
		snprintf(buf, len, "1970-01-01T00:00:00.000Z");
		return;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (unsigned)(ms % 1000));
}

/* Append cursor over a buffer of at least RECORD_FMT_MAX bytes. */
struct out {
	char *p;
	char *end;
};

static void put_str(struct out *o, const char *s)
{
	size_t n = strlen(s);

	if ((size_t)(o->end - o->p) <= n)
		n = (size_t)(o->end - o->p) - 1;
	memcpy(o->p, s, n);
	o->p += n;
}

static void put_u64(struct out *o, uint64_t v)
{
	/* Two digits per division: counters are long, ports five digits. */
	static const char pairs[] =
		"00010203040506070809101112131415161718192021222324"
		"25262728293031323334353637383940414243444546474849"
		"50515253545556575859606162636465666768697071727374"
		"75767778798081828384858687888990919293949596979899";
	char tmp[24];
	int i = (int)sizeof(tmp);

	while (v >= 100) {
		unsigned d = (unsigned)(v % 100);

		v /= 100;
		tmp[--i] = pairs[2 * d + 1];
		tmp[--i] = pairs[2 * d];
	}
	if (v >= 10) {
		tmp[--i] = pairs[2 * v + 1];
		tmp[--i] = pairs[2 * v];
	} else {
		tmp[--i] = (char)('0' + v);
	}
	if ((size_t)(o->end - o->p) <= sizeof(tmp) - (size_t)i)
		return;
	memcpy(o->p, tmp + i, sizeof(tmp) - (size_t)i);
	o->p += sizeof(tmp) - (size_t)i;
}

static void put_addr(struct out *o, const uint8_t addr[16], int ip_version)
{
	char a[INET6_ADDRSTRLEN];

	if (o->end - o->p > INET6_ADDRSTRLEN) {
		o->p += ip_version == 6 ? ipv6_text(addr, o->p) :
		    ipv4_text(addr, o->p);
		return;
	}
	record_fmt_addr(addr, ip_version, a, sizeof(a));
	put_str(o, a);
}

/* The effective 1-in-N rate, (packets + space) / packets, exact to three
 * decimals: "2", "1.5", "1.333". */
static void put_rate(struct out *o, const struct tflow_record *r)
{
	uint64_t n = (uint64_t)r->sampling_packets + r->sampling_space;
	uint64_t milli = (n * 1000 + r->sampling_packets / 2) /
			 r->sampling_packets;
	char frac[5];

	put_u64(o, milli / 1000);
	if (milli % 1000 == 0)
		return;
	frac[0] = '.';
	frac[1] = (char)('0' + milli % 1000 / 100);
	frac[2] = (char)('0' + milli % 100 / 10);
	frac[3] = (char)('0' + milli % 10);
	frac[4] = '\0';
	/* Trailing zeros say nothing. */
	for (int i = 3; i > 1 && frac[i] == '0'; i--)
		frac[i] = '\0';
	put_str(o, frac);
}

/* Times of one second are formatted once: records expire in bursts of the
 * same second.  Several slots (by the second's low bits), because a
 * record's first and last alternate, and a datagram of expired flows
 * spans their lifetimes: seconds apart. */
#define TIME_SLOTS	16
struct time_cache {
	uint64_t secs;		/* the second + 1; 0 empty */
	char prefix[24];	/* "2026-01-01T00:00:00" */
};

static const struct time_cache *time_slot(uint64_t secs)
{
	static _Thread_local struct time_cache tc[TIME_SLOTS];
	struct time_cache *c = &tc[secs % TIME_SLOTS];

	/* Kept as secs + 1: a zeroed slot matches no second. */
	if (c->secs != secs + 1) {
		char full[32];

		record_fmt_time(secs * 1000, full, sizeof(full));
		memcpy(c->prefix, full, 19);
		c->prefix[19] = '\0';
		c->secs = secs + 1;
	}
	return c;
}

static void put_time(struct out *o, uint64_t ms)
{
	const struct time_cache *c = time_slot(ms / 1000);

	/* Prefix and ".mmmZ": 24 bytes, when they fit. */
	if (o->end - o->p <= 24) {
		put_str(o, c->prefix);
		return;
	}
	memcpy(o->p, c->prefix, 19);
	o->p[19] = '.';
	o->p[20] = (char)('0' + (ms % 1000) / 100);
	o->p[21] = (char)('0' + (ms % 100) / 10);
	o->p[22] = (char)('0' + ms % 10);
	o->p[23] = 'Z';
	o->p += 24;
}

static const char *proto_name(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case 1: return "ICMP";
	case 2: return "IGMP";
	case 6: return "TCP";
	case 17: return "UDP";
	case 47: return "GRE";
	case 50: return "ESP";
	case 51: return "AH";
	case 58: return "ICMP6";
	case 132: return "SCTP";
	default:
		snprintf(buf, len, "%u", proto);
		return buf;
	}
}

/* nfdump-style flag string: CWR ECE URG ACK PSH RST SYN FIN. */
static void tcp_flags_str(uint8_t f, char buf[9])
{
	static const char names[] = "CEUAPRSF";
	int i;

	for (i = 0; i < 8; i++)
		buf[i] = (f & (0x80 >> i)) ? names[i] : '.';
	buf[8] = '\0';
}

static const char *const csv_columns =
	"exporter,version,ip_version,src_addr,dst_addr,src_port,dst_port,"
	"proto,tos,tcp_flags,packets,bytes,first,last,in_if,out_if,next_hop,"
	"src_mask,dst_mask,sampling_interval,time_estimated,end_reason\n";

size_t record_fmt_header(enum record_fmt fmt, char *buf, size_t len)
{
	int n;

	switch (fmt) {
	case RECORD_FMT_CSV:
		n = snprintf(buf, len, "%s", csv_columns);
		break;
	case RECORD_FMT_TEXT:
		n = snprintf(buf, len,
			     "%-24s %-24s %-5s %-47s %-47s %8s %12s %-8s %3s %5s %5s\n",
			     "first", "last", "proto", "src", "dst", "packets",
			     "bytes", "flags", "tos", "in", "out");
		break;
	default:
		n = 0;
		if (len > 0)
			buf[0] = '\0';
		break;
	}
	return n < 0 ? 0 : (size_t)n;
}

/* A collector's records come from a few exporters, in runs: the text of
 * the last one is kept (an IPv6 exporter costs inet_ntop otherwise). */
struct exporter_cache {
	uint8_t addr[16];
	uint8_t family;
	char text[INET6_ADDRSTRLEN];
};

static void put_exporter_addr(struct out *o, const struct tflow_record *r)
{
	static _Thread_local struct exporter_cache ec;

	if (ec.family != r->exporter_family ||
	    memcmp(ec.addr, r->exporter_addr, sizeof(ec.addr)) != 0) {
		record_fmt_addr(r->exporter_addr, r->exporter_family, ec.text,
				sizeof(ec.text));
		memcpy(ec.addr, r->exporter_addr, sizeof(ec.addr));
		ec.family = r->exporter_family;
	}
	put_str(o, ec.text);
}

static void put_exporter(struct out *o, const struct tflow_record *r,
			 bool quoted)
{
	if (r->exporter_family == 0) {
		put_str(o, quoted ? "null" : "");
		return;
	}
	if (quoted)
		put_str(o, "\"");
	put_exporter_addr(o, r);
	if (quoted)
		put_str(o, "\"");
}

/*
 * JSON into a buffer of at least RECORD_FMT_MAX bytes: the longest line
 * (IPv6 addresses, 20-digit counters, every optional key) is under 700
 * bytes, so the fields are written without a bound check each, keys are
 * copies of a length known at compile time, and numbers are written in
 * place.  A shorter buffer gets the same line, cut to fit (record_fmt_line),
 * so there is one JSON writer.
 */

/* Append the string literal s at p. */
#define LIT(p, s)	(memcpy((p), (s), sizeof(s) - 1), (p) += sizeof(s) - 1)

static const char digit_pairs[] =
	"00010203040506070809101112131415161718192021222324"
	"25262728293031323334353637383940414243444546474849"
	"50515253545556575859606162636465666768697071727374"
	"75767778798081828384858687888990919293949596979899";

/* Decimal digits of v >= 10: log2 scaled by log10(2) ~ 1233/4096 gives the
 * count or one more, which one power of ten settles. */
static unsigned ndigits(uint64_t v)
{
	static const uint64_t pow10[20] = {
		1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL,
		1000000ULL, 10000000ULL, 100000000ULL, 1000000000ULL,
		10000000000ULL, 100000000000ULL, 1000000000000ULL,
		10000000000000ULL, 100000000000000ULL, 1000000000000000ULL,
		10000000000000000ULL, 100000000000000000ULL,
		1000000000000000000ULL, 10000000000000000000ULL,
	};
	unsigned t = (unsigned)(64 - __builtin_clzll(v)) * 1233 >> 12;

	return t + 1 - (v < pow10[t]);
}

/* v in decimal at p, two digits per division, last digit first. */
static char *fast_u64(char *p, uint64_t v)
{
	unsigned n, d;
	char *q;

	if (v < 10) {
		*p = (char)('0' + v);
		return p + 1;
	}
	n = ndigits(v);
	q = p + n;
	while (v >= 100) {
		d = (unsigned)(v % 100);
		v /= 100;
		q -= 2;
		memcpy(q, digit_pairs + 2 * d, 2);
	}
	if (v >= 10)
		memcpy(q - 2, digit_pairs + 2 * v, 2);
	else
		q[-1] = (char)('0' + v);
	return p + n;
}

/* 0..255: a fixed copy and the digit count (may write 3 bytes). */
static char *fast_u8(char *p, uint8_t v)
{
	const char *d = dec8 + 4 * v;

	memcpy(p, d, 3);
	return p + d[3];
}

static char *fast_addr(char *p, const uint8_t addr[16], int ip_version)
{
	return p + (ip_version == 6 ? ipv6_text(addr, p) : ipv4_text(addr, p));
}

static char *fast_time(char *p, uint64_t ms)
{
	unsigned m = (unsigned)(ms % 1000);

	memcpy(p, time_slot(ms / 1000)->prefix, 19);
	p[19] = '.';
	p[20] = (char)('0' + m / 100);
	memcpy(p + 21, digit_pairs + 2 * (m % 100), 2);
	p[23] = 'Z';
	return p + 24;
}

/* The line's start up to the value of "ip_version", which only changes
 * with the exporter: `{"exporter":"192.0.2.1","version":9,"ip_version":`. */
struct json_head {
	uint8_t addr[16];
	uint8_t family;
	uint16_t version;
	bool valid;
	uint8_t len;
	char text[96];
};

static const struct json_head *json_head(const struct tflow_record *r)
{
	static _Thread_local struct json_head h;
	char *p;

	if (h.valid && h.family == r->exporter_family &&
	    h.version == r->version &&
	    memcmp(h.addr, r->exporter_addr, sizeof(h.addr)) == 0)
		return &h;
	p = h.text;
	LIT(p, "{\"exporter\":");
	if (r->exporter_family == 0) {
		LIT(p, "null");
	} else {
		*p++ = '"';
		p = fast_addr(p, r->exporter_addr, r->exporter_family);
		*p++ = '"';
	}
	LIT(p, ",\"version\":");
	p = fast_u64(p, r->version);
	LIT(p, ",\"ip_version\":");
	h.len = (uint8_t)(p - h.text);
	memcpy(h.addr, r->exporter_addr, sizeof(h.addr));
	h.family = r->exporter_family;
	h.version = r->version;
	h.valid = true;
	return &h;
}

static size_t fmt_json_fast(const struct tflow_record *r, char *start)
{
	const struct json_head *h = json_head(r);
	char *p = start;

	/* Fixed size: the compiler copies it in a few moves. */
	memcpy(p, h->text, sizeof(h->text));
	p += h->len;
	p = fast_u8(p, r->ip_version);
	LIT(p, ",\"src_addr\":\"");
	p = fast_addr(p, r->src_addr, r->ip_version);
	LIT(p, "\",\"dst_addr\":\"");
	p = fast_addr(p, r->dst_addr, r->ip_version);
	LIT(p, "\",\"src_port\":");
	p = fast_u64(p, r->src_port);
	LIT(p, ",\"dst_port\":");
	p = fast_u64(p, r->dst_port);
	LIT(p, ",\"proto\":");
	p = fast_u8(p, r->proto);
	LIT(p, ",\"tos\":");
	p = fast_u8(p, r->tos);
	LIT(p, ",\"tcp_flags\":");
	p = fast_u8(p, r->tcp_flags);
	LIT(p, ",\"packets\":");
	p = fast_u64(p, r->packets);
	LIT(p, ",\"bytes\":");
	p = fast_u64(p, r->octets);
	LIT(p, ",\"first\":\"");
	p = fast_time(p, r->first_ms);
	LIT(p, "\",\"last\":\"");
	p = fast_time(p, r->last_ms);
	LIT(p, "\",\"in_if\":");
	p = fast_u64(p, r->in_if);
	LIT(p, ",\"out_if\":");
	p = fast_u64(p, r->out_if);
	LIT(p, ",\"next_hop\":\"");
	p = fast_addr(p, r->next_hop, r->ip_version);
	LIT(p, "\",\"src_mask\":");
	p = fast_u8(p, r->src_mask);
	LIT(p, ",\"dst_mask\":");
	p = fast_u8(p, r->dst_mask);
	if (r->sampling_packets != 0) {
		/* Rare: the checked appenders, with room to spare. */
		struct out o = { p, start + RECORD_FMT_MAX };

		put_str(&o, ",\"sampling_interval\":");
		put_rate(&o, r);
		p = o.p;
	}
	if (r->time_estimated)
		LIT(p, ",\"time_estimated\":true");
	/* The names of end_reason_names[], each copied at its fixed size. */
	switch (r->end_reason) {
	case TFLOW_END_NONE:
		break;
	case TFLOW_END_IDLE:
		LIT(p, ",\"end_reason\":\"idle\"");
		break;
	case TFLOW_END_ACTIVE:
		LIT(p, ",\"end_reason\":\"active\"");
		break;
	case TFLOW_END_DETECTED:
		LIT(p, ",\"end_reason\":\"end\"");
		break;
	case TFLOW_END_FORCED:
		LIT(p, ",\"end_reason\":\"forced\"");
		break;
	case TFLOW_END_RESOURCES:
		LIT(p, ",\"end_reason\":\"resources\"");
		break;
	default:
		/* Unknown reasons have the empty name. */
		LIT(p, ",\"end_reason\":\"\"");
		break;
	}
	LIT(p, "}\n");
	*p = '\0';
	return (size_t)(p - start);
}

static size_t fmt_csv(const struct tflow_record *r, struct out *o,
		      char *start)
{
	put_exporter(o, r, false);
	put_str(o, ",");
	put_u64(o, r->version);
	put_str(o, ",");
	put_u64(o, r->ip_version);
	put_str(o, ",");
	put_addr(o, r->src_addr, r->ip_version);
	put_str(o, ",");
	put_addr(o, r->dst_addr, r->ip_version);
	put_str(o, ",");
	put_u64(o, r->src_port);
	put_str(o, ",");
	put_u64(o, r->dst_port);
	put_str(o, ",");
	put_u64(o, r->proto);
	put_str(o, ",");
	put_u64(o, r->tos);
	put_str(o, ",");
	put_u64(o, r->tcp_flags);
	put_str(o, ",");
	put_u64(o, r->packets);
	put_str(o, ",");
	put_u64(o, r->octets);
	put_str(o, ",");
	put_time(o, r->first_ms);
	put_str(o, ",");
	put_time(o, r->last_ms);
	put_str(o, ",");
	put_u64(o, r->in_if);
	put_str(o, ",");
	put_u64(o, r->out_if);
	put_str(o, ",");
	put_addr(o, r->next_hop, r->ip_version);
	put_str(o, ",");
	put_u64(o, r->src_mask);
	put_str(o, ",");
	put_u64(o, r->dst_mask);
	put_str(o, ",");
	if (r->sampling_packets != 0)
		put_rate(o, r);
	put_str(o, r->time_estimated ? ",true," : ",false,");
	put_str(o, record_end_reason_name(r->end_reason));
	put_str(o, "\n");
	*o->p = '\0';
	return (size_t)(o->p - start);
}

static size_t fmt_text(const struct tflow_record *r, char *buf, size_t len)
{
	char first[32], last[32], src[64], dst[64], a[INET6_ADDRSTRLEN];
	char pbuf[8], flags[9];
	int n;

	record_fmt_time(r->first_ms, first, sizeof(first));
	record_fmt_time(r->last_ms, last, sizeof(last));
	record_fmt_addr(r->src_addr, r->ip_version, a, sizeof(a));
	snprintf(src, sizeof(src), r->ip_version == 6 ? "[%s]:%u" : "%s:%u",
		 a, r->src_port);
	record_fmt_addr(r->dst_addr, r->ip_version, a, sizeof(a));
	if (r->proto == 1 || r->proto == 58)
		snprintf(dst, sizeof(dst),
			 r->ip_version == 6 ? "[%s]:%u.%u" : "%s:%u.%u", a,
			 r->dst_port >> 8, r->dst_port & 0xff);
	else
		snprintf(dst, sizeof(dst),
			 r->ip_version == 6 ? "[%s]:%u" : "%s:%u", a,
			 r->dst_port);
	tcp_flags_str(r->tcp_flags, flags);
	n = snprintf(buf, len,
		     "%-24s %-24s %-5s %-47s %-47s %8" PRIu64 " %12" PRIu64
		     " %-8s %3u %5" PRIu32 " %5" PRIu32 "\n",
		     first, last, proto_name(r->proto, pbuf, sizeof(pbuf)),
		     src, dst, r->packets, r->octets, flags, r->tos, r->in_if,
		     r->out_if);
	return n < 0 ? 0 : (size_t)n;
}

size_t record_fmt_line(enum record_fmt fmt, const struct tflow_record *rec,
		       char *buf, size_t len)
{
	struct out o = { buf, buf + len };

	switch (fmt) {
	case RECORD_FMT_JSON:
		if (len >= RECORD_FMT_MAX)
			return fmt_json_fast(rec, buf);
		{
			char line[RECORD_FMT_MAX];

			fmt_json_fast(rec, line);
			copy_cut(buf, len, line);
			return len == 0 ? 0 : strlen(buf);
		}
	case RECORD_FMT_CSV:
		return fmt_csv(rec, &o, buf);
	case RECORD_FMT_TEXT:
	default:
		return fmt_text(rec, buf, len);
	}
}
