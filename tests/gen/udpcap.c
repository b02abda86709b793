/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tflow-udpcap: captures UDP datagrams into a file and replays them, for
 * the collector benchmark (tests/bench/collector.sh).  Capture binds
 * 127.0.0.1:PORT and writes each datagram as a 4-byte big-endian length
 * and the payload, until no datagram came for IDLE ms (after the first)
 * or SIGINT/SIGTERM.  Replay loads such a file and sends it with
 * sendmmsg() batches to 127.0.0.1:PORT, LOOPS times over.  With NSRC
 * sockets on consecutive source ports the sources take turns batch by
 * batch, each sending only its own batches (SO_REUSEPORT hashes by
 * 4-tuple, so several sources exercise several collector workers): the
 * file still goes out once per loop in all.  So that no source's first
 * data sets wait for (or miss) their templates, each of them first sends
 * a primer: one datagram with the template sets (v9 0/1, IPFIX 2/3) of
 * the file's first PRIMER_SCAN datagrams and no data.  Sends
 * are paced to RATE datagrams per second in all (0: as fast as the
 * kernel takes them).  Only loopback: nothing leaves the machine.
 *
 *   tflow-udpcap -c -p PORT -o FILE [-t IDLE_MS]
 *   tflow-udpcap -p PORT [-n NSRC] [-s SRCPORT] [-R RATE] [-L LOOPS] FILE
 *
 * Replay prints "datagrams=N seconds=S" on stdout.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "gen_args.h"

#define BATCH 32		/* datagrams per sendmmsg */
#define MAX_SRC 16
#define DGRAM_MAX 65535

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: tflow-udpcap -c -p PORT -o FILE [-t IDLE_MS]\n"
		"       tflow-udpcap -p PORT [-n NSRC] [-s SRCPORT] [-R RATE] "
		"[-L LOOPS] FILE\n");
	exit(2);
}

static long num(const char *s, long lo, long hi)
{
	return gen_num(s, lo, hi, usage);
}

static void loopback(struct sockaddr_in *sa, long port)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

static int capture(long port, const char *path, long idle_ms)
{
	static uint8_t buf[DGRAM_MAX];
	struct sockaddr_in sa;
	struct pollfd p;
	uint64_t n = 0, bytes = 0;
	int fd, size = 32 * 1024 * 1024, r;
	uint8_t hdr[4];
	ssize_t len;
	FILE *f;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd == -1) {
		perror("tflow-udpcap: socket");
		return 1;
	}
	/* Whoever sends may be unpaced: a deep queue keeps the capture
	 * whole.  FORCE needs root; the plain one is capped by rmem_max. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size,
		       sizeof(size)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size,
				 sizeof(size));
	loopback(&sa, port);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		perror("tflow-udpcap: bind");
		return 1;
	}
	f = fopen(path, "wb");
	if (f == NULL) {
		perror(path);
		return 1;
	}
	p.fd = fd;
	p.events = POLLIN;
	while (!stop) {
		/* Wait forever for the first datagram, then IDLE ms. */
		r = poll(&p, 1, n == 0 ? 1000 : (int)idle_ms);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			perror("tflow-udpcap: poll");
			return 1;
		}
		if (r == 0) {
			if (n == 0)
				continue;
			break;
		}
		while ((len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) >= 0) {
			hdr[0] = (uint8_t)(len >> 24);
			hdr[1] = (uint8_t)(len >> 16);
			hdr[2] = (uint8_t)(len >> 8);
			hdr[3] = (uint8_t)len;
			if (fwrite(hdr, 1, 4, f) != 4 ||
			    fwrite(buf, 1, (size_t)len, f) != (size_t)len) {
				perror(path);
				return 1;
			}
			n++;
			bytes += (uint64_t)len;
		}
	}
	if (fclose(f) != 0) {
		perror(path);
		return 1;
	}
	fprintf(stderr, "tflow-udpcap: captured %llu datagrams, %llu bytes\n",
		(unsigned long long)n, (unsigned long long)bytes);
	return 0;
}

struct dgram {
	const uint8_t *p;
	size_t len;
};

