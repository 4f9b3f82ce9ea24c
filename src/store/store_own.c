/* Ownership: the links, addresses, routes, jails, sysctls and the port
 * filter jail6 created, so that destroy removes those and nothing else.
 * Records are typed: an address is (interface, family, bytes, prefix
 * length), never a string to parse back. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "store/store_int.h"

static const char *const kind_names[STORE_OWN_KIND_COUNT] = {
	[STORE_OWN_LINK] = "link",
	[STORE_OWN_ADDR] = "addr",
	[STORE_OWN_ROUTE] = "route",
	[STORE_OWN_JAIL] = "jail",
	[STORE_OWN_SYSCTL] = "sysctl",
	[STORE_OWN_FILTER] = "filter",
};

const char *store_own_kind_name(enum store_own_kind kind)
{
	return (int)kind >= 0 && (int)kind < STORE_OWN_KIND_COUNT ? kind_names[kind] : NULL;
}

int store_own_kind_parse(const char *t)
{
	for (int i = 0; t && i < STORE_OWN_KIND_COUNT; i++)
		if (strcmp(t, kind_names[i]) == 0)
			return i;
	return -1;
}

/* A record of kind k in namespace ns, the rest zero. */
static struct store_own own_new(enum store_own_kind k, const char *ns)
{
	struct store_own o;

	memset(&o, 0, sizeof(o));
	o.kind = k;
	o.seq = -1;
	snprintf(o.ns, sizeof(o.ns), "%s", ns ? ns : "");
	return o;
}

struct store_own store_own_link(const char *ns, const char *name)
{
	struct store_own o = own_new(STORE_OWN_LINK, ns);

	snprintf(o.name, sizeof(o.name), "%s", name);
	return o;
}

struct store_own store_own_addr(const char *ns, const char *ifname, const struct addr *a)
{
	struct store_own o = own_new(STORE_OWN_ADDR, ns);

	snprintf(o.ifname, sizeof(o.ifname), "%s", ifname);
	o.addr = *a;
	return o;
}

struct store_own store_own_route(const char *ns, const struct addr *dst)
{
	struct store_own o = own_new(STORE_OWN_ROUTE, ns);

	o.addr = *dst;
	return o;
}

struct store_own store_own_jail(const char *name)
{
	struct store_own o = own_new(STORE_OWN_JAIL, "");

	snprintf(o.name, sizeof(o.name), "%s", name);
	return o;
}

struct store_own store_own_sysctl(const char *ns, const char *key, const char *old)
{
	struct store_own o = own_new(STORE_OWN_SYSCTL, ns);

	snprintf(o.name, sizeof(o.name), "%s", key);
	if (old) {
		o.has_detail = true;
		snprintf(o.detail, sizeof(o.detail), "%s", old);
	}
	return o;
}

struct store_own store_own_filter(void)
{
	struct store_own o = own_new(STORE_OWN_FILTER, "");

	snprintf(o.name, sizeof(o.name), "%s", "jail6");
	return o;
}

char *store_own_describe(const struct store_own *o, char *buf, size_t len)
{
	char a[ADDR_STRLEN];
	const char *k = store_own_kind_name(o->kind);

	if (o->kind == STORE_OWN_ADDR)
		snprintf(buf, len, "%s %s%s%s %s", k, o->ns, o->ns[0] ? ":" : "", o->ifname,
			 addr_format(&o->addr, a, sizeof(a)));
	else if (o->kind == STORE_OWN_ROUTE)
		snprintf(buf, len, "%s %s%s%s", k, o->ns, o->ns[0] ? " " : "", addr_format(&o->addr, a, sizeof(a)));
	else
		snprintf(buf, len, "%s %s%s%s", k ? k : "?", o->ns, o->ns[0] ? ":" : "", o->name);
	return buf;
}

/* The family as stored: 4 or 6, never the platform's AF_ value. */
static int family_code(int af)
{
	return af == AF_INET ? 4 : af == AF_INET6 ? 6 : 0;
}

