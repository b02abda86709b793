/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pkt parser tests.  Packets are assembled byte by byte with small header
 * builders, so every field the parser reads is one we wrote on purpose.
 * Each valid packet is also cut at every length from 0 up: a shortened
 * packet must fail with the reason its cut point implies, or parse to
 * exactly the result of the whole packet (when the cut only removed bytes
 * the parser does not need).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "pkt.h"

static const uint8_t MAC_DST[6] = { 0x02, 0x00, 0x5e, 0x10, 0x20, 0x30 };
static const uint8_t MAC_SRC[6] = { 0x02, 0x42, 0xac, 0x11, 0x00, 0x02 };
static const uint8_t V4_SRC[4] = { 192, 0, 2, 1 };
static const uint8_t V4_DST[4] = { 198, 51, 100, 7 };
static const uint8_t V6_SRC[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0x01 };
static const uint8_t V6_DST[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xee, 0, 0,
	0, 0, 0, 0, 0xca, 0xfe, 0, 0x99 };

/* --- packet builder -------------------------------------------------- */

struct pb {
	uint8_t b[2048];
	uint32_t n;
};

static void put(struct pb *p, const void *d, uint32_t n)
{
	assert_true(p->n + n <= sizeof(p->b));
	memcpy(p->b + p->n, d, n);
	p->n += n;
}

static void put8(struct pb *p, uint8_t v)
{
	put(p, &v, 1);
}

static void put16(struct pb *p, uint16_t v)
{
	put8(p, (uint8_t)(v >> 8));
	put8(p, (uint8_t)v);
}

static void put32(struct pb *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p, (uint16_t)v);
}

static void putz(struct pb *p, uint32_t n)
{
	while (n-- > 0)
		put8(p, 0);
}

static void set16(struct pb *p, uint32_t at, uint16_t v)
{
	p->b[at] = (uint8_t)(v >> 8);
	p->b[at + 1] = (uint8_t)v;
}

static void eth(struct pb *p, uint16_t type)
{
	put(p, MAC_DST, 6);
	put(p, MAC_SRC, 6);
	put16(p, type);
}

/* One tag: TCI (PCP 5, DEI 0, `vid`) then the inner type. */
static void vlan(struct pb *p, uint16_t vid, uint16_t inner)
{
	put16(p, (uint16_t)(5 << 13 | vid));
	put16(p, inner);
}

static void sll(struct pb *p, uint16_t proto)
{
	put16(p, 0);		/* packet type: to us */
	put16(p, 1);		/* ARPHRD_ETHER */
	put16(p, 6);
	put(p, MAC_SRC, 6);
	putz(p, 2);
	put16(p, proto);
}

static void sll2(struct pb *p, uint16_t proto, uint32_t ifindex)
{
	put16(p, proto);
	put16(p, 0);
	put32(p, ifindex);
	put16(p, 1);		/* ARPHRD_ETHER */
	put8(p, 4);		/* outgoing */
	put8(p, 6);
	put(p, MAC_SRC, 6);
	putz(p, 2);
}

struct v4 {
	uint8_t tos, ttl, proto;
	uint16_t id, frag;	/* frag: flags and offset field as on the wire */
	uint8_t optwords;	/* 32-bit words of options */
};

/* Returns where the header starts; ip_end() fills in the total length. */
static uint32_t ipv4(struct pb *p, const struct v4 *h)
{
	uint32_t at = p->n, i;

	put8(p, (uint8_t)(0x40 | (5 + h->optwords)));
	put8(p, h->tos);
	put16(p, 0);
	put16(p, h->id);
	put16(p, h->frag);
	put8(p, h->ttl);
	put8(p, h->proto);
	put16(p, 0xbeef);	/* checksum: not checked */
	put(p, V4_SRC, 4);
	put(p, V4_DST, 4);
	for (i = 0; i < h->optwords; i++)
		put32(p, i + 1 == h->optwords ? 0x01010100 : 0x01010101);
	return at;
}

static void ipv4_end(struct pb *p, uint32_t at)
{
	set16(p, at + 2, (uint16_t)(p->n - at));
}

static uint32_t ipv6(struct pb *p, uint8_t tclass, uint8_t nh, uint8_t hlim)
{
	uint32_t at = p->n;

	put32(p, 6u << 28 | (uint32_t)tclass << 20 | 0x12345);
	put16(p, 0);
	put8(p, nh);
	put8(p, hlim);
	put(p, V6_SRC, 16);
	put(p, V6_DST, 16);
	return at;
}

static void ipv6_end(struct pb *p, uint32_t at)
{
	set16(p, at + 4, (uint16_t)(p->n - at - 40));
}

/* Generic extension header of (len + 1) * 8 bytes. */
static void ext(struct pb *p, uint8_t nh, uint8_t len)
{
	put8(p, nh);
	put8(p, len);
	putz(p, (uint32_t)(len + 1) * 8 - 2);
}

static void ext_ah(struct pb *p, uint8_t nh, uint8_t len)
{
	put8(p, nh);
	put8(p, len);
	putz(p, (uint32_t)(len + 2) * 4 - 2);
}

static void ext_frag(struct pb *p, uint8_t nh, uint16_t off8, int more,
		     uint32_t id)
{
	put8(p, nh);
	put8(p, 0);
	put16(p, (uint16_t)(off8 << 3 | (more ? 1 : 0)));
	put32(p, id);
}

static void tcp(struct pb *p, uint16_t sport, uint16_t dport, uint8_t flags)
{
	put16(p, sport);
	put16(p, dport);
	put32(p, 1000);
	put32(p, 0);
	put8(p, 5 << 4);
	put8(p, flags);
	put16(p, 65535);
	put32(p, 0);
}

static void udp(struct pb *p, uint16_t sport, uint16_t dport, uint32_t paylen)
{
	put16(p, sport);
	put16(p, dport);
	put16(p, (uint16_t)(8 + paylen));
	put16(p, 0);
	putz(p, paylen);
}

static void icmp(struct pb *p, uint8_t type, uint8_t code)
{
	put8(p, type);
	put8(p, code);
	put16(p, 0);
	put32(p, 0x00010002);
}

/* --- expectations ----------------------------------------------------- */

struct expect {
	uint8_t ver;
	uint8_t proto;
	uint16_t sport, dport;
	uint8_t tos, ttl, tcp_flags;
	uint16_t vlan;
	uint32_t in_if;
	uint32_t octets;
	uint8_t frag;
	uint32_t frag_id;
	uint8_t has_mac;
};

