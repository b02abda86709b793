/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_conf: the RouterOS script parser and exporter.  Good scripts are a
 * table of (text, edit of the defaults that gives the expected config);
 * bad scripts a table of (text, message, line, column).  Export is checked
 * byte for byte on known configs and by export -> parse -> export round
 * trips.  Files under tests/conf are found through TFLOW_SRCDIR.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

#define MS_S	UINT64_C(1000)
#define MS_M	(60 * MS_S)
#define MS_H	(60 * MS_M)
#define MS_D	(24 * MS_H)
#define IPFIX_ALL ((UINT64_C(1) << CONF_IPFIX_MAX) - 1)
#define BIT(x)	(UINT64_C(1) << CONF_IPFIX_##x)

/* ---- helpers ------------------------------------------------------------ */

static int parse(const char *text, struct tflow_config *cfg,
    struct conf_error *err)
{
	return conf_parse_string(text, strlen(text), cfg, err);
}

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

static void srcpath(char *buf, size_t size, const char *rel)
{
	const char *dir = getenv("TFLOW_SRCDIR");

	snprintf(buf, size, "%s/%s", dir != NULL ? dir : ".", rel);
}

static struct sockaddr_storage sa(const char *addr, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	memset(&ss, 0, sizeof(ss));
	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (inet_pton(AF_INET, addr, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		sin.sin_port = htons(port);
		memcpy(&ss, &sin, sizeof(sin));
	} else {
		assert_int_equal(inet_pton(AF_INET6, addr, &sin6.sin6_addr), 1);
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(port);
		memcpy(&ss, &sin6, sizeof(sin6));
	}
	return ss;
}

/* Append a target with the RouterOS defaults for everything else. */
static struct conf_target *add_target(struct tflow_config *c,
    const char *addr, uint16_t port, enum conf_version v)
{
	struct conf_target *t = &c->targets[c->n_targets++];

	memset(t, 0, sizeof(*t));
	t->dst = sa(addr, port);
	t->version = v;
	t->template_refresh = 20;
	t->template_timeout_ms = 30 * MS_M;
	return t;
}

static void set_ifaces(struct tflow_config *c, unsigned n, ...)
{
	va_list ap;
	unsigned i;

	c->interfaces_all = false;
	c->n_interfaces = n;
	va_start(ap, n);
	for (i = 0; i < n; i++)
		strcpy(c->interfaces[i], va_arg(ap, const char *));
	va_end(ap);
}

/* Field by field first, for readable failures, then every byte. */
static void assert_cfg_equal(const struct tflow_config *want,
    const struct tflow_config *got)
{
	unsigned i;

	assert_int_equal(got->enabled, want->enabled);
	assert_int_equal(got->interfaces_all, want->interfaces_all);
	assert_int_equal(got->n_interfaces, want->n_interfaces);
	for (i = 0; i < want->n_interfaces; i++)
		assert_string_equal(got->interfaces[i], want->interfaces[i]);
	assert_int_equal(got->cache_entries, want->cache_entries);
	assert_int_equal(got->active_timeout_ms, want->active_timeout_ms);
	assert_int_equal(got->inactive_timeout_ms, want->inactive_timeout_ms);
	assert_int_equal(got->packet_sampling, want->packet_sampling);
	assert_int_equal(got->sampling_interval, want->sampling_interval);
	assert_int_equal(got->sampling_space, want->sampling_space);
	assert_int_equal(got->n_targets, want->n_targets);
	for (i = 0; i < want->n_targets; i++) {
		const struct conf_target *a = &want->targets[i];
		const struct conf_target *b = &got->targets[i];

		assert_int_equal(b->dst.ss_family, a->dst.ss_family);
		assert_memory_equal(&b->dst, &a->dst, sizeof(a->dst));
		assert_int_equal(b->src.ss_family, a->src.ss_family);
		assert_memory_equal(&b->src, &a->src, sizeof(a->src));
		assert_int_equal(b->version, a->version);
		assert_int_equal(b->template_refresh, a->template_refresh);
		assert_int_equal(b->template_timeout_ms,
		    a->template_timeout_ms);
		assert_int_equal(b->disabled, a->disabled);
	}
	assert_int_equal(got->ipfix_fields, want->ipfix_fields);
	assert_memory_equal(got, want, sizeof(*want));
}

/* ---- defaults ----------------------------------------------------------- */

static void test_defaults(void **state)
{
	struct tflow_config c, p;
	struct conf_error err;

	(void)state;
	memset(&c, 0xa5, sizeof(c));
	conf_init_defaults(&c);
	assert_false(c.enabled);
	assert_true(c.interfaces_all);
	assert_int_equal(c.n_interfaces, 0);
	assert_int_equal(c.cache_entries, 4096);
	assert_int_equal(c.active_timeout_ms, 30 * MS_M);
	assert_int_equal(c.inactive_timeout_ms, 15 * MS_S);
	assert_false(c.packet_sampling);
	assert_int_equal(c.sampling_interval, 0);
	assert_int_equal(c.sampling_space, 0);
	assert_int_equal(c.n_targets, 0);
	assert_int_equal(c.ipfix_fields, IPFIX_ALL);

	/* an empty script is the defaults, whatever was in *cfg before */
	memset(&p, 0x5a, sizeof(p));
	assert_int_equal(parse("", &p, &err), 0);
	assert_cfg_equal(&c, &p);

	/* a bare add gets the target defaults */
	assert_int_equal(parse("/ip traffic-flow target add "
	    "dst-address=192.0.2.1", &p, &err), 0);
	assert_int_equal(p.n_targets, 1);
	add_target(&c, "192.0.2.1", 2055, CONF_VERSION_9);
	assert_int_equal(p.targets[0].src.ss_family, 0);
	assert_false(p.targets[0].disabled);
	assert_cfg_equal(&c, &p);
}

/* ---- good scripts ------------------------------------------------------- */

static void x_none(struct tflow_config *c) { (void)c; }
static void x_enabled(struct tflow_config *c) { c->enabled = true; }

static void x_enabled_eth(struct tflow_config *c)
{
	c->enabled = true;
	set_ifaces(c, 2, "eth0", "eth1");
}

static void x_target1(struct tflow_config *c)
{
	add_target(c, "192.0.2.1", 2055, CONF_VERSION_9);
}

static void x_product(struct tflow_config *c)
{
	c->enabled = true;
	set_ifaces(c, 2, "eth0", "eth1");
	c->cache_entries = 128 * 1024;
	add_target(c, "192.0.2.10", 2055, CONF_VERSION_9);
	add_target(c, "192.0.2.11", 9995, CONF_VERSION_5);
	c->ipfix_fields &= ~(BIT(NAT_EVENTS) | BIT(TCP_SEQ_NUM));
}

static void x_eth01(struct tflow_config *c) { set_ifaces(c, 2, "eth0", "eth1"); }
static void x_eth0(struct tflow_config *c) { set_ifaces(c, 1, "eth0"); }
static void x_hash_if(struct tflow_config *c) { set_ifaces(c, 1, "a#b"); }
static void x_odd_if(struct tflow_config *c) { set_ifaces(c, 1, "we\"ird$\\"); }

static void x_15char(struct tflow_config *c)
{
	set_ifaces(c, 2, "abcdefghijklmno", "x");
}

static void x_act_90m(struct tflow_config *c) { c->active_timeout_ms = 90 * MS_M; }
static void x_act_30m(struct tflow_config *c) { c->active_timeout_ms = 30 * MS_M; }
static void x_act_1d(struct tflow_config *c) { c->active_timeout_ms = MS_D; }
static void x_act_1w(struct tflow_config *c) { c->active_timeout_ms = 7 * MS_D; }
static void x_inact_90s(struct tflow_config *c) { c->inactive_timeout_ms = 90 * MS_S; }
static void x_inact_500ms(struct tflow_config *c) { c->inactive_timeout_ms = 500; }
static void x_inact_1d30m(struct tflow_config *c) { c->inactive_timeout_ms = MS_D + 30 * MS_M; }

static void x_cache_1k(struct tflow_config *c) { c->cache_entries = 1024; }
static void x_cache_16m(struct tflow_config *c) { c->cache_entries = 16 << 20; }
static void x_cache_5000(struct tflow_config *c) { c->cache_entries = 5000; }
static void x_cache_128k(struct tflow_config *c) { c->cache_entries = 128 << 10; }

static void x_sampling(struct tflow_config *c)
{
	c->packet_sampling = true;
	c->sampling_interval = 1;
	c->sampling_space = INT32_MAX;
}

static void x_sampling_off(struct tflow_config *c)
{
	c->sampling_interval = 0;
	c->sampling_space = 7;
}

static void x_v6(struct tflow_config *c)
{
	struct conf_target *t = add_target(c, "2001:db8::10", 4739,
	    CONF_VERSION_IPFIX);

	t->src = sa("2001:db8::1", 0);
	t->template_refresh = 65535;
	t->template_timeout_ms = MS_M;
	t->disabled = true;
}

static void x_v1_src4(struct tflow_config *c)
{
	struct conf_target *t = add_target(c, "198.51.100.7", 65535,
	    CONF_VERSION_1);

	t->src = sa("198.51.100.1", 0);
	t->template_refresh = 1;
}

static void x_addr4(struct tflow_config *c)
{
	add_target(c, "192.0.2.11", 9995, CONF_VERSION_5);
}

static void x_addr6(struct tflow_config *c)
{
	add_target(c, "2001:db8::1", 9995, CONF_VERSION_9);
}

static void x_addr_then_port(struct tflow_config *c)
{
	add_target(c, "192.0.2.11", 2056, CONF_VERSION_9);
}

static void x_two_targets(struct tflow_config *c)
{
	add_target(c, "192.0.2.1", 2055, CONF_VERSION_9);
	add_target(c, "192.0.2.2", 2055, CONF_VERSION_IPFIX);
}

static void x_ipfix_some(struct tflow_config *c)
{
	c->ipfix_fields &= ~(BIT(NAT_EVENTS) | BIT(TCP_SEQ_NUM) |
	    BIT(SRC_ADDRESS));
}

static void x_ipfix_src_addr(struct tflow_config *c)
{
	c->ipfix_fields &= ~BIT(SRC_ADDRESS);
}

static void x_ipfix_mask(struct tflow_config *c)
{
	c->ipfix_fields &= ~BIT(SRC_ADDRESS_MASK);
}

static void x_max_targets(struct tflow_config *c)
{
	char a[32];
	unsigned i;

	for (i = 0; i < CONF_MAX_TARGETS; i++) {
		snprintf(a, sizeof(a), "192.0.2.%u", i + 1);
		add_target(c, a, 2055, CONF_VERSION_9);
	}
}

static void x_max_ifaces(struct tflow_config *c)
{
	unsigned i;

	c->interfaces_all = false;
	c->n_interfaces = CONF_MAX_INTERFACES;
	for (i = 0; i < CONF_MAX_INTERFACES; i++)
		snprintf(c->interfaces[i], CONF_IFNAME_LEN, "veth%u", i);
}

struct good_case {
	const char *name;
	const char *text;
	void (*expect)(struct tflow_config *);
};

static const struct good_case good_cases[] = {
	{ "empty", "", x_none },
	{ "comments and blanks",
	  "# header\n\n   # indented\n\t\n/ip traffic-flow # menu\n", x_none },
	{ "one-line set", "/ip traffic-flow set enabled=yes\n", x_enabled },
	{ "no final newline", "/ip traffic-flow set enabled=yes", x_enabled },
	{ "menu then command", "/ip traffic-flow\nset enabled=yes\n",
	  x_enabled },
	{ "v7 slash form", "/ip/traffic-flow/set enabled=yes\n", x_enabled },
	{ "v7 slash add", "/ip/traffic-flow/target/add dst-address=192.0.2.1",
	  x_target1 },
	{ "v7 slash menu", "/ip/traffic-flow/target\nadd dst-address=192.0.2.1",
	  x_target1 },
	{ "relative submenu", "/ip traffic-flow\ntarget add dst-address=192.0.2.1\n",
	  x_target1 },
	{ "relative two levels", "/ip\ntraffic-flow set enabled=yes\n",
	  x_enabled },
	{ "relative menu line", "/ip traffic-flow\ntarget\nadd dst-address=192.0.2.1\n",
	  x_target1 },
	{ "parent ..", "/ip traffic-flow target\n.. set enabled=yes\n",
	  x_enabled },
	{ "one-line keeps menu",
	  "/ip traffic-flow\n/ip traffic-flow target add dst-address=192.0.2.1\n"
	  "set enabled=yes\n", NULL },
	{ "semicolon", "/ip traffic-flow; set enabled=yes", x_enabled },
	{ "abbreviations", "/ip traf se ena=yes\n", x_enabled },
	{ "exact beats prefix", "/ip traffic-flow ipfix set src-address=no\n",
	  x_ipfix_src_addr },
	{ "longer exact name", "/ip traffic-flow ipfix set src-address-mask=no\n",
	  x_ipfix_mask },
	{ "continuation",
	  "/ip traffic-flow\nset enabled=yes \\\n    interfaces=eth0,eth1\n",
	  x_enabled_eth },
	{ "continuation in a token",
	  "/ip traffic-flow set interfaces=eth0,\\\neth1\n", x_eth01 },
	{ "continuation in a path",
	  "/ip \\\n traffic-flow \\\n set enabled=yes\n", x_enabled },
	{ "crlf", "/ip traffic-flow\r\nset enabled=yes \\\r\n interfaces=eth0,eth1\r\n",
	  x_enabled_eth },
	{ "byte order mark", "\xef\xbb\xbf/ip traffic-flow set enabled=yes\n",
	  x_enabled },
	{ "trailing comment", "/ip traffic-flow set enabled=yes # on\n",
	  x_enabled },
	{ "hash inside a value", "/ip traffic-flow set interfaces=a#b\n",
	  x_hash_if },
	{ "quoted", "/ip traffic-flow set interfaces=\"eth0,eth1\"\n", x_eth01 },
	{ "quoted escapes",
	  "/ip traffic-flow set interfaces=\"we\\\"ird\\$\\\\\"\n", x_odd_if },
	{ "hex escape", "/ip traffic-flow set interfaces=\"eth\\30\"\n", x_eth0 },
	{ "bare escape", "/ip traffic-flow set interfaces=eth\\30\n", x_eth0 },
	{ "quoted continuation",
	  "/ip traffic-flow set interfaces=\"eth0,\\\neth1\"\n", x_eth01 },
	{ "bool true", "/ip traffic-flow set enabled=true\n", x_enabled },
	{ "bool false", "/ip traffic-flow\nset enabled=yes\nset enabled=false\n",
	  x_none },
	{ "15-byte name", "/ip traffic-flow set interfaces=abcdefghijklmno,x\n",
	  x_15char },
	{ "interfaces back to all",
	  "/ip traffic-flow\nset interfaces=eth0\nset interfaces=all\n", x_none },
	{ "last value wins", "/ip traffic-flow set interfaces=eth9 interfaces=eth0\n",
	  x_eth0 },
	{ "time 1h30m", "/ip traffic-flow set active-flow-timeout=1h30m", x_act_90m },
	{ "time clock", "/ip traffic-flow set active-flow-timeout=00:30:00",
	  x_act_30m },
	{ "time 1d", "/ip traffic-flow set active-flow-timeout=1d", x_act_1d },
	{ "time 1w", "/ip traffic-flow set active-flow-timeout=1w", x_act_1w },
	{ "time 90s", "/ip traffic-flow set inactive-flow-timeout=90s", x_inact_90s },
	{ "time bare seconds", "/ip traffic-flow set inactive-flow-timeout=90",
	  x_inact_90s },
	{ "time 500ms", "/ip traffic-flow set inactive-flow-timeout=500ms",
	  x_inact_500ms },
	{ "time 1d00:30:00", "/ip traffic-flow set inactive-flow-timeout=1d00:30:00",
	  x_inact_1d30m },
	{ "size 1k", "/ip traffic-flow set cache-entries=1k", x_cache_1k },
	{ "size 16M", "/ip traffic-flow set cache-entries=16M", x_cache_16m },
	{ "size plain", "/ip traffic-flow set cache-entries=5000", x_cache_5000 },
	{ "size 128K", "/ip traffic-flow set cache-entries=128K", x_cache_128k },
	{ "sampling", "/ip traffic-flow set packet-sampling=yes "
	  "sampling-interval=1 sampling-space=2147483647", x_sampling },
	{ "sampling split over commands",
	  "/ip traffic-flow\nset sampling-interval=1\nset packet-sampling=yes "
	  "sampling-space=2147483647\n", x_sampling },
	{ "sampling values without sampling",
	  "/ip traffic-flow set sampling-space=7 packet-sampling=no", x_sampling_off },
	{ "ipv6 target, every property",
	  "/ip traffic-flow target\nadd dst-address=2001:db8::10 port=4739 "
	  "version=ipfix src-address=2001:db8::1 v9-template-refresh=65535 "
	  "v9-template-timeout=1m disabled=yes\n", x_v6 },
	{ "v1 target",
	  "/ip traffic-flow target add version=1 port=65535 "
	  "dst-address=198.51.100.7 src-address=198.51.100.1 "
	  "v9-template-refresh=1", x_v1_src4 },
	{ "src-address any is unset",
	  "/ip traffic-flow target add dst-address=192.0.2.1 src-address=0.0.0.0",
	  x_target1 },
	{ "v6 address=IP:PORT", "/ip traffic-flow target add "
	  "address=192.0.2.11:9995 version=5", x_addr4 },
	{ "v6 address=[IPv6]:PORT", "/ip traffic-flow target add "
	  "address=[2001:db8::1]:9995", x_addr6 },
	{ "v6 address, last colon is the port", "/ip traffic-flow target add "
	  "address=2001:db8::1:9995", x_addr6 },
	{ "address then port", "/ip traffic-flow target add "
	  "address=192.0.2.11:9995 port=2056", x_addr_then_port },
	{ "two targets",
	  "/ip traffic-flow target\nadd dst-address=192.0.2.1\n"
	  "add dst-address=192.0.2.2 version=ipfix\n", x_two_targets },
	{ "ipfix toggles",
	  "/ip traffic-flow ipfix\nset nat-events=no tcp-seq-num=no "
	  "src-address=false bytes=yes\n", x_ipfix_some },
	{ "product example",
	  "/ip traffic-flow\n"
	  "set enabled=yes interfaces=eth0,eth1 cache-entries=128k active-flow-timeout=30m \\\n"
	  "    inactive-flow-timeout=15s packet-sampling=no sampling-interval=0 sampling-space=0\n"
	  "/ip traffic-flow target\n"
	  "add dst-address=192.0.2.10 port=2055 version=9 v9-template-refresh=20 v9-template-timeout=30m\n"
	  "add address=192.0.2.11:9995 version=5\n"
	  "/ip traffic-flow ipfix\n"
	  "set nat-events=no tcp-seq-num=no\n", x_product },
};

/* "one-line keeps menu": a path with a command leaves the menu alone. */
static void x_keeps_menu(struct tflow_config *c)
{
	c->enabled = true;
	add_target(c, "192.0.2.1", 2055, CONF_VERSION_9);
}

static void test_good(void **state)
{
	struct tflow_config want, got;
	struct conf_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good_cases) / sizeof(good_cases[0]); i++) {
		const struct good_case *gc = &good_cases[i];

		print_message("good: %s\n", gc->name);
		conf_init_defaults(&want);
		(gc->expect != NULL ? gc->expect : x_keeps_menu)(&want);
		memset(&got, 0xa5, sizeof(got));
		if (parse(gc->text, &got, &err) != 0)
			fail_msg("%s: %u:%u %s", gc->name, err.line,
			    err.column, err.msg);
		assert_cfg_equal(&want, &got);
	}
}

