/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * conf: RouterOS script for /ip traffic-flow, in three layers.
 *
 * The lexer (ros_*) walks the bytes with a cursor that hides `\`-newline
 * continuations and keeps the physical line and column, so every token
 * knows where it started even on a continued command.  The grammar walks
 * a static menu tree (path words, then one command word) and reads
 * name=value arguments.  The schema rows, one table per menu, give each
 * property's type, range, default and place in its object; the same rows
 * drive parsing, defaults, export and the CLI's print (and will drive
 * completion).
 *
 * The config file and a CLI command line go through the same lexer and
 * grammar; only the set of command words per menu differs (cmds against
 * cli_cmds), and a command line starts from the current config instead
 * of the defaults.
 *
 * Invariants: the caller's config is written only after the whole script
 * or command line parsed and validated; every error carries the 1-based
 * line and column of the offending token and RouterOS wording.
 */
#include "conf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A config file is a screenful; a megabyte is a mistake (a pcap?). */
#define CONF_FILE_MAX		(1024 * 1024)
#define ROS_WORD_MAX		64	/* longer than any menu, command or property */
/* 64 interface names of 15 bytes and their commas fit with room to spare. */
#define ROS_VALUE_MAX		4096
/* RouterOS export wraps lines at 80 columns with `\` and 4 spaces. */
#define ROS_EXPORT_WIDTH	80
#define ROS_EXPORT_INDENT	"    "

#define MS_SECOND	UINT64_C(1000)
#define MS_MINUTE	(60 * MS_SECOND)
#define MS_HOUR		(60 * MS_MINUTE)
#define MS_DAY		(24 * MS_HOUR)
#define MS_WEEK		(7 * MS_DAY)

#define IPFIX_ALL_FIELDS \
	(CONF_IPFIX_MAX == 64 ? ~UINT64_C(0) : (UINT64_C(1) << CONF_IPFIX_MAX) - 1)
_Static_assert(CONF_IPFIX_MAX <= 64, "ipfix toggles live in one uint64_t");

/* ------------------------------------------------------------------------
 * Lexer: a cursor over the script text.
 */

struct ros_pos {
	unsigned line, col;	/* 1-based, physical */
};

struct ros_lex {
	const char *p;		/* next byte */
	const char *end;
	unsigned line, col;	/* position of *p */
};

static void ros_lex_init(struct ros_lex *lx, const char *text, size_t len)
{
	lx->p = text;
	lx->end = text + len;
	lx->line = 1;
	lx->col = 1;
	/* Windows editors prepend a byte order mark; it is not a column. */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		lx->p += 3;
}

/*
 * A `\` at the very end of a line (before LF or CRLF, or at the end of the
 * text) joins the next line to this command.  Skipping it here, below
 * every token reader, lets a continuation fall anywhere between or inside
 * tokens while positions stay physical.
 */
static void ros_skip_cont(struct ros_lex *lx)
{
	const char *q;

	while (lx->p < lx->end && *lx->p == '\\') {
		q = lx->p + 1;
		if (q < lx->end && *q == '\r')
			q++;
		if (q == lx->end) {
			lx->col += (unsigned)(q - lx->p);
			lx->p = q;
			return;
		}
		if (*q != '\n')
			return;
		lx->p = q + 1;
		lx->line++;
		lx->col = 1;
	}
}

/* Next byte (0..255) after any continuation, or -1 at the end. */
static int ros_peek(struct ros_lex *lx)
{
	ros_skip_cont(lx);
	return lx->p < lx->end ? (unsigned char)*lx->p : -1;
}

/* Step over the byte ros_peek() returned. */
static void ros_advance(struct ros_lex *lx)
{
	if (*lx->p == '\n') {
		lx->line++;
		lx->col = 1;
	} else
		lx->col++;
	lx->p++;
}

static struct ros_pos ros_here(struct ros_lex *lx)
{
	struct ros_pos pos;

	ros_skip_cont(lx);
	pos.line = lx->line;
	pos.col = lx->col;
	return pos;
}

/* CR is a blank so that CRLF files read like LF ones. */
static bool ros_is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Newline and `;` end a command, as does a `#` that starts a token. */
static bool ros_is_end(int c)
{
	return c == -1 || c == '\n' || c == ';' || c == '#';
}

static void ros_skip_blanks(struct ros_lex *lx)
{
	while (ros_is_blank(ros_peek(lx)))
		ros_advance(lx);
}

/* A comment runs to the physical end of the line, `\` or not. */
static void ros_skip_comment(struct ros_lex *lx)
{
	while (lx->p < lx->end && *lx->p != '\n') {
		lx->p++;
		lx->col++;
	}
}

/*
 * Read a path or command word: up to a blank, `/` (the v7 separator) or
 * the end of the command.  A word too long for `buf` is consumed and
 * comes back as "?", which matches nothing.
 */
static void ros_read_word(struct ros_lex *lx, char *buf, size_t size)
{
	size_t n = 0;
	bool overflow = false;
	int c;

	while ((c = ros_peek(lx)) != -1 && !ros_is_blank(c) && c != '\n' &&
	    c != ';' && c != '/') {
		if (n + 1 < size)
			buf[n++] = (char)c;
		else
			overflow = true;
		ros_advance(lx);
	}
	buf[overflow ? 0 : n] = '\0';
	if (overflow)
		memcpy(buf, "?", 2);
}

/* Read an argument name: up to `=`, a blank, a quote or the end. */
static size_t ros_read_name(struct ros_lex *lx, char *buf, size_t size)
{
	size_t n = 0, len = 0;
	int c;

	while ((c = ros_peek(lx)) != -1 && !ros_is_blank(c) && c != '\n' &&
	    c != ';' && c != '=' && c != '"') {
		if (n + 1 < size)
			buf[n++] = (char)c;
		len++;
		ros_advance(lx);
	}
	buf[n] = '\0';
	return len;
}

static int ros_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* ------------------------------------------------------------------------
 * Schema: menus, commands and typed properties.
 */

enum conf_type {
	CT_BOOL,	/* bool */
	CT_UINT,	/* uint32_t, plain decimal */
	CT_SIZE,	/* uint32_t, decimal with k/M suffix */
	CT_TIME,	/* uint64_t milliseconds, RouterOS time */
	CT_PORT,	/* uint16_t, host order */
	CT_ADDR,	/* struct sockaddr_storage, address only, port 0 */
	CT_ADDR_PORT,	/* v6 `IP:PORT`: the address at off, uint16_t port at off2 */
	CT_VERSION,	/* enum conf_version */
	CT_IFLIST,	/* `all` or names; the object is a struct tflow_config */
	CT_FLAG,	/* bit `bit` of a uint64_t */
	CT_CAPTURE,	/* enum conf_capture at off, uint16_t nflog group at off2 */
	CT_WORKERS,	/* uint16_t, `auto` = 0, else min..max */
	CT_DIRECTION,	/* enum conf_direction */
};

#define CP_ALWAYS	0x1	/* export even when it holds the default */
#define CP_HIDDEN	0x2	/* accepted, never exported (v6 spelling) */
#define CP_REQUIRED	0x4	/* `add` fails without it (or its alias) */
#define CP_SAMPLING	0x8	/* part of the packet-sampling cross-check */
#define CP_NONZERO	0x10	/* an address that may not be 0.0.0.0 or :: */
#define CP_COLUMN	0x20	/* a column of the `print` table */
#define CP_FLAG_X	0x40	/* shown as the X flag, not as a property */

struct conf_prop {
	const char *name;	/* RouterOS name */
	enum conf_type type;
	size_t off;		/* of the value in the menu's object */
	size_t off2;		/* CT_ADDR_PORT: of the port */
	uint64_t min, max;	/* CT_UINT, CT_SIZE, CT_TIME (ms), CT_PORT */
	unsigned bit;		/* CT_FLAG */
	unsigned flags;		/* CP_* */
	const char *alias_of;	/* giving this one also gives that one */
};

/*
 * What one `add` under /ip traffic-flow target collects before it becomes
 * a struct conf_target: the port stays apart from the address because it
 * may come first, or from `address=IP:PORT`.
 */
struct conf_target_draft {
	struct sockaddr_storage dst;	/* address only; ss_family 0 until given */
	struct sockaddr_storage src;	/* ss_family 0: kernel picks */
	uint16_t port;			/* host order */
	enum conf_version version;
	uint32_t template_refresh;
	uint64_t template_timeout_ms;
	bool disabled;
};

#define TFC(field) offsetof(struct tflow_config, field)
#define TGT(field) offsetof(struct conf_target_draft, field)

static const struct conf_prop tf_props[] = {
	{ "enabled", CT_BOOL, TFC(enabled), 0, 0, 0, 0, CP_ALWAYS, NULL },
	{ "interfaces", CT_IFLIST, TFC(interfaces_all), 0, 0, 0, 0,
	  CP_ALWAYS, NULL },
	{ "cache-entries", CT_SIZE, TFC(cache_entries), 0,
	  1024, 16 * 1024 * 1024, 0, CP_ALWAYS, NULL },
	{ "active-flow-timeout", CT_TIME, TFC(active_timeout_ms), 0,
	  1, 365 * MS_DAY, 0, CP_ALWAYS, NULL },
	{ "inactive-flow-timeout", CT_TIME, TFC(inactive_timeout_ms), 0,
	  1, 365 * MS_DAY, 0, CP_ALWAYS, NULL },
	{ "packet-sampling", CT_BOOL, TFC(packet_sampling), 0, 0, 0, 0,
	  CP_ALWAYS | CP_SAMPLING, NULL },
	{ "sampling-interval", CT_UINT, TFC(sampling_interval), 0,
	  0, INT32_MAX, 0, CP_ALWAYS | CP_SAMPLING, NULL },
	{ "sampling-space", CT_UINT, TFC(sampling_space), 0,
	  0, INT32_MAX, 0, CP_ALWAYS, NULL },
	/* tflow's own: exported only off their default, so that a default
	 * config exports exactly what RouterOS prints */
	{ "capture", CT_CAPTURE, TFC(capture), TFC(nflog_group), 0, 65535,
	  0, 0, NULL },
	{ "capture-workers", CT_WORKERS, TFC(capture_workers), 0, 1, 64,
	  0, 0, NULL },
	{ "count-direction", CT_DIRECTION, TFC(count_direction), 0, 0, 0,
	  0, 0, NULL },
};

