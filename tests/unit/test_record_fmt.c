/* SPDX-License-Identifier: BSD-2-Clause */
/* record_fmt: the exact JSON and CSV lines of known records. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "record_fmt.h"

static struct tflow_record v4_record(void)
{
	struct tflow_record r;

	memset(&r, 0, sizeof(r));
	r.ip_version = 4;
	memcpy(r.src_addr, "\x0a\x00\x00\x01", 4);
	memcpy(r.dst_addr, "\xc0\xa8\x01\xfe", 4);
	r.src_port = 40000;
	r.dst_port = 443;
	r.proto = 6;
	r.tos = 0xb8;
	r.tcp_flags = 0x1b;
	r.packets = 12;
	r.octets = 18000000000ULL;	/* past 32 bits */
	r.first_ms = 1767225600123ULL;	/* 2026-01-01T00:00:00.123Z */
	r.last_ms = 1767225661009ULL;
	r.in_if = 3;
	r.end_reason = TFLOW_END_IDLE;
	return r;
}

static void test_json_v4(void **state)
{
	struct tflow_record r = v4_record();
	char buf[RECORD_FMT_MAX];
	size_t n;

	(void)state;
	n = record_fmt_line(RECORD_FMT_JSON, &r, buf, sizeof(buf));
	assert_string_equal(buf,
		"{\"exporter\":null,\"version\":0,\"ip_version\":4,"
		"\"src_addr\":\"10.0.0.1\",\"dst_addr\":\"192.168.1.254\","
		"\"src_port\":40000,\"dst_port\":443,\"proto\":6,\"tos\":184,"
		"\"tcp_flags\":27,\"packets\":12,\"bytes\":18000000000,"
		"\"first\":\"2026-01-01T00:00:00.123Z\","
		"\"last\":\"2026-01-01T00:01:01.009Z\",\"in_if\":3,"
		"\"out_if\":0,\"next_hop\":\"0.0.0.0\",\"src_mask\":0,"
		"\"dst_mask\":0,\"end_reason\":\"idle\"}\n");
	assert_int_equal(n, strlen(buf));
}

static void test_json_v6_sampled_exporter(void **state)
{
	struct tflow_record r = v4_record();
	char buf[RECORD_FMT_MAX];

	(void)state;
	r.ip_version = 6;
	memcpy(r.src_addr, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	memcpy(r.dst_addr, "\xfe\x80\0\0\0\0\0\0\0\0\0\0\0\0\0\x02", 16);
	r.exporter_family = 4;
	memcpy(r.exporter_addr, "\xc0\x00\x02\x01", 4);
	r.version = 10;
	r.sampling_packets = 2;
	r.sampling_space = 1;
	r.time_estimated = true;
	r.end_reason = TFLOW_END_NONE;
	record_fmt_line(RECORD_FMT_JSON, &r, buf, sizeof(buf));
	assert_non_null(strstr(buf, "{\"exporter\":\"192.0.2.1\",\"version\":10,"));
	assert_non_null(strstr(buf, "\"src_addr\":\"2001:db8::1\",\"dst_addr\":\"fe80::2\""));
	assert_non_null(strstr(buf, "\"next_hop\":\"::\""));
	assert_non_null(strstr(buf, "\"sampling_interval\":1.5,\"time_estimated\":true}\n"));
	assert_null(strstr(buf, "end_reason"));
}

static void test_rates(void **state)
{
	static const struct {
		uint32_t packets, space;
		const char *want;
	} cases[] = {
		{ 1, 99, "\"sampling_interval\":100," },
		{ 2, 1, "\"sampling_interval\":1.5," },
		{ 3, 1, "\"sampling_interval\":1.333," },
		{ 4, 1, "\"sampling_interval\":1.25," },
	};
	struct tflow_record r = v4_record();
	char buf[RECORD_FMT_MAX];
	size_t i;

	(void)state;
	r.time_estimated = true;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r.sampling_packets = cases[i].packets;
		r.sampling_space = cases[i].space;
		record_fmt_line(RECORD_FMT_JSON, &r, buf, sizeof(buf));
		assert_non_null(strstr(buf, cases[i].want));
	}
}