/* Every ipfix toggle by its RouterOS name, one at a time and all at once. */
static void test_ipfix_every_field(void **state)
{
	static const char *const names[] = {
#define NAME(id, name) name,
		CONF_IPFIX_FIELDS(NAME)
#undef NAME
	};
	struct tflow_config c;
	struct conf_error err;
	char text[4096];
	size_t i, used;

	(void)state;
	assert_int_equal(sizeof(names) / sizeof(names[0]), CONF_IPFIX_MAX);
	used = (size_t)snprintf(text, sizeof(text), "/ip traffic-flow ipfix set");
	for (i = 0; i < CONF_IPFIX_MAX; i++) {
		char one[128];

		snprintf(one, sizeof(one), "/ip traffic-flow ipfix set %s=no",
		    names[i]);
		assert_int_equal(parse(one, &c, &err), 0);
		assert_int_equal(c.ipfix_fields, IPFIX_ALL & ~(UINT64_C(1) << i));
		used += (size_t)snprintf(text + used, sizeof(text) - used,
		    " %s=no", names[i]);
	}
	assert_int_equal(parse(text, &c, &err), 0);
	assert_int_equal(c.ipfix_fields, 0);
}

static void test_limits(void **state)
{
	struct tflow_config want, got;
	struct conf_error err;
	char text[4096];
	size_t used;
	unsigned i;

	(void)state;
	/* CONF_MAX_TARGETS adds are fine */
	used = (size_t)snprintf(text, sizeof(text), "/ip traffic-flow target\n");
	for (i = 0; i < CONF_MAX_TARGETS; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used,
		    "add dst-address=192.0.2.%u\n", i + 1);
	assert_int_equal(parse(text, &got, &err), 0);
	conf_init_defaults(&want);
	x_max_targets(&want);
	assert_cfg_equal(&want, &got);
	/* one more is not, and the error names its line and the add */
	snprintf(text + used, sizeof(text) - used, "add dst-address=192.0.2.99\n");
	assert_int_equal(parse(text, &got, &err), -EINVAL);
	assert_string_equal(err.msg, "too many targets (at most 16)");
	assert_int_equal(err.line, CONF_MAX_TARGETS + 2);
	assert_int_equal(err.column, 1);

	/* CONF_MAX_INTERFACES names are fine, one more is not */
	used = (size_t)snprintf(text, sizeof(text),
	    "/ip traffic-flow set interfaces=");
	for (i = 0; i < CONF_MAX_INTERFACES; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used,
		    "%sveth%u", i ? "," : "", i);
	assert_int_equal(parse(text, &got, &err), 0);
	conf_init_defaults(&want);
	x_max_ifaces(&want);
	assert_cfg_equal(&want, &got);
	snprintf(text + used, sizeof(text) - used, ",veth99");
	assert_int_equal(parse(text, &got, &err), -EINVAL);
	assert_string_equal(err.msg, "invalid value for argument interfaces");
	assert_int_equal(err.column, 33);
}

