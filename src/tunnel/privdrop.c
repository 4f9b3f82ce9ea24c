/*
 * The datapath gives up its privileges (jail6-datapath, once it has opened
 * what it needs: the TUN device, the raw protocol-41 socket, the
 * keepalive's ICMPv6 socket, the route watcher's netlink sockets, the eBPF
 * programs attached with their map). In this order:
 *
 *  1. an empty filesystem view: chroot into an empty directory the parent
 *     made (root's, not writable by others: RUN/tunnel/NAME.root). A
 *     chroot, not a mount namespace of its own: it needs no mount and
 *     nothing to clean up, and with no capability left and no_new_privs
 *     the process can never leave it (it could only with CAP_SYS_CHROOT,
 *     which goes in 2);
 *  2. the capability bounding set emptied, the ambient set cleared;
 *  3. no supplementary group, then the group and the user of d (all of
 *     real, effective and saved): the change of uid from 0 empties the
 *     permitted and effective sets, and capset() clears the inheritable
 *     one; then a check that uid 0 cannot come back;
 *  4. PR_SET_NO_NEW_PRIVS (1-4: drop_to, util/drop.c, which the web UI's
 *     HTTP child uses too);
 *  5. PR_SET_PDEATHSIG again (a change of credentials clears it);
 *  6. a seccomp allow-list (libseccomp): what the loop calls, nothing
 *     else; any other system call kills the process (the parent logs the
 *     signal, SIGSYS, and the supervisor restarts it).
 *
 * The environment was empty from the start (the parent gives none).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/bpf.h>
#include <linux/sockios.h>
#include <seccomp.h>

#include "tunnel/dp_int.h"
#include "util/drop.h"

/* The sanitizers' runtimes (make sanitize) call more than the datapath
 * does: their allocator, their reports (which read /proc/self/maps and
 * may print a stack) and their signal handling. Those calls are allowed
 * only in a build with the sanitizers (ASan comes with UBSan there). */
#if defined(__SANITIZE_ADDRESS__)
#define DP_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define DP_SANITIZED 1
#endif
#endif

/* The directory that becomes our root: root's, not writable by anyone
 * else (the datapath's user could otherwise put things in its own view). */
static int root_check(const char *root)
{
	struct stat st;

	if (lstat(root, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 0022))
		return -EPERM;
	return 0;
}

/* rule: allow syscall nr, when this architecture has it (libseccomp names
 * the ones it has not with a negative number: poll, time, ... on arm64) */
#define ALLOW(nr) r = r || (nr) < 0 ? r : seccomp_rule_add(ctx, SCMP_ACT_ALLOW, (nr), 0)
#define ALLOW1(nr, cmp) r = r || (nr) < 0 ? r : seccomp_rule_add(ctx, SCMP_ACT_ALLOW, (nr), 1, cmp)

