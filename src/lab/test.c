/*
 * jail6 lab test: a clean slate, the lab up, one assertion per property of
 * the seed's world (each printed as "ok NAME" or "not ok NAME # why"), the
 * lab down again, and a check that nothing was left behind.
 */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "lab/lab.h"
#include "lab/lab_int.h"
#include "util/proc.h"
#include "os/linux/netns.h"

#define LAB_CHECK_MS 30000

/* One assertion's verdict, printed at once. A check cut short by SIGINT or
 * SIGTERM says nothing (unless always): "interrupted" says it for all. */
__attribute__((format(printf, 5, 6)))
static void report(struct lab *l, int *failed, bool always, bool ok, const char *fmt, ...)
{
	va_list ap;

	if (!always && l->stop && *l->stop)
		return;
	if (!ok)
		(*failed)++;
	if (!l->out)
		return;
	fputs(ok ? "ok " : "not ok ", l->out);
	va_start(ap, fmt);
	vfprintf(l->out, fmt, ap);
	va_end(ap);
	fputc('\n', l->out);
	fflush(l->out);
}

#define verdict(l, failed, ok, ...) report(l, failed, false, ok, __VA_ARGS__)

/* Run argv in ns; 0 on exit status 0. Output captured into buf. */
static int run(struct lab *l, const char *ns, const char *const *argv, char *buf, size_t len)
{
	return lab_run_in(l, ns, argv, LAB_CHECK_MS, buf, len);
}

/* ping (IPv4 or IPv6) from ns to dst: 0 when at least one reply came. */
static int ping(struct lab *l, const char *ns, const char *dst, const char *count)
{
	const char *argv[] = { l->ping, strchr(dst, ':') ? "-6" : "-4", "-c", count, "-i", "0.3",
			       "-W", "2", dst, NULL };
	char out[4096];

	return run(l, ns, argv, out, sizeof(out));
}

/* The packets counted by the rules of the lab's nft table in ns. */
static int nft_packets(struct lab *l, const char *ns, const char *family,
		       unsigned long long *packets)
{
	const char *argv[] = { l->nft, "-j", "list", "table", family, LAB_NFT_TABLE, NULL };
	char *out = malloc(65536);
	int rc;

	if (!out)
		return -ENOMEM;
	rc = run(l, ns, argv, out, 65536);
	if (rc == 0)
		rc = lab_nft_counter_sum(out, packets);
	else if (rc > 0)
		rc = -EIO;
	free(out);
	return rc;
}

/* The route a namespace's kernel picks toward a destination. */
struct lab_route {
	char gw[ADDR_STRLEN];    /* "" = on-link */
	char dev[32];
};

/* Ask ns's kernel (`ip -j route get DST`) for its route to dst: 0, or
 * -ENETUNREACH when it has none. */
static int route_get(struct lab *l, const char *ns, const char *dst, struct lab_route *r)
{
	const char *argv[] = { l->ip, "-j", "route", "get", dst, NULL };
	char out[4096];
	json_t *js, *o;
	int rc;

	memset(r, 0, sizeof(*r));
	rc = run(l, ns, argv, out, sizeof(out));
	if (rc < 0)
		return rc;
	if (rc > 0)
		return strstr(out, "unreachable") ? -ENETUNREACH : -EIO;
	js = json_loads(out, 0, NULL);
	o = json_array_get(js, 0);
	if (!json_is_object(o)) {
		json_decref(js);
		return -EIO;
	}
	if (json_is_string(json_object_get(o, "gateway")))
		snprintf(r->gw, sizeof(r->gw), "%s", json_string_value(json_object_get(o, "gateway")));
	if (json_is_string(json_object_get(o, "dev")))
		snprintf(r->dev, sizeof(r->dev), "%s", json_string_value(json_object_get(o, "dev")));
	json_decref(js);
	return 0;
}

/* The VPN carries traffic: the client reaches the server's tunnel address. */
static void check_vpn(struct lab *l, int *failed)
{
	int rc = ping(l, LAB_NS_HOST, LAB_VPN_SERVER_V4, "3");

	verdict(l, failed, rc == 0, "vpn-up # host pings %s over %s%s", LAB_VPN_SERVER_V4,
		LAB_IF_VPN, rc == 0 ? "" : ": no reply");
}