/* Where the truncation sweep expects each reason. */
struct layout {
	uint32_t l3;		/* IP header offset */
	uint32_t l3_need;	/* IP header bytes incl. options */
	uint32_t l4;		/* upper-layer header offset */
	uint32_t l4_need;	/* bytes needed there; 0 none */
};

struct pcase {
	const char *name;
	enum pkt_linktype link;
	void (*build)(struct pb *p, struct layout *lo);
	struct expect e;
};

static void check_expect(const struct pcase *c, const struct pkt_info *pi)
{
	size_t alen = c->e.ver == 4 ? 4 : 16;
	const uint8_t *src = c->e.ver == 4 ? V4_SRC : V6_SRC;
	const uint8_t *dst = c->e.ver == 4 ? V4_DST : V6_DST;
	static const uint8_t zero[16];

	assert_int_equal(pi->key.ip_version, c->e.ver);
	assert_memory_equal(pi->key.src_addr, src, alen);
	assert_memory_equal(pi->key.dst_addr, dst, alen);
	assert_memory_equal(pi->key.src_addr + alen, zero, 16 - alen);
	assert_memory_equal(pi->key.dst_addr + alen, zero, 16 - alen);
	assert_int_equal(pi->key.proto, c->e.proto);
	assert_int_equal(pi->key.src_port, c->e.sport);
	assert_int_equal(pi->key.dst_port, c->e.dport);
	assert_int_equal(pi->key.tos, c->e.tos);
	assert_int_equal(pi->key.in_if, c->e.in_if);
	assert_int_equal(pi->key.pad, 0);
	assert_int_equal(pi->ttl, c->e.ttl);
	assert_int_equal(pi->tcp_flags, c->e.tcp_flags);
	assert_int_equal(pi->vlan, c->e.vlan);
	assert_int_equal(pi->octets, c->e.octets);
	assert_int_equal(pi->frag, c->e.frag);
	assert_int_equal(pi->frag_id, c->e.frag_id);
	assert_int_equal(pi->has_mac, c->e.has_mac);
	if (c->e.has_mac) {
		assert_memory_equal(pi->src_mac, MAC_SRC, 6);
		assert_memory_equal(pi->dst_mac, MAC_DST, 6);
	} else {
		assert_memory_equal(pi->src_mac, zero, 6);
		assert_memory_equal(pi->dst_mac, zero, 6);
	}
}

/* --- the valid packets --------------------------------------------------- */

static const struct v4 V4_TCP = { .tos = 0xb8, .ttl = 63, .proto = 6,
	.id = 0x1234 };

static void b_eth_v4_tcp(struct pb *p, struct layout *lo)
{
	uint32_t ip;

	eth(p, 0x0800);
	lo->l3 = p->n;
	ip = ipv4(p, &V4_TCP);
	lo->l3_need = 20;
	lo->l4 = p->n;
	lo->l4_need = 14;
	tcp(p, 443, 51515, 0x12);
	putz(p, 100);
	ipv4_end(p, ip);
}

static void b_eth_v4_tcp_padded(struct pb *p, struct layout *lo)
{
	uint32_t ip;

	eth(p, 0x0800);
	lo->l3 = p->n;
	ip = ipv4(p, &V4_TCP);
	lo->l3_need = 20;
	lo->l4 = p->n;
	lo->l4_need = 14;
	tcp(p, 22, 40000, 0x11);	/* 40-byte datagram */
	ipv4_end(p, ip);
	putz(p, 6);			/* Ethernet minimum frame padding */
}

static void b_eth_v4_opts_udp(struct pb *p, struct layout *lo)
{
	static const struct v4 h = { .tos = 0x01, .ttl = 1, .proto = 17,
		.id = 7, .optwords = 3 };
	uint32_t ip;

	eth(p, 0x0800);
	lo->l3 = p->n;
	ip = ipv4(p, &h);
	lo->l3_need = 32;
	lo->l4 = p->n;
	lo->l4_need = 4;
	udp(p, 53, 5353, 30);
	ipv4_end(p, ip);
}

static void b_vlan_v4_icmp(struct pb *p, struct layout *lo)
{
	static const struct v4 h = { .ttl = 255, .proto = 1, .id = 9 };
	uint32_t ip;

	eth(p, 0x8100);
	vlan(p, 100, 0x0800);
	lo->l3 = p->n;
	ip = ipv4(p, &h);
	lo->l3_need = 20;
	lo->l4 = p->n;
	lo->l4_need = 2;
	icmp(p, 8, 0);
	putz(p, 56);
	ipv4_end(p, ip);
}

static void b_qinq4_v6_udp(struct pb *p, struct layout *lo)
{
	uint32_t ip;

	eth(p, 0x88a8);
	vlan(p, 4094, 0x8100);
	vlan(p, 20, 0x9100);
	vlan(p, 30, 0x8100);
	vlan(p, 40, 0x86dd);
	lo->l3 = p->n;
	ip = ipv6(p, 0x2e, 17, 64);
	lo->l3_need = 40;
	lo->l4 = p->n;
	lo->l4_need = 4;
	udp(p, 123, 123, 48);
	ipv6_end(p, ip);
}

static void b_eth_v6_tcp(struct pb *p, struct layout *lo)
{
	uint32_t ip;

	eth(p, 0x86dd);
	lo->l3 = p->n;
	ip = ipv6(p, 0xff, 6, 1);
	lo->l3_need = 40;
	lo->l4 = p->n;
	lo->l4_need = 14;
	tcp(p, 1, 65535, 0xff);
	ipv6_end(p, ip);
}

/* Every extension header kind the parser walks: 8 of them, the limit. */
static void b_eth_v6_ext8_icmp6(struct pb *p, struct layout *lo)
{
	uint32_t ip;

	eth(p, 0x86dd);
	lo->l3 = p->n;
	ip = ipv6(p, 0, 0, 255);
	lo->l3_need = 40;
	/* Each call writes one header; its first argument names the next. */
	ext(p, 43, 0);			/* hop-by-hop */
	ext(p, 44, 2);			/* routing, 24 bytes */
	ext_frag(p, 60, 0, 0, 0xdead);	/* atomic fragment: not a fragment */
	ext(p, 51, 1);			/* destination options, 16 bytes */
	ext_ah(p, 135, 4);		/* AH, (4 + 2) * 4 = 24 bytes */
	ext(p, 139, 0);			/* mobility */
	ext(p, 140, 0);			/* HIP */
	ext(p, 58, 0);			/* shim6 */
	lo->l4 = p->n;
	lo->l4_need = 2;
	icmp(p, 128, 0);
	ipv6_end(p, ip);
}

