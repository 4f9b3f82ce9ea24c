/*
 * jail6 lab up: namespaces and links over jail6's netlink backend, nftables
 * and OpenVPN inside them, jail6 apply at both ends of the tunnel, and the
 * seed's "End Result".
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab/lab.h"
#include "lab/lab_int.h"
#include "util/fs.h"
#include "util/proc.h"
#include "engine/engine.h"
#include "engine/idmap.h"
#include "os/linux/netns.h"

/* Refuse to start unless root, with the programs and valid configs. */
static int preflight(struct lab *l)
{
	static const char *const progs[] = { "openvpn", "nft", "ping", "ip", "busybox" };
	char *dst[] = { l->openvpn, l->nft, l->ping, l->ip, l->busybox };
	char out[4096];

	if (geteuid() != 0)
		return lab_fail(l, -EPERM, "the lab needs root (namespaces, OpenVPN, nftables)");
	if (access(l->jail6, X_OK) < 0)
		return lab_fail(l, -ENOENT, "%s: not found (build it with make, or give --jail6 PATH)", l->jail6);
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		if (lab_find_program(progs[i], dst[i], PATH_MAX) < 0)
			return lab_fail(l, -ENOENT, "%s: not found (scripts/deps installs it)", progs[i]);
	const char *confs[] = { l->host_conf, l->broker_conf };
	for (size_t i = 0; i < 2; i++) {
		const char *argv[] = { "jail6", "-f", confs[i], "check", NULL };
		struct lab_run r = { .prog = l->jail6, .argv = argv, .out = LAB_OUT_CAPTURE, .buf = out,
				     .len = sizeof(out), .timeout_ms = LAB_CMD_MS };
		int rc = lab_spawn(l, &r);
		if (rc < 0)
			return rc;
		if (r.status != 0) {
			out[strcspn(out, "\n")] = '\0';
			/* check's own words name the file (FILE:LINE:COL: ...) */
			if (out[0])
				return lab_fail(l, -EINVAL, "%s", out);
			return lab_fail(l, -EINVAL, "%s: invalid config", confs[i]);
		}
	}
	return 0;
}

bool lab_present(const struct lab *l)
{
	char **names = NULL;
	size_t n = 0;
	struct stat st;

	if (netns_list(l->netns_dir, &names, &n) == 0 && n > 0) {
		netns_list_free(names, n);
		return true;
	}
	netns_list_free(names, n);
	return lstat(l->dir, &st) == 0;
}

/* Wire the namespaces: every action of lab_topology(), in order. */
static int build_topology(struct lab *l)
{
	struct engine *e = NULL;
	struct plan p = { 0 };
	char desc[256];
	int rc;

	rc = lab_topology(&p);
	if (rc < 0)
		return lab_fail(l, rc, "topology: %s", strerror(-rc));
	/* every action names a lab namespace; vps plays the host only so that
	 * nothing could ever reach the machine's own */
	rc = lab_engine(l, LAB_NS_VPS, &e);
	for (size_t i = 0; rc == 0 && i < p.n_actions; i++) {
		struct plan one = { .actions = &p.actions[i], .n_actions = 1 };
		lab_say(l, "  %s", action_describe(&p.actions[i], desc, sizeof(desc)));
		rc = engine_run_actions(e, &one);
		if (rc < 0)
			lab_fail(l, rc, "%s", engine_error(e));
	}
	engine_close(e);
	plan_free(&p);
	return rc;
}

/* Write a ruleset into the lab dir and load it with nft -f in ns. */
static int load_nft(struct lab *l, const char *ns, int (*gen)(char *, size_t))
{
	char text[2048], path[PATH_MAX], name[64], out[4096];
	int rc;

	snprintf(name, sizeof(name), "%s.nft", ns);
	rc = gen(text, sizeof(text));
	if (rc >= 0)
		rc = lab_path(l, name, path, sizeof(path));
	if (rc >= 0)
		rc = fs_write_file(path, text, strlen(text), 0644);
	if (rc < 0)
		return lab_fail(l, rc, "%s: %s", name, strerror(-rc));
	lab_say(l, "  [%s] nft -f %s", ns, path);
	const char *argv[] = { l->nft, "-f", path, NULL };
	rc = lab_run_in(l, ns, argv, LAB_CMD_MS, out, sizeof(out));
	if (rc < 0)
		return rc;
	if (rc != 0) {
		lab_print_block(l, out);
		return lab_fail(l, -EIO, "%s: nft -f %s: exit status %d", ns, path, rc);
	}
	return 0;
}

