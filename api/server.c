/*
 * The HTTP listener: libmicrohttpd in external mode on the daemon's loop.
 * MHD keeps its sockets in an epoll set of its own; that one fd is polled by
 * a uv_poll_t, a uv_timer_t wakes MHD when it has timeouts to keep, and
 * MHD_run does the work at every wake-up. No thread of MHD's: requests are
 * answered on the loop that owns the store, as FUSE requests are.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api_private.h"
#include "credentials.h"
#include "prometheus.h"
#include "sigv4.h"

#define BODY_MAX       ((size_t)10 << 20)  /* bytes of one request body */
#define BUFFERED_MAX   ((size_t)256 << 20) /* bytes of bodies held at once, all requests */
#define CONN_TIMEOUT_S 20u		   /* idle seconds before a connection is dropped */
#define CONN_MAX       4096u		   /* connections at once */
#define CONN_MEMORY    ((size_t)64 << 10)  /* MHD's pool per connection: headers */
#define PER_IP_MAX     256u		   /* per client address, unless on loopback */
#define BACKLOG	       1024
#define JSON_TYPE      "application/x-amz-json-1.1"
#define REST_TYPE      "application/json"
#define LOG_BURST      20u /* lines of libmicrohttpd's a minute; a flood says no more */

struct ecsfs_api {
	const ecsfs_api_core *core;
	struct MHD_Daemon *mhd;
	uv_poll_t poll;
	uv_timer_t timer;
	int handles; /* open uv handles; the struct goes with the last */
	bool auth;
	ecsfs__creds creds;
	size_t buffered; /* bytes of request bodies held now */
	uint64_t log_minute;
	unsigned log_lines, log_dropped;
};

/* One request, from its first line to MHD's completion notice. */
struct request {
	ecsfs_api *api;
	char *target; /* the raw request target, query included */
	ecsfs_buf body;
	bool started;
	bool rest; /* a REST-JSON service's path, not POST / */
	bool too_big;
	bool throttled;
};

/* ---- answers ---- */

static enum MHD_Result send_reply(struct MHD_Connection *con, const ecsfs__api_reply *r)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
	    r->body.len, r->body.data ? r->body.data : (char *)"", MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ok;

	if (!resp)
		return MHD_NO; /* out of memory: MHD drops the connection */
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				r->rest ? REST_TYPE : JSON_TYPE);
	MHD_add_response_header(resp, "x-amzn-RequestId", r->request_id);
	if (r->error_type[0])
		MHD_add_response_header(resp, "x-amzn-ErrorType", r->error_type);
	if (r->status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "POST");
	ok = MHD_queue_response(con, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ok;
}

static enum MHD_Result send_error(struct MHD_Connection *con, int status, const char *type,
				  const char *msg)
{
	ecsfs__api_reply r;
	enum MHD_Result ok;

	ecsfs__api_reply_init(&r);
	ecsfs__api_error(&r, status, type, "%s", msg);
	ok = send_reply(con, &r);
	ecsfs__api_reply_release(&r);
	return ok;
}

/* ---- SigV4 ---- */

struct headers {
	ecsfs__sigv4_header *v;
	size_t n, cap;
};

static enum MHD_Result take_header(void *cls, enum MHD_ValueKind kind, const char *key,
				   size_t key_size, const char *value, size_t value_size)
{
	struct headers *h = cls;
	(void)kind;
	if (h->n == h->cap) {
		size_t cap = h->cap ? 2 * h->cap : 32;
		ecsfs__sigv4_header *v = realloc(h->v, cap * sizeof(*v));
		if (!v)
			return MHD_NO;
		h->v = v;
		h->cap = cap;
	}
	h->v[h->n++] = (ecsfs__sigv4_header){{key, key_size}, {value ? value : "", value_size}};
	return MHD_YES;
}

static const char *secret_of(void *data, ecsfs__slice key_id)
{
	const ecsfs__creds *c = data;
	if (key_id.n != strlen(c->key_id) || memcmp(key_id.p, c->key_id, key_id.n) != 0)
		return NULL;
	return c->secret;
}

/* 0 when the request is signed with our key; else an answer was queued. */
static int authenticate(ecsfs_api *api, struct request *rq, struct MHD_Connection *con,
			const char *method, enum MHD_Result *answer)
{
	struct headers h = {0};
	ecsfs_buf why = ECSFS_BUF_INIT;
	const char *type = "ServerException";
	ecsfs__sigv4_req req = {
	    .method = method,
	    .target = rq->target,
	    .body = rq->body.data,
	    .body_len = rq->body.len,
	    .now = time(NULL),
	};
	int r;

	MHD_get_connection_values_n(con, MHD_HEADER_KIND, take_header, &h);
	req.headers = h.v;
	req.n_headers = h.n;
	r = ecsfs__sigv4_verify(&req, secret_of, &api->creds, &type, &why);
	if (r < 0)
		*answer = send_error(con, MHD_HTTP_FORBIDDEN, type, why.data ? why.data : "");
	free(h.v);
	ecsfs_buf_release(&why);
	return r;
}

