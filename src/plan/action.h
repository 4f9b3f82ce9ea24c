/*
 * Actions: the steps a backend executes, in order. One flat struct for every
 * kind keeps renderers and executors simple; each kind documents which
 * fields it uses. Strings the model owns are borrowed, not copied: a plan
 * lives no longer than the model it was built from.
 */
#ifndef JAIL6_PLAN_ACTION_H
#define JAIL6_PLAN_ACTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/addr.h"
#include "model/model.h"

enum action_kind {
	ACTION_JAIL_CREATE,     /* target (jail), hostname, path */
	ACTION_JAIL_DESTROY,    /* target */
	ACTION_JAIL_EXEC,       /* target, argv (exec.start) */
	ACTION_TUNNEL_CREATE,   /* ifname, addr (local) | local_auto, gw (remote), ttl, mtu, datapath,
				 * keepalive and ka_peer (0: none) */
	ACTION_TUNNEL_CHANGE,   /* same fields as TUNNEL_CREATE, on an existing tunnel */
	ACTION_BRIDGE_CREATE,   /* ifname */
	ACTION_VETH_CREATE,     /* ifname (host end NAMEa), peer (jail end NAMEb), base (NAME), has_mac/mac (of peer) */
	ACTION_LINK_DESTROY,    /* ns, ifname */
	ACTION_LINK_SET_MASTER, /* ns, ifname, peer (the bridge) */
	ACTION_LINK_SET_NS,     /* ifname (in the host ns), target (jail) */
	ACTION_LINK_SET_MTU,    /* ns, ifname, mtu */
	ACTION_LINK_SET_MAC,    /* ns, ifname, mac */
	ACTION_LINK_UP,         /* ns, ifname */
	ACTION_ADDR_ADD,        /* ns, ifname, addr (with prefix), gw (point-to-point peer, family 0 = none) */
	ACTION_ADDR_DEL,        /* ns, ifname, addr */
	ACTION_ROUTE_ADD,       /* ns, addr (destination, plen 0 = default), gw, ifname (dev, may be "") */
	ACTION_ROUTE_DEL,       /* ns, addr, gw, ifname */
	ACTION_SYSCTL_SET,      /* ns, key (generic, see state.h), value */
	/* the host's filter of the jails' bridge ports (state.h, state_filter) */
	ACTION_FILTER_CREATE,   /* (host) make it anew, with no port */
	ACTION_FILTER_PORT_SET, /* ifname (port NAMEa), target (jail), addrs: replace that port's filter */
	ACTION_FILTER_PORT_DEL, /* ifname (port) */
	ACTION_FILTER_DESTROY,  /* (host) it and every port's filter */
};

struct action {
	enum action_kind kind;
	char ns[MODEL_NAME_MAX];        /* namespace/jail it happens in; "" = host */
	char ifname[MODEL_IFNAMSIZ];
	char peer[MODEL_IFNAMSIZ];
	char base[MODEL_IFNAMSIZ];
	char target[MODEL_NAME_MAX];
	struct addr addr;
	struct addr gw;
	struct addr via;                /* TUNNEL_*: the tunnel's via (family 0: none) */
	bool local_auto;
	int mtu, ttl;
	enum model_datapath datapath;
	int keepalive;                  /* TUNNEL_*: seconds between echo requests to ka_peer */
	struct addr ka_peer;
	const char *reason;             /* static: why a TUNNEL_CHANGE restarts a datapath, or NULL */
	bool has_mac;
	uint8_t mac[6];
	const char *hostname;           /* borrowed */
	const char *path;               /* borrowed */
	const struct model_argv *argv;  /* borrowed */
	const struct model_jail *jail;  /* borrowed: JAIL_CREATE's jail (confinement, limits, ids) */
	const struct addr *addrs;       /* borrowed: FILTER_PORT_SET's interface addresses */
	size_t n_addrs;
	char key[64];
	char value[16];
};

/* A short stable name for a kind ("bridge-create"), used by JSON output. */
const char *action_kind_name(enum action_kind k);

/* One readable line describing the action, as apply logs it and `plan`
 * prints it, e.g. "bridge0: create bridge". Returns buf. */
char *action_describe(const struct action *a, char *buf, size_t len);

/* A number of bytes as the config writes it: in the largest binary unit
 * that divides it exactly ("512M", "3G", "4097K", "1000"). Returns buf. */
char *action_size_text(uint64_t bytes, char *buf, size_t len);

/* Quote one word for a POSIX shell: as is when it only has safe characters
 * ([A-Za-z0-9_./:=%@,+-]), else in single quotes. Returns buf (truncated to
 * len like snprintf). */
char *action_quote_arg(const char *word, char *buf, size_t len);

#endif