/* Check that *o carries its kind's key, and nothing else of a key. */
static int own_check(struct store *s, const struct store_own *o)
{
	bool by_addr = o->kind == STORE_OWN_ADDR || o->kind == STORE_OWN_ROUTE;
	const char *k = store_own_kind_name(o->kind);

	if (!k)
		return store_set_err(s, -EINVAL, "ownership: unknown kind %d", (int)o->kind);
	if (strnlen(o->ns, sizeof(o->ns)) >= sizeof(o->ns) || strnlen(o->name, sizeof(o->name)) >= sizeof(o->name) ||
	    strnlen(o->ifname, sizeof(o->ifname)) >= sizeof(o->ifname))
		return store_set_err(s, -EINVAL, "ownership: %s: name too long", k);
	if (by_addr ? (o->name[0] || !family_code(o->addr.family) || o->addr.plen < 0 ||
		       o->addr.plen > (int)addr_len(&o->addr) * 8)
		    : (!o->name[0] || o->addr.family))
		return store_set_err(s, -EINVAL, "ownership: %s: malformed record", k);
	if ((o->kind == STORE_OWN_ADDR) != (o->ifname[0] != '\0'))
		return store_set_err(s, -EINVAL, "ownership: %s: malformed record", k);
	return 0;
}

/* The key of *o as the bound parameters 1..7 of the OWN statements. */
#define KEY_TYPES "tttti" "bi" "i"
#define KEY_ARGS(o)                                                                                  \
	kind_names[(o)->kind], (o)->ns, (o)->name, (o)->ifname, family_code((o)->addr.family),       \
		(o)->addr.bytes, (int)addr_len(&(o)->addr), (o)->addr.family ? (o)->addr.plen : -1

int store_own_add(struct store *s, const struct store_own *o)
{
	int rc = own_check(s, o);

	if (rc == 0)
		rc = store_run(s, STMT_OWN_ADD, KEY_TYPES "tiIII", KEY_ARGS(o), o->has_detail ? o->detail : NULL,
			       (int)o->flags, (int64_t)o->ident, (int64_t)o->seq, (int64_t)time(NULL));
	return rc < 0 ? rc : 0;
}

int store_own_del(struct store *s, const struct store_own *o)
{
	char what[256];
	int rc = own_check(s, o);

	if (rc == 0)
		rc = store_run(s, STMT_OWN_DEL, KEY_TYPES, KEY_ARGS(o));
	if (rc == 0)
		rc = store_set_err(s, -ENOENT, "%s: no owned %s", s->path,
				   store_own_describe(o, what, sizeof(what)));
	return rc < 0 ? rc : 0;
}

int store_own_has(struct store *s, const struct store_own *o)
{
	int rc = own_check(s, o);

	return rc < 0 ? rc : store_exists(s, STMT_OWN_HAS, KEY_TYPES, KEY_ARGS(o));
}

int store_own_claim(struct store *s, const struct store_own *o, int64_t seq)
{
	int rc = own_check(s, o);

	if (rc == 0)
		rc = store_run(s, STMT_OWN_CLAIM, KEY_TYPES "tiII", KEY_ARGS(o), o->has_detail ? o->detail : NULL,
			       (int)(o->flags | STORE_OWN_F_CLAIMED), (int64_t)seq, (int64_t)time(NULL));
	return rc < 0 ? rc : 1;
}

int store_own_confirm(struct store *s, const struct store_own *o, uint64_t ident)
{
	int rc = own_check(s, o);

	if (rc == 0)
		rc = store_run(s, STMT_OWN_CONFIRM, KEY_TYPES "iI", KEY_ARGS(o),
			       STORE_OWN_F_CLAIMED | STORE_OWN_F_RECLAIMED, (int64_t)ident);
	return rc < 0 ? rc : rc > 0;
}

int store_own_set_flags(struct store *s, const struct store_own *o, unsigned set, unsigned clear)
{
	int rc = own_check(s, o);

	if (rc == 0)
		rc = store_run(s, STMT_OWN_FLAGS, KEY_TYPES "ii", KEY_ARGS(o), (int)set, (int)clear);
	return rc < 0 ? rc : rc > 0;
}

