/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * filter: parser and block evaluator of tflow-query's filter expressions.
 *
 * The recursive-descent parser emits postfix code directly (operands
 * before their operator), so the program is a flat array that a stack of
 * byte masks runs through: a predicate pushes a mask of the block (one
 * byte per record, 0 or 1), not/and/or rewrite the top masks in place.
 * Every predicate's loop is a comparison over one column array with no
 * call and no branch per record; numeric comparisons are all turned into
 * one unsigned range test, (x - lo) <= span, xor a negation bit, so one
 * loop per column width serves =, !=, <, <=, > and >=.
 *
 * The same program runs over a block summary with three values (no record,
 * some, every record) to decide whether a block can be skipped unread.
 */
#include "filter.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"

/* Parenthesised or negated nesting deeper than this is refused: the
 * parser recurses once per level. */
#define MAX_NEST	64

enum ins_kind {
	I_NET,		/* address in prefix */
	I_NUM,		/* numeric column in range */
	I_EXPORTER,	/* exporter address in prefix */
	I_TRUE,
	I_AND,
	I_OR,
	I_NOT,
};

enum field {
	F_PORT,		/* src_port / dst_port by dir */
	F_PROTO,
	F_IPVER,
	F_TOS,
	F_IF,		/* in_if / out_if by dir */
	F_PACKETS,
	F_BYTES,
};

/* Which side of the flow a predicate looks at; ANY is src or dst. */
enum dir {
	DIR_SRC = 1,
	DIR_DST = 2,
	DIR_ANY = 3,
};

enum cmp {
	CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE,
};

struct ins {
	enum ins_kind kind;
	enum dir dir;
	enum field field;
	/* I_NUM: match when (x - lo) <= span, inverted when neg. */
	uint64_t lo, span;
	bool neg;
	/* I_NET, I_EXPORTER: the prefix; masks as loaded from memory (any
	 * byte order: address, mask and net are loaded the same way). */
	struct cidr net;
	uint32_t net4, mask4;
	uint64_t net6[2], mask6[2];
	/* I_EXPORTER: per exporter index of the current file, 0 or 1. */
	uint8_t *exp_match;
};

struct filter {
	struct ins *prog;
	size_t n, cap;
	size_t depth;		/* largest mask stack the program needs */
	unsigned cols;
	uint64_t from_ms, to_ms;
	bool timed;
	uint8_t *masks;		/* (depth + 1) x mask_cap bytes */
	size_t mask_cap;
};

/* --- tokens ---------------------------------------------------------- */

enum tok_type {
	T_END, T_WORD, T_LP, T_RP, T_AND, T_OR, T_NOT, T_CMP,
};

struct tok {
	enum tok_type type;
	enum cmp cmp;
	size_t pos;		/* 0-based offset in the expression */
	size_t len;
};

struct parser {
	const char *s;
	struct tok *toks;
	size_t n_toks, i;
	struct filter *f;
	char *err;
	size_t errlen;
	int nest;
	int rc;			/* first error: sticky */
};

static bool word_char(char c)
{
	return c != '\0' && !isspace((unsigned char)c) && strchr("()&|!<>=",
	    c) == NULL;
}

static int perr(struct parser *p, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int perr(struct parser *p, size_t pos, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	if (p->rc != 0)
		return p->rc;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->errlen > 0)
		snprintf(p->err, p->errlen, "filter column %zu: %s", pos + 1,
			 msg);
	p->rc = -EINVAL;
	return p->rc;
}

