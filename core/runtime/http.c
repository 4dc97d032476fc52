/*
 * ecsfs — asynchronous HTTP over a unix socket or TCP (with TLS when the
 * client is given its files): libcurl's multi interface
 * driven by a libuv loop (curl's "multi_socket" API, as in its multi-uv.c
 * example). curl tells us which sockets to watch (on_curl_socket) and when
 * to wake it up (on_curl_timer); we tell it what happened with
 * curl_multi_socket_action() and collect finished transfers.
 *
 * libcurl forbids calling most of its multi API from inside its own
 * callbacks, and a user's chunk callback runs inside one. Whatever must
 * not run there (adding a request, removing a canceled one, shutting the
 * client down) is done by the `defer` timer on the next loop iteration.
 * One call's curl options, how its answer is read and how its failures
 * read are in http_call.c.
 */
#include "ecsfs/http.h"

#include <assert.h>
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "http_private.h"

static pthread_once_t http_global_once = PTHREAD_ONCE_INIT;
static CURLcode http_global_rc;

static void http_global_init(void)
{
	http_global_rc = curl_global_init(CURL_GLOBAL_ALL);
}

/*
 * Keep the loop alive only while requests are in flight: curl may keep a
 * timer or an idle connection's socket around, which must not hold up a
 * uv_run() that has nothing else to do.
 */
static void http_update_refs(ecsfs_http *http)
{
	void (*fn)(uv_handle_t *) = http->nreqs ? uv_ref : uv_unref;
	struct http_sock *s;

	fn((uv_handle_t *)&http->curl_timer);
	for (s = http->socks; s; s = s->next)
		fn((uv_handle_t *)&s->poll);
}

static void http_strings_free(ecsfs_http *http)
{
	free(http->socket_path);
	free(http->base_url);
	free(http->where);
	free(http->ca);
	free(http->cert);
	free(http->key);
}

static void http_maybe_free(ecsfs_http *http)
{
	void (*done)(void *);
	void *data;

	if (!http->closing || http->multi || http->open_handles)
		return;
	done = http->done;
	data = http->done_data;
	http_strings_free(http);
	free(http);
	if (done)
		done(data);
}

static void on_handle_closed(uv_handle_t *h)
{
	ecsfs_http *http = h->data;

	http->open_handles--;
	http_maybe_free(http);
}

static void on_sock_closed(uv_handle_t *h)
{
	struct http_sock *s = h->data;
	ecsfs_http *http = s->http;

	free(s);
	http->open_handles--;
	http_maybe_free(http);
}

static void sock_close(struct http_sock *s)
{
	ecsfs_http *http = s->http;

	if (s->prev)
		s->prev->next = s->next;
	else
		http->socks = s->next;
	if (s->next)
		s->next->prev = s->prev;
	uv_close((uv_handle_t *)&s->poll, on_sock_closed);
}

static void req_link(ecsfs_http_req *req)
{
	ecsfs_http *http = req->http;

	req->prev = NULL;
	req->next = http->reqs;
	if (http->reqs)
		http->reqs->prev = req;
	http->reqs = req;
	if (http->nreqs++ == 0)
		http_update_refs(http);
}

static void req_unlink(ecsfs_http_req *req)
{
	ecsfs_http *http = req->http;

	if (req->prev)
		req->prev->next = req->next;
	else
		http->reqs = req->next;
	if (req->next)
		req->next->prev = req->prev;
	req->prev = req->next = NULL;
	if (--http->nreqs == 0)
		http_update_refs(http);
}

static void http_defer(ecsfs_http *http);

/* ---- the queues of calls waiting for their turn ---- */

enum { LANE_CALLS, LANE_WAITS };

static void queue_push(ecsfs_http_req *req)
{
	ecsfs_http *http = req->http;

	req->queued = true;
	req->qnext = NULL;
	req->qprev = http->qtail[req->lane];
	if (req->qprev)
		req->qprev->qnext = req;
	else
		http->qhead[req->lane] = req;
	http->qtail[req->lane] = req;
	http->nqueued++;
}

static void queue_remove(ecsfs_http_req *req)
{
	ecsfs_http *http = req->http;

	if (!req->queued)
		return;
	if (req->qprev)
		req->qprev->qnext = req->qnext;
	else
		http->qhead[req->lane] = req->qnext;
	if (req->qnext)
		req->qnext->qprev = req->qprev;
	else
		http->qtail[req->lane] = req->qprev;
	req->queued = false;
	req->qprev = req->qnext = NULL;
	http->nqueued--;
}

void ecsfs_http_set_calls_max(ecsfs_http *http, bool waits, unsigned n)
{
	http->calls_max[waits ? LANE_WAITS : LANE_CALLS] = n ? n : 1;
}

