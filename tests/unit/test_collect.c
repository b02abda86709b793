/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * collect: the receive core without sockets.  Hand-made v5 datagrams go in
 * as listen_dgram batches from chosen peers; the lines written to a temp
 * file and the accounting report are checked: --allow drops and counts per
 * peer, truncated and empty datagrams are counted and harmless, --scale
 * multiplies by the effective sampling rate, and the report lists each
 * exporter and only the non-zero error reasons.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect.h"

#define NOW_MS 1700000000000ULL

struct fixture {
	FILE *tmp;
	struct collect_out *out;
	struct collect *c;
	struct cidr allow[2];
	uint8_t dgram[24 + 2 * 48];
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* A v5 datagram of two records (3 and 7 packets), sampling field as
 * given (mode in the top 2 bits, interval in the low 14). */
static size_t make_v5(uint8_t *b, uint32_t seq, uint16_t sampling)
{
	int i;

	memset(b, 0, 24 + 2 * 48);
	put16(b, 5);
	put16(b + 2, 2);
	put32(b + 4, 100000);			/* sysUptime ms */
	put32(b + 8, (uint32_t)(NOW_MS / 1000));
	put32(b + 16, seq);
	put16(b + 22, sampling);
	for (i = 0; i < 2; i++) {
		uint8_t *r = b + 24 + i * 48;

		put32(r, 0x0a000001);		/* 10.0.0.1 */
		put32(r + 4, 0x0a000002 + (uint32_t)i);
		put32(r + 16, i == 0 ? 3 : 7);	/* dPkts */
		put32(r + 20, i == 0 ? 300 : 700);
		put32(r + 24, 90000);		/* First */
		put32(r + 28, 95000);		/* Last */
		put16(r + 32, 1000);
		put16(r + 34, 53);
		r[38] = 17;
	}
	return 24 + 2 * 48;
}

static void peer4(struct sockaddr_storage *ss, const char *a, uint16_t port)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, a, &s4->sin_addr), 1);
}

/* A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d. */
static void peer4mapped(struct sockaddr_storage *ss, const char *a,
			uint16_t port)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	char buf[64];

	memset(ss, 0, sizeof(*ss));
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	snprintf(buf, sizeof(buf), "::ffff:%s", a);
	assert_int_equal(inet_pton(AF_INET6, buf, &s6->sin6_addr), 1);
}

static int setup_with(void **state, bool scale, size_t n_allow)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct collect_config cfg;

	assert_non_null(f);
	f->tmp = tmpfile();
	assert_non_null(f->tmp);
	f->out = collect_out_new(fileno(f->tmp));
	assert_non_null(f->out);
	assert_int_equal(cidr_parse("192.0.2.0/24", &f->allow[0]), 0);
	assert_int_equal(cidr_parse("2001:db8::/32", &f->allow[1]), 0);
	memset(&cfg, 0, sizeof(cfg));
	cfg.fmt = RECORD_FMT_JSON;
	cfg.scale = scale;
	cfg.allow = f->allow;
	cfg.n_allow = n_allow;
	dec_config_default(&cfg.dec);
	f->c = collect_new(&cfg, f->out);
	assert_non_null(f->c);
	*state = f;
	return 0;
}

static int setup_allow(void **state)
{
	return setup_with(state, false, 2);
}

static int setup_scale(void **state)
{
	return setup_with(state, true, 0);
}

static int setup_plain(void **state)
{
	return setup_with(state, false, 0);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	collect_free(f->c);
	collect_out_free(f->out);
	fclose(f->tmp);
	free(f);
	return 0;
}

