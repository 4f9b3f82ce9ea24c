/*
 * `jail6 tunnel update`: tell the tunnel broker our current IPv4 endpoint
 * through its Dyn-style update URL (Hurricane Electric's /nic/update):
 *   GET URL?hostname=TUNNEL_ID[&myip=IPV4] with HTTP basic auth USER:KEY,
 * answered by one line such as "good 203.0.113.2", "nochg 203.0.113.2",
 * "badauth", "abuse", "nohost", "!yours" or "911".
 * Everything here returns 0 / -errno and prints nothing; the CLI prints.
 */
#ifndef JAIL6_TUNNEL_UPDATE_H
#define JAIL6_TUNNEL_UPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "model/addr.h"

#define TUNNEL_UPDATE_TIMEOUT_MS 5000 /* per try: connect and whole request */
#define TUNNEL_UPDATE_TRIES      3
#define TUNNEL_UPDATE_PAUSE_MS   1000 /* between tries */
#define TUNNEL_UPDATE_KEY_MAX    256  /* longest update key, NUL included */
#define TUNNEL_UPDATE_BODY_MAX   4096 /* bytes of an answer kept */

/* What one update came to. */
enum tunnel_update_status {
	TUNNEL_UPDATE_GOOD = 0,  /* "good IP": the endpoint is now IP */
	TUNNEL_UPDATE_NOCHG,     /* "nochg IP": it already was */
	TUNNEL_UPDATE_BADAUTH,   /* "badauth" or HTTP 401: user or key refused */
	TUNNEL_UPDATE_ABUSE,     /* "abuse": updates blocked for too many of them */
	TUNNEL_UPDATE_NOHOST,    /* "nohost", "!yours", "notfqdn": no such tunnel of this user */
	TUNNEL_UPDATE_SERVER,    /* "911", "dnserr": trouble on the broker's side */
	TUNNEL_UPDATE_UNKNOWN,   /* HTTP 2xx with any other (or no) text */
	TUNNEL_UPDATE_HTTP,      /* an HTTP status other than 2xx and 401 */
	TUNNEL_UPDATE_TRANSPORT, /* no HTTP answer at all (refused, timeout, TLS) */
};

/* The outcome of an update, for tunnel_update_message(). */
struct tunnel_update_answer {
	enum tunnel_update_status status;
	long http_code;          /* 0 when no HTTP answer came */
	int curl_code;           /* TRANSPORT: the CURLcode */
	char code[16];           /* the answer's first word ("badauth"), cut */
	char ip[ADDR_STRLEN];    /* GOOD/NOCHG: the address the broker reports, or "" */
	char text[128];          /* the answer's first line, \xNN for non-printable, cut */
	char detail[256];        /* TRANSPORT: libcurl's explanation */
	int tries;               /* requests made */
};

/* One update call. */
struct tunnel_update_req {
	const char *name;        /* the tunnel, for messages */
	const char *url;         /* the update URL; NULL = MODEL_UPDATE_URL_DEFAULT */
	const char *tunnel_id;
	const char *user;
	const char *key;         /* the update key: sent, never put in a message */
	const char *myip;        /* NULL: the broker takes the request's source */
	long timeout_ms;         /* per try; <= 0: TUNNEL_UPDATE_TIMEOUT_MS */
	int tries;               /* <= 0: TUNNEL_UPDATE_TRIES */
	long pause_ms;           /* < 0: TUNNEL_UPDATE_PAUSE_MS */
	/* Called before each retry (try is the 1-based number of the failed
	 * one) with its answer; may be NULL. */
	void (*on_retry)(void *arg, const struct tunnel_update_req *r, int try,
			 const struct tunnel_update_answer *a);
	void *arg;
};

/*
 * Classify an HTTP answer (pure: no I/O). http_code is the status, body the
 * len bytes of the answer (need not be NUL-terminated). *out is reset first.
 */
void tunnel_update_parse(long http_code, const char *body, size_t len,
			 struct tunnel_update_answer *out);

/* Whether the answer means success (good or nochg). */
bool tunnel_update_ok(const struct tunnel_update_answer *a);

/* Whether another try may help: a transport error other than a bad URL or
 * a failed TLS verification, or HTTP 5xx. Never an answer of the broker's
 * own (911 asks for a long wait, not a retry). */
bool tunnel_update_retryable(const struct tunnel_update_answer *a);

/* The one-line message for answer a of request r ("he0: endpoint updated
 * to 203.0.113.2"), without "jail6: " and without a newline. Returns buf. */
char *tunnel_update_message(const struct tunnel_update_req *r, const struct tunnel_update_answer *a,
			    char *buf, size_t len);

/*
 * Check that base is an http:// or https:// URL with a host and return in
 * *out (malloc'd) base with "hostname=TUNNEL_ID" and, when myip is not NULL,
 * "&myip=MYIP" appended to its query, both percent-escaped. On -EINVAL, err
 * says why; -ENOMEM otherwise.
 */
int tunnel_update_build_url(const char *base, const char *tunnel_id, const char *myip,
			    char **out, char *err, size_t errlen);

/* url as it may be shown: without user, password, query and fragment.
 * Returns buf ("(invalid URL)" when it does not parse). */
char *tunnel_update_display_url(const char *url, char *buf, size_t len);

/*
 * Read the update key from path into key (len bytes, at most
 * TUNNEL_UPDATE_KEY_MAX is enough), trimmed of surrounding whitespace. The
 * file must be a regular file owned by uid owner (root: 0) with no group or
 * other permission bits (mode & 077 == 0). Returns 0, or -errno with err
 * naming the file and what is wrong (never the key). key is wiped on error.
 */
int tunnel_update_key_read(const char *path, uid_t owner, char *key, size_t len,
			   char *err, size_t errlen);

/*
 * Make the update call with libcurl: up to r->tries requests, each with
 * r->timeout_ms for connecting and for all of it, TLS verification on, no
 * redirects, pausing r->pause_ms between tries, retrying only what
 * tunnel_update_retryable() allows. Returns 0 with the outcome in *out
 * (success or not), -EINVAL for a bad URL (out->detail says why) or -ENOMEM.
 */
int tunnel_update_call(const struct tunnel_update_req *r, struct tunnel_update_answer *out);

#endif