static int tokenize(struct parser *p)
{
	const char *s = p->s;
	size_t i = 0, cap = 16;

	p->toks = malloc(cap * sizeof(*p->toks));
	if (p->toks == NULL)
		return -ENOMEM;
	for (;;) {
		struct tok t = { .type = T_END, .pos = i, .len = 0 };

		while (isspace((unsigned char)s[i]))
			i++;
		t.pos = i;
		if (s[i] == '\0') {
			t.type = T_END;
		} else if (s[i] == '(' || s[i] == ')') {
			t.type = s[i] == '(' ? T_LP : T_RP;
			t.len = 1;
		} else if (s[i] == '&' || s[i] == '|') {
			if (s[i + 1] != s[i])
				return perr(p, i, "'%c' alone: write '%c%c'",
					    s[i], s[i], s[i]);
			t.type = s[i] == '&' ? T_AND : T_OR;
			t.len = 2;
		} else if (s[i] == '!' && s[i + 1] != '=') {
			t.type = T_NOT;
			t.len = 1;
		} else if (strchr("!<>=", s[i]) != NULL) {
			t.type = T_CMP;
			t.len = s[i + 1] == '=' ? 2 : 1;
			switch (s[i]) {
			case '!': t.cmp = CMP_NE; break;
			case '<': t.cmp = t.len == 2 ? CMP_LE : CMP_LT; break;
			case '>': t.cmp = t.len == 2 ? CMP_GE : CMP_GT; break;
			default: t.cmp = CMP_EQ; break;
			}
		} else {
			t.type = T_WORD;
			while (word_char(s[i + t.len]))
				t.len++;
		}
		i += t.len;
		if (p->n_toks == cap) {
			struct tok *n;

			cap *= 2;
			n = realloc(p->toks, cap * sizeof(*n));
			if (n == NULL)
				return -ENOMEM;
			p->toks = n;
		}
		p->toks[p->n_toks++] = t;
		if (t.type == T_END)
			return 0;
	}
}

static const struct tok *peek(struct parser *p)
{
	return &p->toks[p->i];
}

static const struct tok *next(struct parser *p)
{
	const struct tok *t = &p->toks[p->i];

	if (t->type != T_END)
		p->i++;
	return t;
}

static bool is_word(const struct parser *p, const struct tok *t,
		    const char *w)
{
	return t->type == T_WORD && strlen(w) == t->len &&
	       strncasecmp(p->s + t->pos, w, t->len) == 0;
}

/* The token's text, cut to fit, for messages and number parsing. */
static const char *tok_text(const struct parser *p, const struct tok *t,
			    char *buf, size_t len)
{
	size_t n = t->len;

	if (t->type == T_END)
		return "end of filter";
	if (n >= len)
		n = len - 1;
	memcpy(buf, p->s + t->pos, n);
	buf[n] = '\0';
	return buf;
}

/* --- code emission --------------------------------------------------- */

static struct ins *emit(struct parser *p, enum ins_kind kind)
{
	struct filter *f = p->f;
	struct ins *in;

	if (p->rc != 0)
		return NULL;
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 16;
		struct ins *n = realloc(f->prog, cap * sizeof(*n));

		if (n == NULL) {
			p->rc = -ENOMEM;
			return NULL;
		}
		f->prog = n;
		f->cap = cap;
	}
	in = &f->prog[f->n++];
	memset(in, 0, sizeof(*in));
	in->kind = kind;
	return in;
}

int filter_parse_count(const char *s, uint64_t *out)
{
	unsigned long long v;
	uint64_t mul = 1;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -EINVAL;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': mul = 1000ULL; end++; break;
	case 'm': case 'M': mul = 1000000ULL; end++; break;
	case 'g': case 'G': mul = 1000000000ULL; end++; break;
	case 't': case 'T': mul = 1000000000000ULL; end++; break;
	default: return -EINVAL;
	}
	if (*end != '\0' || (v != 0 && mul > UINT64_MAX / v))
		return -EINVAL;
	*out = (uint64_t)v * mul;
	return 0;
}

/* Range form of "x CMP v" over an unsigned column. */
static void set_range(struct ins *in, enum cmp c, uint64_t v)
{
	/* "never" is "not always": the whole range, negated. */
	in->lo = 0;
	in->span = UINT64_MAX;
	in->neg = false;
	switch (c) {
	case CMP_EQ:
		in->lo = v;
		in->span = 0;
		break;
	case CMP_NE:
		in->lo = v;
		in->span = 0;
		in->neg = true;
		break;
	case CMP_LT:
		if (v == 0)
			in->neg = true;
		else
			in->span = v - 1;
		break;
	case CMP_LE:
		in->span = v;
		break;
	case CMP_GT:
		if (v == UINT64_MAX) {
			in->neg = true;
		} else {
			in->lo = v + 1;
			in->span = UINT64_MAX - in->lo;
		}
		break;
	case CMP_GE:
		in->lo = v;
		in->span = UINT64_MAX - v;
		break;
	}
}

