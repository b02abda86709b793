/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * target_sock: the UDP socket of one export target.  Non-blocking and
 * connected, so an ICMP port unreachable from a dead collector comes back
 * as ECONNREFUSED on a later send and is counted, and a slow or dead target
 * never holds up the others.  The exporter encodes; this only sends.
 */
#ifndef TFLOW_TARGET_SOCK_H
#define TFLOW_TARGET_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"

struct target_sock_stats {
	uint64_t datagrams;		/* handed to the kernel */
	uint64_t octets;
	uint64_t send_errors;		/* datagrams not sent */
	uint64_t refused;		/* ICMP unreachable reports */
	int last_errno;			/* 0 none */
};

struct target_sock {
	int fd;				/* -1 closed */
	struct target_sock_stats stats;
};

/* Opens the socket for t (source address bound when set).  Returns 0 or
 * -errno; ts->fd is -1 on failure. */
int target_sock_open(struct target_sock *ts, const struct conf_target *t);
void target_sock_close(struct target_sock *ts);

/*
 * Sends one datagram.  With `patient` (offline mode, where nothing must be
 * lost and nothing is live), a full send buffer is waited out for up to a
 * second; otherwise it is an error at once.  Errors are counted in stats.
 * Returns 0 or -errno.
 */
int target_sock_send(struct target_sock *ts, const void *buf, size_t len,
		     bool patient);

#endif