/* ---- bad scripts -------------------------------------------------------- */

struct bad_case {
	const char *text;
	const char *msg;
	unsigned line, column;
};

#define TF "/ip traffic-flow set "		/* 21 columns */
#define TG "/ip traffic-flow target add "	/* 28 columns */
#define IV(name) "invalid value for argument " name

static const struct bad_case bad_cases[] = {
	/* menus and commands */
	{ "/ipx", "no such command prefix", 1, 2 },
	{ "/ip traffic-flw set", "no such command prefix", 1, 5 },
	{ "/ip traffic-flow\n/ip trafic-flow target\n", "no such command prefix",
	  2, 5 },
	{ "/ip/traffic-flow/targets/add", "no such command prefix", 1, 18 },
	{ "set enabled=yes", "bad command name set", 1, 1 },
	{ "/ip traffic-flow enabled=yes", "no such command prefix", 1, 18 },
	{ "/ip traffic-flow print", "bad command name print", 1, 18 },
	{ "/ip traffic-flow target\nset 0 disabled=yes", "bad command name set",
	  2, 1 },
	{ "/ip traffic-flow add dst-address=192.0.2.1", "bad command name add",
	  1, 18 },
	{ "/ip traffic-flow target\nipfix set bytes=no", "no such command prefix",
	  2, 1 },
	{ ":put hello", "no such command prefix", 1, 1 },
	/* arguments */
	{ TF "foo=1", "unknown parameter foo", 1, 22 },
	{ TF "enabled=yes bogus-thing=1", "unknown parameter bogus-thing", 1, 34 },
	{ "/ip traffic-flow ipfix set packet-count=no",
	  "unknown parameter packet-count", 1, 28 },
	{ TF "in=eth0", "ambiguous: interfaces, inactive-flow-timeout", 1, 22 },
	{ TF "enabled=yes foo", "expected end of command", 1, 34 },
	{ TF "enabled =yes", "expected end of command", 1, 22 },
	{ TF "=yes", "expected end of command", 1, 22 },
	{ TF "interfaces=\"eth0\"x", "expected end of command", 1, 39 },
	{ TF "interfaces=\"eth0", "unterminated quoted string", 1, 33 },
	{ TF "interfaces=\"eth0\nset enabled=yes\"", "unterminated quoted string",
	  1, 33 },
	{ TF "interfaces=\"a\\qb\"", "invalid escape sequence", 1, 35 },
	{ TF "interfaces=\"a\\00b\"", "invalid escape sequence", 1, 35 },
	{ "/ip traffic-flow\nset enabled=yes \\\n    foo=1\n",
	  "unknown parameter foo", 3, 5 },
	{ "/ip traffic-flow\nset enabled=yes \\\n    \\\n  active-flow-timeout=x\n",
	  IV("active-flow-timeout"), 4, 23 },
	/* values */
	{ TF "enabled=maybe", IV("enabled"), 1, 30 },
	{ TF "enabled=Yes", IV("enabled"), 1, 30 },
	{ TF "enabled=", IV("enabled"), 1, 30 },
	{ TF "cache-entries=1023", IV("cache-entries"), 1, 36 },
	{ TF "cache-entries=16777217", IV("cache-entries"), 1, 36 },
	{ TF "cache-entries=17M", IV("cache-entries"), 1, 36 },
	{ TF "cache-entries=4x", IV("cache-entries"), 1, 36 },
	{ TF "cache-entries=-4k", IV("cache-entries"), 1, 36 },
	{ TF "cache-entries=99999999999999999999k", IV("cache-entries"), 1, 36 },
	{ TF "active-flow-timeout=0", IV("active-flow-timeout"), 1, 42 },
	{ TF "active-flow-timeout=1h30", IV("active-flow-timeout"), 1, 42 },
	{ TF "active-flow-timeout=30m1h", IV("active-flow-timeout"), 1, 42 },
	{ TF "active-flow-timeout=366d", IV("active-flow-timeout"), 1, 42 },
	{ TF "active-flow-timeout=5y", IV("active-flow-timeout"), 1, 42 },
	{ TF "inactive-flow-timeout=00:61:00", IV("inactive-flow-timeout"), 1, 44 },
	{ TF "interfaces=eth0,,eth1", IV("interfaces"), 1, 33 },
	{ TF "interfaces=eth0,", IV("interfaces"), 1, 33 },
	{ TF "interfaces=abcdefghijklmnop", IV("interfaces"), 1, 33 },
	{ TF "interfaces=eth0,eth0", IV("interfaces"), 1, 33 },
	{ TF "interfaces=all,eth0", IV("interfaces"), 1, 33 },
	{ TF "interfaces=a/b", IV("interfaces"), 1, 33 },
	{ TF "interfaces=\"eth 0\"", IV("interfaces"), 1, 33 },
	{ TF "sampling-interval=2147483648", IV("sampling-interval"), 1, 40 },
	{ TF "sampling-space=-1", IV("sampling-space"), 1, 37 },
	{ "/ip traffic-flow ipfix set bytes=maybe", IV("bytes"), 1, 34 },
	{ TG "dst-address=192.0.2.256", IV("dst-address"), 1, 41 },
	{ TG "dst-address=0.0.0.0", IV("dst-address"), 1, 41 },
	{ TG "dst-address=::", IV("dst-address"), 1, 41 },
	{ TG "dst-address=example.com", IV("dst-address"), 1, 41 },
	/* `\_` is a space inside the value, not a separator */
	{ TG "dst-address=192.0.2.1\\_port=2055", IV("dst-address"), 1, 41 },
	{ TG "dst-address=192.0.2.1 port=0", IV("port"), 1, 56 },
	{ TG "dst-address=192.0.2.1 port=65536", IV("port"), 1, 56 },
	{ TG "dst-address=192.0.2.1 port=http", IV("port"), 1, 56 },
	{ TG "dst-address=192.0.2.1 version=7", IV("version"), 1, 59 },
	{ TG "dst-address=192.0.2.1 version=10", IV("version"), 1, 59 },
	{ TG "dst-address=192.0.2.1 v9-template-refresh=0",
	  IV("v9-template-refresh"), 1, 71 },
	{ TG "dst-address=192.0.2.1 v9-template-refresh=65536",
	  IV("v9-template-refresh"), 1, 71 },
	{ TG "dst-address=192.0.2.1 v9-template-timeout=soon",
	  IV("v9-template-timeout"), 1, 71 },
	{ TG "dst-address=192.0.2.1 disabled=2", IV("disabled"), 1, 60 },
	{ TG "dst-address=192.0.2.1 src-address=2001:db8::1",
	  IV("src-address"), 1, 63 },
	{ TG "src-address=192.0.2.9 dst-address=2001:db8::1",
	  IV("src-address"), 1, 41 },
	{ TG "address=192.0.2.1", IV("address"), 1, 37 },
	{ TG "address=192.0.2.1:0", IV("address"), 1, 37 },
	{ TG "address=[192.0.2.1]:2055", IV("address"), 1, 37 },
	{ TG "address=[2001:db8::1]2055", IV("address"), 1, 37 },
	{ TG "address=0.0.0.0:2055", IV("address"), 1, 37 },
	{ TG "port=9995 version=5", "missing value(s) of argument(s) dst-address",
	  1, 25 },
	{ "/ip traffic-flow target\n\nadd", "missing value(s) of argument(s) dst-address",
	  3, 1 },
	/* packet-sampling=yes needs sampling-interval >= 1; the later of
	 * the two assignments is blamed */
	{ TF "packet-sampling=yes", IV("sampling-interval"), 1, 38 },
	{ TF "sampling-interval=0 packet-sampling=yes", IV("sampling-interval"),
	  1, 58 },
	{ TF "packet-sampling=yes sampling-interval=0", IV("sampling-interval"),
	  1, 60 },
	{ "/ip traffic-flow\nset packet-sampling=yes sampling-interval=4\n"
	  "set sampling-interval=0\n", IV("sampling-interval"), 3, 23 },
};

