/*
 * The desired model: what a valid jail6.conf says, as plain data (no I/O).
 * conf_load() builds it; the planner reads it. Every name in here has been
 * validated (length and character set) before it is stored.
 */
#ifndef JAIL6_MODEL_MODEL_H
#define JAIL6_MODEL_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/addr.h"

/* Linux IFNAMSIZ: 15 characters and the NUL. */
#define MODEL_IFNAMSIZ 16
/* Jail names: [A-Za-z0-9_.-], not starting with '-' or '.', at most 63. */
#define MODEL_NAME_MAX 64

/* Defaults from RFC 4213 and the seed. */
#define MODEL_TUNNEL_MTU_DEFAULT 1480
#define MODEL_TUNNEL_MTU_MIN     1280
#define MODEL_TUNNEL_MTU_MAX     1480
#define MODEL_TUNNEL_TTL_DEFAULT 64

enum model_datapath {
	MODEL_DATAPATH_AUTO = 0,
	MODEL_DATAPATH_KERNEL,
	MODEL_DATAPATH_USERSPACE,
	MODEL_DATAPATH_EBPF,      /* tc BPF programs, a TUN device as the route target */
};

enum model_tunnel_type {
	MODEL_TUNNEL_6IN4 = 0,
};

/* client: our end of a broker's tunnel (IPv6 default route via peer).
 * broker: the broker's end (the lab): no default route; each `routed`
 * prefix is routed to the peer. */
enum model_tunnel_role {
	MODEL_ROLE_CLIENT = 0,
	MODEL_ROLE_BROKER,
};

/* Hurricane Electric's endpoint update URL (the `update_url` default). */
#define MODEL_UPDATE_URL_DEFAULT "https://ipv4.tunnelbroker.net/nic/update"

/* Where an object was declared, for messages that name it. */
struct model_pos {
	const char *file; /* owned by the struct model's file list */
	int line, col;
};

/* tunnel NAME { ... }: a 6in4 tunnel to a broker. */
struct model_tunnel {
	char name[MODEL_IFNAMSIZ];  /* the tunnel interface (gif0, he-ipv6) */
	struct model_pos pos;
	enum model_tunnel_type type;
	struct addr remote;         /* broker IPv4, no prefix */
	bool local_auto;            /* local = auto */
	struct addr local;          /* our IPv4 when !local_auto */
	bool has_via;
	struct addr via;            /* gateway for the host route to remote */
	bool has_address;
	struct addr address;        /* our IPv6 on the tunnel, with prefix */
	bool has_peer;
	struct addr peer;           /* broker side IPv6: the IPv6 default route */
	int mtu;                    /* 1280..1480 */
	int ttl;                    /* 1..255 */
	enum model_datapath datapath;
	enum model_tunnel_role role;
	struct addr *routed;        /* broker: IPv6 prefixes routed to the peer */
	size_t n_routed;
	/* `jail6 tunnel update`: the broker's endpoint update (all optional;
	 * NULL = not set; update_url NULL means MODEL_UPDATE_URL_DEFAULT) */
	char *update_url;
	char *tunnel_id;
	char *user;
	char *update_key_file;      /* absolute path of a root-only file */
	bool myip_auto;             /* myip = auto: let the broker use the source */
	bool has_myip;
	struct addr myip;
};

/* bridge NAME { ... }: the bridge that carries the routed prefix. */
struct model_bridge {
	char name[MODEL_IFNAMSIZ];
	struct model_pos pos;
	struct addr *addrs;         /* with prefix; IPv6 first, then IPv4 */
	size_t n_addrs;
	char (*members)[MODEL_IFNAMSIZ]; /* physical NICs to enslave */
	size_t n_members;
	char tunnel[MODEL_IFNAMSIZ];     /* routes through this tunnel; "" = none */
	bool adopt;                 /* adopt = yes: may use an existing bridge */
};

/* interface NAME { ... } in a jail: one epair/veth, NAMEa on the bridge,
 * NAMEb inside the jail. NAME is therefore at most 14 characters. */
struct model_iface {
	char name[MODEL_IFNAMSIZ];
	struct model_pos pos;
	char bridge[MODEL_IFNAMSIZ];
	struct addr *addrs;         /* explicit addresses, with prefix */
	size_t n_addrs;
	int n_auto;                 /* how many "auto" IPv6 addresses */
	bool has_mac;
	uint8_t mac[6];             /* MAC of the jail side (NAMEb) */
};

/* route DEST { via = GW; } in a jail; DEST "default" is ::/0 or 0.0.0.0/0. */
struct model_route {
	struct model_pos pos;
	struct addr dst;            /* with prefix; plen 0 for default */
	struct addr gw;
};

