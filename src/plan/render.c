/* Output formats of `jail6 plan`: numbered text lines and JSON (jansson). */
#include "plan/plan.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>
#include <sys/socket.h>

int plan_render_text(FILE *out, const struct plan *p)
{
	char line[512];

	if (p->n_actions == 0) {
		fprintf(out, "nothing to do\n");
		return ferror(out) ? -EIO : 0;
	}
	for (size_t i = 0; i < p->n_actions; i++)
		fprintf(out, "%3zu  %s\n", i + 1, action_describe(&p->actions[i], line, sizeof(line)));
	return ferror(out) ? -EIO : 0;
}

/* Set key to a string; a failure is remembered in *err. json_string()
 * refuses text that is not UTF-8 (an exec.start argument could be). */
static void set_str(json_t *o, const char *key, const char *v, int *err)
{
	json_t *s = json_string(v);

	if (!s)
		*err = -EILSEQ;
	else if (json_object_set_new(o, key, s) < 0)
		*err = -ENOMEM;
}

static void set_int(json_t *o, const char *key, int v, int *err)
{
	if (json_object_set_new(o, key, json_integer(v)) < 0)
		*err = -ENOMEM;
}

static void set_addr(json_t *o, const char *key, const struct addr *a, bool host, int *err)
{
	char b[ADDR_STRLEN];

	set_str(o, key, host ? addr_format_host(a, b, sizeof(b)) : addr_format(a, b, sizeof(b)), err);
}

static void set_mac(json_t *o, const char *key, const uint8_t mac[6], int *err)
{
	char b[18];

	set_str(o, key, mac_format(mac, b, sizeof(b)), err);
}

static void set_argv(json_t *o, const struct model_argv *argv, int *err)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && argv && i < argv->argc; i++) {
		json_t *s = json_string(argv->argv[i]);
		if (!s)
			*err = -EILSEQ;
		else if (json_array_append_new(arr, s) < 0)
			*err = -ENOMEM;
	}
	if (json_object_set_new(o, "argv", arr) < 0)
		*err = -ENOMEM;
}

static void set_u64(json_t *o, const char *key, uint64_t v, int *err)
{
	if (json_object_set_new(o, key, json_integer((json_int_t)v)) < 0)
		*err = -ENOMEM;
}

/* A created jail's confinement: "confined", and for a confined jail its
 * id range ("ids": {"base", "count"}, once leased), "init", "limits"
 * (bytes, tasks, weight: the ones set), "allow" (granted names) and
 * "stop_timeout" (seconds). */
static void jail_confinement(json_t *o, const struct model_jail *j, int *err)
{
	json_t *x;

	if (json_object_set_new(o, "confined", json_boolean(j->confine)) < 0)
		*err = -ENOMEM;
	set_u64(o, "stop_timeout", j->stop_timeout, err);
	if (!j->confine)
		return;
	if (j->idmap.count) {
		x = json_object();
		set_u64(x, "base", j->idmap.base, err);
		set_u64(x, "count", j->idmap.count, err);
		if (json_object_set_new(o, "ids", x) < 0)
			*err = -ENOMEM;
	}
	if (j->init)
		set_str(o, "init", j->init, err);
	x = json_object();
	if (j->limits.memory)
		set_u64(x, "memory", j->limits.memory, err);
	if (j->limits.pids)
		set_u64(x, "pids", j->limits.pids, err);
	if (j->limits.cpu_weight)
		set_u64(x, "cpu_weight", j->limits.cpu_weight, err);
	if (json_object_set_new(o, "limits", x) < 0)
		*err = -ENOMEM;
	x = json_array();
	for (unsigned i = 0; i < MODEL_ALLOW_COUNT; i++)
		if ((j->allow & (1u << i)) && json_array_append_new(x, json_string(model_allow_name(1u << i))) < 0)
			*err = -ENOMEM;
	if (json_object_set_new(o, "allow", x) < 0)
		*err = -ENOMEM;
}

