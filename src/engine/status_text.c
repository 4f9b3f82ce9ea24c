/* The End Result as text: engine_status's JSON document rendered as
 * `jail6 status` prints it and the web UI's dashboard shows it, ifconfig
 * and netstat -r style, so both front ends say the same thing. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "engine/engine.h"
#include "model/addr.h"

/* "2001:db8::1/64" -> "inet6 2001:db8::1 prefixlen 64", as ifconfig shows it. */
static void print_addr(FILE *out, const char *indent, const char *s)
{
	char host[ADDR_STRLEN];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);

	snprintf(host, sizeof(host), "%.*s", (int)n, s);
	if (strchr(host, ':'))
		fprintf(out, "%sinet6 %s prefixlen %s\n", indent, host, slash ? slash + 1 : "128");
	else
		fprintf(out, "%sinet %s/%s\n", indent, host, slash ? slash + 1 : "32");
}

static void print_link(FILE *out, const char *indent, json_t *l)
{
	size_t i;
	json_t *v;

	if (!json_is_true(json_object_get(l, "present"))) {
		fprintf(out, "%s%s: missing\n", indent, json_string_value(json_object_get(l, "name")));
		return;
	}
	fprintf(out, "%s%s: %s mtu %d\n", indent, json_string_value(json_object_get(l, "name")),
	       json_is_true(json_object_get(l, "up")) ? "UP" : "DOWN",
	       (int)json_integer_value(json_object_get(l, "mtu")));
	char in2[32];
	snprintf(in2, sizeof(in2), "%s\t", indent);
	if ((v = json_object_get(l, "ether")))
		fprintf(out, "%sether %s\n", in2, json_string_value(v));
	json_array_foreach(json_object_get(l, "addresses"), i, v)
		print_addr(out, in2, json_string_value(v));
	if ((v = json_object_get(l, "port_filter")))
		fprintf(out, "%sport filter: %s\n", in2, json_string_value(v));
}

/* The userspace or eBPF datapath's counters, one line each for traffic and
 * drops. The eBPF one sends no Packet Too Big (the kernel does): its line
 * names the link it decapsulates on instead. */
static void print_counters(FILE *out, json_t *c)
{
	const char *k, *under = json_string_value(json_object_get(c, "underlay"));
	const char *decap = json_string_value(json_object_get(c, "decap"));
	char tail[96];
	json_t *v;

	if (!c)
		return;
	if (under)
		snprintf(tail, sizeof(tail), "underlay %s, decapsulation in %s", under[0] ? under : "none",
			 decap && !strcmp(decap, "userspace") ? "userspace" : "BPF");
	else
		snprintf(tail, sizeof(tail), "%lld packet-too-big sent", json_integer_value(json_object_get(c, "ptb_sent")));
	fprintf(out, "\tdaemon pid %lld, %lld restarts: rx %lld packets %lld bytes, tx %lld packets %lld bytes, %s\n",
	       json_integer_value(json_object_get(c, "pid")), json_integer_value(json_object_get(c, "restarts")),
	       json_integer_value(json_object_get(c, "rx_packets")), json_integer_value(json_object_get(c, "rx_bytes")),
	       json_integer_value(json_object_get(c, "tx_packets")), json_integer_value(json_object_get(c, "tx_bytes")),
	       tail);
	fprintf(out, "\tdrops:");
	json_object_foreach(json_object_get(c, "drops"), k, v)
		fprintf(out, " %s %lld", k, json_integer_value(v));
	fprintf(out, "\n");
	if (json_is_true(json_object_get(c, "held")))
		fprintf(out, "\theld: the route to the remote is not via %s; nothing is sent (drops: via_down)\n",
		       json_string_value(json_object_get(c, "via")));
}

/* Bytes as "512 B", "1.5 MiB", "32 MiB" (binary units, as limit.memory). */
static void human(char *buf, size_t len, double v)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof(unit) / sizeof(unit[0])) {
		v /= 1024;
		u++;
	}
	if (u == 0 || v == (double)(long long)v)
		snprintf(buf, len, "%lld %s", (long long)v, unit[u]);
	else
		snprintf(buf, len, "%.1f %s", v, unit[u]);
}