static void test_bad(void **state)
{
	struct tflow_config before, got;
	struct conf_error err;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *bc = &bad_cases[i];

		print_message("bad: %s\n", bc->text);
		len = strlen(bc->text);
		memset(&before, 0x5a, sizeof(before));
		memcpy(&got, &before, sizeof(got));
		assert_int_equal(conf_parse_string(bc->text, len, &got, &err),
		    -EINVAL);
		assert_string_equal(err.msg, bc->msg);
		assert_int_equal(err.line, bc->line);
		assert_int_equal(err.column, bc->column);
		/* nothing half-applied */
		assert_memory_equal(&got, &before, sizeof(got));
	}
}

/* A NUL byte could only truncate a value: refused where it is. */
static void test_nul_byte(void **state)
{
	static const char text[] = "/ip traffic-flow\nset ena\0bled=yes";
	struct tflow_config c;
	struct conf_error err;

	(void)state;
	assert_int_equal(conf_parse_string(text, sizeof(text) - 1, &c, &err),
	    -EINVAL);
	assert_string_equal(err.msg, "invalid character (NUL byte)");
	assert_int_equal(err.line, 2);
	assert_int_equal(err.column, 8);
	/* the length is what counts, not a terminating NUL */
	assert_int_equal(conf_parse_string(text, 23, &c, &err), -EINVAL);
	assert_string_equal(err.msg, "expected end of command");
	assert_int_equal(err.column, 5);
	assert_int_equal(conf_parse_string(text, 20, &c, &err), 0);
}

