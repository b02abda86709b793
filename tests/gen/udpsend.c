/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tflow-udpsend: a test tool that sends files as UDP datagrams to a local
 * collector, from a chosen source port, so that tests need neither python
 * nor socat.  With -S a file is split the way exporters packed it (v1/v5 by
 * record count, IPFIX by message length, anything else whole: the layout of
 * ../shared/testdata/vendor-exports).  With -g N it sends N datagrams of
 * deterministic garbage instead (lengths 0 to 1500, some with a valid
 * version number and length so they reach the decoders' inner parsers).
 *
 *   tflow-udpsend -p PORT [-a ADDR] [-s SRCPORT] [-S] [-i USEC] FILE...
 *   tflow-udpsend -p PORT [-a ADDR] [-s SRCPORT] [-i USEC] -g N [-r SEED]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "gen_args.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: tflow-udpsend -p PORT [-a ADDR] [-s SRCPORT] [-S] "
		"[-i USEC] FILE...\n"
		"       tflow-udpsend -p PORT [-a ADDR] [-s SRCPORT] [-i USEC] "
		"-g N [-r SEED]\n");
	exit(2);
}

static long num(const char *s, long lo, long hi)
{
	return gen_num(s, lo, hi, usage);
}

static int sent;

static void send_one(int fd, const uint8_t *buf, size_t len, long gap_us)
{
	struct timespec ts;

	while (send(fd, buf, len, 0) == -1) {
		/* The collector's socket buffer fills faster than it reads
		 * on a loaded machine; ENOBUFS/EAGAIN are worth a retry. */
		if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
			perror("tflow-udpsend: send");
			exit(1);
		}
		usleep(1000);
	}
	sent++;
	if (gap_us > 0) {
		ts.tv_sec = gap_us / 1000000;
		ts.tv_nsec = (gap_us % 1000000) * 1000;
		nanosleep(&ts, NULL);
	}
}

static uint8_t *load(const char *path, size_t *len)
{
	uint8_t *buf;
	FILE *f;
	long n;

	f = fopen(path, "rb");
	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "tflow-udpsend: %s: %s\n", path,
			strerror(errno));
		exit(1);
	}
	buf = malloc(n > 0 ? (size_t)n : 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "tflow-udpsend: %s: read failed\n", path);
		exit(1);
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* The length of the first exporter datagram at buf (see the top). */
static size_t split_len(const uint8_t *buf, size_t n)
{
	uint16_t v, w;

	if (n < 4)
		return n;
	v = (uint16_t)(buf[0] << 8 | buf[1]);
	w = (uint16_t)(buf[2] << 8 | buf[3]);
	if (v == 1 && 16 + (size_t)w * 48 <= n)
		return 16 + (size_t)w * 48;
	if (v == 5 && 24 + (size_t)w * 48 <= n)
		return 24 + (size_t)w * 48;
	if (v == 10 && w >= 16 && w <= n)
		return w;
	return n;
}

static uint64_t rng;

static uint32_t rnd(void)
{
	/* xorshift64*: deterministic for a seed, good enough for junk. */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545F4914F6CDD1DULL) >> 32);
}

static void garbage(int fd, long count, long gap_us)
{
	static const uint16_t versions[] = { 1, 5, 9, 10 };
	uint8_t buf[1500];
	size_t len, i;
	long k;

	for (k = 0; k < count; k++) {
		len = rnd() % (sizeof(buf) + 1);
		if (k % 7 == 0)
			len = rnd() % 24;	/* short and empty ones */
		for (i = 0; i < len; i++)
			buf[i] = (uint8_t)rnd();
		if (len >= 4 && rnd() % 4 != 0) {
			uint16_t v = versions[rnd() % 4];

			buf[0] = (uint8_t)(v >> 8);
			buf[1] = (uint8_t)v;
			if (v == 10) {
				buf[2] = (uint8_t)(len >> 8);
				buf[3] = (uint8_t)len;
			} else if (v != 9) {
				buf[2] = 0;
				buf[3] = (uint8_t)(rnd() % 31);
			}
		}
		send_one(fd, buf, len, gap_us);
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in to, from;
	const char *addr = "127.0.0.1";
	long port = 0, sport = 0, gap_us = 0, count = -1;
	int ch, fd, split = 0, i;

	rng = 0x9e3779b97f4a7c15ULL;
	while ((ch = getopt(argc, argv, "a:p:s:Si:g:r:")) != -1) {
		switch (ch) {
		case 'a':
			addr = optarg;
			break;
		case 'p':
			port = num(optarg, 1, 65535);
			break;
		case 's':
			sport = num(optarg, 0, 65535);
			break;
		case 'S':
			split = 1;
			break;
		case 'i':
			gap_us = num(optarg, 0, 10000000);
			break;
		case 'g':
			count = num(optarg, 0, 100000000);
			break;
		case 'r':
			rng = (uint64_t)num(optarg, 1, 0x7fffffff) *
			      0x9e3779b97f4a7c15ULL;
			break;
		default:
			usage();
		}
	}
	if (port == 0 || (count < 0 && optind == argc))
		usage();
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &to.sin_addr) != 1)
		usage();
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd == -1) {
		perror("tflow-udpsend: socket");
		return 1;
	}
	memset(&from, 0, sizeof(from));
	from.sin_family = AF_INET;
	from.sin_port = htons((uint16_t)sport);
	if (bind(fd, (struct sockaddr *)&from, sizeof(from)) == -1 ||
	    connect(fd, (struct sockaddr *)&to, sizeof(to)) == -1) {
		perror("tflow-udpsend: bind/connect");
		return 1;
	}
	if (count >= 0) {
		garbage(fd, count, gap_us);
	} else {
		for (i = optind; i < argc; i++) {
			size_t len, off = 0, n;
			uint8_t *buf = load(argv[i], &len);

			do {
				n = split ? split_len(buf + off, len - off) :
					    len;
				send_one(fd, buf + off, n, gap_us);
				off += n;
			} while (off < len);
			free(buf);
		}
	}
	close(fd);
	fprintf(stderr, "tflow-udpsend: %d datagrams\n", sent);
	return 0;
}