/* "limits: memory 1.2 MiB of 32 MiB, pids 3 of 64, cpu weight 50" */
static void print_limits(FILE *out, json_t *l)
{
	json_t *mem = json_object_get(l, "memory"), *pids = json_object_get(l, "pids");
	char cur[32], max[32];

	if (!l)
		return;
	human(cur, sizeof(cur), (double)json_integer_value(json_object_get(mem, "current")));
	if (json_is_integer(json_object_get(mem, "max")))
		human(max, sizeof(max), (double)json_integer_value(json_object_get(mem, "max")));
	else
		snprintf(max, sizeof(max), "no limit");
	fprintf(out, "\tlimits: memory %s of %s, pids %lld of ", cur, max,
	       json_integer_value(json_object_get(pids, "current")));
	if (json_is_integer(json_object_get(pids, "max")))
		fprintf(out, "%lld", json_integer_value(json_object_get(pids, "max")));
	else
		fprintf(out, "no limit");
	fprintf(out, ", cpu weight %lld\n", json_integer_value(json_object_get(l, "cpu_weight")));
}

/* "datapath alive (stats 0 s old), last packet from the remote 3 s ago,
 * keepalive every 30 s: 5 sent, 5 replies" */
static void print_liveness(FILE *out, json_t *l)
{
	const char *dp = json_string_value(json_object_get(l, "datapath"));
	json_t *age = json_object_get(l, "stats_age"), *rx = json_object_get(l, "last_rx_age");
	json_t *ka = json_object_get(l, "keepalive");

	if (!dp)
		return;
	fprintf(out, "\tdatapath %s", !strcmp(dp, "stale") ? "STALE (stopped, hung or failing)" : dp);
	if (json_is_integer(age))
		fprintf(out, " (stats %lld s old)", json_integer_value(age));
	if (json_is_integer(rx))
		fprintf(out, ", last packet from the remote %lld s ago", json_integer_value(rx));
	else
		fprintf(out, ", last packet from the remote: never");
	if (json_is_object(ka))
		fprintf(out, ", keepalive every %lld s: %lld sent, %lld replies",
		       json_integer_value(json_object_get(ka, "interval")), json_integer_value(json_object_get(ka, "sent")),
		       json_integer_value(json_object_get(ka, "replies")));
	fprintf(out, "\n");
}

void engine_status_print(FILE *out, struct json_t *s, const char *conf)
{
	size_t i, k;
	json_t *o, *v;

	json_array_foreach(json_object_get(s, "tunnels"), i, o) {
		fprintf(out, "tunnel ");
		print_link(out, "", o);
		if ((v = json_object_get(o, "datapath")))
			fprintf(out, "\t6in4 %s -> %s, %s datapath%s\n",
			       json_string_value(json_object_get(o, "local")) ? json_string_value(json_object_get(o, "local")) : "?",
			       json_string_value(json_object_get(o, "remote")), json_string_value(v),
			       json_is_false(json_object_get(o, "daemon")) ? " (daemon NOT running)" : "");
		print_liveness(out, json_object_get(o, "liveness"));
		print_counters(out, json_object_get(o, "counters"));
	}
	json_array_foreach(json_object_get(s, "bridges"), i, o) {
		print_link(out, "", o);
		json_array_foreach(json_object_get(o, "members"), k, v)
			fprintf(out, "\tmember: %s\n", json_string_value(v));
	}
	json_array_foreach(json_object_get(s, "jails"), i, o) {
		fprintf(out, "jail %s: %s (hostname %s)\n", json_string_value(json_object_get(o, "name")),
		       json_string_value(json_object_get(o, "state")),
		       json_string_value(json_object_get(o, "hostname")));
		print_limits(out, json_object_get(o, "limits"));
		if (json_object_get(o, "exec_start_log"))
			fprintf(out, "\texec.start has not completed; its output: %s\n",
			       json_string_value(json_object_get(o, "exec_start_log")));
		json_array_foreach(json_object_get(o, "interfaces"), k, v)
			print_link(out, "\t", v);
		if (json_array_size(json_object_get(o, "routes")))
			fprintf(out, "\tDestination                Gateway                    Netif\n");
		json_array_foreach(json_object_get(o, "routes"), k, v) {
			json_t *gw = json_object_get(v, "gateway"), *dev = json_object_get(v, "dev");
			fprintf(out, "\t%-26s %-26s %s\n", json_string_value(json_object_get(v, "destination")),
			       gw ? json_string_value(gw) : "link", dev ? json_string_value(dev) : "");
		}
	}
	if (json_is_true(json_object_get(s, "in_sync"))) {
		fprintf(out, "in sync with %s\n", conf);
		return;
	}
	json_array_foreach(json_object_get(s, "conflicts"), i, v)
		fprintf(out, "conflict: %s\n", json_string_value(v));
	if (!json_array_size(json_object_get(s, "drift")))
		return;
	fprintf(out, "drift from %s: apply would\n", conf);
	json_array_foreach(json_object_get(s, "drift"), i, v)
		fprintf(out, "  %3zu  %s\n", i + 1, json_string_value(v));
}

