/*
 * The service manager's readiness protocol (systemd's sd_notify(3)), for
 * `jail6 tunnel run --foreground` under a Type=notify unit: one datagram of
 * "KEY=VALUE" lines sent on the AF_UNIX socket named by $NOTIFY_SOCKET (a
 * path, or an abstract name when it starts with '@'). jail6 implements the
 * few lines it needs rather than linking libsystemd into the datapath.
 * Without $NOTIFY_SOCKET (no service manager, the built-in supervisor)
 * nothing is sent.
 */
#ifndef JAIL6_UTIL_NOTIFY_H
#define JAIL6_UTIL_NOTIFY_H

/* Open the socket $NOTIFY_SOCKET names and remove the variable from the
 * environment (children never notify in our name). A descriptor, -1 when
 * there is no such variable, or -errno. */
int notify_open(void);

/* Send state (e.g. "READY=1\nSTATUS=up") on fd from notify_open; nothing
 * for fd < 0. 0 or -errno. */
int notify_send(int fd, const char *state);

#endif
