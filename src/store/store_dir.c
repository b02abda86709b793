/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * store_dir: the tree of store files, DIR/YYYY/MM/DD/tflow-...tfs.  Names
 * carry the UTC period start, so sorting names sorts files by age; the
 * reader's store_dir_list() and the writer's expiry both start from
 * store_tree_scan().  Only names this module makes are touched: an
 * operator's own files in DIR are never listed, expired or pruned.
 */
#include "store_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tflow/store_format.h"

int store_day_dir(const char *dir, uint64_t start_ms, char *buf, size_t len)
{
	time_t t = (time_t)(start_ms / 1000);
	struct tm tm;
	int n;

	gmtime_r(&t, &tm);
	n = snprintf(buf, len, "%s/%04d/%02d/%02d", dir, tm.tm_year + 1900,
		     tm.tm_mon + 1, tm.tm_mday);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int store_file_name(uint64_t start_ms, unsigned seq, char *buf, size_t len)
{
	time_t t = (time_t)(start_ms / 1000);
	char suffix[16] = "";
	struct tm tm;
	int n;

	gmtime_r(&t, &tm);
	if (seq != 0)
		snprintf(suffix, sizeof(suffix), "-%u", seq);
	n = snprintf(buf, len, STORE_NAME_PREFIX "%04d%02d%02dT%02d%02d%02dZ%s"
		     STORE_NAME_EXT, tm.tm_year + 1900, tm.tm_mon + 1,
		     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, suffix);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* n decimal digits at *s. */
static int digits(const char **s, int n, int *out)
{
	int v = 0;

	while (n-- > 0) {
		if (**s < '0' || **s > '9')
			return -EINVAL;
		v = v * 10 + (*(*s)++ - '0');
	}
	*out = v;
	return 0;
}

int store_name_parse(const char *name, uint64_t *start_ms, unsigned *seq,
		     bool *current)
{
	const char *s = name;
	struct tm tm;
	unsigned long sq = 0;
	char *end;
	time_t t;
	int y, mo, d, h, mi, se;

	if (strncmp(s, STORE_NAME_PREFIX, strlen(STORE_NAME_PREFIX)) != 0)
		return -EINVAL;
	s += strlen(STORE_NAME_PREFIX);
	if (digits(&s, 4, &y) || digits(&s, 2, &mo) || digits(&s, 2, &d) ||
	    *s++ != 'T' || digits(&s, 2, &h) || digits(&s, 2, &mi) ||
	    digits(&s, 2, &se) || *s++ != 'Z')
		return -EINVAL;
	if (*s == '-') {
		s++;
		if (*s < '1' || *s > '9')
			return -EINVAL;
		errno = 0;
		sq = strtoul(s, &end, 10);
		if (errno != 0 || sq > 1000000)
			return -EINVAL;
		s = end;
	}
	if (strncmp(s, STORE_NAME_EXT, strlen(STORE_NAME_EXT)) != 0)
		return -EINVAL;
	s += strlen(STORE_NAME_EXT);
	if (strcmp(s, STORE_SUFFIX_CURRENT) == 0)
		*current = true;
	else if (*s == '\0')
		*current = false;
	else
		return -EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    se > 60)
		return -EINVAL;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	t = timegm(&tm);
	if (t < 0)
		return -EINVAL;
	*start_ms = (uint64_t)t * 1000;
	*seq = (unsigned)sq;
	return 0;
}

int store_mkdirs(const char *path)
{
	char buf[STORE_PATH_MAX];
	size_t i, len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0755) == -1 && errno != EEXIST)
			return -errno;
		if (i < len)
			buf[i] = '/';
	}
	return 0;
}

int store_fsync_dir(const char *dir)
{
	int fd, r = 0;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return -errno;
	if (fsync(fd) == -1)
		r = -errno;
	close(fd);
	return r;
}