static void test_csv(void **state)
{
	struct tflow_record r = v4_record();
	char hdr[512], buf[RECORD_FMT_MAX];
	size_t hn, i, commas_h = 0, commas_l = 0;

	(void)state;
	hn = record_fmt_header(RECORD_FMT_CSV, hdr, sizeof(hdr));
	assert_true(hn > 0);
	assert_int_equal(strncmp(hdr, "exporter,version,", 17), 0);
	record_fmt_line(RECORD_FMT_CSV, &r, buf, sizeof(buf));
	assert_string_equal(buf,
		",0,4,10.0.0.1,192.168.1.254,40000,443,6,184,27,12,18000000000,"
		"2026-01-01T00:00:00.123Z,2026-01-01T00:01:01.009Z,3,0,0.0.0.0,"
		"0,0,,false,idle\n");
	for (i = 0; hdr[i]; i++)
		commas_h += hdr[i] == ',';
	for (i = 0; buf[i]; i++)
		commas_l += buf[i] == ',';
	assert_int_equal(commas_h, commas_l);
}

static void test_text(void **state)
{
	struct tflow_record r = v4_record();
	char buf[RECORD_FMT_MAX];

	(void)state;
	r.proto = 1;
	r.dst_port = 8 << 8;	/* echo request */
	record_fmt_line(RECORD_FMT_TEXT, &r, buf, sizeof(buf));
	assert_non_null(strstr(buf, "ICMP "));
	assert_non_null(strstr(buf, "192.168.1.254:8.0"));
	r.proto = 6;
	record_fmt_line(RECORD_FMT_TEXT, &r, buf, sizeof(buf));
	assert_non_null(strstr(buf, "...AP.SF"));
}

/* A buffer of RECORD_FMT_MAX or more and a shorter one (which gets the
 * line copied, cut to fit) hold the same line for the same record. */
static void test_fast_and_checked_agree(void **state)
{
	static const uint8_t v6a[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
					 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	struct tflow_record r;
	char fast[RECORD_FMT_MAX], checked[RECORD_FMT_MAX];
	uint32_t x = 99;
	int i, k;

	(void)state;
	for (i = 0; i < 2000; i++) {
		r = v4_record();
		for (k = 0; k < 16; k++) {
			x = x * 1103515245u + 12345u;
			r.src_addr[k] = (uint8_t)(x >> 16);
			r.dst_addr[k] = (uint8_t)(x >> 8);
		}
		r.ip_version = (i % 3 == 0) ? 6 : 4;
		if (r.ip_version == 4) {
			memset(r.src_addr + 4, 0, 12);
			memset(r.dst_addr + 4, 0, 12);
		} else if (i % 7 == 0) {
			memcpy(r.src_addr, v6a, 16);
		}
		r.packets = (uint64_t)x << (i % 40);
		r.octets = i % 5 == 0 ? UINT64_MAX : (uint64_t)x * (uint64_t)i;
		r.first_ms = 1767225600000ULL + (uint64_t)i * 997;
		r.last_ms = r.first_ms + (x % 100000);
		r.src_port = (uint16_t)x;
		r.dst_port = (uint16_t)(x >> 7);
		r.end_reason = (uint8_t)(i % 8);
		r.exporter_family = (uint8_t)((i % 4 == 1) ? 4 : (i % 4 == 2) ? 6 : 0);
		r.version = (uint16_t)(i % 11);
		r.sampling_packets = (uint32_t)(i % 3);
		r.sampling_space = (uint32_t)(i % 17);
		r.time_estimated = i % 2;
		record_fmt_line(RECORD_FMT_JSON, &r, fast, sizeof(fast));
		record_fmt_line(RECORD_FMT_JSON, &r, checked, sizeof(checked) - 1);
		assert_string_equal(fast, checked);
	}
}

static void test_names(void **state)
{
	enum record_fmt f;

	(void)state;
	assert_int_equal(record_fmt_from_name("json", &f), 0);
	assert_int_equal(f, RECORD_FMT_JSON);
	assert_int_not_equal(record_fmt_from_name("xml", &f), 0);
	assert_string_equal(record_end_reason_name(TFLOW_END_RESOURCES), "resources");
	assert_string_equal(record_end_reason_name(99), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_v4),
		cmocka_unit_test(test_json_v6_sampled_exporter),
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_fast_and_checked_agree),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