/* Unique abbreviations of menus, commands and properties are taken, as
 * RouterOS does; an ambiguous one lists what it could mean. */
static void test_abbrev(void **state)
{
	struct tflow_config c;
	struct conf_error err;

	(void)state;
	assert_int_equal(parse("/ip traffic-flow t a dst-address=192.0.2.1 "
	    "ver=ipfix", &c, &err), 0);
	assert_int_equal(c.n_targets, 1);
	assert_int_equal(c.targets[0].version, CONF_VERSION_IPFIX);
	assert_int_equal(parse("/ip traffic-flow t a", &c, &err), -EINVAL);
	assert_string_equal(err.msg, "missing value(s) of argument(s) dst-address");
	assert_int_equal(err.column, 20);
	assert_int_equal(parse("/ip traffic-flow ipfix set s=no", &c, &err),
	    -EINVAL);
	assert_string_equal(err.msg, "ambiguous: src-address, "
	    "src-address-mask, src-mac-address, src-port, sys-init-time");
	assert_int_equal(err.column, 28);
	assert_int_equal(parse("/ip traffic-flow ipfix set src-p=no", &c, &err),
	    0);
	assert_int_equal(c.ipfix_fields, IPFIX_ALL & ~BIT(SRC_PORT));
}

/* ---- value parsers ------------------------------------------------------ */

static void test_time(void **state)
{
	static const struct {
		const char *s;
		uint64_t ms;
	} good[] = {
		{ "0", 0 }, { "90", 90 * MS_S }, { "30m", 30 * MS_M },
		{ "1h30m", 90 * MS_M }, { "00:30:00", 30 * MS_M },
		{ "1:02:03", MS_H + 2 * MS_M + 3 * MS_S }, { "1d", MS_D },
		{ "1w", 7 * MS_D }, { "90s", 90 * MS_S }, { "500ms", 500 },
		{ "1s500ms", 1500 }, { "1w2d3h4m5s6ms",
		  9 * MS_D + 3 * MS_H + 4 * MS_M + 5 * MS_S + 6 },
		{ "1d00:30:00", MS_D + 30 * MS_M }, { "1w1d01:00:00",
		  8 * MS_D + MS_H }, { "00:00:01.5", 1500 },
		{ "00:00:01.025", 1025 }, { "0s", 0 }, { "15s", 15 * MS_S },
	};
	static const char *const bad[] = {
		"", "m", "30x", "1h30", "30m1h", "1m1m", "1.5s", "-1s", " 1s",
		"1s ", "00:30", "00:60:00", "1h00:00:00", "00:00:00.1234",
		"99999999999999999999", "18446744073709551615w", "1d:", "1ms1s",
	};
	uint64_t ms;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ms = UINT64_MAX;
		if (conf_parse_time_ms(good[i].s, &ms) != 0)
			fail_msg("time %s refused", good[i].s);
		assert_int_equal(ms, good[i].ms);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (conf_parse_time_ms(bad[i], &ms) != -EINVAL)
			fail_msg("time \"%s\" accepted", bad[i]);
}

static void test_size_bool(void **state)
{
	static const struct {
		const char *s;
		uint64_t v;
	} good[] = {
		{ "0", 0 }, { "4096", 4096 }, { "4k", 4096 }, { "4K", 4096 },
		{ "1M", 1048576 }, { "16M", 16777216 }, { "2G", UINT64_C(2) << 30 },
	};
	static const char *const bad[] = {
		"", "k", "4m", "4kb", "4 k", "-1", "0x10", "18446744073709551616",
		"18014398509481984k",
	};
	uint64_t v;
	bool b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(conf_parse_size(good[i].s, &v), 0);
		assert_int_equal(v, good[i].v);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (conf_parse_size(bad[i], &v) != -EINVAL)
			fail_msg("size \"%s\" accepted", bad[i]);

	b = false;
	assert_int_equal(conf_parse_bool("yes", &b), 0);
	assert_true(b);
	assert_int_equal(conf_parse_bool("no", &b), 0);
	assert_false(b);
	assert_int_equal(conf_parse_bool("true", &b), 0);
	assert_true(b);
	assert_int_equal(conf_parse_bool("false", &b), 0);
	assert_false(b);
	assert_int_equal(conf_parse_bool("YES", &b), -EINVAL);
	assert_int_equal(conf_parse_bool("1", &b), -EINVAL);
	assert_int_equal(conf_parse_bool("", &b), -EINVAL);
}

/* ---- export ------------------------------------------------------------- */

static const char export_defaults[] =
	"/ip traffic-flow\n"
	"set enabled=no interfaces=all cache-entries=4k active-flow-timeout=30m \\\n"
	"    inactive-flow-timeout=15s packet-sampling=no sampling-interval=0 \\\n"
	"    sampling-space=0\n";

static void test_export_exact(void **state)
{
	struct tflow_config c;
	struct conf_target *t;
	char *out;

	(void)state;
	conf_init_defaults(&c);
	out = export_str(&c);
	assert_string_equal(out, export_defaults);
	free(out);

	/* time and size spellings, non-default target properties, ipfix */
	conf_init_defaults(&c);
	c.enabled = true;
	set_ifaces(&c, 3, "eth0", "br-lan", "we\"ird$");
	c.cache_entries = 1 << 20;
	c.active_timeout_ms = 90 * MS_M;
	c.inactive_timeout_ms = 500;
	c.packet_sampling = true;
	c.sampling_interval = 3;
	c.sampling_space = 1000;
	add_target(&c, "192.0.2.10", 2055, CONF_VERSION_9);
	t = add_target(&c, "2001:db8::10", 4739, CONF_VERSION_IPFIX);
	t->src = sa("2001:db8::1", 0);
	t->template_refresh = 10;
	t->template_timeout_ms = MS_D + 1;
	t->disabled = true;
	add_target(&c, "192.0.2.11", 9995, CONF_VERSION_5);
	c.ipfix_fields &= ~(BIT(NAT_EVENTS) | BIT(BYTES) | BIT(UDP_LENGTH));
	out = export_str(&c);
	assert_string_equal(out,
	    "/ip traffic-flow\n"
	    "set enabled=yes interfaces=\"eth0,br-lan,we\\\"ird\\$\" cache-entries=1M \\\n"
	    "    active-flow-timeout=1h30m inactive-flow-timeout=500ms packet-sampling=yes \\\n"
	    "    sampling-interval=3 sampling-space=1000\n"
	    "/ip traffic-flow target\n"
	    "add dst-address=192.0.2.10 port=2055 version=9\n"
	    "add dst-address=2001:db8::10 port=4739 version=ipfix src-address=2001:db8::1 \\\n"
	    "    v9-template-refresh=10 v9-template-timeout=1d1ms disabled=yes\n"
	    "add dst-address=192.0.2.11 port=9995 version=5\n"
	    "/ip traffic-flow ipfix\n"
	    "set bytes=no nat-events=no udp-length=no\n");
	free(out);

	/* sizes that are not whole k print plainly; 1w prints as weeks */
	conf_init_defaults(&c);
	c.cache_entries = 5000;
	c.active_timeout_ms = 7 * MS_D;
	c.inactive_timeout_ms = 90 * MS_S;
	out = export_str(&c);
	assert_non_null(strstr(out, "cache-entries=5000 "));
	assert_non_null(strstr(out, "active-flow-timeout=1w "));
	assert_non_null(strstr(out, "inactive-flow-timeout=1m30s "));
	free(out);
}

/* export -> parse gives the same struct, export again gives the same bytes */
static void round_trip(const char *text)
{
	struct tflow_config a, b;
	struct conf_error err;
	char *one, *two;

	if (parse(text, &a, &err) != 0)
		fail_msg("%u:%u %s", err.line, err.column, err.msg);
	one = export_str(&a);
	if (parse(one, &b, &err) != 0)
		fail_msg("export does not parse: %u:%u %s\n%s", err.line,
		    err.column, err.msg, one);
	assert_cfg_equal(&a, &b);
	two = export_str(&b);
	assert_string_equal(one, two);
	free(one);
	free(two);
}