static unsigned field_cols(enum field fl)
{
	switch (fl) {
	case F_PORT: return 1u << STORE_COL_PORTS;
	case F_PROTO:
	case F_IPVER: return 1u << STORE_COL_PROTO;
	case F_TOS: return 1u << STORE_COL_TOS_FLAGS;
	case F_IF: return 1u << STORE_COL_IFACES;
	case F_PACKETS:
	case F_BYTES: return 1u << STORE_COL_COUNTERS;
	}
	return 0;
}

static void emit_num(struct parser *p, enum field fl, enum dir d,
		     enum cmp c, uint64_t v)
{
	struct ins *in = emit(p, I_NUM);

	if (in == NULL)
		return;
	in->field = fl;
	in->dir = d;
	set_range(in, c, v);
	p->f->cols |= field_cols(fl);
}

/* [OP] NUMBER up to max, after the word `what`. */
static int parse_cmp_num(struct parser *p, const char *what, uint64_t max,
			 bool suffixes, enum cmp *c, uint64_t *v)
{
	const struct tok *t = next(p);
	char buf[64];

	*c = CMP_EQ;
	if (t->type == T_CMP) {
		*c = t->cmp;
		t = next(p);
	}
	if (t->type != T_WORD)
		return perr(p, t->pos, "expected a number after '%s', got %s",
			    what, t->type == T_END ? "end of filter" : "a symbol");
	tok_text(p, t, buf, sizeof(buf));
	if (suffixes) {
		if (filter_parse_count(buf, v) != 0)
			return perr(p, t->pos, "'%s' is not a count (a number, "
				    "optionally with k, M, G or T)", buf);
	} else {
		char *end;

		errno = 0;
		*v = strtoull(buf, &end, 10);
		if (!isdigit((unsigned char)buf[0]) || *end != '\0' ||
		    errno != 0)
			return perr(p, t->pos, "'%s' is not a number", buf);
	}
	if (*v > max)
		return perr(p, t->pos, "%s %s is out of range (0-%llu)", what,
			    buf, (unsigned long long)max);
	return 0;
}

static void set_net(struct ins *in)
{
	uint8_t m[16] = { 0 };
	unsigned i;

	for (i = 0; i < in->net.prefix; i++)
		m[i / 8] |= (uint8_t)(0x80 >> (i % 8));
	memcpy(&in->mask4, m, 4);
	memcpy(&in->net4, in->net.addr, 4);
	memcpy(in->mask6, m, 16);
	memcpy(in->net6, in->net.addr, 16);
}

/* ADDR (host) or CIDR (net) after `what`. */
static int parse_addr(struct parser *p, const char *what, bool prefix_ok,
		      struct cidr *out)
{
	const struct tok *t = next(p);
	char buf[80];

	if (t->type != T_WORD)
		return perr(p, t->pos, "expected an address after '%s', got %s",
			    what, t->type == T_END ? "end of filter" : "a symbol");
	tok_text(p, t, buf, sizeof(buf));
	if (!prefix_ok && strchr(buf, '/') != NULL)
		return perr(p, t->pos, "'%s' is a prefix: use 'net %s'", buf,
			    buf);
	if (cidr_parse(buf, out) != 0)
		return perr(p, t->pos, "'%s' is not an %s", buf,
			    prefix_ok ? "address or prefix (A/N)" : "address");
	return 0;
}

static void emit_net(struct parser *p, enum dir d, const struct cidr *c)
{
	struct ins *in = emit(p, I_NET);

	if (in == NULL)
		return;
	in->dir = d;
	in->net = *c;
	set_net(in);
	p->f->cols |= 1u << STORE_COL_PROTO;
	if (d & DIR_SRC)
		p->f->cols |= 1u << STORE_COL_SRC_ADDR;
	if (d & DIR_DST)
		p->f->cols |= 1u << STORE_COL_DST_ADDR;
}