/* `route -host BROKER VIA`: jail6 routed the broker through the VPN. */
static void check_broker_route(struct lab *l, int *failed)
{
	struct lab_route r;
	int rc = route_get(l, LAB_NS_HOST, LAB_BROKER_V4, &r);
	bool ok = rc == 0 && !strcmp(r.gw, LAB_VPN_SERVER_V4) && !strcmp(r.dev, LAB_IF_VPN);

	verdict(l, failed, ok, "broker-route-via-vpn # host: %s via %s dev %s%s%s", LAB_BROKER_V4,
		LAB_VPN_SERVER_V4, LAB_IF_VPN, ok ? "" : ": the kernel picks gateway ",
		ok ? "" : r.gw[0] ? r.gw : "none");
}

/* NAT: the internet has no route back to the VPN's network, so a reply
 * from the broker to the host can only arrive if the VPS masqueraded. */
static void check_nat(struct lab *l, int *failed)
{
	unsigned long long before = 0, after = 0;
	struct lab_route r;
	int rc, back;

	back = route_get(l, LAB_NS_INTERNET, LAB_VPN_CLIENT_V4, &r);
	nft_packets(l, LAB_NS_VPS, "ip", &before);
	rc = ping(l, LAB_NS_HOST, LAB_BROKER_V4, "3");
	int crc = nft_packets(l, LAB_NS_VPS, "ip", &after);
	bool ok = rc == 0 && back == -ENETUNREACH && crc == 0 && after > before;
	verdict(l, failed, ok, "nat-to-broker # host pings %s through the VPS's masquerade%s%s%s",
		LAB_BROKER_V4, rc == 0 ? "" : ": no reply",
		back == -ENETUNREACH ? "" : "; internet has a route back to " LAB_VPN_CLIENT_V4,
		crc == 0 && after > before ? "" : "; the masquerade rule counted nothing");
}

/* The seed's WAN does not answer pings: here the host's nft rule drops them. */
static void check_wan(struct lab *l, int *failed)
{
	unsigned long long before = 0, after = 0;
	int rc, crc;

	nft_packets(l, LAB_NS_HOST, "inet", &before);
	rc = ping(l, LAB_NS_VPS, LAB_HOST_WAN_V4, "2");
	crc = nft_packets(l, LAB_NS_HOST, "inet", &after);
	/* the counter proves the echo requests arrived and were dropped,
	 * rather than lost on a broken link */
	bool ok = rc != 0 && crc == 0 && after >= before + 2;
	verdict(l, failed, ok, "wan-drops-echo # vps pings %s: no answer, %llu dropped%s", LAB_HOST_WAN_V4,
		after - before, rc == 0 ? "; but it answered" : "");
}

/* A tunnel daemon runs: its pidfile names a live process, its stats parse. */
static void check_daemon(struct lab *l, int *failed, const char *ns, const char *name)
{
	char pidf[PATH_MAX], statf[PATH_MAX], why[PATH_MAX + 64] = "";
	struct proc_id id = { 0 };
	json_t *js = NULL;

	lab_tunnel_file(l, ns, name, "pid", pidf, sizeof(pidf));
	lab_tunnel_file(l, ns, name, "stats", statf, sizeof(statf));
	if (proc_pidfile_read(pidf, &id) < 0)
		snprintf(why, sizeof(why), ": no pid file %s", pidf);
	else if (!proc_alive(&id))
		snprintf(why, sizeof(why), ": pid %ld is not running", (long)id.pid);
	else if (!(js = json_load_file(statf, 0, NULL)) || !json_is_object(js))
		snprintf(why, sizeof(why), ": no stats in %s", statf);
	verdict(l, failed, !why[0], "tunnel-daemon-%s # %s in namespace %s, pid %ld%s", name, name, ns,
		(long)id.pid, why);
	json_decref(js);
}

/* Read one counter of a tunnel's stats file; -1 when unreadable. */
static long long stat_counter(struct lab *l, const char *ns, const char *name, const char *key)
{
	char statf[PATH_MAX];
	json_t *js, *v;
	long long n = -1;

	lab_tunnel_file(l, ns, name, "stats", statf, sizeof(statf));
	js = json_load_file(statf, 0, NULL);
	v = json_object_get(js, key);
	if (json_is_integer(v))
		n = json_integer_value(v);
	json_decref(js);
	return n;
}

/* The pings went through the userspace datapath at both ends: the
 * counters grew (stats are rewritten about once a second). */