/* Start one OpenVPN end and wait (bounded) for its pidfile. */
static int start_openvpn(struct lab *l, bool server)
{
	struct lab_openvpn o;
	char out[4096];
	struct proc_id id;
	int rc;

	rc = lab_openvpn(l, server, &o);
	if (rc < 0)
		return lab_fail(l, rc, "openvpn: %s", strerror(-rc));
	o.argv[0] = l->openvpn;
	lab_say(l, "  [%s] openvpn %s (log %s)", o.ns, server ? "server, udp " LAB_VPS_LAN_V4 ":" LAB_VPN_PORT
	    : "client of " LAB_VPS_LAN_V4 ":" LAB_VPN_PORT, o.log);
	rc = lab_run_in(l, o.ns, o.argv, LAB_CMD_MS, out, sizeof(out));
	if (rc < 0)
		return rc;
	if (rc != 0) {
		lab_print_block(l, out);
		return lab_fail(l, -EIO, "%s: openvpn exited with status %d; see %s", o.ns, rc, o.log);
	}
	/* --daemon returns early; the pidfile follows */
	for (long long end = proc_now_ms() + 5000; proc_now_ms() < end; lab_sleep_ms(l, 50))
		if (proc_pidfile_read(o.pid, &id) == 0 && proc_alive(&id))
			return 0;
	return lab_fail(l, -ETIMEDOUT, "%s: openvpn did not start; see %s", o.ns, o.log);
}

/* The VPN: a shared static key, server in vps, client in host, then wait
 * until the client reaches the server over it. */
static int start_vpn(struct lab *l)
{
	char key[PATH_MAX], out[4096];
	int rc;

	rc = lab_path(l, "vpn.key", key, sizeof(key));
	if (rc < 0)
		return lab_fail(l, rc, "vpn.key: %s", strerror(-rc));
	const char *gen[] = { l->openvpn, "--genkey", "secret", key, NULL };
	lab_say(l, "  openvpn --genkey secret %s", key);
	rc = lab_run_in(l, LAB_NS_VPS, gen, LAB_CMD_MS, out, sizeof(out));
	if (rc < 0)
		return rc;
	if (rc != 0) {
		lab_print_block(l, out);
		return lab_fail(l, -EIO, "openvpn --genkey: exit status %d", rc);
	}
	rc = start_openvpn(l, true);
	if (rc == 0)
		rc = start_openvpn(l, false);
	if (rc < 0)
		return rc;
	const char *ping[] = { l->ping, "-c", "1", "-W", "1", LAB_VPN_SERVER_V4, NULL };
	long long end = proc_now_ms() + LAB_VPN_WAIT_MS;
	do {
		rc = lab_run_in(l, LAB_NS_HOST, ping, 5000, NULL, 0);
		if (rc == 0) {
			lab_say(l, "  [host] ping %s: the VPN is up", LAB_VPN_SERVER_V4);
			return 0;
		}
		if (rc < 0)
			return rc;
		lab_sleep_ms(l, 200);
	} while (proc_now_ms() < end && !(l->stop && *l->stop));
	return lab_fail(l, -ETIMEDOUT, "VPN: host cannot reach %s within %d s; see %s/openvpn-*.log",
			LAB_VPN_SERVER_V4, LAB_VPN_WAIT_MS / 1000, l->dir);
}

/* jail6 apply at one end. */
static int apply_end(struct lab *l, const struct lab_end *e)
{
	static const char *const apply[] = { "apply", NULL };
	int rc;

	lab_say_jail6(l, e, "apply");
	rc = lab_run_jail6(l, e, apply, LAB_OUT_INHERIT, NULL, 0, LAB_APPLY_MS, true);
	if (rc > 0)
		return lab_fail(l, -EIO, "jail6 apply (%s, namespace %s): exit status %d", e->what,
				e->ns, rc);
	return rc;
}