static void test_round_trip(void **state)
{
	size_t i;
	char text[4096];
	unsigned n;

	(void)state;
	for (i = 0; i < sizeof(good_cases) / sizeof(good_cases[0]); i++) {
		print_message("round trip: %s\n", good_cases[i].name);
		round_trip(good_cases[i].text);
	}
	/* the longest lines: every toggle off, every interface, every target */
	n = (unsigned)snprintf(text, sizeof(text), "/ip traffic-flow set "
	    "interfaces=");
	for (i = 0; i < CONF_MAX_INTERFACES; i++)
		n += (unsigned)snprintf(text + n, sizeof(text) - n, "%sif%zu",
		    i ? "," : "", i);
	n += (unsigned)snprintf(text + n, sizeof(text) - n,
	    "\n/ip traffic-flow target\n");
	for (i = 0; i < CONF_MAX_TARGETS; i++)
		n += (unsigned)snprintf(text + n, sizeof(text) - n,
		    "add dst-address=2001:db8::%zx port=%zu disabled=%s\n", i + 1,
		    1000 + i, i & 1 ? "yes" : "no");
	round_trip(text);
	round_trip("/ip traffic-flow ipfix set"
#define OFF(id, name) " " name "=no"
	    CONF_IPFIX_FIELDS(OFF)
#undef OFF
	    );
}

/* ---- files -------------------------------------------------------------- */

static void test_file_product_export(void **state)
{
	struct tflow_config want, got;
	struct conf_error err;
	struct conf_target *t;
	char path[4096];

	(void)state;
	srcpath(path, sizeof(path), "tests/conf/mikrotik-export.rsc");
	if (conf_parse_file(path, &got, &err) != 0)
		fail_msg("%s:%u:%u: %s", path, err.line, err.column, err.msg);
	conf_init_defaults(&want);
	want.enabled = true;
	set_ifaces(&want, 3, "ether1", "bridge1", "vlan100");
	want.cache_entries = 128 * 1024;
	want.active_timeout_ms = 90 * MS_M;
	want.inactive_timeout_ms = 20 * MS_S;
	want.packet_sampling = true;
	want.sampling_interval = 2;
	want.sampling_space = 8;
	want.ipfix_fields &= ~(BIT(NAT_EVENTS) | BIT(TCP_ACK_NUM) |
	    BIT(TCP_SEQ_NUM) | BIT(TCP_WINDOW_SIZE));
	add_target(&want, "192.0.2.10", 2055, CONF_VERSION_IPFIX);
	t = add_target(&want, "2001:db8::10", 4739, CONF_VERSION_9);
	t->src = sa("2001:db8::1", 0);
	t->template_refresh = 10;
	t->template_timeout_ms = MS_M;
	t = add_target(&want, "192.0.2.11", 9995, CONF_VERSION_5);
	t->disabled = true;
	add_target(&want, "198.51.100.7", 2056, CONF_VERSION_1);
	assert_cfg_equal(&want, &got);
}

static void test_file_minimal(void **state)
{
	struct tflow_config want, got;
	struct conf_error err;
	char path[4096];

	(void)state;
	srcpath(path, sizeof(path), "tests/conf/minimal.rsc");
	if (conf_parse_file(path, &got, &err) != 0)
		fail_msg("%s:%u:%u: %s", path, err.line, err.column, err.msg);
	conf_init_defaults(&want);
	want.enabled = true;
	add_target(&want, "192.0.2.10", 2055, CONF_VERSION_9);
	assert_cfg_equal(&want, &got);
}

/* canonical.rsc is already in export form: export reproduces it byte for
 * byte. */