static const struct {
	const char *name;
	uint8_t proto;
} proto_names[] = {
	{ "icmp", 1 }, { "igmp", 2 }, { "tcp", 6 }, { "udp", 17 },
	{ "gre", 47 }, { "esp", 50 }, { "ah", 51 }, { "icmp6", 58 },
	{ "ipv6-icmp", 58 }, { "sctp", 132 },
};

static int proto_by_name(const struct parser *p, const struct tok *t)
{
	size_t i;

	for (i = 0; i < sizeof(proto_names) / sizeof(proto_names[0]); i++)
		if (is_word(p, t, proto_names[i].name))
			return proto_names[i].proto;
	return -1;
}

static int parse_or(struct parser *p);

/* A primitive; the direction word (src/dst) may precede it. */
static int parse_primitive(struct parser *p)
{
	const struct tok *t = next(p), *w;
	enum dir d = DIR_ANY;
	struct cidr c;
	enum cmp cmp;
	uint64_t v;
	char buf[64];
	int pr;

	if (is_word(p, t, "src") || is_word(p, t, "dst")) {
		d = is_word(p, t, "src") ? DIR_SRC : DIR_DST;
		w = peek(p);
		if (is_word(p, w, "host") || is_word(p, w, "ip") ||
		    is_word(p, w, "net") || is_word(p, w, "port")) {
			t = next(p);
		} else if (w->type == T_WORD) {
			/* "src 10.0.0.1", as tcpdump: host or net. */
			if (parse_addr(p, d == DIR_SRC ? "src" : "dst", true,
				       &c) != 0)
				return p->rc;
			emit_net(p, d, &c);
			return p->rc;
		} else {
			return perr(p, w->pos, "expected host, net, port or an "
				    "address after '%s'",
				    d == DIR_SRC ? "src" : "dst");
		}
	}
	if (is_word(p, t, "host") || is_word(p, t, "ip")) {
		if (parse_addr(p, "host", false, &c) == 0)
			emit_net(p, d, &c);
	} else if (is_word(p, t, "net")) {
		if (parse_addr(p, "net", true, &c) == 0)
			emit_net(p, d, &c);
	} else if (is_word(p, t, "port")) {
		if (parse_cmp_num(p, "port", 65535, false, &cmp, &v) == 0)
			emit_num(p, F_PORT, d, cmp, v);
	} else if (d != DIR_ANY) {
		/* Unreachable: the direction branch consumed or refused. */
		return perr(p, t->pos, "expected host, net or port");
	} else if (is_word(p, t, "in") || is_word(p, t, "out")) {
		d = is_word(p, t, "in") ? DIR_SRC : DIR_DST;
		w = next(p);
		if (!is_word(p, w, "if"))
			return perr(p, w->pos, "expected 'if' after '%s'",
				    d == DIR_SRC ? "in" : "out");
		if (parse_cmp_num(p, "if", UINT32_MAX, false, &cmp, &v) == 0)
			emit_num(p, F_IF, d, cmp, v);
	} else if (is_word(p, t, "if")) {
		if (parse_cmp_num(p, "if", UINT32_MAX, false, &cmp, &v) == 0)
			emit_num(p, F_IF, DIR_ANY, cmp, v);
	} else if (is_word(p, t, "proto")) {
		w = peek(p);
		if (w->type == T_WORD && (pr = proto_by_name(p, w)) >= 0) {
			next(p);
			emit_num(p, F_PROTO, DIR_ANY, CMP_EQ, (uint64_t)pr);
		} else if (w->type == T_WORD &&
			   !isdigit((unsigned char)p->s[w->pos])) {
			return perr(p, w->pos, "unknown protocol '%s' (tcp, "
				    "udp, icmp, icmp6, gre, esp, ah, sctp, "
				    "igmp or a number)",
				    tok_text(p, w, buf, sizeof(buf)));
		} else if (parse_cmp_num(p, "proto", 255, false, &cmp,
					 &v) == 0) {
			emit_num(p, F_PROTO, DIR_ANY, cmp, v);
		}
	} else if ((pr = proto_by_name(p, t)) >= 0) {
		emit_num(p, F_PROTO, DIR_ANY, CMP_EQ, (uint64_t)pr);
	} else if (is_word(p, t, "bytes") || is_word(p, t, "packets")) {
		bool bytes = is_word(p, t, "bytes");

		if (parse_cmp_num(p, bytes ? "bytes" : "packets", UINT64_MAX,
				  true, &cmp, &v) == 0)
			emit_num(p, bytes ? F_BYTES : F_PACKETS, DIR_ANY, cmp,
				 v);
	} else if (is_word(p, t, "tos")) {
		if (parse_cmp_num(p, "tos", 255, false, &cmp, &v) == 0)
			emit_num(p, F_TOS, DIR_ANY, cmp, v);
	} else if (is_word(p, t, "inet") || is_word(p, t, "ipv4")) {
		emit_num(p, F_IPVER, DIR_ANY, CMP_EQ, 4);
	} else if (is_word(p, t, "inet6") || is_word(p, t, "ipv6")) {
		emit_num(p, F_IPVER, DIR_ANY, CMP_EQ, 6);
	} else if (is_word(p, t, "any")) {
		emit(p, I_TRUE);
	} else if (is_word(p, t, "exporter")) {
		struct ins *in;

		if (parse_addr(p, "exporter", true, &c) != 0)
			return p->rc;
		in = emit(p, I_EXPORTER);
		if (in != NULL) {
			in->net = c;
			p->f->cols |= 1u << STORE_COL_EXPORTER;
		}
	} else if (t->type == T_END) {
		return perr(p, t->pos, "unexpected end of filter, expected a "
			    "primitive (host, net, port, proto, if, exporter, "
			    "bytes, packets, ...)");
	} else {
		return perr(p, t->pos, "unknown primitive '%s' (host, net, "
			    "port, proto, in if, out if, exporter, bytes, "
			    "packets, tos, src, dst, not, ...)",
			    tok_text(p, t, buf, sizeof(buf)));
	}
	return p->rc;
}

