/* SPDX-License-Identifier: BSD-2-Clause */
/* Placeholder until the parser lands. */
#include "pkt.h"
enum pkt_reason pkt_parse(enum pkt_linktype link, const uint8_t *data,
			  uint32_t caplen, uint32_t wirelen, struct pkt_info *out)
{
	(void)link; (void)data; (void)caplen; (void)wirelen; (void)out;
	return PKT_ERR_LINKTYPE;
}
const char *pkt_reason_name(enum pkt_reason r) { (void)r; return "unknown"; }
bool pkt_linktype_supported(int link) { (void)link; return false; }
