/*
 * The netlink socket: send one request (NLM_F_ACK on all but a dump, which
 * ends with NLMSG_DONE), read every reply to it, keep the kernel's
 * extended-ack text of a failure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <linux/netlink.h>

#include "os/linux/nl.h"

struct nl_sock {
	struct mnl_socket *mnl;
	unsigned int portid;
	unsigned int seq;
	char ext_ack[256];
	char *buf; /* NL_RECV_SIZE */
};

int nl_sock_open(struct nl_sock **out)
{
	struct nl_sock *s = calloc(1, sizeof(*s));
	struct timeval tv = { .tv_sec = 10 };
	int one = 1, rc;

	if (!s)
		return -ENOMEM;
	s->buf = malloc(NL_RECV_SIZE);
	if (!s->buf) {
		rc = -ENOMEM;
		goto cleanup;
	}
	/* CLOEXEC: jails run programs; they must not inherit the socket. */
	s->mnl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!s->mnl || mnl_socket_bind(s->mnl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		goto cleanup;
	}
	/* Best effort: error text from the kernel, and no echo of our request. */
	mnl_socket_setsockopt(s->mnl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(s->mnl, NETLINK_CAP_ACK, &one, sizeof(one));
	/* A safety net only: the kernel answers synchronously. */
	setsockopt(mnl_socket_get_fd(s->mnl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	s->portid = mnl_socket_get_portid(s->mnl);
	s->seq = (unsigned int)time(NULL);
	*out = s;
	return 0;
cleanup:
	nl_sock_close(s);
	return rc;
}

void nl_sock_close(struct nl_sock *s)
{
	if (!s)
		return;
	if (s->mnl)
		mnl_socket_close(s->mnl);
	free(s->buf);
	free(s);
}

const char *nl_sock_ext_ack(const struct nl_sock *s)
{
	return s->ext_ack;
}

void nl_sock_clear_ext_ack(struct nl_sock *s)
{
	s->ext_ack[0] = '\0';
}

/* State of one exchange, shared by the callbacks of nl_talk(). */
struct talk {
	struct nl_sock *s;
	unsigned int seq;
	nl_msg_cb cb;
	void *data;
	int err;
};

/* Copy NLMSGERR_ATTR_MSG of an extended ack starting at payload offset off. */
static void take_ext_ack(struct talk *t, const struct nlmsghdr *nlh, size_t off)
{
	const struct nlattr *tb[NLMSGERR_ATTR_MAX + 1] = { 0 };
	struct nl_attr_tab at = { tb, NLMSGERR_ATTR_MAX };

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || mnl_nlmsg_size(off) > nlh->nlmsg_len)
		return;
	if (mnl_attr_parse(nlh, (unsigned int)off, nl_attr_keep_cb, &at) < 0)
		return;
	if (tb[NLMSGERR_ATTR_MSG] && mnl_attr_validate(tb[NLMSGERR_ATTR_MSG], MNL_TYPE_NUL_STRING) == 0)
		snprintf(t->s->ext_ack, sizeof(t->s->ext_ack), "%s",
			 mnl_attr_get_str(tb[NLMSGERR_ATTR_MSG]));
}

/* A data message: hand it to the caller's callback unless an earlier one
 * failed; keep reading either way so no reply is left in the socket. */
static int talk_data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;
	int rc;

	if (nlh->nlmsg_seq != t->seq || t->err || !t->cb)
		return MNL_CB_OK;
	rc = t->cb(nlh, t->data);
	if (rc < 0)
		t->err = rc;
	return MNL_CB_OK;
}

/* NLMSG_ERROR: an ack (error 0) or the kernel's -errno; ends the exchange. */
static int talk_error_cb(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*e);

	if (nlh->nlmsg_seq != t->seq)
		return MNL_CB_OK; /* stale reply of an earlier exchange */
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		t->err = -EBADMSG;
		return MNL_CB_STOP;
	}
	if (e->error == 0)
		return MNL_CB_STOP;
	if (!t->err)
		t->err = e->error < 0 ? e->error : -EPROTO;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED) && e->msg.nlmsg_len >= sizeof(struct nlmsghdr))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	take_ext_ack(t, nlh, off);
	return MNL_CB_STOP;
}

/* NLMSG_DONE ends a dump; it carries an int error of its own. */
static int talk_done_cb(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;
	int err;

	if (nlh->nlmsg_seq != t->seq)
		return MNL_CB_OK;
	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int)) {
		memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
		if (err < 0 && !t->err) {
			t->err = err;
			take_ext_ack(t, nlh, sizeof(int));
		}
	}
	return MNL_CB_STOP;
}

bool nl_req_needs_ack(const struct nlmsghdr *req)
{
	/* NLM_F_DUMP's bits mean REPLACE|EXCL on NEW requests: only a GET
	 * (the third of each group of four rtnetlink types) is a dump. */
	bool get = req->nlmsg_type >= RTM_BASE && (req->nlmsg_type - RTM_BASE) % 4 == 2;

	return !(get && (req->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP);
}

int nl_talk(struct nl_sock *s, struct nlmsghdr *req, nl_msg_cb cb, void *data)
{
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR] = talk_error_cb,
		[NLMSG_DONE] = talk_done_cb,
	};
	struct talk t = { .s = s, .cb = cb, .data = data };
	ssize_t n;
	int ret;

	if (!req)
		return -EINVAL;
	s->ext_ack[0] = '\0';
	req->nlmsg_seq = t.seq = ++s->seq;
	if (nl_req_needs_ack(req))
		req->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(s->mnl, req, req->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(s->mnl, s->buf, NL_RECV_SIZE);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		}
		/* seq 0: we filter by sequence ourselves, so that a stale
		 * reply is skipped instead of failing this exchange. */
		ret = mnl_cb_run2(s->buf, (size_t)n, 0, s->portid, talk_data_cb, &t,
				  ctl, NLMSG_MIN_TYPE);
		if (ret == MNL_CB_ERROR)
			return t.err ? t.err : -errno;
		if (ret == MNL_CB_STOP)
			return t.err;
	}
}

/* nl_talk callback of nl_link_index(). */
static int link_index_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl_link l;

	if (nl_parse_link(nlh, &l) < 0)
		return -EBADMSG;
	*(int *)data = l.index;
	return 0;
}

int nl_link_index(struct nl_sock *s, const char *name, int *index)
{
	char buf[NL_REQ_SIZE];
	int rc;

	if (!model_ifname_ok(name))
		return -EINVAL;
	*index = 0;
	rc = nl_talk(s, nl_req_link_get(buf, name), link_index_cb, index);
	if (rc < 0)
		return rc;
	return *index > 0 ? 0 : -ENODEV;
}

int nl_sock_netns_cookie(struct nl_sock *s, uint64_t *cookie)
{
	socklen_t len = sizeof(*cookie);

	*cookie = 0;
	if (getsockopt(mnl_socket_get_fd(s->mnl), SOL_SOCKET, SO_NETNS_COOKIE, cookie, &len) < 0)
		return -errno;
	return 0;
}
