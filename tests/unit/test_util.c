/*
 * Unit tests of src/util: the hash index and the string map, mkdir -p and
 * whole-file reads (a FIFO never blocks), pidfiles with process identity,
 * liveness (zombies are gone) and stopping (never another process).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/fs.h"
#include "util/hmap.h"
#include "util/proc.h"
#include "util/strmap.h"

/* A scratch directory, removed by the test (rm of what it made). */
static void scratch(char *dir)
{
	strcpy(dir, "/tmp/jail6-test-util-XXXXXX");
	assert_non_null(mkdtemp(dir));
}

/* 1. strmap: the first value wins, thousands of keys, growth keeps them. */
static void test_strmap(void **state)
{
	struct strmap m = { 0 };
	static char keys[5000][12];

	(void)state;
	assert_null(strmap_get(&m, "absent"));
	for (int i = 0; i < 5000; i++) {
		snprintf(keys[i], sizeof(keys[i]), "k%d", i);
		assert_int_equal(strmap_put(&m, keys[i], &keys[i]), 0);
	}
	assert_int_equal(strmap_put(&m, "k7", NULL), 0);
	assert_ptr_equal(strmap_get(&m, "k7"), &keys[7]);
	for (int i = 0; i < 5000; i += 97)
		assert_ptr_equal(strmap_get(&m, keys[i]), &keys[i]);
	assert_null(strmap_get(&m, "k5000"));
	assert_int_equal(m.used, 5000);
	strmap_free(&m);
	assert_null(strmap_get(&m, "k1"));
	strmap_free(NULL);
}

/* Every value collides: hashes equal, keys told apart by eq. */
static const int *vals;
static bool eq_int(const void *arg, size_t v)
{
	return vals[v] == *(const int *)arg;
}

/* 2. hmap: equal hashes, distinct keys; a key put twice is stored once. */
static void test_hmap_collisions(void **state)
{
	static int v[100];
	struct hmap m = { 0 };

	(void)state;
	vals = v;
	for (int i = 0; i < 100; i++) {
		v[i] = i * 3;
		assert_int_equal(hmap_put(&m, 42, (size_t)i, eq_int, &v[i]), 1);
	}
	assert_int_equal(hmap_put(&m, 42, 0, eq_int, &v[5]), 0);
	assert_int_equal(m.used, 100);
	for (int i = 0; i < 100; i++) {
		int key = i * 3;
		size_t *p = hmap_find(&m, 42, eq_int, &key);
		assert_non_null(p);
		assert_int_equal(*p, i);
	}
	int other = 1;
	assert_null(hmap_find(&m, 42, eq_int, &other));
	assert_null(hmap_find(&m, 43, eq_int, &v[0]));
	assert_int_not_equal(hmap_fin(0), 0);
	assert_int_not_equal(hmap_hash_str(HMAP_SEED, "ab"),
			     hmap_hash_str(hmap_hash_str(HMAP_SEED, "a"), "b"));
	hmap_free(&m);
}

/* The multimap's values and their keys: value v has key mkey[v]. */
static const int *mkey;
static bool eq_mkey(const void *arg, size_t v)
{
	return mkey[v] == *(const int *)arg;
}

/* Few distinct hashes for many keys, and hashes whose home slot is the last
 * of the table, so that probe runs collide and wrap around. */
static uint64_t mhash(int key)
{
	return hmap_fin(key % 3 == 0 ? UINT64_MAX - (uint64_t)(key % 5) : (uint64_t)(key % 7));
}

/* Each key's chain holds exactly the stored values that have that key. */
static void check_chains(const struct hmap_multi *m, const bool *in, size_t n, int n_keys)
{
	for (int key = 0; key < n_keys; key++) {
		size_t seen = 0, want = 0;
		for (size_t v = 0; v < n; v++)
			want += in[v] && mkey[v] == key;
		for (size_t v = hmap_multi_first(m, mhash(key), eq_mkey, &key); v != HMAP_NONE;
		     v = hmap_multi_next(m, v)) {
			assert_true(v < n && in[v] && mkey[v] == key);
			seen++;
		}
		assert_int_equal(seen, want);
	}
}

