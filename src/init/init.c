/*
 * jail6-init: PID 1 of a confined jail (built static, bind-mounted into the
 * jail by jail6; see src/os/linux/lxc.c).
 *
 * It does two things. It reaps every child that ends: the jail's services
 * are reparented to it, and zombies would otherwise pile up. And on SIGTERM,
 * SIGPWR (what liblxc's shutdown sends), SIGINT or SIGRTMIN+3 (systemd's
 * halt, which liblxc sends to an init that blocks it) it stops the jail: SIGTERM
 * to every process of the jail (kill(-1): in a PID namespace that is exactly
 * the jail's processes), a bounded wait for them to end, SIGKILL to what is
 * left, then it exits, which ends the PID namespace.
 *
 * A namespace's PID 1 never gets a signal it has no handler for, so every
 * signal is blocked and read from a signalfd: nothing is left at SIG_DFL.
 * The grace period is argv[1] in seconds (default 5, at most 3600).
 * Plain libc, no jail6 headers: it runs inside the jail.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Reap every child that has ended; the number still alive is unknown. */
static int reap(void)
{
	int n = 0;

	for (;;) {
		pid_t p = waitpid(-1, NULL, WNOHANG);
		if (p > 0) {
			n++;
			continue;
		}
		if (p < 0 && errno == EINTR)
			continue;
		return p < 0 && errno == ECHILD ? -1 : n;
	}
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* SIGTERM everyone, wait up to grace_ms for them to go, SIGKILL the rest. */
static _Noreturn void shutdown_jail(int sfd, long long grace_ms)
{
	long long end = now_ms() + grace_ms;
	struct pollfd pfd = { .fd = sfd, .events = POLLIN };

	kill(-1, SIGTERM);
	kill(-1, SIGCONT);
	while (reap() >= 0) {
		long long left = end - now_ms();
		struct signalfd_siginfo si;

		if (left <= 0)
			break;
		if (poll(&pfd, 1, (int)(left > 100 ? 100 : left)) > 0)
			(void)!read(sfd, &si, sizeof(si));
	}
	kill(-1, SIGKILL);
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
	_exit(0);
}

int main(int argc, char **argv)
{
	long long grace_ms = 5000;
	sigset_t all;
	int sfd;

	if (argc > 1) {
		char *end;
		long s = strtol(argv[1], &end, 10);
		if (*end == '\0' && s >= 0 && s <= 3600)
			grace_ms = s * 1000LL;
	}
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	sfd = signalfd(-1, &all, SFD_CLOEXEC);
	if (sfd < 0)
		return 1;
	for (;;) {
		struct signalfd_siginfo si;
		ssize_t n = read(sfd, &si, sizeof(si));

		if (n != (ssize_t)sizeof(si))
			continue;
		switch (si.ssi_signo) {
		case SIGCHLD:
			reap();
			break;
		case SIGTERM:
		case SIGPWR:
		case SIGINT:
			shutdown_jail(sfd, grace_ms);
		default:
			/* systemd's halt signal: liblxc's shutdown sends it to
			 * an init that blocks it unless lxc.signal.halt says
			 * otherwise */
			if ((int)si.ssi_signo == SIGRTMIN + 3)
				shutdown_jail(sfd, grace_ms);
			break;
		}
	}
}