static const struct conf_prop target_props[] = {
	{ "dst-address", CT_ADDR, TGT(dst), 0, 0, 0, 0,
	  CP_ALWAYS | CP_REQUIRED | CP_NONZERO | CP_COLUMN, NULL },
	{ "port", CT_PORT, TGT(port), 0, 1, 65535, 0,
	  CP_ALWAYS | CP_COLUMN, NULL },
	{ "version", CT_VERSION, TGT(version), 0, 0, 0, 0,
	  CP_ALWAYS | CP_COLUMN, NULL },
	{ "src-address", CT_ADDR, TGT(src), 0, 0, 0, 0, CP_COLUMN, NULL },
	{ "v9-template-refresh", CT_UINT, TGT(template_refresh), 0,
	  1, 65535, 0, 0, NULL },
	{ "v9-template-timeout", CT_TIME, TGT(template_timeout_ms), 0,
	  1, 365 * MS_DAY, 0, 0, NULL },
	{ "disabled", CT_BOOL, TGT(disabled), 0, 0, 0, 0, CP_FLAG_X, NULL },
	{ "address", CT_ADDR_PORT, TGT(dst), TGT(port), 0, 0, 0,
	  CP_HIDDEN | CP_NONZERO, "dst-address" },
};

static const struct conf_prop ipfix_props[] = {
#define CONF_IPFIX_PROP(id, name) \
	{ name, CT_FLAG, TFC(ipfix_fields), 0, 0, 0, CONF_IPFIX_##id, 0, NULL },
	CONF_IPFIX_FIELDS(CONF_IPFIX_PROP)
#undef CONF_IPFIX_PROP
};

_Static_assert(sizeof(target_props) / sizeof(target_props[0]) <= 64,
    "seen-bits are one uint64_t");
_Static_assert(sizeof(ipfix_props) / sizeof(ipfix_props[0]) <= 64,
    "seen-bits are one uint64_t");

enum conf_cmd {
	CMD_SET,
	CMD_ADD,
	CMD_REMOVE,
	CMD_ENABLE,
	CMD_DISABLE,
	CMD_PRINT,
	CMD_EXPORT,
	CMD_MONITOR,
	CMD_COUNT,
};

static const char *const conf_cmd_names[CMD_COUNT] = {
	"set", "add", "remove", "enable", "disable", "print", "export",
	"monitor",
};

/* Commands that change the config (the CLI saves after them). */
#define CMDS_CHANGE	(1u << CMD_SET | 1u << CMD_ADD | 1u << CMD_REMOVE | \
			 1u << CMD_ENABLE | 1u << CMD_DISABLE)
#define CMDS_SETTINGS	(1u << CMD_SET | 1u << CMD_PRINT | 1u << CMD_EXPORT)
#define CMDS_ITEMS	(1u << CMD_ADD | 1u << CMD_SET | 1u << CMD_REMOVE | \
			 1u << CMD_ENABLE | 1u << CMD_DISABLE | \
			 1u << CMD_PRINT | 1u << CMD_EXPORT)

/* RouterOS verbs that exist but have no place in a config file (yet). */
static const char *const ros_other_verbs[] = {
	"print", "remove", "enable", "disable", "export", "find", "get",
	"edit", "monitor", "reset", "unset", "comment", "move",
};

enum conf_menu_id {
	MENU_ROOT,
	MENU_IP,
	MENU_TF,
	MENU_TARGET,
	MENU_IPFIX,
	MENU_COUNT,
};

struct conf_menu {
	const char *name;		/* last path word */
	const char *path;		/* as export prints it */
	enum conf_menu_id parent;
	unsigned cmds;			/* 1 << CMD_x allowed in the file */
	unsigned cli_cmds;		/* and on a CLI command line */
	const struct conf_prop *props;
	size_t n_props;
};

#define PROPS(t) (t), (sizeof(t) / sizeof((t)[0]))

static const struct conf_menu conf_menus[MENU_COUNT] = {
	[MENU_ROOT] = { "", "/", MENU_ROOT, 0, 1u << CMD_EXPORT, NULL, 0 },
	[MENU_IP] = { "ip", "/ip", MENU_ROOT, 0, 1u << CMD_EXPORT, NULL, 0 },
	[MENU_TF] = { "traffic-flow", "/ip traffic-flow", MENU_IP,
		      1u << CMD_SET, CMDS_SETTINGS | 1u << CMD_MONITOR,
		      PROPS(tf_props) },
	[MENU_TARGET] = { "target", "/ip traffic-flow target", MENU_TF,
			  1u << CMD_ADD, CMDS_ITEMS, PROPS(target_props) },
	[MENU_IPFIX] = { "ipfix", "/ip traffic-flow ipfix", MENU_TF,
			 1u << CMD_SET, CMDS_SETTINGS, PROPS(ipfix_props) },
};

/* Longest candidate list: the ipfix toggles. */
#define ROS_CHOICES_MAX 64

/*
 * Find `word` among `names`.  An exact name wins, else the only name it
 * abbreviates (RouterOS takes any unambiguous prefix).  Returns the index,
 * -ENOENT, or -EAGAIN when it abbreviates several.
 */
static int ros_match(const char *word, const char *const *names, size_t n)
{
	size_t i, len = strlen(word);
	int found = -ENOENT;

	if (len == 0)
		return -ENOENT;
	for (i = 0; i < n; i++)
		if (strcmp(word, names[i]) == 0)
			return (int)i;
	for (i = 0; i < n; i++) {
		if (strncmp(word, names[i], len) != 0)
			continue;
		if (found >= 0)
			return -EAGAIN;
		found = (int)i;
	}
	return found;
}

/* "ambiguous: a, b" for the names `word` abbreviates. */
static void ros_ambiguous(char *buf, size_t size, const char *word,
    const char *const *names, size_t n)
{
	size_t i, len = strlen(word), used;
	const char *sep = "";

	used = (size_t)snprintf(buf, size, "ambiguous:");
	for (i = 0; i < n && used < size; i++) {
		if (strncmp(word, names[i], len) != 0)
			continue;
		used += (size_t)snprintf(buf + used, size - used, "%s %s", sep,
		    names[i]);
		sep = ",";
	}
}

static size_t menu_prop_names(const struct conf_menu *m,
    const char **names)
{
	size_t i;

	for (i = 0; i < m->n_props; i++)
		names[i] = m->props[i].name;
	return m->n_props;
}

static int menu_prop_index(const struct conf_menu *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->n_props; i++)
		if (strcmp(m->props[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* ------------------------------------------------------------------------
 * Values.
 */

static void obj_put(void *obj, size_t off, const void *v, size_t n)
{
	memcpy((char *)obj + off, v, n);
}

static void obj_get(const void *obj, size_t off, void *v, size_t n)
{
	memcpy(v, (const char *)obj + off, n);
}

/* Plain decimal, no sign, no spaces; -EINVAL on overflow. */
static int parse_u64(const char **sp, uint64_t *out)
{
	const char *s = *sp;
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(*s - '0'), &v))
			return -EINVAL;
	}
	*sp = s;
	*out = v;
	return 0;
}

int conf_parse_bool(const char *s, bool *out)
{
	if (strcmp(s, "yes") == 0 || strcmp(s, "true") == 0)
		*out = true;
	else if (strcmp(s, "no") == 0 || strcmp(s, "false") == 0)
		*out = false;
	else
		return -EINVAL;
	return 0;
}

int conf_parse_size(const char *s, uint64_t *out)
{
	uint64_t v, mult = 1;

	if (parse_u64(&s, &v) != 0)
		return -EINVAL;
	switch (*s) {
	case '\0':
		break;
	case 'k':
	case 'K':
		mult = UINT64_C(1) << 10;
		s++;
		break;
	case 'M':
		mult = UINT64_C(1) << 20;
		s++;
		break;
	case 'G':
		mult = UINT64_C(1) << 30;
		s++;
		break;
	default:
		return -EINVAL;
	}
	if (*s != '\0' || __builtin_mul_overflow(v, mult, &v))
		return -EINVAL;
	*out = v;
	return 0;
}

/* Two clock digits below 60 (minutes, seconds). */
static int parse_clock_part(const char **sp, uint64_t *out)
{
	const char *s = *sp;

	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return -EINVAL;
	*out = (uint64_t)(s[0] - '0') * 10 + (uint64_t)(s[1] - '0');
	if (*out >= 60)
		return -EINVAL;
	*sp = s + 2;
	return 0;
}

/*
 * RouterOS time: a plain number of seconds; or units in falling order,
 * each at most once (1w2d3h4m5s500ms); or [Nw][Nd]HH:MM:SS[.mmm].
 */
int conf_parse_time_ms(const char *s, uint64_t *out_ms)
{
	static const struct {
		const char *suffix;
		uint64_t ms;
	} units[] = {
		{ "w", MS_WEEK }, { "d", MS_DAY }, { "h", MS_HOUR },
		{ "ms", 1 }, { "m", MS_MINUTE }, { "s", MS_SECOND },
	};
	uint64_t total = 0, n, mm, ss, part, last = UINT64_MAX;
	size_t i;

	if (*s == '\0')
		return -EINVAL;
	while (*s != '\0') {
		if (parse_u64(&s, &n) != 0)
			return -EINVAL;
		if (*s == '\0' && last == UINT64_MAX) {
			/* a bare number is seconds */
			part = n;
			if (__builtin_mul_overflow(part, MS_SECOND, &part))
				return -EINVAL;
			*out_ms = part;
			return 0;
		}
		if (*s == ':') {
			/* HH:MM:SS only after weeks and days */
			if (last != UINT64_MAX && last < MS_DAY)
				return -EINVAL;
			s++;
			if (parse_clock_part(&s, &mm) != 0 || *s++ != ':' ||
			    parse_clock_part(&s, &ss) != 0)
				return -EINVAL;
			if (__builtin_mul_overflow(n, MS_HOUR, &part) ||
			    __builtin_add_overflow(part,
				mm * MS_MINUTE + ss * MS_SECOND, &part))
				return -EINVAL;
			if (*s == '.') {
				uint64_t frac = 0, scale = 100;

				s++;
				if (*s < '0' || *s > '9')
					return -EINVAL;
				for (; *s >= '0' && *s <= '9'; s++) {
					if (scale == 0)
						return -EINVAL;
					frac += (uint64_t)(*s - '0') * scale;
					scale /= 10;
				}
				part += frac;
			}
			if (*s != '\0' ||
			    __builtin_add_overflow(total, part, &total))
				return -EINVAL;
			*out_ms = total;
			return 0;
		}
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strncmp(s, units[i].suffix,
			    strlen(units[i].suffix)) == 0)
				break;
		if (i == sizeof(units) / sizeof(units[0]) || units[i].ms >= last)
			return -EINVAL;
		s += strlen(units[i].suffix);
		last = units[i].ms;
		if (__builtin_mul_overflow(n, units[i].ms, &part) ||
		    __builtin_add_overflow(total, part, &total))
			return -EINVAL;
	}
	*out_ms = total;
	return 0;
}