static void test_file_canonical(void **state)
{
	struct tflow_config c;
	struct conf_error err;
	char path[4096], *want, *got;
	FILE *f;
	long len;

	(void)state;
	srcpath(path, sizeof(path), "tests/conf/canonical.rsc");
	assert_int_equal(conf_parse_file(path, &c, &err), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	rewind(f);
	want = calloc(1, (size_t)len + 1);
	assert_non_null(want);
	assert_int_equal(fread(want, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	got = export_str(&c);
	assert_string_equal(got, want);
	free(got);
	free(want);
}

static void test_file_bad(void **state)
{
	static const struct {
		const char *file;
		const char *msg;
		unsigned line, column;
	} cases[] = {
		{ "bad-unknown-property.rsc", "unknown parameter packet-count", 6, 15 },
		{ "bad-menu.rsc", "no such command prefix", 4, 5 },
		{ "bad-value.rsc", IV("cache-entries"), 3, 19 },
		{ "bad-missing-dst.rsc",
		  "missing value(s) of argument(s) dst-address", 3, 1 },
		{ "bad-trailing.rsc", "expected end of command", 2, 41 },
		{ "bad-sampling.rsc", IV("sampling-interval"), 3, 21 },
		{ "bad-quote.rsc", "unterminated quoted string", 2, 40 },
	};
	struct tflow_config c, before;
	struct conf_error err;
	char rel[256], path[4096];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(rel, sizeof(rel), "tests/conf/%s", cases[i].file);
		srcpath(path, sizeof(path), rel);
		memset(&before, 0x33, sizeof(before));
		memcpy(&c, &before, sizeof(c));
		assert_int_equal(conf_parse_file(path, &c, &err), -EINVAL);
		print_message("%s:%u:%u: %s\n", cases[i].file, err.line,
		    err.column, err.msg);
		assert_string_equal(err.msg, cases[i].msg);
		assert_int_equal(err.line, cases[i].line);
		assert_int_equal(err.column, cases[i].column);
		assert_memory_equal(&c, &before, sizeof(c));
	}
}

static void test_file_errors(void **state)
{
	struct tflow_config c;
	struct conf_error err;
	char path[] = "/tmp/test_conf.XXXXXX", want[512], *big;
	size_t big_len = 1024 * 1024 + 1;
	int fd;

	(void)state;
	assert_int_equal(conf_parse_file("/nonexistent/tflow.rsc", &c, &err),
	    -ENOENT);
	assert_string_equal(err.msg, "cannot read /nonexistent/tflow.rsc: "
	    "No such file or directory");

	assert_int_equal(conf_parse_file("/", &c, &err), -EISDIR);
	assert_string_equal(err.msg, "cannot read /: Is a directory");

	/* a file over 1 MiB is refused before parsing */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	big = malloc(big_len);
	assert_non_null(big);
	memset(big, '\n', big_len);
	assert_int_equal(write(fd, big, big_len), (ssize_t)big_len);
	assert_int_equal(conf_parse_file(path, &c, &err), -EFBIG);
	snprintf(want, sizeof(want), "cannot read %s: File too large", path);
	assert_string_equal(err.msg, want);
	/* exactly 1 MiB of blank lines is a valid (empty) script */
	assert_int_equal(ftruncate(fd, (off_t)big_len - 1), 0);
	assert_int_equal(conf_parse_file(path, &c, &err), 0);
	assert_true(c.interfaces_all);
	close(fd);
	unlink(path);
	free(big);
}

/* ---- tflow's own properties ------------------------------------------- */

struct own_case {
	const char *text;		/* after "/ip traffic-flow set " */
	enum conf_capture capture;
	uint16_t group;
	uint16_t workers;
	enum conf_direction dir;
	const char *exported;		/* what export adds, "" nothing */
};

static const struct own_case own_cases[] = {
	{ "capture=afpacket", CONF_CAPTURE_AFPACKET, 0, 0,
	  CONF_DIR_INGRESS_LOCAL, "" },
	{ "capture=pcap", CONF_CAPTURE_PCAP, 0, 0, CONF_DIR_INGRESS_LOCAL,
	  " capture=pcap" },
	{ "capture=nflog:5", CONF_CAPTURE_NFLOG, 5, 0, CONF_DIR_INGRESS_LOCAL,
	  " capture=nflog:5" },
	{ "capture=nflog:65535", CONF_CAPTURE_NFLOG, 65535, 0,
	  CONF_DIR_INGRESS_LOCAL, " capture=nflog:65535" },
	{ "capture=nflog", CONF_CAPTURE_NFLOG, 0, 0, CONF_DIR_INGRESS_LOCAL,
	  " capture=nflog:0" },
	{ "capture-workers=auto", CONF_CAPTURE_AFPACKET, 0, 0,
	  CONF_DIR_INGRESS_LOCAL, "" },
	{ "capture-workers=1", CONF_CAPTURE_AFPACKET, 0, 1,
	  CONF_DIR_INGRESS_LOCAL, " capture-workers=1" },
	{ "capture-workers=64", CONF_CAPTURE_AFPACKET, 0, 64,
	  CONF_DIR_INGRESS_LOCAL, " capture-workers=64" },
	{ "count-direction=ingress-and-local", CONF_CAPTURE_AFPACKET, 0, 0,
	  CONF_DIR_INGRESS_LOCAL, "" },
	{ "count-direction=ingress", CONF_CAPTURE_AFPACKET, 0, 0,
	  CONF_DIR_INGRESS, " count-direction=ingress" },
	{ "count-direction=egress", CONF_CAPTURE_AFPACKET, 0, 0,
	  CONF_DIR_EGRESS, " count-direction=egress" },
	{ "count-direction=both capture=pcap capture-workers=4",
	  CONF_CAPTURE_PCAP, 0, 4, CONF_DIR_BOTH,
	  " capture=pcap capture-workers=4 count-direction=both" },
};

static const char *const own_bad[] = {
	"capture=nflog:65536", "capture=nflog:", "capture=nflog:x",
	"capture=nflogx", "capture=af", "capture=", "capture-workers=0",
	"capture-workers=65", "capture-workers=-1", "capture-workers=Auto",
	"count-direction=in", "count-direction=",
};

/* Set, parsed back from export (off-default only), refused when bad. */
static void test_tflow_props(void **state)
{
	struct tflow_config c, back;
	struct conf_error err;
	char text[256], *out, *args;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(own_cases) / sizeof(own_cases[0]); i++) {
		const struct own_case *oc = &own_cases[i];

		print_message("own: %s\n", oc->text);
		snprintf(text, sizeof(text), "/ip traffic-flow set %s",
		    oc->text);
		if (parse(text, &c, &err) != 0)
			fail_msg("%s: %s", text, err.msg);
		assert_int_equal(c.capture, oc->capture);
		assert_int_equal(c.nflog_group, oc->group);
		assert_int_equal(c.capture_workers, oc->workers);
		assert_int_equal(c.count_direction, oc->dir);
		out = export_str(&c);
		/* tflow's properties follow RouterOS's on the set line */
		args = strstr(out, "sampling-space=0");
		assert_non_null(args);
		args += strlen("sampling-space=0");
		snprintf(text, sizeof(text), "%s\n", oc->exported);
		/* unwrap RouterOS's `\` continuations before comparing */
		{
			char flat[512];
			size_t n = 0;
			const char *p;

			for (p = args; *p != '\0' && n + 1 < sizeof(flat); p++) {
				if (p[0] == ' ' && p[1] == '\\' && p[2] == '\n') {
					p += 2;
					while (p[1] == ' ')
						p++;
					continue;
				}
				flat[n++] = *p;
			}
			flat[n] = '\0';
			assert_string_equal(flat, text);
		}
		assert_int_equal(parse(out, &back, &err), 0);
		assert_cfg_equal(&c, &back);
		free(out);
	}
	for (i = 0; i < sizeof(own_bad) / sizeof(own_bad[0]); i++) {
		print_message("own bad: %s\n", own_bad[i]);
		snprintf(text, sizeof(text), "/ip traffic-flow set %s",
		    own_bad[i]);
		assert_int_equal(parse(text, &c, &err), -EINVAL);
		/* blamed on the value, just after `=` */
		assert_int_equal(err.column,
		    22 + (strchr(own_bad[i], '=') - own_bad[i]) + 1);
	}
	/* the values name what is wrong */
	assert_int_equal(parse("/ip traffic-flow set capture-workers=0", &c,
	    &err), -EINVAL);
	assert_string_equal(err.msg,
	    "invalid value for argument capture-workers");
	assert_int_equal(parse("/ip traffic-flow set cap=pcap", &c, &err),
	    -EINVAL);
	assert_string_equal(err.msg, "ambiguous: capture, capture-workers");
	assert_int_equal(err.column, 22);
}

/* ---- print where, monitor, kinds, completion ---------------------------- */

static char *run_cmd(struct tflow_config *c, const char *line,
    const struct conf_hooks *hooks, int *rc, struct conf_error *err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	*rc = conf_run_command(c, line, strlen(line), f, hooks, err);
	assert_int_equal(fclose(f), 0);
	return buf;
}

struct where_case {
	const char *cmd;
	const char *rows;	/* the row numbers printed, "" none */
};

static const struct where_case where_cases[] = {
	{ "print where version=5", "1" },
	{ "print where port=2055", "0,2" },
	{ "print where port=02055", "0,2" },	/* compared as values */
	{ "print where version=9 and port=2055", "0" },
	{ "print where version=9 port=2055", "0" },	/* and is implied */
	{ "print where disabled=yes", "2" },
	{ "print where dst-address=2001:db8::1", "2" },
	{ "print where address=192.0.2.11:9995", "1" },
	{ "print where version=1", "" },
	{ "print where", "0,1,2" },
	{ "print detail where version=ipfix", "2" },
	{ "pr wh ver=5", "1" },
};

static void test_print_where(void **state)
{
	struct tflow_config c;
	struct conf_error err;
	char line[128], *out, *p;
	char rows[32];
	size_t i, n;
	int rc;

	(void)state;
	assert_int_equal(parse("/ip traffic-flow target\n"
	    "add dst-address=192.0.2.10 port=2055 version=9\n"
	    "add address=192.0.2.11:9995 version=5\n"
	    "add dst-address=2001:db8::1 version=ipfix disabled=yes\n",
	    &c, &err), 0);
	for (i = 0; i < sizeof(where_cases) / sizeof(where_cases[0]); i++) {
		print_message("where: %s\n", where_cases[i].cmd);
		snprintf(line, sizeof(line), "/ip traffic-flow target %s",
		    where_cases[i].cmd);
		out = run_cmd(&c, line, NULL, &rc, &err);
		if (rc != 0)
			fail_msg("%s: %s", line, err.msg);
		assert_true(strncmp(out, "Flags: X - disabled\n", 20) == 0);
		/* the row numbers at the start of each row */
		n = 0;
		rows[0] = '\0';
		for (p = strchr(out, '\n'); p != NULL && p[1] != '\0';
		    p = strchr(p + 1, '\n')) {
			if (p[1] == ' ' && p[2] >= '0' && p[2] <= '9')
				n += (size_t)snprintf(rows + n,
				    sizeof(rows) - n, "%s%c", n ? "," : "",
				    p[2]);
		}
		assert_string_equal(rows, where_cases[i].rows);
		free(out);
	}
	/* errors name the argument */
	out = run_cmd(&c, "/ip traffic-flow target print where port=x", NULL,
	    &rc, &err);
	assert_int_equal(rc, -EINVAL);
	assert_string_equal(err.msg, "invalid value for argument port");
	assert_int_equal(err.column, 42);
	free(out);
	out = run_cmd(&c, "/ip traffic-flow target print where colour=red",
	    NULL, &rc, &err);
	assert_int_equal(rc, -EINVAL);
	assert_string_equal(err.msg, "unknown parameter colour");
	free(out);
	/* settings menus: all or nothing */
	out = run_cmd(&c, "/ip traffic-flow print where enabled=no", NULL,
	    &rc, &err);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "enabled: no"));
	free(out);
	out = run_cmd(&c, "/ip traffic-flow print where enabled=yes", NULL,
	    &rc, &err);
	assert_int_equal(rc, 0);
	assert_string_equal(out, "");
	free(out);
}