static int parse_unary(struct parser *p)
{
	const struct tok *t = peek(p);

	if (p->rc != 0)
		return p->rc;
	if (++p->nest > MAX_NEST)
		return perr(p, t->pos, "nested deeper than %d", MAX_NEST);
	if (t->type == T_NOT || is_word(p, t, "not")) {
		next(p);
		if (parse_unary(p) == 0)
			emit(p, I_NOT);
	} else if (t->type == T_LP) {
		size_t lp = t->pos;

		next(p);
		if (parse_or(p) == 0) {
			t = next(p);
			if (t->type != T_RP)
				perr(p, t->pos, "expected ')' to close the '(' "
				     "of column %zu", lp + 1);
		}
	} else if (t->type == T_WORD || t->type == T_END) {
		parse_primitive(p);
	} else {
		perr(p, t->pos, "unexpected '%.*s', expected a primitive, "
		     "'not' or '('", (int)t->len, p->s + t->pos);
	}
	p->nest--;
	return p->rc;
}

static int parse_and(struct parser *p)
{
	if (parse_unary(p) != 0)
		return p->rc;
	for (;;) {
		const struct tok *t = peek(p);

		if (t->type != T_AND && !is_word(p, t, "and"))
			return p->rc;
		next(p);
		if (parse_unary(p) != 0)
			return p->rc;
		emit(p, I_AND);
	}
}

static int parse_or(struct parser *p)
{
	if (parse_and(p) != 0)
		return p->rc;
	for (;;) {
		const struct tok *t = peek(p);

		if (t->type != T_OR && !is_word(p, t, "or"))
			return p->rc;
		next(p);
		if (parse_and(p) != 0)
			return p->rc;
		emit(p, I_OR);
	}
}

/* The deepest mask stack the postfix program reaches. */
static size_t prog_depth(const struct filter *f)
{
	size_t i, d = 0, max = 0;

	for (i = 0; i < f->n; i++) {
		switch (f->prog[i].kind) {
		case I_AND:
		case I_OR:
			d--;
			break;
		case I_NOT:
			break;
		default:
			if (++d > max)
				max = d;
			break;
		}
	}
	return max;
}