static void b_eth_v6_esp(struct pb *p, struct layout *lo)
{
	uint32_t ip;

	eth(p, 0x86dd);
	lo->l3 = p->n;
	ip = ipv6(p, 0, 60, 64);
	lo->l3_need = 40;
	ext(p, 50, 0);
	lo->l4 = p->n;
	lo->l4_need = 0;
	put32(p, 0x1000);	/* SPI */
	put32(p, 1);
	putz(p, 40);
	ipv6_end(p, ip);
}

static void b_eth_v6_nonext(struct pb *p, struct layout *lo)
{
	uint32_t ip;

	eth(p, 0x86dd);
	lo->l3 = p->n;
	ip = ipv6(p, 0, 0, 64);
	lo->l3_need = 40;
	ext(p, 59, 0);
	lo->l4 = p->n;
	lo->l4_need = 0;
	ipv6_end(p, ip);
}

static void b_sll_v4_sctp(struct pb *p, struct layout *lo)
{
	static const struct v4 h = { .tos = 0x10, .ttl = 64, .proto = 132 };
	uint32_t ip;

	sll(p, 0x0800);
	lo->l3 = p->n;
	ip = ipv4(p, &h);
	lo->l3_need = 20;
	lo->l4 = p->n;
	lo->l4_need = 4;
	put16(p, 2905);
	put16(p, 3868);
	putz(p, 28);
	ipv4_end(p, ip);
}

static void b_sll_vlan_v6_dccp(struct pb *p, struct layout *lo)
{
	uint32_t ip;

	sll(p, 0x8100);
	vlan(p, 7, 0x86dd);
	lo->l3 = p->n;
	ip = ipv6(p, 0x01, 33, 2);
	lo->l3_need = 40;
	lo->l4 = p->n;
	lo->l4_need = 4;
	put16(p, 5004);
	put16(p, 5005);
	putz(p, 12);
	ipv6_end(p, ip);
}

static void b_sll2_v4_udplite(struct pb *p, struct layout *lo)
{
	static const struct v4 h = { .ttl = 9, .proto = 136 };
	uint32_t ip;

	sll2(p, 0x0800, 0x01020304);
	lo->l3 = p->n;
	ip = ipv4(p, &h);
	lo->l3_need = 20;
	lo->l4 = p->n;
	lo->l4_need = 4;
	udp(p, 1000, 2000, 0);
	ipv4_end(p, ip);
}

static void b_sll2_v6_tcp(struct pb *p, struct layout *lo)
{
	uint32_t ip;

	sll2(p, 0x86dd, 3);
	lo->l3 = p->n;
	ip = ipv6(p, 0x80, 6, 60);
	lo->l3_need = 40;
	lo->l4 = p->n;
	lo->l4_need = 14;
	tcp(p, 80, 33000, 0x01);
	ipv6_end(p, ip);
}

static void b_raw_v4_gre(struct pb *p, struct layout *lo)
{
	static const struct v4 h = { .ttl = 30, .proto = 47 };
	uint32_t ip;

	lo->l3 = p->n;
	ip = ipv4(p, &h);
	lo->l3_need = 20;
	lo->l4 = p->n;
	lo->l4_need = 0;
	put32(p, 0x00000800);
	putz(p, 20);
	ipv4_end(p, ip);
}

static void b_raw_v6_udp(struct pb *p, struct layout *lo)
{
	uint32_t ip;

	lo->l3 = p->n;
	ip = ipv6(p, 0x04, 17, 100);
	lo->l3_need = 40;
	lo->l4 = p->n;
	lo->l4_need = 4;
	udp(p, 4789, 4789, 10);
	ipv6_end(p, ip);
}

static void b_v4_link_first_frag(struct pb *p, struct layout *lo)
{
	static const struct v4 h = { .ttl = 64, .proto = 17, .id = 0xabcd,
		.frag = 0x2000 };
	uint32_t ip;

	lo->l3 = p->n;
	ip = ipv4(p, &h);
	lo->l3_need = 20;
	lo->l4 = p->n;
	lo->l4_need = 4;
	udp(p, 5060, 5061, 1472);	/* first fragment of a bigger datagram */
	set16(p, lo->l4 + 4, 3000);
	ipv4_end(p, ip);
}

static void b_v4_link_later_frag(struct pb *p, struct layout *lo)
{
	static const struct v4 h = { .ttl = 64, .proto = 17, .id = 0xabcd,
		.frag = 185 };			/* offset 1480, last */
	uint32_t ip;

	lo->l3 = p->n;
	ip = ipv4(p, &h);
	lo->l3_need = 20;
	lo->l4 = p->n;
	lo->l4_need = 0;
	put32(p, 0x01020304);		/* would look like ports */
	putz(p, 100);
	ipv4_end(p, ip);
}

static void b_v6_link_first_frag(struct pb *p, struct layout *lo)
{
	uint32_t ip;

	lo->l3 = p->n;
	ip = ipv6(p, 0, 44, 64);
	lo->l3_need = 40;
	ext_frag(p, 6, 0, 1, 0xcafe0001);
	lo->l4 = p->n;
	lo->l4_need = 14;
	tcp(p, 8080, 1234, 0x18);
	putz(p, 64);
	ipv6_end(p, ip);
}

static void b_v6_link_later_frag(struct pb *p, struct layout *lo)
{
	uint32_t ip;

	lo->l3 = p->n;
	ip = ipv6(p, 0, 60, 64);
	lo->l3_need = 40;
	ext(p, 44, 0);
	ext_frag(p, 6, 11, 1, 0xcafe0001);
	lo->l4 = p->n;
	lo->l4_need = 0;
	putz(p, 64);
	ipv6_end(p, ip);
}

static void b_null_le_v4_tcp(struct pb *p, struct layout *lo)
{
	uint32_t ip;

	put(p, (const uint8_t[]){ 2, 0, 0, 0 }, 4);	/* little-endian host */
	lo->l3 = p->n;
	ip = ipv4(p, &V4_TCP);
	lo->l3_need = 20;
	lo->l4 = p->n;
	lo->l4_need = 14;
	tcp(p, 22, 40000, 0x11);
	ipv4_end(p, ip);
}

