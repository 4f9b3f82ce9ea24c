/*
 * Observe: dump links, addresses and routes of the host namespace and of
 * each existing jail over rtnetlink, read the forwarding sysctls, and
 * describe them as struct state facts (owned = false; the caller marks what
 * the store says jail6 owns).
 */
#include <errno.h>
#include <stdlib.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <net/if.h>
#include <netinet/in.h>
#include <linux/rtnetlink.h>

#include "os/linux/linux.h"
#include "os/linux/jail.h"
#include "os/linux/lxc.h"
#include "os/linux/linux_int.h"
#include "os/linux/netns.h"
#include "os/linux/nft.h"
#include "util/hmap.h"

/* Times to redo a namespace whose dump the kernel interrupted because the
 * tables changed meanwhile (NLM_F_DUMP_INTR, seen as -EINTR). */
#define OBSERVE_TRIES 3

static const char *const host_sysctls[] = {
	"ipv6.forwarding", "ipv4.forwarding", "ipv6.accept_ra",
};
/* what the planner sets in every jail's namespace */
static const char *const jail_sysctls[] = {
	"ipv4.ping_group_range", "ipv4.ip_unprivileged_port_start",
};

/* The links of one namespace, kept to turn ifindexes into names (through a
 * hash index: a host with thousands of bridge ports looks one up for each
 * of its addresses and routes). */
struct link_list {
	struct nl_link *v;
	size_t n;
	struct hmap by_index;
};

/* What the dump callbacks need: where facts go and how to name links. */
struct walk {
	const struct linux_ctx *c;
	const char *ns;
	struct link_list links;
	struct state *out;
};

/* The hash of an ifindex for the index. */
static uint64_t index_hash(const int *index)
{
	return hmap_fin(hmap_hash(HMAP_SEED, index, sizeof(*index)));
}

struct index_key {
	const struct link_list *l;
	int index;
};

static bool index_eq(const void *arg, size_t pos)
{
	const struct index_key *k = arg;

	return k->l->v[pos].index == k->index;
}

static const char *link_name(const struct link_list *l, int index)
{
	struct index_key k = { l, index };
	size_t *pos = hmap_find(&l->by_index, index_hash(&index), index_eq, &k);

	return pos ? l->v[*pos].name : NULL;
}

/* Index the dumped links by ifindex; 0 or -ENOMEM. */
static int index_links(struct link_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct index_key k = { l, l->v[i].index };
		if (hmap_put(&l->by_index, index_hash(&k.index), i, index_eq, &k) < 0)
			return -ENOMEM;
	}
	return 0;
}

static enum state_link_kind link_kind(const char *kind)
{
	if (strcmp(kind, "bridge") == 0)
		return STATE_LINK_BRIDGE;
	if (strcmp(kind, "veth") == 0)
		return STATE_LINK_VETH;
	if (strcmp(kind, "sit") == 0)
		return STATE_LINK_SIT;
	if (strcmp(kind, "tun") == 0)
		return STATE_LINK_TUN;
	return STATE_LINK_OTHER;
}

/* Dump callback: remember one link. */
static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_list *l = data;
	struct nl_link *v;

	v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	l->v = v;
	if (nl_parse_link(nlh, &l->v[l->n]) < 0)
		return -EBADMSG;
	l->n++;
	return 0;
}

