/*
 * The lab: the seed's world rebuilt in network namespaces, end to end.
 *
 *   internet   the broker's 6in4 end (a second jail6, role = broker) at
 *              198.51.100.1, and the way to the remote IPv6 host
 *   remote     a remote IPv6 host, 2001:db8:aaaa::2
 *   vps        OpenVPN server, nftables masquerade toward the broker
 *   host       OpenVPN client; its WAN drops ICMP echo; jail6 apply of
 *              examples/lab.conf: he0, bridge0, the jails www and db
 *
 * Everything lives under one directory (LAB_DIR_DEFAULT): the namespaces
 * (DIR/netns, a shared mount point, jail6's --runtime-dir for both ends),
 * both jail6 state dirs, the configs applied, the VPN key, pid and log files,
 * the nftables rulesets. `down` removes exactly that directory's contents
 * and the processes inside its namespaces, nothing else.
 *
 * Programs run without a shell: the jail6 subcommands and the programs that
 * must run inside a namespace (openvpn, nft, ping) are all posix_spawn()s of
 * this very binary (/proc/self/exe), the latter through `jail6 lab exec NS
 * CMD...`, which joins the namespace and execs CMD.
 *
 * Functions return 0 or -errno and leave a message naming the object in
 * l->err; progress goes to l->out (one line per step).
 */
#ifndef JAIL6_LAB_LAB_H
#define JAIL6_LAB_LAB_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "plan/plan.h"

#define LAB_DIR_DEFAULT "/run/jail6/lab"
/* Room for the lab dir: short enough that every path under it fits. */
#define LAB_DIR_MAX 200

/* The lab's namespaces, in creation order. */
#define LAB_NS_INTERNET "internet"
#define LAB_NS_REMOTE   "remote"
#define LAB_NS_VPS      "vps"
#define LAB_NS_HOST     "host"

/* Addresses: documentation ranges only (RFC 5737, RFC 3849). */
#define LAB_BROKER_V4     "198.51.100.1"      /* internet: the broker's endpoint */
#define LAB_VPS_PUBLIC_V4 "198.51.100.2"      /* vps toward internet (NAT source) */
#define LAB_VPS_LAN_V4    "203.0.113.1"       /* vps toward host, OpenVPN server */
#define LAB_HOST_WAN_V4   "203.0.113.2"       /* host's WAN: drops ICMP echo */
#define LAB_VPN_SERVER_V4 "192.0.2.1"         /* the tunnel's `via` */
#define LAB_VPN_CLIENT_V4 "192.0.2.2"
#define LAB_REMOTE_GW_V6  "2001:db8:aaaa::1"  /* internet toward remote */
#define LAB_REMOTE_V6     "2001:db8:aaaa::2"  /* the remote IPv6 host */
#define LAB_VPN_PORT      "1194"

/* The page jail www's exec.start serves with busybox httpd on port 80
 * (examples/lab.conf), and where: www's fixed address. */
#define LAB_WWW_URL       "http://[2001:db8:1::3]/"
#define LAB_WWW_PAGE      "hello from jail www"

/* Interface names the lab creates (jail6 creates the rest). */
#define LAB_IF_VPN        "vpn0"       /* OpenVPN's tun, in vps and host */
#define LAB_IF_HOST_WAN   "wan0"       /* host toward vps */
#define LAB_IF_VPS_LAN    "to-host"    /* vps toward host */
#define LAB_IF_VPS_PUBLIC "to-inet"    /* vps toward internet (masquerade) */
#define LAB_IF_INET_VPS   "to-vps"     /* internet toward vps */
#define LAB_IF_INET_REM   "to-remote"  /* internet toward remote */
#define LAB_IF_REM_INET   "to-inet"    /* remote toward internet */

/* The two tunnels, as the example configs name them. */
#define LAB_TUNNEL_HOST   "he0"
#define LAB_TUNNEL_BROKER "he-broker"

/* The nftables table both rulesets create. */
#define LAB_NFT_TABLE     "jail6lab"

struct lab {
	char dir[LAB_DIR_MAX];       /* LAB_DIR_DEFAULT unless told */
	char jail6[PATH_MAX];        /* the jail6 binary both ends run */
	char netns_dir[PATH_MAX];    /* DIR/netns: jail6's --runtime-dir */
	char host_conf[PATH_MAX];    /* the host's config to apply (examples/lab.conf) */
	char broker_conf[PATH_MAX];  /* the broker's (examples/lab-broker.conf) */
	char openvpn[PATH_MAX];      /* programs the lab runs, found by lab_up */
	char nft[PATH_MAX];
	char ping[PATH_MAX];
	char ip[PATH_MAX];           /* iproute2, for the checks' route lookups */
	char busybox[PATH_MAX];      /* www's httpd (examples/lab.conf), the checks' wget */
	FILE *out;                   /* progress; NULL = silent */
	bool verbose;                /* also print every command run */
	/* Set (by a signal handler) to stop what runs; NULL = never stopped. */
	volatile sig_atomic_t *stop;
	char err[1024];
};

/*
 * Prepare *l for the lab in dir (NULL = LAB_DIR_DEFAULT, else an absolute
 * path). host_conf/broker_conf NULL: examples/lab.conf and
 * examples/lab-broker.conf beside the binary (BINDIR/../examples, or
 * BINDIR/../share/jail6/examples once installed), else in the current
 * directory; they are only needed by up and test. The jail6 binary is the
 * one beside this program, else the first in PATH (lab_set_jail6 says
 * otherwise). 0 or -errno.
 */
int lab_init(struct lab *l, const char *dir, const char *host_conf, const char *broker_conf);

