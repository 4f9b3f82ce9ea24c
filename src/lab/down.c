/*
 * jail6 lab down and status: take the lab apart from whatever state it is
 * in (jail6 destroy at both ends, the daemons, the namespaces, the mounts,
 * the files), and report what is up.
 */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab/lab.h"
#include "lab/lab_int.h"
#include "util/proc.h"
#include "engine/engine.h"
#include "os/linux/netns.h"

/* Stop the daemon of a pidfile if it is the lab's; the pidfile goes too. */
static int stop_pidfile(struct lab *l, const char *path, const char *what)
{
	struct proc_id id;
	int rc = proc_pidfile_read(path, &id);

	if (rc == -ENOENT)
		return 0;
	if (rc == 0) {
		rc = lab_pid_stop(l, &id, LAB_DAEMON_STOP_MS);
		if (rc == 0)
			lab_say(l, "  %s: stopped pid %ld", what, (long)id.pid);
		else if (rc == -EPERM)
			lab_say(l, "  %s: pid %ld is not the lab's: left alone", what, (long)id.pid);
		if (rc == -ESRCH || rc == -EPERM)
			rc = 0;
	} else if (rc == -EINVAL) {
		rc = 0;   /* garbage: nothing to stop */
	}
	if (rc < 0)
		return lab_fail(l, rc, "%s (pid file %s): %s", what, path, strerror(-rc));
	unlink(path);
	return 0;
}

/* Stop every tunnel daemon whose pidfile is in an end's run dir
 * (DIR/STATE/run/tunnel/NAME.pid). */
static int stop_tunnels(struct lab *l)
{
	const struct lab_end *ends[] = { &lab_host_end, &lab_broker_end };
	int first = 0;

	for (size_t i = 0; i < 2; i++) {
		char base[PATH_MAX], sub[64];
		struct dirent *f;
		DIR *d;

		snprintf(sub, sizeof(sub), "%s/run/tunnel", ends[i]->state_name);
		if (lab_path(l, sub, base, sizeof(base)) < 0 || !(d = opendir(base)))
			continue;
		while ((f = readdir(d))) {
			size_t n = strlen(f->d_name);
			char path[PATH_MAX * 2], what[600];
			int rc;
			if (n < 5 || strcmp(f->d_name + n - 4, ".pid") != 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", base, f->d_name);
			snprintf(what, sizeof(what), "tunnel %.*s (%s)", (int)(n - 4), f->d_name, ends[i]->what);
			rc = stop_pidfile(l, path, what);
			if (rc < 0 && !first)
				first = rc;
		}
		closedir(d);
	}
	return first;
}

/* Mount points at or below dir, from /proc/self/mountinfo, in the order
 * they were mounted (the caller unmounts from the end). */
static int mounts_below(const char *dir, char ***out, size_t *n)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	size_t dl = strlen(dir), cap = 0;
	char line[4096];
	int rc = 0;

	*out = NULL;
	*n = 0;
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char mp[PATH_MAX], dec[PATH_MAX];
		size_t k = 0;
		/* field 5 is the mount point, octal-escaped (\040 for a space) */
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
			continue;
		for (size_t i = 0; mp[i] && k + 1 < sizeof(dec); i++) {
			if (mp[i] == '\\' && mp[i + 1] >= '0' && mp[i + 1] <= '3' && mp[i + 2] >= '0' &&
			    mp[i + 2] <= '7' && mp[i + 3] >= '0' && mp[i + 3] <= '7') {
				dec[k++] = (char)((mp[i + 1] - '0') * 64 + (mp[i + 2] - '0') * 8 + (mp[i + 3] - '0'));
				i += 3;
			} else {
				dec[k++] = mp[i];
			}
		}
		dec[k] = '\0';
		if (strncmp(dec, dir, dl) != 0 || (dec[dl] != '\0' && dec[dl] != '/'))
			continue;
		if (*n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			char **v = realloc(*out, nc * sizeof(*v));
			if (!v) {
				rc = -ENOMEM;
				break;
			}
			*out = v;
			cap = nc;
		}
		if (!((*out)[*n] = strdup(dec))) {
			rc = -ENOMEM;
			break;
		}
		(*n)++;
	}
	fclose(f);
	/* later lines are mounted later, on top: unmount from the end */
	return rc;
}