/* ---- requests ---- */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *con)
{
	struct request *rq = calloc(1, sizeof(*rq));
	(void)con;
	if (!rq)
		return NULL;
	rq->api = cls;
	rq->target = strdup(uri);
	ecsfs_buf_init(&rq->body);
	if (!rq->target) {
		free(rq);
		return NULL;
	}
	return rq;
}

static void on_completed(void *cls, struct MHD_Connection *con, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct request *rq = *con_cls;
	(void)cls;
	(void)con;
	(void)toe;
	if (!rq)
		return;
	rq->api->buffered -= rq->body.len;
	ecsfs_buf_release(&rq->body);
	free(rq->target);
	free(rq);
	*con_cls = NULL;
}

/* The path of a raw request target (before '?') is one a REST-JSON service serves. */
static bool rest_path(const char *target)
{
	const char *q = strchr(target, '?');
	char *path = strndup(target, q ? (size_t)(q - target) : strlen(target));
	bool yes = path && ecsfs__api_rest_serves(path);

	free(path);
	return yes;
}

/* The headers are in: refuse what cannot be an AWS call before its body. */
static enum MHD_Result first_call(struct request *rq, struct MHD_Connection *con, const char *url,
				  const char *method)
{
	const char *len =
	    MHD_lookup_connection_value(con, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	enum MHD_Result ok;
	rq->started = true;
	if (ecsfs__api_prometheus(rq->api->core, con, method, url, &ok) == 0)
		return ok;
	rq->rest = strcmp(url, "/") != 0 && rest_path(rq->target);
	if (rq->rest)
		goto body;
	if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
		return send_error(
		    con, MHD_HTTP_METHOD_NOT_ALLOWED, "UnknownOperationException",
		    "this endpoint answers POST / (AWS JSON 1.1) and /schedules (REST-JSON)");
	if (strcmp(url, "/") != 0)
		return send_error(
		    con, MHD_HTTP_NOT_FOUND, "UnknownOperationException",
		    "this endpoint answers POST / (AWS JSON 1.1) and /schedules (REST-JSON)");
body:
	if (len && strtoull(len, NULL, 10) > BODY_MAX)
		return send_error(con, MHD_HTTP_CONTENT_TOO_LARGE, "SerializationException",
				  "the request body is larger than 10 MiB");
	return MHD_YES;
}

/* A piece of the body: kept, unless it makes the body or all bodies too large. */
static void take_body(struct request *rq, const char *data, size_t n)
{
	ecsfs_api *api = rq->api;

	if (rq->too_big || rq->throttled)
		return;
	if (rq->body.len + n > BODY_MAX || api->buffered + n > BUFFERED_MAX) {
		*(rq->body.len + n > BODY_MAX ? &rq->too_big : &rq->throttled) = true;
		api->buffered -= rq->body.len;
		ecsfs_buf_release(&rq->body);
		return;
	}
	ecsfs_buf_add(&rq->body, data, n);
	api->buffered += n;
}

static enum MHD_Result answer(struct request *rq, struct MHD_Connection *con, const char *method)
{
	ecsfs_api *api = rq->api;
	const char *target;
	ecsfs__api_reply r;
	enum MHD_Result ok = MHD_NO;

	if (rq->too_big)
		return send_error(con, MHD_HTTP_CONTENT_TOO_LARGE, "SerializationException",
				  "the request body is larger than 10 MiB");
	if (rq->throttled)
		return send_error(con, MHD_HTTP_SERVICE_UNAVAILABLE, "ThrottlingException",
				  "too many large requests at once; try again");
	if (api->auth && authenticate(api, rq, con, method, &ok) < 0)
		return ok;
	ecsfs__api_reply_init(&r);
	if (rq->rest) {
		ecsfs__api_dispatch_rest(api->core, method, rq->target, rq->body.data, rq->body.len,
					 &r);
	} else {
		target = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "X-Amz-Target");
		ecsfs__api_dispatch(api->core, target, rq->body.data, rq->body.len, &r);
	}
	ok = send_reply(con, &r);
	ecsfs__api_reply_release(&r);
	return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *con, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct request *rq = *con_cls;
	(void)cls;
	(void)version;
	if (!rq)
		return send_error(con, MHD_HTTP_INTERNAL_SERVER_ERROR, "ServerException",
				  "out of memory");
	if (!rq->started)
		return first_call(rq, con, url, method);
	if (*upload_size) {
		take_body(rq, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	return answer(rq, con, method);
}

/* ---- the loop ---- */

static void on_timer(uv_timer_t *t);

/* Let MHD work, then wake it again when its next timeout is due. */
static void pump(ecsfs_api *api)
{
	MHD_UNSIGNED_LONG_LONG ms;

	MHD_run(api->mhd);
	if (MHD_get_timeout(api->mhd, &ms) == MHD_YES)
		uv_timer_start(&api->timer, on_timer, (uint64_t)ms, 0);
	else
		uv_timer_stop(&api->timer);
}

static void on_timer(uv_timer_t *t)
{
	pump(t->data);
}

static void on_poll(uv_poll_t *p, int status, int events)
{
	(void)status;
	(void)events;
	pump(p->data);
}

static void on_closed(uv_handle_t *h)
{
	ecsfs_api *api = h->data;
	if (--api->handles == 0) {
		explicit_bzero(&api->creds, sizeof(api->creds));
		free(api);
	}
}

/* ---- start ---- */

static void say(const ecsfs_api *api, const char *line)
{
	if (api->core->log)
		api->core->log("api: %s", line);
	else
		fprintf(stderr, "api: %s\n", line);
}

/* MHD's own messages (a client that went away, a header too large), as
 * lines of the daemon's log: LOG_BURST a minute at most. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	ecsfs_api *api = cls;
	ecsfs_buf line = ECSFS_BUF_INIT;
	uint64_t minute = uv_now(api->core->loop) / 60000;

	if (minute != api->log_minute) {
		if (api->log_dropped) {
			ecsfs_buf_addf(&line, "(%u more messages of libmicrohttpd not shown)",
				       api->log_dropped);
			say(api, line.data);
			ecsfs_buf_reset(&line);
		}
		api->log_minute = minute;
		api->log_lines = api->log_dropped = 0;
	}
	if (++api->log_lines > LOG_BURST) {
		api->log_dropped++;
		ecsfs_buf_release(&line);
		return;
	}
	ecsfs_buf_vaddf(&line, fmt, ap);
	while (line.len && (line.data[line.len - 1] == '\n' || line.data[line.len - 1] == '\r'))
		ecsfs_buf_setlen(&line, line.len - 1);
	say(api, line.data ? line.data : "");
	ecsfs_buf_release(&line);
}

/* "127.0.0.1:4566", "localhost:4566", "[::1]:4566" -> an address. */
static int parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *len,
			ecsfs_buf *why)
{
	char host[64];
	const char *colon = strrchr(spec, ':');
	size_t hlen = colon ? (size_t)(colon - spec) : 0;
	char *end;
	unsigned long port = colon ? strtoul(colon + 1, &end, 10) : 0;
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (!colon || !colon[1] || *end || port == 0 || port > 65535 || hlen >= sizeof(host))
		goto bad;
	if (spec[0] == '[' && hlen > 2 && spec[hlen - 1] == ']')
		snprintf(host, sizeof(host), "%.*s", (int)hlen - 2, spec + 1);
	else
		snprintf(host, sizeof(host), "%.*s", (int)hlen, spec);
	if (strcmp(host, "localhost") == 0)
		strcpy(host, "127.0.0.1");
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		*len = sizeof(*in4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*in6);
		return 0;
	}
bad:
	ecsfs_buf_addf(why, "--api takes ADDR:PORT (127.0.0.1:4566, [::1]:4566) or off, not %s",
		       spec);
	return -EINVAL;
}