void ecsfs_http_calls(const ecsfs_http *http, unsigned *in_flight, unsigned *queued)
{
	*in_flight = http->calls[LANE_CALLS] + http->calls[LANE_WAITS];
	*queued = http->nqueued;
}

static void req_free(ecsfs_http_req *req)
{
	if (req->easy)
		curl_easy_cleanup(req->easy);
	curl_slist_free_all(req->headers);
	ecsfs_buf_release(&req->what);
	ecsfs_buf_release(&req->body);
	free(req);
}

/* Take the request out of the client, report `err`, free it. */
static void req_complete(ecsfs_http_req *req, int err, const char *errmsg)
{
	ecsfs_http *http = req->http;
	long status = 0;

	assert(!http->in_curl);
	curl_easy_getinfo(req->easy, CURLINFO_RESPONSE_CODE, &status);
	if (req->added) {
		curl_multi_remove_handle(http->multi, req->easy);
		req->added = false;
		/* a call's end is the next one's turn */
		if (req->lane >= 0) {
			http->calls[req->lane]--;
			if (http->qhead[req->lane] && !http->closing)
				http_defer(http);
		}
	}
	queue_remove(req);
	req_unlink(req);
	req->cb(req->data, err, status, &req->body, err ? errmsg : "");
	req_free(req);
}

static void req_cancel_now(ecsfs_http_req *req)
{
	ecsfs_buf msg = ECSFS_BUF_INIT;

	ecsfs_buf_addf(&msg, "%s: canceled", req->what.data);
	req_complete(req, -ECANCELED, msg.data);
	ecsfs_buf_release(&msg);
}

static void http_check_done(ecsfs_http *http)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(http->multi, &left))) {
		ecsfs_http_req *req;
		ecsfs_buf msg = ECSFS_BUF_INIT;
		CURLcode rc;
		char *p = NULL;
		int err = 0;

		if (m->msg != CURLMSG_DONE)
			continue;
		rc = m->data.result;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &p);
		req = (ecsfs_http_req *)p;
		if (req->canceled) {
			req_cancel_now(req);
			continue;
		}
		if (rc != CURLE_OK)
			err = ecsfs__http_translate(req, rc, &msg);
		req_complete(req, err, msg.data);
		ecsfs_buf_release(&msg);
	}
}

static void http_socket_action(ecsfs_http *http, curl_socket_t fd, int flags)
{
	int running;

	http->in_curl++;
	curl_multi_socket_action(http->multi, fd, flags, &running);
	http->in_curl--;
	http_check_done(http);
}

static void on_poll(uv_poll_t *p, int status, int events)
{
	struct http_sock *s = p->data;
	int flags = 0;

	if (status < 0)
		flags = CURL_CSELECT_ERR;
	if (events & UV_READABLE)
		flags |= CURL_CSELECT_IN;
	if (events & UV_WRITABLE)
		flags |= CURL_CSELECT_OUT;
	http_socket_action(s->http, s->fd, flags);
}

static void on_curl_timeout(uv_timer_t *t)
{
	http_socket_action(t->data, CURL_SOCKET_TIMEOUT, 0);
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
	ecsfs_http *http = userp;

	if (timeout_ms < 0)
		uv_timer_stop(&http->curl_timer);
	else
		uv_timer_start(&http->curl_timer, on_curl_timeout, (uint64_t)timeout_ms, 0);
	return 0;
}

static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	ecsfs_http *http = userp;
	struct http_sock *s = socketp;
	int events = 0;

	if (what == CURL_POLL_REMOVE) {
		if (s) {
			/* During curl_multi_cleanup() the multi handle is going away. */
			if (http->multi && !http->closing)
				curl_multi_assign(http->multi, fd, NULL);
			sock_close(s);
		}
		return 0;
	}
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s)
			return -1;
		if (uv_poll_init_socket(http->loop, &s->poll, fd) < 0) {
			free(s);
			return -1;
		}
		s->fd = fd;
		s->http = http;
		s->poll.data = s;
		s->next = http->socks;
		if (http->socks)
			http->socks->prev = s;
		http->socks = s;
		http->open_handles++;
		if (!http->nreqs)
			uv_unref((uv_handle_t *)&s->poll);
		curl_multi_assign(http->multi, fd, s);
	}
	if (what & CURL_POLL_IN)
		events |= UV_READABLE;
	if (what & CURL_POLL_OUT)
		events |= UV_WRITABLE;
	return uv_poll_start(&s->poll, events, on_poll) < 0 ? -1 : 0;
}

static int req_add(ecsfs_http_req *req)
{
	CURLMcode mc = curl_multi_add_handle(req->http->multi, req->easy);

	if (mc != CURLM_OK)
		return mc == CURLM_OUT_OF_MEMORY ? -ENOMEM : -EIO;
	req->added = true;
	if (req->lane >= 0)
		req->http->calls[req->lane]++;
	return 0;
}

