/* Unit tests of the id ranges of confined jails (src/engine/idmap.c): the
 * pool from /etc/subuid and /etc/subgid (files of the test's own), and
 * leasing against a store in a temporary directory. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"
#include "engine/engine_int.h"
#include "engine/idmap.h"
#include "store/store.h"

struct fixture {
	char tmp[64];
	char dir[128];     /* the state dir */
	char subuid[128];
	char subgid[128];
	char err[1024];
	struct store *s;
	struct model m;
	bool have_model;
};

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->tmp, sizeof(f->tmp), "/tmp/jail6-test-idmap-XXXXXX");
	if (!mkdtemp(f->tmp)) {
		free(f);
		return -1;
	}
	snprintf(f->dir, sizeof(f->dir), "%s/state", f->tmp);
	snprintf(f->subuid, sizeof(f->subuid), "%s/subuid", f->tmp);
	snprintf(f->subgid, sizeof(f->subgid), "%s/subgid", f->tmp);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->have_model)
		model_free(&f->m);
	store_close(f->s);
	nftw(f->tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

static void open_store(struct fixture *f)
{
	int r = store_open(f->dir, STORE_WRITE, 300, &f->s, f->err, sizeof(f->err));

	if (r)
		print_error("store_open: %s\n", f->err);
	assert_int_equal(r, 0);
}

/* f->m from config text (valid). */
static void load(struct fixture *f, const char *text)
{
	struct conf_errors e = { 0 };
	int r;

	if (f->have_model)
		model_free(&f->m);
	r = conf_parse_buffer("t.conf", text, strlen(text), CONF_F_NO_INCLUDE, &f->m, &e);
	for (size_t k = 0; k < e.n; k++)
		print_error("%d:%d: %s\n", e.v[k].line, e.v[k].col, e.v[k].msg);
	assert_int_equal(r, 0);
	f->have_model = true;
}

/* Read the pool from f's files; assert its spans ("FIRST-LAST ..."). */
static void pool_is(struct fixture *f, const char *want)
{
	struct idmap_pool p;
	char got[512] = "";
	size_t o = 0;
	int r = idmap_pool_read(f->subuid, f->subgid, &p, f->err, sizeof(f->err));

	if (r)
		print_error("idmap_pool_read: %s\n", f->err);
	assert_int_equal(r, 0);
	for (size_t i = 0; i < p.n; i++)
		o += (size_t)snprintf(got + o, sizeof(got) - o, "%s%llu-%llu", i ? " " : "",
				      (unsigned long long)p.v[i].first, (unsigned long long)p.v[i].end - 1);
	assert_string_equal(got, want);
	idmap_pool_free(&p);
}

/* Assign with the pool of f's files; assert r and, when 0, each jail's
 * range as "NAME:BASE" or "NAME:-" (none), space-separated. */
static void assign_is(struct fixture *f, int want_r, const char *want)
{
	struct idmap_pool p;
	char got[512] = "";
	size_t o = 0;
	int r;

	assert_int_equal(idmap_pool_read(f->subuid, f->subgid, &p, f->err, sizeof(f->err)), 0);
	r = idmap_assign(f->s, &f->m, &p, f->err, sizeof(f->err));
	idmap_pool_free(&p);
	if (r != want_r)
		print_error("idmap_assign: %d %s\n", r, f->err);
	assert_int_equal(r, want_r);
	for (size_t i = 0; i < f->m.n_jails; i++) {
		const struct model_jail *j = &f->m.jails[i];

		if (j->idmap.count)
			assert_int_equal(j->idmap.count, IDMAP_RANGE);
		if (!want || o >= sizeof(got))
			continue;
		if (j->idmap.count)
			o += (size_t)snprintf(got + o, sizeof(got) - o, "%s%s:%u", i ? " " : "", j->name, j->idmap.base);
		else
			o += (size_t)snprintf(got + o, sizeof(got) - o, "%s%s:-", i ? " " : "", j->name);
	}
	if (want)
		assert_string_equal(got, want);
}

/* 1. Without subuid/subgid files, or when only one has root, the default
 * pool; with both, the ids both delegate to root (several lines merged),
 * clipped to 65536..2^31-1; "0" counts as root; other users do not. */
static void test_pool(void **state)
{
	struct fixture *f = *state;

	(void)state;
	pool_is(f, "1000000000-1999999999");
	write_file(f->subuid, "root:100000:65536\n");
	pool_is(f, "1000000000-1999999999");
	write_file(f->subgid, "alice:100000:65536\n");
	pool_is(f, "1000000000-1999999999");
	write_file(f->subgid, "# root's\n\nroot:100000:131072\n");
	pool_is(f, "100000-165535");
	write_file(f->subuid, "root:100000:65536\nalice:165536:65536\n0:165536:200000\n");
	pool_is(f, "100000-231071");
	write_file(f->subuid, "root:0:4294967295\n");
	write_file(f->subgid, "root:2000000000:1000000000\nroot:10:20\n");
	pool_is(f, "2000000000-2147483647");
}

/* 2. Garbage in either file is an error naming the file and the line. */
static void test_pool_garbage(void **state)
{
	static const char *const bad[] = {
		"root:100000\n", "root:x:65536\n", "root:100000:0\n", "root:100000:65536:9\n",
		":100000:65536\n", "root:4294967295:2\n", "root:-1:5\n", "root:99999999999:1\n",
	};
	struct fixture *f = *state;
	struct idmap_pool p;
	char want[256];

	write_file(f->subgid, "root:100000:65536\n");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[128];

		snprintf(text, sizeof(text), "alice:200000:65536\n%s", bad[i]);
		write_file(f->subuid, text);
		assert_int_equal(idmap_pool_read(f->subuid, f->subgid, &p, f->err, sizeof(f->err)), -EINVAL);
		snprintf(want, sizeof(want), "%s:2: not a NAME:FIRST:COUNT line", f->subuid);
		if (strncmp(f->err, want, strlen(want)) != 0)
			print_error("line %s: got %s\n", bad[i], f->err);
		assert_int_equal(strncmp(f->err, want, strlen(want)), 0);
		assert_null(p.v);
	}
	/* a file that cannot be read (a directory) is an error too */
	assert_int_equal(unlink(f->subuid), 0);
	assert_int_equal(mkdir(f->subuid, 0700), 0);
	assert_true(idmap_pool_read(f->subuid, f->subgid, &p, f->err, sizeof(f->err)) < 0);
	assert_non_null(strstr(f->err, f->subuid));
}

