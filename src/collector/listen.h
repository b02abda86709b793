/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * listen: the collector's UDP sockets.  One socket per --listen address,
 * non-blocking, with a large receive buffer and SO_REUSEPORT so several
 * workers can share a port (the kernel keeps one exporter's datagrams on
 * one socket, so templates stay with one worker).  Datagrams are read in
 * batches with recvmmsg().
 */
#ifndef TFLOW_LISTEN_H
#define TFLOW_LISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define LISTEN_DEFAULT_PORT 2055
#define LISTEN_BATCH 64			/* datagrams per recvmmsg */
#define LISTEN_DGRAM_MAX 65535		/* largest UDP payload */

/* "[ADDR]:PORT", "ADDR:PORT" (IPv4), ":PORT", "PORT" or "[::]:PORT".
 * An empty address means every address, IPv4 and IPv6 (a dual-stack
 * socket on ::).  Returns 0 or -EINVAL. */
int listen_parse(const char *spec, struct sockaddr_storage *out);

/* Bound, non-blocking UDP socket.  rcvbuf_bytes is asked for with
 * SO_RCVBUFFORCE (root) and then SO_RCVBUF.  Returns fd or -errno. */
int listen_open(const struct sockaddr_storage *addr, bool reuseport,
		int rcvbuf_bytes);

/* One batch of received datagrams.  Buffers are allocated once by
 * listen_batch_new(); entries point into them until the next receive. */
struct listen_batch;

struct listen_dgram {
	const uint8_t *data;
	size_t len;
	bool truncated;			/* larger than the buffer: dropped */
	struct sockaddr_storage from;
};

struct listen_batch *listen_batch_new(void);
void listen_batch_free(struct listen_batch *b);

/* Receives up to LISTEN_BATCH datagrams without blocking.  Returns the
 * count (0: nothing waiting) or -errno; *out points at the entries. */
int listen_receive(int fd, struct listen_batch *b,
		   const struct listen_dgram **out);

/* The peer of a datagram as 16 address bytes (IPv4 in the first 4, an
 * IPv4-mapped IPv6 peer unmapped), its family (4 or 6) and port. */
void listen_peer(const struct sockaddr_storage *ss, uint8_t addr[16],
		 uint8_t *family, uint16_t *port);

#endif
