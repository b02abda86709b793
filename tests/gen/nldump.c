/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tflow-nldump: a test tool that shows what tflowd's netlink module
 * (src/probe/nl_links.c, nl_routes.c) sees, one line per fact, so that
 * tests/netns/netlink.sh can check it against `ip` and /sys.
 *
 *   tflow-nldump links
 *	Prints the links as they are and then as they change, until
 *	SIGTERM or SIGINT:
 *	    new IFINDEX NAME | del IFINDEX NAME | rename IFINDEX NAME |
 *	    change IFINDEX NAME
 *
 *   tflow-nldump routes
 *	Reads one address a line from stdin; for each, first applies every
 *	route and address event already waiting, then prints
 *	    ADDR out_if=N next_hop=X prefix=P local=yes|no
 *	next_hop is 0.0.0.0 or :: for a connected route, prefix is `none`
 *	(and out_if 0) without a route.  A line `count` prints
 *	`routes=N redumps=M` (tables read again after an overrun or a link
 *	going down).
 *
 * Output is flushed after every line.  Exit 0 at end of input, 1 on
 * error (with a message on stderr).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nl.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(void)
{
	fprintf(stderr, "usage: tflow-nldump links | routes\n");
	exit(2);
}

static void link_event(enum nl_link_event ev, const struct nl_link *l,
		       void *ctx)
{
	static const char *const names[] = {
		[NL_LINK_NEW] = "new", [NL_LINK_DEL] = "del",
		[NL_LINK_RENAME] = "rename", [NL_LINK_CHANGE] = "change",
	};

	(void)ctx;
	printf("%s %u %s\n", names[ev], l->ifindex, l->name);
	fflush(stdout);
}

static int run_links(void)
{
	struct nl_links *nl;
	char err[256];
	int rc = 0;

	nl = nl_links_open(link_event, NULL, err, sizeof(err));
	if (nl == NULL) {
		fprintf(stderr, "tflow-nldump: %s\n", err);
		return 1;
	}
	while (!stop) {
		struct pollfd p = { .fd = nl_links_fd(nl), .events = POLLIN };

		if (poll(&p, 1, -1) == -1) {
			if (errno == EINTR)
				continue;
			perror("tflow-nldump: poll");
			rc = 1;
			break;
		}
		if (p.revents & POLLIN) {
			int prc = nl_links_process(nl);

			if (prc < 0)
				fprintf(stderr, "tflow-nldump: links: %s\n",
					strerror(-prc));
		}
	}
	nl_links_close(nl);
	return rc;
}

static void print_hit(const struct nl_routes *nr, const char *text)
{
	struct nl_route_hit h;
	uint8_t a[16] = { 0 };
	char gw[INET6_ADDRSTRLEN];
	uint8_t ver;
	bool found;

	if (inet_pton(AF_INET, text, a) == 1) {
		ver = 4;
	} else if (inet_pton(AF_INET6, text, a) == 1) {
		ver = 6;
	} else {
		printf("%s error=bad-address\n", text);
		return;
	}
	found = nl_routes_lookup(nr, ver, a, &h);
	inet_ntop(ver == 4 ? AF_INET : AF_INET6, h.next_hop, gw, sizeof(gw));
	if (found)
		printf("%s out_if=%u next_hop=%s prefix=%u local=%s\n", text,
		       h.out_if, gw, h.prefix_len,
		       nl_local_is_local(nr, ver, a) ? "yes" : "no");
	else
		printf("%s out_if=0 next_hop=%s prefix=none local=%s\n", text,
		       gw, nl_local_is_local(nr, ver, a) ? "yes" : "no");
}

static int run_routes(void)
{
	struct nl_routes *nr;
	char err[256], line[256];
	int rc;

	nr = nl_routes_open(err, sizeof(err));
	if (nr == NULL) {
		fprintf(stderr, "tflow-nldump: %s\n", err);
		return 1;
	}
	while (!stop && fgets(line, sizeof(line), stdin) != NULL) {
		line[strcspn(line, " \t\r\n")] = '\0';
		if (line[0] == '\0')
			continue;
		/* Everything the kernel said before this line arrived. */
		rc = nl_routes_process(nr);
		if (rc < 0)
			fprintf(stderr, "tflow-nldump: routes: %s\n",
				strerror(-rc));
		if (strcmp(line, "count") == 0)
			printf("routes=%zu redumps=%llu\n",
			       nl_routes_count(nr),
			       (unsigned long long)nl_routes_redumps(nr));
		else
			print_hit(nr, line);
		fflush(stdout);
	}
	nl_routes_close(nr);
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa;

	if (argc != 2)
		usage();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (strcmp(argv[1], "links") == 0)
		return run_links();
	if (strcmp(argv[1], "routes") == 0)
		return run_routes();
	usage();
	return 2;
}