/* Use the jail6 binary at path (an executable file). 0 or -errno. */
int lab_set_jail6(struct lab *l, const char *path);

/* Build the whole lab; on failure what was built stays (lab_down removes
 * it). -EEXIST when a lab is already (partly) up. */
int lab_up(struct lab *l);

/* Whether anything of a lab is there (namespaces, or the directory). */
bool lab_present(const struct lab *l);

/* Remove everything lab_up made, also after a half-failed up; idempotent.
 * Returns the first error, having tried every step. */
int lab_down(struct lab *l);

/* Print what is up. 0 when the whole lab runs, -ENOENT when nothing is up,
 * -ESRCH when it is partly up. */
int lab_status(struct lab *l);

/* down, up, the assertions (each printed as "ok NAME" / "not ok NAME"),
 * down, then check nothing is left. *failed gets the number of failed
 * assertions; returns 0 when the run could be made (even with failures). */
int lab_test(struct lab *l, int *failed);

/* Join the network namespace ns of the lab and exec argv (PATH lookup);
 * returns -errno only when that fails. */
int lab_exec(const struct lab *l, const char *ns, char *const argv[]);

/* ---- pieces, exported for the unit tests */

/* The actions that wire the lab's namespaces (veths, addresses, loopbacks,
 * routes, forwarding); executed with linux_execute() in order. 0 or -ENOMEM. */
int lab_topology(struct plan *out);

/* The nftables rulesets: vps masquerades what leaves toward internet and
 * forwards protocol 41 from there to the host; host drops ICMP echo
 * requests arriving on its WAN. The text's length, or
 * -ENOSPC when buf is too small. */
int lab_nft_vps(char *buf, size_t len);
int lab_nft_host(char *buf, size_t len);

/* The sum of the packet counters in the output of `nft -j list ...`;
 * 0 or -EINVAL when it is not such a document. */
int lab_nft_counter_sum(const char *json, unsigned long long *packets);

/* OpenVPN of one side: its files and argv (static-key point-to-point). */
struct lab_openvpn {
	const char *ns;              /* LAB_NS_VPS (server) or LAB_NS_HOST (client) */
	char key[PATH_MAX];          /* DIR/vpn.key, shared by both ends */
	char pid[PATH_MAX];          /* DIR/openvpn-NS.pid */
	char log[PATH_MAX];          /* DIR/openvpn-NS.log */
	const char *argv[48];        /* NULL-terminated; points into this struct */
};

/* Fill *o for the server (vps) or the client (host). 0 or -ENAMETOOLONG. */
int lab_openvpn(const struct lab *l, bool server, struct lab_openvpn *o);

/* Find an executable: in $PATH, then /usr/sbin, /sbin, /usr/bin, /bin.
 * 0 with its path in buf, or -ENOENT. */
int lab_find_program(const char *name, char *buf, size_t len);

/* Paths under the lab dir: buf = DIR/NAME. -ENAMETOOLONG if it does not fit. */
int lab_path(const struct lab *l, const char *name, char *buf, size_t len);

/* The pidfile of a tunnel daemon as the backend writes it:
 * DIR/STATE/run/tunnel/NAME.pid (STATE: the state dir of the end whose host
 * namespace is ns; .stats with ext "stats"). */
int lab_tunnel_file(const struct lab *l, const char *ns, const char *name, const char *ext,
		    char *buf, size_t len);

/* ---- running programs (proc.c) */

enum lab_out {
	LAB_OUT_INHERIT = 0,  /* our stdout and stderr */
	LAB_OUT_NULL,         /* /dev/null */
	LAB_OUT_CAPTURE,      /* into buf (stdout and stderr together) */
};

/* One run of a program: jail6 (l->jail6) or this very binary. */
struct lab_run {
	const char *prog;        /* the executable; NULL = this binary */
	const char *const *argv;
	enum lab_out out;
	char *buf;               /* LAB_OUT_CAPTURE: NUL-terminated, truncated to len */
	size_t len;
	int timeout_ms;          /* then SIGKILL; the status is 128+9 */
	bool interruptible;      /* stop when *l->stop is set (returns -EINTR) */
	int status;              /* exit status, or 128+N when killed by signal N */
	bool timed_out;
};

/* posix_spawn r->prog with r->argv and wait for it (bounded). 0 when it
 * ran (whatever its status), -EINTR when stopped, else -errno. */
int lab_spawn(struct lab *l, struct lab_run *r);

/* Run `jail6-lab --dir DIR exec NS ARGV...` quietly;
 * returns its exit status (0 = success), or -errno when it could not run.
 * Output is captured into buf, or thrown away when buf is NULL. */
int lab_run_in(struct lab *l, const char *ns, const char *const *argv, int timeout_ms,
	       char *buf, size_t len);

/* Stop a daemon of the lab (proc_stop, util/proc.h): -EPERM when it is not
 * the lab's (lab_pid_is_ours; nothing is sent). */
struct proc_id;
int lab_pid_stop(const struct lab *l, const struct proc_id *id, int timeout_ms);

/* Stop (lab_pid_stop) every process whose command line names the lab's
 * runtime dir: jail6 runs of the lab, tunnel supervisors. The number
 * stopped, or -errno. */
int lab_sweep(const struct lab *l, int timeout_ms);

/* Whether pid belongs to the lab: its network namespace is one of the
 * lab's, or its command line names the lab's netns dir. 1 or 0. */
int lab_pid_is_ours(const struct lab *l, pid_t pid);

/* Print captured output to l->out, each line as "#   LINE" (a TAP comment). */
void lab_print_block(struct lab *l, const char *text);

/* Sleep ms milliseconds (or less when *l->stop gets set). */
void lab_sleep_ms(const struct lab *l, int ms);

#endif
