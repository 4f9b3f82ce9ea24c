/* Unit tests of the observed state's index (src/model/state.c): lookups stay
 * right through a link's move, drops and compaction, without a rebuild. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "plan_fixtures.h"

static void add_link(struct state *s, const char *ns, const char *name)
{
	struct state_link l = { .kind = STATE_LINK_VETH };

	fx_name(l.ns, sizeof(l.ns), ns);
	fx_name(l.name, sizeof(l.name), name);
	assert_int_equal(state_add_link(s, &l), 0);
}

static void add_addr(struct state *s, const char *ns, const char *ifname, const char *a)
{
	struct state_addr x = { .addr = fx_addr(a) };

	fx_name(x.ns, sizeof(x.ns), ns);
	fx_name(x.ifname, sizeof(x.ifname), ifname);
	assert_int_equal(state_add_addr(s, &x), 0);
}

static void add_route(struct state *s, const char *ns, const char *dev, const char *dst)
{
	struct state_route r = { .dst = fx_addr(dst) };

	fx_name(r.ns, sizeof(r.ns), ns);
	fx_name(r.dev, sizeof(r.dev), dev);
	assert_int_equal(state_add_route(s, &r), 0);
}

/* The positions a selection finds, as "0 2 5". */
static const char *sel(const struct state *s, enum state_sel what, const char *ns, const char *name)
{
	static char buf[256];
	struct state_set set = { 0 };
	size_t o = 0;

	assert_int_equal(state_select(s, what, ns, name, &set), 0);
	buf[0] = '\0';
	for (size_t i = 0; i < set.n; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%zu", i ? " " : "", set.v[i]);
	state_set_free(&set);
	return buf;
}

static long link_pos(const struct state *s, const char *ns, const char *name)
{
	const struct state_link *l = state_find_link(s, ns, name);

	return l ? (long)(l - s->links) : -1;
}

/* 1: a link moved into a jail is found there, and no longer in the host;
 * the selections by namespace follow. */
static void test_set_ns(void **st)
{
	struct state s = { 0 };

	add_link(&s, "", "e1a");
	add_link(&s, "", "e1b");
	add_link(&s, "j1", "lo");
	assert_int_equal(link_pos(&s, "", "e1b"), 1);
	state_link_set_ns(&s, 1, "j1");
	assert_string_equal(s.links[1].ns, "j1");
	assert_int_equal(link_pos(&s, "", "e1b"), -1);
	assert_int_equal(link_pos(&s, "j1", "e1b"), 1);
	assert_string_equal(sel(&s, STATE_SEL_LINKS_IN, "j1", NULL), "1 2");
	assert_string_equal(sel(&s, STATE_SEL_LINKS_IN, "", NULL), "0");
	assert_string_equal(sel(&s, STATE_SEL_LINKS_NAMED, NULL, "e1b"), "1");
	state_free(&s);
	(void)st;
}

/* 2: a dropped fact is a gap no lookup or selection finds; a duplicate key
 * behind it becomes the one found (the first in array order, as a scan);
 * state_append skips gaps; compaction keeps the order and the lookups. */
static void test_drop_compact(void **st)
{
	struct state s = { 0 }, copy = { 0 };
	struct addr a = fx_addr("2001:db8::2/64"), d = fx_addr("::/0");

	add_link(&s, "", "br0");
	add_link(&s, "", "e1a");
	add_link(&s, "", "e1a"); /* a duplicate: the first wins */
	add_link(&s, "j1", "e1b");
	add_addr(&s, "j1", "e1b", "2001:db8::2/64");
	add_addr(&s, "j1", "e1b", "2001:db8::3/64");
	add_addr(&s, "", "br0", "2001:db8::1/64");
	add_route(&s, "j1", "e1b", "::/0");
	add_route(&s, "j1", "", "2001:db8:9::/48");
	assert_int_equal(link_pos(&s, "", "e1a"), 1);

	state_drop_link(&s, 1);
	assert_int_equal(s.n_links, 4); /* a gap until compaction */
	assert_int_equal(link_pos(&s, "", "e1a"), 2);
	assert_string_equal(sel(&s, STATE_SEL_LINKS_IN, "", NULL), "0 2");
	assert_string_equal(sel(&s, STATE_SEL_ADDRS_ON, "j1", "e1b"), "0 1");
	state_drop_addr(&s, 0);
	state_drop_addr(&s, 0); /* twice is once */
	assert_null(state_find_addr(&s, "j1", "e1b", &a));
	assert_string_equal(sel(&s, STATE_SEL_ADDRS_ON, "j1", "e1b"), "1");
	assert_string_equal(sel(&s, STATE_SEL_ADDRS_IN, "j1", NULL), "1");
	assert_string_equal(sel(&s, STATE_SEL_ROUTES_VIA, "j1", "e1b"), "0");
	assert_string_equal(sel(&s, STATE_SEL_ROUTES_IN, "j1", NULL), "0 1");
	state_drop_route(&s, 0);
	assert_null(state_find_route(&s, "j1", &d));

	assert_int_equal(state_append(&copy, &s), 0);
	assert_int_equal(copy.n_links, 3);
	assert_int_equal(copy.n_addrs, 2);
	assert_int_equal(copy.n_routes, 1);

	state_compact(&s);
	assert_int_equal(s.n_links, 3);
	assert_string_equal(s.links[0].name, "br0");
	assert_string_equal(s.links[1].name, "e1a");
	assert_string_equal(s.links[2].name, "e1b");
	assert_int_equal(link_pos(&s, "", "e1a"), 1);
	assert_int_equal(link_pos(&s, "j1", "e1b"), 2);
	assert_int_equal(s.n_addrs, 2);
	assert_string_equal(s.addrs[1].ifname, "br0");
	assert_string_equal(sel(&s, STATE_SEL_ADDRS_ON, "", "br0"), "1");
	assert_int_equal(s.n_routes, 1);
	/* appends after compaction are indexed as usual */
	add_link(&s, "j1", "lo");
	assert_string_equal(sel(&s, STATE_SEL_LINKS_IN, "j1", NULL), "2 3");
	state_free(&s);
	state_free(&copy);
	(void)st;
}

/* 3: after thousands of random appends, moves, drops and compactions, every
 * lookup and selection agrees with a reference: the first live link with
 * that key in array order, as a linear scan finds it. */
static void test_random_against_scan(void **st)
{
	static const char *const ns[] = { "", "j1", "j2" };
	static const char *const names[] = { "e1a", "e1b", "e2a", "e2b", "lo" };
	struct ref { int ns, name; bool live; } ref[3000];
	unsigned long long rng = 11;
	struct state s = { 0 };
	size_t n = 0;

	for (int step = 0; step < 3000; step++) {
		unsigned r;

		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		r = (unsigned)(rng >> 33);
		if (r % 4 == 0 || n == 0) {
			ref[n] = (struct ref){ (int)(r / 4 % 3), (int)(r / 12 % 5), true };
			add_link(&s, ns[ref[n].ns], names[ref[n].name]);
			n++;
		} else if (r % 4 == 1 && ref[r / 4 % n].live) {
			ref[r / 4 % n].ns = (int)(r / 7 % 3);
			state_link_set_ns(&s, r / 4 % n, ns[ref[r / 4 % n].ns]);
		} else if (r % 4 == 2 && ref[r / 4 % n].live) {
			ref[r / 4 % n].live = false;
			state_drop_link(&s, r / 4 % n);
		} else if (r % 16 == 3) {
			size_t w = 0;
			for (size_t i = 0; i < n; i++)
				if (ref[i].live)
					ref[w++] = ref[i];
			n = w;
			state_compact(&s);
			assert_int_equal(s.n_links, n);
		}
		assert_int_equal(s.n_links, n);
		for (int a = 0; a < 3; a++) {
			char want[256] = "";
			size_t o = 0;
			for (size_t i = 0; i < n; i++)
				if (ref[i].live && ref[i].ns == a)
					o += (size_t)snprintf(want + o, sizeof(want) - o, "%s%zu", o ? " " : "", i);
			if (o < sizeof(want) - 1)
				assert_string_equal(sel(&s, STATE_SEL_LINKS_IN, ns[a], NULL), want);
			for (int b = 0; b < 5; b++) {
				long first = -1;
				for (size_t i = 0; i < n && first < 0; i++)
					if (ref[i].live && ref[i].ns == a && ref[i].name == b)
						first = (long)i;
				assert_int_equal(link_pos(&s, ns[a], names[b]), first);
			}
		}
	}
	state_free(&s);
	(void)st;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_ns),
		cmocka_unit_test(test_drop_compact),
		cmocka_unit_test(test_random_against_scan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
