/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dec against real exporters: every file of ../shared/testdata/vendor-exports
 * (beside the source tree, found through $TFLOW_SRCDIR) goes through the
 * decoder, templates first, from one exporter source.  Expected counts and
 * values were read off `tshark -d udp.port==2055,cflow -V` on the same
 * bytes wrapped in UDP (by hand, once; tshark does not run here).  Times
 * are tshark's header time minus (sysUptime - flow uptime), or its
 * absolute times.  Skipped when the directory is missing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dec.h"

#define NOW_MS		1700000000000ULL	/* 2023-11-14 */
#define MAX_RECS	256

struct sink {
	size_t n;
	struct tflow_record r[MAX_RECS];
};

static void collect(void *arg, const struct tflow_record *rec)
{
	struct sink *s = arg;

	if (s->n < MAX_RECS)
		s->r[s->n] = *rec;
	s->n++;
}

static char dir[4096];

static int find_dir(void)
{
	const char *src = getenv("TFLOW_SRCDIR");
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/../shared/testdata/vendor-exports",
		 src != NULL ? src : ".");
	d = opendir(dir);
	if (d == NULL)
		return -1;
	closedir(d);
	return 0;
}

#define NEED_DIR() do {							\
	if (find_dir() != 0) {						\
		print_message("vendor-exports not found at %s: skipped\n", dir); \
		skip();							\
	}								\
} while (0)