/* Names of one level: four digits (year) or two (month, day). */
static bool level_name(const char *s, size_t want)
{
	size_t i;

	for (i = 0; i < want; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return s[want] == '\0';
}

struct scan {
	struct store_entry *e;
	size_t n, cap;
};

static int scan_add(struct scan *sc, const char *dir, const char *name)
{
	struct store_entry *ne, ent;
	char path[STORE_PATH_MAX];
	struct stat st;
	int n;

	memset(&ent, 0, sizeof(ent));
	if (store_name_parse(name, &ent.start_ms, &ent.seq, &ent.current) != 0)
		return 0;
	n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return 0;
	if (stat(path, &st) == -1 || !S_ISREG(st.st_mode))
		return 0;	/* gone meanwhile (expired), or not a file */
	ent.size = (uint64_t)st.st_size;
	if ((ent.path = strdup(path)) == NULL)
		return -ENOMEM;
	if (sc->n == sc->cap) {
		size_t cap = sc->cap != 0 ? sc->cap * 2 : 64;

		ne = realloc(sc->e, cap * sizeof(*ne));
		if (ne == NULL) {
			free(ent.path);
			return -ENOMEM;
		}
		sc->e = ne;
		sc->cap = cap;
	}
	sc->e[sc->n++] = ent;
	return 0;
}

/* Walks DIR/YYYY/MM/DD: depth 0..2 are date levels, 3 holds files. */
static int scan_level(struct scan *sc, const char *dir, int depth)
{
	static const size_t width[3] = { 4, 2, 2 };
	char path[STORE_PATH_MAX];
	struct dirent *de;
	DIR *d;
	int r = 0, n;

	d = opendir(dir);
	if (d == NULL)
		return errno == ENOENT && depth > 0 ? 0 : -errno;
	while (r == 0 && (de = readdir(d)) != NULL) {
		if (depth == 3) {
			r = scan_add(sc, dir, de->d_name);
			continue;
		}
		if (!level_name(de->d_name, width[depth]))
			continue;
		n = snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (n < 0 || (size_t)n >= sizeof(path))
			continue;
		r = scan_level(sc, path, depth + 1);
	}
	closedir(d);
	return r;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct store_entry *x = a, *y = b;

	if (x->start_ms != y->start_ms)
		return x->start_ms < y->start_ms ? -1 : 1;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return (int)x->current - (int)y->current;
}

int store_tree_scan(const char *dir, struct store_entry **out, size_t *n)
{
	struct scan sc = { NULL, 0, 0 };
	int r;

	r = scan_level(&sc, dir, 0);
	if (r != 0) {
		store_entries_free(sc.e, sc.n);
		return r;
	}
	if (sc.n > 1)
		qsort(sc.e, sc.n, sizeof(*sc.e), entry_cmp);
	*out = sc.e;
	*n = sc.n;
	return 0;
}

void store_entries_free(struct store_entry *e, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(e[i].path);
	free(e);
}

void store_prune_dirs(const char *dir, const char *file_path)
{
	char buf[STORE_PATH_MAX];
	size_t dlen = strlen(dir);
	char *slash;
	int level;

	if (strlen(file_path) >= sizeof(buf))
		return;
	strcpy(buf, file_path);
	/* DD, then MM, then YYYY; rmdir fails harmlessly on a non-empty
	 * directory, which ends the climb. */
	for (level = 0; level < 3; level++) {
		slash = strrchr(buf, '/');
		if (slash == NULL || (size_t)(slash - buf) <= dlen)
			return;
		*slash = '\0';
		if (rmdir(buf) == -1)
			return;
	}
}

/*
 * A file with period start S holds records that arrived in its period,
 * and a flow's last packet is seen before its record arrives: its flows
 * end before S + period (plus exporter clock skew).  They may have begun
 * long before S (active-flow-timeout, up to days), so nothing is pruned
 * on that side without the trailer's exact range.
 */
#define LIST_SLACK_MS (2 * MS_PER_DAY)

int store_dir_list(const char *dir, uint64_t from_ms, uint64_t to_ms,
		   char ***paths, size_t *n)
{
	struct store_entry *e;
	uint64_t first, last;
	char **out;
	size_t ne, i, k = 0;
	int r, fd;

	*paths = NULL;
	*n = 0;
	r = store_tree_scan(dir, &e, &ne);
	if (r != 0)
		return r;
	out = calloc(ne + 1, sizeof(*out));
	if (out == NULL) {
		store_entries_free(e, ne);
		return -ENOMEM;
	}
	for (i = 0; i < ne; i++) {
		if (from_ms != 0 && e[i].start_ms + LIST_SLACK_MS < from_ms)
			continue;
		fd = open(e[i].path, O_RDONLY | O_CLOEXEC);
		if (fd != -1) {
			r = store_peek_range(fd, &first, &last);
			close(fd);
			/* Only a finished file's own range excludes it; a
			 * file being written or cut is always listed. */
			if (r == 0 && (first > to_ms || last < from_ms))
				continue;
		}
		out[k++] = e[i].path;
		e[i].path = NULL;
	}
	store_entries_free(e, ne);
	*paths = out;
	*n = k;
	return 0;
}

int store_parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0, mult = 1;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	while (*p >= '0' && *p <= '9') {
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(*p - '0'), &v))
			return -EINVAL;
		p++;
	}
	switch (*p) {
	case '\0':
		break;
	case 'k':
	case 'K':
		mult = 1ULL << 10;
		break;
	case 'M':
		mult = 1ULL << 20;
		break;
	case 'G':
		mult = 1ULL << 30;
		break;
	case 'T':
		mult = 1ULL << 40;
		break;
	default:
		return -EINVAL;
	}
	if (*p != '\0' && p[1] != '\0')
		return -EINVAL;
	if (__builtin_mul_overflow(v, mult, &v))
		return -EINVAL;
	*out = v;
	return 0;
}

void store_seterr(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}