int store_own_del_unclaimed(struct store *s, const struct store_own *o)
{
	int rc = own_check(s, o);

	return rc < 0 ? rc : store_run(s, STMT_OWN_DEL_UNCLAIMED, KEY_TYPES "i", KEY_ARGS(o), STORE_OWN_F_CLAIMED);
}

int store_own_drop_claims(struct store *s)
{
	int rc = store_run(s, STMT_OWN_DROP_CLAIMS, "ii", STORE_OWN_F_CLAIMED, STORE_OWN_F_RECLAIMED);

	return rc < 0 ? rc : store_run(s, STMT_OWN_UNCLAIM, "ii", STORE_OWN_F_CLAIMED, STORE_OWN_F_RECLAIMED);
}

/* Read the columns of an own row (in the order of OWN_COLUMNS) into *o. */
static int own_row(struct store *s, sqlite3_stmt *st, struct store_own *o)
{
	int k = store_own_kind_parse((const char *)sqlite3_column_text(st, 0));
	int fam = sqlite3_column_int(st, 4);
	int n = sqlite3_column_bytes(st, 5);
	const void *b = sqlite3_column_blob(st, 5);

	memset(o, 0, sizeof(*o));
	if (k < 0)
		return store_set_err(s, -EIO, "%s: unknown ownership kind %s", s->path,
				     (const char *)sqlite3_column_text(st, 0));
	o->kind = (enum store_own_kind)k;
	if (store_col_copy(s, st, 1, o->ns, sizeof(o->ns)) < 0 ||
	    store_col_copy(s, st, 2, o->name, sizeof(o->name)) < 0 ||
	    store_col_copy(s, st, 3, o->ifname, sizeof(o->ifname)) < 0)
		return -EIO;
	if (fam) {
		o->addr.family = fam == 4 ? AF_INET : AF_INET6;
		if ((fam != 4 && fam != 6) || n != (int)addr_len(&o->addr))
			return store_set_err(s, -EIO, "%s: malformed %s record", s->path, kind_names[k]);
		memcpy(o->addr.bytes, b, (size_t)n);
		o->addr.plen = sqlite3_column_int(st, 6);
	}
	if (sqlite3_column_type(st, 7) != SQLITE_NULL) {
		o->has_detail = true;
		if (store_col_copy(s, st, 7, o->detail, sizeof(o->detail)) < 0)
			return -EIO;
	}
	o->flags = (unsigned)sqlite3_column_int(st, 8);
	o->ident = (uint64_t)sqlite3_column_int64(st, 9);
	o->seq = sqlite3_column_int64(st, 10);
	o->created_at = sqlite3_column_int64(st, 11);
	return 0;
}

/* A list callback and its context, for the row function. */
struct own_walk {
	int (*cb)(const struct store_own *o, void *ctx);
	void *ctx;
};

static int own_walk_row(struct store *s, sqlite3_stmt *st, void *arg)
{
	struct own_walk *w = arg;
	struct store_own o;
	int rc = own_row(s, st, &o);

	return rc ? rc : w->cb(&o, w->ctx);
}

int store_own_list(struct store *s, int kind, const char *ns,
		   int (*cb)(const struct store_own *o, void *ctx), void *ctx)
{
	static const char sql[] =
		"SELECT kind, ns, name, ifname, family, addr, plen, detail, flags, ident, seq, created_at FROM own"
		" WHERE (?1 IS NULL OR kind = ?1) AND (?2 IS NULL OR ns = ?2)"
		" ORDER BY kind, ns, name, ifname, family, addr, plen";
	struct own_walk w = { cb, ctx };

	if (kind >= STORE_OWN_KIND_COUNT)
		return store_set_err(s, -EINVAL, "ownership: unknown kind %d", kind);
	return store_walk(s, sql, own_walk_row, &w, "tt", kind >= 0 ? kind_names[kind] : NULL, ns);
}