static uint8_t *load(const char *name, size_t *len)
{
	char path[4200];
	uint8_t *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static const struct dec_source exporter = {
	.addr = { 192, 0, 2, 1 }, .port = 40000, .family = 4,
};

/* Feed one file, split into datagrams as its exporter sent them (a file
 * may hold several: v1/v5 sized by count, IPFIX by length, v9 whole).
 * Returns the result of the last datagram; *ndgram how many. */
static enum dec_err feed(struct dec_ctx *ctx, const char *name,
			 struct sink *s, int *ndgram)
{
	enum dec_err r = DEC_OK;
	size_t len, off = 0, n;
	uint8_t *buf = load(name, &len);

	*ndgram = 0;
	while (off + 4 <= len) {
		uint16_t v = (uint16_t)(buf[off] << 8 | buf[off + 1]);
		uint16_t w = (uint16_t)(buf[off + 2] << 8 | buf[off + 3]);

		n = len - off;
		if (v == 1 && 16 + (size_t)w * 48 <= n)
			n = 16 + (size_t)w * 48;
		else if (v == 5 && 24 + (size_t)w * 48 <= n)
			n = 24 + (size_t)w * 48;
		else if (v == 10 && w >= 16 && w <= n)
			n = w;
		r = dec_datagram(ctx, &exporter, buf + off, n, NOW_MS,
				 collect, s);
		(*ndgram)++;
		off += n;
	}
	free(buf);
	return r;
}

static void addr4(const uint8_t a[16], const char *want)
{
	uint8_t w[16] = { 0 };

	assert_int_equal(inet_pton(AF_INET, want, w), 1);
	assert_memory_equal(a, w, 16);
}

static void addr6(const uint8_t a[16], const char *want)
{
	uint8_t w[16];

	assert_int_equal(inet_pton(AF_INET6, want, w), 1);
	assert_memory_equal(a, w, 16);
}

static struct dec_stats stats(struct dec_ctx *ctx, uint16_t v, uint32_t dom)
{
	struct dec_stats st;

	assert_int_equal(dec_exporter_stats(ctx, &exporter, v, dom, &st), 0);
	return st;
}

/* Every file: what it yields fed after the files it needs. */
static const struct vendor_case {
	const char *file;
	const char *pre[2];		/* templates first */
	size_t records;
	enum dec_err result;
} cases[] = {
	{ "ipfix_test_mikrotik_tpl.dat", { 0 }, 0, DEC_OK },
	{ "ipfix_test_mikrotik_data258.dat", { "ipfix_test_mikrotik_tpl.dat" }, 28, DEC_OK },
	{ "ipfix_test_mikrotik_data259.dat", { "ipfix_test_mikrotik_tpl.dat" }, 18, DEC_OK },
	{ "ipfix_test_openbsd_pflow_tpl.dat", { 0 }, 0, DEC_OK },
	{ "ipfix_test_openbsd_pflow_data.dat", { "ipfix_test_openbsd_pflow_tpl.dat" }, 26, DEC_OK },
	{ "ipfix_test_yaf_tpls_option_tpl.dat", { 0 }, 0, DEC_OK },
	{ "ipfix_test_yaf_tpl45841.dat", { 0 }, 0, DEC_OK },
	{ "ipfix_test_yaf_data45841.dat", { "ipfix_test_yaf_tpl45841.dat" }, 1, DEC_OK },
	{ "ipfix_test_yaf_data45873.dat", { "ipfix_test_yaf_tpls_option_tpl.dat" }, 1, DEC_OK },
	{ "ipfix_test_yaf_data53248.dat", { "ipfix_test_yaf_tpls_option_tpl.dat" }, 0, DEC_OK },
	{ "netflow5.dat", { 0 }, 30, DEC_OK },
	{ "netflow5_test_invalid01.dat", { 0 }, 0, DEC_ERR_COUNT },
	{ "netflow5_test_invalid02.dat", { 0 }, 0, DEC_ERR_COUNT },
	{ "netflow5_test_microtik.dat", { 0 }, 30, DEC_OK },
	{ "netflow9_test_0length_fields_tpl_data.dat", { 0 }, 10, DEC_OK },
	{ "netflow9_test_cisco_asa_1_tpl.dat", { 0 }, 0, DEC_OK },
	{ "netflow9_test_cisco_asa_1_data.dat", { "netflow9_test_cisco_asa_1_tpl.dat" }, 14, DEC_OK },
	{ "netflow9_test_h3c_netstream_varstring_tpl3281.dat", { 0 }, 0, DEC_OK },
	{ "netflow9_test_h3c_netstream_varstring_data3281.dat", { "netflow9_test_h3c_netstream_varstring_tpl3281.dat" }, 1, DEC_OK },
	{ "netflow9_test_invalid01.dat", { 0 }, 2, DEC_OK },
	{ "netflow9_test_iptnetflow_reduced_size_encoding_tpldata260.dat", { 0 }, 12, DEC_OK },
	{ "netflow9_test_nprobe_tpl.dat", { 0 }, 0, DEC_OK },
	{ "netflow9_test_nprobe_data.dat", { "netflow9_test_nprobe_tpl.dat" }, 1, DEC_OK },
	{ "netflow9_test_nprobe_dpi.dat", { 0 }, 1, DEC_OK },
	{ "netflow9_test_softflowd_tpl_data.dat", { 0 }, 7, DEC_OK },
	{ "netflow9_test_ubnt_edgerouter_tpl.dat", { 0 }, 0, DEC_OK },
	{ "netflow9_test_ubnt_edgerouter_data1024.dat", { "netflow9_test_ubnt_edgerouter_tpl.dat" }, 8, DEC_OK },
	{ "netflow9_test_ubnt_edgerouter_data1025.dat", { "netflow9_test_ubnt_edgerouter_tpl.dat" }, 8, DEC_OK },
	{ "netflow9_test_valid01.dat", { 0 }, 7, DEC_OK },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* Run one case in a fresh context; records of the file itself in *s. */
static struct dec_ctx *run_case(const struct vendor_case *c, struct sink *s,
				enum dec_err *r)
{
	struct dec_ctx *ctx = dec_new(NULL);
	struct sink pre;
	int i, nd;

	assert_non_null(ctx);
	for (i = 0; i < 2 && c->pre[i] != NULL; i++) {
		pre.n = 0;
		assert_int_equal(feed(ctx, c->pre[i], &pre, &nd), DEC_OK);
		assert_int_equal(pre.n, 0);
	}
	s->n = 0;
	*r = feed(ctx, c->file, s, &nd);
	return ctx;
}

/* Every file in the directory has a case, and every case holds. */
static void test_every_file(void **state)
{
	struct dirent *de;
	size_t i, seen = 0;
	DIR *d;

	(void)state;
	NEED_DIR();
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);

		if (l < 4 || strcmp(de->d_name + l - 4, ".dat") != 0)
			continue;
		for (i = 0; i < NCASES; i++)
			if (strcmp(cases[i].file, de->d_name) == 0)
				break;
		if (i == NCASES)
			fail_msg("no expectation for %s", de->d_name);
		seen++;
	}
	closedir(d);
	assert_int_equal(seen, NCASES);

	for (i = 0; i < NCASES; i++) {
		struct sink *s = calloc(1, sizeof(*s));
		struct dec_stats tot;
		struct dec_ctx *ctx;
		enum dec_err r;
		size_t k;

		assert_non_null(s);
		ctx = run_case(&cases[i], s, &r);
		print_message("%-62s records %3zu  result %s\n", cases[i].file,
			      s->n, dec_err_name(r));
		if (s->n != cases[i].records || r != cases[i].result)
			fail_msg("%s: %zu records (want %zu), %s (want %s)",
				 cases[i].file, s->n, cases[i].records,
				 dec_err_name(r), dec_err_name(cases[i].result));
		/* No record is ever 1970, zero or reversed. */
		for (k = 0; k < s->n && k < MAX_RECS; k++) {
			assert_true(s->r[k].first_ms >= 946684800000ULL);
			assert_true(s->r[k].first_ms <= s->r[k].last_ms);
			assert_true(s->r[k].ip_version == 4 ||
				    s->r[k].ip_version == 6);
		}
		dec_total(ctx, &tot);
		assert_int_equal(tot.records, s->n);
		if (r != DEC_OK)
			assert_int_equal(tot.errors[r], 1);
		dec_free(ctx);
		free(s);
	}
}