/* 2b. hmap_multi: random puts and deletes against a plain array, with keys
 * that thousands of values share (one slot each) and hashes that collide
 * and wrap (backward-shift deletion of the heads), then a remap as after a
 * compaction. */
static void test_hmap_multi(void **state)
{
	enum { N = 3000, KEYS = 40 };
	static int key_of[N];
	static bool in[N];
	static size_t to[N];
	struct hmap_multi m = { 0 };
	unsigned long long rng = 7;
	size_t w = 0;

	(void)state;
	mkey = key_of;
	for (size_t v = 0; v < N; v++) {
		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		/* key 0 is shared by a third of the values */
		key_of[v] = (rng >> 40) % 3 == 0 ? 0 : (int)((rng >> 33) % KEYS);
	}
	for (int step = 0; step < 20000; step++) {
		size_t v;

		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		v = (size_t)(rng >> 33) % N;
		if (in[v])
			hmap_multi_del(&m, mhash(key_of[v]), v);
		else
			assert_int_equal(hmap_multi_put(&m, mhash(key_of[v]), v, eq_mkey, &key_of[v]), 0);
		in[v] = !in[v];
		if (step % 1000 == 0)
			check_chains(&m, in, N, KEYS);
	}
	check_chains(&m, in, N, KEYS);
	/* compact: the stored values move down to 0..w-1, keys with them */
	for (size_t v = 0; v < N; v++) {
		to[v] = in[v] ? w : HMAP_NONE;
		if (in[v]) {
			key_of[w] = key_of[v];
			in[w++] = true;
		}
	}
	hmap_multi_remap(&m, to, N);
	for (size_t v = w; v < N; v++)
		in[v] = false;
	check_chains(&m, in, N, KEYS);
	hmap_multi_clear(&m);
	memset(in, 0, sizeof(in));
	check_chains(&m, in, N, KEYS);
	hmap_multi_free(&m);
	hmap_multi_free(NULL);
}

/* 3. mkdir -p: parents and leaf modes, an existing dir is fine, a file is
 * not a directory. */
static void test_mkdir_p(void **state)
{
	char dir[64], path[128];
	struct stat st;

	(void)state;
	umask(022);
	scratch(dir);
	snprintf(path, sizeof(path), "%s/a/b/c/", dir);
	assert_int_equal(fs_mkdir_p(path, 0755, 0700), 0);
	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	snprintf(path, sizeof(path), "%s/a/b", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0755);
	assert_int_equal(fs_mkdir_p(path, 0755, 0700), 0);
	snprintf(path, sizeof(path), "%s/f", dir);
	assert_int_equal(fs_write_file(path, "x", 1, 0600), 0);
	assert_int_equal(fs_mkdir_p(path, 0755, 0700), -ENOTDIR);
	assert_int_equal(fs_mkdir_p("", 0755, 0700), -EINVAL);
	unlink(path);
	for (int depth = 3; depth > 0; depth--) {
		snprintf(path, sizeof(path), "%s/%.*s", dir, depth * 2 - 1, "a/b/c");
		assert_int_equal(rmdir(path), 0);
	}
	assert_int_equal(rmdir(dir), 0);
}

/* 4. Whole-file reads: contents and size limit; a FIFO with no writer is
 * refused at once (never a hang); a directory is -EISDIR. Atomic writes
 * replace the content. */
