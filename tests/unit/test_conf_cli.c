/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_conf_cli: conf_apply_command(), the CLI side of the RouterOS
 * parser.  Each case runs a list of command lines from the defaults and
 * checks either the exported config afterwards (changes), the printed
 * text (print, export), or the error of the last line with its position,
 * and that a failing line left the config exactly as it was.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

#define MAX_LINES 6

struct cli_case {
	const char *name;
	const char *lines[MAX_LINES];	/* all but the last must succeed */
	int rc;			/* of the last line: 0, 1 or -EINVAL */
	const char *expect;	/* rc >= 0: its output, or the export after a
				 * change; rc < 0: the error message */
	unsigned line, col;	/* rc < 0 */
};

#define TF_DEFAULT \
	"/ip traffic-flow\n" \
	"set enabled=no interfaces=all cache-entries=4k active-flow-timeout=30m \\\n" \
	"    inactive-flow-timeout=15s packet-sampling=no sampling-interval=0 \\\n" \
	"    sampling-space=0\n"

static const struct cli_case cases[] = {
	/* --- the examples --- */
	{ "issue set",
	  { "ip traffic-flow set enabled=yes cache-entries=4k "
	    "active-flow-timeout=30m inactive-flow-timeout=15s interfaces=all" },
	  1,
	  "/ip traffic-flow\n"
	  "set enabled=yes interfaces=all cache-entries=4k active-flow-timeout=30m \\\n"
	  "    inactive-flow-timeout=15s packet-sampling=no sampling-interval=0 \\\n"
	  "    sampling-space=0\n", 0, 0 },
	{ "issue v6 address",
	  { "/ip traffic-flow target add address=192.168.88.10:9995 "
	    "disabled=no version=5" },
	  1,
	  TF_DEFAULT
	  "/ip traffic-flow target\n"
	  "add dst-address=192.168.88.10 port=9995 version=5\n", 0, 0 },
	{ "issue v9 target",
	  { "/ip traffic-flow target add dst-address=192.168.0.2 port=2055 "
	    "version=9 v9-template-refresh=20 v9-template-timeout=30m" },
	  1,
	  TF_DEFAULT
	  "/ip traffic-flow target\n"
	  "add dst-address=192.168.0.2 port=2055 version=9\n", 0, 0 },
	{ "issue v7 sampling",
	  { "/ip/traffic-flow/set packet-sampling=yes sampling-interval=2222 "
	    "sampling-space=1111" },
	  1,
	  "/ip traffic-flow\n"
	  "set enabled=no interfaces=all cache-entries=4k active-flow-timeout=30m \\\n"
	  "    inactive-flow-timeout=15s packet-sampling=yes sampling-interval=2222 \\\n"
	  "    sampling-space=1111\n", 0, 0 },
	/* --- items by row number --- */
	{ "set row",
	  { "/ip traffic-flow target add dst-address=192.0.2.1",
	    "/ip traffic-flow target add dst-address=192.0.2.2",
	    "/ip traffic-flow target set 1 port=9996 version=ipfix" },
	  1,
	  TF_DEFAULT
	  "/ip traffic-flow target\n"
	  "add dst-address=192.0.2.1 port=2055 version=9\n"
	  "add dst-address=192.0.2.2 port=9996 version=ipfix\n", 0, 0 },
	{ "set rows list and numbers=",
	  { "/ip traffic-flow target add dst-address=192.0.2.1",
	    "/ip traffic-flow target add dst-address=192.0.2.2",
	    "/ip traffic-flow target set numbers=0,1 v9-template-refresh=5" },
	  1,
	  TF_DEFAULT
	  "/ip traffic-flow target\n"
	  "add dst-address=192.0.2.1 port=2055 version=9 v9-template-refresh=5\n"
	  "add dst-address=192.0.2.2 port=2055 version=9 v9-template-refresh=5\n",
	  0, 0 },
	{ "remove keeps order",
	  { "/ip traffic-flow target add dst-address=192.0.2.1",
	    "/ip traffic-flow target add dst-address=192.0.2.2",
	    "/ip traffic-flow target add dst-address=192.0.2.3",
	    "/ip traffic-flow target remove 0,1" },
	  1,
	  TF_DEFAULT
	  "/ip traffic-flow target\n"
	  "add dst-address=192.0.2.3 port=2055 version=9\n", 0, 0 },
	{ "disable then enable",
	  { "/ip traffic-flow target add dst-address=192.0.2.1",
	    "/ip traffic-flow target add dst-address=192.0.2.2",
	    "/ip traffic-flow target disable 0,1",
	    "/ip traffic-flow target enable 1" },
	  1,
	  TF_DEFAULT
	  "/ip traffic-flow target\n"
	  "add dst-address=192.0.2.1 port=2055 version=9 disabled=yes\n"
	  "add dst-address=192.0.2.2 port=2055 version=9\n", 0, 0 },
	{ "several commands on one line",
	  { "/ip traffic-flow set enabled=yes; /ip traffic-flow ipfix set "
	    "nat-events=no" },
	  1,
	  "/ip traffic-flow\n"
	  "set enabled=yes interfaces=all cache-entries=4k active-flow-timeout=30m \\\n"
	  "    inactive-flow-timeout=15s packet-sampling=no sampling-interval=0 \\\n"
	  "    sampling-space=0\n"
	  "/ip traffic-flow ipfix\n"
	  "set nat-events=no\n", 0, 0 },
	/* --- printers --- */
	{ "print settings",
	  { "/ip traffic-flow set enabled=yes interfaces=eth0,eth1",
	    "/ip traffic-flow print" },
	  0,
	  "              enabled: yes\n"
	  "           interfaces: eth0,eth1\n"
	  "        cache-entries: 4k\n"
	  "  active-flow-timeout: 30m\n"
	  "inactive-flow-timeout: 15s\n"
	  "      packet-sampling: no\n"
	  "    sampling-interval: 0\n"
	  "       sampling-space: 0\n"
	  "              capture: afpacket\n"
	  "      capture-workers: auto\n"
	  "      count-direction: ingress-and-local\n", 0, 0 },
	{ "print target table",
	  { "/ip traffic-flow target add dst-address=192.168.0.2 port=2055",
	    "/ip traffic-flow target add address=[2001:db8::1]:9995 "
	    "version=ipfix disabled=yes src-address=2001:db8::2",
	    "/ip traffic-flow target print" },
	  0,
	  "Flags: X - disabled\n"
	  " #   DST-ADDRESS PORT VERSION SRC-ADDRESS\n"
	  " 0   192.168.0.2 2055 9       0.0.0.0\n"
	  " 1 X 2001:db8::1 9995 ipfix   2001:db8::2\n", 0, 0 },
	{ "print target detail",
	  { "/ip traffic-flow target add dst-address=192.168.0.2",
	    "/ip traffic-flow target add dst-address=192.0.2.9 disabled=yes "
	    "v9-template-timeout=1h30m",
	    "/ip traffic-flow target print detail" },
	  0,
	  "Flags: X - disabled\n"
	  " 0   dst-address=192.168.0.2 port=2055 version=9 src-address=0.0.0.0 "
	  "v9-template-refresh=20 v9-template-timeout=30m\n\n"
	  " 1 X dst-address=192.0.2.9 port=2055 version=9 src-address=0.0.0.0 "
	  "v9-template-refresh=20 v9-template-timeout=1h30m\n\n", 0, 0 },
	{ "abbreviated print det",
	  { "/ip traffic-flow target add dst-address=192.0.2.1 disabled=yes",
	    "/ip traffic-flow target pr det" },
	  0,
	  "Flags: X - disabled\n"
	  " 0 X dst-address=192.0.2.1 port=2055 version=9 src-address=0.0.0.0 "
	  "v9-template-refresh=20 v9-template-timeout=30m\n\n", 0, 0 },
	{ "print empty table",
	  { "/ip/traffic-flow/target/print" },
	  0,
	  "Flags: X - disabled\n"
	  " #   DST-ADDRESS PORT VERSION SRC-ADDRESS\n", 0, 0 },
	{ "print ipfix",
	  { "/ip traffic-flow ipfix set bytes=no", "/ip traffic-flow ipfix pr" },
	  0, NULL, 0, 0 },	/* checked by test_print_ipfix */
	{ "export at root",
	  { "/ip traffic-flow set enabled=yes", "/export" },
	  0,
	  "/ip traffic-flow\n"
	  "set enabled=yes interfaces=all cache-entries=4k active-flow-timeout=30m \\\n"
	  "    inactive-flow-timeout=15s packet-sampling=no sampling-interval=0 \\\n"
	  "    sampling-space=0\n", 0, 0 },
	{ "export in menu",
	  { "/ip traffic-flow export" }, 0, TF_DEFAULT, 0, 0 },
	/* --- errors: the last line fails, the config stays --- */
	{ "five octets",
	  { "/ip traffic-flow target add address=192.168.88.100.182:9995" },
	  -EINVAL, "invalid value for argument address", 1, 37 },
	{ "unknown property",
	  { "/ip traffic-flow set enabled=yes foo=bar" },
	  -EINVAL, "unknown parameter foo", 1, 34 },
	{ "bad time",
	  { "/ip traffic-flow set active-flow-timeout=30x" },
	  -EINVAL, "invalid value for argument active-flow-timeout", 1, 42 },
	{ "cache-entries 0",
	  { "/ip traffic-flow set cache-entries=0" },
	  -EINVAL, "invalid value for argument cache-entries", 1, 36 },
	{ "stray word",
	  { "/ip traffic-flow set enabled=yes x" },
	  -EINVAL, "expected end of command", 1, 34 },
	{ "no such item",
	  { "/ip traffic-flow target add dst-address=192.0.2.1",
	    "/ip traffic-flow target set 1 port=1" },
	  -EINVAL, "no such item", 1, 29 },
	{ "remove no such item",
	  { "/ip traffic-flow target remove 0" },
	  -EINVAL, "no such item", 1, 32 },
	{ "set without number",
	  { "/ip traffic-flow target add dst-address=192.0.2.1",
	    "/ip traffic-flow target set port=1" },
	  -EINVAL, "missing value(s) of argument(s) numbers", 1, 25 },
	{ "set bad value leaves the row",
	  { "/ip traffic-flow target add dst-address=192.0.2.1",
	    "/ip traffic-flow target set 0 port=2056 version=8" },
	  -EINVAL, "invalid value for argument version", 1, 49 },
	{ "remove without number",
	  { "/ip traffic-flow target remove" },
	  -EINVAL, "missing value(s) of argument(s) numbers", 1, 25 },
	{ "bad row list",
	  { "/ip traffic-flow target add dst-address=192.0.2.1",
	    "/ip traffic-flow target disable 0,x" },
	  -EINVAL, "invalid value for argument numbers", 1, 33 },
	{ "enable then junk",
	  { "/ip traffic-flow target add dst-address=192.0.2.1",
	    "/ip traffic-flow target enable 0 now" },
	  -EINVAL, "expected end of command", 1, 34 },
	{ "print junk",
	  { "/ip traffic-flow print foo" },
	  -EINVAL, "expected end of command", 1, 24 },
	{ "export junk",
	  { "/export all" }, -EINVAL, "expected end of command", 1, 9 },
	{ "add has no place in settings",
	  { "/ip traffic-flow add dst-address=192.0.2.1" },
	  -EINVAL, "bad command name add", 1, 18 },
	{ "ambiguous e",
	  { "/ip traffic-flow target e 0" },
	  -EINVAL, "ambiguous: enable, export", 1, 25 },
	{ "target set makes src family differ",
	  { "/ip traffic-flow target add dst-address=192.0.2.1 "
	    "src-address=192.0.2.254",
	    "/ip traffic-flow target set 0 dst-address=2001:db8::1" },
	  -EINVAL, "invalid value for argument dst-address", 1, 43 },
	{ "sampling checked as a whole",
	  { "/ip traffic-flow set packet-sampling=yes sampling-interval=10",
	    "/ip traffic-flow set sampling-interval=0" },
	  -EINVAL, "invalid value for argument sampling-interval", 1, 40 },
	{ "second command fails, first undone",
	  { "/ip traffic-flow set enabled=yes; /ip traffic-flow set "
	    "cache-entries=0" },
	  -EINVAL, "invalid value for argument cache-entries", 1, 70 },
	{ "path with a command stays at root",
	  { "/ip traffic-flow target add dst-address=192.0.2.1; "
	    "add dst-address=192.0.2.2" },
	  -EINVAL, "bad command name add", 1, 52 },
	{ "too many targets",
	  /* a path alone moves into the menu for the rest of the line */
	  { "/ip traffic-flow target; add dst-address=192.0.2.1; "
	    "add dst-address=192.0.2.1; add dst-address=192.0.2.1; "
	    "add dst-address=192.0.2.1; add dst-address=192.0.2.1; "
	    "add dst-address=192.0.2.1; add dst-address=192.0.2.1; "
	    "add dst-address=192.0.2.1",
	    "/ip traffic-flow target; add dst-address=192.0.2.1; "
	    "add dst-address=192.0.2.1; add dst-address=192.0.2.1; "
	    "add dst-address=192.0.2.1; add dst-address=192.0.2.1; "
	    "add dst-address=192.0.2.1; add dst-address=192.0.2.1; "
	    "add dst-address=192.0.2.1",
	    "/ip traffic-flow target add dst-address=192.0.2.1" },
	  -EINVAL, "too many targets (at most 16)", 1, 25 },
};