/* An argv to run inside a jail (exec.start / exec.stop). */
struct model_argv {
	char **argv;                /* NULL-terminated */
	size_t argc;
};

/* What a confined jail may do that it may not by default (allow.NAME = yes). */
enum model_allow {
	MODEL_ALLOW_NET_ADMIN   = 1 << 0, /* allow.net_admin: addresses, routes, links of its own netns */
	MODEL_ALLOW_RAW_SOCKETS = 1 << 1, /* allow.raw_sockets: raw and packet sockets */
};

/* limit.* of a jail; 0 = no limit (the kernel's default). */
struct model_limits {
	uint64_t memory;            /* limit.memory: bytes (config: 64M, 1G...) */
	uint32_t pids;              /* limit.pids: tasks */
	uint32_t cpu_weight;        /* limit.cpu_weight: 1..10000, cgroup v2's scale (100 = default) */
};

/* The user and group ids of a confined jail: its root is host id base,
 * its id N is base + N, for N < count. Not in the config: the engine
 * leases a range per jail from the store (like auto addresses). */
struct model_idmap {
	uint32_t base;
	uint32_t count;             /* 0 = not leased yet */
};

/* jail NAME { ... } */
struct model_jail {
	char name[MODEL_NAME_MAX];
	struct model_pos pos;
	char *hostname;             /* NULL = the jail name */
	char *path;                 /* root directory, NULL = none (netns only) */
	struct model_iface *ifaces;
	size_t n_ifaces;
	struct model_route *routes; /* explicit routes */
	size_t n_routes;
	struct model_argv exec_start;
	struct model_argv exec_stop;
	bool autostart;             /* default true */
	/* Confinement (issue 10). confine = no: a bare network namespace,
	 * no security boundary; the rest is then ignored. */
	bool confine;               /* default true */
	char *init;                 /* init = PATH inside the jail; NULL = jail6's own init */
	struct model_limits limits;
	unsigned allow;             /* MODEL_ALLOW_* bits; default 0 */
	uint32_t stop_timeout;      /* stop.timeout: seconds from SIGTERM to SIGKILL; default 10 */
	struct model_idmap idmap;   /* filled by the engine */
};

struct model_index;

/* The whole desired model. */
struct model {
	struct model_tunnel *tunnels;
	size_t n_tunnels;
	struct model_bridge *bridges;
	size_t n_bridges;
	struct model_jail *jails;
	size_t n_jails;
	char **files;               /* every file read (main + includes) */
	size_t n_files;
	/* Lookup index by name, a cache built on first use; objects must not
	 * be renamed, added or removed once a lookup was made (a copy of the
	 * struct must set idx = NULL). */
	struct model_index *idx;
};

/* Say that names changed in place: drop the lookup index (rebuilt on the
 * next lookup). */
void model_touch(struct model *m);

/* Free everything a model owns; NULL-tolerant. */
void model_free(struct model *m);

/* Lookups by name; NULL when absent. */
const struct model_tunnel *model_find_tunnel(const struct model *m, const char *name);
const struct model_bridge *model_find_bridge(const struct model *m, const char *name);
const struct model_jail *model_find_jail(const struct model *m, const char *name);

/* The interface NAME of any jail (and its jail in *jail), or NULL. */
const struct model_iface *model_find_iface(const struct model *m, const char *name,
					   const struct model_jail **jail);

/* The first address of family af on bridge b, or NULL. */
const struct addr *model_bridge_addr(const struct model_bridge *b, int af);

/* The config's names of the enums, one table each: "auto", "kernel",
 * "userspace"; "client", "broker". The parsers return 0, or -EINVAL for
 * an unknown name. */
const char *model_datapath_name(enum model_datapath d);
int model_datapath_parse(const char *s, enum model_datapath *out);
const char *model_role_name(enum model_tunnel_role r);
int model_role_parse(const char *s, enum model_tunnel_role *out);

/* The names of the MODEL_ALLOW_* bits, without "allow." ("net_admin",
 * "raw_sockets"): one table. model_allow_name() gives a single bit's name,
 * NULL for another value; the bits are 1 << 0 .. 1 << (MODEL_ALLOW_COUNT - 1). */
#define MODEL_ALLOW_COUNT 2
const char *model_allow_name(unsigned bit);

/* Name checks shared by the parser and the backends. */
/* An interface name: 1..15 chars of [A-Za-z0-9_.-], not starting with '-'. */
bool model_ifname_ok(const char *s);
/* A jail name: 1..63 chars of [A-Za-z0-9_.-], not starting with '-' or '.'. */
bool model_jailname_ok(const char *s);

#endif