/* The seed's "End Result": status, the jail's routing table, ping6. */
static int end_result(struct lab *l)
{
	static const char *const status[] = { "status", NULL };
	char ip[PATH_MAX];
	int rc;

	lab_say(l, "\n== End Result");
	lab_say_jail6(l, &lab_host_end, "status");
	rc = lab_run_jail6(l, &lab_host_end, status, LAB_OUT_INHERIT, NULL, 0, LAB_CMD_MS, true);
	if (rc < 0)
		return rc;
	if (lab_find_program("ip", ip, sizeof(ip)) == 0) {
		const char *route[] = { "exec", "www", ip, "-6", "route", "show", NULL };
		lab_say_jail6(l, &lab_host_end, "exec www ip -6 route");
		rc = lab_run_jail6(l, &lab_host_end, route, LAB_OUT_INHERIT, NULL, 0, LAB_CMD_MS, true);
		if (rc < 0)
			return rc;
	}
	const char *ping[] = { "exec", "www", l->ping, "-6", "-c", "3", "-i", "0.3", "-W", "2",
			       LAB_REMOTE_V6, NULL };
	lab_say_jail6(l, &lab_host_end, "exec www ping -6 -c 3 " LAB_REMOTE_V6);
	rc = lab_run_jail6(l, &lab_host_end, ping, LAB_OUT_INHERIT, NULL, 0, LAB_CMD_MS, true);
	if (rc < 0)
		return rc;
	if (rc != 0)
		return lab_fail(l, -EHOSTUNREACH, "jail www cannot ping %s (exit status %d)",
				LAB_REMOTE_V6, rc);
	return 0;
}

/* Step (a function) unless stopped; on failure the message gets the step's name. */
static int step(struct lab *l, const char *title, int (*fn)(struct lab *))
{
	int rc;

	if (l->stop && *l->stop)
		return lab_fail(l, -EINTR, "interrupted");
	lab_say(l, "\n== %s", title);
	rc = fn(l);
	if (rc == -EINTR)
		return lab_fail(l, rc, "interrupted during: %s", title);
	return rc;
}

static int up_dirs(struct lab *l)
{
	int rc = fs_mkdir_p(l->dir, 0755, 0755);

	/* the lab dir is a shared mount point of its own: what jail6 binds
	 * below it from the lab's mount namespace (up_ids) is seen from the
	 * machine's too, and down, run from there, finds it */
	if (rc == 0)
		rc = netns_make_mount_point(l->dir, MS_SHARED);
	if (rc < 0)
		return lab_fail(l, rc, "%s: %s", l->dir, strerror(-rc));
	rc = netns_make_mount_point(l->netns_dir, MS_SHARED);
	/* a peer group of its own (made inside the shared lab dir, it joined
	 * the dir's, and every namespace bound in it would be bound a second
	 * time, hidden, under it) */
	if (rc == 0 && (mount(NULL, l->netns_dir, NULL, MS_PRIVATE, NULL) < 0 ||
			mount(NULL, l->netns_dir, NULL, MS_SHARED, NULL) < 0))
		rc = -errno;
	if (rc < 0)
		return lab_fail(l, rc, "%s: %s", l->netns_dir, strerror(-rc));
	lab_say(l, "  %s (namespaces in %s)", l->dir, l->netns_dir);
	rc = lab_copy_conf(l, l->host_conf, lab_host_end.conf_name);
	if (rc == 0)
		rc = lab_copy_conf(l, l->broker_conf, lab_broker_end.conf_name);
	return rc;
}

static int up_namespaces(struct lab *l)
{
	for (size_t i = 0; i < sizeof(lab_all_ns) / sizeof(lab_all_ns[0]); i++) {
		int rc = netns_create(l->netns_dir, lab_all_ns[i]);
		if (rc < 0)
			return lab_fail(l, rc, "namespace %s: %s", lab_all_ns[i], strerror(-rc));
		lab_say(l, "  %s", lab_all_ns[i]);
	}
	return 0;
}

static int up_nat(struct lab *l)
{
	int rc = load_nft(l, LAB_NS_VPS, lab_nft_vps);

	return rc < 0 ? rc : load_nft(l, LAB_NS_HOST, lab_nft_host);
}

/* The mount holding path's file: the highest directory above it (or path
 * itself, when the file is a mount of its own) on the same mount. */
static int mount_of(const char *path, char *mp, size_t len)
{
	struct statx sx;
	char cur[PATH_MAX];
	uint64_t id;

	if (!realpath(path, cur))
		return -errno;
	if (statx(AT_FDCWD, cur, 0, STATX_MNT_ID, &sx) < 0)
		return -errno;
	if (!(sx.stx_mask & STATX_MNT_ID))
		return -ENOTSUP;
	id = sx.stx_mnt_id;
	snprintf(mp, len, "%s", cur);
	while (strcmp(cur, "/") != 0) {
		char *up = dirname(cur);   /* in place: cur holds the parent */
		if (up != cur)
			memmove(cur, up, strlen(up) + 1);
		if (statx(AT_FDCWD, cur, AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &sx) < 0)
			return -errno;
		if (sx.stx_mnt_id != id)
			break;
		snprintf(mp, len, "%s", cur);
	}
	return 0;
}

