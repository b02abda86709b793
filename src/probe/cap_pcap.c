/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cap_pcap: the capture backend on libpcap, for systems where the
 * AF_PACKET ring is not available or not wanted (capture=pcap).  One live
 * pcap_t per interface, non-blocking, with a 100 ms buffer timeout (the
 * same delay as the ring's block timeout), and its selectable fd in one
 * epoll fd that cap_fd() returns.
 *
 * Direction: libpcap tells no packet's direction on an Ethernet device
 * (and offers no cooked link type there), but pcap_setdirection() keeps
 * one.  So an interface gets one handle per direction the setting needs:
 * ingress one PCAP_D_IN handle, egress one PCAP_D_OUT, ingress-and-local
 * and both one of each, and a packet's direction is its handle's.  The
 * price for the last two: the kernel copies every packet into both
 * handles' buffers and libpcap drops the other direction.
 *
 * libpcap cannot open a device that is down, and a handle whose device
 * goes down fails for good.  Such an interface stays in the table, closed,
 * and is opened again by cap_refresh() (and by cap_next_batch(), at most
 * once a second) once it is up: cap_add_if() of a down interface succeeds.
 *
 * Packets go to the caller's callback from inside pcap_dispatch() without
 * a copy; they live in libpcap's buffer only until the callback returns,
 * so cap_release() has nothing to do.  pcap types never leave this file.
 */
#include "cap_backend.h"

#include <errno.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "pkt.h"

/* Packets per pcap_dispatch(): one call is one "block" of max_blocks. */
#define CAP_PCAP_CNT		256
#define CAP_PCAP_TIMEOUT_MS	100
#define CAP_PCAP_BUFSIZE	(2 << 20)
/* A closed interface is retried this often by cap_next_batch(). */
#define CAP_PCAP_RETRY_MS	1000u
/* Handles of an interface that was removed, went down or went away are
 * still read this long (more than the ring's block timeout): the kernel
 * retires the block being filled, and its packets are counted instead of
 * closed away. */
#define CAP_PCAP_DRAIN_MS	(3u * CAP_PCAP_TIMEOUT_MS)

struct pc_handle {
	pcap_t *p;
	int fd;				/* selectable fd, in the epoll set */
	uint8_t dir;			/* enum cap_dir of all its packets */
};

struct pc_if {
	uint32_t ifindex;
	int linktype;			/* enum pkt_linktype of the data */
	unsigned nh;			/* open handles: 0 (closed), 1 or 2 */
	struct pc_handle h[2];
	char name[IF_NAMESIZE];
	uint64_t drain_until;		/* on the drain list: close after */
};

struct cap_pcap {
	int epfd;
	struct cap_opts opts;
	size_t n;
	struct pc_if *ifs[CAP_MAX_IFACES];
	unsigned closed;		/* interfaces with nh == 0 */
	/* Handles being drained (CAP_PCAP_DRAIN_MS), out of the epoll set. */
	size_t n_drain;
	struct pc_if *drain[CAP_MAX_IFACES];
	uint64_t retry_ms;		/* CLOCK_MONOTONIC: next retry */
	struct cap_stats st;		/* kernel_packets/drops: of closed
					 * handles only */
	/* The handle being dispatched, for the pcap callback. */
	struct pc_if *cur;
	uint8_t cur_dir;
	cap_pkt_fn fn;
	void *ctx;
	size_t done;
};

/* pcap DLT_* to the parser's LINKTYPE_* numbers; -1 unknown. */
static int dlt_linktype(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
		return PKT_LINK_ETHERNET;
	case DLT_RAW:
		return PKT_LINK_RAW;
#ifdef DLT_IPV4
	case DLT_IPV4:
		return PKT_LINK_IPV4;
#endif
#ifdef DLT_IPV6
	case DLT_IPV6:
		return PKT_LINK_IPV6;
#endif
	case DLT_LINUX_SLL:
		return PKT_LINK_LINUX_SLL;
#ifdef DLT_LINUX_SLL2
	case DLT_LINUX_SLL2:
		return PKT_LINK_LINUX_SLL2;
#endif
	case DLT_NULL:
		return PKT_LINK_NULL;
#ifdef DLT_LOOP
	case DLT_LOOP:
		return PKT_LINK_LOOP;
#endif
	default:
		return -1;
	}
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Close the interface's handles, keeping what they counted. */
static void handles_close(struct cap_pcap *c, struct pc_if *pi)
{
	struct pcap_stat ps;
	unsigned k;

	for (k = 0; k < pi->nh; k++) {
		struct pc_handle *h = &pi->h[k];

		/* libpcap's counters are cumulative since activation. */
		if (pcap_stats(h->p, &ps) == 0) {
			c->st.kernel_packets += ps.ps_recv;
			c->st.drops += ps.ps_drop;
		}
		(void)epoll_ctl(c->epfd, EPOLL_CTL_DEL, h->fd, NULL);
		pcap_close(h->p);
		h->p = NULL;
	}
	pi->nh = 0;
}

/*
 * Move pi's handles to the drain list (a copy of pi holding them): out of
 * the epoll set, still read by pc_next_batch() until drain_until, then
 * closed.  pi is left with no handle.  Without memory or room they are
 * closed at once.
 */
static void handles_drain(struct cap_pcap *c, struct pc_if *pi)
{
	struct pc_if *d;
	unsigned k;

	if (pi->nh == 0)
		return;
	d = c->n_drain < CAP_MAX_IFACES ? malloc(sizeof(*d)) : NULL;
	if (d == NULL) {
		handles_close(c, pi);
		return;
	}
	*d = *pi;
	for (k = 0; k < d->nh; k++)
		(void)epoll_ctl(c->epfd, EPOLL_CTL_DEL, d->h[k].fd, NULL);
	d->drain_until = mono_ms() + CAP_PCAP_DRAIN_MS;
	c->drain[c->n_drain++] = d;
	pi->nh = 0;
}

/* An open interface goes down or away: closed until a refresh. */
static void pif_shut(struct cap_pcap *c, struct pc_if *pi)
{
	if (pi->nh == 0)
		return;
	handles_drain(c, pi);
	c->closed++;
	c->retry_ms = mono_ms() + CAP_PCAP_RETRY_MS;
}

/* One live handle keeping direction d.  0 or -errno with a message. */
static int handle_open(struct cap_pcap *c, struct pc_if *pi,
		       struct pc_handle *h, pcap_direction_t d, char *err,
		       size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct epoll_event ev;
	int rc, dlt;

	h->p = pcap_create(pi->name, ebuf);
	if (h->p == NULL) {
		snprintf(err, errlen, "%s: pcap_create: %s", pi->name, ebuf);
		return -ENODEV;
	}
	h->dir = d == PCAP_D_OUT ? CAP_DIR_OUT : CAP_DIR_IN;
	(void)pcap_set_snaplen(h->p, CAP_SNAPLEN);
	(void)pcap_set_promisc(h->p, 0);
	(void)pcap_set_timeout(h->p, CAP_PCAP_TIMEOUT_MS);
	(void)pcap_set_buffer_size(h->p, CAP_PCAP_BUFSIZE);
	rc = pcap_activate(h->p);
	if (rc < 0) {
		snprintf(err, errlen, "%s: pcap_activate: %s", pi->name,
			 pcap_geterr(h->p));
		rc = rc == PCAP_ERROR_IFACE_NOT_UP ? -ENETDOWN :
		     rc == PCAP_ERROR_PERM_DENIED ? -EPERM :
		     rc == PCAP_ERROR_NO_SUCH_DEVICE ? -ENODEV : -EIO;
		goto fail;
	}
	if (pcap_setdirection(h->p, d) == -1) {
		snprintf(err, errlen, "%s: pcap_setdirection: %s", pi->name,
			 pcap_geterr(h->p));
		rc = -ENOTSUP;
		goto fail;
	}
	dlt = pcap_datalink(h->p);
	pi->linktype = dlt_linktype(dlt);
	if (pi->linktype < 0 || !pkt_linktype_supported(pi->linktype)) {
		snprintf(err, errlen, "%s: link type %s not supported",
			 pi->name, pcap_datalink_val_to_name(dlt) != NULL ?
			 pcap_datalink_val_to_name(dlt) : "?");
		rc = -ENOTSUP;
		goto fail;
	}
	if (pcap_setnonblock(h->p, 1, ebuf) == -1) {
		snprintf(err, errlen, "%s: pcap_setnonblock: %s", pi->name,
			 ebuf);
		rc = -EIO;
		goto fail;
	}
	h->fd = pcap_get_selectable_fd(h->p);
	if (h->fd == -1) {
		snprintf(err, errlen, "%s: no selectable fd", pi->name);
		rc = -ENOTSUP;
		goto fail;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = pi;
	if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, h->fd, &ev) == -1) {
		rc = -errno;
		snprintf(err, errlen, "%s: epoll_ctl: %s", pi->name,
			 strerror(errno));
		goto fail;
	}
	return 0;
fail:
	pcap_close(h->p);
	h->p = NULL;
	return rc;
}