static void mon_hook(void *ctx, FILE *out)
{
	(*(unsigned *)ctx)++;
	fputs("active-flows: 1\n", out);
}

static void test_monitor_cmd(void **state)
{
	unsigned calls = 0;
	struct conf_hooks hooks = { mon_hook, &calls };
	struct tflow_config c, before;
	struct conf_error err;
	char *out;
	int rc;

	(void)state;
	conf_init_defaults(&c);
	before = c;
	out = run_cmd(&c, "/ip traffic-flow monitor once", &hooks, &rc, &err);
	assert_int_equal(rc, 0);
	assert_int_equal(calls, 1);
	assert_string_equal(out, "active-flows: 1\n");
	free(out);
	out = run_cmd(&c, "/ip/traffic-flow/monitor", &hooks, &rc, &err);
	assert_int_equal(rc, 0);
	assert_int_equal(calls, 2);
	free(out);
	/* without the daemon */
	out = run_cmd(&c, "/ip traffic-flow monitor once", NULL, &rc, &err);
	assert_int_equal(rc, -EINVAL);
	assert_string_equal(err.msg, "monitor needs the running tflowd");
	free(out);
	out = run_cmd(&c, "/ip traffic-flow monitor twice", &hooks, &rc, &err);
	assert_int_equal(rc, -EINVAL);
	assert_string_equal(err.msg, "expected end of command");
	assert_int_equal(err.column, 26);
	free(out);
	/* not in the file, not under target */
	assert_int_equal(parse("/ip traffic-flow monitor", &c, &err), -EINVAL);
	assert_string_equal(err.msg, "bad command name monitor");
	out = run_cmd(&c, "/ip traffic-flow target monitor", &hooks, &rc,
	    &err);
	assert_int_equal(rc, -EINVAL);
	free(out);
	assert_int_equal(calls, 2);
	assert_memory_equal(&c, &before, sizeof(c));
}

struct kind_case {
	const char *menu;
	const char *line;
	int kind;
	const char *after;	/* NULL: -EINVAL */
};

static const struct kind_case kind_cases[] = {
	{ "/", "", CONF_KIND_NONE, "/" },
	{ "/", "/ip traffic-flow", CONF_KIND_NONE, "/ip traffic-flow" },
	{ "/", "ip traffic-flow target", CONF_KIND_NONE,
	  "/ip traffic-flow target" },
	{ "/ip traffic-flow target", "..", CONF_KIND_NONE, "/ip traffic-flow" },
	{ "/ip traffic-flow target", "/", CONF_KIND_NONE, "/" },
	{ "/ip traffic-flow", "ipfix", CONF_KIND_NONE,
	  "/ip traffic-flow ipfix" },
	{ "/ip traffic-flow", "print", CONF_KIND_READ, "/ip traffic-flow" },
	{ "/ip traffic-flow target", ".. print detail", CONF_KIND_READ,
	  "/ip traffic-flow target" },
	{ "/", "/export", CONF_KIND_READ, "/" },
	{ "/ip traffic-flow", "monitor", CONF_KIND_MONITOR,
	  "/ip traffic-flow" },
	{ "/ip traffic-flow", "monitor once", CONF_KIND_MONITOR_ONCE,
	  "/ip traffic-flow" },
	{ "/", "/ip/traffic-flow/monitor", CONF_KIND_MONITOR, "/" },
	{ "/ip traffic-flow target", "add dst-address=\"a;b\" x=1",
	  CONF_KIND_CHANGE, "/ip traffic-flow target" },
	{ "/ip traffic-flow", "print; set enabled=yes", CONF_KIND_CHANGE,
	  "/ip traffic-flow" },
	{ "/ip traffic-flow target", "remove 0", CONF_KIND_CHANGE,
	  "/ip traffic-flow target" },
	{ "/", "/ip traffic-flw", -EINVAL, NULL },
	{ "/", "/ip traffic-flow frobnicate", -EINVAL, NULL },
	{ "/ip traffic-flow", "set enabled=\"yes", -EINVAL, NULL },
	{ "nonsense", "print", -EINVAL, NULL },	/* root: no print there */
};

static void test_command_kind(void **state)
{
	struct conf_error err;
	const char *after;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(kind_cases) / sizeof(kind_cases[0]); i++) {
		const struct kind_case *k = &kind_cases[i];

		print_message("kind: [%s] %s\n", k->menu, k->line);
		after = NULL;
		rc = conf_command_kind(k->menu, k->line, strlen(k->line),
		    &after, &err);
		assert_int_equal(rc, k->kind);
		if (k->after != NULL)
			assert_string_equal(after, k->after);
	}
}

struct complete_case {
	const char *menu;
	const char *line;
	size_t start;
	const char *words;	/* space-separated, in order */
	const char *suffixes;	/* one char each */
};

static const struct complete_case complete_cases[] = {
	{ "/", "", 0, "ip export", "  " },
	{ "/", "/i", 1, "ip", " " },
	{ "/", "/ip tr", 4, "traffic-flow", " " },
	{ "/", "/ip/traffic-flow/t", 17, "target", " " },
	{ "/ip traffic-flow", "", 0,
	  "target ipfix set print export monitor", "      " },
	{ "/ip traffic-flow", "s", 0, "set", " " },
	{ "/ip traffic-flow target", "", 0,
	  "set add remove enable disable print export", "       " },
	{ "/ip traffic-flow target", ".. mon", 3, "monitor", " " },
	{ "/ip traffic-flow target", "add v", 4,
	  "version v9-template-refresh v9-template-timeout", "===" },
	{ "/ip traffic-flow target", "add version=", 12, "1 5 9 ipfix",
	  "    " },
	{ "/ip traffic-flow target", "add dst-address=1.2.3.4 po", 24, "port",
	  "=" },
	{ "/ip traffic-flow", "set capture=n", 12, "nflog:", "\0" },
	{ "/ip traffic-flow", "set count-direction=in", 20,
	  "ingress-and-local ingress", "  " },
	{ "/ip traffic-flow", "set ena", 4, "enabled", "=" },
	{ "/ip traffic-flow", "set enabled=", 12, "yes no", "  " },
	{ "/ip traffic-flow", "print ", 6, "detail where", "  " },
	{ "/ip traffic-flow target", "print where ver", 12, "version", "=" },
	{ "/ip traffic-flow", "monitor o", 8, "once", " " },
	{ "/ip traffic-flow", "set cache-entries=", 18, "", "" },
	{ "/", "/nowhere ", 9, "", "" },
	{ "/ip traffic-flow", "print; s", 7, "set", " " },
};

static void test_complete(void **state)
{
	struct conf_completions c;
	char words[512];
	size_t i, n;
	unsigned k;

	(void)state;
	for (i = 0; i < sizeof(complete_cases) / sizeof(complete_cases[0]);
	    i++) {
		const struct complete_case *cc = &complete_cases[i];

		print_message("complete: [%s] '%s'\n", cc->menu, cc->line);
		assert_true(conf_complete(cc->menu, cc->line, strlen(cc->line),
		    &c) >= 0);
		n = 0;
		words[0] = '\0';
		for (k = 0; k < c.n; k++) {
			n += (size_t)snprintf(words + n, sizeof(words) - n,
			    "%s%s", k ? " " : "", c.words[k]);
			assert_int_equal(c.suffix[k], cc->suffixes[k]);
		}
		assert_string_equal(words, cc->words);
		if (c.n > 0)
			assert_int_equal(c.start, cc->start);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_ipfix_every_field),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_abbrev),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_size_bool),
		cmocka_unit_test(test_export_exact),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_file_product_export),
		cmocka_unit_test(test_file_minimal),
		cmocka_unit_test(test_file_canonical),
		cmocka_unit_test(test_file_bad),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_tflow_props),
		cmocka_unit_test(test_print_where),
		cmocka_unit_test(test_monitor_cmd),
		cmocka_unit_test(test_command_kind),
		cmocka_unit_test(test_complete),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