static void fmt_time(uint64_t ms, char *buf, size_t size)
{
	static const struct {
		const char *suffix;
		uint64_t ms;
	} units[] = {
		{ "w", MS_WEEK }, { "d", MS_DAY }, { "h", MS_HOUR },
		{ "m", MS_MINUTE }, { "s", MS_SECOND }, { "ms", 1 },
	};
	size_t i, used = 0;

	if (ms == 0) {
		snprintf(buf, size, "0s");
		return;
	}
	buf[0] = '\0';
	for (i = 0; i < sizeof(units) / sizeof(units[0]) && used < size; i++) {
		if (ms / units[i].ms == 0)
			continue;
		used += (size_t)snprintf(buf + used, size - used, "%" PRIu64 "%s",
		    ms / units[i].ms, units[i].suffix);
		ms %= units[i].ms;
	}
}

static void fmt_size(uint64_t v, char *buf, size_t size)
{
	if (v != 0 && v % (UINT64_C(1) << 20) == 0)
		snprintf(buf, size, "%" PRIu64 "M", v >> 20);
	else if (v != 0 && v % 1024 == 0)
		snprintf(buf, size, "%" PRIu64 "k", v >> 10);
	else
		snprintf(buf, size, "%" PRIu64, v);
}

static int parse_port(const char *s, uint16_t *out)
{
	uint64_t v;

	if (parse_u64(&s, &v) != 0 || *s != '\0' || v < 1 || v > 65535)
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

/* An IPv4 or IPv6 address into *ss with port 0. */
static int parse_addr(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	memset(ss, 0, sizeof(*ss));
	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (inet_pton(AF_INET, s, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		memcpy(ss, &sin, sizeof(sin));
		return 0;
	}
	if (inet_pton(AF_INET6, s, &sin6.sin6_addr) == 1) {
		sin6.sin6_family = AF_INET6;
		memcpy(ss, &sin6, sizeof(sin6));
		return 0;
	}
	return -EINVAL;
}

static bool addr_is_any(const struct sockaddr_storage *ss)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	if (ss->ss_family == AF_INET) {
		memcpy(&sin, ss, sizeof(sin));
		return sin.sin_addr.s_addr == htonl(INADDR_ANY);
	}
	if (ss->ss_family == AF_INET6) {
		memcpy(&sin6, ss, sizeof(sin6));
		return IN6_IS_ADDR_UNSPECIFIED(&sin6.sin6_addr);
	}
	return true;
}

static void addr_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	if (ss->ss_family == AF_INET) {
		memcpy(&sin, ss, sizeof(sin));
		sin.sin_port = htons(port);
		memcpy(ss, &sin, sizeof(sin));
	} else if (ss->ss_family == AF_INET6) {
		memcpy(&sin6, ss, sizeof(sin6));
		sin6.sin6_port = htons(port);
		memcpy(ss, &sin6, sizeof(sin6));
	}
}

static uint16_t addr_port(const struct sockaddr_storage *ss)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	if (ss->ss_family == AF_INET) {
		memcpy(&sin, ss, sizeof(sin));
		return ntohs(sin.sin_port);
	}
	if (ss->ss_family == AF_INET6) {
		memcpy(&sin6, ss, sizeof(sin6));
		return ntohs(sin6.sin6_port);
	}
	return 0;
}

static void fmt_addr(const struct sockaddr_storage *ss, char *buf,
    size_t size)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	if (ss->ss_family == AF_INET) {
		memcpy(&sin, ss, sizeof(sin));
		inet_ntop(AF_INET, &sin.sin_addr, buf, (socklen_t)size);
	} else if (ss->ss_family == AF_INET6) {
		memcpy(&sin6, ss, sizeof(sin6));
		inet_ntop(AF_INET6, &sin6.sin6_addr, buf, (socklen_t)size);
	} else
		snprintf(buf, size, "0.0.0.0");
}

/*
 * RouterOS v6 `address=IP:PORT`: `[v6]:port`, or the last colon splits
 * off the port (so `2001:db8::1:2055` is 2001:db8::1 port 2055).
 */
static int parse_addr_port(const char *s, struct sockaddr_storage *ss,
    uint16_t *port)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *close;
	bool bracket = s[0] == '[';
	size_t n;

	if (bracket) {
		close = strchr(s, ']');
		if (close == NULL || close[1] != ':')
			return -EINVAL;
		n = (size_t)(close - s - 1);
		colon = close + 1;
		s++;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return -EINVAL;
		n = (size_t)(colon - s);
	}
	if (n == 0 || n >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, n);
	host[n] = '\0';
	if (parse_addr(host, ss) != 0 || parse_port(colon + 1, port) != 0)
		return -EINVAL;
	/* brackets are for IPv6 only */
	if (bracket && ss->ss_family != AF_INET6)
		return -EINVAL;
	return 0;
}

/* Linux's dev_valid_name(), plus `,` which separates the list. */
static bool ifname_valid(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n >= CONF_IFNAME_LEN)
		return false;
	if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	if (n == 3 && memcmp(s, "all", 3) == 0)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c == 0x7f || c == '/' || c == ':' || c == ',')
			return false;
	}
	return true;
}

static int parse_iflist(const char *s, struct tflow_config *cfg)
{
	char names[CONF_MAX_INTERFACES][CONF_IFNAME_LEN];
	unsigned n = 0, i;
	const char *comma;
	size_t len;

	if (strcmp(s, "all") == 0) {
		cfg->interfaces_all = true;
		cfg->n_interfaces = 0;
		memset(cfg->interfaces, 0, sizeof(cfg->interfaces));
		return 0;
	}
	memset(names, 0, sizeof(names));
	for (;;) {
		comma = strchr(s, ',');
		len = comma != NULL ? (size_t)(comma - s) : strlen(s);
		if (n == CONF_MAX_INTERFACES || !ifname_valid(s, len))
			return -EINVAL;
		memcpy(names[n], s, len);
		for (i = 0; i < n; i++)
			if (strcmp(names[i], names[n]) == 0)
				return -EINVAL;
		n++;
		if (comma == NULL)
			break;
		s = comma + 1;
	}
	cfg->interfaces_all = false;
	cfg->n_interfaces = n;
	memcpy(cfg->interfaces, names, sizeof(names));
	return 0;
}

static const char *const direction_names[] = {
	[CONF_DIR_INGRESS_LOCAL] = "ingress-and-local",
	[CONF_DIR_INGRESS] = "ingress",
	[CONF_DIR_EGRESS] = "egress",
	[CONF_DIR_BOTH] = "both",
};
#define DIRECTION_COUNT (sizeof(direction_names) / sizeof(direction_names[0]))

/* capture=afpacket|pcap|nflog:GROUP (a bare `nflog` is group 0). */
static int parse_capture(const struct conf_prop *pr, void *obj,
    const char *s)
{
	enum conf_capture cap;
	uint16_t group = 0;
	uint64_t v;

	if (strcmp(s, "afpacket") == 0)
		cap = CONF_CAPTURE_AFPACKET;
	else if (strcmp(s, "pcap") == 0)
		cap = CONF_CAPTURE_PCAP;
	else if (strncmp(s, "nflog", 5) == 0 &&
	    (s[5] == '\0' || s[5] == ':')) {
		cap = CONF_CAPTURE_NFLOG;
		if (s[5] == ':') {
			s += 6;
			if (parse_u64(&s, &v) != 0 || *s != '\0' ||
			    v < pr->min || v > pr->max)
				return -EINVAL;
			group = (uint16_t)v;
		}
	} else
		return -EINVAL;
	obj_put(obj, pr->off, &cap, sizeof(cap));
	obj_put(obj, pr->off2, &group, sizeof(group));
	return 0;
}

/* Parse `s` as prop's type into obj.  0 or -EINVAL; obj untouched on error. */
static int prop_parse(const struct conf_prop *pr, void *obj, const char *s)
{
	struct sockaddr_storage ss;
	enum conf_direction dir;
	enum conf_version ver;
	uint64_t v, flags;
	uint32_t u32;
	uint16_t port;
	bool b;

	switch (pr->type) {
	case CT_BOOL:
		if (conf_parse_bool(s, &b) != 0)
			return -EINVAL;
		obj_put(obj, pr->off, &b, sizeof(b));
		return 0;
	case CT_FLAG:
		if (conf_parse_bool(s, &b) != 0)
			return -EINVAL;
		obj_get(obj, pr->off, &flags, sizeof(flags));
		if (b)
			flags |= UINT64_C(1) << pr->bit;
		else
			flags &= ~(UINT64_C(1) << pr->bit);
		obj_put(obj, pr->off, &flags, sizeof(flags));
		return 0;
	case CT_UINT:
		if (parse_u64(&s, &v) != 0 || *s != '\0')
			return -EINVAL;
		goto put_u32;
	case CT_SIZE:
		if (conf_parse_size(s, &v) != 0)
			return -EINVAL;
put_u32:
		if (v < pr->min || v > pr->max)
			return -EINVAL;
		u32 = (uint32_t)v;
		obj_put(obj, pr->off, &u32, sizeof(u32));
		return 0;
	case CT_TIME:
		if (conf_parse_time_ms(s, &v) != 0 || v < pr->min ||
		    v > pr->max)
			return -EINVAL;
		obj_put(obj, pr->off, &v, sizeof(v));
		return 0;
	case CT_PORT:
		if (parse_port(s, &port) != 0)
			return -EINVAL;
		obj_put(obj, pr->off, &port, sizeof(port));
		return 0;
	case CT_ADDR:
		if (parse_addr(s, &ss) != 0)
			return -EINVAL;
		if (addr_is_any(&ss)) {
			if (pr->flags & CP_NONZERO)
				return -EINVAL;
			/* 0.0.0.0 and :: mean "let the kernel pick" */
			memset(&ss, 0, sizeof(ss));
		}
		obj_put(obj, pr->off, &ss, sizeof(ss));
		return 0;
	case CT_ADDR_PORT:
		if (parse_addr_port(s, &ss, &port) != 0 ||
		    ((pr->flags & CP_NONZERO) && addr_is_any(&ss)))
			return -EINVAL;
		obj_put(obj, pr->off, &ss, sizeof(ss));
		obj_put(obj, pr->off2, &port, sizeof(port));
		return 0;
	case CT_VERSION:
		if (strcmp(s, "1") == 0)
			ver = CONF_VERSION_1;
		else if (strcmp(s, "5") == 0)
			ver = CONF_VERSION_5;
		else if (strcmp(s, "9") == 0)
			ver = CONF_VERSION_9;
		else if (strcmp(s, "ipfix") == 0)
			ver = CONF_VERSION_IPFIX;
		else
			return -EINVAL;
		obj_put(obj, pr->off, &ver, sizeof(ver));
		return 0;
	case CT_IFLIST:
		return parse_iflist(s, obj);
	case CT_CAPTURE:
		return parse_capture(pr, obj, s);
	case CT_WORKERS:
		if (strcmp(s, "auto") == 0)
			v = 0;
		else if (parse_u64(&s, &v) != 0 || *s != '\0' ||
		    v < pr->min || v > pr->max)
			return -EINVAL;
		port = (uint16_t)v;
		obj_put(obj, pr->off, &port, sizeof(port));
		return 0;
	case CT_DIRECTION:
		for (u32 = 0; u32 < DIRECTION_COUNT; u32++)
			if (strcmp(s, direction_names[u32]) == 0)
				break;
		if (u32 == DIRECTION_COUNT)
			return -EINVAL;
		dir = (enum conf_direction)u32;
		obj_put(obj, pr->off, &dir, sizeof(dir));
		return 0;
	}
	return -EINVAL;
}