/* 3. Two jails get disjoint ranges, lowest first; an unconfined jail none;
 * a later run keeps them; after the first is destroyed (its lease
 * released) a third jail gets the lowest free range, its old one. */
static void test_assign_and_reuse(void **state)
{
	struct fixture *f = *state;
	struct store_idmap l;

	open_store(f);
	load(f, "jail a { }\njail b { }\njail n { confine = no; }\n");
	assign_is(f, 0, "a:1000000000 b:1000065536 n:-");
	assign_is(f, 0, "a:1000000000 b:1000065536 n:-");
	assert_int_equal(store_idmap_get(f->s, "n", &l), -ENOENT);
	/* destroy a: the engine releases its lease (execute.c) */
	assert_int_equal(store_idmap_release(f->s, "a"), 0);
	load(f, "jail b { }\njail c { }\njail n { confine = no; }\n");
	assign_is(f, 0, "b:1000065536 c:1000000000 n:-");
	/* a fourth goes above, whatever its place in the config */
	load(f, "jail d { }\njail b { }\njail c { }\n");
	assign_is(f, 0, "d:1000131072 b:1000065536 c:1000000000");
}

#define REF(x) ((const struct store_own[]){ x })

/* 4. A jail the config no longer names keeps its range while it exists
 * (jail6 made it: an ownership record), until it is destroyed: no one else
 * gets it. One that does not exist (leased by an apply that failed before
 * making it) gives its range back; so does a full destroy. */
static void test_unnamed_jail_keeps(void **state)
{
	struct fixture *f = *state;
	struct store_idmap l;

	open_store(f);
	load(f, "jail a { }\njail b { }\njail x { }\n");
	assign_is(f, 0, "a:1000000000 b:1000065536 x:1000131072");
	assert_int_equal(store_own_add(f->s, REF(store_own_jail("a"))), 0);
	load(f, "jail b { }\njail c { }\n");
	assign_is(f, 0, "b:1000065536 c:1000131072");
	assert_int_equal(store_idmap_get(f->s, "a", &l), 0);
	assert_int_equal(store_idmap_get(f->s, "x", &l), -ENOENT);
	/* after a destroy: only jails that exist keep theirs */
	assert_int_equal(store_own_add(f->s, REF(store_own_jail("c"))), 0);
	assert_int_equal(idmap_release_orphans(f->s), 1);
	assert_int_equal(store_idmap_get(f->s, "b", &l), -ENOENT);
	assert_int_equal(store_idmap_get(f->s, "a", &l), 0);
	assert_int_equal(store_idmap_get(f->s, "c", &l), 0);
	assert_int_equal(idmap_release_orphans(f->s), 0);
}

/* 5. A delegated pool is honoured: root's ids in both files, slots from
 * the start of each span; when it is full the error names the jail and
 * the pool, and nothing is leased. */