static bool is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

/* Bound and listening, or -errno with a sentence that names the address. */
static int open_listener(const char *spec, const struct sockaddr_storage *ss, socklen_t len,
			 ecsfs_buf *why)
{
	int one = 1, fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int r;

	if (fd < 0) {
		r = -errno;
		ecsfs_buf_addf(why, "socket: %s", strerror(errno));
		return r;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)ss, len) < 0 || listen(fd, BACKLOG) < 0) {
		r = -errno;
		if (r == -EADDRINUSE)
			ecsfs_buf_addf(why,
				       "%s is in use by another program (pick another "
				       "with --api ADDR:PORT)",
				       spec);
		else
			ecsfs_buf_addf(why, "cannot listen on %s: %s", spec, strerror(errno));
		close(fd);
		return r;
	}
	return fd;
}

/* As many connections as the descriptors allow, with room for the rest of the daemon. */
static unsigned conn_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return CONN_MAX;
	if (rl.rlim_cur < 512 + 64)
		return 64;
	return rl.rlim_cur - 512 < CONN_MAX ? (unsigned)(rl.rlim_cur - 512) : CONN_MAX;
}

static int start_mhd(ecsfs_api *api, int fd, bool v6, bool loopback)
{
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0);

	api->mhd = MHD_start_daemon(
	    flags, 0, NULL, NULL, on_request, api, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, api,
	    MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_TIMEOUT, CONN_TIMEOUT_S,
	    MHD_OPTION_CONNECTION_LIMIT, conn_limit(), MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    loopback ? 0u : PER_IP_MAX, MHD_OPTION_CONNECTION_MEMORY_LIMIT, CONN_MEMORY,
	    MHD_OPTION_URI_LOG_CALLBACK, on_uri, api, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
	    api, MHD_OPTION_END);
	if (!api->mhd) {
		/* MHD may or may not have closed the socket it was given */
		if (fcntl(fd, F_GETFD) >= 0)
			close(fd);
		return -EIO;
	}
	return 0;
}