/* The allow-list of the running loop (dp_loop.c and what it calls). */
static int seccomp_load_list(void)
{
	static const unsigned long ioctls[] = {
		SIOCGIFMTU,    /* the TUN device's MTU: each second and on SIGHUP */
		SIOCSIFMTU,    /* ebpf: lower it (fails without the privilege: logged) */
		SIOCGIFHWADDR, /* ebpf: the underlay's link type */
		SIOCGIFINDEX,  /* if_nametoindex */
		SIOCGIFNAME,   /* if_indextoname */
	};
	static const int families[] = { AF_INET, AF_INET6, AF_NETLINK };
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int r = 0;

	if (!ctx)
		return -ENOMEM;
	/* the loop's descriptors: TUN, raw socket, signalfd, netlink, the
	 * control channel */
	ALLOW(SCMP_SYS(read));
	ALLOW(SCMP_SYS(write));
	ALLOW(SCMP_SYS(writev));
	ALLOW(SCMP_SYS(poll));
	ALLOW(SCMP_SYS(ppoll));
	ALLOW(SCMP_SYS(close));
	ALLOW(SCMP_SYS(recvmmsg));
	ALLOW(SCMP_SYS(sendmmsg));
	ALLOW(SCMP_SYS(recvfrom));
	ALLOW(SCMP_SYS(sendto));
	ALLOW(SCMP_SYS(recvmsg));
	ALLOW(SCMP_SYS(sendmsg));
	/* short-lived sockets: the MTU ioctl, local = auto (a UDP socket
	 * connected, never sending), rtnetlink questions (the route to the
	 * remote, getifaddrs for the Packet Too Big source); a raw one cannot
	 * be made without CAP_NET_RAW. glibc's if_nametoindex tries AF_UNIX
	 * first: it is refused, not fatal. */
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		ALLOW1(SCMP_SYS(socket), SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)families[i]));
	r = r ? r : seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
				     SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
	ALLOW(SCMP_SYS(connect));
	ALLOW(SCMP_SYS(bind));
	ALLOW(SCMP_SYS(getsockname));
	for (size_t i = 0; i < sizeof(ioctls) / sizeof(ioctls[0]); i++)
		ALLOW1(SCMP_SYS(ioctl), SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)ioctls[i]));
	/* ebpf: the per-CPU counters (the configuration is mapped memory) */
	ALLOW1(SCMP_SYS(bpf), SCMP_A0(SCMP_CMP_EQ, BPF_MAP_LOOKUP_ELEM));
	ALLOW1(SCMP_SYS(bpf), SCMP_A0(SCMP_CMP_EQ, BPF_MAP_UPDATE_ELEM));
	/* time, memory, the process itself */
	ALLOW(SCMP_SYS(clock_gettime));
	ALLOW(SCMP_SYS(gettimeofday));
	ALLOW(SCMP_SYS(time));
	ALLOW(SCMP_SYS(nanosleep));
	ALLOW(SCMP_SYS(clock_nanosleep));
	ALLOW(SCMP_SYS(brk));
	ALLOW(SCMP_SYS(mmap));
	ALLOW(SCMP_SYS(munmap));
	ALLOW(SCMP_SYS(mremap));
	ALLOW(SCMP_SYS(madvise));
	ALLOW(SCMP_SYS(futex));
	ALLOW(SCMP_SYS(getpid));
	ALLOW(SCMP_SYS(getppid));
	ALLOW(SCMP_SYS(fstat));
	ALLOW(SCMP_SYS(newfstatat));
	ALLOW(SCMP_SYS(rt_sigreturn));
	ALLOW(SCMP_SYS(rt_sigprocmask));
	ALLOW(SCMP_SYS(restart_syscall));
	ALLOW(SCMP_SYS(exit));
	ALLOW(SCMP_SYS(exit_group));
#ifdef DP_SANITIZED
	/* ASan/UBSan only: their allocator, reports and handlers */
	ALLOW(SCMP_SYS(sigaltstack));
	ALLOW(SCMP_SYS(mprotect));
	ALLOW(SCMP_SYS(sched_yield));
	ALLOW(SCMP_SYS(prctl));
	ALLOW(SCMP_SYS(prlimit64));
	ALLOW(SCMP_SYS(getrlimit));
	ALLOW(SCMP_SYS(rt_sigaction));
	ALLOW(SCMP_SYS(gettid));
	ALLOW(SCMP_SYS(tgkill));
	ALLOW(SCMP_SYS(openat));
	ALLOW(SCMP_SYS(readlink));
	ALLOW(SCMP_SYS(readlinkat));
	ALLOW(SCMP_SYS(pread64));
	ALLOW(SCMP_SYS(lseek));
	ALLOW(SCMP_SYS(uname));
	ALLOW(SCMP_SYS(getrandom));
#endif
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r;
}

int dp_privdrop(struct dp_ctx *x, const struct tunnel_drop *d)
{
	const struct tunnel_opts *o = x->o;
	pid_t parent = getppid();
	const char *step;
	int r;

	if (!d || !d->root || d->uid == 0 || d->gid == 0) {
		dp_log(o, "drop the privileges: no user (not root), group or root directory given");
		return -EINVAL;
	}
	step = "the empty root";
	if ((r = root_check(d->root)) < 0)
		goto fail;
	if ((r = drop_to(d->root, d->uid, d->gid, &step)) < 0)
		goto fail;
	step = "the parent's death signal";
	if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) < 0)
		goto fail_errno;
	if (getppid() != parent) {
		dp_log(o, "the parent is gone: stopping");
		return -ECHILD;
	}
	step = "the seccomp filter";
	if ((r = seccomp_load_list()) < 0)
		goto fail;
	x->dropped = true;
	dp_log(o, "privileges dropped: uid %ld gid %ld, root %s, no capabilities, seccomp", (long)d->uid,
	       (long)d->gid, d->root);
	return 0;
fail_errno:
	r = -errno;
fail:
	dp_log(o, "drop the privileges: %s: %s", step, strerror(-r));
	return r;
}