/* Unmount everything at or below the lab dir (a few passes: stacked mounts). */
static int unmount_all(struct lab *l)
{
	int rc = 0;

	for (int pass = 0; pass < 5; pass++) {
		char **m = NULL;
		size_t n = 0;
		rc = mounts_below(l->dir, &m, &n);
		for (size_t i = n; i-- > 0;) {
			if (umount2(m[i], MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT && rc == 0)
				rc = lab_fail(l, -errno, "unmount %s: %s", m[i], strerror(errno));
			free(m[i]);
		}
		free(m);
		if (n == 0)
			return rc;
	}
	return rc ? rc : lab_fail(l, -EBUSY, "%s: mounts remain after 5 passes", l->dir);
}

/* nftw callback: remove one entry, bottom-up, never leaving the file system. */
static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		return rmdir(path) < 0 && errno != ENOENT ? -1 : 0;
	return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

/* Remove what the lab wrote: the known names only, then the (then empty)
 * directory. Anything else someone put there stays, and so does the dir. */
static int remove_files(struct lab *l)
{
	static const char *const trees[] = { "netns", "jail6", "state-host", "state-broker" };
	static const char *const files[] = {
		"host.conf", "broker.conf", "vpn.key", "subid", "vps.nft", "host.nft",
		"openvpn-vps.pid", "openvpn-vps.log", "openvpn-host.pid", "openvpn-host.log",
	};
	char path[PATH_MAX];
	struct stat st;

	for (size_t i = 0; i < sizeof(trees) / sizeof(trees[0]); i++)
		if (lab_path(l, trees[i], path, sizeof(path)) == 0 && lstat(path, &st) == 0 &&
		    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) != 0)
			return lab_fail(l, -errno ? -errno : -EIO, "remove %s: %s", path,
					strerror(errno ? errno : EIO));
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (lab_path(l, files[i], path, sizeof(path)) == 0 && unlink(path) < 0 && errno != ENOENT)
			return lab_fail(l, -errno, "remove %s: %s", path, strerror(errno));
	if (rmdir(l->dir) < 0 && errno != ENOENT)
		return lab_fail(l, -errno, "remove %s: %s", l->dir, strerror(errno));
	return 0;
}

/* jail6 destroy at one end, when that end was ever applied. */
static int destroy_end(struct lab *l, const struct lab_end *e)
{
	static const char *const destroy[] = { "destroy", NULL };
	struct lab_end_paths p;
	struct stat st;
	int rc = lab_end_paths_get(l, e, &p);

	if (rc < 0 || stat(p.conf, &st) < 0 || stat(p.state, &st) < 0 ||
	    !netns_exists(l->netns_dir, e->ns))
		return 0;
	lab_say_jail6(l, e, "destroy");
	rc = lab_run_jail6(l, e, destroy, LAB_OUT_INHERIT, NULL, 0, LAB_APPLY_MS, false);
	if (rc > 0)
		return lab_fail(l, -EIO, "jail6 destroy (%s): exit status %d", e->what, rc);
	return rc;
}

/* Stop what is left of jail6 runs of the lab (their pid files gone). */
static void sweep(struct lab *l)
{
	int n = lab_sweep(l, LAB_DAEMON_STOP_MS);

	if (n > 0)
		lab_say(l, "  stopped %d leftover process%s of the lab", n, n == 1 ? "" : "es");
}

/* Remove every namespace left under the lab's runtime dir (the lab's four,
 * the jails, leftovers), killing what still runs inside. */
static int remove_namespaces(struct lab *l)
{
	struct engine *e = NULL;
	char **names = NULL;
	size_t n = 0;
	int first = 0, rc;

	rc = netns_list(l->netns_dir, &names, &n);
	if (rc < 0)
		return lab_fail(l, rc, "%s: %s", l->netns_dir, strerror(-rc));
	if (n && (rc = lab_engine(l, NULL, &e)) < 0) {
		netns_list_free(names, n);
		return rc;
	}
	for (size_t i = 0; i < n; i++) {
		rc = engine_jail_purge(e, names[i]);
		if (rc < 0 && rc != -ENOENT && !first)
			first = lab_fail(l, rc, "namespace %s", engine_error(e));
		else if (rc == 0)
			lab_say(l, "  %s: removed", names[i]);
	}
	engine_close(e);
	netns_list_free(names, n);
	/* what is left of jails whose netns is already gone (their UTS and
	 * mount namespaces, bound below the lab dir) goes with unmount_all */
	return first;
}