static void b_null_be_v6_udp(struct pb *p, struct layout *lo)
{
	put32(p, 28);			/* FreeBSD AF_INET6, big-endian host */
	b_raw_v6_udp(p, lo);
}

static void b_null_le_v6_darwin(struct pb *p, struct layout *lo)
{
	put(p, (const uint8_t[]){ 30, 0, 0, 0 }, 4);
	b_raw_v6_udp(p, lo);
}

static void b_loop_v6(struct pb *p, struct layout *lo)
{
	put32(p, 24);			/* OpenBSD AF_INET6 */
	b_raw_v6_udp(p, lo);
}

static void b_loop_v4(struct pb *p, struct layout *lo)
{
	put32(p, 2);
	b_raw_v4_gre(p, lo);
}

static const struct pcase cases[] = {
	{ "eth ipv4 tcp", PKT_LINK_ETHERNET, b_eth_v4_tcp,
	  { 4, 6, 443, 51515, 0xb8, 63, 0x12, 0, 0, 140, 0, 0, 1 } },
	{ "eth ipv4 tcp padded", PKT_LINK_ETHERNET, b_eth_v4_tcp_padded,
	  { 4, 6, 22, 40000, 0xb8, 63, 0x11, 0, 0, 40, 0, 0, 1 } },
	{ "eth ipv4 options udp", PKT_LINK_ETHERNET, b_eth_v4_opts_udp,
	  { 4, 17, 53, 5353, 0x01, 1, 0, 0, 0, 32 + 38, 0, 0, 1 } },
	{ "vlan ipv4 icmp", PKT_LINK_ETHERNET, b_vlan_v4_icmp,
	  { 4, 1, 0, 0x0800, 0, 255, 0, 100, 0, 84, 0, 0, 1 } },
	{ "qinq x4 ipv6 udp", PKT_LINK_ETHERNET, b_qinq4_v6_udp,
	  { 6, 17, 123, 123, 0x2e, 64, 0, 4094, 0, 40 + 56, 0, 0, 1 } },
	{ "eth ipv6 tcp", PKT_LINK_ETHERNET, b_eth_v6_tcp,
	  { 6, 6, 1, 65535, 0xff, 1, 0xff, 0, 0, 60, 0, 0, 1 } },
	{ "eth ipv6 8 ext icmpv6", PKT_LINK_ETHERNET, b_eth_v6_ext8_icmp6,
	  { 6, 58, 0, 0x8000, 0, 255, 0, 0, 0, 40 + 104 + 8, 0, 0, 1 } },
	{ "eth ipv6 esp", PKT_LINK_ETHERNET, b_eth_v6_esp,
	  { 6, 50, 0, 0, 0, 64, 0, 0, 0, 40 + 8 + 48, 0, 0, 1 } },
	{ "eth ipv6 no next header", PKT_LINK_ETHERNET, b_eth_v6_nonext,
	  { 6, 59, 0, 0, 0, 64, 0, 0, 0, 48, 0, 0, 1 } },
	{ "sll ipv4 sctp", PKT_LINK_LINUX_SLL, b_sll_v4_sctp,
	  { 4, 132, 2905, 3868, 0x10, 64, 0, 0, 0, 52, 0, 0, 0 } },
	{ "sll vlan ipv6 dccp", PKT_LINK_LINUX_SLL, b_sll_vlan_v6_dccp,
	  { 6, 33, 5004, 5005, 0x01, 2, 0, 7, 0, 56, 0, 0, 0 } },
	{ "sll2 ipv4 udplite", PKT_LINK_LINUX_SLL2, b_sll2_v4_udplite,
	  { 4, 136, 1000, 2000, 0, 9, 0, 0, 0x01020304, 28, 0, 0, 0 } },
	{ "sll2 ipv6 tcp", PKT_LINK_LINUX_SLL2, b_sll2_v6_tcp,
	  { 6, 6, 80, 33000, 0x80, 60, 0x01, 0, 3, 60, 0, 0, 0 } },
	{ "raw ipv4 gre", PKT_LINK_RAW, b_raw_v4_gre,
	  { 4, 47, 0, 0, 0, 30, 0, 0, 0, 44, 0, 0, 0 } },
	{ "raw ipv6 udp", PKT_LINK_RAW, b_raw_v6_udp,
	  { 6, 17, 4789, 4789, 0x04, 100, 0, 0, 0, 58, 0, 0, 0 } },
	{ "ipv4 first fragment", PKT_LINK_IPV4, b_v4_link_first_frag,
	  { 4, 17, 5060, 5061, 0, 64, 0, 0, 0, 1500, PKT_FRAG_FIRST, 0xabcd,
	    0 } },
	{ "ipv4 later fragment", PKT_LINK_IPV4, b_v4_link_later_frag,
	  { 4, 17, 0, 0, 0, 64, 0, 0, 0, 124, PKT_FRAG_LATER, 0xabcd, 0 } },
	{ "ipv6 first fragment", PKT_LINK_IPV6, b_v6_link_first_frag,
	  { 6, 6, 8080, 1234, 0, 64, 0x18, 0, 0, 40 + 8 + 20 + 64,
	    PKT_FRAG_FIRST, 0xcafe0001, 0 } },
	{ "ipv6 later fragment", PKT_LINK_IPV6, b_v6_link_later_frag,
	  { 6, 6, 0, 0, 0, 64, 0, 0, 0, 40 + 16 + 64, PKT_FRAG_LATER,
	    0xcafe0001, 0 } },
	{ "null le ipv4 tcp", PKT_LINK_NULL, b_null_le_v4_tcp,
	  { 4, 6, 22, 40000, 0xb8, 63, 0x11, 0, 0, 40, 0, 0, 0 } },
	{ "null be ipv6 freebsd", PKT_LINK_NULL, b_null_be_v6_udp,
	  { 6, 17, 4789, 4789, 0x04, 100, 0, 0, 0, 58, 0, 0, 0 } },
	{ "null le ipv6 darwin", PKT_LINK_NULL, b_null_le_v6_darwin,
	  { 6, 17, 4789, 4789, 0x04, 100, 0, 0, 0, 58, 0, 0, 0 } },
	{ "loop ipv6", PKT_LINK_LOOP, b_loop_v6,
	  { 6, 17, 4789, 4789, 0x04, 100, 0, 0, 0, 58, 0, 0, 0 } },
	{ "loop ipv4", PKT_LINK_LOOP, b_loop_v4,
	  { 4, 47, 0, 0, 0, 30, 0, 0, 0, 44, 0, 0, 0 } },
};