/* Loads a capture; returns the datagram table, NULL on a bad file. */
static struct dgram *load(const char *path, size_t *count, uint8_t **data)
{
	struct dgram *d = NULL;
	size_t n = 0, cap = 0, off = 0, len;
	uint8_t *buf;
	long sz;
	FILE *f;

	f = fopen(path, "rb");
	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		perror(path);
		exit(1);
	}
	buf = malloc(sz > 0 ? (size_t)sz : 1);
	if (buf == NULL || fread(buf, 1, (size_t)sz, f) != (size_t)sz) {
		fprintf(stderr, "tflow-udpcap: %s: read failed\n", path);
		exit(1);
	}
	fclose(f);
	while (off + 4 <= (size_t)sz) {
		len = (size_t)buf[off] << 24 | (size_t)buf[off + 1] << 16 |
		      (size_t)buf[off + 2] << 8 | buf[off + 3];
		off += 4;
		if (len > DGRAM_MAX || len > (size_t)sz - off)
			break;
		if (n == cap) {
			struct dgram *nd;

			cap = cap ? cap * 2 : 4096;
			nd = realloc(d, cap * sizeof(*d));
			if (nd == NULL) {
				fprintf(stderr, "tflow-udpcap: out of memory\n");
				exit(1);
			}
			d = nd;
		}
		d[n].p = buf + off;
		d[n].len = len;
		n++;
		off += len;
	}
	if (off != (size_t)sz || n == 0) {
		fprintf(stderr, "tflow-udpcap: %s: not a capture (or cut off)\n",
			path);
		exit(1);
	}
	*count = n;
	*data = buf;
	return d;
}

#define PRIMER_SCAN 256

/* The primer of a v9 or IPFIX file (see the top): its length, 0 for
 * other versions.  The header is the first datagram's, with the count
 * (v9) or length (IPFIX) of what it carries now. */
static size_t primer(const struct dgram *d, size_t n, uint8_t *out,
		     size_t cap)
{
	size_t i, off, hdr, len = 0, slen;
	unsigned version, id, nsets = 0;

	if (n == 0 || d[0].len < 20)
		return 0;
	version = (unsigned)(d[0].p[0] << 8 | d[0].p[1]);
	if (version != 9 && version != 10)
		return 0;
	hdr = version == 9 ? 20 : 16;
	memcpy(out, d[0].p, hdr);
	len = hdr;
	for (i = 0; i < n && i < PRIMER_SCAN; i++) {
		if (d[i].len < hdr ||
		    (unsigned)(d[i].p[0] << 8 | d[i].p[1]) != version)
			continue;
		for (off = hdr; off + 4 <= d[i].len; off += slen) {
			id = (unsigned)(d[i].p[off] << 8 | d[i].p[off + 1]);
			slen = (size_t)(d[i].p[off + 2] << 8 | d[i].p[off + 3]);
			if (slen < 4 || slen > d[i].len - off)
				break;
			if (!(version == 9 ? id <= 1 : id == 2 || id == 3))
				continue;
			/* Exporters resend the same sets: keep one of each. */
			if (memmem(out + hdr, len - hdr, d[i].p + off,
				   slen) != NULL)
				continue;
			if (len + slen > cap)
				break;
			memcpy(out + len, d[i].p + off, slen);
			len += slen;
			nsets++;
		}
	}
	if (nsets == 0)
		return 0;
	/* v9 count: records, read loosely by collectors; the sets'. */
	out[2] = (uint8_t)((version == 9 ? nsets : len) >> 8);
	out[3] = (uint8_t)(version == 9 ? nsets : len);
	return len;
}

