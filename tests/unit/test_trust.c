/* Unit tests of the trust rule for jail6's own files (src/util/trust.c):
 * in a mkdtemp directory under /tmp (root's, sticky), with the test's own
 * uid as the trusted one, so that they run without root. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/trust.h"

#define WHY "jail6 runs what it says as root"

struct fx {
	char dir[64];
	char file[128];
	char msg[1024];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	FILE *fp;

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/jail6-trust.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->file, sizeof(f->file), "%s/jail6.conf", f->dir);
	fp = fopen(f->file, "w");
	assert_non_null(fp);
	fputs("jail j { }\n", fp);
	fclose(fp);
	assert_int_equal(chmod(f->file, 0644), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char p[160];

	chmod(f->dir, 0700);
	unlink(f->file);
	snprintf(p, sizeof(p), "%s/sub/link", f->dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/sub", f->dir);
	rmdir(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

static int check(struct fx *f, const char *path)
{
	f->msg[0] = '\0';
	return trust_path(path, geteuid(), WHY, f->msg, sizeof(f->msg));
}

/* 1. a 0644 file in a 0700 directory under /tmp (1777, root's) passes. */
static void test_trusted(void **state)
{
	struct fx *f = *state;

	assert_int_equal(check(f, f->file), 0);
	assert_int_equal(check(f, f->dir), 0);
}

/* 2. the file writable by group, others, both: refused, with the fix. */
static void test_file_writable(void **state)
{
	struct fx *f = *state;
	static const struct { mode_t mode; const char *who, *fix; } c[] = {
		{ 0664, "group (mode 0664)", "g-w" },
		{ 0646, "others (mode 0646)", "o-w" },
		{ 0666, "group and others (mode 0666)", "go-w" },
	};
	char want[512];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		assert_int_equal(chmod(f->file, c[i].mode), 0);
		assert_int_equal(check(f, f->file), -EPERM);
		snprintf(want, sizeof(want), "%s: writable by %s; " WHY ": chmod %s %s", f->file, c[i].who,
			 c[i].fix, f->file);
		assert_string_equal(f->msg, want);
	}
}

/* 3. a directory above writable by group: refused, naming it; with the
 * sticky bit (as /tmp) it passes, without it (0777) it does not. */
static void test_dir_above(void **state)
{
	struct fx *f = *state;
	char want[512];

	assert_int_equal(chmod(f->dir, 0770), 0);
	assert_int_equal(check(f, f->file), -EPERM);
	snprintf(want, sizeof(want), "%s: writable by group (mode 0770), a directory above %s; " WHY ": chmod g-w %s",
		 f->dir, f->file, f->dir);
	assert_string_equal(f->msg, want);
	assert_int_equal(chmod(f->dir, 01777), 0);
	assert_int_equal(check(f, f->file), 0);
	assert_int_equal(chmod(f->dir, 0777), 0);
	assert_int_equal(check(f, f->file), -EPERM);
	assert_non_null(strstr(f->msg, "writable by group and others (mode 0777), a directory above"));
	/* the state dir itself gets no sticky exception */
	assert_int_equal(chmod(f->dir, 01777), 0);
	assert_int_equal(check(f, f->dir), -EPERM);
}

/* 4. a path not made yet: the directories above it are checked. */
static void test_missing(void **state)
{
	struct fx *f = *state;
	char p[160];

	snprintf(p, sizeof(p), "%s/state/run", f->dir);
	assert_int_equal(check(f, p), 0);
	assert_int_equal(chmod(f->dir, 0777), 0);
	assert_int_equal(check(f, p), -EPERM);
	assert_non_null(strstr(f->msg, "a directory above"));
	assert_non_null(strstr(f->msg, p));
}

/* 5. a file of another owner: refused, naming the uid. */
static void test_owner(void **state)
{
	struct fx *f = *state;
	char want[512];
	uid_t me = geteuid();

	/* as root, give the file away; else trust another uid than ours */
	if (me == 0)
		assert_int_equal(chown(f->file, 4242, (gid_t)-1), 0);
	f->msg[0] = '\0';
	assert_int_equal(trust_path(f->file, me == 0 ? 0 : me + 1, WHY, f->msg, sizeof(f->msg)), -EPERM);
	snprintf(want, sizeof(want), "%s: owned by uid %u, not root; " WHY ": chown root %s", f->file,
		 me == 0 ? 4242u : (unsigned)me, f->file);
	assert_string_equal(f->msg, want);
}

/* 6. a symlink in a directory others may write: refused, though its
 * target is trusted (the link may be pointed elsewhere). */
static void test_symlink(void **state)
{
	struct fx *f = *state;
	char sub[160], link[200];

	snprintf(sub, sizeof(sub), "%s/sub", f->dir);
	snprintf(link, sizeof(link), "%s/link", sub);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(symlink(f->file, link), 0);
	assert_int_equal(check(f, link), 0);
	assert_int_equal(chmod(sub, 0757), 0);
	assert_int_equal(check(f, link), -EPERM);
	assert_non_null(strstr(f->msg, "writable by others (mode 0757), a directory above"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_trusted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_writable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dir_above, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