static void check_counters(struct lab *l, int *failed, const char *ns, const char *name)
{
	long long rx = -1, tx = -1;

	for (long long end = proc_now_ms() + 3000; proc_now_ms() < end; lab_sleep_ms(l, 250)) {
		rx = stat_counter(l, ns, name, "rx_packets");
		tx = stat_counter(l, ns, name, "tx_packets");
		if (rx > 0 && tx > 0)
			break;
	}
	verdict(l, failed, rx > 0 && tx > 0, "tunnel-traffic-%s # %s decapsulated %lld, encapsulated %lld",
		name, name, rx, tx);
}

/* `jail6 exec JAIL ping -6 REMOTE`, as the seed's jexec ... ping6. */
static void check_jail_ping(struct lab *l, int *failed, const char *jail)
{
	const char *argv[] = { "exec", jail, l->ping, "-6", "-c", "3", "-i", "0.3", "-W", "2",
			       LAB_REMOTE_V6, NULL };
	char out[4096];
	int rc;

	rc = lab_run_jail6(l, &lab_host_end, argv, LAB_OUT_CAPTURE, out, sizeof(out), LAB_CHECK_MS,
			   true);
	verdict(l, failed, rc == 0, "jail-%s-ping6-remote # jail6 exec %s ping -6 %s%s", jail, jail,
		LAB_REMOTE_V6, rc == 0 ? "" : ": no reply");
	if (rc != 0)
		lab_print_block(l, rc < 0 ? l->err : out);
}

/* `jail6 status` of one end: exit 0, the host matches its config. */
static void check_status(struct lab *l, int *failed, const struct lab_end *e)
{
	static const char *const argv[] = { "status", NULL };
	char *out = malloc(65536);
	int rc;

	if (!out) {
		verdict(l, failed, false, "status-%s # out of memory", e->what);
		return;
	}
	rc = lab_run_jail6(l, e, argv, LAB_OUT_CAPTURE, out, 65536, LAB_CHECK_MS, true);
	verdict(l, failed, rc == 0, "status-%s # jail6 status in %s exits %d", e->what, e->ns, rc);
	if (rc != 0)
		lab_print_block(l, rc < 0 ? l->err : out);
	free(out);
}

/* The remote host reaches a jail: the broker routes the host's prefix. */
static void check_remote_ping(struct lab *l, int *failed)
{
	int rc = ping(l, LAB_NS_REMOTE, "2001:db8:1::3", "3");

	verdict(l, failed, rc == 0, "remote-ping6-www # remote %s pings jail www 2001:db8:1::3 "
		"through the broker's routed prefix%s", LAB_REMOTE_V6, rc ? ": no reply" : "");
}

/* The page of jail www's httpd (exec.start), fetched over IPv6 with
 * busybox wget from jail db (over bridge0) or from the remote host
 * (through the tunnel): 0 when the page came. A few tries within 10 s
 * (each bounded by LAB_CHECK_MS); out gets the last output. */
static int fetch_www(struct lab *l, const char *from, char *out, size_t len)
{
	const char *wget[] = { l->busybox, "wget", "-q", "-O", "-", LAB_WWW_URL, NULL };
	const char *jexec[] = { "exec", "db", l->busybox, "wget", "-q", "-O", "-", LAB_WWW_URL, NULL };
	long long end = proc_now_ms() + 10000;
	int rc;

	do {
		if (!strcmp(from, "db"))
			rc = lab_run_jail6(l, &lab_host_end, jexec, LAB_OUT_CAPTURE, out, len, LAB_CHECK_MS,
					   true);
		else
			rc = run(l, from, wget, out, len);
		if (rc == 0 && strstr(out, LAB_WWW_PAGE))
			return 0;
		if (rc < 0 || (l->stop && *l->stop))
			return rc < 0 ? rc : -EINTR;
		lab_sleep_ms(l, 500);
	} while (proc_now_ms() < end);
	return rc == 0 ? -EBADMSG : rc;
}

static void check_http(struct lab *l, int *failed, const char *from, const char *how)
{
	char out[4096] = "";
	int rc = fetch_www(l, from, out, sizeof(out));

	verdict(l, failed, rc == 0, "http-www-from-%s # %s fetches %s (busybox httpd started by www's "
		"exec.start) %s%s", from, from, LAB_WWW_URL, how,
		rc == 0 ? "" : rc == -EBADMSG ? ": not the page \"" LAB_WWW_PAGE "\"" : ": no answer");
	if (rc != 0)
		lab_print_block(l, rc < 0 && rc != -EBADMSG ? l->err : out);
}

/* The pids of the lab's daemons, to prove they are gone after down. */
struct lab_pids {
	struct proc_id id[8];
	size_t n;
};

