/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tmpl: the collector's template store.  Templates and options templates
 * are kept per session -- exporter address AND port, export version, v9
 * source id / IPFIX observation domain -- and template id, so two routers
 * behind one NAT address that both use domain 0 never share a template.
 *
 * Invariants: memory is bounded by `max_total` templates of at most
 * TMPL_MAX_FIELDS fields each, and one session holds at most
 * `max_per_session`; a template not refreshed for `timeout_ms` is gone
 * (tmpl_find never returns it, tmpl_expire frees it).  A session with no
 * template left is freed.  Pure: time is the caller's `now_ms`.
 */
#ifndef TFLOW_TMPL_H
#define TFLOW_TMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* More fields than any real exporter sends (YAF's largest: 39); bounds
 * the allocation an attacker-controlled field count can cause. */
#define TMPL_MAX_FIELDS		256
#define TMPL_VARLEN		65535	/* field length: variable (IPFIX) */

/* Session: who owns a template id.  Compared with memcmp: zero it first
 * (memset) so the unused address bytes are zero. */
struct tmpl_key {
	uint8_t addr[16];	/* exporter address, IPv4 in the first 4 */
	uint16_t port;		/* exporter UDP port, host order */
	uint8_t family;		/* 4 or 6 */
	uint8_t version;	/* 9 or 10 */
	uint32_t domain;	/* v9 source id / IPFIX observation domain */
};

_Static_assert(sizeof(struct tmpl_key) == 24, "tmpl_key has no padding");

struct tmpl_field {
	uint16_t id;		/* element id, enterprise bit cleared */
	uint16_t len;		/* bytes; TMPL_VARLEN for variable */
	uint32_t pen;		/* private enterprise number, 0: IANA */
	bool scope;		/* v9 scope field: a scope type, not an IE */
};

struct tmpl {
	uint16_t id;		/* 256..65535 */
	uint16_t nfields;
	uint16_t nscope;	/* options template: scope fields first */
	bool options;
	bool varlen;		/* some field is variable length */
	bool routeros;		/* field layout of MikroTik RouterOS */
	uint32_t min_len;	/* record bytes with every varlen empty */
	uint64_t refreshed_ms;	/* last (re)definition */
	/* nfields entries.  In the store they follow the struct in the same
	 * allocation; a caller building one points it at its own array. */
	struct tmpl_field *fields;
};

struct tmpl_limits {
	uint32_t max_total;		/* templates in the whole store */
	uint32_t max_per_session;	/* per exporter/port/domain */
	uint64_t timeout_ms;		/* without refresh; 0: never */
};

struct tmpl_store;

/* NULL with errno set (ENOMEM, EINVAL for a zero limit). */
struct tmpl_store *tmpl_store_new(const struct tmpl_limits *lim);
void tmpl_store_free(struct tmpl_store *ts);

/* Fill t->min_len, varlen and routeros from its fields.  Returns 0, or
 * -EINVAL when no record could ever be decoded with it (no field, or a
 * record of zero bytes). */
int tmpl_finish(struct tmpl *t);

/* Template `id` of a session, or NULL (absent, or expired: then freed).
 * The pointer lives until the next tmpl_add, tmpl_withdraw*, or
 * tmpl_expire on this store. */
const struct tmpl *tmpl_find(struct tmpl_store *ts, const struct tmpl_key *k,
			     uint16_t id, uint64_t now_ms);

/* Learn or replace template t->id of session k (copied; only nfields
 * fields are kept).  Returns 0 new, 1 replaced or refreshed, -ENOSPC when
 * the store is full, -EDQUOT when the session is full, -ENOMEM. */
int tmpl_add(struct tmpl_store *ts, const struct tmpl_key *k,
	     const struct tmpl *t, uint64_t now_ms);

/* Forget one template: 0, or -ENOENT. */
int tmpl_withdraw(struct tmpl_store *ts, const struct tmpl_key *k,
		  uint16_t id);

/* Forget a session's data templates (options false) or options templates
 * (options true), as IPFIX "withdraw all" does.  Returns how many. */
size_t tmpl_withdraw_all(struct tmpl_store *ts, const struct tmpl_key *k,
			 bool options);

/* Forget everything a session holds (exporter restart).  Returns how many. */
size_t tmpl_drop_session(struct tmpl_store *ts, const struct tmpl_key *k);

/* Free templates not refreshed within the timeout.  Returns how many.
 * Walks the whole store: call it once a second, not per datagram. */
size_t tmpl_expire(struct tmpl_store *ts, uint64_t now_ms);

size_t tmpl_count(const struct tmpl_store *ts);
size_t tmpl_session_count(const struct tmpl_store *ts,
			  const struct tmpl_key *k);

#endif