/* May the call start now, or must it wait for its turn? */
static bool req_waits(const ecsfs_http_req *req)
{
	return req->lane >= 0 && req->http->calls[req->lane] >= req->http->calls_max[req->lane];
}

static void req_add_or_fail(ecsfs_http_req *req)
{
	int r = req_add(req);

	if (r < 0) {
		ecsfs_buf msg = ECSFS_BUF_INIT;

		ecsfs_buf_addf(&msg, "%s: cannot start the request", req->what.data);
		req_complete(req, r, msg.data);
		ecsfs_buf_release(&msg);
	}
}

/* Start waiting calls, oldest first, as far as there is room. */
static void queue_pump(ecsfs_http *http)
{
	ecsfs_http_req *req;

	for (int lane = LANE_CALLS; lane <= LANE_WAITS; lane++)
		while ((req = http->qhead[lane]) && http->calls[lane] < http->calls_max[lane]) {
			queue_remove(req);
			req_add_or_fail(req);
		}
}

static void http_shutdown(ecsfs_http *http)
{
	ecsfs_http_req *req;

	while ((req = http->reqs))
		req_cancel_now(req);
	http->in_curl++;
	curl_multi_cleanup(http->multi);
	http->in_curl--;
	http->multi = NULL;
	while (http->socks)
		sock_close(http->socks);
	uv_close((uv_handle_t *)&http->curl_timer, on_handle_closed);
	uv_close((uv_handle_t *)&http->defer, on_handle_closed);
}

static void on_defer(uv_timer_t *t)
{
	ecsfs_http *http = t->data;
	ecsfs_http_req *req, *next;

	if (http->closing) {
		http_shutdown(http);
		return;
	}
	/* Callbacks may start requests (at the head, added at once) or cancel
	 * some (flagged, finished on a later pass); neither frees `next`. */
	for (req = http->reqs; req; req = next) {
		next = req->next;
		if (req->canceled)
			req_cancel_now(req);
		else if (!req->added && !req->queued && req_waits(req))
			queue_push(req);
		else if (!req->added && !req->queued)
			req_add_or_fail(req);
	}
	queue_pump(http);
}

static void http_defer(ecsfs_http *http)
{
	uv_timer_start(&http->defer, on_defer, 0, 0);
}

static char *dup_or_null(const char *s, bool *failed)
{
	char *p = s ? strdup(s) : NULL;

	if (s && !p)
		*failed = true;
	return p;
}

/* Everything but where it goes: the multi handle, its callbacks, timers. */
static int http_make(uv_loop_t *loop, ecsfs_http *http)
{
	pthread_once(&http_global_once, http_global_init);
	if (http_global_rc != CURLE_OK)
		return -ENOMEM;
	http->multi = curl_multi_init();
	if (!http->multi)
		return -ENOMEM;
	if (curl_multi_setopt(http->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket) ||
	    curl_multi_setopt(http->multi, CURLMOPT_SOCKETDATA, http) ||
	    curl_multi_setopt(http->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer) ||
	    curl_multi_setopt(http->multi, CURLMOPT_TIMERDATA, http)) {
		curl_multi_cleanup(http->multi);
		http->multi = NULL;
		return -ENOMEM;
	}
	http->loop = loop;
	http->calls_max[LANE_CALLS] = ECSFS_HTTP_CALLS_MAX;
	http->calls_max[LANE_WAITS] = ECSFS_HTTP_WAITS_MAX;
	/* Nothing can fail past this point: the handles need uv_close(). */
	uv_timer_init(loop, &http->curl_timer);
	uv_timer_init(loop, &http->defer);
	http->curl_timer.data = http;
	http->defer.data = http;
	http->open_handles = 2;
	http_update_refs(http);
	return 0;
}

static int http_finish(uv_loop_t *loop, ecsfs_http *http, bool failed, ecsfs_http **out)
{
	int r = failed ? -ENOMEM : http_make(loop, http);

	if (r < 0) {
		http_strings_free(http);
		free(http);
		return r;
	}
	*out = http;
	return 0;
}

int ecsfs_http_new(uv_loop_t *loop, const char *socket_path, ecsfs_http **out)
{
	ecsfs_http *http;
	bool failed = false;

	if (!loop || !socket_path || !socket_path[0])
		return -EINVAL;
	http = calloc(1, sizeof(*http));
	if (!http)
		return -ENOMEM;
	http->socket_path = dup_or_null(socket_path, &failed);
	http->where = dup_or_null(socket_path, &failed);
	http->base_url = dup_or_null(HTTP_UNIX_URL, &failed);
	return http_finish(loop, http, failed, out);
}