static void test_read_file(void **state)
{
	char dir[64], path[128], fifo[128], *text;
	size_t len;
	struct stat st;

	(void)state;
	scratch(dir);
	snprintf(path, sizeof(path), "%s/f", dir);
	assert_int_equal(fs_write_atomic(path, "hello\n", 6, 0640), 0);
	assert_int_equal(fs_read_file(path, 100, FS_READ_REGULAR, &text, &len, &st), 0);
	assert_string_equal(text, "hello\n");
	assert_int_equal(len, 6);
	assert_int_equal(st.st_mode & 0777, 0640);
	free(text);
	assert_int_equal(fs_read_file(path, 5, 0, &text, &len, NULL), -EFBIG);
	assert_null(text);
	assert_int_equal(fs_write_atomic(path, "", 0, 0640), 0);
	assert_int_equal(fs_read_file(path, 5, 0, &text, &len, NULL), 0);
	assert_int_equal(len, 0);
	free(text);
	assert_int_equal(fs_read_file(dir, 5, 0, &text, &len, NULL), -EISDIR);
	snprintf(fifo, sizeof(fifo), "%s/p", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(fs_read_file(fifo, 100, FS_READ_REGULAR, &text, &len, NULL), -EINVAL);
	/* without FS_READ_REGULAR a writer-less FIFO reads as empty: no wait */
	assert_int_equal(fs_read_file(fifo, 100, 0, &text, &len, NULL), 0);
	assert_int_equal(len, 0);
	free(text);
	assert_int_equal(fs_read_file("/proc/self/stat", 4096, 0, &text, &len, NULL), 0);
	assert_true(len > 0);
	free(text);
	unlink(fifo);
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
}

/* 5. Pidfiles: "PID" or "PID START EXE", nothing else. */
static void test_pidfile_parse(void **state)
{
	struct proc_id id;

	(void)state;
	assert_int_equal(proc_pidfile_parse("1234\n", &id), 0);
	assert_int_equal(id.pid, 1234);
	assert_int_equal(id.start, 0);
	assert_string_equal(id.exe, "");
	assert_int_equal(proc_pidfile_parse(" 42 \r\n", &id), 0);
	assert_int_equal(id.pid, 42);
	assert_int_equal(proc_pidfile_parse("42 9876 /usr/sbin/jail6\n", &id), 0);
	assert_int_equal(id.pid, 42);
	assert_int_equal(id.start, 9876);
	assert_string_equal(id.exe, "/usr/sbin/jail6");
	assert_int_equal(proc_pidfile_parse("", &id), -EINVAL);
	assert_int_equal(proc_pidfile_parse("\n", &id), -EINVAL);
	assert_int_equal(proc_pidfile_parse("0\n", &id), -EINVAL);
	assert_int_equal(proc_pidfile_parse("-5\n", &id), -EINVAL);
	assert_int_equal(proc_pidfile_parse("+5\n", &id), -EINVAL);
	assert_int_equal(proc_pidfile_parse("12abc\n", &id), -EINVAL);
	assert_int_equal(proc_pidfile_parse("1234\n5678\n", &id), -EINVAL);
	assert_int_equal(proc_pidfile_parse("99999999999999999999999", &id), -EINVAL);
	assert_int_equal(proc_pidfile_parse("2147483647", &id), -EINVAL);
	assert_int_equal(proc_pidfile_parse("42 x /bin/sh", &id), -EINVAL);
	assert_int_equal(proc_pidfile_parse("42 77 relative", &id), -EINVAL);
}

/* Field 22 of /proc/self/stat, read independently of proc.c. */
static unsigned long long stat_starttime(void)
{
	char buf[1024], *p, *save = NULL;
	int field = 3;
	FILE *f = fopen("/proc/self/stat", "r");

	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	p = strrchr(buf, ')');
	assert_non_null(p);
	/* the fields after the name are single words, the state (3) first */
	for (p = strtok_r(p + 1, " ", &save); p && field < 22; p = strtok_r(NULL, " ", &save))
		field++;
	assert_non_null(p);
	return strtoull(p, NULL, 10);
}

/* 6. Identity: our own record matches us; a record with another start time
 * or executable (a reused pid) does not; a zombie is gone. */
static void test_identity(void **state)
{
	char dir[64], path[128];
	struct proc_id self, other, back;
	pid_t child;
	int status;

	(void)state;
	assert_int_equal(proc_of(getpid(), &self), 0);
	assert_true(self.start > 0);
	assert_true(self.start == stat_starttime());
	/* the record holds as the process grows (the start time is field
	 * 22; its neighbour 23, the virtual size, changes) */
	void *big = mmap(NULL, 64 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(big != MAP_FAILED);
	assert_true(proc_alive(&self));
	munmap(big, 64 << 20);
	assert_true(self.exe[0] == '/');
	assert_true(proc_alive(&self));
	other = self;
	other.start++;
	assert_false(proc_alive(&other));
	other = self;
	snprintf(other.exe, sizeof(other.exe), "/bin/not-this-one");
	assert_false(proc_alive(&other));
	other = self;
	other.start = 0;
	other.exe[0] = '\0';
	assert_true(proc_alive(&other)); /* a plain pidfile: liveness only */
	assert_int_equal(proc_of(0, &other), -ESRCH);
	assert_int_equal(proc_of(-1, &other), -ESRCH);

	scratch(dir);
	snprintf(path, sizeof(path), "%s/x.pid", dir);
	assert_int_equal(proc_pidfile_write(path, &self), 0);
	assert_int_equal(proc_pidfile_read(path, &back), 0);
	assert_int_equal(back.pid, self.pid);
	assert_true(back.start == self.start);
	assert_string_equal(back.exe, self.exe);
	assert_int_equal(proc_pidfile_live(path), getpid());
	/* a plain pid is no pidfile of jail6's: not live, whoever it names */
	assert_int_equal(fs_write_atomic(path, "1\n", 2, 0644), 0);
	assert_int_equal(proc_pidfile_live(path), 0);
	assert_int_equal(proc_pidfile_write(path, &self), 0);
	back.start++;
	assert_int_equal(proc_pidfile_write(path, &back), 0);
	assert_int_equal(proc_pidfile_live(path), 0);
	unlink(path);
	assert_int_equal(proc_pidfile_read(path, &back), -ENOENT);
	assert_int_equal(proc_pidfile_live(path), 0);
	rmdir(dir);

	/* a child that exited but is not reaped is a zombie: not alive */
	child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	for (int i = 0; i < 200 && proc_of(child, &other) == 0; i++)
		usleep(10000);
	assert_int_equal(proc_of(child, &other), -ESRCH);
	assert_int_equal(waitpid(child, &status, 0), child);
}

static bool refuse(pid_t pid, void *arg)
{
	(void)pid;
	(void)arg;
	return false;
}

/* 7. proc_stop, proc_signal: a stranger (wrong start time) and a refused
 * process get no signal; a real child gets one, and is stopped. */
static void test_stop(void **state)
{
	struct proc_id id, wrong;
	pid_t child;
	int status;

	(void)state;
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		pause();
		_exit(3);
	}
	for (int i = 0; i < 200 && proc_of(child, &id) < 0; i++)
		usleep(10000);
	assert_int_equal(proc_of(child, &id), 0);
	wrong = id;
	wrong.start++;
	assert_int_equal(proc_stop(&wrong, 100, NULL, NULL), -ESRCH);
	assert_int_equal(proc_signal(&wrong, SIGTERM), -ESRCH);
	assert_int_equal(proc_stop(&id, 100, refuse, NULL), -EPERM);
	/* a plain pid (no start time) is not stopped unless vouched for */
	wrong = id;
	wrong.start = 0;
	wrong.exe[0] = '\0';
	assert_int_equal(proc_stop(&wrong, 100, NULL, NULL), -EPERM);
	assert_int_equal(proc_signal(&wrong, SIGTERM), -EPERM);
	assert_int_equal(proc_signal(&id, SIGCONT), 0); /* no handler: pause() goes on */
	assert_int_equal(waitpid(child, &status, WNOHANG), 0); /* still there */
	/* the child is ours and unreaped: it turns zombie, which is gone */
	assert_int_equal(proc_stop(&id, 2000, NULL, NULL), 0);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	assert_int_equal(proc_stop(&id, 100, NULL, NULL), -ESRCH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strmap),
		cmocka_unit_test(test_hmap_collisions),
		cmocka_unit_test(test_hmap_multi),
		cmocka_unit_test(test_mkdir_p),
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_pidfile_parse),
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
