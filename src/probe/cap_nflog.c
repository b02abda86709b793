/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cap_nflog: the capture backend on NFLOG (capture=nflog:GROUP), over
 * libmnl alone.  The kernel hands over what nftables `log group GROUP`
 * rules log, so the operator's rules decide what is counted: with rules at
 * the end of the input, forward and output chains NFLOG counts exactly
 * what RouterOS counts there (docs/design/capture-backends.md).  Each
 * packet comes with the kernel's input and output interface, which no
 * interface capture can know.
 *
 * One netlink socket bound to the group, in copy-packet mode with the
 * first CAP_SNAPLEN bytes; the kernel batches packets into one datagram
 * (queue threshold, 100 ms flush timeout, so quiet traffic still arrives
 * on time).  Losses: a full socket buffer makes the kernel drop a whole
 * datagram and report ENOBUFS; with NFULNL_CFG_F_SEQ each logged packet
 * carries the group's sequence number, so the gap tells exactly how many
 * were lost.  Interfaces play no part: cap_add_if() and friends accept
 * and ignore them, and the direction setting is the rules' business.
 *
 * Attributes are read with memcpy and ntohl, never by casting onto the
 * message.  libmnl types never leave this file.
 */
#include "cap_backend.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pkt.h"

/* The kernel's batch: flushed at this many packets or after this long
 * (1/100 s), whichever first, in a buffer of this size (the kernel caps it
 * at 128 KiB).  64 KiB holds about 100 packets at the snap length. */
#define NFLOG_QTHRESH		64u
#define NFLOG_TIMEOUT_CS	10u
#define NFLOG_NLBUFSIZ		65536u
/* Our receive buffer: a whole kernel batch, never truncated. */
#define NFLOG_RCVBUF		(128u << 10)
/* Socket buffer: room for bursts while the worker is busy. */
#define NFLOG_SOCKBUF		(8 << 20)

struct cap_nflog {
	struct mnl_socket *nl;
	int fd;
	struct cap_opts opts;
	uint8_t *buf;			/* NFLOG_RCVBUF bytes */
	bool seq_known;			/* next_seq is valid */
	uint32_t next_seq;		/* NFULA_SEQ expected next */
	struct cap_stats st;
};

static void nflog_free(struct cap_nflog *c)
{
	if (c == NULL)
		return;
	if (c->nl != NULL)
		mnl_socket_close(c->nl);
	free(c->buf);
	free(c);
}

static void put_be32(struct nlmsghdr *nlh, uint16_t type, uint32_t v)
{
	mnl_attr_put_u32(nlh, type, htonl(v));
}

/*
 * Bind the group and set it up in one request: the kernel creates the
 * instance for the command, then applies the other attributes to it.
 * Waits for the ack; logged packets that arrive before it are dropped
 * (capture has not started yet).
 */