static struct dec_ctx *run_file(const char *file, struct sink *s)
{
	size_t i;
	enum dec_err r;

	for (i = 0; i < NCASES; i++)
		if (strcmp(cases[i].file, file) == 0)
			break;
	assert_true(i < NCASES);
	return run_case(&cases[i], s, &r);
}

static void test_v5(void **state)
{
	struct sink *s = calloc(1, sizeof(*s));
	struct dec_ctx *ctx;
	struct dec_stats st;

	(void)state;
	NEED_DIR();
	assert_non_null(s);
	ctx = run_file("netflow5.dat", s);
	st = stats(ctx, 5, 0);
	assert_int_equal(st.datagrams, 12);
	assert_int_equal(st.lost_records, 0);
	assert_int_equal(st.restarts, 0);
	/* First record: first_switched 0xffffffff with sysUptime 3381 is
	 * one ms before the uptime counter's zero, wrapped: 3382 ms ago. */
	addr4(s->r[0].src_addr, "10.0.2.2");
	addr4(s->r[0].dst_addr, "10.0.2.15");
	assert_int_equal(s->r[0].src_port, 54435);
	assert_int_equal(s->r[0].dst_port, 22);
	assert_int_equal(s->r[0].proto, 6);
	assert_int_equal(s->r[0].tcp_flags, 0x10);
	assert_int_equal(s->r[0].packets, 5);
	assert_int_equal(s->r[0].octets, 230);
	assert_int_equal(s->r[0].first_ms, 1430591884898ULL);
	assert_int_equal(s->r[0].last_ms, 1430591887476ULL);
	assert_false(s->r[0].time_estimated);
	assert_int_equal(s->r[0].version, 5);
	assert_int_equal(s->r[0].sampling_packets, 0);
	/* Last record of the last datagram. */
	assert_int_equal(s->n, 30);
	addr4(s->r[29].src_addr, "10.0.2.15");
	assert_int_equal(s->r[29].src_port, 22);
	assert_int_equal(s->r[29].dst_port, 54435);
	assert_int_equal(s->r[29].packets, 7);
	assert_int_equal(s->r[29].octets, 580);
	assert_int_equal(s->r[29].first_ms, 1430591946812ULL);
	assert_int_equal(s->r[29].last_ms, 1430591948088ULL);
	dec_free(ctx);

	ctx = run_file("netflow5_test_microtik.dat", s);
	addr4(s->r[0].src_addr, "10.0.13.1");
	addr4(s->r[0].dst_addr, "192.168.0.98");
	addr4(s->r[0].next_hop, "192.168.0.98");
	assert_int_equal(s->r[0].in_if, 13);
	assert_int_equal(s->r[0].out_if, 50);
	assert_int_equal(s->r[0].packets, 2);
	assert_int_equal(s->r[0].octets, 104);
	assert_int_equal(s->r[0].src_port, 5228);
	assert_int_equal(s->r[0].dst_port, 52734);
	/* 1469109117 s + 514932000 ns - (27361640 - 27346270) ms */
	assert_int_equal(s->r[0].first_ms, 1469109102144ULL);
	assert_int_equal(s->r[0].last_ms, 1469109102144ULL);
	addr4(s->r[1].src_addr, "10.0.9.1");
	assert_int_equal(s->r[1].packets, 4);
	assert_int_equal(s->r[1].octets, 181);
	dec_free(ctx);

	/* count 0xd91e / 0xa3: counted, no record, no exporter damage. */
	ctx = run_file("netflow5_test_invalid01.dat", s);
	assert_int_equal(s->n, 0);
	dec_free(ctx);
	free(s);
}

