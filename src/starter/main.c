/*
 * jail6-start: starts confined jails' containers for jail6 (os/linux/lxc.c
 * spawns it; see lxc_int.h for the request). A program of liblxc alone, so
 * that liblxc's forks per start, and the monitor that stays with each jail,
 * copy its small address space rather than jail6's. One child per request
 * starts the jail and reports on the pipe that came with it; the requests'
 * order, and how many run at once, are jail6's. It ends when jail6 closes
 * the socket and every child has ended.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "os/linux/lxc_int.h"

/* One request and its pipe, or -1 at the end of the stream (or on error). */
static int next_request(struct lxcj_start_req *req, int *fd)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct iovec iov = { req, sizeof(*req) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf, .msg_controllen = sizeof(cm.buf) };
	ssize_t n;

	*fd = -1;
	do
		n = recvmsg(LXCJ_STARTER_FD, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -1;
	struct cmsghdr *h = CMSG_FIRSTHDR(&mh);
	if (h && h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS && h->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(fd, CMSG_DATA(h), sizeof(int));
	if (*fd < 0 || (size_t)n != sizeof(*req) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    !memchr(req->run_dir, '\0', sizeof(req->run_dir)) || !memchr(req->name, '\0', sizeof(req->name)))
		return 0; /* malformed: no child; the pipe's close tells jail6 */
	return 1;
}

/* The child: start the jail, report, exit (which closes what liblxc kept). */
static void start_one(const struct lxcj_start_req *req, int fd)
{
	char msg[1024];
	int r = lxcj_start_saved(req->run_dir, req->name, req->stop_timeout, msg, sizeof(msg));

	_exit(lxcj_report_write(fd, r, msg));
}

int main(int argc, char **argv)
{
	struct lxcj_start_req req;
	struct stat st;
	int fd, got;

	(void)argv;
	if (argc != 1 || fstat(LXCJ_STARTER_FD, &st) < 0 || !S_ISSOCK(st.st_mode)) {
		fprintf(stderr, "jail6-start: run by jail6 to start confined jails, with a socket on descriptor %d; "
			"it takes no arguments\n", LXCJ_STARTER_FD);
		return 2;
	}
	while ((got = next_request(&req, &fd)) >= 0) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (got == 1) {
			fflush(NULL);
			pid_t pid = fork();
			if (pid == 0) {
				close(LXCJ_STARTER_FD);
				start_one(&req, fd);
			}
		}
		if (fd >= 0)
			close(fd);
	}
	while (wait(NULL) > 0 || errno == EINTR)
		;
	return 0;
}