static int nflog_config(struct cap_nflog *c, char *err, size_t errlen)
{
	struct nfulnl_msg_config_cmd cmd = { .command = NFULNL_CFG_CMD_BIND };
	struct nfulnl_msg_config_mode mode;
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	uint32_t seq = (uint32_t)time(NULL), portid;
	ssize_t n;
	int rc;

	nlh = mnl_nlmsg_put_header(c->buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(c->opts.nflog_group);
	mnl_attr_put(nlh, NFULA_CFG_CMD, sizeof(cmd), &cmd);
	memset(&mode, 0, sizeof(mode));
	mode.copy_range = htonl(CAP_SNAPLEN);
	mode.copy_mode = NFULNL_COPY_PACKET;
	mnl_attr_put(nlh, NFULA_CFG_MODE, sizeof(mode), &mode);
	put_be32(nlh, NFULA_CFG_QTHRESH, NFLOG_QTHRESH);
	put_be32(nlh, NFULA_CFG_TIMEOUT, NFLOG_TIMEOUT_CS);
	put_be32(nlh, NFULA_CFG_NLBUFSIZ, NFLOG_NLBUFSIZ);
	mnl_attr_put_u16(nlh, NFULA_CFG_FLAGS, htons(NFULNL_CFG_F_SEQ));
	if (mnl_socket_sendto(c->nl, nlh, nlh->nlmsg_len) < 0) {
		rc = -errno;
		snprintf(err, errlen, "nflog:%u: send: %s",
			 c->opts.nflog_group, strerror(errno));
		return rc;
	}
	portid = mnl_socket_get_portid(c->nl);
	for (;;) {
		n = mnl_socket_recvfrom(c->nl, c->buf, NFLOG_RCVBUF);
		if (n == -1) {
			if (errno == EINTR || errno == ENOBUFS)
				continue;
			rc = -errno;
			break;
		}
		/* Packets (seq 0) pass through; the ack stops. */
		rc = mnl_cb_run(c->buf, (size_t)n, seq, portid, NULL, NULL);
		if (rc == MNL_CB_STOP) {
			rc = 0;
			break;
		}
		if (rc == MNL_CB_ERROR) {
			rc = -errno;
			break;
		}
	}
	if (rc < 0)
		snprintf(err, errlen, "nflog:%u: bind: %s%s",
			 c->opts.nflog_group, strerror(-rc),
			 rc == -EBUSY ? " (another process holds the group)" :
			 "");
	return rc;
}

static void *nflog_open(const struct cap_opts *opts, char *err, size_t errlen)
{
	struct cap_nflog *c;
	int sz = NFLOG_SOCKBUF, fl, rc;

	c = calloc(1, sizeof(*c));
	if (c == NULL || (c->buf = malloc(NFLOG_RCVBUF)) == NULL) {
		snprintf(err, errlen, "out of memory");
		nflog_free(c);
		errno = ENOMEM;
		return NULL;
	}
	c->opts = *opts;
	c->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (c->nl == NULL) {
		rc = -errno;
		snprintf(err, errlen, "nflog: netlink socket: %s",
			 strerror(errno));
		goto fail;
	}
	if (mnl_socket_bind(c->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		snprintf(err, errlen, "nflog: netlink bind: %s",
			 strerror(errno));
		goto fail;
	}
	c->fd = mnl_socket_get_fd(c->nl);
	/* FORCE passes rmem_max with CAP_NET_ADMIN; else what is allowed. */
	if (setsockopt(c->fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz,
		       sizeof(sz)) == -1)
		(void)setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &sz,
				 sizeof(sz));
	rc = nflog_config(c, err, errlen);
	if (rc < 0)
		goto fail;
	fl = fcntl(c->fd, F_GETFL);
	if (fl == -1 || fcntl(c->fd, F_SETFL, fl | O_NONBLOCK) == -1) {
		rc = -errno;
		snprintf(err, errlen, "nflog: O_NONBLOCK: %s", strerror(errno));
		goto fail;
	}
	return c;
fail:
	nflog_free(c);
	errno = -rc;
	return NULL;
}

static void nflog_close(void *be)
{
	/* Closing the socket destroys the kernel's group instance. */
	nflog_free(be);
}

static int nflog_fd(const void *be)
{
	const struct cap_nflog *c = be;

	return c->fd;
}

static int nflog_add_if(void *be, const char *name, char *err, size_t errlen)
{
	(void)be;
	(void)name;
	(void)err;
	(void)errlen;
	return 0;
}

static int nflog_remove_if(void *be, uint32_t ifindex)
{
	(void)be;
	(void)ifindex;
	return 0;
}

static void nflog_rename_if(void *be, uint32_t ifindex, const char *name)
{
	(void)be;
	(void)ifindex;
	(void)name;
}

static void nflog_refresh(void *be)
{
	(void)be;
}

static size_t nflog_count(const void *be)
{
	(void)be;
	return 0;
}

static uint32_t nflog_ifindex(const void *be, size_t i)
{
	(void)be;
	(void)i;
	return 0;
}

static const char *nflog_ifname(const void *be, size_t i)
{
	(void)be;
	(void)i;
	return "";
}

static uint32_t attr_be32(const struct nlattr *a)
{
	uint32_t v;

	memcpy(&v, mnl_attr_get_payload(a), sizeof(v));
	return ntohl(v);
}

/* The IP packet's own length: NFLOG copies at most CAP_SNAPLEN bytes and
 * tells no original length, but the IP header does. */
static uint32_t ip_wirelen(const uint8_t *d, uint32_t len)
{
	uint16_t v;

	if (len >= 4 && d[0] >> 4 == 4) {
		memcpy(&v, d + 2, sizeof(v));
		return ntohs(v);
	}
	if (len >= 6 && d[0] >> 4 == 6) {
		memcpy(&v, d + 4, sizeof(v));
		return (uint32_t)ntohs(v) + 40;
	}
	return len;
}

static uint64_t realtime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* One NFULNL_MSG_PACKET.  Returns true when fn was called. */
static bool nflog_packet(struct cap_nflog *c, const struct nlmsghdr *nlh,
			 uint64_t *now_ms, cap_pkt_fn fn, void *ctx)
{
	const struct nlattr *a;
	struct cap_pkt p;
	uint32_t indev = 0, outdev = 0, seq = 0, gap;
	uint64_t sec = 0, usec = 0;
	bool has_seq = false, has_ts = false;

	memset(&p, 0, sizeof(p));
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		uint16_t len = mnl_attr_get_payload_len(a);

		switch (mnl_attr_get_type(a)) {
		case NFULA_PAYLOAD:
			p.data = mnl_attr_get_payload(a);
			p.caplen = len;
			break;
		case NFULA_IFINDEX_INDEV:
			if (len >= 4)
				indev = attr_be32(a);
			break;
		case NFULA_IFINDEX_OUTDEV:
			if (len >= 4)
				outdev = attr_be32(a);
			break;
		case NFULA_SEQ:
			if (len >= 4) {
				seq = attr_be32(a);
				has_seq = true;
			}
			break;
		case NFULA_TIMESTAMP:
			if (len >= 16) {
				memcpy(&sec, mnl_attr_get_payload(a), 8);
				memcpy(&usec, (const uint8_t *)
				       mnl_attr_get_payload(a) + 8, 8);
				has_ts = true;
			}
			break;
		default:
			break;
		}
	}
	if (has_seq) {
		/* Wrap-safe: a gap is what the kernel numbered and we
		 * never read (a datagram lost to ENOBUFS). */
		gap = seq - c->next_seq;
		if (c->seq_known && gap != 0 && gap < 0x80000000u)
			c->st.drops += gap;
		c->next_seq = seq + 1;
		c->seq_known = true;
	}
	if (p.data == NULL) {
		c->st.skipped++;
		return false;
	}
	p.wirelen = ip_wirelen(p.data, p.caplen);
	if (p.wirelen < p.caplen)
		p.wirelen = p.caplen;
	p.linktype = PKT_LINK_RAW;
	/* An input device: received (input or forward chain); none: this
	 * host sent it (output chain). */
	p.dir = indev != 0 ? CAP_DIR_IN : CAP_DIR_OUT;
	p.ifindex = indev != 0 ? indev : outdev;
	p.out_ifindex = outdev;
	if (has_ts) {
		p.ts_ms = be64toh(sec) * 1000 + be64toh(usec) / 1000;
	} else {
		/* The output chain carries no stamp: one clock read per
		 * datagram, not per packet. */
		if (*now_ms == 0)
			*now_ms = realtime_ms();
		p.ts_ms = *now_ms;
	}
	fn(&p, ctx);
	return true;
}