static void test_v9_softflowd(void **state)
{
	struct sink *s = calloc(1, sizeof(*s));
	struct dec_ctx *ctx;
	struct dec_stats st;

	(void)state;
	NEED_DIR();
	assert_non_null(s);
	ctx = run_file("netflow9_test_softflowd_tpl_data.dat", s);
	st = stats(ctx, 9, 0);
	assert_int_equal(st.templates, 2);
	assert_int_equal(st.errors[DEC_ERR_COUNT_MISMATCH], 0);
	addr4(s->r[0].src_addr, "172.16.32.100");
	addr4(s->r[0].dst_addr, "172.16.32.248");
	assert_int_equal(s->r[0].proto, 17);
	assert_int_equal(s->r[0].src_port, 123);
	assert_int_equal(s->r[0].octets, 76);
	assert_int_equal(s->r[0].packets, 1);
	assert_int_equal(s->r[0].first_ms, 1444331026140ULL);
	assert_int_equal(s->r[0].last_ms, 1444331026141ULL);
	assert_int_equal(s->r[6].ip_version, 6);
	addr6(s->r[6].src_addr, "fe80::20c:29ff:fe83:3b6e");
	addr6(s->r[6].dst_addr, "ff02::1");
	assert_int_equal(s->r[6].proto, 58);
	assert_int_equal(s->r[6].dst_port, 34304);
	assert_int_equal(s->r[6].packets, 7);
	assert_int_equal(s->r[6].octets, 672);
	assert_int_equal(s->r[6].first_ms, 1444331027819ULL);
	assert_int_equal(s->r[6].last_ms, 1444331065900ULL);
	dec_free(ctx);
	free(s);
}

static void test_v9_zero_length_fields(void **state)
{
	struct sink *s = calloc(1, sizeof(*s));
	struct dec_ctx *ctx;
	struct dec_stats st;

	(void)state;
	NEED_DIR();
	assert_non_null(s);
	ctx = run_file("netflow9_test_0length_fields_tpl_data.dat", s);
	st = stats(ctx, 9, 0);
	assert_int_equal(st.templates, 2);
	/* Header count 2 for 2 templates + 10 records: counted, decoded. */
	assert_int_equal(st.errors[DEC_ERR_COUNT_MISMATCH], 1);
	addr4(s->r[0].src_addr, "239.255.255.250");
	addr4(s->r[0].dst_addr, "192.168.1.80");
	assert_int_equal(s->r[0].in_if, 3);
	assert_int_equal(s->r[0].out_if, 2);
	assert_int_equal(s->r[0].proto, 2);
	assert_int_equal(s->r[0].src_mask, 32);
	assert_int_equal(s->r[0].packets, 0);
	assert_int_equal(s->r[0].first_ms, 1482456888299ULL);
	addr4(s->r[3].src_addr, "192.168.1.95");
	assert_int_equal(s->r[3].packets, 1);
	assert_int_equal(s->r[3].octets, 32);
	addr4(s->r[9].src_addr, "192.168.1.33");
	assert_int_equal(s->r[9].first_ms, 1482456931000ULL - (4175241 - 4135810));
	dec_free(ctx);
	free(s);
}