/* Open the handles the direction setting needs.  On failure none stays. */
static int pif_activate(struct cap_pcap *c, struct pc_if *pi, char *err,
			size_t errlen)
{
	pcap_direction_t d[2];
	unsigned k, nd = 0;
	int rc;

	switch (c->opts.direction) {
	case CONF_DIR_INGRESS:
		d[nd++] = PCAP_D_IN;
		break;
	case CONF_DIR_EGRESS:
		d[nd++] = PCAP_D_OUT;
		break;
	case CONF_DIR_INGRESS_LOCAL:
	case CONF_DIR_BOTH:
		d[nd++] = PCAP_D_IN;
		d[nd++] = PCAP_D_OUT;
		break;
	}
	for (k = 0; k < nd; k++) {
		rc = handle_open(c, pi, &pi->h[k], d[k], err, errlen);
		if (rc < 0) {
			pi->nh = k;
			handles_close(c, pi);
			return rc;
		}
		pi->nh = k + 1;
	}
	/* It was counted closed. */
	c->closed--;
	return 0;
}

static void *pc_open(const struct cap_opts *opts, char *err, size_t errlen)
{
	struct cap_pcap *c;
	int e;

	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->opts = *opts;
	c->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (c->epfd == -1) {
		e = errno;
		snprintf(err, errlen, "epoll_create1: %s", strerror(e));
		free(c);
		errno = e;
		return NULL;
	}
	return c;
}

