/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * store_codec: column transforms of a block (see store_codec.h).  The
 * encoder writes into a buffer sized by store_col_raw_max(), so it needs
 * no bounds checks; the decoder reads untrusted bytes (a file may be
 * damaged) through a bounded reader with a sticky error, and every stream
 * must hold exactly the block's record count.
 */
#include "store_codec.h"

#include <errno.h>
#include <string.h>

/* ---- CRC-32C, bytewise table: only metadata is checksummed ------------- */

static uint32_t crc_table[256];
static int crc_ready;

static void crc_init(void)
{
	uint32_t c;
	unsigned i, k;

	for (i = 0; i < 256; i++) {
		c = i;
		for (k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
		crc_table[i] = c;
	}
	__atomic_store_n(&crc_ready, 1, __ATOMIC_RELEASE);
}

uint32_t store_crc32c(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	/* Two threads may build the table at once; they write the same
	 * values, so the race is harmless. */
	if (!__atomic_load_n(&crc_ready, __ATOMIC_ACQUIRE))
		crc_init();
	crc = ~crc;
	while (len-- > 0)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* ---- encoder ------------------------------------------------------------ */

static uint8_t *put_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

static uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* Short forms of an address: all zero, IPv4 (bytes 4..15 zero), full. */
#define ADDR_ZERO 0
#define ADDR_SHORT 4
#define ADDR_FULL 16

static uint8_t addr_kind(const uint8_t a[16])
{
	static const uint8_t zero[16];

	if (memcmp(a + 4, zero, 12) != 0)
		return ADDR_FULL;
	return memcmp(a, zero, 4) == 0 ? ADDR_ZERO : ADDR_SHORT;
}

static const uint8_t *rec_addr(const struct tflow_record *r,
			       enum store_col col)
{
	switch (col) {
	case STORE_COL_SRC_ADDR:
		return r->src_addr;
	case STORE_COL_DST_ADDR:
		return r->dst_addr;
	default:
		return r->next_hop;
	}
}

/* kinds[n], then the short addresses as 4 planes, the full ones as 16. */
static uint8_t *enc_addr(enum store_col col, const struct tflow_record *recs,
			 size_t n, uint8_t *p)
{
	size_t i, k, n4 = 0, n16 = 0, j4, j16;
	uint8_t kind;

	for (i = 0; i < n; i++) {
		kind = addr_kind(rec_addr(&recs[i], col));
		p[i] = kind;
		n4 += kind == ADDR_SHORT;
		n16 += kind == ADDR_FULL;
	}
	j4 = 0;
	j16 = 0;
	for (i = 0; i < n; i++) {
		const uint8_t *a = rec_addr(&recs[i], col);

		if (p[i] == ADDR_SHORT) {
			for (k = 0; k < 4; k++)
				p[n + k * n4 + j4] = a[k];
			j4++;
		} else if (p[i] == ADDR_FULL) {
			for (k = 0; k < 16; k++)
				p[n + 4 * n4 + k * n16 + j16] = a[k];
			j16++;
		}
	}
	return p + n + 4 * n4 + 16 * n16;
}

size_t store_col_raw_max(enum store_col col, size_t n)
{
	switch (col) {
	case STORE_COL_TIMES:
		return 20 * n;
	case STORE_COL_SRC_ADDR:
	case STORE_COL_DST_ADDR:
	case STORE_COL_NEXT_HOP:
		return 17 * n;
	case STORE_COL_PORTS:
		return 4 * n;
	case STORE_COL_PROTO:
	case STORE_COL_TOS_FLAGS:
	case STORE_COL_MASKS:
		return 2 * n;
	case STORE_COL_COUNTERS:
		return 20 * n;
	case STORE_COL_IFACES:
		return 10 * n;
	case STORE_COL_EXPORTER:
		/* idx 3, sampling 5 + 5, vlan 3, 4 bytes, 2 MACs */
		return 32 * n;
	default:
		return 0;
	}
}

size_t store_col_encode(enum store_col col, const struct tflow_record *recs,
			const uint16_t *exp_idx, size_t n, uint8_t *out)
{
	uint8_t *p = out;
	uint64_t prev = 0;
	size_t i, k;

	switch (col) {
	case STORE_COL_TIMES:
		/* Records arrive in the order their flows ended, so last_ms
		 * is close to its predecessor's; a duration is small and
		 * (from a sane exporter) not negative. */
		for (i = 0; i < n; i++) {
			p = put_varint(p, zigzag((int64_t)(recs[i].last_ms -
							   prev)));
			prev = recs[i].last_ms;
		}
		for (i = 0; i < n; i++)
			p = put_varint(p, zigzag((int64_t)(recs[i].last_ms -
							   recs[i].first_ms)));
		break;
	case STORE_COL_SRC_ADDR:
	case STORE_COL_DST_ADDR:
	case STORE_COL_NEXT_HOP:
		p = enc_addr(col, recs, n, p);
		break;
	case STORE_COL_PORTS:
		for (i = 0; i < n; i++) {
			p[i] = (uint8_t)(recs[i].src_port >> 8);
			p[n + i] = (uint8_t)recs[i].src_port;
			p[2 * n + i] = (uint8_t)(recs[i].dst_port >> 8);
			p[3 * n + i] = (uint8_t)recs[i].dst_port;
		}
		p += 4 * n;
		break;
	case STORE_COL_PROTO:
		for (i = 0; i < n; i++) {
			p[i] = recs[i].proto;
			p[n + i] = recs[i].ip_version;
		}
		p += 2 * n;
		break;
	case STORE_COL_TOS_FLAGS:
		for (i = 0; i < n; i++) {
			p[i] = recs[i].tos;
			p[n + i] = recs[i].tcp_flags;
		}
		p += 2 * n;
		break;
	case STORE_COL_COUNTERS:
		for (i = 0; i < n; i++)
			p = put_varint(p, recs[i].packets);
		for (i = 0; i < n; i++)
			p = put_varint(p, recs[i].octets);
		break;
	case STORE_COL_IFACES:
		for (i = 0; i < n; i++)
			p = put_varint(p, recs[i].in_if);
		for (i = 0; i < n; i++)
			p = put_varint(p, recs[i].out_if);
		break;
	case STORE_COL_MASKS:
		for (i = 0; i < n; i++) {
			p[i] = recs[i].src_mask;
			p[n + i] = recs[i].dst_mask;
		}
		p += 2 * n;
		break;
	case STORE_COL_EXPORTER:
		for (i = 0; i < n; i++)
			p = put_varint(p, exp_idx[i]);
		for (i = 0; i < n; i++)
			p = put_varint(p, recs[i].sampling_packets);
		for (i = 0; i < n; i++)
			p = put_varint(p, recs[i].sampling_space);
		for (i = 0; i < n; i++)
			p = put_varint(p, recs[i].vlan);
		for (i = 0; i < n; i++) {
			p[i] = recs[i].end_reason;
			p[n + i] = recs[i].time_estimated;
			p[2 * n + i] = recs[i].ttl_min;
			p[3 * n + i] = recs[i].ttl_max;
			for (k = 0; k < 6; k++) {
				p[(4 + k) * n + i] = recs[i].src_mac[k];
				p[(10 + k) * n + i] = recs[i].dst_mac[k];
			}
		}
		p += 16 * n;
		break;
	default:
		break;
	}
	return (size_t)(p - out);
}

/* ---- decoder ------------------------------------------------------------ */

struct rd {
	const uint8_t *p, *end;
	int err;
};

static uint64_t get_varint(struct rd *r)
{
	uint64_t v = 0;
	unsigned shift = 0;
	uint8_t b;

	do {
		if (r->p == r->end || shift > 63) {
			r->err = 1;
			return 0;
		}
		b = *r->p++;
		v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
	} while (b & 0x80);
	return v;
}

/* The next `len` bytes as a plane, or NULL (sticky error). */
static const uint8_t *get_plane(struct rd *r, size_t len)
{
	const uint8_t *p = r->p;

	if (r->err || (size_t)(r->end - r->p) < len) {
		r->err = 1;
		return NULL;
	}
	r->p += len;
	return p;
}

static void get_planes_u8(struct rd *r, size_t n, uint8_t *a, uint8_t *b)
{
	const uint8_t *p = get_plane(r, 2 * n);

	if (p == NULL)
		return;
	memcpy(a, p, n);
	memcpy(b, p + n, n);
}

static void dec_addr(struct rd *r, size_t n, uint8_t (*out)[16])
{
	const uint8_t *kinds = get_plane(r, n), *p4, *p16;
	size_t i, k, n4 = 0, n16 = 0, j4 = 0, j16 = 0;

	if (kinds == NULL)
		return;
	for (i = 0; i < n; i++) {
		if (kinds[i] == ADDR_SHORT)
			n4++;
		else if (kinds[i] == ADDR_FULL)
			n16++;
		else if (kinds[i] != ADDR_ZERO) {
			r->err = 1;
			return;
		}
	}
	p4 = get_plane(r, 4 * n4);
	p16 = get_plane(r, 16 * n16);
	if (r->err)
		return;
	for (i = 0; i < n; i++) {
		memset(out[i], 0, 16);
		if (kinds[i] == ADDR_SHORT) {
			for (k = 0; k < 4; k++)
				out[i][k] = p4[k * n4 + j4];
			j4++;
		} else if (kinds[i] == ADDR_FULL) {
			for (k = 0; k < 16; k++)
				out[i][k] = p16[k * n16 + j16];
			j16++;
		}
	}
}

int store_col_decode(enum store_col col, const uint8_t *raw, size_t len,
		     size_t n, struct store_cols *c, struct store_misc *m)
{
	struct rd r = { raw, raw + len, 0 };
	const uint8_t *p;
	uint64_t prev = 0, v;
	size_t i, k;

	switch (col) {
	case STORE_COL_TIMES:
		for (i = 0; i < n; i++) {
			prev += (uint64_t)unzigzag(get_varint(&r));
			c->last_ms[i] = prev;
		}
		for (i = 0; i < n; i++)
			c->first_ms[i] = c->last_ms[i] -
			    (uint64_t)unzigzag(get_varint(&r));
		break;
	case STORE_COL_SRC_ADDR:
		dec_addr(&r, n, c->src_addr);
		break;
	case STORE_COL_DST_ADDR:
		dec_addr(&r, n, c->dst_addr);
		break;
	case STORE_COL_NEXT_HOP:
		dec_addr(&r, n, c->next_hop);
		break;
	case STORE_COL_PORTS:
		if ((p = get_plane(&r, 4 * n)) == NULL)
			break;
		for (i = 0; i < n; i++) {
			c->src_port[i] = (uint16_t)(p[i] << 8 | p[n + i]);
			c->dst_port[i] = (uint16_t)(p[2 * n + i] << 8 |
						    p[3 * n + i]);
		}
		break;
	case STORE_COL_PROTO:
		get_planes_u8(&r, n, c->proto, c->ip_version);
		break;
	case STORE_COL_TOS_FLAGS:
		get_planes_u8(&r, n, c->tos, c->tcp_flags);
		break;
	case STORE_COL_COUNTERS:
		for (i = 0; i < n; i++)
			c->packets[i] = get_varint(&r);
		for (i = 0; i < n; i++)
			c->bytes[i] = get_varint(&r);
		break;
	case STORE_COL_IFACES:
		for (i = 0; i < n; i++) {
			v = get_varint(&r);
			c->in_if[i] = (uint32_t)v;
			r.err |= v > UINT32_MAX;
		}
		for (i = 0; i < n; i++) {
			v = get_varint(&r);
			c->out_if[i] = (uint32_t)v;
			r.err |= v > UINT32_MAX;
		}
		break;
	case STORE_COL_MASKS:
		get_planes_u8(&r, n, c->src_mask, c->dst_mask);
		break;
	case STORE_COL_EXPORTER:
		for (i = 0; i < n; i++) {
			v = get_varint(&r);
			c->exporter[i] = (uint16_t)v;
			r.err |= v > UINT16_MAX;
		}
		for (i = 0; i < n; i++) {
			v = get_varint(&r);
			c->sampling_packets[i] = (uint32_t)v;
			r.err |= v > UINT32_MAX;
		}
		for (i = 0; i < n; i++) {
			v = get_varint(&r);
			c->sampling_space[i] = (uint32_t)v;
			r.err |= v > UINT32_MAX;
		}
		for (i = 0; i < n; i++) {
			v = get_varint(&r);
			c->vlan[i] = (uint16_t)v;
			r.err |= v > UINT16_MAX;
		}
		if ((p = get_plane(&r, 16 * n)) == NULL)
			break;
		for (i = 0; i < n; i++) {
			c->end_reason[i] = p[i];
			c->time_estimated[i] = p[n + i] != 0;
			m->ttl_min[i] = p[2 * n + i];
			m->ttl_max[i] = p[3 * n + i];
			for (k = 0; k < 6; k++) {
				m->src_mac[i][k] = p[(4 + k) * n + i];
				m->dst_mac[i][k] = p[(10 + k) * n + i];
			}
		}
		break;
	default:
		return 0;	/* a newer writer's column: not ours to read */
	}
	if (r.err || r.p != r.end)
		return -EBADMSG;
	return 0;
}
