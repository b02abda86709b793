/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_export_set: the set of export targets over real UDP sockets on
 * 127.0.0.1 ports bound here.  What a collector sees proves what the set
 * did: an unchanged v9 target keeps counting its sequence across a
 * reconfiguration (a new encoder would start again at 0 with templates),
 * a removed target sends what it held before it goes, a new target starts
 * with templates, a failed reconfiguration changes nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "conf.h"
#include "ctl.h"
#include "export.h"

#define NOW_MS	UINT64_C(1700000000000)

struct collector {
	int fd;
	uint16_t port;
};

static void collector_open(struct collector *c)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct timeval tv = { 5, 0 };	/* generous: the machine is shared */

	c->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(c->fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(c->fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(c->fd, (struct sockaddr *)&sin, &len), 0);
	c->port = ntohs(sin.sin_port);
	assert_int_equal(setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
				    sizeof(tv)), 0);
}

/* One datagram; its length, or 0 after the timeout. */
static size_t collector_recv(struct collector *c, uint8_t *buf, size_t size)
{
	ssize_t n = recv(c->fd, buf, size, 0);

	return n < 0 ? 0 : (size_t)n;
}

/* Nothing waiting right now. */
static void collector_quiet(struct collector *c)
{
	uint8_t buf[64];

	assert_int_equal(recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void add_target(struct tflow_config *cfg, uint16_t port,
		       enum conf_version v)
{
	struct conf_target *t = &cfg->targets[cfg->n_targets++];
	struct sockaddr_in sin;

	memset(t, 0, sizeof(*t));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	memcpy(&t->dst, &sin, sizeof(sin));
	t->version = v;
	t->template_refresh = 20;
	t->template_timeout_ms = 30 * 60 * 1000;
}

static void record(struct tflow_record *r, uint8_t host)
{
	memset(r, 0, sizeof(*r));
	r->ip_version = 4;
	r->proto = 17;
	r->src_addr[0] = 192;
	r->src_addr[1] = 0;
	r->src_addr[2] = 2;
	r->src_addr[3] = host;
	r->dst_addr[0] = 198;
	r->dst_addr[1] = 51;
	r->dst_addr[2] = 100;
	r->dst_addr[3] = 1;
	r->src_port = 1000;
	r->dst_port = 53;
	r->packets = 3;
	r->octets = 300;
	r->first_ms = NOW_MS - 2000;
	r->last_ms = NOW_MS - 1000;
}

/* The first set id of a v9 datagram: 0 a template flowset, 1 options
 * template, >= 256 data. */
static uint16_t v9_first_set(const uint8_t *d)
{
	return be16(d + 20);
}

static void test_reconfigure(void **state)
{
	struct collector a, b, c;
	struct tflow_config cfg;
	struct tflow_record r;
	struct export_set *xs;
	struct ctl_monitor *m;
	uint8_t buf[2048];
	char err[256];
	size_t n;

	(void)state;
	collector_open(&a);
	collector_open(&b);
	collector_open(&c);
	conf_init_defaults(&cfg);
	add_target(&cfg, a.port, CONF_VERSION_9);
	add_target(&cfg, b.port, CONF_VERSION_5);
	xs = export_set_new(&cfg, NOW_MS - 60000, false, 0, err, sizeof(err));
	assert_non_null(xs);
	assert_int_equal(export_set_count(xs), 2);

	record(&r, 1);
	export_set_record(xs, &r, NOW_MS);
	export_set_flush(xs, NOW_MS);
	n = collector_recv(&a, buf, sizeof(buf));
	assert_true(n > 20);
	assert_int_equal(be16(buf), 9);
	assert_int_equal(be32(buf + 12), 0);		/* sequence */
	assert_int_equal(v9_first_set(buf), 0);		/* templates */
	n = collector_recv(&b, buf, sizeof(buf));
	assert_int_equal(n, 24 + 48);
	assert_int_equal(be16(buf), 5);
	assert_int_equal(be16(buf + 2), 1);

	/* a record waits in both encoders; then B goes and C comes */
	record(&r, 2);
	export_set_record(xs, &r, NOW_MS);
	cfg.n_targets = 0;
	add_target(&cfg, c.port, CONF_VERSION_IPFIX);
	add_target(&cfg, a.port, CONF_VERSION_9);
	assert_int_equal(export_set_reconfigure(xs, &cfg, NOW_MS, err,
						sizeof(err)), 0);
	assert_int_equal(export_set_count(xs), 2);
	/* B sent what it held on its way out */
	n = collector_recv(&b, buf, sizeof(buf));
	assert_int_equal(n, 24 + 48);
	assert_int_equal(be16(buf + 2), 1);
	assert_int_equal(buf[24 + 3], 2);		/* srcaddr 192.0.2.2 */
	collector_quiet(&a);

	export_set_flush(xs, NOW_MS + 1000);
	n = collector_recv(&a, buf, sizeof(buf));
	assert_true(n > 20);
	/* the same encoder: the sequence goes on, no templates yet */
	assert_int_equal(be32(buf + 12), 1);
	assert_true(v9_first_set(buf) >= 256);
	collector_quiet(&c);

	record(&r, 3);
	export_set_record(xs, &r, NOW_MS + 2000);
	export_set_flush(xs, NOW_MS + 2000);
	n = collector_recv(&c, buf, sizeof(buf));
	assert_true(n > 16);
	assert_int_equal(be16(buf), 10);
	assert_int_equal(be32(buf + 8), 0);		/* IPFIX: records */
	assert_int_equal(be16(buf + 16), 2);		/* template set */
	n = collector_recv(&a, buf, sizeof(buf));
	assert_int_equal(be32(buf + 12), 2);

	/* a bad target refuses the whole change: A and C stay as they are */
	add_target(&cfg, b.port, (enum conf_version)7);
	err[0] = '\0';
	assert_true(export_set_reconfigure(xs, &cfg, NOW_MS, err,
					   sizeof(err)) < 0);
	assert_non_null(strstr(err, "encoder"));
	assert_int_equal(export_set_count(xs), 2);
	record(&r, 4);
	export_set_record(xs, &r, NOW_MS + 3000);
	export_set_flush(xs, NOW_MS + 3000);
	n = collector_recv(&a, buf, sizeof(buf));
	assert_int_equal(be32(buf + 12), 3);
	n = collector_recv(&c, buf, sizeof(buf));
	/* IPFIX counts data records, options data too: not 0 again, and
	 * no templates this soon */
	assert_true(n > 16);
	assert_int_not_equal(be32(buf + 8), 0);
	assert_true(be16(buf + 16) >= 256);
	collector_quiet(&b);

	/* monitor: both, in config order */
	m = calloc(1, sizeof(*m));
	assert_non_null(m);
	export_set_monitor(xs, m);
	assert_int_equal(m->n_targets, 2);
	snprintf((char *)buf, sizeof(buf), "127.0.0.1:%u", (unsigned)c.port);
	assert_string_equal(m->targets[0].name, (char *)buf);
	assert_int_equal(m->targets[0].version, 10);
	assert_int_equal(m->targets[0].datagrams, 2);
	assert_int_equal(m->targets[0].records, 2);
	assert_true(m->targets[0].templates >= 1);
	assert_int_equal(m->targets[1].version, 9);
	assert_int_equal(m->targets[1].datagrams, 4);
	assert_int_equal(m->targets[1].records, 4);
	assert_int_equal(m->targets[1].send_errors, 0);
	assert_string_equal(m->targets[1].last_error, "");

	/* disabling a target is removing it; sampling changes only the
	 * targets that announce it */
	cfg.n_targets = 2;
	cfg.targets[0].disabled = true;
	assert_int_equal(export_set_reconfigure(xs, &cfg, NOW_MS, err,
						sizeof(err)), 0);
	assert_int_equal(export_set_count(xs), 1);
	cfg.packet_sampling = true;
	cfg.sampling_interval = 1;
	cfg.sampling_space = 9;
	assert_int_equal(export_set_reconfigure(xs, &cfg, NOW_MS, err,
						sizeof(err)), 0);
	record(&r, 5);
	export_set_record(xs, &r, NOW_MS + 4000);
	export_set_flush(xs, NOW_MS + 4000);
	n = collector_recv(&a, buf, sizeof(buf));
	assert_true(n > 20);
	/* a new v9 encoder: sequence from 0, templates first */
	assert_int_equal(be32(buf + 12), 0);
	assert_int_equal(v9_first_set(buf), 0);

	export_set_free(xs);
	free(m);
	close(a.fd);
	close(b.fd);
	close(c.fd);
}

/* No enabled target is a valid set, which targets can join later. */
static void test_empty(void **state)
{
	struct exp_iface ifs[2] = {
		{ 1, "lo", "" }, { 2, "eth0", "uplink" },
	};
	struct collector a;
	struct tflow_config cfg;
	struct tflow_record r;
	struct export_set *xs;
	struct ctl_monitor m;
	uint8_t buf[2048];
	char err[256];
	size_t n;

	(void)state;
	collector_open(&a);
	conf_init_defaults(&cfg);
	add_target(&cfg, a.port, CONF_VERSION_9);
	cfg.targets[0].disabled = true;
	xs = export_set_new(&cfg, NOW_MS, false, 0, err, sizeof(err));
	assert_non_null(xs);
	assert_int_equal(export_set_count(xs), 0);
	record(&r, 1);
	export_set_record(xs, &r, NOW_MS);
	export_set_flush(xs, NOW_MS);
	memset(&m, 0xff, sizeof(m));
	export_set_monitor(xs, &m);
	assert_int_equal(m.n_targets, 0);
	/* the table is kept for targets that come later */
	export_set_interfaces(xs, ifs, 2);
	collector_quiet(&a);

	cfg.targets[0].disabled = false;
	assert_int_equal(export_set_reconfigure(xs, &cfg, NOW_MS, err,
						sizeof(err)), 0);
	assert_int_equal(export_set_count(xs), 1);
	export_set_record(xs, &r, NOW_MS);
	export_set_flush(xs, NOW_MS);
	n = collector_recv(&a, buf, sizeof(buf));
	assert_true(n > 20);
	assert_int_equal(be16(buf), 9);
	/* "eth0" and "uplink" travel in the interface options data */
	assert_non_null(memmem(buf, n, "uplink", 6));
	assert_non_null(memmem(buf, n, "eth0", 4));
	export_set_free(xs);
	close(a.fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reconfigure),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
