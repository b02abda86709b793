/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * listen: UDP sockets and batched receive for tflow-collector.
 */
#include "listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct listen_batch {
	struct mmsghdr msgs[LISTEN_BATCH];
	struct iovec iov[LISTEN_BATCH];
	struct sockaddr_storage from[LISTEN_BATCH];
	struct listen_dgram out[LISTEN_BATCH];
	uint8_t *buf;			/* LISTEN_BATCH * LISTEN_DGRAM_MAX */
};

static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	long v;

	if (*s == '\0')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end != '\0' || errno != 0 || v < 1 || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int listen_parse(const char *spec, struct sockaddr_storage *out)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)out;
	struct sockaddr_in *s4 = (struct sockaddr_in *)out;
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *port_s, *host_s = spec;
	uint16_t port;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');

		if (close == NULL || close[1] != ':')
			return -EINVAL;
		host_s = spec + 1;
		n = (size_t)(close - host_s);
		port_s = close + 2;
	} else if ((colon = strrchr(spec, ':')) != NULL) {
		if (strchr(spec, ':') != colon)
			return -EINVAL;	/* bare IPv6 needs brackets */
		n = (size_t)(colon - spec);
		port_s = colon + 1;
	} else {
		n = 0;
		port_s = spec;
	}
	if (n >= sizeof(host) || parse_port(port_s, &port) != 0)
		return -EINVAL;
	memcpy(host, host_s, n);
	host[n] = '\0';
	if (n == 0) {
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_any;
		s6->sin6_port = htons(port);
	} else if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
	} else {
		return -EINVAL;
	}
	return 0;
}

int listen_open(const struct sockaddr_storage *addr, bool reuseport,
		int rcvbuf_bytes)
{
	socklen_t len = addr->ss_family == AF_INET6 ?
			sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	int fd, on = 1, off = 0, err;

	fd = socket(addr->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd == -1)
		return -errno;
	if (addr->ss_family == AF_INET6 &&
	    IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)addr)->sin6_addr) &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) == -1)
		goto fail;
	if (reuseport &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) == -1)
		goto fail;
	/* Bursts of export datagrams arrive faster than any single read
	 * loop at times; a big buffer rides them out.  FORCE needs
	 * CAP_NET_ADMIN, the plain option is capped by rmem_max. */
	if (rcvbuf_bytes > 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf_bytes,
		       sizeof(rcvbuf_bytes)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf_bytes,
				 sizeof(rcvbuf_bytes));
	if (bind(fd, (const struct sockaddr *)addr, len) == -1)
		goto fail;
	return fd;
fail:
	err = errno;
	close(fd);
	return -err;
}

struct listen_batch *listen_batch_new(void)
{
	struct listen_batch *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->buf = malloc((size_t)LISTEN_BATCH * LISTEN_DGRAM_MAX);
	if (b->buf == NULL) {
		free(b);
		return NULL;
	}
	return b;
}

void listen_batch_free(struct listen_batch *b)
{
	if (b == NULL)
		return;
	free(b->buf);
	free(b);
}

int listen_receive(int fd, struct listen_batch *b,
		   const struct listen_dgram **out)
{
	int i, n;

	for (i = 0; i < LISTEN_BATCH; i++) {
		b->iov[i].iov_base = b->buf + (size_t)i * LISTEN_DGRAM_MAX;
		b->iov[i].iov_len = LISTEN_DGRAM_MAX;
		memset(&b->msgs[i].msg_hdr, 0, sizeof(b->msgs[i].msg_hdr));
		b->msgs[i].msg_hdr.msg_iov = &b->iov[i];
		b->msgs[i].msg_hdr.msg_iovlen = 1;
		b->msgs[i].msg_hdr.msg_name = &b->from[i];
		b->msgs[i].msg_hdr.msg_namelen = sizeof(b->from[i]);
	}
	n = recvmmsg(fd, b->msgs, LISTEN_BATCH, MSG_DONTWAIT, NULL);
	if (n == -1)
		return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -errno;
	for (i = 0; i < n; i++) {
		b->out[i].data = b->iov[i].iov_base;
		b->out[i].len = b->msgs[i].msg_len;
		b->out[i].truncated = (b->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
		b->out[i].from = b->from[i];
	}
	*out = b->out;
	return n;
}

void listen_peer(const struct sockaddr_storage *ss, uint8_t addr[16],
		 uint8_t *family, uint16_t *port)
{
	memset(addr, 0, 16);
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		memcpy(addr, &s4->sin_addr, 4);
		*family = 4;
		*port = ntohs(s4->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			memcpy(addr, s6->sin6_addr.s6_addr + 12, 4);
			*family = 4;
		} else {
			memcpy(addr, &s6->sin6_addr, 16);
			*family = 6;
		}
		*port = ntohs(s6->sin6_port);
	} else {
		*family = 0;
		*port = 0;
	}
}