static void build(const struct pcase *c, struct pb *p, struct layout *lo)
{
	memset(p, 0, sizeof(*p));
	memset(lo, 0, sizeof(*lo));
	c->build(p, lo);
}

/* Parse from an exactly sized heap copy so ASan sees any overread. */
static enum pkt_reason parse_exact(enum pkt_linktype link, const uint8_t *d,
				   uint32_t caplen, uint32_t wirelen,
				   struct pkt_info *pi)
{
	uint8_t *copy = malloc(caplen > 0 ? caplen : 1);
	enum pkt_reason r;

	assert_non_null(copy);
	memcpy(copy, d, caplen);
	memset(pi, 0xa5, sizeof(*pi));	/* the parser must overwrite it all */
	r = pkt_parse(link, copy, caplen, wirelen, pi);
	free(copy);
	return r;
}

static void test_valid(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pkt_info pi;
		struct layout lo;
		struct pb p;
		enum pkt_reason r;

		build(&cases[i], &p, &lo);
		r = parse_exact(cases[i].link, p.b, p.n, p.n, &pi);
		if (r != PKT_OK)
			fail_msg("%s: %s", cases[i].name, pkt_reason_name(r));
		check_expect(&cases[i], &pi);

		/* wirelen beyond caplen (snaplen cut nothing we need). */
		r = parse_exact(cases[i].link, p.b, p.n, p.n + 1000, &pi);
		assert_int_equal(r, PKT_OK);
		check_expect(&cases[i], &pi);
	}
}

/* Reason expected when only `len` bytes of the case were captured. */
static enum pkt_reason cut_reason(const struct pcase *c,
				  const struct layout *lo, uint32_t len)
{
	if (len < lo->l3)
		return PKT_ERR_L2_TRUNCATED;
	if (len < lo->l3 + lo->l3_need)
		return PKT_ERR_L3_TRUNCATED;
	if (c->e.frag == PKT_FRAG_LATER)
		/* Fragment header itself is in the ext region below. */
		return len < lo->l4 ? PKT_ERR_IPV6_EXT : PKT_OK;
	if (len < lo->l4)
		return PKT_ERR_IPV6_EXT;
	if (len < lo->l4 + lo->l4_need)
		return PKT_ERR_L4_TRUNCATED;
	return PKT_OK;
}

static void test_truncation_sweep(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pkt_info full, pi;
		struct layout lo;
		struct pb p;
		uint32_t len;

		build(&cases[i], &p, &lo);
		assert_int_equal(parse_exact(cases[i].link, p.b, p.n, p.n,
		    &full), PKT_OK);
		for (len = 0; len < p.n; len++) {
			enum pkt_reason want, r;

			r = parse_exact(cases[i].link, p.b, len, p.n, &pi);
			want = cut_reason(&cases[i], &lo, len);
			if (r != want)
				fail_msg("%s cut at %u/%u: got %s, want %s",
				    cases[i].name, len, p.n,
				    pkt_reason_name(r), pkt_reason_name(want));
			if (r == PKT_OK)
				assert_memory_equal(&pi, &full, sizeof(pi));
		}
	}
}

/* --- malformed and non-IP packets --------------------------------------- */

static enum pkt_reason parse_pb(enum pkt_linktype link, const struct pb *p,
				struct pkt_info *pi)
{
	return parse_exact(link, p->b, p->n, p->n, pi);
}

static void v4_udp(struct pb *p, const struct v4 *h)
{
	uint32_t ip = ipv4(p, h);

	udp(p, 1, 2, 10);
	ipv4_end(p, ip);
}

static void test_vlan_depth(void **state)
{
	static const struct v4 h = { .ttl = 1, .proto = 17 };
	struct pkt_info pi;
	struct pb p;

	(void)state;
	memset(&p, 0, sizeof(p));
	eth(&p, 0x8100);
	vlan(&p, 1, 0x8100);
	vlan(&p, 2, 0x88a8);
	vlan(&p, 3, 0x9100);
	vlan(&p, 4, 0x8100);
	vlan(&p, 5, 0x0800);
	v4_udp(&p, &h);
	assert_int_equal(parse_pb(PKT_LINK_ETHERNET, &p, &pi),
	    PKT_ERR_VLAN_DEPTH);

	/* A fifth tag type is enough, even when its bytes were cut. */
	p.n = 14 + 16;
	assert_int_equal(parse_pb(PKT_LINK_ETHERNET, &p, &pi),
	    PKT_ERR_VLAN_DEPTH);
}

static void test_non_ip(void **state)
{
	static const uint16_t types[] = { 0x0806, 0x88cc, 0x8847, 0x8864,
		0x88e5, 0x05dc, 0x002e, 0x0000, 0xffff };
	struct pkt_info pi;
	struct pb p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		memset(&p, 0, sizeof(p));
		eth(&p, types[i]);
		putz(&p, 46);
		assert_int_equal(parse_pb(PKT_LINK_ETHERNET, &p, &pi),
		    PKT_ERR_NON_IP);

		/* Behind a tag, and in the cooked headers. */
		memset(&p, 0, sizeof(p));
		eth(&p, 0x8100);
		vlan(&p, 10, types[i]);
		putz(&p, 46);
		assert_int_equal(parse_pb(PKT_LINK_ETHERNET, &p, &pi),
		    PKT_ERR_NON_IP);
		memset(&p, 0, sizeof(p));
		sll(&p, types[i]);
		putz(&p, 46);
		assert_int_equal(parse_pb(PKT_LINK_LINUX_SLL, &p, &pi),
		    PKT_ERR_NON_IP);
		memset(&p, 0, sizeof(p));
		sll2(&p, types[i], 1);
		putz(&p, 46);
		assert_int_equal(parse_pb(PKT_LINK_LINUX_SLL2, &p, &pi),
		    PKT_ERR_NON_IP);
	}
}