static void pc_close(void *be)
{
	struct cap_pcap *c = be;
	size_t i;

	for (i = 0; i < c->n; i++) {
		handles_close(c, c->ifs[i]);
		free(c->ifs[i]);
	}
	for (i = 0; i < c->n_drain; i++) {
		handles_close(c, c->drain[i]);
		free(c->drain[i]);
	}
	close(c->epfd);
	free(c);
}

static int pc_fd(const void *be)
{
	const struct cap_pcap *c = be;

	return c->epfd;
}

static ssize_t pif_find(const struct cap_pcap *c, uint32_t ifindex)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->ifs[i]->ifindex == ifindex)
			return (ssize_t)i;
	return -1;
}

static int pc_add_if(void *be, const char *name, char *err, size_t errlen)
{
	struct cap_pcap *c = be;
	struct pc_if *pi;
	unsigned ifindex;
	int rc;

	ifindex = if_nametoindex(name);
	if (ifindex == 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: no such interface", name);
		return rc;
	}
	if (pif_find(c, ifindex) >= 0) {
		snprintf(err, errlen, "%s: already captured", name);
		return -EEXIST;
	}
	if (c->n == CAP_MAX_IFACES) {
		snprintf(err, errlen, "%s: more than %d interfaces", name,
			 CAP_MAX_IFACES);
		return -ENOSPC;
	}
	pi = calloc(1, sizeof(*pi));
	if (pi == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	pi->ifindex = ifindex;
	snprintf(pi->name, sizeof(pi->name), "%s", name);
	c->closed++;
	rc = pif_activate(c, pi, err, errlen);
	if (rc < 0 && rc != -ENETDOWN) {
		c->closed--;
		free(pi);
		return rc;
	}
	/* Down: kept closed until cap_refresh() finds it up. */
	c->ifs[c->n++] = pi;
	return 0;
}

static int pc_remove_if(void *be, uint32_t ifindex)
{
	struct cap_pcap *c = be;
	struct pc_if *pi;
	ssize_t i;

	i = pif_find(c, ifindex);
	if (i < 0)
		return -ENOENT;
	pi = c->ifs[i];
	c->ifs[i] = c->ifs[--c->n];
	if (pi->nh == 0)
		c->closed--;
	handles_drain(c, pi);
	free(pi);
	return 0;
}

static void pc_rename_if(void *be, uint32_t ifindex, const char *name)
{
	struct cap_pcap *c = be;
	ssize_t i;

	i = pif_find(c, ifindex);
	if (i >= 0)
		snprintf(c->ifs[i]->name, sizeof(c->ifs[i]->name), "%s", name);
}

static void pc_refresh(void *be)
{
	struct cap_pcap *c = be;
	char err[256], name[IF_NAMESIZE];
	size_t i;

	if (c->closed == 0)
		return;
	c->retry_ms = mono_ms() + CAP_PCAP_RETRY_MS;
	for (i = 0; i < c->n; i++) {
		struct pc_if *pi = c->ifs[i];

		if (pi->nh > 0)
			continue;
		/* The kernel's name now: a rename may not be told yet. */
		if (if_indextoname(pi->ifindex, name) != NULL)
			snprintf(pi->name, sizeof(pi->name), "%s", name);
		(void)pif_activate(c, pi, err, sizeof(err));
	}
}

static size_t pc_count(const void *be)
{
	const struct cap_pcap *c = be;

	return c->n;
}

static uint32_t pc_ifindex(const void *be, size_t i)
{
	const struct cap_pcap *c = be;

	return c->ifs[i]->ifindex;
}

static const char *pc_ifname(const void *be, size_t i)
{
	const struct cap_pcap *c = be;

	return c->ifs[i]->name;
}

static void pc_packet(u_char *user, const struct pcap_pkthdr *h,
		      const u_char *bytes)
{
	struct cap_pcap *c = (struct cap_pcap *)(void *)user;
	struct cap_pkt p;

	p.data = bytes;
	p.caplen = h->caplen;
	p.wirelen = h->len > h->caplen ? h->len : h->caplen;
	p.ifindex = c->cur->ifindex;
	p.out_ifindex = 0;
	p.linktype = c->cur->linktype;
	p.vlan = 0;		/* libpcap puts stripped tags back */
	p.dir = c->cur_dir;
	if (!cap_dir_keep(&c->opts, &c->st, p.dir == CAP_DIR_OUT,
			  p.linktype, p.data, p.caplen, p.wirelen))
		return;
	p.ts_ms = (uint64_t)h->ts.tv_sec * 1000 +
		  (uint64_t)h->ts.tv_usec / 1000;
	c->fn(&p, c->ctx);
	c->done++;
}

/* Read what the drained handles still hold; close those whose time is
 * up.  Errors are expected here (the device is down or gone). */
static void pc_drain_batch(struct cap_pcap *c)
{
	uint64_t now;
	size_t i;
	unsigned k;
	int rc;

	if (c->n_drain == 0)
		return;
	now = mono_ms();
	for (i = 0; i < c->n_drain; ) {
		struct pc_if *d = c->drain[i];

		c->cur = d;
		for (k = 0; k < d->nh; k++) {
			c->cur_dir = d->h[k].dir;
			do
				rc = pcap_dispatch(d->h[k].p, CAP_PCAP_CNT,
						   pc_packet,
						   (u_char *)(void *)c);
			while (rc == CAP_PCAP_CNT);
		}
		if (now < d->drain_until) {
			i++;
			continue;
		}
		handles_close(c, d);
		free(d);
		c->drain[i] = c->drain[--c->n_drain];
	}
}

static size_t pc_next_batch(void *be, unsigned max_blocks, cap_pkt_fn fn,
			    void *ctx)
{
	struct cap_pcap *c = be;
	size_t i;
	unsigned b, k;
	int rc;

	if (c->closed > 0 && mono_ms() >= c->retry_ms)
		pc_refresh(c);
	c->fn = fn;
	c->ctx = ctx;
	c->done = 0;
	for (i = 0; i < c->n; i++) {
		c->cur = c->ifs[i];
		for (k = 0; k < c->cur->nh; k++) {
			c->cur_dir = c->cur->h[k].dir;
			for (b = 0; b < max_blocks; b++) {
				rc = pcap_dispatch(c->cur->h[k].p,
						   CAP_PCAP_CNT, pc_packet,
						   (u_char *)(void *)c);
				if (rc == PCAP_ERROR) {
					/* Down or gone: the handle is dead
					 * (and its fd would stay readable).
					 * Reopened once the device is up. */
					pif_shut(c, c->cur);
					break;
				}
				if (rc < CAP_PCAP_CNT)
					break;
			}
		}
	}
	pc_drain_batch(c);
	c->cur = NULL;
	c->st.packets += c->done;
	return c->done;
}

static void pc_release(void *be)
{
	(void)be;
}

static void pc_get_stats(void *be, struct cap_stats *out)
{
	struct cap_pcap *c = be;
	struct pcap_stat ps;
	size_t i;
	unsigned k;

	*out = c->st;
	for (i = 0; i < c->n + c->n_drain; i++) {
		const struct pc_if *pi = i < c->n ? c->ifs[i] :
					 c->drain[i - c->n];

		for (k = 0; k < pi->nh; k++) {
			if (pcap_stats(pi->h[k].p, &ps) != 0)
				continue;
			out->kernel_packets += ps.ps_recv;
			out->drops += ps.ps_drop;
		}
	}
}

const struct cap_ops cap_pcap_ops = {
	.name = "pcap",
	.open = pc_open,
	.close = pc_close,
	.fd = pc_fd,
	.add_if = pc_add_if,
	.remove_if = pc_remove_if,
	.rename_if = pc_rename_if,
	.refresh = pc_refresh,
	.count = pc_count,
	.ifindex = pc_ifindex,
	.ifname = pc_ifname,
	.next_batch = pc_next_batch,
	.release = pc_release,
	.get_stats = pc_get_stats,
};
