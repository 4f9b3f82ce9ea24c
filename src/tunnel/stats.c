/* The stats file of a tunnel's datapath: JSON, rewritten atomically (its
 * format is in daemon.h) by the datapath's parent with what the datapath
 * sends it (dp_stats.c, ctl.h), and read by status and apply. This is the
 * one writer; jail6-datapath, which links no jansson, has none. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <arpa/inet.h>

#include "tunnel/daemon.h"
#include "util/fs.h"

json_t *tunnel_stats_json(const struct tunnel_stats *s)
{
	json_t *drops = json_object(), *o;

	for (int v = DP_PASS + 1; drops && v < DP_DROP_COUNT; v++)
		json_object_set_new(drops, dp_drop_name((enum dp_verdict)v), json_integer((json_int_t)s->c.drops[v]));
	/* "o" takes the reference to drops, also when packing fails */
	o = json_pack("{s:I,s:s,s:s,s:s,s:i,s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o}",
			 "pid", (json_int_t)s->pid, "name", s->name, "local", s->local, "remote", s->remote,
			 "ttl", s->ttl, "mtu", s->mtu, "started", (json_int_t)s->started,
			 "restarts", (json_int_t)s->restarts, "rx_packets", (json_int_t)s->c.rx_packets,
			 "rx_bytes", (json_int_t)s->c.rx_bytes, "tx_packets", (json_int_t)s->c.tx_packets,
			 "tx_bytes", (json_int_t)s->c.tx_bytes, "ptb_sent", (json_int_t)s->c.ptb_sent,
			 "drops", drops);
	if (o && s->datapath[0])
		json_object_set_new(o, "datapath", json_string(s->datapath));
	if (o && json_object_update_new(o, json_pack("{s:I,s:I,s:i,s:I,s:I}", "updated", (json_int_t)s->updated,
						    "last_rx", (json_int_t)s->last_rx, "keepalive", s->keepalive,
						    "keepalive_sent", (json_int_t)s->ka_sent,
						    "keepalive_replies", (json_int_t)s->ka_replies)) < 0) {
		json_decref(o);
		o = NULL;
	}
	if (o && !strcmp(s->datapath, "ebpf")) {
		json_object_set_new(o, "underlay", json_string(s->underlay));
		json_object_set_new(o, "decap", json_string(s->decap));
		json_object_set_new(o, "tc", json_pack("{s:i,s:i,s:I,s:i}", "underlay", s->tc.underlay, "tun", s->tc.tun,
						       "handle", (json_int_t)s->tc.handle, "own_clsact",
						       (int)s->tc.own_clsact));
	}
	if (o && s->via[0] &&
	    (json_object_set_new(o, "via", json_string(s->via)) < 0 ||
	     json_object_set_new(o, "held", json_boolean(s->held)) < 0)) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

int tunnel_stats_write(const char *path, const struct tunnel_stats *s)
{
	json_t *js = tunnel_stats_json(s);
	char *text = js ? json_dumps(js, JSON_COMPACT) : NULL;
	int r = text ? fs_write_atomic(path, text, strlen(text), 0644) : -ENOMEM;

	free(text);
	json_decref(js);
	return r;
}

/* An integer member of o, or 0. */
static json_int_t jint(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? json_integer_value(v) : 0;
}

/* A string member of o copied into buf, or "". */
static void jstr(json_t *o, const char *key, char *buf, size_t len)
{
	json_t *v = json_object_get(o, key);

	snprintf(buf, len, "%s", json_is_string(v) ? json_string_value(v) : "");
}

int tunnel_stats_read(const char *path, struct tunnel_stats *out)
{
	json_error_t jerr;
	json_t *js, *drops, *tc;
	struct stat st;

	memset(out, 0, sizeof(*out));
	errno = 0;
	js = json_load_file(path, 0, &jerr);
	if (!js)
		return access(path, R_OK) < 0 ? -errno : -EINVAL;
	if (!json_is_object(js)) {
		json_decref(js);
		return -EINVAL;
	}
	out->pid = (pid_t)jint(js, "pid");
	jstr(js, "name", out->name, sizeof(out->name));
	jstr(js, "local", out->local, sizeof(out->local));
	jstr(js, "remote", out->remote, sizeof(out->remote));
	out->ttl = (int)jint(js, "ttl");
	out->mtu = (int)jint(js, "mtu");
	out->started = (int64_t)jint(js, "started");
	out->restarts = (unsigned)jint(js, "restarts");
	out->c.rx_packets = (uint64_t)jint(js, "rx_packets");
	out->c.rx_bytes = (uint64_t)jint(js, "rx_bytes");
	out->c.tx_packets = (uint64_t)jint(js, "tx_packets");
	out->c.tx_bytes = (uint64_t)jint(js, "tx_bytes");
	out->c.ptb_sent = (uint64_t)jint(js, "ptb_sent");
	jstr(js, "via", out->via, sizeof(out->via));
	out->held = json_is_true(json_object_get(js, "held"));
	jstr(js, "datapath", out->datapath, sizeof(out->datapath));
	out->updated = (int64_t)jint(js, "updated");
	/* an older release's file: when it was written is its mtime */
	if (!out->updated && stat(path, &st) == 0)
		out->updated = (int64_t)st.st_mtime;
	out->last_rx = (int64_t)jint(js, "last_rx");
	out->keepalive = (int)jint(js, "keepalive");
	out->ka_sent = (uint64_t)jint(js, "keepalive_sent");
	out->ka_replies = (uint64_t)jint(js, "keepalive_replies");
	jstr(js, "underlay", out->underlay, sizeof(out->underlay));
	jstr(js, "decap", out->decap, sizeof(out->decap));
	tc = json_object_get(js, "tc");
	if (json_is_object(tc)) {
		out->tc.underlay = (int)jint(tc, "underlay");
		out->tc.tun = (int)jint(tc, "tun");
		out->tc.handle = (uint32_t)jint(tc, "handle");
		out->tc.own_clsact = (unsigned)jint(tc, "own_clsact");
	}
	drops = json_object_get(js, "drops");
	for (int v = DP_PASS + 1; json_is_object(drops) && v < DP_DROP_COUNT; v++)
		out->c.drops[v] = (uint64_t)jint(drops, dp_drop_name((enum dp_verdict)v));
	json_decref(js);
	return 0;
}

int64_t tunnel_stats_age(const struct tunnel_stats *s, int64_t now)
{
	if (!s->updated)
		return INT64_MAX;
	return now > s->updated ? now - s->updated : 0;
}
