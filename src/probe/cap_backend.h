/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cap_backend: what a capture backend provides to cap.c, and the helpers
 * they share.  Internal to the cap_* files: nothing outside them includes
 * it.  Each backend keeps its own state behind a void pointer (its struct
 * is private to its file) and cap.c calls it through one const ops table,
 * so the choice of backend costs one indirect call per batch, never per
 * packet.
 */
#ifndef TFLOW_CAP_BACKEND_H
#define TFLOW_CAP_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cap.h"

/* Interfaces one capture holds at most: a router's ports and VLANs. */
#define CAP_MAX_IFACES		64

struct cap_ops {
	const char *name;
	/* An empty capture: interfaces come through add_if.  NULL with
	 * errno set and a message in err. */
	void *(*open)(const struct cap_opts *opts, char *err, size_t errlen);
	void (*close)(void *be);
	int (*fd)(const void *be);
	int (*add_if)(void *be, const char *name, char *err, size_t errlen);
	int (*remove_if)(void *be, uint32_t ifindex);
	void (*rename_if)(void *be, uint32_t ifindex, const char *name);
	void (*refresh)(void *be);
	size_t (*count)(const void *be);
	uint32_t (*ifindex)(const void *be, size_t i);
	const char *(*ifname)(const void *be, size_t i);
	size_t (*next_batch)(void *be, unsigned max_blocks, cap_pkt_fn fn,
			     void *ctx);
	void (*release)(void *be);
	void (*get_stats)(void *be, struct cap_stats *out);
};

extern const struct cap_ops cap_afpacket_ops;
extern const struct cap_ops cap_pcap_ops;
extern const struct cap_ops cap_nflog_ops;

/*
 * The direction filter both interface backends apply to each frame:
 * returns true when the frame is to be delivered, otherwise bumps the
 * counter that says why (st->outgoing, st->incoming).  outgoing: the
 * kernel says this host sent it.  For CONF_DIR_INGRESS_LOCAL a sent frame
 * is parsed (pkt_parse) and delivered only when opts->is_local() claims
 * its source address; this costs a parse of each sent frame, never of a
 * received one.
 */
bool cap_dir_keep(const struct cap_opts *opts, struct cap_stats *st,
		  bool outgoing, int linktype, const uint8_t *data,
		  uint32_t caplen, uint32_t wirelen);

#endif
