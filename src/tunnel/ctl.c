/* The control channel between a datapath process and its parent (ctl.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "tunnel/ctl.h"

int ctl_send(int fd, const struct ctl_msg *m, int pass)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)m, .iov_len = sizeof(*m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (pass >= 0) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pass, sizeof(int));
	}
	do
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : (size_t)n == sizeof(*m) ? 0 : -EIO;
}

int ctl_recv(int fd, struct ctl_msg *m, int *pass)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = m, .iov_len = sizeof(*m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	int got = -1;
	ssize_t n;

	if (pass)
		*pass = -1;
	do
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&got, CMSG_DATA(c), sizeof(int));
	if (n == 0) {
		if (got >= 0)
			close(got);
		return -EPIPE;
	}
	if ((size_t)n != sizeof(*m) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		if (got >= 0)
			close(got);
		return -EBADMSG;
	}
	if (pass)
		*pass = got;
	else if (got >= 0)
		close(got);
	return 0;
}

/* Terminate buf within its bounds, and empty it unless it is printable
 * ASCII (what the stats' strings are: addresses, interface names, words). */
static void clean(char *buf, size_t len)
{
	buf[len - 1] = '\0';
	for (const char *c = buf; *c; c++)
		if (*c < 0x20 || *c > 0x7e) {
			buf[0] = '\0';
			return;
		}
}
#define TERMINATE(a) clean((a), sizeof(a))

void ctl_stats_sanitize(struct tunnel_stats *s, const char *name, pid_t pid)
{
	TERMINATE(s->datapath);
	TERMINATE(s->underlay);
	TERMINATE(s->decap);
	TERMINATE(s->local);
	TERMINATE(s->remote);
	TERMINATE(s->via);
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->pid = pid;
	/* a bool's byte may hold anything: read as a byte */
	unsigned char h;
	memcpy(&h, &s->held, 1);
	s->held = h != 0;
}