int filter_compile(const char *expr, struct filter **out, char *err,
		   size_t errlen)
{
	struct parser p = { .s = expr ? expr : "", .err = err,
			    .errlen = errlen };
	struct filter *f;
	const struct tok *t;

	*out = NULL;
	if (errlen > 0)
		err[0] = '\0';
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return -ENOMEM;
	f->to_ms = UINT64_MAX;
	p.f = f;
	if (tokenize(&p) != 0)
		goto fail;
	if (p.toks[0].type == T_END) {
		emit(&p, I_TRUE);
	} else if (parse_or(&p) == 0) {
		t = peek(&p);
		if (t->type == T_RP)
			perr(&p, t->pos, "')' without a matching '('");
		else if (t->type != T_END)
			perr(&p, t->pos, "expected 'and', 'or' or the end of "
			     "the filter, got '%.*s'", (int)t->len,
			     p.s + t->pos);
	}
	if (p.rc != 0)
		goto fail;
	free(p.toks);
	f->depth = prog_depth(f);
	*out = f;
	return 0;
fail:
	if (p.rc == -ENOMEM && errlen > 0)
		snprintf(err, errlen, "filter: out of memory");
	free(p.toks);
	filter_free(f);
	return p.rc != 0 ? p.rc : -ENOMEM;
}

void filter_free(struct filter *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->n; i++)
		free(f->prog[i].exp_match);
	free(f->prog);
	free(f->masks);
	free(f);
}

void filter_set_time(struct filter *f, uint64_t from_ms, uint64_t to_ms)
{
	f->from_ms = from_ms;
	f->to_ms = to_ms;
	f->timed = from_ms != 0 || to_ms != UINT64_MAX;
	if (f->timed)
		f->cols |= 1u << STORE_COL_TIMES;
}

unsigned filter_columns(const struct filter *f)
{
	return f->cols;
}

int filter_bind(struct filter *f, const struct store_exporter *exp,
		uint32_t n_exp)
{
	size_t i;
	uint32_t j;

	for (i = 0; i < f->n; i++) {
		struct ins *in = &f->prog[i];

		if (in->kind != I_EXPORTER)
			continue;
		/* Indexed by any uint16_t: no bound check in the loop. */
		if (in->exp_match == NULL) {
			in->exp_match = malloc(65536);
			if (in->exp_match == NULL)
				return -ENOMEM;
		}
		memset(in->exp_match, 0, 65536);
		for (j = 0; j < n_exp && j < 65536; j++)
			in->exp_match[j] = cidr_match(&in->net, exp[j].addr,
						      exp[j].family);
	}
	return 0;
}

/* --- block summaries ------------------------------------------------- */

enum tri { NONE, SOME, ALL };

static uint32_t be32_of(const uint8_t b[4])
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}

static enum tri sum_leaf(const struct ins *in,
			 const struct store_block_summary *s)
{
	unsigned v, hit = 0, present = 0;

	switch (in->kind) {
	case I_TRUE:
		return ALL;
	case I_NET:
		if (in->net.family == 6)
			return s->has_v6 ? SOME : NONE;
		if (!s->has_v4)
			return NONE;
		{
			uint32_t lo = be32_of(in->net.addr);
			/* A shift by 32 is undefined: /32 is its own end. */
			uint32_t hi = in->net.prefix >= 32 ? lo :
			    lo | (UINT32_MAX >> in->net.prefix);

			if (be32_of(s->max_addr4) < lo ||
			    be32_of(s->min_addr4) > hi)
				return NONE;
		}
		return SOME;
	case I_NUM:
		if (in->field == F_IPVER) {
			bool m4 = ((uint64_t)4 - in->lo <= in->span) ^ in->neg;
			bool m6 = ((uint64_t)6 - in->lo <= in->span) ^ in->neg;

			if ((!m4 || !s->has_v4) && (!m6 || !s->has_v6))
				return NONE;
			if ((m4 || !s->has_v4) && (m6 || !s->has_v6))
				return ALL;
			return SOME;
		}
		if (in->field != F_PROTO)
			return SOME;
		for (v = 0; v < 256; v++) {
			if (!(s->protos[v / 8] & (1u << (v % 8))))
				continue;
			present++;
			hit += ((uint64_t)v - in->lo <= in->span) ^ in->neg;
		}
		return hit == 0 ? NONE : hit == present ? ALL : SOME;
	default:
		return SOME;
	}
}