/* Turn the dumped links into state facts (master index -> bridge name). */
static int add_links(const struct walk *w)
{
	for (size_t i = 0; i < w->links.n; i++) {
		const struct nl_link *nl = &w->links.v[i];
		struct state_link sl = { 0 };
		const char *master = nl->master ? link_name(&w->links, nl->master) : NULL;
		int rc;

		strcpy(sl.ns, w->ns);
		strcpy(sl.name, nl->name);
		sl.ident = (uint64_t)nl->index;
		sl.kind = link_kind(nl->kind);
		if (master)
			strcpy(sl.master, master);
		sl.up = (nl->flags & IFF_UP) != 0;
		sl.mtu = nl->mtu;
		sl.has_mac = nl->has_mac;
		memcpy(sl.mac, nl->mac, sizeof(sl.mac));
		if (nl->has_iptun) {
			sl.local = nl->local;
			sl.remote = nl->remote;
			sl.ttl = nl->ttl;
		}
		/* a userspace tunnel: its daemon knows the endpoints */
		if (sl.kind == STATE_LINK_TUN && !w->ns[0])
			linux_tun_observe(w->c, &sl);
		rc = state_add_link(w->out, &sl);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Dump callback: one address, unless the kernel made and manages it. */
static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	struct walk *w = data;
	struct state_addr sa = { 0 };
	struct nl_addr na;
	const char *ifname;

	if (nl_parse_addr(nlh, &na) < 0)
		return -EBADMSG;
	if (addr_is_link_local(&na.addr) || addr_is_loopback(&na.addr))
		return 0;
	/* IPv6 addresses without IFA_F_PERMANENT are SLAAC/privacy ones with
	 * kernel-run lifetimes, not configuration. */
	if (na.addr.family == AF_INET6 && !(na.flags & IFA_F_PERMANENT))
		return 0;
	ifname = link_name(&w->links, na.index);
	if (!ifname)
		return 0; /* its link appeared after the link dump */
	strcpy(sa.ns, w->ns);
	strcpy(sa.ifname, ifname);
	sa.addr = na.addr;
	sa.marked = na.proto == NL_PROTO_JAIL6;
	return state_add_addr(w->out, &sa);
}

/* Whether a route is configuration (ours or an admin's) rather than one
 * the kernel derives from addresses and links. */
static bool route_wanted(const struct nl_route *r)
{
	if (r->table != RT_TABLE_MAIN || r->type != RTN_UNICAST)
		return false;
	if (r->protocol == RTPROT_KERNEL || (r->flags & RTM_F_CLONED))
		return false;
	if (r->dst.plen > 0 && (addr_is_link_local(&r->dst) || addr_is_multicast(&r->dst)))
		return false;
	return true;
}

/* Dump callback: one main-table route. */
static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	struct walk *w = data;
	struct state_route sr = { 0 };
	struct nl_route nr;
	const char *dev;

	if (nl_parse_route(nlh, &nr) < 0)
		return -EBADMSG;
	if (!route_wanted(&nr))
		return 0;
	strcpy(sr.ns, w->ns);
	sr.dst = nr.dst;
	sr.gw = nr.gw;
	sr.marked = nr.protocol == NL_PROTO_JAIL6;
	dev = nr.oif ? link_name(&w->links, nr.oif) : NULL;
	if (dev)
		strcpy(sr.dev, dev);
	return state_add_route(w->out, &sr);
}

static int dump(struct nl_sock *s, uint16_t type, int family, nl_msg_cb cb, void *data)
{
	char buf[NL_REQ_SIZE];

	return nl_talk(s, nl_req_dump(buf, type, family), cb, data);
}

/* One pass over namespace w->ns: links, addresses, routes into w->out. */
static int observe_pass(struct nl_sock *s, struct walk *w)
{
	int rc;

	rc = dump(s, RTM_GETLINK, AF_UNSPEC, link_cb, &w->links);
	if (rc == 0)
		rc = index_links(&w->links);
	if (rc == 0)
		rc = add_links(w);
	if (rc == 0)
		rc = dump(s, RTM_GETADDR, AF_UNSPEC, addr_cb, w);
	if (rc == 0)
		rc = dump(s, RTM_GETROUTE, AF_INET, route_cb, w);
	if (rc == 0)
		rc = dump(s, RTM_GETROUTE, AF_INET6, route_cb, w);
	return rc;
}

/* The sysctls of ns the planner sets: the host's forwarding knobs and each
 * bridge's accept_ra, or a jail's two. All in one visit to the namespace:
 * a /proc/sys lookup costs more per jail than the rest of its observe
 * (the dcache compares every namespace's entry). */
static int observe_sysctls(struct linux_ctx *c, const char *ns, struct state *st)
{
	size_t nh = sizeof(host_sysctls) / sizeof(host_sysctls[0]), n = 0;
	const char **keys;
	char (*bk)[64] = NULL;
	int rc = -ENOMEM;

	if (ns[0])
		return linux_sysctl_observe(c, ns, jail_sysctls, sizeof(jail_sysctls) / sizeof(jail_sysctls[0]), st);
	keys = calloc(nh + st->n_links, sizeof(*keys));
	bk = calloc(st->n_links ? st->n_links : 1, sizeof(*bk));
	if (!keys || !bk)
		goto cleanup;
	for (size_t i = 0; i < nh; i++)
		keys[n++] = host_sysctls[i];
	for (size_t i = 0; i < st->n_links; i++) {
		if (st->links[i].kind != STATE_LINK_BRIDGE)
			continue;
		snprintf(bk[i], sizeof(bk[i]), "ipv6.accept_ra/%s", st->links[i].name);
		keys[n++] = bk[i];
	}
	rc = linux_sysctl_observe(c, ns, keys, n, st);
cleanup:
	free(keys);
	free(bk);
	return rc;
}