/*
 * The jails' id ranges. Where newuidmap is installed (the uidmap package),
 * liblxc maps a jail's ids through it, also as root, and newuidmap wants
 * root's range in /etc/subuid and /etc/subgid. The lab does not edit the
 * machine's files: this process moves into a mount namespace of its own,
 * where a file of the lab's (DIR/subid, root: jail6's default pool) is
 * bound over both. The jail6 it runs from now on, and so the jails'
 * monitors, live there; the mounts of the lab dir are shared with the
 * machine's namespace (up_dirs), the bind over /etc is not: the mount
 * holding each file becomes a slave first (it receives, never sends).
 */
static int up_ids(struct lab *l)
{
	static const char *const files[] = { IDMAP_SUBUID, IDMAP_SUBGID };
	char prog[PATH_MAX], subid[PATH_MAX], line[64], mp[PATH_MAX];
	int rc;

	if (lab_find_program("newuidmap", prog, sizeof(prog)) < 0) {
		lab_say(l, "  newuidmap is not installed: liblxc maps the ids itself, nothing to delegate");
		return 0;
	}
	snprintf(line, sizeof(line), "root:%u:%u\n", IDMAP_POOL_BASE, IDMAP_POOL_SIZE);
	rc = lab_path(l, "subid", subid, sizeof(subid));
	if (rc == 0)
		rc = fs_write_file(subid, line, strlen(line), 0644);
	if (rc < 0)
		return lab_fail(l, rc, "%s: %s", subid, strerror(-rc));
	if (unshare(CLONE_NEWNS) < 0)
		return lab_fail(l, -errno, "a mount namespace for the lab: %s", strerror(errno));
	for (size_t i = 0; i < 2; i++) {
		rc = mount_of(files[i], mp, sizeof(mp));
		if (rc < 0)
			return lab_fail(l, rc, "%s: %s (newuidmap is installed and reads it)", files[i],
					strerror(-rc));
		if (mount(NULL, mp, NULL, MS_SLAVE, NULL) < 0)
			return lab_fail(l, -errno, "%s: make it a slave mount: %s", mp, strerror(errno));
		if (mount(subid, files[i], NULL, MS_BIND, NULL) < 0)
			return lab_fail(l, -errno, "bind %s over %s: %s", subid, files[i], strerror(errno));
	}
	lab_say(l, "  newuidmap is installed: %s (%.*s) bound over %s and %s in a mount namespace of the lab's",
		subid, (int)strlen(line) - 1, line, IDMAP_SUBUID, IDMAP_SUBGID);
	return 0;
}

static int up_broker(struct lab *l)
{
	return apply_end(l, &lab_broker_end);
}

static int up_host(struct lab *l)
{
	return apply_end(l, &lab_host_end);
}

int lab_up(struct lab *l)
{
	int rc;

	rc = preflight(l);
	if (rc < 0)
		return rc;
	if (lab_present(l))
		return lab_fail(l, -EEXIST, "a lab is already (partly) up in %s: jail6 lab down first",
				l->dir);
	rc = step(l, "lab directory and configs", up_dirs);
	if (rc == 0)
		rc = step(l, "namespaces: internet, remote, vps, host", up_namespaces);
	if (rc == 0)
		rc = step(l, "links, addresses, routes, forwarding", build_topology);
	if (rc == 0)
		rc = step(l, "nftables: NAT in vps, no ICMP echo on the host's WAN", up_nat);
	if (rc == 0)
		rc = step(l, "OpenVPN: server in vps, client in host", start_vpn);
	if (rc == 0)
		rc = step(l, "broker: jail6 apply in namespace internet", up_broker);
	if (rc == 0)
		rc = step(l, "the jails' ids: /etc/subuid and /etc/subgid of the lab's own", up_ids);
	if (rc == 0)
		rc = step(l, "host: jail6 apply in namespace host", up_host);
	if (rc == 0 && !(l->stop && *l->stop))
		rc = end_result(l);
	else if (rc == 0)
		rc = lab_fail(l, -EINTR, "interrupted");
	return rc;
}