/* The value as export prints it, before quoting. */
static void prop_format(const struct conf_prop *pr, const void *obj,
    char *buf, size_t size)
{
	const struct tflow_config *cfg;
	struct sockaddr_storage ss;
	enum conf_direction dir;
	enum conf_capture cap;
	enum conf_version ver;
	uint64_t v;
	uint32_t u32;
	uint16_t port;
	size_t used;
	unsigned i;
	bool b;

	switch (pr->type) {
	case CT_BOOL:
		obj_get(obj, pr->off, &b, sizeof(b));
		snprintf(buf, size, "%s", b ? "yes" : "no");
		return;
	case CT_FLAG:
		obj_get(obj, pr->off, &v, sizeof(v));
		snprintf(buf, size, "%s",
		    (v & (UINT64_C(1) << pr->bit)) ? "yes" : "no");
		return;
	case CT_UINT:
		obj_get(obj, pr->off, &u32, sizeof(u32));
		snprintf(buf, size, "%" PRIu32, u32);
		return;
	case CT_SIZE:
		obj_get(obj, pr->off, &u32, sizeof(u32));
		fmt_size(u32, buf, size);
		return;
	case CT_TIME:
		obj_get(obj, pr->off, &v, sizeof(v));
		fmt_time(v, buf, size);
		return;
	case CT_PORT:
		obj_get(obj, pr->off, &port, sizeof(port));
		snprintf(buf, size, "%u", (unsigned)port);
		return;
	case CT_ADDR:
		obj_get(obj, pr->off, &ss, sizeof(ss));
		fmt_addr(&ss, buf, size);
		return;
	case CT_ADDR_PORT:
		obj_get(obj, pr->off, &ss, sizeof(ss));
		obj_get(obj, pr->off2, &port, sizeof(port));
		fmt_addr(&ss, buf, size);
		used = strlen(buf);
		if (ss.ss_family == AF_INET6 && used + 3 < size) {
			memmove(buf + 1, buf, used + 1);
			buf[0] = '[';
			buf[++used] = ']';
			buf[++used] = '\0';
		}
		snprintf(buf + used, size - used, ":%u", (unsigned)port);
		return;
	case CT_VERSION:
		obj_get(obj, pr->off, &ver, sizeof(ver));
		if (ver == CONF_VERSION_IPFIX)
			snprintf(buf, size, "ipfix");
		else
			snprintf(buf, size, "%d", (int)ver);
		return;
	case CT_IFLIST:
		cfg = obj;
		if (cfg->interfaces_all || cfg->n_interfaces == 0) {
			snprintf(buf, size, "all");
			return;
		}
		buf[0] = '\0';
		for (i = 0, used = 0; i < cfg->n_interfaces &&
		    i < CONF_MAX_INTERFACES && used < size; i++)
			used += (size_t)snprintf(buf + used, size - used,
			    "%s%.*s", i ? "," : "", CONF_IFNAME_LEN - 1,
			    cfg->interfaces[i]);
		return;
	case CT_CAPTURE:
		obj_get(obj, pr->off, &cap, sizeof(cap));
		obj_get(obj, pr->off2, &port, sizeof(port));
		if (cap == CONF_CAPTURE_NFLOG)
			snprintf(buf, size, "nflog:%u", (unsigned)port);
		else
			snprintf(buf, size, "%s",
			    cap == CONF_CAPTURE_PCAP ? "pcap" : "afpacket");
		return;
	case CT_WORKERS:
		obj_get(obj, pr->off, &port, sizeof(port));
		if (port == 0)
			snprintf(buf, size, "auto");
		else
			snprintf(buf, size, "%u", (unsigned)port);
		return;
	case CT_DIRECTION:
		obj_get(obj, pr->off, &dir, sizeof(dir));
		snprintf(buf, size, "%s", (size_t)dir < DIRECTION_COUNT ?
		    direction_names[dir] : "?");
		return;
	}
	buf[0] = '\0';
}

/* ------------------------------------------------------------------------
 * Defaults.
 */

void conf_init_defaults(struct tflow_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->enabled = false;
	cfg->interfaces_all = true;
	cfg->cache_entries = 4096;
	cfg->active_timeout_ms = 30 * MS_MINUTE;
	cfg->inactive_timeout_ms = 15 * MS_SECOND;
	cfg->packet_sampling = false;
	cfg->sampling_interval = 0;
	cfg->sampling_space = 0;
	cfg->ipfix_fields = IPFIX_ALL_FIELDS;
}

static void target_draft_defaults(struct conf_target_draft *d)
{
	memset(d, 0, sizeof(*d));
	d->port = 2055;
	d->version = CONF_VERSION_9;
	d->template_refresh = 20;
	d->template_timeout_ms = 30 * MS_MINUTE;
	d->disabled = false;
}

static void target_to_draft(const struct conf_target *t,
    struct conf_target_draft *d)
{
	memset(d, 0, sizeof(*d));
	d->dst = t->dst;
	d->port = addr_port(&t->dst);
	addr_set_port(&d->dst, 0);
	d->src = t->src;
	d->version = t->version;
	d->template_refresh = t->template_refresh;
	d->template_timeout_ms = t->template_timeout_ms;
	d->disabled = t->disabled;
}

/* ------------------------------------------------------------------------
 * Grammar.
 */

struct conf_parser {
	struct ros_lex lx;
	struct conf_error *err;
	enum conf_menu_id menu;		/* set by path-only commands */
	/* Value of the last packet-sampling or sampling-interval given: the
	 * assignment that made an inconsistent pair is the one to blame. */
	struct ros_pos sampling_blame;
	bool cli;			/* a command line: print, remove, ... too */
	bool changed;			/* a CMDS_CHANGE command ran */
	/* conf_command_kind(): walk paths and command words only, run
	 * nothing, and note the strongest kind of command seen */
	bool probe;
	enum conf_kind kind;
	FILE *out;			/* where print and export go; may be NULL */
	const struct conf_hooks *hooks;	/* may be NULL */
	struct tflow_config cfg;	/* the config being built */
};

