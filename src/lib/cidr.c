/* SPDX-License-Identifier: BSD-2-Clause */
/* cidr: prefix parsing and matching. */
#include "cidr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int cidr_parse(const char *s, struct cidr *out)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned max, i;
	char *end;
	long plen;

	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, buf, out->addr) == 1) {
		out->family = 4;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
		out->family = 6;
		max = 128;
	} else {
		return -EINVAL;
	}
	plen = max;
	if (slash != NULL) {
		errno = 0;
		plen = strtol(slash + 1, &end, 10);
		if (slash[1] == '\0' || *end != '\0' || errno != 0 ||
		    plen < 0 || plen > (long)max)
			return -EINVAL;
	}
	out->prefix = (uint8_t)plen;
	for (i = out->prefix; i < max; i++)
		out->addr[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
	return 0;
}

static bool prefix_equal(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;
	uint8_t mask;

	if (memcmp(a, b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (uint8_t)(0xff << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

bool cidr_match(const struct cidr *c, const uint8_t addr[16], int family)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					    0xff, 0xff };

	if (c->family == 4 && family == 6 && memcmp(addr, mapped, 12) == 0)
		return prefix_equal(c->addr, addr + 12, c->prefix);
	if (c->family != family)
		return false;
	return prefix_equal(c->addr, addr, c->prefix);
}
