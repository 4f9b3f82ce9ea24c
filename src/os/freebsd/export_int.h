/* The two halves of `jail6 export --target freebsd` (export.c: the plan's
 * actions collected per file and variable; export_write.c: the files
 * written from them), and what they share. */
#ifndef JAIL6_OS_FREEBSD_EXPORT_INT_H
#define JAIL6_OS_FREEBSD_EXPORT_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "os/freebsd/freebsd.h"

/* A growing list of strings. */
struct strs {
	char **v;
	size_t n;
};

struct host_if {
	char name[MODEL_IFNAMSIZ];
	struct strs words;   /* ifconfig_IF, af-less words (tunnel, mtu, addm) */
	struct strs inet;    /* IPv4 addresses: "inet A/len [peer]" each */
	struct strs inet6;   /* IPv6 addresses: "A [peer] prefixlen N" each */
	struct strs flags6;  /* inet6 flags (-accept_rtadv) */
	bool bridge;
};

/* One static route: its rc.conf name and route(8) words after `add` (and
 * after -inet6 for an IPv6 one). */
struct route {
	char name[MODEL_IFNAMSIZ + 8];
	char *args;
	bool v6;
	bool broker;   /* a tunnel's host route to its broker through via */
};

/* One jail's jail.conf block. */
struct jail_out {
	const struct model_jail *j;
	struct strs params;    /* "key = value;" or "key;" lines */
	struct strs vnet_if, prestart, created, start, poststop;
};

struct exp {
	const struct model *m;
	struct strs cloned;
	struct host_if *ifs;
	size_t n_ifs;
	struct route *routes;
	size_t n_routes;
	char defrouter6[ADDR_STRLEN], defrouter[ADDR_STRLEN];
	bool gateway6, gateway4;
	struct strs sysctls;   /* sysctl.conf lines */
	struct strs notes;     /* rc.conf comments */
	struct jail_out *jails;
	size_t n_jails;
	char *errs;            /* newline-terminated error lines */
	size_t errs_len;
	int err;               /* -ENOMEM */
};

/* Add w to s (a copy); 0 or -ENOMEM. */
int fx_strs_add(struct strs *s, const char *w);
void fx_strs_free(struct strs *s);
bool fx_strs_has(const struct strs *s, const char *w);

/* An error line for the export, at pos when known ("FILE:LINE:COL: "). */
__attribute__((format(printf, 3, 4)))
void fx_fail(struct exp *x, const struct model_pos *pos, const char *fmt, ...);

/* fx_strs_add, the first failure kept in x->err. */
void fx_add(struct exp *x, struct strs *s, const char *w);

/* The command argv (from word skip on) as one line of a jail.conf
 * exec.* list, added to s. */
void fx_add_line(struct exp *x, struct strs *s, char *const *argv, size_t skip);

/* Collect action a of the plan into x (its variables, its jail's block). */
void fx_action(struct exp *x, const struct action *a);

#endif