bool filter_block_may_match(const struct filter *f,
			    const struct store_block_summary *s)
{
	enum tri st[MAX_NEST * 2 + 8], *sp = st;
	enum tri a, b;
	size_t i;

	if (s->records == 0)
		return false;
	if (f->timed && (s->last_ms < f->from_ms || s->first_ms >= f->to_ms))
		return false;
	/* A program deeper than the stack is simply not skipped. */
	if (f->depth > sizeof(st) / sizeof(st[0]))
		return true;
	for (i = 0; i < f->n; i++) {
		const struct ins *in = &f->prog[i];

		switch (in->kind) {
		case I_NOT:
			sp[-1] = sp[-1] == NONE ? ALL : sp[-1] == ALL ? NONE :
			    SOME;
			break;
		case I_AND:
			b = *--sp;
			a = sp[-1];
			sp[-1] = (a == NONE || b == NONE) ? NONE :
			    (a == ALL && b == ALL) ? ALL : SOME;
			break;
		case I_OR:
			b = *--sp;
			a = sp[-1];
			sp[-1] = (a == ALL || b == ALL) ? ALL :
			    (a == NONE && b == NONE) ? NONE : SOME;
			break;
		default:
			*sp++ = sum_leaf(in, s);
			break;
		}
	}
	return st[0] != NONE;
}

/* --- block evaluation ------------------------------------------------ */

/* m[i] = lo <= x[i] <= lo + span, xor neg, for one column (or two, OR'd,
 * for a src-or-dst predicate).  One loop per column width. */
#define RANGE_LOOP(T)							\
static void range_##T(uint8_t *m, const T *a, const T *b, size_t n,	\
		      uint64_t lo, uint64_t span, uint8_t neg)		\
{									\
	size_t i;							\
									\
	if (b == NULL) {						\
		for (i = 0; i < n; i++)					\
			m[i] = (uint8_t)(((uint64_t)a[i] - lo <= span) ^ neg); \
	} else {							\
		for (i = 0; i < n; i++)					\
			m[i] = (uint8_t)((((uint64_t)a[i] - lo <= span) | \
			    ((uint64_t)b[i] - lo <= span)) ^ neg);	\
	}								\
}
RANGE_LOOP(uint8_t)
RANGE_LOOP(uint16_t)
RANGE_LOOP(uint32_t)
RANGE_LOOP(uint64_t)

static void eval_num(const struct ins *in, const struct store_cols *c,
		     uint8_t *m, size_t n)
{
	uint8_t neg = in->neg;

	switch (in->field) {
	case F_PORT:
		if (in->dir == DIR_ANY)
			range_uint16_t(m, c->src_port, c->dst_port, n, in->lo,
				       in->span, neg);
		else
			range_uint16_t(m, in->dir == DIR_SRC ? c->src_port :
				       c->dst_port, NULL, n, in->lo, in->span,
				       neg);
		break;
	case F_IF:
		if (in->dir == DIR_ANY)
			range_uint32_t(m, c->in_if, c->out_if, n, in->lo,
				       in->span, neg);
		else
			range_uint32_t(m, in->dir == DIR_SRC ? c->in_if :
				       c->out_if, NULL, n, in->lo, in->span,
				       neg);
		break;
	case F_PROTO:
		range_uint8_t(m, c->proto, NULL, n, in->lo, in->span, neg);
		break;
	case F_IPVER:
		range_uint8_t(m, c->ip_version, NULL, n, in->lo, in->span, neg);
		break;
	case F_TOS:
		range_uint8_t(m, c->tos, NULL, n, in->lo, in->span, neg);
		break;
	case F_PACKETS:
		range_uint64_t(m, c->packets, NULL, n, in->lo, in->span, neg);
		break;
	case F_BYTES:
		range_uint64_t(m, c->bytes, NULL, n, in->lo, in->span, neg);
		break;
	}
}

static inline uint8_t net4_hit(const uint8_t a[16], uint32_t mask,
			       uint32_t net)
{
	uint32_t x;

	memcpy(&x, a, 4);
	return (x & mask) == net;
}

