/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ctl: tflowd's control socket.  A Unix stream socket (-S, default
 * /run/tflow/tflowd.sock, mode 0660, group `tflow` when that group exists)
 * that takes RouterOS command lines from `tflow` and answers with what
 * print/export/monitor print, or with the RouterOS-worded error.
 *
 * Every command runs through conf_apply_command() on a copy of the running
 * configuration.  Read-only commands are open to every client; a command
 * that changes something is refused unless the peer (SO_PEERCRED) is root
 * or in the socket's group.  A change is handed to the daemon's apply
 * callback, which puts it in force live (or refuses it: nothing changes);
 * then the config file is saved atomically (conf_save()).
 *
 * The server lives in tflowd's main thread: ctl_server_fd() goes into its
 * epoll set and ctl_server_process() does what is ready without blocking.
 * A slow or stuck client never holds up the daemon.
 */
#ifndef TFLOW_CTL_H
#define TFLOW_CTL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "conf.h"
#include "pkt.h"

#define CTL_DEFAULT_SOCKET	"/run/tflow/tflowd.sock"
#define CTL_GROUP		"tflow"

/*
 * The wire protocol (docs/design/control.md).  Every message is a frame:
 * an 8-byte header (version, type, two zero bytes, payload length as a
 * big-endian uint32) and up to CTL_FRAME_MAX payload bytes.  The client
 * sends CTL_REQ_COMMAND frames, one RouterOS command line each; the
 * server answers each, in order, with zero or more CTL_REP_OUTPUT frames
 * (the printed text, in pieces) and one CTL_REP_DONE or CTL_REP_ERROR.
 * CTL_REP_ERROR's payload: line and column (big-endian uint32 each, 0
 * when the error has no position) and the RouterOS-worded message.
 */
#define CTL_PROTO_VERSION	1
#define CTL_HDR_LEN		8
#define CTL_FRAME_MAX		(64 * 1024)

enum ctl_frame_type {
	CTL_REQ_COMMAND = 1,
	CTL_REP_OUTPUT = 2,
	CTL_REP_DONE = 3,
	CTL_REP_ERROR = 4,
};

#define CTL_MSG_NOT_PERMITTED	"failure: not permitted (tflow group or root only)"

/* Write a frame header into hdr[CTL_HDR_LEN]. */
static inline void ctl_hdr_put(uint8_t *hdr, enum ctl_frame_type type,
			       uint32_t len)
{
	hdr[0] = CTL_PROTO_VERSION;
	hdr[1] = (uint8_t)type;
	hdr[2] = 0;
	hdr[3] = 0;
	hdr[4] = (uint8_t)(len >> 24);
	hdr[5] = (uint8_t)(len >> 16);
	hdr[6] = (uint8_t)(len >> 8);
	hdr[7] = (uint8_t)len;
}

/* Read a frame header: 0, or -EPROTO (other version, bad length). */
static inline int ctl_hdr_get(const uint8_t *hdr, unsigned *type,
			      uint32_t *len)
{
	*type = hdr[1];
	*len = (uint32_t)hdr[4] << 24 | (uint32_t)hdr[5] << 16 |
	       (uint32_t)hdr[6] << 8 | hdr[7];
	if (hdr[0] != CTL_PROTO_VERSION || hdr[2] != 0 || hdr[3] != 0 ||
	    *len > CTL_FRAME_MAX)
		return -EPROTO;
	return 0;
}

/* One export target, as /ip traffic-flow monitor shows it. */
struct ctl_monitor_target {
	char name[64];			/* "192.0.2.1:2055" */
	unsigned version;		/* 1, 5, 9, 10 */
	uint64_t datagrams;
	uint64_t records;
	uint64_t templates;
	uint64_t not_exportable;	/* IPv6 records for v1/v5 */
	uint64_t send_errors;
	char last_error[96];		/* "" none */
};

/* A snapshot of what /ip traffic-flow monitor prints. */
struct ctl_monitor {
	bool enabled;
	uint64_t uptime_ms;
	unsigned workers;			/* capture threads */
	unsigned interfaces;			/* captured now */
	uint64_t active_flows;			/* in the cache now */
	uint64_t finished_flows;		/* records emitted */
	uint64_t packets_seen;
	uint64_t packets_sampled_out;
	uint64_t not_parsable[PKT_REASON_MAX];	/* by enum pkt_reason */
	uint64_t capture_drops;			/* kernel: ring/queue full */
	uint64_t evicted;			/* cache full: expired early */
	char notice[128];			/* e.g. flow offloading seen, "" none */
	unsigned n_targets;
	struct ctl_monitor_target targets[CONF_MAX_TARGETS];
};

/* What the daemon provides to the server.  All run on the main thread. */
struct ctl_ops {
	/* The configuration in force now. */
	const struct tflow_config *(*config)(void *ctx);
	/* Put `next` in force live without losing cached flows.  Returns 0,
	 * or -errno with a message in err and the old config still in force. */
	int (*apply)(void *ctx, const struct tflow_config *next, char *err,
		     size_t errlen);
	/* Fill a monitor snapshot. */
	void (*monitor)(void *ctx, struct ctl_monitor *out);
};

struct ctl_server;

/*
 * Create the socket at sock_path (its directory is created 0755 if
 * missing; a stale socket file is replaced, a live one is an error:
 * -EADDRINUSE).  config_path: where changes are saved (NULL: not saved).
 * NULL with errno and a message in err on failure.
 */
struct ctl_server *ctl_server_open(const char *sock_path,
				   const char *config_path,
				   const struct ctl_ops *ops, void *ctx,
				   char *err, size_t errlen);

/* Removes the socket file and closes every client.  NULL is a no-op. */
void ctl_server_close(struct ctl_server *s);

/* One fd for the daemon's epoll (EPOLLIN): listen socket and clients. */
int ctl_server_fd(const struct ctl_server *s);

/* Accept, read, run and answer whatever is ready; never blocks. */
void ctl_server_process(struct ctl_server *s);

/* Print a monitor snapshot as RouterOS does (aligned `name: value`). */
void ctl_monitor_print(const struct ctl_monitor *m, FILE *out);

#endif
