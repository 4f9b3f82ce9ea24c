/*
 * The observed model: facts about a host (links, addresses, routes,
 * namespaces, sysctls) as a backend saw them, plus which of them jail6 owns
 * (from the store). Plain data; the planner diffs the desired model against
 * it. A namespace name of "" is the host's own (or --host-netns) namespace.
 */
#ifndef JAIL6_MODEL_STATE_H
#define JAIL6_MODEL_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/addr.h"
#include "model/model.h"
#include "util/hmap.h"

/* A TUN tunnel's datapath rewrites its stats every second; stats older than
 * this (seconds) mean a stopped or hung one (drift). */
#define STATE_DAEMON_STALE_S 5

enum state_link_kind {
	STATE_LINK_OTHER = 0, /* physical NIC, loopback, anything else */
	STATE_LINK_BRIDGE,
	STATE_LINK_VETH,      /* Linux veth, FreeBSD epair */
	STATE_LINK_SIT,       /* kernel 6in4 (Linux sit, FreeBSD gif) */
	STATE_LINK_TUN,       /* TUN device of the userspace or eBPF 6in4 datapath */
};

struct state_link {
	char ns[MODEL_NAME_MAX];         /* "" = host */
	char name[MODEL_IFNAMSIZ];
	enum state_link_kind kind;
	char master[MODEL_IFNAMSIZ];     /* bridge it is enslaved to, "" = none */
	bool up;
	int mtu;                         /* 0 = unknown */
	bool has_mac;
	uint8_t mac[6];
	/* 6in4 only (SIT, TUN): endpoints and ttl */
	struct addr local, remote;
	int ttl;
	bool daemon;                     /* TUN: its userspace datapath runs */
	int daemon_mtu;                  /* TUN: the MTU the datapath uses, 0 = unknown */
	struct addr daemon_via;          /* TUN: the via it holds to (family 0: none) */
	enum model_datapath daemon_dp;   /* TUN: which datapath runs (userspace,
					  * ebpf); AUTO = unknown */
	int daemon_keepalive;            /* TUN: its keepalive interval, 0 = none,
					  * -1 = unknown (no stats yet) */
	bool daemon_stale;               /* TUN: its stats are older than
					  * STATE_DAEMON_STALE_S (or missing that
					  * long after it started): stopped, hung */
	uint64_t ident;                  /* what tells this very link from a look-
					  * alike: its ifindex (Linux); 0 = unknown */
	bool owned;                      /* jail6 created it */
};

struct state_addr {
	char ns[MODEL_NAME_MAX];
	char ifname[MODEL_IFNAMSIZ];
	struct addr addr;                /* with prefix */
	bool marked;                     /* carries jail6's mark (Linux: IFA_PROTO) */
	bool owned;
};

struct state_route {
	char ns[MODEL_NAME_MAX];
	struct addr dst;                 /* with prefix; plen 0 = default */
	struct addr gw;                  /* family 0 = none (on-link) */
	char dev[MODEL_IFNAMSIZ];        /* "" = unknown / any */
	bool marked;                     /* carries jail6's mark (Linux: its protocol) */
	bool owned;
};

/* A jail: on Linux a named network namespace, on FreeBSD a VNET jail. */
struct state_jail {
	char name[MODEL_NAME_MAX];
	uint64_t ident;                  /* its network namespace's cookie; 0 = unknown */
	/* a part of what makes the jail is missing (Linux: its netns, or the
	 * UTS namespace jail6 bound beside it): a killed create or destroy,
	 * or a piece removed by hand */
	bool incomplete;
	bool owned;
	/* a confined jail (Linux: a liblxc container); whole only when its
	 * container runs with a live init. The planner remakes a jail whose
	 * confinement differs from the file's confine (a backend that
	 * observes jails must set it: Linux does) */
	bool confined;
	/* its exec.start has not completed yet (the engine's record): an
	 * apply killed or failed between creating the jail and running it */
	bool start_pending;
	/* a running confined jail's use of what its limits bound (Linux: the
	 * files of the cgroups its container was recorded in); has_usage
	 * false = not known (not confined, not running, or another backend) */
	bool has_usage;
	uint64_t mem_current;            /* bytes, page cache included */
	uint64_t pids_current;           /* processes and threads */
};

/*
 * A sysctl by its generic key (backends map them): "ipv6.forwarding",
 * "ipv4.forwarding", "ipv6.accept_ra", "ipv4.ping_group_range",
 * "ipv4.ip_unprivileged_port_start"; a setting of one link is "KEY/IFNAME"
 * ("ipv6.accept_ra/bridge0": that link's accept_ra).
 */
struct state_sysctl {
	char ns[MODEL_NAME_MAX];
	char key[64];
	char value[16];                  /* integers one space apart: "0 2147483647" */
};

/* The link a per-link sysctl key names ("bridge0" of "ipv6.accept_ra/bridge0"),
 * or "" for a key of the whole namespace. */
const char *state_sysctl_link(const char *key);

/* The IPv6 filter of one jail interface's bridge port (NAMEa): the
 * addresses it lets through as sources and Neighbour Advertisement targets,
 * besides link-local ones and :: (Linux: its elements in the sets of the
 * nftables bridge table "jail6"). */
struct state_fport {
	char port[MODEL_IFNAMSIZ];
	char jail[MODEL_NAME_MAX];       /* the jail it is for; "" = not known */
	struct addr *addrs;              /* IPv6, plen 128, sorted, no repeats */
	size_t n_addrs;
	bool intact;                     /* it is filtered (Linux: in the ports set) */
};

