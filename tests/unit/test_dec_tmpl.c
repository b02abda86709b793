/* SPDX-License-Identifier: BSD-2-Clause */
/* tmpl: the collector's template store, per session and id, bounded. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "tflow/ie.h"
#include "tmpl.h"

static struct tmpl_field fields[3] = {
	{ IE_IP_PROTOCOL_VERSION, 1, 0, false },
	{ IE_FIRST_SWITCHED, 4, 0, false },
	{ IE_LAST_SWITCHED, 4, 0, false },
};

static void key(struct tmpl_key *k, uint16_t port, uint32_t domain)
{
	memset(k, 0, sizeof(*k));
	k->addr[0] = 192;
	k->addr[3] = 1;
	k->port = port;
	k->family = 4;
	k->version = 10;
	k->domain = domain;
}

static void mk(struct tmpl *t, uint16_t id, uint16_t n)
{
	memset(t, 0, sizeof(*t));
	t->id = id;
	t->nfields = n;
	t->fields = fields;
	assert_int_equal(tmpl_finish(t), 0);
}

static void test_store(void **state)
{
	struct tmpl_limits lim = { 5, 3, 1000 };
	struct tmpl_store *ts = tmpl_store_new(&lim);
	struct tmpl_key a, b;
	struct tmpl t;
	const struct tmpl *f;

	(void)state;
	assert_non_null(ts);
	key(&a, 1000, 0);
	key(&b, 1001, 0);
	mk(&t, 256, 3);
	assert_true(t.routeros);
	assert_int_equal(t.min_len, 9);
	assert_int_equal(tmpl_add(ts, &a, &t, 0), 0);
	mk(&t, 256, 1);
	assert_false(t.routeros);
	assert_int_equal(tmpl_add(ts, &b, &t, 0), 0);	/* other port */
	f = tmpl_find(ts, &a, 256, 10);
	assert_non_null(f);
	assert_int_equal(f->nfields, 3);
	assert_int_equal(tmpl_find(ts, &b, 256, 10)->nfields, 1);
	assert_int_equal(tmpl_add(ts, &a, &t, 20), 1);	/* replaced */
	assert_int_equal(tmpl_find(ts, &a, 256, 30)->nfields, 1);
	mk(&t, 257, 2);
	assert_int_equal(tmpl_add(ts, &a, &t, 20), 0);
	mk(&t, 258, 2);
	assert_int_equal(tmpl_add(ts, &a, &t, 20), 0);
	mk(&t, 259, 2);
	assert_int_equal(tmpl_add(ts, &a, &t, 20), -EDQUOT);
	assert_int_equal(tmpl_add(ts, &b, &t, 20), 0);
	mk(&t, 260, 2);
	assert_int_equal(tmpl_add(ts, &b, &t, 20), -ENOSPC);
	assert_int_equal(tmpl_count(ts), 5);
	t.options = true;
	assert_int_equal(tmpl_withdraw(ts, &a, 258), 0);
	assert_int_equal(tmpl_withdraw(ts, &a, 258), -ENOENT);
	assert_int_equal(tmpl_add(ts, &a, &t, 20), 0);	/* options 260 */
	assert_int_equal(tmpl_withdraw_all(ts, &a, false), 2);
	assert_int_equal(tmpl_session_count(ts, &a), 1);
	assert_non_null(tmpl_find(ts, &a, 260, 30));
	/* Expiry: b's 256 was added at 0, 259 at 20. */
	assert_null(tmpl_find(ts, &b, 256, 1001));
	assert_int_equal(tmpl_count(ts), 2);
	assert_int_equal(tmpl_expire(ts, 1021), 2);
	assert_int_equal(tmpl_count(ts), 0);
	mk(&t, 261, 2);
	assert_int_equal(tmpl_add(ts, &a, &t, 2000), 0);
	assert_int_equal(tmpl_drop_session(ts, &a), 1);
	assert_int_equal(tmpl_count(ts), 0);
	tmpl_store_free(ts);
	tmpl_store_free(NULL);
}

static void test_finish_rejects_empty(void **state)
{
	struct tmpl_field z[2] = { { 1, 0, 0, false }, { 2, 0, 0, false } };
	struct tmpl t;

	(void)state;
	memset(&t, 0, sizeof(t));
	t.fields = z;
	assert_int_equal(tmpl_finish(&t), -EINVAL);	/* no field */
	t.nfields = 2;
	assert_int_equal(tmpl_finish(&t), -EINVAL);	/* 0-byte record */
	z[1].len = TMPL_VARLEN;
	assert_int_equal(tmpl_finish(&t), 0);
	assert_true(t.varlen);
	assert_int_equal(t.min_len, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store),
		cmocka_unit_test(test_finish_rejects_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
