/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * conf: the probe's configuration, read from RouterOS script (the text that
 * `/export` prints for /ip traffic-flow).  One schema table per menu drives
 * parsing, defaults and export.  Parsing builds a whole new config into the
 * caller's struct; on error nothing of it is to be used and the caller keeps
 * its old one.
 *
 * Menus: /ip traffic-flow (set), /ip traffic-flow target (add),
 * /ip traffic-flow ipfix (set).  Both one-line (`/ip traffic-flow set ...`)
 * and menu-then-command forms, the v7 slash form (`/ip/traffic-flow/set`),
 * `\` continuations, `#` comments and "quoted" values parse.
 */
#ifndef TFLOW_CONF_H
#define TFLOW_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define CONF_MAX_TARGETS 16
#define CONF_MAX_INTERFACES 64
#define CONF_IFNAME_LEN 16		/* IFNAMSIZ */

enum conf_version {
	CONF_VERSION_1 = 1,
	CONF_VERSION_5 = 5,
	CONF_VERSION_9 = 9,
	CONF_VERSION_IPFIX = 10,
};

struct conf_target {
	struct sockaddr_storage dst;	/* address and port (network order) */
	struct sockaddr_storage src;	/* ss_family 0: kernel picks */
	enum conf_version version;	/* default 9 */
	uint32_t template_refresh;	/* v9-template-refresh, datagrams, 20 */
	uint64_t template_timeout_ms;	/* v9-template-timeout, 30m */
	bool disabled;
};

/* /ip traffic-flow ipfix toggles, RouterOS names, in RouterOS order. */
#define CONF_IPFIX_FIELDS(X)						\
	X(BYTES, "bytes")						\
	X(DST_ADDRESS, "dst-address")					\
	X(DST_ADDRESS_MASK, "dst-address-mask")				\
	X(DST_MAC_ADDRESS, "dst-mac-address")				\
	X(DST_PORT, "dst-port")						\
	X(FIRST_FORWARDED, "first-forwarded")				\
	X(GATEWAY, "gateway")						\
	X(ICMP_CODE, "icmp-code")					\
	X(ICMP_TYPE, "icmp-type")					\
	X(IGMP_TYPE, "igmp-type")					\
	X(IN_INTERFACE, "in-interface")					\
	X(IP_HEADER_LENGTH, "ip-header-length")				\
	X(IP_TOTAL_LENGTH, "ip-total-length")				\
	X(IPV6_FLOW_LABEL, "ipv6-flow-label")				\
	X(IS_MULTICAST, "is-multicast")					\
	X(LAST_FORWARDED, "last-forwarded")				\
	X(NAT_DST_ADDRESS, "nat-dst-address")				\
	X(NAT_DST_PORT, "nat-dst-port")					\
	X(NAT_EVENTS, "nat-events")					\
	X(NAT_SRC_ADDRESS, "nat-src-address")				\
	X(NAT_SRC_PORT, "nat-src-port")					\
	X(OUT_INTERFACE, "out-interface")				\
	X(PACKETS, "packets")						\
	X(PROTOCOL, "protocol")						\
	X(SRC_ADDRESS, "src-address")					\
	X(SRC_ADDRESS_MASK, "src-address-mask")				\
	X(SRC_MAC_ADDRESS, "src-mac-address")				\
	X(SRC_PORT, "src-port")						\
	X(SYS_INIT_TIME, "sys-init-time")				\
	X(TCP_ACK_NUM, "tcp-ack-num")					\
	X(TCP_FLAGS, "tcp-flags")					\
	X(TCP_SEQ_NUM, "tcp-seq-num")					\
	X(TCP_WINDOW_SIZE, "tcp-window-size")				\
	X(TOS, "tos")							\
	X(TTL, "ttl")							\
	X(UDP_LENGTH, "udp-length")

enum conf_ipfix_field {
#define CONF_IPFIX_ENUM(id, name) CONF_IPFIX_##id,
	CONF_IPFIX_FIELDS(CONF_IPFIX_ENUM)
#undef CONF_IPFIX_ENUM
	CONF_IPFIX_MAX
};

/*
 * tflow's own /ip traffic-flow properties (not RouterOS's): exported only
 * when they differ from the default, so a default config's export is what
 * RouterOS prints.  Zero is the default of each.
 */
enum conf_capture {
	CONF_CAPTURE_AFPACKET = 0,	/* capture=afpacket: TPACKET_V3 ring, fanout */
	CONF_CAPTURE_PCAP,		/* capture=pcap: libpcap live */
	CONF_CAPTURE_NFLOG,		/* capture=nflog:GROUP (nftables `log group`) */
};

enum conf_direction {
	CONF_DIR_INGRESS_LOCAL = 0,	/* count-direction=ingress-and-local: ingress,
					 * plus egress this host originated */
	CONF_DIR_INGRESS,		/* count-direction=ingress */
	CONF_DIR_EGRESS,		/* count-direction=egress */
	CONF_DIR_BOTH,			/* count-direction=both */
};

