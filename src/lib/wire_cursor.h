/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * wire_cursor: bounds-checked reading and writing of network-order bytes
 * with a sticky error.  Every encoder and decoder goes through it: once a
 * read or write would cross the end, the cursor stops moving, later calls
 * do nothing (reads return 0) and `err` stays set, so code checks once at
 * the end instead of after every field.  Values are copied with memcpy, so
 * no alignment is assumed.
 */
#ifndef TFLOW_WIRE_CURSOR_H
#define TFLOW_WIRE_CURSOR_H

#include <endian.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct wire_cursor {
	uint8_t *p;		/* next byte */
	uint8_t *end;		/* one past the last usable byte */
	bool err;		/* a read or write would have crossed end */
};

/* Reading a const buffer: the cursor never writes through p when only
 * the get functions are used. */
static inline void wire_init(struct wire_cursor *c, const void *buf,
			     size_t len)
{
	c->p = (uint8_t *)(uintptr_t)buf;
	c->end = c->p + len;
	c->err = false;
}

static inline size_t wire_left(const struct wire_cursor *c)
{
	return (size_t)(c->end - c->p);
}

static inline bool wire_need(struct wire_cursor *c, size_t n)
{
	if (c->err || (size_t)(c->end - c->p) < n) {
		c->err = true;
		return false;
	}
	return true;
}

static inline void wire_skip(struct wire_cursor *c, size_t n)
{
	if (wire_need(c, n))
		c->p += n;
}

static inline void wire_put_bytes(struct wire_cursor *c, const void *v,
				  size_t n)
{
	if (!wire_need(c, n))
		return;
	memcpy(c->p, v, n);
	c->p += n;
}

static inline void wire_put_zero(struct wire_cursor *c, size_t n)
{
	if (!wire_need(c, n))
		return;
	memset(c->p, 0, n);
	c->p += n;
}

static inline void wire_put_u8(struct wire_cursor *c, uint8_t v)
{
	wire_put_bytes(c, &v, 1);
}

static inline void wire_put_u16(struct wire_cursor *c, uint16_t v)
{
	v = htobe16(v);
	wire_put_bytes(c, &v, 2);
}

static inline void wire_put_u32(struct wire_cursor *c, uint32_t v)
{
	v = htobe32(v);
	wire_put_bytes(c, &v, 4);
}

static inline void wire_put_u64(struct wire_cursor *c, uint64_t v)
{
	v = htobe64(v);
	wire_put_bytes(c, &v, 8);
}

/* Big-endian stores at a place the caller has already bounded (no cursor):
 * table and key encoders that write fixed-width fields. */
static inline void wire_store_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void wire_store_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void wire_get_bytes(struct wire_cursor *c, void *out, size_t n)
{
	if (!wire_need(c, n)) {
		memset(out, 0, n);
		return;
	}
	memcpy(out, c->p, n);
	c->p += n;
}

static inline uint8_t wire_get_u8(struct wire_cursor *c)
{
	uint8_t v;

	wire_get_bytes(c, &v, 1);
	return v;
}

static inline uint16_t wire_get_u16(struct wire_cursor *c)
{
	uint16_t v;

	wire_get_bytes(c, &v, 2);
	return be16toh(v);
}

static inline uint32_t wire_get_u32(struct wire_cursor *c)
{
	uint32_t v;

	wire_get_bytes(c, &v, 4);
	return be32toh(v);
}

static inline uint64_t wire_get_u64(struct wire_cursor *c)
{
	uint64_t v;

	wire_get_bytes(c, &v, 8);
	return be64toh(v);
}

/* An unsigned of any reduced size 1..8 (RFC 7011 6.2), big-endian. */
static inline uint64_t wire_get_uint(struct wire_cursor *c, size_t n)
{
	uint8_t b[8];
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 8) {
		wire_skip(c, n);
		return 0;
	}
	wire_get_bytes(c, b, n);
	for (i = 0; i < n; i++)
		v = v << 8 | b[i];
	return v;
}

#endif