/* Sends d[0..n) on fd, retrying what the kernel refused for a moment. */
static void send_batch(int fd, const struct dgram *d, size_t n)
{
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	size_t i, done = 0;
	int r;

	memset(m, 0, sizeof(m));
	for (i = 0; i < n; i++) {
		iov[i].iov_base = (void *)(uintptr_t)d[i].p;
		iov[i].iov_len = d[i].len;
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
	}
	while (done < n) {
		r = sendmmsg(fd, m + done, (unsigned)(n - done), 0);
		if (r == -1) {
			/* Loopback rarely refuses; ECONNREFUSED is an ICMP
			 * error of an earlier send (receiver not up yet). */
			if (errno != ENOBUFS && errno != EAGAIN &&
			    errno != EINTR && errno != ECONNREFUSED) {
				perror("tflow-udpcap: sendmmsg");
				exit(1);
			}
			usleep(100);
			continue;
		}
		done += (size_t)r;
	}
}

static int replay(long port, long nsrc, long sport, long rate, long loops,
		  const char *path)
{
	struct sockaddr_in to, from;
	struct timespec ts;
	struct dgram *d;
	uint8_t *data;
	size_t n, i, k;
	uint64_t sent = 0, t0, due;
	int fds[MAX_SRC];
	long s, l;

	d = load(path, &n, &data);
	loopback(&to, port);
	for (s = 0; s < nsrc; s++) {
		fds[s] = socket(AF_INET, SOCK_DGRAM, 0);
		if (fds[s] == -1) {
			perror("tflow-udpcap: socket");
			return 1;
		}
		loopback(&from, sport == 0 ? 0 : sport + s);
		if (bind(fds[s], (struct sockaddr *)&from,
			 sizeof(from)) == -1 ||
		    connect(fds[s], (struct sockaddr *)&to,
			    sizeof(to)) == -1) {
			perror("tflow-udpcap: bind/connect");
			return 1;
		}
	}
	if (nsrc > 1) {
		static uint8_t pbuf[60000];
		struct dgram pd;

		pd.p = pbuf;
		pd.len = primer(d, n, pbuf, sizeof(pbuf));
		for (s = 0; s < nsrc && pd.len > 0; s++)
			send_batch(fds[s], &pd, 1);
	}
	t0 = gen_mono_ns();
	for (l = 0; l < loops && !stop; l++) {
		for (i = 0, s = 0; i < n && !stop; i += BATCH) {
			k = n - i < BATCH ? n - i : BATCH;
			if (rate > 0) {
				due = t0 + sent * 1000000000ULL /
				      (uint64_t)rate;
				ts.tv_sec = (time_t)(due / 1000000000ULL);
				ts.tv_nsec = (long)(due % 1000000000ULL);
				if (due > gen_mono_ns())
					clock_nanosleep(CLOCK_MONOTONIC,
							TIMER_ABSTIME, &ts,
							NULL);
			}
			send_batch(fds[s], d + i, k);
			sent += k;
			s = (s + 1) % nsrc;
		}
	}
	printf("datagrams=%llu seconds=%.3f\n", (unsigned long long)sent,
	       (double)(gen_mono_ns() - t0) / 1e9);
	for (s = 0; s < nsrc; s++)
		close(fds[s]);
	free(d);
	free(data);
	return 0;
}

int main(int argc, char **argv)
{
	long port = 0, nsrc = 1, sport = 0, rate = 0, loops = 1, idle = 2000;
	const char *out = NULL;
	int ch, cap = 0;

	while ((ch = getopt(argc, argv, "cp:o:t:n:s:R:L:")) != -1) {
		switch (ch) {
		case 'c':
			cap = 1;
			break;
		case 'p':
			port = num(optarg, 1, 65535);
			break;
		case 'o':
			out = optarg;
			break;
		case 't':
			idle = num(optarg, 1, 3600000);
			break;
		case 'n':
			nsrc = num(optarg, 1, MAX_SRC);
			break;
		case 's':
			sport = num(optarg, 0, 65535 - MAX_SRC);
			break;
		case 'R':
			rate = num(optarg, 0, 1000000000);
			break;
		case 'L':
			loops = num(optarg, 1, 1000000);
			break;
		default:
			usage();
		}
	}
	if (port == 0)
		usage();
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (cap) {
		if (out == NULL || optind != argc)
			usage();
		return capture(port, out, idle);
	}
	if (optind != argc - 1)
		usage();
	return replay(port, nsrc, sport, rate, loops, argv[optind]);
}