static void test_v9_invalid01(void **state)
{
	struct sink *s = calloc(1, sizeof(*s));
	struct dec_ctx *ctx;
	struct dec_stats st;

	(void)state;
	NEED_DIR();
	assert_non_null(s);
	/* Header count 2, but an options template, its data (sampling
	 * interval 100) and two records follow; tshark stops at the
	 * count, and decodes them with the count patched to 6. */
	ctx = run_file("netflow9_test_invalid01.dat", s);
	st = stats(ctx, 9, 0);
	assert_int_equal(st.templates, 2);
	assert_int_equal(st.options_templates, 1);
	assert_int_equal(st.options_records, 1);
	assert_int_equal(st.errors[DEC_ERR_COUNT_MISMATCH], 1);
	assert_int_equal(s->r[0].ip_version, 6);
	addr6(s->r[0].src_addr, "2001:44b8:1118:7200::10");
	addr6(s->r[0].dst_addr, "2001:44b8:4030:cd91:8075:bae:d39d:2621");
	assert_int_equal(s->r[0].octets, 96);
	assert_int_equal(s->r[0].first_ms, 1440543856102ULL);
	assert_int_equal(s->r[0].sampling_packets, 1);
	assert_int_equal(s->r[0].sampling_space, 99);
	addr4(s->r[1].src_addr, "192.168.0.1");
	addr4(s->r[1].dst_addr, "192.168.0.105");
	assert_int_equal(s->r[1].src_port, 53);
	assert_int_equal(s->r[1].dst_port, 55575);
	assert_int_equal(s->r[1].octets, 98);
	assert_int_equal(s->r[1].first_ms, 1440543889578ULL);
	assert_int_equal(s->r[1].sampling_space, 99);
	dec_free(ctx);
	free(s);
}

static void test_v9_h3c_varlen(void **state)
{
	struct sink *s = calloc(1, sizeof(*s));
	struct dec_ctx *ctx;

	(void)state;
	NEED_DIR();
	assert_non_null(s);
	ctx = run_file("netflow9_test_h3c_netstream_varstring_data3281.dat", s);
	assert_int_equal(s->n, 1);
	assert_int_equal(s->r[0].packets, 9);
	assert_int_equal(s->r[0].octets, 702);
	assert_int_equal(s->r[0].in_if, 17);
	addr4(s->r[0].src_addr, "20.20.20.20");
	addr4(s->r[0].dst_addr, "20.20.255.255");
	assert_int_equal(s->r[0].src_port, 137);
	assert_int_equal(s->r[0].proto, 17);
	assert_int_equal(s->r[0].dst_mask, 32);
	assert_int_equal(s->r[0].first_ms, 1531877673274ULL);
	assert_int_equal(s->r[0].last_ms, 1531877702969ULL);
	assert_int_equal(s->r[0].sampling_packets, 0);	/* interval 0 */
	dec_free(ctx);
	free(s);
}

static void test_v9_iptnetflow_reduced(void **state)
{
	struct sink *s = calloc(1, sizeof(*s));
	struct dec_ctx *ctx;
	struct dec_stats st;
	static const uint8_t dmac[6] = { 0x00, 0x1b, 0x21, 0xbc, 0x24, 0xdd };
	static const uint8_t smac[6] = { 0x90, 0xe2, 0xba, 0x23, 0x09, 0xfc };

	(void)state;
	NEED_DIR();
	assert_non_null(s);
	ctx = run_file("netflow9_test_iptnetflow_reduced_size_encoding_tpldata260.dat", s);
	addr4(s->r[0].src_addr, "37.122.1.226");
	addr4(s->r[0].dst_addr, "193.151.198.166");
	addr4(s->r[0].next_hop, "193.151.192.17");
	assert_int_equal(s->r[0].src_port, 27622);
	assert_int_equal(s->r[0].dst_port, 36025);
	assert_int_equal(s->r[0].tcp_flags, 0x02);
	assert_int_equal(s->r[0].in_if, 7);		/* 2-byte ifindex */
	assert_int_equal(s->r[0].packets, 3);		/* 4-byte counter */
	assert_int_equal(s->r[0].octets, 156);
	assert_memory_equal(s->r[0].dst_mac, dmac, 6);
	assert_memory_equal(s->r[0].src_mac, smac, 6);
	assert_int_equal(s->r[0].first_ms, 1518932805000ULL);
	assert_int_equal(s->r[0].last_ms, 1518932813996ULL);
	addr4(s->r[11].src_addr, "2.17.140.47");
	assert_int_equal(s->r[11].octets, 187);
	/* Six sets for templates 259 and 262, never sent: held, then
	 * counted when their time is up. */
	st = stats(ctx, 9, 0);
	assert_int_equal(st.held_sets, 6);
	assert_int_equal(st.errors[DEC_ERR_NO_TEMPLATE], 0);
	dec_expire(ctx, NOW_MS + 60000);
	st = stats(ctx, 9, 0);
	assert_int_equal(st.errors[DEC_ERR_NO_TEMPLATE], 6);
	dec_free(ctx);
	free(s);
}

