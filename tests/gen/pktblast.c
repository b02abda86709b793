/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tflow-pktblast: replays the frames of a classic Ethernet pcap out of one
 * interface, looped, at a set packet rate or as fast as the kernel takes
 * them, for the live-capture benchmark (tests/bench/live.sh).  It exists
 * because tcpreplay tops out near 0.25 M packets/s here, below the rates
 * where the probes part ways.
 *
 *	tflow-pktblast -i IFACE [-r PPS] [-d SECONDS] [-n PACKETS] FILE.pcap
 *
 * One AF_PACKET socket with PACKET_QDISC_BYPASS (no queueing discipline,
 * the driver's xmit directly) sends batches with sendmmsg(2).  -r 0 (the
 * default) is top speed; otherwise each batch waits for its due time on
 * CLOCK_MONOTONIC, with batches small enough (rate / 20000, 1..64) that
 * the traffic is smooth at the millisecond scale.  ENOBUFS (the peer's
 * backlog is full) is retried, and counted, so every packet counted as
 * sent was accepted by the device.  It stops after SECONDS or PACKETS,
 * whichever comes first, and prints on stdout:
 *
 *	sent=N seconds=T pps=R retries=K
 *
 * Only the test's own namespaces are used: the caller picks the interface.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH_MAX	64
#define FRAME_MAX	9018	/* jumbo Ethernet frame with a tag */

struct frames {
	uint8_t *buf;		/* frames back to back */
	size_t *off;		/* start of frame i in buf */
	uint32_t *len;		/* its length */
	size_t n;
};

static uint32_t rd32(const uint8_t *p, int swap)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return swap ? __builtin_bswap32(v) : v;
}

/* Loads every frame of a classic pcap (LINKTYPE_ETHERNET); 0 or -1 with
 * a message on stderr. */
static int load_pcap(const char *path, struct frames *fr)
{
	uint8_t hdr[24], rec[16];
	size_t cap = 0, bufcap = 0, used = 0;
	uint32_t magic, incl;
	int swap;
	FILE *f;

	f = fopen(path, "rb");
	if (f == NULL) {
		perror(path);
		return -1;
	}
	if (fread(hdr, 1, sizeof(hdr), f) != sizeof(hdr))
		goto bad;
	memcpy(&magic, hdr, sizeof(magic));
	if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d)
		swap = 0;
	else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1)
		swap = 1;
	else
		goto bad;
	if (rd32(hdr + 20, swap) != 1) {
		fprintf(stderr, "%s: not Ethernet (linktype %u)\n", path,
			rd32(hdr + 20, swap));
		fclose(f);
		return -1;
	}
	memset(fr, 0, sizeof(*fr));
	while (fread(rec, 1, sizeof(rec), f) == sizeof(rec)) {
		incl = rd32(rec + 8, swap);
		if (incl > FRAME_MAX)
			goto bad;
		if (fr->n == cap) {
			cap = cap ? cap * 2 : 4096;
			fr->off = realloc(fr->off, cap * sizeof(*fr->off));
			fr->len = realloc(fr->len, cap * sizeof(*fr->len));
			if (fr->off == NULL || fr->len == NULL)
				goto nomem;
		}
		if (used + incl > bufcap) {
			bufcap = bufcap ? bufcap * 2 : 1 << 20;
			while (used + incl > bufcap)
				bufcap *= 2;
			fr->buf = realloc(fr->buf, bufcap);
			if (fr->buf == NULL)
				goto nomem;
		}
		if (fread(fr->buf + used, 1, incl, f) != incl)
			goto bad;
		fr->off[fr->n] = used;
		fr->len[fr->n] = incl;
		fr->n++;
		used += incl;
	}
	fclose(f);
	if (fr->n == 0) {
		fprintf(stderr, "%s: no packets\n", path);
		return -1;
	}
	return 0;
nomem:
	fprintf(stderr, "out of memory\n");
	fclose(f);
	return -1;
bad:
	fprintf(stderr, "%s: not a classic pcap file, or truncated\n", path);
	fclose(f);
	return -1;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
	struct timespec ts;

	ts.tv_sec = (time_t)t;
	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

static void usage(void)
{
	fprintf(stderr, "usage: tflow-pktblast -i IFACE [-r PPS] "
		"[-d SECONDS] [-n PACKETS] FILE.pcap\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct mmsghdr msgs[BATCH_MAX];
	struct iovec iov[BATCH_MAX];
	struct sockaddr_ll sll;
	struct frames fr;
	const char *ifname = NULL;
	double rate = 0, secs = 10, t0, t, due;
	unsigned long long limit = 0, sent = 0, retries = 0;
	size_t next = 0;
	int one = 1, fd, ch, batch, i, k;

	while ((ch = getopt(argc, argv, "i:r:d:n:")) != -1) {
		switch (ch) {
		case 'i':
			ifname = optarg;
			break;
		case 'r':
			rate = strtod(optarg, NULL);
			break;
		case 'd':
			secs = strtod(optarg, NULL);
			break;
		case 'n':
			limit = strtoull(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	if (ifname == NULL || optind != argc - 1 || rate < 0 || secs <= 0)
		usage();
	if (load_pcap(argv[optind], &fr) < 0)
		return 1;

	fd = socket(AF_PACKET, SOCK_RAW, 0);	/* protocol 0: sends only */
	if (fd == -1) {
		perror("socket(AF_PACKET)");
		return 1;
	}
	if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one,
		       sizeof(one)) == -1)
		perror("PACKET_QDISC_BYPASS (sending through the qdisc)");
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (sll.sll_ifindex == 0) {
		perror(ifname);
		return 1;
	}
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) == -1) {
		perror("bind");
		return 1;
	}

	batch = rate > 0 ? (int)(rate / 20000) : BATCH_MAX;
	if (batch < 1)
		batch = 1;
	if (batch > BATCH_MAX)
		batch = BATCH_MAX;
	memset(msgs, 0, sizeof(msgs));
	t0 = mono_s();
	t = t0;
	while (t - t0 < secs && (limit == 0 || sent < limit)) {
		int want = batch, done = 0;

		if (limit != 0 && limit - sent < (unsigned long long)want)
			want = (int)(limit - sent);
		if (rate > 0) {
			due = t0 + (double)sent / rate;
			if (due > t)
				sleep_until(due);
		}
		for (i = 0; i < want; i++) {
			size_t j = (next + (size_t)i) % fr.n;

			iov[i].iov_base = fr.buf + fr.off[j];
			iov[i].iov_len = fr.len[j];
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		while (done < want) {
			k = sendmmsg(fd, msgs + done, (unsigned)(want - done),
				     0);
			if (k == -1) {
				if (errno == ENOBUFS || errno == EAGAIN ||
				    errno == EINTR) {
					retries++;
					continue;
				}
				perror("sendmmsg");
				return 1;
			}
			done += k;
		}
		sent += (unsigned long long)want;
		next = (next + (size_t)want) % fr.n;
		t = mono_s();
	}
	t -= t0;
	printf("sent=%llu seconds=%.3f pps=%.0f retries=%llu\n", sent, t,
	       (double)sent / t, retries);
	close(fd);
	free(fr.buf);
	free(fr.off);
	free(fr.len);
	return 0;
}