static inline uint8_t net6_hit(const uint8_t a[16], const uint64_t mask[2],
			       const uint64_t net[2])
{
	uint64_t x[2];

	memcpy(x, a, 16);
	return ((x[0] & mask[0]) == net[0]) & ((x[1] & mask[1]) == net[1]);
}

static void eval_net(const struct ins *in, const struct store_cols *c,
		     uint8_t *m, size_t n)
{
	const uint8_t (*sa)[16] = c->src_addr, (*da)[16] = c->dst_addr;
	const uint8_t *ipv = c->ip_version;
	size_t i;

	if (in->net.family == 4) {
		uint32_t mask = in->mask4, net = in->net4;

		if (in->dir == DIR_SRC)
			for (i = 0; i < n; i++)
				m[i] = (ipv[i] == 4) & net4_hit(sa[i], mask, net);
		else if (in->dir == DIR_DST)
			for (i = 0; i < n; i++)
				m[i] = (ipv[i] == 4) & net4_hit(da[i], mask, net);
		else
			for (i = 0; i < n; i++)
				m[i] = (ipv[i] == 4) & (net4_hit(sa[i], mask,
				    net) | net4_hit(da[i], mask, net));
		return;
	}
	if (in->dir == DIR_SRC)
		for (i = 0; i < n; i++)
			m[i] = (ipv[i] == 6) & net6_hit(sa[i], in->mask6,
							in->net6);
	else if (in->dir == DIR_DST)
		for (i = 0; i < n; i++)
			m[i] = (ipv[i] == 6) & net6_hit(da[i], in->mask6,
							in->net6);
	else
		for (i = 0; i < n; i++)
			m[i] = (ipv[i] == 6) & (net6_hit(sa[i], in->mask6,
			    in->net6) | net6_hit(da[i], in->mask6, in->net6));
}

static int grow_masks(struct filter *f, size_t n)
{
	size_t cap = f->mask_cap ? f->mask_cap : 4096;
	uint8_t *m;

	while (cap < n)
		cap *= 2;
	m = malloc((f->depth + 1) * cap);
	if (m == NULL)
		return -ENOMEM;
	free(f->masks);
	f->masks = m;
	f->mask_cap = cap;
	return 0;
}

int filter_eval(struct filter *f, const struct store_cols *c, uint32_t *sel,
		size_t *n_sel)
{
	size_t n = c->n, i, k, top = 0;
	uint8_t *m, *a;

	*n_sel = 0;
	if (n == 0)
		return 0;
	if (n > f->mask_cap && grow_masks(f, n) != 0)
		return -ENOMEM;
	for (i = 0; i < f->n; i++) {
		const struct ins *in = &f->prog[i];

		m = f->masks + top * f->mask_cap;
		switch (in->kind) {
		case I_TRUE:
			memset(m, 1, n);
			top++;
			break;
		case I_NET:
			eval_net(in, c, m, n);
			top++;
			break;
		case I_NUM:
			eval_num(in, c, m, n);
			top++;
			break;
		case I_EXPORTER:
			for (k = 0; k < n; k++)
				m[k] = in->exp_match[c->exporter[k]];
			top++;
			break;
		case I_NOT:
			a = m - f->mask_cap;
			for (k = 0; k < n; k++)
				a[k] ^= 1;
			break;
		case I_AND:
		case I_OR:
			/* m is one past the top: the operands are below. */
			a = m - 2 * f->mask_cap;
			m -= f->mask_cap;
			if (in->kind == I_AND)
				for (k = 0; k < n; k++)
					a[k] &= m[k];
			else
				for (k = 0; k < n; k++)
					a[k] |= m[k];
			top--;
			break;
		}
	}
	m = f->masks;
	if (f->timed) {
		const uint64_t *fm = c->first_ms;
		uint64_t lo = f->from_ms, span = f->to_ms - f->from_ms - 1;

		if (f->to_ms <= f->from_ms)
			memset(m, 0, n);
		else
			for (k = 0; k < n; k++)
				m[k] &= (uint8_t)(fm[k] - lo <= span);
	}
	/* Branch-free compaction: every index is written, the count only
	 * advances on a match. */
	for (i = 0, k = 0; i < n; i++) {
		sel[k] = (uint32_t)i;
		k += m[i];
	}
	*n_sel = k;
	return 0;
}