static void test_null_af(void **state)
{
	static const struct {
		uint8_t af[4];
		enum pkt_linktype link;
		enum pkt_reason want;
		uint8_t ver;		/* IP packet placed after it */
	} t[] = {
		{ { 2, 0, 0, 0 }, PKT_LINK_NULL, PKT_OK, 4 },
		{ { 0, 0, 0, 2 }, PKT_LINK_NULL, PKT_OK, 4 },
		{ { 10, 0, 0, 0 }, PKT_LINK_NULL, PKT_OK, 6 },
		{ { 0, 0, 0, 10 }, PKT_LINK_NULL, PKT_OK, 6 },
		{ { 24, 0, 0, 0 }, PKT_LINK_NULL, PKT_OK, 6 },
		{ { 0, 0, 0, 28 }, PKT_LINK_NULL, PKT_OK, 6 },
		{ { 30, 0, 0, 0 }, PKT_LINK_NULL, PKT_OK, 6 },
		{ { 0, 0, 0, 30 }, PKT_LINK_NULL, PKT_OK, 6 },
		{ { 7, 0, 0, 0 }, PKT_LINK_NULL, PKT_ERR_NON_IP, 4 },
		{ { 0, 0, 2, 0 }, PKT_LINK_NULL, PKT_ERR_NON_IP, 4 },
		{ { 0, 0, 0, 2 }, PKT_LINK_LOOP, PKT_OK, 4 },
		{ { 0, 0, 0, 24 }, PKT_LINK_LOOP, PKT_OK, 6 },
		{ { 2, 0, 0, 0 }, PKT_LINK_LOOP, PKT_ERR_NON_IP, 4 },
		{ { 24, 0, 0, 0 }, PKT_LINK_LOOP, PKT_ERR_NON_IP, 6 },
		/* AF says IPv6, the packet is IPv4. */
		{ { 0, 0, 0, 10 }, PKT_LINK_NULL, PKT_ERR_IP_VERSION, 4 },
		{ { 2, 0, 0, 0 }, PKT_LINK_NULL, PKT_ERR_IP_VERSION, 6 },
	};
	static const struct v4 h = { .ttl = 1, .proto = 17 };
	struct pkt_info pi;
	struct pb p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint32_t ip;

		memset(&p, 0, sizeof(p));
		put(&p, t[i].af, 4);
		if (t[i].ver == 4) {
			v4_udp(&p, &h);
		} else {
			ip = ipv6(&p, 0, 17, 1);
			udp(&p, 1, 2, 0);
			ipv6_end(&p, ip);
		}
		if (parse_pb(t[i].link, &p, &pi) != t[i].want)
			fail_msg("row %zu", i);
		if (t[i].want == PKT_OK) {
			assert_int_equal(pi.key.ip_version, t[i].ver);
			assert_int_equal(pi.key.dst_port, 2);
			assert_int_equal(pi.has_mac, 0);
		}
	}
}

static void test_ip_version(void **state)
{
	static const struct v4 h = { .ttl = 1, .proto = 17 };
	struct pkt_info pi;
	struct pb p;
	uint32_t ip;
	unsigned int v;

	(void)state;
	for (v = 0; v < 16; v++) {
		memset(&p, 0, sizeof(p));
		v4_udp(&p, &h);
		p.b[0] = (uint8_t)(v << 4 | 5);
		if (v == 4)
			continue;
		assert_int_equal(parse_pb(PKT_LINK_RAW, &p, &pi),
		    v == 6 ? PKT_ERR_L3_TRUNCATED : PKT_ERR_IP_VERSION);
		assert_int_equal(parse_pb(PKT_LINK_IPV4, &p, &pi),
		    PKT_ERR_IP_VERSION);
	}
	/* Ethertype IPv4 carrying IPv6 and the reverse. */
	memset(&p, 0, sizeof(p));
	eth(&p, 0x0800);
	ip = ipv6(&p, 0, 17, 1);
	udp(&p, 1, 2, 0);
	ipv6_end(&p, ip);
	assert_int_equal(parse_pb(PKT_LINK_ETHERNET, &p, &pi),
	    PKT_ERR_IP_VERSION);
	assert_int_equal(parse_pb(PKT_LINK_IPV6, &p, &pi),
	    PKT_ERR_IP_VERSION);	/* starts with a MAC, not 0x6. */
	memset(&p, 0, sizeof(p));
	eth(&p, 0x86dd);
	v4_udp(&p, &h);
	assert_int_equal(parse_pb(PKT_LINK_ETHERNET, &p, &pi),
	    PKT_ERR_IP_VERSION);
	/* LINKTYPE_IPV6 given an IPv4 packet. */
	memset(&p, 0, sizeof(p));
	v4_udp(&p, &h);
	assert_int_equal(parse_pb(PKT_LINK_IPV6, &p, &pi),
	    PKT_ERR_IP_VERSION);
}