/* A host curl can put in a URL: a name or an IPv4 address, or an IPv6
 * address in brackets; nothing that would make the URL mean more. */
static bool host_ok(const char *host)
{
	size_t n = strlen(host);

	if (n == 0 || n > 255)
		return false;
	if (host[0] == '[')
		return n > 2 && host[n - 1] == ']' &&
		       strspn(host + 1, "0123456789abcdefABCDEF:.") == n - 2;
	return strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") ==
	       n;
}

int ecsfs_http_new_tcp(uv_loop_t *loop, const char *host, int port, const ecsfs_http_tls *tls,
		       ecsfs_http **out)
{
	ecsfs_buf url = ECSFS_BUF_INIT, where = ECSFS_BUF_INIT;
	ecsfs_http *http;
	bool failed = false;

	if (!loop || !host || !host_ok(host) || port < 1 || port > 65535)
		return -EINVAL;
	if (tls &&
	    (!tls->ca || !tls->cert || !tls->key || !tls->ca[0] || !tls->cert[0] || !tls->key[0]))
		return -EINVAL;
	http = calloc(1, sizeof(*http));
	if (!http)
		return -ENOMEM;
	ecsfs_buf_addf(&where, "%s:%d", host, port);
	ecsfs_buf_addf(&url, "%s://%s", tls ? "https" : "http", where.data);
	http->base_url = dup_or_null(url.data, &failed);
	http->where = dup_or_null(where.data, &failed);
	if (tls) {
		http->ca = dup_or_null(tls->ca, &failed);
		http->cert = dup_or_null(tls->cert, &failed);
		http->key = dup_or_null(tls->key, &failed);
	}
	ecsfs_buf_release(&url);
	ecsfs_buf_release(&where);
	return http_finish(loop, http, failed, out);
}

static bool method_ok(const char *method)
{
	const char *p;

	if (!method || !*method || strlen(method) > 16)
		return false;
	for (p = method; *p; p++)
		if (*p < 'A' || *p > 'Z')
			return false;
	return true;
}

int ecsfs_http_start(ecsfs_http *http, const ecsfs_http_opts *opts, ecsfs_http_cb cb, void *data,
		     ecsfs_http_req **out)
{
	ecsfs_http_req *req;
	int r;

	if (!http || !opts || !cb || !method_ok(opts->method) || !opts->path ||
	    opts->path[0] != '/' || strpbrk(opts->path, " \r\n") || (opts->body_len && !opts->body))
		return -EINVAL;
	if (http->closing)
		return -ECANCELED;
	req = calloc(1, sizeof(*req));
	if (!req)
		return -ENOMEM;
	req->http = http;
	req->cb = cb;
	req->data = data;
	req->on_chunk = opts->on_chunk;
	req->timeout_ms = opts->timeout_ms;
	req->max_body = opts->max_body ? opts->max_body : ECSFS_HTTP_MAX_BODY;
	ecsfs_buf_init(&req->body);
	ecsfs_buf_init(&req->what);
	ecsfs_buf_addf(&req->what, "%s %s", opts->method, opts->path);
	req->easy = curl_easy_init();
	if (!req->easy) {
		r = -ENOMEM;
		goto err_free;
	}
	r = ecsfs__http_req_setup(req, opts);
	if (r < 0)
		goto err_free;
	req->lane = opts->on_chunk ? -1 : opts->waits ? LANE_WAITS : LANE_CALLS;
	req_link(req);
	if (req_waits(req)) {
		queue_push(req);
	} else if (http->in_curl) {
		http_defer(http);
	} else {
		r = req_add(req);
		if (r < 0)
			goto err_unlink;
	}
	if (out)
		*out = req;
	return 0;

err_unlink:
	req_unlink(req);
err_free:
	req_free(req);
	return r;
}

int ecsfs_http_request(ecsfs_http *http, const char *method, const char *path, const char *body,
		       size_t body_len, long timeout_ms, ecsfs_http_cb cb, void *data)
{
	ecsfs_http_opts o = {
	    .method = method,
	    .path = path,
	    .body = body,
	    .body_len = body ? body_len : 0,
	    .timeout_ms = timeout_ms,
	};

	return ecsfs_http_start(http, &o, cb, data, NULL);
}

void ecsfs_http_cancel(ecsfs_http_req *req)
{
	if (!req || req->canceled)
		return;
	req->canceled = true;
	http_defer(req->http);
}

void ecsfs_http_close(ecsfs_http *http, void (*done)(void *data), void *data)
{
	ecsfs_http_req *req;

	assert(!http->closing);
	http->closing = true;
	http->done = done;
	http->done_data = data;
	for (req = http->reqs; req; req = req->next)
		req->canceled = true;
	http_defer(http);
}