int lab_down(struct lab *l)
{
	struct lab_openvpn o;
	int first = 0, rc;

	/* down always runs to the end: it is what an interrupted run needs */
	volatile sig_atomic_t *stop = l->stop;
	l->stop = NULL;
	lab_say(l, "\n== lab down: %s", l->dir);
	/* jail6's own teardown first: jails, bridge, tunnel and its daemon */
	rc = destroy_end(l, &lab_host_end);
	first = first ? first : rc;
	rc = destroy_end(l, &lab_broker_end);
	first = first ? first : rc;
	rc = stop_tunnels(l);
	first = first ? first : rc;
	sweep(l);
	for (int server = 0; server < 2; server++) {
		if (lab_openvpn(l, server, &o) < 0)
			continue;
		rc = stop_pidfile(l, o.pid, server ? "openvpn server (vps)" : "openvpn client (host)");
		first = first ? first : rc;
	}
	rc = remove_namespaces(l);
	first = first ? first : rc;
	sweep(l);
	rc = unmount_all(l);
	first = first ? first : rc;
	rc = remove_files(l);
	first = first ? first : rc;
	if (!first)
		lab_say(l, "  nothing of the lab is left");
	l->stop = stop;
	return first;
}

/* ---- status */

/* Print the state of one daemon by its pidfile; 1 if it runs. */
static int daemon_line(struct lab *l, const char *path, const char *what)
{
	struct proc_id id;

	if (proc_pidfile_read(path, &id) == 0 && proc_alive(&id)) {
		lab_say(l, "  %-30s running, pid %ld", what, (long)id.pid);
		return 1;
	}
	lab_say(l, "  %-30s not running", what);
	return 0;
}

int lab_status(struct lab *l)
{
	static const char *const status[] = { "status", NULL };
	struct lab_openvpn o;
	char path[PATH_MAX];
	int up = 0, total = 0;

	lab_say(l, "lab %s:", l->dir);
	for (size_t i = 0; i < sizeof(lab_all_ns) / sizeof(lab_all_ns[0]); i++, total++) {
		int ok = netns_exists(l->netns_dir, lab_all_ns[i]);
		lab_say(l, "  %-30s %s", lab_all_ns[i], ok ? "up" : "absent");
		up += ok;
	}
	for (int server = 1; server >= 0; server--, total++)
		if (lab_openvpn(l, server, &o) == 0)
			up += daemon_line(l, o.pid, server ? "openvpn server (vps)" : "openvpn client (host)");
	if (lab_tunnel_file(l, LAB_NS_INTERNET, LAB_TUNNEL_BROKER, "pid", path, sizeof(path)) == 0)
		up += daemon_line(l, path, "tunnel " LAB_TUNNEL_BROKER " (internet)");
	total++;
	if (lab_tunnel_file(l, LAB_NS_HOST, LAB_TUNNEL_HOST, "pid", path, sizeof(path)) == 0)
		up += daemon_line(l, path, "tunnel " LAB_TUNNEL_HOST " (host)");
	total++;
	if (netns_exists(l->netns_dir, LAB_NS_HOST) && lab_path(l, "state-host", path, sizeof(path)) == 0 &&
	    access(path, F_OK) == 0) {
		lab_say(l, "%s", "");
		lab_say_jail6(l, &lab_host_end, "status");
		total++;
		if (lab_run_jail6(l, &lab_host_end, status, LAB_OUT_INHERIT, NULL, 0, LAB_CMD_MS, true) == 0)
			up++;
	}
	lab_say(l, "lab: %s", up == total ? "up" : up == 0 ? "down" : "partly up");
	return up == total ? 0 : up == 0 ? -ENOENT : -ESRCH;
}
