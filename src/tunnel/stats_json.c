/* The stats of the userspace datapath as JSON: the one form they take in
 * the stats file and in `jail6 status --json`. */
#include <jansson.h>

#include "tunnel/daemon.h"

json_t *tunnel_stats_json(const struct tunnel_stats *s)
{
	json_t *drops = json_object();

	for (int v = DP_PASS + 1; drops && v < DP_DROP_COUNT; v++)
		json_object_set_new(drops, dp_drop_name((enum dp_verdict)v), json_integer((json_int_t)s->c.drops[v]));
	return json_pack("{s:I,s:s,s:s,s:s,s:i,s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o}",
			 "pid", (json_int_t)s->pid, "name", s->name, "local", s->local, "remote", s->remote,
			 "ttl", s->ttl, "mtu", s->mtu, "started", (json_int_t)s->started,
			 "restarts", (json_int_t)s->restarts, "rx_packets", (json_int_t)s->c.rx_packets,
			 "rx_bytes", (json_int_t)s->c.rx_bytes, "tx_packets", (json_int_t)s->c.tx_packets,
			 "tx_bytes", (json_int_t)s->c.tx_bytes, "ptb_sent", (json_int_t)s->c.ptb_sent,
			 "drops", drops);
}
