/*
 * Unit tests of the confined-jail helpers that need no root
 * (src/os/linux/lxc*.c): the fixed environment of the exec boundary, the
 * record jail6 keeps beside liblxc's state, the log's error line, paths,
 * and cleanup of a jail that was never started.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "os/linux/lxc.h"
#include "os/linux/lxc_int.h"

/* 1. The environment: PATH, HOME, the -e extras; bad extras refused. */
static void test_env(void **state)
{
	char *env[8], *extra[] = { "A=1", "B=two=2", NULL }, *bad[] = { "=x", NULL }, *noeq[] = { "X", NULL };
	char *many[] = { "A=1", "B=2", "C=3", "D=4", "E=5", "F=6", "G=7", NULL };
	struct lxcj_envbuf eb;
	size_t n = 0;

	(void)state;
	unsetenv("TERM");
	assert_int_equal(lxcj_env(env, 8, &eb, "/home/www", extra), 0);
	while (env[n])
		n++;
	assert_int_equal(n, 4);
	assert_string_equal(env[0], "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	assert_string_equal(env[1], "HOME=/home/www");
	assert_string_equal(env[2], "A=1");
	assert_string_equal(env[3], "B=two=2");
	assert_int_equal(lxcj_env(env, 8, &eb, NULL, NULL), 0);
	assert_string_equal(env[1], "HOME=/");
	assert_null(env[2]);
	assert_int_equal(lxcj_env(env, 8, &eb, "/", bad), -EINVAL);
	assert_int_equal(lxcj_env(env, 8, &eb, "/", noeq), -EINVAL);
	assert_int_equal(lxcj_env(env, 8, &eb, "/", many), -E2BIG);
}

/* 2. The record survives a write and a read; a path with .. is not read. */
static void test_record(void **state)
{
	char run[] = "/tmp/jail6-test-lxc-XXXXXX", dir[PATH_MAX], path[PATH_MAX];
	struct lxcj_record w = { .init_pid = 1234, .start_time = 987654321ULL, .stop_timeout = 7 }, r;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(run));
	assert_int_equal(lxcj_path(dir, sizeof(dir), run, NULL, NULL), 0);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(lxcj_path(dir, sizeof(dir), run, "web", NULL), 0);
	assert_int_equal(mkdir(dir, 0700), 0);
	strcpy(w.cgroups[0], "/lxc.payload.web");
	strcpy(w.cgroups[1], "/x/lxc.payload.web-1");
	assert_int_equal(lxcj_record_write(run, "web", &w), 0);
	assert_int_equal(lxcj_record_read(run, "web", &r), 0);
	assert_int_equal(r.init_pid, 1234);
	assert_true(r.start_time == 987654321ULL);
	assert_int_equal(r.stop_timeout, 7);
	assert_string_equal(r.cgroups[0], "/lxc.payload.web");
	assert_string_equal(r.cgroups[1], "/x/lxc.payload.web-1");
	assert_string_equal(r.cgroups[2], "");
	/* a cgroup path climbing out is dropped */
	assert_int_equal(lxcj_path(path, sizeof(path), run, "web", "jail6"), 0);
	f = fopen(path, "a");
	assert_non_null(f);
	fputs("cgroup /../../etc\n", f);
	fclose(f);
	assert_int_equal(lxcj_record_read(run, "web", &r), 0);
	assert_string_equal(r.cgroups[2], "");
	assert_true(lxcj_present(run, "web"));
	assert_int_equal(lxcj_cleanup(run, "web", NULL, 0), 0);
	assert_false(lxcj_present(run, "web"));
	assert_int_equal(lxcj_running(run, "web"), -ENOENT);
	assert_int_equal(lxcj_path(dir, sizeof(dir), run, NULL, NULL), 0);
	assert_int_equal(rmdir(dir), 0);
	assert_int_equal(rmdir(run), 0);
}

/* 3. The first ERROR line of liblxc's log is what a failed start reports. */
static void test_log_error(void **state)
{
	char run[] = "/tmp/jail6-test-lxc-XXXXXX", dir[PATH_MAX], path[PATH_MAX], msg[256];
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(run));
	lxcj_path(dir, sizeof(dir), run, NULL, NULL);
	assert_int_equal(mkdir(dir, 0700), 0);
	lxcj_path(dir, sizeof(dir), run, "db", NULL);
	assert_int_equal(mkdir(dir, 0700), 0);
	lxcj_log_error(run, "db", msg, sizeof(msg));
	assert_string_equal(msg, "");
	lxcj_path(path, sizeof(path), run, "db", "lxc.log");
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("lxc db 20260101 WARN     cgfsng - cgfsng.c:x:1 - not this\n"
	      "lxc db 20260101 ERROR    start - start.c:print_top_failing_dir:99 - Permission denied - Could not access /srv\n"
	      "lxc db 20260101 ERROR    start - start.c:__lxc_start:2107 - Failed to spawn container \"db\"\n", f);
	fclose(f);
	lxcj_log_error(run, "db", msg, sizeof(msg));
	assert_string_equal(msg, "Permission denied - Could not access /srv");
	assert_int_equal(lxcj_cleanup(run, "db", NULL, 0), 0);
	lxcj_path(dir, sizeof(dir), run, NULL, NULL);
	assert_int_equal(rmdir(dir), 0);
	assert_int_equal(rmdir(run), 0);
}

/* 4. Paths: relative run dirs refused; the start time of a live process. */
static void test_controller_version(void **state)
{
	(void)state;
	const char *hybrid = "#subsys_name\thierarchy\tnum_cgroups\tenabled\n"
			     "cpuset\t3\t8\t1\ncpu\t1\t8\t1\nmemory\t4\t32\t1\npids\t0\t8\t1\nhugetlb\t0\t1\t1\n"
			     "blkio\t7\t8\t0\n";
	assert_int_equal(lxcj_controller_version(hybrid, "hugetlb pids\n", "cpu"), 1);
	assert_int_equal(lxcj_controller_version(hybrid, "hugetlb pids\n", "memory"), 1);
	assert_int_equal(lxcj_controller_version(hybrid, "hugetlb pids\n", "pids"), 2);
	assert_int_equal(lxcj_controller_version(hybrid, "hugetlb pids\n", "blkio"), 0);  /* disabled */
	assert_int_equal(lxcj_controller_version(hybrid, "hugetlb\n", "pids"), 0);
	assert_int_equal(lxcj_controller_version(hybrid, "", "cpuacct"), 0);
	/* "cpu" is not found in "cpuset" */
	assert_int_equal(lxcj_controller_version("cpu\t0\t1\t1\n", "cpuset io memory pids", "cpu"), 0);
	assert_int_equal(lxcj_controller_version("cpu\t0\t1\t1\n", "cpuset cpu io", "cpu"), 2);
	assert_int_equal(lxcj_controller_version("", "cpuset cpu io", "cpu"), 2);
}

static void test_paths(void **state)
{
	char buf[PATH_MAX];

	(void)state;
	assert_int_equal(lxcj_path(buf, sizeof(buf), "run", "x", NULL), -EINVAL);
	assert_int_equal(lxcj_path(buf, 8, "/var/lib/jail6/run", "x", NULL), -ENAMETOOLONG);
	assert_int_equal(lxcj_path(buf, sizeof(buf), "/r", "x", "lxc.log"), 0);
	assert_string_equal(buf, "/r/lxc/x/lxc.log");
	assert_true(lxcj_proc_start_time(getpid()) > 0);
	assert_true(lxcj_proc_start_time(0) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_record),
		cmocka_unit_test(test_log_error),
		cmocka_unit_test(test_controller_version),
		cmocka_unit_test(test_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