/* Everything written so far, NUL-terminated; caller frees. */
static char *output(struct fixture *f)
{
	int fd = fileno(f->tmp);
	off_t end = lseek(fd, 0, SEEK_END);
	char *s;

	assert_true(end >= 0);
	s = calloc(1, (size_t)end + 1);
	assert_non_null(s);
	assert_int_equal(pread(fd, s, (size_t)end, 0), end);
	return s;
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

static char *report(struct fixture *f)
{
	struct collect *cs[1] = { f->c };
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	assert_non_null(m);
	collect_report(cs, 1, "tc", m);
	fclose(m);
	return buf;
}

static void test_scale_math(void **state)
{
	static const struct {
		uint64_t count;
		uint32_t p, s;
		uint64_t want;
	} t[] = {
		{ 7, 0, 0, 7 },			/* unknown: unchanged */
		{ 7, 1, 0, 7 },			/* 1 in 1 */
		{ 7, 1, 99, 700 },		/* 1 in 100 */
		{ 3, 2, 1, 5 },			/* 4.5 rounds to 5 */
		{ 5, 3, 1, 7 },			/* 6.67 rounds to 7 */
		{ 1, 4, 1, 1 },			/* 1.25 rounds to 1 */
		{ 0, 1, 9, 0 },
		{ UINT64_MAX / 2, 1, 2, UINT64_MAX },	/* saturates */
		{ 1ULL << 40, 1, 0xffffffffU, UINT64_MAX },	/* 2^72 */
		{ 1ULL << 31, 1, 0xffffffffU, 1ULL << 63 },	/* fits */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(collect_scale(t[i].count, t[i].p, t[i].s),
				 t[i].want);
}

static void test_allow(void **state)
{
	struct fixture *f = *state;
	struct listen_dgram d[4];
	size_t len = make_v5(f->dgram, 0, 0);
	char *out, *rep;

	memset(d, 0, sizeof(d));
	for (int i = 0; i < 4; i++) {
		d[i].data = f->dgram;
		d[i].len = len;
	}
	peer4(&d[0].from, "192.0.2.1", 2055);		/* allowed */
	peer4(&d[1].from, "198.51.100.7", 2055);	/* refused */
	peer4mapped(&d[2].from, "192.0.2.2", 2055);	/* allowed, mapped */
	peer4mapped(&d[3].from, "198.51.100.7", 2056);	/* refused */
	assert_int_equal(collect_batch(f->c, d, 4, NOW_MS), 0);

	out = output(f);
	assert_int_equal(count_lines(out), 4);		/* 2 x 2 records */
	assert_non_null(strstr(out, "\"exporter\":\"192.0.2.2\""));
	assert_null(strstr(out, "198.51.100.7"));
	free(out);

	rep = report(f);
	assert_non_null(strstr(rep, "tc: denied=198.51.100.7 datagrams=2\n"));
	assert_non_null(strstr(rep, "tc: exporter=192.0.2.1:2055 version=5 "
				    "domain=0 datagrams=1 records=2 "));
	assert_non_null(strstr(rep, "tc: total exporters=2 datagrams=2 "
				    "records=4 "));
	assert_non_null(strstr(rep, " denied=2 truncated=0\n"));
	assert_null(strstr(rep, "err_"));
	free(rep);
}

static void test_bad_datagrams(void **state)
{
	struct fixture *f = *state;
	struct listen_dgram d[5];
	size_t len = make_v5(f->dgram, 0, 0);
	struct collect_counters cnt;
	char *out, *rep;

	memset(d, 0, sizeof(d));
	for (int i = 0; i < 5; i++)
		peer4(&d[i].from, "192.0.2.1", 2055);
	d[0].data = f->dgram;			/* empty */
	d[0].len = 0;
	d[1].data = f->dgram;			/* truncated: dropped */
	d[1].len = len;
	d[1].truncated = true;
	d[2].data = f->dgram;			/* cut inside a record */
	d[2].len = len - 10;
	d[3].data = f->dgram;			/* one byte */
	d[3].len = 1;
	d[4].data = f->dgram;			/* good, after all that */
	d[4].len = len;
	assert_int_equal(collect_batch(f->c, d, 5, NOW_MS), 0);

	out = output(f);
	assert_int_equal(count_lines(out), 2);
	free(out);
	collect_counters(f->c, &cnt);
	assert_int_equal(cnt.truncated, 1);
	assert_int_equal(cnt.denied, 0);
	rep = report(f);
	assert_non_null(strstr(rep, "err_short=2"));
	assert_non_null(strstr(rep, "err_bad_length=1"));
	assert_non_null(strstr(rep, " truncated=1\n"));
	free(rep);
}

static void test_scale_output(void **state)
{
	struct fixture *f = *state;
	struct listen_dgram d;
	char *out;

	memset(&d, 0, sizeof(d));
	peer4(&d.from, "203.0.113.5", 2055);
	d.data = f->dgram;
	/* Mode 1 (deterministic), 1 in 10. */
	d.len = make_v5(f->dgram, 0, (uint16_t)(1 << 14 | 10));
	assert_int_equal(collect_batch(f->c, &d, 1, NOW_MS), 0);
	out = output(f);
	assert_non_null(strstr(out, "\"packets\":30,\"bytes\":3000,"));
	assert_non_null(strstr(out, "\"packets\":70,\"bytes\":7000,"));
	assert_non_null(strstr(out, "\"sampling_interval\":10"));
	free(out);
}

static void test_no_scale_output(void **state)
{
	struct fixture *f = *state;
	struct listen_dgram d;
	char *out;

	memset(&d, 0, sizeof(d));
	peer4(&d.from, "203.0.113.5", 2055);
	d.data = f->dgram;
	d.len = make_v5(f->dgram, 0, (uint16_t)(1 << 14 | 10));
	assert_int_equal(collect_batch(f->c, &d, 1, NOW_MS), 0);
	out = output(f);
	assert_non_null(strstr(out, "\"packets\":3,\"bytes\":300,"));
	assert_non_null(strstr(out, "\"sampling_interval\":10"));
	free(out);
}

/* Many records in one batch: more than the output buffer holds, every
 * line whole. */
static void test_big_batch(void **state)
{
	struct fixture *f = *state;
	struct listen_dgram d[LISTEN_BATCH];
	uint8_t *bufs = malloc((size_t)LISTEN_BATCH * sizeof(f->dgram));
	char *out, *p;
	size_t i, len = 0;

	assert_non_null(bufs);
	memset(d, 0, sizeof(d));
	for (int round = 0; round < 20; round++) {
		for (i = 0; i < LISTEN_BATCH; i++) {
			uint8_t *b = bufs + i * sizeof(f->dgram);

			len = make_v5(b, (uint32_t)((round * LISTEN_BATCH +
						     (int)i) * 2), 0);
			d[i].data = b;
			d[i].len = len;
			peer4(&d[i].from, "192.0.2.1", 2055);
		}
		assert_int_equal(collect_batch(f->c, d, LISTEN_BATCH, NOW_MS),
				 0);
	}
	out = output(f);
	assert_int_equal(count_lines(out), 20 * LISTEN_BATCH * 2);
	for (p = out; *p != '\0'; p = strchr(p, '\n') + 1)
		assert_int_equal(strncmp(p, "{\"exporter\":", 12), 0);
	free(out);
	free(bufs);
}

/* A closed output is an error, not a crash. */
static void test_output_error(void **state)
{
	struct collect_config cfg;
	struct collect_out *o;
	struct collect *c;
	struct listen_dgram d;
	uint8_t b[24 + 2 * 48];
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	o = collect_out_new(p[1]);
	assert_non_null(o);
	memset(&cfg, 0, sizeof(cfg));
	cfg.fmt = RECORD_FMT_CSV;
	dec_config_default(&cfg.dec);
	c = collect_new(&cfg, o);
	assert_non_null(c);
	memset(&d, 0, sizeof(d));
	peer4(&d.from, "192.0.2.1", 2055);
	d.data = b;
	d.len = make_v5(b, 0, 0);
	/* SIGPIPE is ignored by the program; here too. */
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(collect_batch(c, &d, 1, NOW_MS), -EPIPE);
	assert_int_equal(collect_out_write(o, "x", 1), -EPIPE);
	collect_free(c);
	collect_out_free(o);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scale_math),
		cmocka_unit_test_setup_teardown(test_allow, setup_allow,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_datagrams,
						setup_plain, teardown),
		cmocka_unit_test_setup_teardown(test_scale_output, setup_scale,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_scale_output,
						setup_plain, teardown),
		cmocka_unit_test_setup_teardown(test_big_batch, setup_plain,
						teardown),
		cmocka_unit_test(test_output_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