/* The polled epoll fd and the timer, on the core's loop. */
static int start_handles(ecsfs_api *api)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(api->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	int r;

	if (!info)
		return -EIO;
	uv_timer_init(api->core->loop, &api->timer);
	api->timer.data = api;
	api->handles = 1;
	if ((r = uv_poll_init(api->core->loop, &api->poll, info->epoll_fd)) < 0)
		return r;
	api->poll.data = api;
	api->handles = 2;
	return uv_poll_start(&api->poll, UV_READABLE, on_poll);
}

static int load_credentials(ecsfs_api *api, ecsfs_buf *why)
{
	bool created = false;
	int r = ecsfs__creds_load(api->core->state_dir, &api->creds, &created, why);
	if (r == 0 && api->core->log && created)
		api->core->log("api: made %s/" ECSFS_CREDS_FILE " (profile " ECSFS_CREDS_PROFILE
			       ", access key %s)",
			       api->core->state_dir, api->creds.key_id);
	return r;
}

static void say_listening(const ecsfs_api *api, const char *spec)
{
	if (!api->core->log)
		return;
	if (api->auth)
		api->core->log(
		    "api: the AWS API listens on http://%s (SigV4 with %s/" ECSFS_CREDS_FILE
		    ", profile " ECSFS_CREDS_PROFILE ")",
		    spec, api->core->state_dir);
	else
		api->core->log("api: the AWS API listens on http://%s WITHOUT authentication "
			       "(--api-auth none): anyone who can connect can change everything",
			       spec);
}

int ecsfs_api_start(const ecsfs_api_core *core, const ecsfs_api_config *cfg, ecsfs_api **out,
		    ecsfs_buf *why)
{
	struct sockaddr_storage ss;
	socklen_t len;
	ecsfs_api *api;
	int fd, r;

	if ((r = parse_listen(cfg->listen, &ss, &len, why)) < 0)
		return r;
	if (!(api = calloc(1, sizeof(*api)))) {
		ecsfs_buf_adds(why, "out of memory");
		return -ENOMEM;
	}
	api->core = core;
	api->auth = cfg->auth;
	if (api->auth && (r = load_credentials(api, why)) < 0)
		goto fail;
	if ((fd = r = open_listener(cfg->listen, &ss, len, why)) < 0)
		goto fail;
	if ((r = start_mhd(api, fd, ss.ss_family == AF_INET6, is_loopback(&ss))) < 0) {
		ecsfs_buf_addf(why, "libmicrohttpd did not start on %s", cfg->listen);
		goto fail;
	}
	if ((r = start_handles(api)) < 0) {
		ecsfs_buf_addf(why, "cannot poll the listener: %s", uv_strerror(r));
		ecsfs_api_free(api);
		return r;
	}
	say_listening(api, cfg->listen);
	pump(api);
	*out = api;
	return 0;
fail:
	explicit_bzero(&api->creds, sizeof(api->creds));
	free(api);
	return r;
}

void ecsfs_api_free(ecsfs_api *api)
{
	if (!api)
		return;
	/* the poll leaves libuv's epoll set before MHD closes the fd it watches */
	if (api->handles >= 2)
		uv_close((uv_handle_t *)&api->poll, on_closed);
	if (api->handles >= 1)
		uv_close((uv_handle_t *)&api->timer, on_closed);
	MHD_stop_daemon(api->mhd); /* drops the connections: on_completed frees their requests */
	api->mhd = NULL;
	if (api->handles == 0)
		free(api);
}