static int conf_fail(struct conf_parser *ps, struct ros_pos pos,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int conf_fail(struct conf_parser *ps, struct ros_pos pos,
    const char *fmt, ...)
{
	va_list ap;

	ps->err->line = pos.line;
	ps->err->column = pos.col;
	va_start(ap, fmt);
	vsnprintf(ps->err->msg, sizeof(ps->err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/*
 * Read one value after `=`: "quoted" with backslash escapes, or bare up
 * to a blank or the end of the command (escapes work there too).
 * Returns 0, 1 when the value does not fit `size` (the caller blames the
 * argument), or -EINVAL with the error set.
 */
static int ros_read_value(struct conf_parser *ps, char *buf, size_t size)
{
	struct ros_lex *lx = &ps->lx;
	struct ros_pos open = ros_here(lx), esc;
	bool quoted = false, overflow = false;
	size_t n = 0;
	int c, hi, lo;

	if (ros_peek(lx) == '"') {
		quoted = true;
		ros_advance(lx);
	}
	for (;;) {
		c = ros_peek(lx);
		if (quoted) {
			if (c == -1 || c == '\n')
				return conf_fail(ps, open,
				    "unterminated quoted string");
			if (c == '"') {
				ros_advance(lx);
				break;
			}
		} else if (c == -1 || ros_is_blank(c) || c == '\n' ||
		    c == ';' || c == '"')
			break;
		if (c == '\\') {
			/* ros_peek() already took `\` newline */
			esc = ros_here(lx);
			ros_advance(lx);
			c = lx->p < lx->end ? (unsigned char)*lx->p : -1;
			switch (c) {
			case '"': case '\\': case '$': case '?':
				break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'a': c = '\a'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'v': c = '\v'; break;
			case '_': c = ' '; break;
			default:
				hi = ros_hex(c);
				lo = lx->p + 1 < lx->end ?
				    ros_hex((unsigned char)lx->p[1]) : -1;
				if (hi < 0 || lo < 0 || (hi | lo) == 0)
					return conf_fail(ps, esc,
					    "invalid escape sequence");
				ros_advance(lx);
				c = hi << 4 | lo;
				break;
			}
		}
		ros_advance(lx);
		if (n + 1 < size)
			buf[n++] = (char)c;
		else
			overflow = true;
	}
	buf[n] = '\0';
	if (quoted) {
		c = ros_peek(lx);
		if (c != -1 && !ros_is_blank(c) && c != '\n' && c != ';')
			return conf_fail(ps, ros_here(lx),
			    "expected end of command");
	}
	return overflow ? 1 : 0;
}

static int conf_check_sampling(struct conf_parser *ps)
{
	if (ps->cfg.packet_sampling && ps->cfg.sampling_interval == 0)
		return conf_fail(ps, ps->sampling_blame,
		    "invalid value for argument sampling-interval");
	return 0;
}

static void target_from_draft(struct conf_target *t,
    const struct conf_target_draft *d)
{
	memset(t, 0, sizeof(*t));
	t->dst = d->dst;
	addr_set_port(&t->dst, d->port);
	t->src = d->src;
	t->version = d->version;
	t->template_refresh = d->template_refresh;
	t->template_timeout_ms = d->template_timeout_ms;
	t->disabled = d->disabled;
}

/*
 * The end of an `add` (item < 0) or a `set item` under /ip traffic-flow
 * target: check the draft as a whole and store it.
 */
static int target_store(struct conf_parser *ps, const struct conf_menu *m,
    const struct conf_target_draft *d, uint64_t seen,
    const struct ros_pos *vpos, struct ros_pos cmd_pos, int item)
{
	char missing[128];
	size_t i, used = 0;
	int src, dst;
	bool src_seen;

	src = menu_prop_index(m, "src-address");
	dst = menu_prop_index(m, "dst-address");
	if (item >= 0) {
		/* a set may change either side of the family pair: blame
		 * the side it gave */
		src_seen = (seen & (UINT64_C(1) << src)) != 0;
		if (d->src.ss_family != 0 &&
		    d->src.ss_family != d->dst.ss_family)
			return conf_fail(ps, src_seen ? vpos[src] : vpos[dst],
			    "invalid value for argument %s",
			    src_seen ? "src-address" : "dst-address");
		target_from_draft(&ps->cfg.targets[item], d);
		return 0;
	}
	missing[0] = '\0';
	for (i = 0; i < m->n_props; i++) {
		if (!(m->props[i].flags & CP_REQUIRED) || (seen & (UINT64_C(1) << i)))
			continue;
		used += (size_t)snprintf(missing + used,
		    used < sizeof(missing) ? sizeof(missing) - used : 0,
		    "%s%s", used ? "," : "", m->props[i].name);
	}
	if (used != 0)
		return conf_fail(ps, cmd_pos,
		    "missing value(s) of argument(s) %s", missing);
	if (ps->cfg.n_targets >= CONF_MAX_TARGETS)
		return conf_fail(ps, cmd_pos, "too many targets (at most %d)",
		    CONF_MAX_TARGETS);
	if (d->src.ss_family != 0 && d->src.ss_family != d->dst.ss_family)
		return conf_fail(ps, vpos[src],
		    "invalid value for argument src-address");
	target_from_draft(&ps->cfg.targets[ps->cfg.n_targets++], d);
	return 0;
}

/*
 * name=value arguments of `cmd` in menu `mid`, up to the end of command.
 * Under /ip traffic-flow target, `item` is the row a `set` edits, or -1
 * for an `add`.
 */
static int parse_args(struct conf_parser *ps, enum conf_menu_id mid,
    struct ros_pos cmd_pos, int item)
{
	const struct conf_menu *m = &conf_menus[mid];
	struct ros_lex *lx = &ps->lx;
	const char *names[ROS_CHOICES_MAX];
	struct ros_pos vpos[ROS_CHOICES_MAX], name_pos, val_pos;
	struct conf_target_draft draft;
	const struct conf_prop *pr;
	char name[ROS_WORD_MAX], value[ROS_VALUE_MAX], amb[256];
	uint64_t seen = 0;
	size_t n_names, len;
	void *obj;
	int i, rc, alias;

	n_names = menu_prop_names(m, names);
	memset(vpos, 0, sizeof(vpos));
	if (mid == MENU_TARGET) {
		if (item < 0)
			target_draft_defaults(&draft);
		else
			target_to_draft(&ps->cfg.targets[item], &draft);
		obj = &draft;
	} else
		obj = &ps->cfg;

	for (;;) {
		ros_skip_blanks(lx);
		if (ros_is_end(ros_peek(lx)))
			break;
		name_pos = ros_here(lx);
		len = ros_read_name(lx, name, sizeof(name));
		if (len == 0 || ros_peek(lx) != '=')
			return conf_fail(ps, name_pos, "expected end of command");
		if (len >= sizeof(name))
			return conf_fail(ps, name_pos, "unknown parameter %s",
			    name);
		i = ros_match(name, names, n_names);
		if (i == -EAGAIN) {
			ros_ambiguous(amb, sizeof(amb), name, names, n_names);
			return conf_fail(ps, name_pos, "%s", amb);
		}
		if (i < 0)
			return conf_fail(ps, name_pos, "unknown parameter %s",
			    name);
		pr = &m->props[i];
		ros_advance(lx);	/* '=' */
		val_pos = ros_here(lx);
		rc = ros_read_value(ps, value, sizeof(value));
		if (rc < 0)
			return rc;
		if (rc > 0 || prop_parse(pr, obj, value) != 0)
			return conf_fail(ps, val_pos,
			    "invalid value for argument %s", pr->name);
		seen |= UINT64_C(1) << i;
		vpos[i] = val_pos;
		if (pr->alias_of != NULL) {
			alias = menu_prop_index(m, pr->alias_of);
			seen |= UINT64_C(1) << alias;
			vpos[alias] = val_pos;
		}
		if (pr->flags & CP_SAMPLING)
			ps->sampling_blame = val_pos;
	}
	if (mid == MENU_TARGET)
		return target_store(ps, m, &draft, seen, vpos, cmd_pos, item);
	return 0;
}

/* Printers, after export at the end of the file: they share its quoting. */
static void print_settings(const struct conf_menu *m, const void *obj,
    FILE *out);
static void print_targets(const struct tflow_config *cfg, bool detail,
    uint32_t rows, FILE *out);

/* Nothing but blanks may follow up to the end of the command. */
static int expect_end(struct conf_parser *ps)
{
	ros_skip_blanks(&ps->lx);
	if (!ros_is_end(ros_peek(&ps->lx)))
		return conf_fail(ps, ros_here(&ps->lx),
		    "expected end of command");
	return 0;
}

/*
 * The row numbers `print` showed: `0`, `0,2` or `numbers=0,2`.  Sets bit
 * N of *rows for each; a number past the last row is "no such item".
 */
static int parse_rows(struct conf_parser *ps, struct ros_pos cmd_pos,
    uint32_t *rows)
{
	static const char *const numbers[] = { "numbers" };
	struct ros_lex *lx = &ps->lx;
	char word[ROS_VALUE_MAX];
	struct ros_pos pos;
	const char *s;
	uint64_t v;
	size_t len;
	int rc;

	_Static_assert(CONF_MAX_TARGETS <= 32, "rows are one uint32_t");
	*rows = 0;
	ros_skip_blanks(lx);
	pos = ros_here(lx);
	if (ros_is_end(ros_peek(lx)))
		return conf_fail(ps, cmd_pos,
		    "missing value(s) of argument(s) numbers");
	len = ros_read_name(lx, word, ROS_WORD_MAX);
	if (ros_peek(lx) == '=') {
		if (len >= ROS_WORD_MAX ||
		    ros_match(word, numbers, 1) != 0)
			return conf_fail(ps, cmd_pos,
			    "missing value(s) of argument(s) numbers");
		ros_advance(lx);
		pos = ros_here(lx);
		rc = ros_read_value(ps, word, sizeof(word));
		if (rc < 0)
			return rc;
		if (rc > 0)
			return conf_fail(ps, pos,
			    "invalid value for argument numbers");
	} else if (len >= ROS_WORD_MAX)
		return conf_fail(ps, pos, "invalid value for argument numbers");
	for (s = word;;) {
		if (parse_u64(&s, &v) != 0 || (*s != '\0' && *s != ','))
			return conf_fail(ps, pos,
			    "invalid value for argument numbers");
		if (v >= ps->cfg.n_targets)
			return conf_fail(ps, pos, "no such item");
		*rows |= UINT32_C(1) << v;
		if (*s++ == '\0')
			break;
	}
	return 0;
}

/* Conditions of one `print where`: few, as an operator types them. */
#define WHERE_MAX 4

struct where_cond {
	const struct conf_prop *pr;
	char value[ROS_VALUE_MAX];	/* as prop_format() prints it */
};

/*
 * `where PROP=VALUE [and PROP=VALUE]...` (`and` may be left out).  Each
 * value is parsed as its property's type and printed back, so that
 * `port=02055` or `active-flow-timeout=00:30:00` match what print shows
 * as 2055 and 30m.
 */
static int parse_where(struct conf_parser *ps, enum conf_menu_id mid,
    struct where_cond *conds, size_t *n_conds)
{
	const struct conf_menu *m = &conf_menus[mid];
	const char *names[ROS_CHOICES_MAX];
	struct ros_lex *lx = &ps->lx;
	struct conf_target_draft draft;
	struct tflow_config *scratch_cfg = NULL;
	char name[ROS_WORD_MAX], amb[256];
	struct ros_pos name_pos, val_pos;
	size_t n_names, len;
	void *scratch;
	int i, rc;

	n_names = menu_prop_names(m, names);
	*n_conds = 0;
	for (;;) {
		ros_skip_blanks(lx);
		if (ros_is_end(ros_peek(lx)))
			break;
		name_pos = ros_here(lx);
		len = ros_read_name(lx, name, sizeof(name));
		if (len == 3 && strcmp(name, "and") == 0 &&
		    ros_peek(lx) != '=' && *n_conds > 0)
			continue;
		if (len == 0 || ros_peek(lx) != '=') {
			rc = conf_fail(ps, name_pos, "expected end of command");
			goto fail;
		}
		i = len < sizeof(name) ? ros_match(name, names, n_names) :
		    -ENOENT;
		if (i == -EAGAIN) {
			ros_ambiguous(amb, sizeof(amb), name, names, n_names);
			rc = conf_fail(ps, name_pos, "%s", amb);
			goto fail;
		}
		if (i < 0) {
			rc = conf_fail(ps, name_pos, "unknown parameter %s",
			    name);
			goto fail;
		}
		if (*n_conds == WHERE_MAX) {
			rc = conf_fail(ps, name_pos,
			    "too many conditions (at most %d)", WHERE_MAX);
			goto fail;
		}
		ros_advance(lx);	/* '=' */
		val_pos = ros_here(lx);
		rc = ros_read_value(ps, conds[*n_conds].value, ROS_VALUE_MAX);
		if (rc < 0)
			goto fail;
		if (mid == MENU_TARGET) {
			target_draft_defaults(&draft);
			scratch = &draft;
		} else {
			if (scratch_cfg == NULL &&
			    (scratch_cfg = malloc(sizeof(*scratch_cfg))) == NULL) {
				rc = conf_fail(ps, val_pos, "out of memory");
				goto fail;
			}
			memcpy(scratch_cfg, &ps->cfg, sizeof(*scratch_cfg));
			scratch = scratch_cfg;
		}
		if (rc > 0 || prop_parse(&m->props[i], scratch,
		    conds[*n_conds].value) != 0) {
			rc = conf_fail(ps, val_pos,
			    "invalid value for argument %s", m->props[i].name);
			goto fail;
		}
		conds[*n_conds].pr = &m->props[i];
		prop_format(&m->props[i], scratch, conds[*n_conds].value,
		    ROS_VALUE_MAX);
		(*n_conds)++;
	}
	rc = 0;
fail:
	free(scratch_cfg);
	return rc;
}

static bool where_match(const struct where_cond *conds, size_t n,
    const void *obj)
{
	char value[ROS_VALUE_MAX];
	size_t i;

	for (i = 0; i < n; i++) {
		prop_format(conds[i].pr, obj, value, sizeof(value));
		if (strcmp(value, conds[i].value) != 0)
			return false;
	}
	return true;
}

/*
 * `print [detail] [where ...]`: settings menus print name: value (nothing
 * when a condition fails), target a table of the rows that match, with
 * their own row numbers.
 */
static int run_print(struct conf_parser *ps, enum conf_menu_id mid)
{
	static const char *const words[] = { "detail", "where" };
	struct where_cond *conds = NULL;
	struct conf_target_draft d;
	struct ros_lex *lx = &ps->lx;
	char word[ROS_WORD_MAX];
	size_t n_conds = 0, len;
	struct ros_pos pos;
	bool detail = false;
	uint32_t rows = UINT32_MAX;
	unsigned i;
	int k, rc = 0;

	for (;;) {
		ros_skip_blanks(lx);
		if (ros_is_end(ros_peek(lx)))
			break;
		pos = ros_here(lx);
		len = ros_read_name(lx, word, sizeof(word));
		k = len == 0 || len >= sizeof(word) || ros_peek(lx) == '=' ?
		    -ENOENT : ros_match(word, words, 2);
		if (k < 0)
			return conf_fail(ps, pos, "expected end of command");
		if (k == 0) {
			detail = true;
			continue;
		}
		conds = calloc(WHERE_MAX, sizeof(*conds));
		if (conds == NULL)
			return conf_fail(ps, pos, "out of memory");
		if ((rc = parse_where(ps, mid, conds, &n_conds)) != 0)
			goto free_conds;
		break;
	}
	if (ps->out == NULL)
		goto free_conds;
	if (mid == MENU_TARGET) {
		for (i = 0; i < ps->cfg.n_targets && i < 32; i++) {
			target_to_draft(&ps->cfg.targets[i], &d);
			if (!where_match(conds, n_conds, &d))
				rows &= ~(UINT32_C(1) << i);
		}
		print_targets(&ps->cfg, detail, rows, ps->out);
	} else if (where_match(conds, n_conds, &ps->cfg))
		print_settings(&conf_menus[mid], &ps->cfg, ps->out);
free_conds:
	free(conds);
	return rc;
}

/* `monitor [once]`: the daemon prints its snapshot through the hook. */
static int run_monitor(struct conf_parser *ps, struct ros_pos cmd_pos,
    bool *once)
{
	static const char *const words[] = { "once" };
	struct ros_lex *lx = &ps->lx;
	char word[ROS_WORD_MAX];
	struct ros_pos pos;
	size_t len;

	*once = false;
	for (;;) {
		ros_skip_blanks(lx);
		if (ros_is_end(ros_peek(lx)))
			break;
		pos = ros_here(lx);
		len = ros_read_name(lx, word, sizeof(word));
		if (len == 0 || len >= sizeof(word) || ros_peek(lx) == '=' ||
		    ros_match(word, words, 1) != 0)
			return conf_fail(ps, pos, "expected end of command");
		*once = true;
	}
	if (ps->probe)
		return 0;
	if (ps->hooks == NULL || ps->hooks->monitor == NULL)
		return conf_fail(ps, cmd_pos,
		    "monitor needs the running tflowd");
	if (ps->out != NULL)
		ps->hooks->monitor(ps->hooks->ctx, ps->out);
	return 0;
}

/* Step over a command's arguments without looking at them (probe). */
static int skip_args(struct conf_parser *ps)
{
	struct ros_lex *lx = &ps->lx;
	char buf[ROS_VALUE_MAX];
	int c, rc;

	for (;;) {
		ros_skip_blanks(lx);
		c = ros_peek(lx);
		if (ros_is_end(c))
			return 0;
		if (c == '"' || c == '=') {
			if (c == '=')
				ros_advance(lx);
			if ((rc = ros_read_value(ps, buf, sizeof(buf))) < 0)
				return rc;
			continue;
		}
		if (ros_read_name(lx, buf, sizeof(buf)) == 0)
			ros_advance(lx);
	}
}

/* Drop the rows in *rows, keeping the order of the others. */
static void targets_remove(struct tflow_config *cfg, uint32_t rows)
{
	unsigned i, kept = 0;

	for (i = 0; i < cfg->n_targets; i++) {
		if (rows & (UINT32_C(1) << i))
			continue;
		if (kept != i)
			cfg->targets[kept] = cfg->targets[i];
		kept++;
	}
	memset(&cfg->targets[kept], 0,
	    (cfg->n_targets - kept) * sizeof(cfg->targets[0]));
	cfg->n_targets = kept;
}

/* A command word matched in menu `mid`: read its arguments and run it. */
static int run_command(struct conf_parser *ps, enum conf_menu_id mid,
    enum conf_cmd cmd, struct ros_pos cmd_pos)
{
	struct ros_lex args;
	enum conf_kind kind;
	uint32_t rows;
	unsigned i;
	bool once;
	int rc;

	if (CMDS_CHANGE & (1u << cmd))
		ps->changed = true;
	if (ps->probe) {
		if (cmd == CMD_MONITOR) {
			if ((rc = run_monitor(ps, cmd_pos, &once)) != 0)
				return rc;
			kind = once ? CONF_KIND_MONITOR_ONCE : CONF_KIND_MONITOR;
		} else {
			if ((rc = skip_args(ps)) != 0)
				return rc;
			kind = CMDS_CHANGE & (1u << cmd) ? CONF_KIND_CHANGE :
			    CONF_KIND_READ;
		}
		if (kind > ps->kind)
			ps->kind = kind;
		return 0;
	}
	switch (cmd) {
	case CMD_ADD:
		return parse_args(ps, mid, cmd_pos, -1);
	case CMD_SET:
		if (mid != MENU_TARGET)
			return parse_args(ps, mid, cmd_pos, -1);
		if ((rc = parse_rows(ps, cmd_pos, &rows)) != 0)
			return rc;
		/* the same arguments once for each row */
		args = ps->lx;
		for (i = 0; i < CONF_MAX_TARGETS; i++) {
			if (!(rows & (UINT32_C(1) << i)))
				continue;
			ps->lx = args;
			if ((rc = parse_args(ps, mid, cmd_pos, (int)i)) != 0)
				return rc;
		}
		return 0;
	case CMD_REMOVE:
	case CMD_ENABLE:
	case CMD_DISABLE:
		if ((rc = parse_rows(ps, cmd_pos, &rows)) != 0 ||
		    (rc = expect_end(ps)) != 0)
			return rc;
		if (cmd == CMD_REMOVE) {
			targets_remove(&ps->cfg, rows);
			return 0;
		}
		for (i = 0; i < ps->cfg.n_targets; i++)
			if (rows & (UINT32_C(1) << i))
				ps->cfg.targets[i].disabled =
				    cmd == CMD_DISABLE;
		return 0;
	case CMD_PRINT:
		return run_print(ps, mid);
	case CMD_EXPORT:
		if ((rc = expect_end(ps)) != 0)
			return rc;
		if (ps->out != NULL)
			conf_export(&ps->cfg, ps->out);
		return 0;
	case CMD_MONITOR:
		return run_monitor(ps, cmd_pos, &once);
	case CMD_COUNT:
		break;
	}
	return conf_fail(ps, cmd_pos, "bad command name");
}

/*
 * One command: an optional path (absolute after `/`, else relative to the
 * current menu; words split by blanks or the v7 `/`), then a command word
 * and its arguments.  A path alone changes the current menu; a path with a
 * command does not, as in RouterOS.
 */
static int parse_command(struct conf_parser *ps)
{
	struct ros_lex *lx = &ps->lx;
	enum conf_menu_id node = ps->menu;
	const char *names[ROS_CHOICES_MAX];
	int ids[ROS_CHOICES_MAX];	/* a menu id, or MENU_COUNT + a command */
	char word[ROS_WORD_MAX], amb[256];
	struct ros_pos pos;
	size_t n, i;
	int c, k;

	if (ros_peek(lx) == '/') {
		node = MENU_ROOT;
		ros_advance(lx);
	}
	for (;;) {
		ros_skip_blanks(lx);
		c = ros_peek(lx);
		if (ros_is_end(c)) {
			ps->menu = node;
			return 0;
		}
		if (c == '/') {
			ros_advance(lx);
			continue;
		}
		pos = ros_here(lx);
		ros_read_word(lx, word, sizeof(word));
		if (strcmp(word, "..") == 0) {
			node = conf_menus[node].parent;
			continue;
		}

		/* submenus and this menu's commands share one namespace */
		n = 0;
		for (i = 1; i < MENU_COUNT; i++)
			if (conf_menus[i].parent == node) {
				ids[n] = (int)i;
				names[n++] = conf_menus[i].name;
			}
		for (i = 0; i < CMD_COUNT; i++)
			if ((ps->cli ? conf_menus[node].cli_cmds :
			    conf_menus[node].cmds) & (1u << i)) {
				ids[n] = MENU_COUNT + (int)i;
				names[n++] = conf_cmd_names[i];
			}
		k = ros_match(word, names, n);
		if (k == -EAGAIN) {
			ros_ambiguous(amb, sizeof(amb), word, names, n);
			return conf_fail(ps, pos, "%s", amb);
		}
		if (k >= 0 && ids[k] < MENU_COUNT) {
			node = (enum conf_menu_id)ids[k];
			continue;
		}
		if (k >= 0)
			return run_command(ps, node,
			    (enum conf_cmd)(ids[k] - MENU_COUNT), pos);

		for (i = 0; i < CMD_COUNT; i++)
			if (strcmp(word, conf_cmd_names[i]) == 0)
				return conf_fail(ps, pos, "bad command name %s",
				    word);
		for (i = 0; i < sizeof(ros_other_verbs) /
		    sizeof(ros_other_verbs[0]); i++)
			if (strcmp(word, ros_other_verbs[i]) == 0)
				return conf_fail(ps, pos, "bad command name %s",
				    word);
		return conf_fail(ps, pos, "no such command prefix");
	}
}

static int parse_script(struct conf_parser *ps)
{
	struct ros_lex *lx = &ps->lx;
	int c, rc;

	/* Each round consumes a separator, a comment or a whole command. */
	for (;;) {
		ros_skip_blanks(lx);
		c = ros_peek(lx);
		if (c == -1)
			break;
		if (c == '\n' || c == ';') {
			ros_advance(lx);
			continue;
		}
		if (c == '#') {
			ros_skip_comment(lx);
			continue;
		}
		if ((rc = parse_command(ps)) != 0)
			return rc;
	}
	return conf_check_sampling(ps);
}

/* Values become C strings: a NUL byte could only truncate them. */
static int conf_check_nul(struct conf_parser *ps, const char *text,
    size_t len)
{
	const char *nul = memchr(text, '\0', len);
	struct ros_pos pos;

	if (nul == NULL)
		return 0;
	pos.line = 1;
	pos.col = 1;
	for (; text < nul; text++) {
		if (*text == '\n') {
			pos.line++;
			pos.col = 1;
		} else
			pos.col++;
	}
	return conf_fail(ps, pos, "invalid character (NUL byte)");
}

int conf_parse_string(const char *text, size_t len, struct tflow_config *cfg,
    struct conf_error *err)
{
	struct conf_error dummy;
	struct conf_parser *ps;
	int rc;

	if (err == NULL)
		err = &dummy;
	memset(err, 0, sizeof(*err));
	/* The parser state holds a whole config: keep it off small stacks. */
	ps = calloc(1, sizeof(*ps));
	if (ps == NULL) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -ENOMEM;
	}
	ps->err = err;
	ps->menu = MENU_ROOT;
	conf_init_defaults(&ps->cfg);
	ros_lex_init(&ps->lx, text, len);
	rc = conf_check_nul(ps, text, len);
	if (rc == 0)
		rc = parse_script(ps);
	if (rc == 0)
		memcpy(cfg, &ps->cfg, sizeof(*cfg));
	free(ps);
	return rc;
}

/* The menu whose export path is `path`; NULL, "" and unknown ones are
 * the root. */
static enum conf_menu_id menu_by_path(const char *path)
{
	size_t i;

	if (path == NULL)
		return MENU_ROOT;
	for (i = 0; i < MENU_COUNT; i++)
		if (strcmp(path, conf_menus[i].path) == 0)
			return (enum conf_menu_id)i;
	return MENU_ROOT;
}

static struct conf_parser *cli_parser_new(const char *line, size_t len,
    FILE *out, struct conf_error *err)
{
	struct conf_parser *ps;

	memset(err, 0, sizeof(*err));
	/* The parser state holds a whole config: keep it off small stacks. */
	ps = calloc(1, sizeof(*ps));
	if (ps == NULL) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return NULL;
	}
	ps->err = err;
	ps->menu = MENU_ROOT;
	ps->cli = true;
	ps->out = out;
	ros_lex_init(&ps->lx, line, len);
	return ps;
}

int conf_run_command(struct tflow_config *cfg, const char *line, size_t len,
    FILE *out, const struct conf_hooks *hooks, struct conf_error *err)
{
	struct conf_error dummy;
	struct conf_parser *ps;
	int rc;

	if (err == NULL)
		err = &dummy;
	ps = cli_parser_new(line, len, out, err);
	if (ps == NULL)
		return -ENOMEM;
	ps->hooks = hooks;
	/* Work on a copy: a command that fails half way leaves *cfg alone. */
	memcpy(&ps->cfg, cfg, sizeof(ps->cfg));
	rc = conf_check_nul(ps, line, len);
	if (rc == 0)
		rc = parse_script(ps);
	if (rc == 0 && ps->changed) {
		memcpy(cfg, &ps->cfg, sizeof(*cfg));
		rc = 1;
	}
	free(ps);
	return rc;
}

int conf_apply_command(struct tflow_config *cfg, const char *line,
    size_t len, FILE *out, struct conf_error *err)
{
	return conf_run_command(cfg, line, len, out, NULL, err);
}

int conf_command_kind(const char *menu, const char *line, size_t len,
    const char **menu_after, struct conf_error *err)
{
	struct conf_error dummy;
	struct conf_parser *ps;
	int rc;

	if (err == NULL)
		err = &dummy;
	ps = cli_parser_new(line, len, NULL, err);
	if (ps == NULL)
		return -ENOMEM;
	ps->probe = true;
	ps->kind = CONF_KIND_NONE;
	ps->menu = menu_by_path(menu);
	conf_init_defaults(&ps->cfg);
	rc = conf_check_nul(ps, line, len);
	if (rc == 0)
		rc = parse_script(ps);
	if (rc == 0) {
		rc = (int)ps->kind;
		if (menu_after != NULL)
			*menu_after = conf_menus[ps->menu].path;
	}
	free(ps);
	return rc;
}

/* ------------------------------------------------------------------------
 * Completion for the shell.
 */

static void complete_add(struct conf_completions *c, const char *word,
    const char *partial, size_t plen, char suffix)
{
	if (c->n >= CONF_COMPLETE_MAX || strncmp(word, partial, plen) != 0)
		return;
	c->words[c->n] = word;
	c->suffix[c->n] = suffix;
	c->n++;
}

/* Values worth offering for a property's type; NULL-terminated. */
static const char *const *complete_values(const struct conf_prop *pr)
{
	static const char *const bools[] = { "yes", "no", NULL };
	static const char *const versions[] = { "1", "5", "9", "ipfix", NULL };
	static const char *const captures[] = { "afpacket", "pcap", "nflog:",
	    NULL };
	static const char *const workers[] = { "auto", NULL };
	static const char *const iflist[] = { "all", NULL };
	static const char *const dirs[] = { "ingress-and-local", "ingress",
	    "egress", "both", NULL };

	switch (pr->type) {
	case CT_BOOL:
	case CT_FLAG:
		return bools;
	case CT_VERSION:
		return versions;
	case CT_CAPTURE:
		return captures;
	case CT_WORKERS:
		return workers;
	case CT_IFLIST:
		return iflist;
	case CT_DIRECTION:
		return dirs;
	default:
		return NULL;
	}
}

int conf_complete(const char *menu, const char *line, size_t len,
    struct conf_completions *c)
{
	const char *names[ROS_CHOICES_MAX];
	int ids[ROS_CHOICES_MAX];
	const char *const *vals;
	const char *partial, *eq;
	enum conf_menu_id node, start_node;
	const struct conf_menu *m;
	char word[ROS_WORD_MAX], value[ROS_VALUE_MAX];
	struct conf_error err;
	struct conf_parser *ps;
	int cmd = -1, k;
	bool where = false, cmd_start = true;
	size_t i, n, wstart, plen;
	int ch;

	memset(c, 0, sizeof(*c));
	/* The word under completion: back to a blank, `/`, `;` or newline.
	 * Quotes are not looked into: there is nothing to complete inside. */
	for (wstart = len; wstart > 0; wstart--) {
		ch = (unsigned char)line[wstart - 1];
		if (ros_is_blank(ch) || ch == '/' || ch == ';' || ch == '\n')
			break;
	}
	c->start = wstart;
	partial = line + wstart;
	plen = len - wstart;

	ps = cli_parser_new(line, wstart, NULL, &err);
	if (ps == NULL)
		return -ENOMEM;
	start_node = node = menu_by_path(menu);
	/* Walk what comes before: paths, a command word, its arguments. */
	for (;;) {
		ros_skip_blanks(&ps->lx);
		ch = ros_peek(&ps->lx);
		if (ch == -1)
			break;
		if (ch == ';' || ch == '\n') {
			ros_advance(&ps->lx);
			node = start_node;
			cmd = -1;
			where = false;
			cmd_start = true;
			continue;
		}
		if (ch == '/') {
			ros_advance(&ps->lx);
			if (cmd_start)
				node = MENU_ROOT;
			cmd_start = false;
			continue;
		}
		cmd_start = false;
		if (cmd >= 0) {
			/* an argument, or `where` after print */
			if (ros_read_name(&ps->lx, word, sizeof(word)) == 0 &&
			    ros_peek(&ps->lx) != '=' &&
			    ros_peek(&ps->lx) != '"') {
				ros_advance(&ps->lx);
				continue;
			}
			if (strcmp(word, "where") == 0)
				where = true;
			ch = ros_peek(&ps->lx);
			if (ch == '=')
				ros_advance(&ps->lx);
			if ((ch == '=' || ch == '"') &&
			    ros_read_value(ps, value, sizeof(value)) < 0)
				goto none;
			continue;
		}
		ros_read_word(&ps->lx, word, sizeof(word));
		if (strcmp(word, "..") == 0) {
			node = conf_menus[node].parent;
			continue;
		}
		n = 0;
		for (i = 1; i < MENU_COUNT; i++)
			if (conf_menus[i].parent == node) {
				ids[n] = (int)i;
				names[n++] = conf_menus[i].name;
			}
		for (i = 0; i < CMD_COUNT; i++)
			if (conf_menus[node].cli_cmds & (1u << i)) {
				ids[n] = MENU_COUNT + (int)i;
				names[n++] = conf_cmd_names[i];
			}
		k = ros_match(word, names, n);
		if (k < 0)
			goto none;
		if (ids[k] < MENU_COUNT)
			node = (enum conf_menu_id)ids[k];
		else
			cmd = ids[k] - MENU_COUNT;
	}

	m = &conf_menus[node];
	if (cmd < 0) {
		for (i = 1; i < MENU_COUNT; i++)
			if (conf_menus[i].parent == node)
				complete_add(c, conf_menus[i].name, partial,
				    plen, ' ');
		for (i = 0; i < CMD_COUNT; i++)
			if (m->cli_cmds & (1u << i))
				complete_add(c, conf_cmd_names[i], partial,
				    plen, ' ');
		goto done;
	}
	eq = memchr(partial, '=', plen);
	if (eq != NULL && (cmd == CMD_SET || cmd == CMD_ADD ||
	    (cmd == CMD_PRINT && where))) {
		/* a value: the property is what the name abbreviates */
		n = (size_t)(eq - partial);
		if (n == 0 || n >= sizeof(word))
			goto none;
		memcpy(word, partial, n);
		word[n] = '\0';
		n = menu_prop_names(m, names);
		k = ros_match(word, names, n);
		if (k < 0 || (vals = complete_values(&m->props[k])) == NULL)
			goto none;
		c->start = wstart + (size_t)(eq - partial) + 1;
		for (; *vals != NULL; vals++)
			complete_add(c, *vals, eq + 1,
			    plen - (size_t)(eq - partial) - 1,
			    (*vals)[strlen(*vals) - 1] == ':' ? '\0' : ' ');
		goto done;
	}
	switch (cmd) {
	case CMD_PRINT:
		if (!where) {
			complete_add(c, "detail", partial, plen, ' ');
			complete_add(c, "where", partial, plen, ' ');
			break;
		}
		/* FALLTHROUGH */
	case CMD_SET:
	case CMD_ADD:
		for (i = 0; i < m->n_props; i++)
			if (!(m->props[i].flags & CP_HIDDEN))
				complete_add(c, m->props[i].name, partial,
				    plen, '=');
		break;
	case CMD_MONITOR:
		complete_add(c, "once", partial, plen, ' ');
		break;
	default:
		break;
	}
done:
	free(ps);
	return (int)c->n;
none:
	c->n = 0;
	free(ps);
	return 0;
}

int conf_parse_file(const char *path, struct tflow_config *cfg,
    struct conf_error *err)
{
	struct conf_error dummy;
	size_t used = 0;
	ssize_t n;
	char *buf;
	int fd, rc;

	if (err == NULL)
		err = &dummy;
	memset(err, 0, sizeof(*err));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		rc = -errno;
		goto fail;
	}
	/* One byte more than allowed tells a too-big file from a full one. */
	buf = malloc(CONF_FILE_MAX + 1);
	if (buf == NULL) {
		rc = -ENOMEM;
		goto close_fd;
	}
	while (used < CONF_FILE_MAX + 1) {
		n = read(fd, buf + used, CONF_FILE_MAX + 1 - used);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			rc = -errno;
			goto free_buf;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	if (used > CONF_FILE_MAX) {
		rc = -EFBIG;
		goto free_buf;
	}
	close(fd);
	rc = conf_parse_string(buf, used, cfg, err);
	free(buf);
	return rc;

free_buf:
	free(buf);
close_fd:
	close(fd);
fail:
	snprintf(err->msg, sizeof(err->msg), "cannot read %s: %s", path,
	    strerror(-rc));
	return rc;
}

/* ------------------------------------------------------------------------
 * Export.
 */

/* Bytes a bare value may hold; anything else is printed "quoted". */
static bool ros_bare_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("-_.:,+@%/*!~^", c) != NULL;
}

static bool ros_needs_quotes(const char *v)
{
	if (v[0] == '\0')
		return true;
	for (; *v != '\0'; v++)
		if (!ros_bare_char((unsigned char)*v))
			return true;
	return false;
}

/* Bytes ros_put_value() prints for v. */
static size_t ros_value_len(const char *v)
{
	size_t n;
	unsigned char c;

	if (!ros_needs_quotes(v))
		return strlen(v);
	for (n = 2; *v != '\0'; v++) {
		c = (unsigned char)*v;
		if (c == '"' || c == '\\' || c == '$' || c == '?')
			n += 2;
		else if (c < 0x20 || c >= 0x7f)
			n += 3;
		else
			n++;
	}
	return n;
}

/* The value as the lexer reads it back: bare, or "quoted" and escaped. */
static void ros_put_value(FILE *out, const char *v)
{
	unsigned char c;

	if (!ros_needs_quotes(v)) {
		fputs(v, out);
		return;
	}
	fputc('"', out);
	for (; *v != '\0'; v++) {
		c = (unsigned char)*v;
		if (c == '"' || c == '\\' || c == '$' || c == '?')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(out, "\\%02X", (unsigned)c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

struct ros_line {
	FILE *out;
	size_t len;	/* columns on the current physical line */
	bool args;	/* an argument already on the command */
};

static void ros_line_begin(struct ros_line *l, FILE *out, const char *cmd)
{
	l->out = out;
	l->len = strlen(cmd);
	l->args = false;
	fputs(cmd, out);
}

/* Append name=value, wrapping RouterOS-style before it if it would not fit. */
static void ros_line_arg(struct ros_line *l, const char *name,
    const char *value)
{
	size_t len;

	len = strlen(name) + 1 + ros_value_len(value);
	if (l->args && l->len + 1 + len > ROS_EXPORT_WIDTH &&
	    l->len > strlen(ROS_EXPORT_INDENT)) {
		fputs(" \\\n" ROS_EXPORT_INDENT, l->out);
		l->len = strlen(ROS_EXPORT_INDENT);
	} else {
		fputc(' ', l->out);
		l->len++;
	}
	fprintf(l->out, "%s=", name);
	ros_put_value(l->out, value);
	l->len += len;
	l->args = true;
}

static void ros_line_end(struct ros_line *l)
{
	fputc('\n', l->out);
}

/* Every exported property of menu m: the CP_ALWAYS ones and those off
 * their default.  Returns how many were printed. */
static unsigned export_props(const struct conf_menu *m, const void *obj,
    const void *defaults, struct ros_line *l)
{
	char value[ROS_VALUE_MAX], def[ROS_VALUE_MAX];
	const struct conf_prop *pr;
	unsigned printed = 0;
	size_t i;

	for (i = 0; i < m->n_props; i++) {
		pr = &m->props[i];
		if (pr->flags & CP_HIDDEN)
			continue;
		prop_format(pr, obj, value, sizeof(value));
		if (!(pr->flags & CP_ALWAYS)) {
			prop_format(pr, defaults, def, sizeof(def));
			if (strcmp(value, def) == 0)
				continue;
		}
		if (l != NULL)
			ros_line_arg(l, pr->name, value);
		printed++;
	}
	return printed;
}

void conf_export(const struct tflow_config *cfg, FILE *out)
{
	struct conf_target_draft draft, draft_def;
	struct tflow_config def;
	struct ros_line line;
	unsigned i, n_targets;

	conf_init_defaults(&def);
	fprintf(out, "%s\n", conf_menus[MENU_TF].path);
	ros_line_begin(&line, out, "set");
	export_props(&conf_menus[MENU_TF], cfg, &def, &line);
	ros_line_end(&line);

	n_targets = cfg->n_targets < CONF_MAX_TARGETS ?
	    cfg->n_targets : CONF_MAX_TARGETS;
	if (n_targets > 0)
		fprintf(out, "%s\n", conf_menus[MENU_TARGET].path);
	target_draft_defaults(&draft_def);
	for (i = 0; i < n_targets; i++) {
		target_to_draft(&cfg->targets[i], &draft);
		ros_line_begin(&line, out, "add");
		export_props(&conf_menus[MENU_TARGET], &draft, &draft_def,
		    &line);
		ros_line_end(&line);
	}

	if (export_props(&conf_menus[MENU_IPFIX], cfg, &def, NULL) > 0) {
		fprintf(out, "%s\n", conf_menus[MENU_IPFIX].path);
		ros_line_begin(&line, out, "set");
		export_props(&conf_menus[MENU_IPFIX], cfg, &def, &line);
		ros_line_end(&line);
	}
}

/* ------------------------------------------------------------------------
 * Printers for the CLI, shaped like RouterOS's.
 */

/* name: value lines, names right-aligned on the colon. */
static void print_settings(const struct conf_menu *m, const void *obj,
    FILE *out)
{
	char value[ROS_VALUE_MAX];
	size_t i, width = 0;

	for (i = 0; i < m->n_props; i++)
		if (!(m->props[i].flags & CP_HIDDEN) &&
		    strlen(m->props[i].name) > width)
			width = strlen(m->props[i].name);
	for (i = 0; i < m->n_props; i++) {
		if (m->props[i].flags & CP_HIDDEN)
			continue;
		prop_format(&m->props[i], obj, value, sizeof(value));
		fprintf(out, "%*s: %s\n", (int)width, m->props[i].name, value);
	}
}

/* Column header: the property name upper-cased, as RouterOS prints it. */
static void print_header(const char *name, char *buf, size_t size)
{
	size_t i;

	for (i = 0; name[i] != '\0' && i + 1 < size; i++)
		buf[i] = (name[i] >= 'a' && name[i] <= 'z') ?
		    (char)(name[i] - 'a' + 'A') : name[i];
	buf[i] = '\0';
}

/*
 * The target list: `Flags: X - disabled`, then numbered rows, a table of
 * the CP_COLUMN properties or, with detail, every property as name=value.
 */
static void print_targets(const struct tflow_config *cfg, bool detail,
    uint32_t rows, FILE *out)
{
	const struct conf_menu *m = &conf_menus[MENU_TARGET];
	size_t width[ROS_CHOICES_MAX], i, last = 0;
	struct conf_target_draft d;
	char value[ROS_VALUE_MAX];
	unsigned row, n;
	const char *sep;

	n = cfg->n_targets < CONF_MAX_TARGETS ? cfg->n_targets :
	    CONF_MAX_TARGETS;
	fputs("Flags: X - disabled\n", out);
	if (detail) {
		for (row = 0; row < n; row++) {
			if (!(rows & (UINT32_C(1) << row)))
				continue;
			target_to_draft(&cfg->targets[row], &d);
			fprintf(out, "%2u %c ", row, d.disabled ? 'X' : ' ');
			sep = "";
			for (i = 0; i < m->n_props; i++) {
				if (m->props[i].flags & (CP_HIDDEN | CP_FLAG_X))
					continue;
				prop_format(&m->props[i], &d, value,
				    sizeof(value));
				fprintf(out, "%s%s=", sep, m->props[i].name);
				ros_put_value(out, value);
				sep = " ";
			}
			fputs("\n\n", out);
		}
		return;
	}

	/* a column is as wide as its header or its widest value */
	for (i = 0; i < m->n_props; i++) {
		width[i] = strlen(m->props[i].name);
		if (m->props[i].flags & CP_COLUMN)
			last = i;
	}
	for (row = 0; row < n; row++) {
		if (!(rows & (UINT32_C(1) << row)))
			continue;
		target_to_draft(&cfg->targets[row], &d);
		for (i = 0; i < m->n_props; i++) {
			if (!(m->props[i].flags & CP_COLUMN))
				continue;
			prop_format(&m->props[i], &d, value, sizeof(value));
			if (strlen(value) > width[i])
				width[i] = strlen(value);
		}
	}
	fputs(" #  ", out);
	for (i = 0; i < m->n_props; i++) {
		if (!(m->props[i].flags & CP_COLUMN))
			continue;
		print_header(m->props[i].name, value, sizeof(value));
		fprintf(out, " %-*s", i == last ? 0 : (int)width[i], value);
	}
	fputc('\n', out);
	for (row = 0; row < n; row++) {
		if (!(rows & (UINT32_C(1) << row)))
			continue;
		target_to_draft(&cfg->targets[row], &d);
		fprintf(out, "%2u %c", row, d.disabled ? 'X' : ' ');
		for (i = 0; i < m->n_props; i++) {
			if (!(m->props[i].flags & CP_COLUMN))
				continue;
			prop_format(&m->props[i], &d, value, sizeof(value));
			fprintf(out, " %-*s", i == last ? 0 : (int)width[i],
			    value);
		}
		fputc('\n', out);
	}
}
