/* The protocol between the HTTP child and the parent: length-prefixed typed
 * requests of a few strings, replies of an HTTP status and a JSON text. The
 * parent reads every length against a bound before it allocates. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "serve/serve_int.h"

int io_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EPIPE;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int io_read_all(int fd, void *p, size_t n)
{
	char *c = p;

	while (n) {
		ssize_t r = read(fd, c, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EPIPE;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

static void put32(struct sbuf *b, uint32_t v)
{
	sbuf_add(b, &v, sizeof(v));
}

int ipc_call(int fd, uint32_t type, const char *const *args, size_t n, int *status, char **body)
{
	struct sbuf b = { 0 };
	uint32_t hdr[2] = { 0, 0 };
	int r;

	*body = NULL;
	if (n > SERVE_IPC_MAX_ARGS)
		return -E2BIG;
	put32(&b, 0);
	put32(&b, type);
	put32(&b, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(args[i] ? args[i] : "");
		if (l > SERVE_IPC_MAX_ARG) {
			sbuf_free(&b);
			return -E2BIG;
		}
		put32(&b, (uint32_t)l);
		sbuf_add(&b, args[i] ? args[i] : "", l);
	}
	uint32_t len = (uint32_t)(b.n - 4);
	memcpy(b.p, &len, 4);
	r = io_write_all(fd, b.p, b.n);
	sbuf_free(&b);
	if (r == 0)
		r = io_read_all(fd, hdr, sizeof(hdr));
	if (r < 0)
		return r;
	if (hdr[0] < 4 || hdr[0] - 4 > SERVE_IPC_MAX_REPLY)
		return -EPROTO;
	*status = (int)hdr[1];
	*body = malloc(hdr[0] - 4 + 1);
	if (!*body)
		return -ENOMEM;
	r = io_read_all(fd, *body, hdr[0] - 4);
	if (r < 0) {
		free(*body);
		*body = NULL;
		return r;
	}
	(*body)[hdr[0] - 4] = '\0';
	return 0;
}

void ipc_msg_free(struct serve_msg *m)
{
	free(m->buf);
	*m = (struct serve_msg){ 0 };
}

/* Parse one request held in buf (len bytes): every string within bounds,
 * no NUL inside a string, nothing left over. */
static int parse(struct serve_msg *m, size_t len)
{
	size_t off = 8;
	uint32_t v;

	memcpy(&m->type, m->buf, 4);
	memcpy(&m->n, m->buf + 4, 4);
	if (m->type == 0 || m->type >= SERVE_REQ_MAX || m->n > SERVE_IPC_MAX_ARGS)
		return -EPROTO;
	/* each string is moved down by 4 bytes over its own length so that it
	 * can end in a NUL in place */
	for (uint32_t i = 0; i < m->n; i++) {
		if (len - off < 4)
			return -EPROTO;
		memcpy(&v, m->buf + off, 4);
		if (v > SERVE_IPC_MAX_ARG || v > len - off - 4)
			return -EPROTO;
		memmove(m->buf + off, m->buf + off + 4, v);
		m->buf[off + v] = '\0';
		if (memchr(m->buf + off, '\0', v))
			return -EPROTO;
		m->arg[i] = m->buf + off;
		m->len[i] = v;
		off += 4 + v;
	}
	return off == len ? 0 : -EPROTO;
}

int ipc_recv(int fd, struct serve_msg *m)
{
	uint32_t len;
	int r;

	*m = (struct serve_msg){ 0 };
	r = io_read_all(fd, &len, 4);
	if (r == -EPIPE)
		return 0;
	if (r < 0)
		return r;
	if (len < 8 || len > SERVE_IPC_MAX_REQ)
		return -EPROTO;
	m->buf = malloc(len + 1);
	if (!m->buf)
		return -ENOMEM;
	r = io_read_all(fd, m->buf, len);
	if (r == 0)
		r = parse(m, len);
	if (r < 0) {
		ipc_msg_free(m);
		return r;
	}
	return 1;
}

int ipc_reply(int fd, int status, const char *body)
{
	size_t n = strlen(body);
	uint32_t hdr[2] = { (uint32_t)(n + 4), (uint32_t)status };
	int r = io_write_all(fd, hdr, sizeof(hdr));

	return r < 0 ? r : io_write_all(fd, body, n);
}
