/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cap: the public capture API of cap.h, dispatched to the backend that
 * opts->backend names (capture=afpacket|pcap|nflog:GROUP) through its ops
 * table, plus the direction filter the interface backends share.
 *
 * cap_open() opens an empty capture and adds the interfaces one by one
 * through the same add_if the live loop uses later, so an interface that
 * appears while running is opened exactly as one present at start.
 */
#include "cap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cap_backend.h"
#include "pkt.h"

struct cap {
	const struct cap_ops *ops;
	void *be;			/* the backend's own state */
};

static const struct cap_ops *backend_ops(enum conf_capture b)
{
	switch (b) {
	case CONF_CAPTURE_AFPACKET:
		return &cap_afpacket_ops;
	case CONF_CAPTURE_PCAP:
		return &cap_pcap_ops;
	case CONF_CAPTURE_NFLOG:
		return &cap_nflog_ops;
	}
	return NULL;
}

struct cap *cap_open(const struct cap_opts *opts, const char *const *names,
		     size_t n, char *err, size_t errlen)
{
	struct cap *c;
	size_t i;
	int rc;

	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->ops = backend_ops(opts->backend);
	if (c->ops == NULL) {
		snprintf(err, errlen, "capture backend %d unknown",
			 (int)opts->backend);
		free(c);
		errno = EINVAL;
		return NULL;
	}
	c->be = c->ops->open(opts, err, errlen);
	if (c->be == NULL) {
		rc = errno;
		free(c);
		errno = rc;
		return NULL;
	}
	for (i = 0; i < n; i++) {
		rc = c->ops->add_if(c->be, names[i], err, errlen);
		/* A name listed twice is one interface, not an error. */
		if (rc < 0 && rc != -EEXIST) {
			cap_close(c);
			errno = -rc;
			return NULL;
		}
	}
	return c;
}

void cap_close(struct cap *c)
{
	if (c == NULL)
		return;
	c->ops->close(c->be);
	free(c);
}

int cap_add_if(struct cap *c, const char *name, char *err, size_t errlen)
{
	return c->ops->add_if(c->be, name, err, errlen);
}

int cap_remove_if(struct cap *c, uint32_t ifindex)
{
	return c->ops->remove_if(c->be, ifindex);
}

void cap_rename_if(struct cap *c, uint32_t ifindex, const char *name)
{
	c->ops->rename_if(c->be, ifindex, name);
}

void cap_refresh(struct cap *c)
{
	c->ops->refresh(c->be);
}

int cap_fd(const struct cap *c)
{
	return c->ops->fd(c->be);
}

size_t cap_next_batch(struct cap *c, unsigned max_blocks, cap_pkt_fn fn,
		      void *ctx)
{
	return c->ops->next_batch(c->be, max_blocks, fn, ctx);
}

void cap_release(struct cap *c)
{
	c->ops->release(c->be);
}

size_t cap_count(const struct cap *c)
{
	return c->ops->count(c->be);
}

uint32_t cap_ifindex(const struct cap *c, size_t i)
{
	return c->ops->ifindex(c->be, i);
}

const char *cap_ifname(const struct cap *c, size_t i)
{
	return c->ops->ifname(c->be, i);
}

void cap_get_stats(struct cap *c, struct cap_stats *out)
{
	c->ops->get_stats(c->be, out);
}

bool cap_dir_keep(const struct cap_opts *opts, struct cap_stats *st,
		  bool outgoing, int linktype, const uint8_t *data,
		  uint32_t caplen, uint32_t wirelen)
{
	struct pkt_info pi;

	if (!outgoing) {
		if (opts->direction != CONF_DIR_EGRESS)
			return true;
		st->incoming++;
		return false;
	}
	switch (opts->direction) {
	case CONF_DIR_EGRESS:
	case CONF_DIR_BOTH:
		return true;
	case CONF_DIR_INGRESS_LOCAL:
		/* Forwarded packets were counted when they came in; only
		 * what this host originated is new.  A sent frame that is
		 * not IP (ARP) is not a flow: skipped like forwarded. */
		if (opts->is_local != NULL &&
		    pkt_parse((enum pkt_linktype)linktype, data, caplen,
			      wirelen, &pi) == PKT_OK &&
		    opts->is_local(opts->local_ctx, pi.key.ip_version,
				   pi.key.src_addr))
			return true;
		break;
	case CONF_DIR_INGRESS:
		break;
	}
	st->outgoing++;
	return false;
}