static void test_delegated_pool(void **state)
{
	struct fixture *f = *state;
	struct store_idmap l;

	write_file(f->subuid, "root:100000:131072\nroot:500000:65536\n");
	write_file(f->subgid, "root:100000:200000\nroot:500000:65536\n");
	open_store(f);
	load(f, "jail a { }\njail b { }\njail c { }\n");
	assign_is(f, 0, "a:100000 b:165536 c:500000");
	load(f, "jail a { }\njail b { }\njail c { }\njail d { }\njail e { }\n");
	assign_is(f, -ENOSPC, NULL);
	assert_non_null(strstr(f->err, "jail d"));
	assert_non_null(strstr(f->err, f->subuid));
	assert_int_equal(store_idmap_get(f->s, "d", &l), -ENOENT);
	assert_int_equal(f->m.jails[3].idmap.count, 0);
	assert_int_equal(f->m.jails[0].idmap.base, 100000);
}

/* 6. A lease outside the pool (the files changed) moves into it; one that
 * lies in the pool off the slot grid stays, and new slots avoid it. */
static void test_pool_change(void **state)
{
	struct fixture *f = *state;

	open_store(f);
	load(f, "jail a { }\njail b { }\n");
	assign_is(f, 0, "a:1000000000 b:1000065536");
	write_file(f->subuid, "root:1000032768:1000000\n");
	write_file(f->subgid, "root:1000032768:1000000\n");
	load(f, "jail a { }\njail b { }\njail c { }\n");
	/* a's range starts below the pool: moved; b's is inside: kept; the
	 * slot grid starts at 1000032768, and its first slot overlaps b */
	assign_is(f, 0, "a:1000163840 b:1000065536 c:1000229376");
}

/* 7. Look-up only: the leases there are, nothing written; jails without
 * one have count 0. */
static void test_lookup(void **state)
{
	struct fixture *f = *state;
	struct store_idmap l;

	open_store(f);
	load(f, "jail a { }\n");
	assign_is(f, 0, "a:1000000000");
	load(f, "jail a { }\njail b { }\njail n { confine = no; }\n");
	assert_int_equal(idmap_lookup(f->s, &f->m), 0);
	assert_int_equal(f->m.jails[0].idmap.base, 1000000000u);
	assert_int_equal(f->m.jails[0].idmap.count, IDMAP_RANGE);
	assert_int_equal(f->m.jails[1].idmap.count, 0);
	assert_int_equal(f->m.jails[2].idmap.count, 0);
	assert_int_equal(store_idmap_get(f->s, "b", &l), -ENOENT);
	/* no store (nothing applied yet): nothing found */
	assert_int_equal(idmap_lookup(NULL, &f->m), 0);
	assert_int_equal(f->m.jails[0].idmap.count, 0);
}

/* 8. The engine's entry point reads the files the test hooks name
 * (JAIL6_TEST_SUBUID/SUBGID, in the test build only), and in a dry run's
 * transaction the leases roll back. */
static void test_engine_hooks(void **state)
{
	struct fixture *f = *state;
	struct engine e;
	struct store_idmap l;

	memset(&e, 0, sizeof(e));
	write_file(f->subuid, "root:300000:65536\n");
	write_file(f->subgid, "root:300000:65536\n");
	assert_int_equal(setenv("JAIL6_TEST_SUBUID", f->subuid, 1), 0);
	assert_int_equal(setenv("JAIL6_TEST_SUBGID", f->subgid, 1), 0);
	open_store(f);
	e.store = f->s;
	load(f, "jail a { }\n");
	assert_int_equal(store_begin(f->s), 0);
	assert_int_equal(engine_resolve_idmap(&e, &f->m, false), 0);
	assert_int_equal(f->m.jails[0].idmap.base, 300000);
	assert_int_equal(store_rollback(f->s), 0);
	assert_int_equal(store_idmap_get(f->s, "a", &l), -ENOENT);
	assert_int_equal(engine_resolve_idmap(&e, &f->m, false), 0);
	assert_int_equal(store_idmap_get(f->s, "a", &l), 0);
	assert_int_equal(l.base, 300000);
	/* garbage: the engine's message names the file and line */
	write_file(f->subgid, "root:300000\n");
	assert_int_equal(engine_resolve_idmap(&e, &f->m, false), -EINVAL);
	assert_non_null(strstr(engine_error(&e), ":1: not a NAME:FIRST:COUNT line"));
	unsetenv("JAIL6_TEST_SUBUID");
	unsetenv("JAIL6_TEST_SUBGID");
}

/* 9. 10,000 jails get the 10,000 lowest slots, in one batch. */
static void test_many(void **state)
{
	struct fixture *f = *state;
	size_t n = 10000, len = n * 24 + 1, o = 0;
	char *text = malloc(len);

	assert_non_null(text);
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(text + o, len - o, "jail j%05zu { }\n", i);
	open_store(f);
	load(f, text);
	free(text);
	assign_is(f, 0, NULL);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(f->m.jails[i].idmap.base, IDMAP_POOL_BASE + i * IDMAP_RANGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pool, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pool_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_assign_and_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unnamed_jail_keeps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delegated_pool, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pool_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_engine_hooks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