static void test_ipv4_lengths(void **state)
{
	static const struct v4 h = { .ttl = 1, .proto = 17, .tos = 3 };
	struct pkt_info pi;
	struct pb p;
	unsigned int ihl;

	(void)state;
	/* IHL below 5. */
	for (ihl = 0; ihl < 5; ihl++) {
		memset(&p, 0, sizeof(p));
		v4_udp(&p, &h);
		p.b[0] = (uint8_t)(0x40 | ihl);
		assert_int_equal(parse_pb(PKT_LINK_RAW, &p, &pi),
		    PKT_ERR_IP_HDRLEN);
	}
	/* IHL 15 (60 bytes) but total length 38. */
	memset(&p, 0, sizeof(p));
	v4_udp(&p, &h);
	putz(&p, 40);
	p.b[0] = 0x4f;
	assert_int_equal(parse_pb(PKT_LINK_RAW, &p, &pi), PKT_ERR_IP_TOTLEN);
	/* Total length 19. */
	memset(&p, 0, sizeof(p));
	v4_udp(&p, &h);
	set16(&p, 2, 19);
	assert_int_equal(parse_pb(PKT_LINK_RAW, &p, &pi), PKT_ERR_IP_TOTLEN);
	/* Total length 20 with UDP: no room for the ports in the datagram,
	 * although the capture has bytes after it. */
	set16(&p, 2, 20);
	assert_int_equal(parse_pb(PKT_LINK_RAW, &p, &pi),
	    PKT_ERR_L4_TRUNCATED);
	set16(&p, 2, 24);
	assert_int_equal(parse_pb(PKT_LINK_RAW, &p, &pi), PKT_OK);
	assert_int_equal(pi.octets, 24);
	assert_int_equal(pi.key.dst_port, 2);
	/* Total length one more than the wire: 38 bytes sent. */
	set16(&p, 2, 39);
	assert_int_equal(parse_pb(PKT_LINK_RAW, &p, &pi), PKT_ERR_IP_TOTLEN);
	assert_int_equal(parse_exact(PKT_LINK_RAW, p.b, p.n, 39, &pi),
	    PKT_OK);
	assert_int_equal(pi.octets, 39);
	/* The same with an Ethernet header: the wire minus 14. */
	memset(&p, 0, sizeof(p));
	eth(&p, 0x0800);
	v4_udp(&p, &h);
	set16(&p, 14 + 2, 1500);
	assert_int_equal(parse_exact(PKT_LINK_ETHERNET, p.b, p.n, 1513, &pi),
	    PKT_ERR_IP_TOTLEN);
	assert_int_equal(parse_exact(PKT_LINK_ETHERNET, p.b, p.n, 1514, &pi),
	    PKT_OK);
	assert_int_equal(pi.octets, 1500);
	/* TSO/GSO: total length 0 means the wire length. */
	set16(&p, 14 + 2, 0);
	assert_int_equal(parse_exact(PKT_LINK_ETHERNET, p.b, p.n, 64014, &pi),
	    PKT_OK);
	assert_int_equal(pi.octets, 64000);
	assert_int_equal(pi.key.tos, 3);
	assert_int_equal(pi.key.src_port, 1);
	/* ... and a wire length below the header it claims. */
	memset(&p, 0, sizeof(p));
	v4_udp(&p, &h);
	p.b[0] = 0x46;
	set16(&p, 2, 0);
	p.n = 22;
	assert_int_equal(parse_pb(PKT_LINK_RAW, &p, &pi), PKT_ERR_IP_TOTLEN);
	/* wirelen below caplen is treated as caplen. */
	memset(&p, 0, sizeof(p));
	v4_udp(&p, &h);
	assert_int_equal(parse_exact(PKT_LINK_RAW, p.b, p.n, 0, &pi), PKT_OK);
	assert_int_equal(pi.octets, 38);
}

static void test_ipv4_fragments(void **state)
{
	static const struct {
		uint16_t frag;
		uint8_t want;
	} t[] = {
		{ 0x0000, PKT_FRAG_NONE },
		{ 0x4000, PKT_FRAG_NONE },	/* DF */
		{ 0x8000, PKT_FRAG_NONE },	/* reserved bit */
		{ 0x2000, PKT_FRAG_FIRST },
		{ 0x6000, PKT_FRAG_FIRST },
		{ 0x2001, PKT_FRAG_LATER },
		{ 0x0001, PKT_FRAG_LATER },
		{ 0x1fff, PKT_FRAG_LATER },
	};
	struct pkt_info pi;
	struct pb p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct v4 h = { .ttl = 8, .proto = 6, .id = 0x4242,
			.frag = t[i].frag };
		uint32_t ip;

		memset(&p, 0, sizeof(p));
		ip = ipv4(&p, &h);
		tcp(&p, 100, 200, 0x02);
		ipv4_end(&p, ip);
		assert_int_equal(parse_pb(PKT_LINK_RAW, &p, &pi), PKT_OK);
		assert_int_equal(pi.frag, t[i].want);
		assert_int_equal(pi.frag_id,
		    t[i].want == PKT_FRAG_NONE ? 0 : 0x4242);
		assert_int_equal(pi.key.src_port,
		    t[i].want == PKT_FRAG_LATER ? 0 : 100);
		assert_int_equal(pi.tcp_flags,
		    t[i].want == PKT_FRAG_LATER ? 0 : 0x02);
		/* A later fragment of 4 bytes still parses: no L4 header. */
		p.n = 24;
		set16(&p, 2, 24);
		assert_int_equal(parse_pb(PKT_LINK_RAW, &p, &pi),
		    t[i].want == PKT_FRAG_LATER ? PKT_OK :
		    PKT_ERR_L4_TRUNCATED);
	}
}

static void test_ipv6_ext_chain(void **state)
{
	struct pkt_info pi;
	struct pb p;
	uint32_t ip, i;

	(void)state;
	/* Nine extension headers: one too many. */
	memset(&p, 0, sizeof(p));
	ip = ipv6(&p, 0, 60, 1);
	for (i = 0; i < 9; i++)
		ext(&p, i < 8 ? 60 : 17, 0);
	udp(&p, 1, 2, 0);
	ipv6_end(&p, ip);
	assert_int_equal(parse_pb(PKT_LINK_RAW, &p, &pi), PKT_ERR_IPV6_EXT);
	/* Eight: fine. */
	memset(&p, 0, sizeof(p));
	ip = ipv6(&p, 0, 60, 1);
	for (i = 0; i < 8; i++)
		ext(&p, i < 7 ? 60 : 17, 0);
	udp(&p, 1, 2, 0);
	ipv6_end(&p, ip);
	assert_int_equal(parse_pb(PKT_LINK_RAW, &p, &pi), PKT_OK);
	assert_int_equal(pi.key.proto, 17);
	assert_int_equal(pi.key.dst_port, 2);
	/* Routing header claiming 2048 bytes. */
	memset(&p, 0, sizeof(p));
	ip = ipv6(&p, 0, 43, 1);
	ext(&p, 17, 0);
	udp(&p, 1, 2, 0);
	ipv6_end(&p, ip);
	p.b[41] = 255;
	assert_int_equal(parse_pb(PKT_LINK_RAW, &p, &pi), PKT_ERR_IPV6_EXT);
	/* AH whose length runs past the capture. */
	memset(&p, 0, sizeof(p));
	ip = ipv6(&p, 0, 51, 1);
	ext_ah(&p, 6, 4);
	tcp(&p, 1, 2, 0);
	ipv6_end(&p, ip);
	assert_int_equal(parse_pb(PKT_LINK_RAW, &p, &pi), PKT_OK);
	assert_int_equal(pi.key.src_port, 1);
	p.b[41] = 9;		/* 44 bytes: 24 AH + 20 TCP = exactly fits */
	assert_int_equal(parse_pb(PKT_LINK_RAW, &p, &pi),
	    PKT_ERR_L4_TRUNCATED);
	p.b[41] = 10;		/* 48 bytes: past the end */
	assert_int_equal(parse_pb(PKT_LINK_RAW, &p, &pi), PKT_ERR_IPV6_EXT);
	/* Extension header bytes present in the capture but beyond the
	 * payload length: the datagram ends first. */
	memset(&p, 0, sizeof(p));
	ip = ipv6(&p, 0, 0, 1);
	ext(&p, 17, 1);
	udp(&p, 1, 2, 0);
	set16(&p, ip + 4, 8);
	assert_int_equal(parse_pb(PKT_LINK_RAW, &p, &pi), PKT_ERR_IPV6_EXT);
}

