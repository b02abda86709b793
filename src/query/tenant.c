/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tenant: longest-prefix match by exact lookups, one per distinct prefix
 * length of the address's family, longest first, in one open-addressing
 * table of (family, length, masked address).  Tenant maps have a handful
 * of lengths (/24, /29, /32, /48, /56...), so a lookup is a few probes of
 * a small table, with no trie to build or walk.
 */
#include "tenant.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pfx {
	uint8_t addr[16];	/* host bits clear */
	uint8_t family;		/* 0: empty slot */
	uint8_t prefix;
	uint32_t id;
};

struct tenant_map {
	struct pfx *slots;
	size_t n_slots, n_pfx;
	char **names;		/* names[id - 1] */
	uint32_t n_names;
	uint8_t lens4[33], n_lens4;	/* distinct lengths, longest first */
	uint8_t lens6[129], n_lens6;
};

struct tenant_map *tenant_map_new(void)
{
	return calloc(1, sizeof(struct tenant_map));
}

void tenant_map_free(struct tenant_map *m)
{
	uint32_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->n_names; i++)
		free(m->names[i]);
	free(m->names);
	free(m->slots);
	free(m);
}

static size_t pfx_hash(const uint8_t a[16], uint8_t family, uint8_t prefix)
{
	uint64_t w[2], h;

	memcpy(w, a, 16);
	h = (w[0] * 0x9e3779b97f4a7c15ULL) ^ (w[1] + 0x632be59bd9b4e019ULL) ^
	    ((uint64_t)family << 8 | prefix);
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 29;
	return (size_t)h;
}

static struct pfx *slot_of(const struct tenant_map *m, const uint8_t a[16],
			   uint8_t family, uint8_t prefix)
{
	size_t j = pfx_hash(a, family, prefix) & (m->n_slots - 1);

	for (;; j = (j + 1) & (m->n_slots - 1)) {
		struct pfx *p = &m->slots[j];

		if (p->family == 0 || (p->family == family &&
		    p->prefix == prefix && memcmp(p->addr, a, 16) == 0))
			return p;
	}
}

static int grow(struct tenant_map *m)
{
	struct tenant_map n = *m;
	size_t i;

	n.n_slots = m->n_slots ? m->n_slots * 2 : 64;
	n.slots = calloc(n.n_slots, sizeof(*n.slots));
	if (n.slots == NULL)
		return -ENOMEM;
	for (i = 0; i < m->n_slots; i++)
		if (m->slots[i].family != 0)
			*slot_of(&n, m->slots[i].addr, m->slots[i].family,
				 m->slots[i].prefix) = m->slots[i];
	free(m->slots);
	m->slots = n.slots;
	m->n_slots = n.n_slots;
	return 0;
}

static void add_len(uint8_t *lens, uint8_t *n, uint8_t len)
{
	uint8_t i, j;

	for (i = 0; i < *n; i++)
		if (lens[i] == len)
			return;
	for (i = 0; i < *n && lens[i] > len; i++)
		;
	for (j = *n; j > i; j--)
		lens[j] = lens[j - 1];
	lens[i] = len;
	(*n)++;
}

static uint32_t name_id(struct tenant_map *m, const char *name)
{
	uint32_t i;
	char **n;

	for (i = 0; i < m->n_names; i++)
		if (strcmp(m->names[i], name) == 0)
			return i + 1;
	n = realloc(m->names, (m->n_names + 1) * sizeof(*n));
	if (n == NULL)
		return 0;
	m->names = n;
	m->names[m->n_names] = strdup(name);
	if (m->names[m->n_names] == NULL)
		return 0;
	return ++m->n_names;
}

int tenant_map_add(struct tenant_map *m, const struct cidr *c,
		   const char *name)
{
	struct pfx *p;
	uint32_t id;

	if (name[0] == '\0' || (c->family != 4 && c->family != 6))
		return -EINVAL;
	if ((m->n_pfx + 1) * 2 > m->n_slots && grow(m) != 0)
		return -ENOMEM;
	p = slot_of(m, c->addr, c->family, c->prefix);
	if (p->family != 0)
		return -EEXIST;
	id = name_id(m, name);
	if (id == 0)
		return -ENOMEM;
	memcpy(p->addr, c->addr, 16);
	p->family = c->family;
	p->prefix = c->prefix;
	p->id = id;
	m->n_pfx++;
	if (c->family == 4)
		add_len(m->lens4, &m->n_lens4, c->prefix);
	else
		add_len(m->lens6, &m->n_lens6, c->prefix);
	return 0;
}