static char *export_str(const struct tflow_config *cfg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	conf_export(cfg, f);
	assert_int_equal(fclose(f), 0);
	return buf;
}

/* Run one line; its printed output comes back in *out (caller frees). */
static int apply(struct tflow_config *cfg, const char *line, char **out,
    struct conf_error *err)
{
	size_t len = 0;
	FILE *f;
	int rc;

	*out = NULL;
	f = open_memstream(out, &len);
	assert_non_null(f);
	rc = conf_apply_command(cfg, line, strlen(line), f, err);
	assert_int_equal(fclose(f), 0);
	return rc;
}

static void test_cases(void **state)
{
	const struct cli_case *c;
	struct tflow_config cfg, before;
	struct conf_error err;
	char *out, *exp;
	size_t i, j, n;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = &cases[i];
		print_message("case: %s\n", c->name);
		conf_init_defaults(&cfg);
		for (n = 0; n < MAX_LINES && c->lines[n] != NULL; n++)
			;
		for (j = 0; j + 1 < n; j++) {
			rc = apply(&cfg, c->lines[j], &out, &err);
			if (rc < 0)
				fail_msg("%s: line %zu: %s", c->name, j,
				    err.msg);
			free(out);
		}
		memcpy(&before, &cfg, sizeof(before));
		rc = apply(&cfg, c->lines[n - 1], &out, &err);
		assert_int_equal(rc, c->rc);
		if (rc < 0) {
			assert_string_equal(err.msg, c->expect);
			assert_int_equal(err.line, c->line);
			assert_int_equal(err.column, c->col);
			/* nothing half-applied */
			assert_memory_equal(&cfg, &before, sizeof(cfg));
		} else if (rc == 1) {
			assert_string_equal(out, "");
			exp = export_str(&cfg);
			assert_string_equal(exp, c->expect);
			free(exp);
		} else {
			assert_memory_equal(&cfg, &before, sizeof(cfg));
			if (c->expect != NULL)
				assert_string_equal(out, c->expect);
		}
		free(out);
	}
}