static void test_v9_nprobe(void **state)
{
	struct sink *s = calloc(1, sizeof(*s));
	struct dec_ctx *ctx;
	struct dec_stats st;

	(void)state;
	NEED_DIR();
	assert_non_null(s);
	ctx = run_file("netflow9_test_nprobe_data.dat", s);
	st = stats(ctx, 9, 147);
	assert_int_equal(st.options_records, 1);
	addr4(s->r[0].src_addr, "172.16.32.201");
	addr4(s->r[0].dst_addr, "172.16.32.1");
	assert_int_equal(s->r[0].src_port, 22);
	assert_int_equal(s->r[0].dst_port, 65058);
	assert_int_equal(s->r[0].tos, 0x10);
	assert_int_equal(s->r[0].tcp_flags, 0x18);
	assert_int_equal(s->r[0].octets, 200);
	assert_int_equal(s->r[0].exporter_domain, 147);
	/* first_switched 0: the exporter's boot, 33.99 s before export. */
	assert_int_equal(s->r[0].first_ms, 1444331155010ULL);
	assert_int_equal(s->r[0].last_ms, 1444331155015ULL);
	dec_free(ctx);

	/* Header time 502 s (1970) and flow times after the header's
	 * uptime: receive time, marked estimated. */
	ctx = run_file("netflow9_test_nprobe_dpi.dat", s);
	assert_int_equal(s->r[0].octets, 82);
	assert_int_equal(s->r[0].first_ms, NOW_MS);
	assert_int_equal(s->r[0].last_ms, NOW_MS);
	assert_true(s->r[0].time_estimated);
	dec_free(ctx);
	free(s);
}

static void test_v9_ubnt(void **state)
{
	struct sink *s = calloc(1, sizeof(*s));
	struct dec_ctx *ctx;
	struct dec_stats st;
	struct sink *s2 = calloc(1, sizeof(*s2));
	static const uint8_t pmac[6] = { 0x44, 0xd9, 0xe7, 0xbe, 0xef, 0x22 };
	int nd;

	(void)state;
	NEED_DIR();
	assert_non_null(s);
	assert_non_null(s2);
	ctx = run_file("netflow9_test_ubnt_edgerouter_data1024.dat", s);
	addr4(s->r[0].src_addr, "10.1.0.135");
	addr4(s->r[0].dst_addr, "10.4.0.251");
	assert_int_equal(s->r[0].src_port, 53);
	assert_int_equal(s->r[0].octets, 174);
	assert_int_equal(s->r[0].packets, 2);
	assert_int_equal(s->r[0].in_if, 4);
	assert_int_equal(s->r[0].first_ms, 1473524245825ULL);
	assert_int_equal(s->r[4].packets, 21);
	assert_int_equal(s->r[4].tcp_flags, 0x1f);
	/* Sequence 31663 (templates) then 31826: 162 datagrams lost; the
	 * uptime went back with the boot time unchanged: no restart. */
	st = stats(ctx, 9, 0);
	assert_int_equal(st.lost_datagrams, 162);
	assert_int_equal(st.restarts, 0);
	assert_int_equal(feed(ctx, "netflow9_test_ubnt_edgerouter_data1025.dat",
			      s2, &nd), DEC_OK);
	assert_int_equal(s2->n, 8);
	st = stats(ctx, 9, 0);
	assert_int_equal(st.seq_late, 1);		/* 31664 */
	assert_int_equal(st.lost_datagrams, 162);
	addr4(s2->r[0].src_addr, "192.168.1.98");
	assert_int_equal(s2->r[0].dst_port, 443);
	assert_int_equal(s2->r[0].out_if, 4);
	assert_memory_equal(s2->r[0].src_mac, pmac, 6);	/* post source MAC */
	assert_int_equal(s2->r[0].first_ms, 1473521018835ULL);
	assert_int_equal(s2->r[0].last_ms, 1473521018951ULL);
	dec_free(ctx);
	free(s2);
	free(s);
}