int tenant_map_load(struct tenant_map *m, const char *path, char *err,
		    size_t errlen)
{
	char line[1024], *s, *pfx, *name, *rest;
	unsigned lineno = 0;
	struct cidr c;
	FILE *f;
	int rc = 0;

	f = fopen(path, "r");
	if (f == NULL) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if ((s = strchr(line, '#')) != NULL)
			*s = '\0';
		pfx = strtok_r(line, " \t\r\n", &rest);
		if (pfx == NULL)
			continue;
		name = strtok_r(NULL, " \t\r\n", &rest);
		if (name == NULL || strtok_r(NULL, " \t\r\n", &rest) != NULL) {
			snprintf(err, errlen, "%s:%u: expected 'CIDR NAME'",
				 path, lineno);
			rc = -EINVAL;
			break;
		}
		if (cidr_parse(pfx, &c) != 0) {
			snprintf(err, errlen, "%s:%u: '%s' is not a prefix",
				 path, lineno, pfx);
			rc = -EINVAL;
			break;
		}
		rc = tenant_map_add(m, &c, name);
		if (rc == -EEXIST) {
			snprintf(err, errlen, "%s:%u: %s is listed twice",
				 path, lineno, pfx);
			break;
		}
		if (rc != 0) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno,
				 strerror(-rc));
			break;
		}
	}
	if (rc == 0 && ferror(f)) {
		rc = -EIO;
		snprintf(err, errlen, "%s: read error", path);
	}
	fclose(f);
	return rc;
}

uint32_t tenant_map_lookup(const struct tenant_map *m, const uint8_t addr[16],
			   int ip_version)
{
	const uint8_t *lens = ip_version == 6 ? m->lens6 : m->lens4;
	uint8_t n = ip_version == 6 ? m->n_lens6 : m->n_lens4;
	uint8_t fam = ip_version == 6 ? 6 : 4;
	uint64_t hi = 0, lo = 0, mh, ml;
	uint8_t a[16];
	unsigned i, k;

	if (m->n_pfx == 0)
		return 0;
	/* The address as two big-endian halves, masked per length. */
	for (k = 0; k < 8; k++) {
		hi = hi << 8 | addr[k];
		lo = lo << 8 | (fam == 6 ? addr[8 + k] : 0);
	}
	if (fam == 4)
		hi &= 0xffffffff00000000ULL;
	for (i = 0; i < n; i++) {
		const struct pfx *p;
		unsigned len = lens[i];

		mh = len == 0 ? 0 : len >= 64 ? UINT64_MAX :
		    UINT64_MAX << (64 - len);
		ml = len <= 64 ? 0 : len >= 128 ? UINT64_MAX :
		    UINT64_MAX << (128 - len);
		for (k = 0; k < 8; k++) {
			a[k] = (uint8_t)((hi & mh) >> (56 - 8 * k));
			a[8 + k] = (uint8_t)((lo & ml) >> (56 - 8 * k));
		}
		p = slot_of(m, a, fam, (uint8_t)len);
		if (p->family != 0)
			return p->id;
	}
	return 0;
}

uint32_t tenant_map_count(const struct tenant_map *m)
{
	return m->n_names;
}

const char *tenant_map_name(const struct tenant_map *m, uint32_t id)
{
	if (id == 0 || id > m->n_names)
		return "-";
	return m->names[id - 1];
}

void tenant_map_prefixes(const struct tenant_map *m, uint32_t id, char *buf,
			 size_t len)
{
	char a[INET6_ADDRSTRLEN];
	size_t i, used = 0;
	int n;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (i = 0; i < m->n_slots; i++) {
		const struct pfx *p = &m->slots[i];

		if (p->family == 0 || p->id != id)
			continue;
		inet_ntop(p->family == 4 ? AF_INET : AF_INET6, p->addr, a,
			  sizeof(a));
		n = snprintf(buf + used, len - used, "%s%s/%u",
			     used ? " " : "", a, p->prefix);
		if (n < 0 || (size_t)n >= len - used)
			return;
		used += (size_t)n;
	}
}