static void test_ipv6_lengths(void **state)
{
	struct pkt_info pi;
	struct pb p;
	uint32_t ip;

	(void)state;
	memset(&p, 0, sizeof(p));
	sll2(&p, 0x86dd, 77);
	ip = ipv6(&p, 0xa0, 17, 1);
	udp(&p, 1, 2, 0);
	ipv6_end(&p, ip);
	assert_int_equal(parse_pb(PKT_LINK_LINUX_SLL2, &p, &pi), PKT_OK);
	assert_int_equal(pi.octets, 48);
	assert_int_equal(pi.key.tos, 0xa0);
	assert_int_equal(pi.key.in_if, 77);
	/* Payload length beyond the wire. */
	set16(&p, ip + 4, 9);
	assert_int_equal(parse_pb(PKT_LINK_LINUX_SLL2, &p, &pi),
	    PKT_ERR_IP_TOTLEN);
	/* Payload length shorter than the UDP header. */
	set16(&p, ip + 4, 3);
	assert_int_equal(parse_pb(PKT_LINK_LINUX_SLL2, &p, &pi),
	    PKT_ERR_L4_TRUNCATED);
	/* Jumbogram / BIG TCP: 0 means the wire length minus SLL2. */
	set16(&p, ip + 4, 0);
	assert_int_equal(parse_exact(PKT_LINK_LINUX_SLL2, p.b, p.n, 150020,
	    &pi), PKT_OK);
	assert_int_equal(pi.octets, 150000);
	assert_int_equal(pi.key.dst_port, 2);
}

static void test_misc_links(void **state)
{
	struct pkt_info pi;
	struct pb p;
	int link;

	(void)state;
	memset(&p, 0, sizeof(p));
	eth(&p, 0x0800);
	assert_int_equal(parse_pb((enum pkt_linktype)105, &p, &pi),
	    PKT_ERR_LINKTYPE);
	assert_int_equal(parse_pb((enum pkt_linktype)-1, &p, &pi),
	    PKT_ERR_LINKTYPE);
	/* Empty captures. */
	assert_int_equal(parse_exact(PKT_LINK_RAW, p.b, 0, 0, &pi),
	    PKT_ERR_L3_TRUNCATED);
	assert_int_equal(parse_exact(PKT_LINK_IPV6, p.b, 0, 100, &pi),
	    PKT_ERR_L3_TRUNCATED);
	assert_int_equal(parse_exact(PKT_LINK_ETHERNET, p.b, 0, 0, &pi),
	    PKT_ERR_L2_TRUNCATED);
	assert_int_equal(parse_exact(PKT_LINK_ETHERNET, p.b, 14, 14, &pi),
	    PKT_ERR_L3_TRUNCATED);

	for (link = -2; link < 300; link++) {
		bool want = link == 0 || link == 1 || link == 101 ||
		    link == 108 || link == 113 || link == 228 || link == 229 ||
		    link == 276;

		assert_int_equal(pkt_linktype_supported(link), want);
	}
}

static void test_ports_by_proto(void **state)
{
	static const struct {
		uint8_t proto;
		uint16_t sport, dport;
	} t[] = {
		{ 6, 0x0102, 0x0304 }, { 17, 0x0102, 0x0304 },
		{ 132, 0x0102, 0x0304 }, { 136, 0x0102, 0x0304 },
		{ 33, 0x0102, 0x0304 }, { 1, 0, 0x0102 }, { 58, 0, 0x0102 },
		{ 47, 0, 0 }, { 50, 0, 0 }, { 51, 0, 0 }, { 89, 0, 0 },
		{ 4, 0, 0 }, { 41, 0, 0 }, { 255, 0, 0 },
	};
	struct pkt_info pi;
	struct pb p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct v4 h = { .ttl = 1, .proto = t[i].proto };
		uint32_t ip, j;

		memset(&p, 0, sizeof(p));
		ip = ipv4(&p, &h);
		for (j = 1; j <= 20; j++)
			put8(&p, (uint8_t)j);
		ipv4_end(&p, ip);
		assert_int_equal(parse_pb(PKT_LINK_IPV4, &p, &pi), PKT_OK);
		assert_int_equal(pi.key.proto, t[i].proto);
		assert_int_equal(pi.key.src_port, t[i].sport);
		assert_int_equal(pi.key.dst_port, t[i].dport);
		assert_int_equal(pi.tcp_flags, t[i].proto == 6 ? 14 : 0);
	}
}

static void test_reason_names(void **state)
{
	static const char *const want[] = {
		"ok", "unsupported_linktype", "l2_truncated", "vlan_too_deep",
		"non_ip", "l3_truncated", "bad_ip_version",
		"bad_ip_header_length", "bad_ip_total_length",
		"bad_ipv6_ext_chain", "l4_truncated",
	};
	int r;

	(void)state;
	assert_int_equal(sizeof(want) / sizeof(want[0]), PKT_REASON_MAX);
	for (r = 0; r < PKT_REASON_MAX; r++)
		assert_string_equal(pkt_reason_name((enum pkt_reason)r),
		    want[r]);
	assert_non_null(pkt_reason_name(PKT_REASON_MAX));
	assert_non_null(pkt_reason_name((enum pkt_reason)-1));
	assert_non_null(pkt_reason_name((enum pkt_reason)1000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_truncation_sweep),
		cmocka_unit_test(test_vlan_depth),
		cmocka_unit_test(test_non_ip),
		cmocka_unit_test(test_null_af),
		cmocka_unit_test(test_ip_version),
		cmocka_unit_test(test_ipv4_lengths),
		cmocka_unit_test(test_ipv4_fragments),
		cmocka_unit_test(test_ipv6_ext_chain),
		cmocka_unit_test(test_ipv6_lengths),
		cmocka_unit_test(test_misc_links),
		cmocka_unit_test(test_ports_by_proto),
		cmocka_unit_test(test_reason_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
