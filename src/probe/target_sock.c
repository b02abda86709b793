/* SPDX-License-Identifier: BSD-2-Clause */
/* target_sock: non-blocking connected UDP sockets for export targets. */
#include "target_sock.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

/* Room for a burst of expiries (a full cache flushing at shutdown) without
 * EAGAIN: 4 MiB is about 3000 datagrams of 1400 bytes. */
#define TARGET_SNDBUF (4 * 1024 * 1024)

static socklen_t sa_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
					   sizeof(struct sockaddr_in);
}

int target_sock_open(struct target_sock *ts, const struct conf_target *t)
{
	int fd, err, sndbuf = TARGET_SNDBUF;

	ts->fd = -1;
	fd = socket(t->dst.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd == -1)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf,
		       sizeof(sndbuf)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
				 sizeof(sndbuf));
	if (t->src.ss_family != 0 &&
	    bind(fd, (const struct sockaddr *)&t->src, sa_len(&t->src)) == -1)
		goto fail;
	if (connect(fd, (const struct sockaddr *)&t->dst, sa_len(&t->dst)) == -1)
		goto fail;
	ts->fd = fd;
	return 0;
fail:
	err = errno;
	close(fd);
	return -err;
}

void target_sock_close(struct target_sock *ts)
{
	if (ts->fd != -1)
		close(ts->fd);
	ts->fd = -1;
}

int target_sock_send(struct target_sock *ts, const void *buf, size_t len,
		     bool patient)
{
	int tries = 0, err;
	ssize_t n;

	if (ts->fd == -1) {
		err = EBADF;
		goto count;
	}
	for (;;) {
		n = send(ts->fd, buf, len, MSG_DONTWAIT);
		if (n == (ssize_t)len) {
			ts->stats.datagrams++;
			ts->stats.octets += len;
			return 0;
		}
		err = n == -1 ? errno : EMSGSIZE;
		/* ECONNREFUSED reports an ICMP error for an earlier
		 * datagram; this one was not sent yet: count the refusal
		 * and send it again. */
		if (err == ECONNREFUSED && tries++ == 0) {
			ts->stats.refused++;
			ts->stats.last_errno = err;
			continue;
		}
		if (patient && (err == EAGAIN || err == ENOBUFS) &&
		    tries++ < 1000) {
			struct pollfd p = { ts->fd, POLLOUT, 0 };

			(void)poll(&p, 1, 1);
			continue;
		}
		break;
	}
count:
	ts->stats.send_errors++;
	ts->stats.last_errno = err;
	return -err;
}