/* The fields that matter for a's kind, in a fixed order. */
static void action_fields(json_t *o, const struct action *a, int *err)
{
	switch (a->kind) {
	case ACTION_JAIL_CREATE:
		set_str(o, "jail", a->target, err);
		if (a->hostname)
			set_str(o, "hostname", a->hostname, err);
		if (a->path)
			set_str(o, "path", a->path, err);
		if (a->jail)
			jail_confinement(o, a->jail, err);
		break;
	case ACTION_JAIL_DESTROY:
		set_str(o, "jail", a->target, err);
		break;
	case ACTION_JAIL_EXEC:
		set_str(o, "jail", a->target, err);
		set_argv(o, a->argv, err);
		break;
	case ACTION_TUNNEL_CREATE:
	case ACTION_TUNNEL_CHANGE:
		set_str(o, "ifname", a->ifname, err);
		if (a->local_auto)
			set_str(o, "local", "auto", err);
		else
			set_addr(o, "local", &a->addr, true, err);
		set_addr(o, "remote", &a->gw, true, err);
		set_int(o, "ttl", a->ttl, err);
		set_int(o, "mtu", a->mtu, err);
		set_str(o, "datapath", model_datapath_name(a->datapath), err);
		if (a->keepalive) {
			set_int(o, "keepalive", a->keepalive, err);
			set_addr(o, "keepalive_to", &a->ka_peer, true, err);
		}
		if (a->reason)
			set_str(o, "reason", a->reason, err);
		break;
	case ACTION_VETH_CREATE:
		set_str(o, "ifname", a->ifname, err);
		set_str(o, "peer", a->peer, err);
		set_str(o, "base", a->base, err);
		if (a->has_mac)
			set_mac(o, "mac", a->mac, err);
		break;
	case ACTION_LINK_SET_MASTER:
		set_str(o, "ifname", a->ifname, err);
		set_str(o, "master", a->peer, err);
		break;
	case ACTION_LINK_SET_NS:
		set_str(o, "ifname", a->ifname, err);
		set_str(o, "jail", a->target, err);
		break;
	case ACTION_LINK_SET_MTU:
		set_str(o, "ifname", a->ifname, err);
		set_int(o, "mtu", a->mtu, err);
		break;
	case ACTION_LINK_SET_MAC:
		set_str(o, "ifname", a->ifname, err);
		set_mac(o, "mac", a->mac, err);
		break;
	case ACTION_ADDR_ADD:
	case ACTION_ADDR_DEL:
		set_str(o, "ifname", a->ifname, err);
		set_addr(o, "address", &a->addr, false, err);
		if (a->gw.family)
			set_addr(o, "peer", &a->gw, true, err);
		break;
	case ACTION_ROUTE_ADD:
	case ACTION_ROUTE_DEL:
		set_addr(o, "destination", &a->addr, false, err);
		if (a->gw.family)
			set_addr(o, "gateway", &a->gw, true, err);
		if (a->ifname[0])
			set_str(o, "dev", a->ifname, err);
		break;
	case ACTION_SYSCTL_SET:
		set_str(o, "key", a->key, err);
		set_str(o, "value", a->value, err);
		break;
	case ACTION_FILTER_CREATE:
	case ACTION_FILTER_DESTROY:
		break;
	case ACTION_FILTER_PORT_SET: {
		json_t *v = json_array();
		char x[ADDR_STRLEN];

		set_str(o, "ifname", a->ifname, err);
		set_str(o, "jail", a->target, err);
		for (size_t i = 0; v && i < a->n_addrs; i++)
			if (a->addrs[i].family == AF_INET6)
				json_array_append_new(v, json_string(addr_format_host(&a->addrs[i], x, sizeof(x))));
		if (!v || json_object_set_new(o, "addresses", v) < 0)
			*err = -ENOMEM;
		break;
	}
	case ACTION_BRIDGE_CREATE:
	case ACTION_LINK_DESTROY:
	case ACTION_LINK_UP:
	default:
		set_str(o, "ifname", a->ifname, err);
		break;
	}
}

/* {"actions":[{"kind":..., "ns":..., fields..., "description":...}, ...]} */
int plan_render_json(FILE *out, const struct plan *p)
{
	json_t *root = json_object(), *arr = json_array();
	char line[512];
	int err = 0;

	if (!root || !arr || json_object_set(root, "actions", arr) < 0) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < p->n_actions && !err; i++) {
		const struct action *a = &p->actions[i];
		json_t *o = json_object();

		if (!o || json_array_append_new(arr, o) < 0) {
			err = -ENOMEM;
			break;
		}
		set_str(o, "kind", action_kind_name(a->kind), &err);
		set_str(o, "ns", a->ns, &err);
		action_fields(o, a, &err);
		set_str(o, "description", action_describe(a, line, sizeof(line)), &err);
	}
	if (!err && (json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0 ||
		     fputc('\n', out) == EOF))
		err = -EIO;
cleanup:
	json_decref(arr);
	json_decref(root);
	return err;
}