struct tflow_config {
	bool enabled;				/* default no */
	bool interfaces_all;			/* interfaces=all (default) */
	unsigned n_interfaces;
	char interfaces[CONF_MAX_INTERFACES][CONF_IFNAME_LEN];
	uint32_t cache_entries;			/* 1k .. 16M, default 4k */
	uint64_t active_timeout_ms;		/* default 30m */
	uint64_t inactive_timeout_ms;		/* default 15s */
	bool packet_sampling;			/* default no */
	uint32_t sampling_interval;		/* default 0 */
	uint32_t sampling_space;		/* default 0 */
	unsigned n_targets;
	struct conf_target targets[CONF_MAX_TARGETS];
	uint64_t ipfix_fields;			/* bit (1 << CONF_IPFIX_x) set = yes */
	enum conf_capture capture;		/* capture=, default afpacket */
	uint16_t nflog_group;			/* the GROUP of capture=nflog:GROUP */
	uint16_t capture_workers;		/* capture-workers=, 0 = auto (one per CPU) */
	enum conf_direction count_direction;	/* count-direction= */
};

/* Where and why parsing failed.  msg is RouterOS-worded, e.g.
 * "invalid value for argument cache-entries". */
struct conf_error {
	unsigned line;		/* 1-based */
	unsigned column;	/* 1-based, of the offending token */
	char msg[256];
};

void conf_init_defaults(struct tflow_config *cfg);

/* Parse RouterOS script `text` (`len` bytes) on top of defaults into *cfg.
 * Returns 0, or -EINVAL with *err filled. */
int conf_parse_string(const char *text, size_t len, struct tflow_config *cfg,
		      struct conf_error *err);

/* Read and parse a file.  Returns 0, -EINVAL (syntax, *err filled) or
 * -errno from reading (err->msg says so). */
int conf_parse_file(const char *path, struct tflow_config *cfg,
		    struct conf_error *err);

/* Print the config as RouterOS script (what `export` prints); parsing the
 * output gives back an identical config. */
void conf_export(const struct tflow_config *cfg, FILE *out);

/*
 * Run one CLI command line (RouterOS script: an absolute path, or one
 * relative to the root menu; the v7 slash form; several commands split by
 * `;`) against *cfg.  Beyond the config file's `set` and `add` it takes
 * `print [detail]`, `export`, and under /ip traffic-flow target
 * `set N`, `remove N`, `enable N`, `disable N` (N: a row of `print`, or
 * a comma list), `print where PROP=VALUE [and PROP=VALUE]...` (simple
 * equalities) and `monitor [once]` (which needs the daemon: see
 * conf_run_command()).  print and export write to `out` (NULL: nowhere).
 * The commands work on a copy that is validated as a whole; *cfg changes
 * only when everything succeeded.  Returns 1 when a changing command ran
 * (the caller saves), 0 after read-only ones, or -EINVAL with *err filled
 * (-ENOMEM: out of memory).
 */
int conf_apply_command(struct tflow_config *cfg, const char *line,
		       size_t len, FILE *out, struct conf_error *err);

/* What the daemon adds to a command line beyond the config. */
struct conf_hooks {
	/* /ip traffic-flow monitor [once]: print one snapshot to out.  NULL:
	 * monitor fails with "monitor needs the running tflowd". */
	void (*monitor)(void *ctx, FILE *out);
	void *ctx;
};

/* conf_apply_command() with hooks (NULL: none), for the control socket. */
int conf_run_command(struct tflow_config *cfg, const char *line, size_t len,
		     FILE *out, const struct conf_hooks *hooks,
		     struct conf_error *err);

/* What a command line does, strongest last (see conf_command_kind()). */
enum conf_kind {
	CONF_KIND_NONE = 0,		/* empty, or only a path: moves menus */
	CONF_KIND_READ,			/* print, export */
	CONF_KIND_MONITOR_ONCE,		/* monitor once */
	CONF_KIND_MONITOR,		/* monitor: refresh until interrupted */
	CONF_KIND_CHANGE,		/* set, add, remove, enable, disable */
};

/*
 * Classify a command line typed in `menu` (a menu path as the shell's
 * prompt shows it, "/ip traffic-flow target"; NULL or "/" for the root)
 * without running anything: the strongest enum conf_kind among its
 * commands, or -EINVAL with *err filled for unknown menus, commands or
 * unbalanced quotes (arguments are not checked).  *menu_after (may be
 * NULL) gets the menu the line leaves the shell in: the path of a
 * path-only line, else `menu` itself; a static string.
 */
int conf_command_kind(const char *menu, const char *line, size_t len,
		      const char **menu_after, struct conf_error *err);

#define CONF_COMPLETE_MAX 64

/* Candidates for the word under the cursor; see conf_complete(). */
struct conf_completions {
	size_t start;			/* offset in line of the partial word */
	unsigned n;
	const char *words[CONF_COMPLETE_MAX];	/* static strings */
	char suffix[CONF_COMPLETE_MAX];	/* to append after a unique one:
					 * ' ', '=' (a property) or 0 */
};

/*
 * Tab completion: `line` (len bytes, the cursor at its end) typed in
 * `menu`.  Offers the sub-menus and commands of the menu reached, the
 * property names after set/add/print where, `detail`/`where` after
 * print, `once` after monitor, and the fixed values of a property after
 * `name=`.  Returns the number of candidates (0: none) or -ENOMEM.
 */
int conf_complete(const char *menu, const char *line, size_t len,
		  struct conf_completions *c);

/* Value parsers shared with the CLI.  Return 0 or -EINVAL. */
int conf_parse_time_ms(const char *s, uint64_t *out_ms);	/* 30m, 1h30m, 00:30:00, 90s, 1d, 1w, 500ms */
int conf_parse_size(const char *s, uint64_t *out);		/* 4k = 4096? see docs */
int conf_parse_bool(const char *s, bool *out);			/* yes/no (true/false) */

#endif