static size_t nflog_next_batch(void *be, unsigned max_blocks, cap_pkt_fn fn,
			       void *ctx)
{
	struct cap_nflog *c = be;
	const struct nlmsghdr *nlh;
	size_t done = 0;
	unsigned b;
	uint64_t now_ms;
	ssize_t n;
	int len;

	for (b = 0; b < max_blocks; b++) {
		n = recv(c->fd, c->buf, NFLOG_RCVBUF, MSG_DONTWAIT);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				/* Lost datagrams: the sequence gap counts
				 * them; without sequence numbers count at
				 * least one. */
				if (!c->seq_known)
					c->st.drops++;
				continue;
			}
			break;
		}
		now_ms = 0;
		len = (int)n;
		for (nlh = (const struct nlmsghdr *)(const void *)c->buf;
		     mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
				continue;	/* DONE, NOOP, an error */
			if (NFNL_SUBSYS_ID(nlh->nlmsg_type) !=
			    NFNL_SUBSYS_ULOG ||
			    NFNL_MSG_TYPE(nlh->nlmsg_type) !=
			    NFULNL_MSG_PACKET ||
			    nlh->nlmsg_len < mnl_nlmsg_size(
			    sizeof(struct nfgenmsg))) {
				c->st.skipped++;
				continue;
			}
			if (nflog_packet(c, nlh, &now_ms, fn, ctx))
				done++;
		}
	}
	c->st.packets += done;
	return done;
}

static void nflog_release(void *be)
{
	(void)be;
}

static void nflog_get_stats(void *be, struct cap_stats *out)
{
	struct cap_nflog *c = be;

	*out = c->st;
	/* What the kernel numbered: read (delivered or skipped) or lost. */
	out->kernel_packets = c->st.packets + c->st.skipped + c->st.drops;
}

const struct cap_ops cap_nflog_ops = {
	.name = "nflog",
	.open = nflog_open,
	.close = nflog_close,
	.fd = nflog_fd,
	.add_if = nflog_add_if,
	.remove_if = nflog_remove_if,
	.rename_if = nflog_rename_if,
	.refresh = nflog_refresh,
	.count = nflog_count,
	.ifindex = nflog_ifindex,
	.ifname = nflog_ifname,
	.next_batch = nflog_next_batch,
	.release = nflog_release,
	.get_stats = nflog_get_stats,
};