static void test_v9_asa(void **state)
{
	struct sink *s = calloc(1, sizeof(*s));
	struct dec_ctx *ctx;
	struct dec_stats st;

	(void)state;
	NEED_DIR();
	assert_non_null(s);
	ctx = run_file("netflow9_test_cisco_asa_1_data.dat", s);
	st = stats(ctx, 9, 0);
	assert_int_equal(st.templates, 13);
	addr4(s->r[0].src_addr, "192.168.14.1");
	addr4(s->r[0].dst_addr, "2.2.2.11");
	assert_int_equal(s->r[0].proto, 1);
	/* ICMP echo reply: type 0 code 0 in dst_port, as record.h says
	 * (tshark shows the raw L4 field, 17549, which is the ICMP id). */
	assert_int_equal(s->r[0].dst_port, 0);
	assert_int_equal(s->r[0].in_if, 3);
	assert_int_equal(s->r[0].out_if, 2);
	assert_int_equal(s->r[0].octets, 56);		/* octetTotalCount */
	assert_int_equal(s->r[0].first_ms, 1444384067569ULL);
	/* Start only: the end is the export time, estimated. */
	assert_int_equal(s->r[0].last_ms, 1444384071000ULL);
	assert_true(s->r[0].time_estimated);
	addr4(s->r[1].src_addr, "192.168.23.22");
	assert_int_equal(s->r[1].dst_port, 8 << 8);	/* echo request */
	assert_int_equal(s->r[1].first_ms, 1444384068169ULL);
	dec_free(ctx);
	free(s);
}

static void test_ipfix_mikrotik(void **state)
{
	struct sink *s = calloc(1, sizeof(*s));
	struct dec_ctx *ctx;
	struct dec_stats st;
	int nd;

	(void)state;
	NEED_DIR();
	assert_non_null(s);
	ctx = run_file("ipfix_test_mikrotik_data258.dat", s);
	addr4(s->r[0].src_addr, "10.10.8.197");
	addr4(s->r[0].dst_addr, "192.168.128.17");
	addr4(s->r[0].next_hop, "192.168.224.1");
	assert_int_equal(s->r[0].packets, 2);
	assert_int_equal(s->r[0].octets, 152);
	assert_int_equal(s->r[0].in_if, 13);
	assert_int_equal(s->r[0].out_if, 7);
	assert_int_equal(s->r[0].proto, 17);
	/* Uptime-relative without systemInitTime: estimated from the
	 * export time (1500481088 s), never after it, durations kept. */
	assert_true(s->r[0].time_estimated);
	assert_true(s->r[0].last_ms <= 1500481088000ULL);
	assert_true(s->r[0].last_ms > 1500481088000ULL - 60000);
	assert_int_equal(s->r[4].last_ms - s->r[4].first_ms,
			 2666794300ULL - 2666793230ULL);
	assert_int_equal(s->r[4].octets, 79724);
	assert_int_equal(s->r[4].packets, 57);
	/* Flow 2 ended 40 ms after flow 1: relative order survives. */
	assert_int_equal(s->r[1].last_ms - s->r[0].last_ms, 40);
	st = stats(ctx, 10, 0);
	assert_int_equal(st.lost_records, 3936 - 3891);
	s->n = 0;
	assert_int_equal(feed(ctx, "ipfix_test_mikrotik_data259.dat", s, &nd),
			 DEC_OK);
	assert_int_equal(s->n, 18);
	assert_int_equal(s->r[0].ip_version, 6);
	addr6(s->r[0].src_addr, "fe80::ff:fe00:401");
	addr6(s->r[0].next_hop, "ff02::1");
	assert_int_equal(s->r[0].octets, 555);
	assert_int_equal(s->r[0].out_if, 9);
	st = stats(ctx, 10, 0);
	assert_int_equal(st.lost_records, 45);		/* 3964 = 3936 + 28 */
	dec_free(ctx);
	free(s);
}

static void test_ipfix_pflow(void **state)
{
	struct sink *s = calloc(1, sizeof(*s));
	struct dec_ctx *ctx;

	(void)state;
	NEED_DIR();
	assert_non_null(s);
	ctx = run_file("ipfix_test_openbsd_pflow_data.dat", s);
	addr4(s->r[0].src_addr, "192.168.0.17");
	addr4(s->r[0].dst_addr, "192.168.0.1");
	assert_int_equal(s->r[0].src_port, 64020);
	assert_int_equal(s->r[0].dst_port, 80);
	assert_int_equal(s->r[0].packets, 7);
	assert_int_equal(s->r[0].octets, 373);
	assert_int_equal(s->r[0].in_if, 1);
	assert_int_equal(s->r[0].first_ms, 1469107799000ULL);
	assert_int_equal(s->r[0].last_ms, 1469107799000ULL);
	assert_false(s->r[0].time_estimated);
	assert_int_equal(s->r[0].exporter_domain, 42);
	assert_int_equal(s->r[1].octets, 6634);
	dec_free(ctx);
	free(s);
}