/* Observe namespace ns ("" = host) into out. */
static int observe_ns(struct linux_ctx *c, const char *ns, struct state *out)
{
	struct state tmp = { 0 };
	struct walk w = { .c = c, .ns = ns, .out = &tmp };
	struct nl_sock *s;
	int rc;

	rc = linux_ns_sock(c, ns, &s);
	if (rc < 0)
		return rc;
	for (int tries = 0; tries < OBSERVE_TRIES; tries++) {
		free(w.links.v);
		hmap_free(&w.links.by_index);
		w.links.v = NULL;
		w.links.n = 0;
		state_free(&tmp);
		memset(&tmp, 0, sizeof(tmp));
		rc = observe_pass(s, &w);
		if (rc != -EINTR)
			break;
	}
	if (rc < 0)
		goto cleanup;
	rc = observe_sysctls(c, ns, &tmp);
	if (rc < 0)
		goto cleanup;
	rc = state_append(out, &tmp);
cleanup:
	free(w.links.v);
	hmap_free(&w.links.by_index);
	state_free(&tmp);
	return rc;
}

/*
 * Jail name as it stands: whether its netns is live, and whether the rest
 * jail_create made (the UTS binding in the run dir) is there. A jail with a
 * part but not all (a killed create or destroy left it, or someone removed
 * a piece) is reported incomplete, so that apply makes it again and destroy
 * removes what is left. 1 with *sj filled, 0 when nothing of it is there.
 */
static int jail_state(struct linux_ctx *c, const char *name, struct state_jail *sj)
{
	char netns[PATH_MAX], uts[PATH_MAX];
	const char *run = linux_run_dir(c);
	bool net_file, net_live, uts_live = false, extras = false;
	struct stat st;
	int rc;

	memset(sj, 0, sizeof(*sj));
	strcpy(sj->name, name);
	if (netns_path(netns, sizeof(netns), linux_runtime_dir(c), name) < 0)
		return -ENAMETOOLONG;
	net_file = lstat(netns, &st) == 0;
	rc = linux_ns_exists(c, name);
	if (rc < 0)
		return rc;
	net_live = rc == 1;
	if (run && lxcj_present(run, name)) {
		/* confined: the netns and a running container with its init */
		sj->confined = true;
		sj->incomplete = !net_live || lxcj_running(run, name) != 1;
		unsigned long long mem, pids;
		if (!sj->incomplete && lxcj_usage(run, name, &mem, &pids) == 0) {
			sj->has_usage = true;
			sj->mem_current = mem;
			sj->pids_current = pids;
		}
		return 1;
	}
	if (run && jail_extras(linux_runtime_dir(c), run, name, uts, sizeof(uts)) == 1) {
		extras = true;
		uts_live = netns_is_nsfs(uts) == 1;
	}
	if (!net_file && !extras)
		return 0;
	/* without a run dir only the netns can be judged */
	sj->incomplete = !net_live || (!uts_live && run);
	return 1;
}

int linux_observe(struct linux_ctx *c, const char *const *jails, size_t n_jails, struct state *out)
{
	int rc;

	for (size_t i = 0; i < n_jails; i++)
		if (!model_jailname_ok(jails[i]))
			return -EINVAL;
	rc = observe_ns(c, "", out);
	if (rc == 0)
		rc = linux_nft_observe(c, out);
	for (size_t i = 0; rc == 0 && i < n_jails; i++) {
		struct state_jail sj;
		struct nl_sock *s;

		if (state_find_jail(out, jails[i]))
			continue; /* named twice */
		rc = jail_state(c, jails[i], &sj);
		if (rc <= 0)
			continue;
		/* the namespace's cookie: a jail made again under the same
		 * name, or someone else's namespace, has another one */
		if (linux_ns_exists(c, jails[i]) == 1 && (rc = linux_ns_sock(c, jails[i], &s)) == 0)
			rc = nl_sock_netns_cookie(s, &sj.ident);
		if (rc == 0)
			rc = state_add_jail(out, &sj);
		if (rc == 0 && linux_ns_exists(c, jails[i]) == 1)
			rc = observe_ns(c, jails[i], out);
	}
	return rc;
}
