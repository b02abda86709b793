/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target for pkt_parse().  Input layout: one selector byte, then the
 * captured packet.  The selector's low 3 bits pick one of the supported
 * link types; its high 5 bits k make wirelen = caplen + 2^k - 1, so the
 * total-length, TSO and jumbogram paths see wire lengths beyond the
 * capture.  The packet is the tail of the input, so a read past caplen is
 * a read past the fuzzer's (or replay.c's exactly sized) buffer.
 * Results are checked against the invariants the flow cache relies on.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const enum pkt_linktype links[8] = {
	PKT_LINK_ETHERNET, PKT_LINK_LINUX_SLL, PKT_LINK_LINUX_SLL2,
	PKT_LINK_RAW, PKT_LINK_IPV4, PKT_LINK_IPV6, PKT_LINK_NULL,
	PKT_LINK_LOOP,
};

static void check(const struct pkt_info *pi, uint32_t wirelen)
{
	static const uint8_t zero[16];
	const struct flow_key *k = &pi->key;

	if (k->ip_version != 4 && k->ip_version != 6)
		abort();
	if (k->pad != 0 || pi->frag > PKT_FRAG_LATER || pi->has_mac > 1)
		abort();
	if (k->ip_version == 4 && (memcmp(k->src_addr + 4, zero, 12) != 0 ||
	    memcmp(k->dst_addr + 4, zero, 12) != 0))
		abort();
	if (pi->frag == PKT_FRAG_LATER &&
	    (k->src_port != 0 || k->dst_port != 0 || pi->tcp_flags != 0))
		abort();
	if (k->proto != 6 && pi->tcp_flags != 0)
		abort();
	if (pi->octets > wirelen || pi->vlan > 0x0fff)
		abort();
	if (k->ip_version == 4 ? pi->octets < 20 : pi->octets < 40)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt_info pi;
	enum pkt_linktype link;
	uint32_t caplen, wirelen;
	unsigned int k;

	if (size < 1 || size - 1 > UINT32_MAX / 2)
		return 0;
	link = links[data[0] & 7];
	k = data[0] >> 3;
	caplen = (uint32_t)(size - 1);
	wirelen = caplen + ((UINT32_C(1) << k) - 1);
	if (wirelen < caplen)
		wirelen = UINT32_MAX;
	if (pkt_parse(link, data + 1, caplen, wirelen, &pi) == PKT_OK)
		check(&pi, wirelen);
	return 0;
}