static void test_ipfix_yaf(void **state)
{
	struct sink *s = calloc(1, sizeof(*s));
	struct dec_ctx *ctx;
	struct dec_stats st;

	(void)state;
	NEED_DIR();
	assert_non_null(s);
	ctx = run_file("ipfix_test_yaf_data45841.dat", s);
	addr4(s->r[0].src_addr, "172.16.32.201");
	addr4(s->r[0].dst_addr, "172.16.32.100");
	assert_int_equal(s->r[0].src_port, 46086);
	assert_int_equal(s->r[0].dst_port, 53);
	assert_int_equal(s->r[0].octets, 132);		/* octetTotalCount */
	assert_int_equal(s->r[0].packets, 2);
	assert_int_equal(s->r[0].end_reason, 1);
	assert_int_equal(s->r[0].first_ms, 1482670715818ULL);
	assert_int_equal(s->r[0].last_ms, 1482670715819ULL);
	dec_free(ctx);

	ctx = run_file("ipfix_test_yaf_data45873.dat", s);
	addr4(s->r[0].src_addr, "172.16.32.100");
	addr4(s->r[0].dst_addr, "172.16.32.215");
	assert_int_equal(s->r[0].dst_port, 9997);
	assert_int_equal(s->r[0].octets, 172);
	assert_int_equal(s->r[0].packets, 4);
	assert_int_equal(s->r[0].tos, 0x02);
	assert_int_equal(s->r[0].end_reason, 3);
	assert_int_equal(s->r[0].first_ms, 1482670713345ULL);
	assert_int_equal(s->r[0].last_ms, 1482670714347ULL);
	st = stats(ctx, 10, 0);
	/* 13 template records: 45873 is defined twice (replaced). */
	assert_int_equal(st.templates, 13);
	assert_int_equal(st.options_templates, 1);
	assert_true(st.unknown_fields > 0);		/* CERT, reverse PEN */
	dec_free(ctx);

	ctx = run_file("ipfix_test_yaf_data53248.dat", s);
	st = stats(ctx, 10, 0);
	assert_int_equal(st.options_records, 1);	/* systemInitTime */
	dec_free(ctx);
	free(s);
}

/* Data before its template: held, then decoded by the template's
 * datagram, same exporter. */
static void test_data_then_template(void **state)
{
	struct sink *s = calloc(1, sizeof(*s));
	struct dec_ctx *ctx = dec_new(NULL);
	struct dec_stats st;
	int nd;

	(void)state;
	NEED_DIR();
	assert_non_null(s);
	assert_int_equal(feed(ctx, "netflow9_test_ubnt_edgerouter_data1024.dat",
			      s, &nd), DEC_OK);
	assert_int_equal(s->n, 0);
	assert_int_equal(feed(ctx, "netflow9_test_ubnt_edgerouter_tpl.dat",
			      s, &nd), DEC_OK);
	assert_int_equal(s->n, 8);
	addr4(s->r[0].src_addr, "10.1.0.135");
	/* Its own header's times, not the template datagram's. */
	assert_int_equal(s->r[0].first_ms, 1473524245825ULL);
	st = stats(ctx, 9, 0);
	assert_int_equal(st.held_sets, 1);
	assert_int_equal(st.errors[DEC_ERR_NO_TEMPLATE], 0);
	dec_free(ctx);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_file),
		cmocka_unit_test(test_v5),
		cmocka_unit_test(test_v9_softflowd),
		cmocka_unit_test(test_v9_zero_length_fields),
		cmocka_unit_test(test_v9_invalid01),
		cmocka_unit_test(test_v9_h3c_varlen),
		cmocka_unit_test(test_v9_iptnetflow_reduced),
		cmocka_unit_test(test_v9_nprobe),
		cmocka_unit_test(test_v9_ubnt),
		cmocka_unit_test(test_v9_asa),
		cmocka_unit_test(test_ipfix_mikrotik),
		cmocka_unit_test(test_ipfix_pflow),
		cmocka_unit_test(test_ipfix_yaf),
		cmocka_unit_test(test_data_then_template),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