static void collect_pids(struct lab *l, struct lab_pids *p)
{
	char path[PATH_MAX];
	struct lab_openvpn o;

	p->n = 0;
	for (int server = 0; server < 2; server++)
		if (lab_openvpn(l, server, &o) == 0 && proc_pidfile_read(o.pid, &p->id[p->n]) == 0)
			p->n++;
	if (lab_tunnel_file(l, LAB_NS_HOST, LAB_TUNNEL_HOST, "pid", path, sizeof(path)) == 0 &&
	    proc_pidfile_read(path, &p->id[p->n]) == 0)
		p->n++;
	if (lab_tunnel_file(l, LAB_NS_INTERNET, LAB_TUNNEL_BROKER, "pid", path, sizeof(path)) == 0 &&
	    proc_pidfile_read(path, &p->id[p->n]) == 0)
		p->n++;
}

/* After down: no namespace, mount, directory or daemon of the lab is left. */
static void check_clean(struct lab *l, int *failed, const struct lab_pids *p)
{
	char why[256] = "";
	char **names = NULL;
	size_t n = 0;
	struct stat st;

	for (size_t i = 0; i < p->n && !why[0]; i++)
		if (proc_alive(&p->id[i]))
			snprintf(why, sizeof(why), ": daemon pid %ld still runs", (long)p->id[i].pid);
	if (!why[0] && netns_list(l->netns_dir, &names, &n) == 0 && n > 0)
		snprintf(why, sizeof(why), ": namespace %s is left", names[0]);
	netns_list_free(names, n);
	if (!why[0] && lstat(l->dir, &st) == 0)
		snprintf(why, sizeof(why), ": %s is left", l->dir);
	report(l, failed, true, !why[0], "nothing-left # no namespace, mount, file or daemon of the lab%s",
		why);
}

/* Stop the assertions once a signal asked to (the lab still goes down). */
#define UNLESS_STOPPED(l) do { if ((l)->stop && *(l)->stop) goto down; } while (0)

int lab_test(struct lab *l, int *failed)
{
	struct lab_pids pids = { .n = 0 };
	int rc;

	*failed = 0;
	rc = lab_down(l);
	verdict(l, failed, rc == 0, "clean-slate # lab down before the test%s%s", rc ? ": " : "",
		rc ? l->err : "");
	if (rc < 0)
		return 0;
	UNLESS_STOPPED(l);
	rc = lab_up(l);
	UNLESS_STOPPED(l);
	verdict(l, failed, rc == 0, "lab-up # namespaces, VPN, NAT, both ends applied, www pings %s%s%s",
		LAB_REMOTE_V6, rc ? ": " : "", rc ? l->err : "");
	/* every assertion runs even after a failed up: more clues per run */
	check_vpn(l, failed);
	UNLESS_STOPPED(l);
	check_broker_route(l, failed);
	check_nat(l, failed);
	UNLESS_STOPPED(l);
	check_wan(l, failed);
	UNLESS_STOPPED(l);
	check_daemon(l, failed, LAB_NS_INTERNET, LAB_TUNNEL_BROKER);
	check_daemon(l, failed, LAB_NS_HOST, LAB_TUNNEL_HOST);
	check_jail_ping(l, failed, "www");
	UNLESS_STOPPED(l);
	check_jail_ping(l, failed, "db");
	UNLESS_STOPPED(l);
	check_remote_ping(l, failed);
	UNLESS_STOPPED(l);
	check_http(l, failed, "db", "over bridge0");
	UNLESS_STOPPED(l);
	check_http(l, failed, LAB_NS_REMOTE, "through the tunnel");
	UNLESS_STOPPED(l);
	check_counters(l, failed, LAB_NS_HOST, LAB_TUNNEL_HOST);
	check_counters(l, failed, LAB_NS_INTERNET, LAB_TUNNEL_BROKER);
	UNLESS_STOPPED(l);
	check_status(l, failed, &lab_host_end);
	UNLESS_STOPPED(l);
	check_status(l, failed, &lab_broker_end);
down:
	if (l->stop && *l->stop)
		report(l, failed, true, false, "interrupted # the remaining checks were skipped; the lab goes down");
	collect_pids(l, &pids);
	rc = lab_down(l);
	report(l, failed, true, rc == 0, "lab-down%s%s", rc ? " # " : "", rc ? l->err : "");
	check_clean(l, failed, &pids);
	return 0;
}