/* jail6's filter of the jails' bridge ports on the host. */
struct state_filter {
	bool present;                    /* a table of jail6's name is there */
	bool intact;                     /* with its hooks as jail6 makes them */
	bool marked;                     /* it carries jail6's mark (its comment) */
	bool owned;                      /* jail6 recorded it (the store's "filter"
					  * record counts: engine/observe.c) */
	uint64_t ident;                  /* what tells this very table from a look-
					  * alike (Linux: its handle); 0 = unknown */
	struct state_fport *ports;       /* in no order; by_port finds one */
	size_t n_ports;
	struct hmap by_port;
};

struct state_index;

struct state {
	struct state_link *links;     size_t n_links;
	struct state_addr *addrs;     size_t n_addrs;
	struct state_route *routes;   size_t n_routes;
	struct state_jail *jails;     size_t n_jails;
	struct state_sysctl *sysctls; size_t n_sysctls;
	struct state_filter filter;   /* state_filter_* below */
	/* A hash index over the lookup keys, a cache the state_find_* build on
	 * first use and keep up to date on state_add_*. Code that removes facts
	 * or changes a key field (ns, name, ifname, address, destination) in
	 * place must call state_touch(). Zero-initialised = no index. */
	struct state_index *idx;
	unsigned long stamp;
};

/* Say that facts were removed or a key changed in place: the index is
 * rebuilt on the next lookup. */
void state_touch(struct state *s);

/* Free the arrays of s (not s itself); NULL-tolerant. */
void state_free(struct state *s);

/* Append a copy of one fact; 0 or -ENOMEM. */
int state_add_link(struct state *s, const struct state_link *l);
int state_add_addr(struct state *s, const struct state_addr *a);
int state_add_route(struct state *s, const struct state_route *r);
int state_add_jail(struct state *s, const struct state_jail *j);
int state_add_sysctl(struct state *s, const struct state_sysctl *c);

/* Append a copy of every fact of src to dst; 0 or -ENOMEM (dst may then
 * hold part of them). */
int state_append(struct state *dst, const struct state *src);

/* Lookups; NULL when absent. ns "" is the host. */
const struct state_link *state_find_link(const struct state *s, const char *ns, const char *name);
const struct state_addr *state_find_addr(const struct state *s, const char *ns, const char *ifname, const struct addr *a);
const struct state_route *state_find_route(const struct state *s, const char *ns, const struct addr *dst);
const struct state_jail *state_find_jail(const struct state *s, const char *name);
const struct state_sysctl *state_find_sysctl(const struct state *s, const char *ns, const char *key);


/*
 * Changes that keep the lookup index valid, so that a simulation that moves
 * links and removes facts (plan/simulate.c) costs O(1) per fact instead of
 * a rebuild of the index per change.
 */

/* Move link i into namespace ns (its key changes in place; the index follows). */
void state_link_set_ns(struct state *s, size_t i, const char *ns);

/*
 * Remove fact i. The others keep their positions and their order: the fact
 * stays in its array as a gap that no lookup or state_select() finds, and
 * n_* still count it, until state_compact(). Code that walks the arrays
 * itself must call state_compact() first; state_append() skips the gaps.
 */
void state_drop_link(struct state *s, size_t i);
void state_drop_addr(struct state *s, size_t i);
void state_drop_route(struct state *s, size_t i);
void state_drop_jail(struct state *s, size_t i);
void state_drop_sysctl(struct state *s, size_t i);

/* Close the gaps of dropped facts, keeping the order of the rest, and keep
 * the index valid; O(facts). */
void state_compact(struct state *s);

/* The groups of facts state_select() finds through the index. */
enum state_sel {
	STATE_SEL_LINKS_NAMED,  /* links called name, in any namespace */
	STATE_SEL_LINKS_IN,     /* links in namespace ns */
	STATE_SEL_ADDRS_ON,     /* addresses on link name in ns */
	STATE_SEL_ADDRS_IN,     /* addresses in namespace ns */
	STATE_SEL_ROUTES_VIA,   /* routes whose device is link name in ns */
	STATE_SEL_ROUTES_IN,    /* routes in namespace ns */
	STATE_SEL_SYSCTLS_IN,   /* sysctls of namespace ns */
};

/* Positions in one of a state's arrays. */
struct state_set {
	size_t *v;
	size_t n, cap;
};

/* The positions of the facts that sel selects (ns and name as it says; the
 * other is ignored), ascending, that is in array order, into *out (its old
 * content is replaced; reuse it across calls). O(matches) through the
 * index. 0 or -ENOMEM. */
int state_select(const struct state *s, enum state_sel sel, const char *ns, const char *name,
		 struct state_set *out);

/* Free the positions; NULL-tolerant; *x is empty and usable after. */
void state_set_free(struct state_set *x);

/* ---- the port filter (state_filter.c) ---- */

/* The filter of port, or NULL. */
const struct state_fport *state_filter_port(const struct state *s, const char *port);
/* Set the filter of p->port to a copy of *p (its addresses as
 * state_filter_addrs gives them); 0 or -ENOMEM. */
int state_filter_put(struct state *s, const struct state_fport *p);
/* Forget the filter of port (if any). */
void state_filter_del(struct state *s, const char *port);
/* Forget every port's filter. */
void state_filter_clear(struct state *s);
/* The addresses a port lets through for a jail interface's addresses in
 * (any family, any plen): its IPv6 ones as hosts, sorted, without repeats,
 * into *out (malloc'd; NULL when none). 0 or -ENOMEM. */
int state_filter_addrs(const struct addr *in, size_t n, struct addr **out, size_t *n_out);
/* Whether p lets through exactly the addresses in (as state_filter_addrs). */
bool state_fport_same(const struct state_fport *p, const struct addr *in, size_t n);
/* state.c's part: free, and append a copy of src's filter to dst's. */
void state_filter_free(struct state_filter *f);
int state_filter_append(struct state *dst, const struct state *src);

#endif