/* Every toggle prints; the one turned off says no. */
static void test_print_ipfix(void **state)
{
	struct tflow_config cfg;
	struct conf_error err;
	char *out;

	(void)state;
	conf_init_defaults(&cfg);
	assert_int_equal(apply(&cfg, "/ip traffic-flow ipfix set bytes=no "
	    "tcp-seq-num=no", &out, &err), 1);
	free(out);
	assert_int_equal(apply(&cfg, "/ip traffic-flow ipfix print", &out,
	    &err), 0);
	/* dst-address-mask is the widest name: 16 columns */
	assert_true(strncmp(out, "           bytes: no\n", 21) == 0);
	assert_non_null(strstr(out, "\n     tcp-seq-num: no\n"));
	assert_non_null(strstr(out, "\ndst-address-mask: yes\n"));
	assert_non_null(strstr(out, "\n ip-total-length: yes\n"));
	assert_non_null(strstr(out, "\n      udp-length: yes\n"));
	assert_null(strstr(out, "address: no"));
	free(out);
}

/* Export, then run the export as command lines: the same config again. */
static void test_export_reapplies(void **state)
{
	static const char *const lines[] = {
		"/ip traffic-flow set enabled=yes interfaces=eth0,wlan0 "
		"cache-entries=128k active-flow-timeout=1h30m",
		"/ip traffic-flow target add dst-address=192.0.2.10 "
		"version=ipfix src-address=192.0.2.1",
		"/ip traffic-flow target add address=[2001:db8::5]:4739",
		"/ip traffic-flow target disable 1",
		"/ip traffic-flow ipfix set nat-events=no ttl=no",
	};
	struct tflow_config cfg, again;
	struct conf_error err;
	char *out, *exp1, *exp2;
	size_t i;

	(void)state;
	conf_init_defaults(&cfg);
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		assert_int_equal(apply(&cfg, lines[i], &out, &err), 1);
		free(out);
	}
	assert_int_equal(apply(&cfg, "/export", &out, &err), 0);
	exp1 = export_str(&cfg);
	assert_string_equal(out, exp1);

	/* the CLI takes the file's text as one multi-line command line */
	conf_init_defaults(&again);
	assert_int_equal(conf_apply_command(&again, out, strlen(out), NULL,
	    &err), 1);
	exp2 = export_str(&again);
	assert_string_equal(exp1, exp2);
	assert_memory_equal(&cfg, &again, sizeof(cfg));
	free(out);
	free(exp1);
	free(exp2);
}

/* The file grammar stays strict: the CLI verbs are no config file words. */
static void test_file_unchanged(void **state)
{
	static const char *const bad[] = {
		"/ip traffic-flow print",
		"/export",
		"/ip traffic-flow target remove 0",
	};
	struct tflow_config cfg;
	struct conf_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(conf_parse_string(bad[i], strlen(bad[i]),
		    &cfg, &err), -EINVAL);
		assert_non_null(strstr(err.msg, "bad command name"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_print_ipfix),
		cmocka_unit_test(test_export_reapplies),
		cmocka_unit_test(test_file_unchanged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
