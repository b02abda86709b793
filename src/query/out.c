/* SPDX-License-Identifier: BSD-2-Clause */
/* out: text, JSON and CSV rows for tflow-query. */
#include "out.h"

#include <string.h>

void out_init(struct out *o, enum record_fmt fmt, FILE *f, size_t n,
	      const char *const *names, const bool *numeric)
{
	size_t i;

	memset(o, 0, sizeof(*o));
	o->fmt = fmt;
	o->f = f;
	o->n = n > OUT_MAX_COLS ? OUT_MAX_COLS : n;
	for (i = 0; i < o->n; i++) {
		o->names[i] = names[i];
		o->numeric[i] = numeric[i];
		o->width[i] = (int)strlen(names[i]);
	}
}

void out_fit(struct out *o, char cells[][OUT_CELL])
{
	size_t i;
	int w;

	for (i = 0; i < o->n; i++) {
		w = (int)strlen(cells[i]);
		if (w > o->width[i])
			o->width[i] = w;
	}
}

static void text_cell(struct out *o, size_t i, const char *s)
{
	int last = i + 1 == o->n;

	if (o->numeric[i])
		fprintf(o->f, "%*s", o->width[i], s);
	else if (last)
		fputs(s, o->f);
	else
		fprintf(o->f, "%-*s", o->width[i], s);
	fputs(last ? "\n" : "  ", o->f);
}

void out_header(struct out *o)
{
	size_t i;

	if (o->fmt == RECORD_FMT_TEXT) {
		for (i = 0; i < o->n; i++)
			text_cell(o, i, o->names[i]);
	} else if (o->fmt == RECORD_FMT_CSV) {
		for (i = 0; i < o->n; i++)
			fprintf(o->f, "%s%s", o->names[i],
				i + 1 == o->n ? "\n" : ",");
	}
}

static void json_str(FILE *f, const char *s)
{
	putc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			putc(c, f);
	}
	putc('"', f);
}

static void csv_str(FILE *f, const char *s)
{
	if (strpbrk(s, ",\"\n\r") == NULL) {
		fputs(s, f);
		return;
	}
	putc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			putc('"', f);
		putc(*s, f);
	}
	putc('"', f);
}

void out_row(struct out *o, char cells[][OUT_CELL])
{
	size_t i;

	switch (o->fmt) {
	case RECORD_FMT_TEXT:
		for (i = 0; i < o->n; i++)
			text_cell(o, i, cells[i]);
		break;
	case RECORD_FMT_JSON:
		putc('{', o->f);
		for (i = 0; i < o->n; i++) {
			if (i > 0)
				putc(',', o->f);
			json_str(o->f, o->names[i]);
			putc(':', o->f);
			if (!o->numeric[i])
				json_str(o->f, cells[i]);
			else if (cells[i][0] == '\0')
				fputs("null", o->f);
			else
				fputs(cells[i], o->f);
		}
		fputs("}\n", o->f);
		break;
	case RECORD_FMT_CSV:
		for (i = 0; i < o->n; i++) {
			csv_str(o->f, cells[i]);
			putc(i + 1 == o->n ? '\n' : ',', o->f);
		}
		break;
	}
}
