/* ecsfs — a small asynchronous HTTP client over a unix socket or TCP (+TLS). */
#ifndef ECSFS_HTTP_H
#define ECSFS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "ecsfs/buf.h"

/*
 * HTTP/1.1 requests to a server on a unix socket or at a TCP host:port,
 * over TLS when given its files (the Docker Engine), on
 * libcurl's multi interface driven by a libuv loop: curl's sockets are
 * watched with uv_poll handles, its timeouts with a uv_timer. Nothing
 * blocks; every result arrives through a callback on the loop thread.
 *
 * libcurl stays inside http.c: errors reach callers as -errno values with
 * a sentence for a person beside them, never as curl codes.
 *
 * The client keeps the loop alive only while requests are in flight; an
 * idle client does not prevent uv_run() from returning.
 */
typedef struct ecsfs_http ecsfs_http;
typedef struct ecsfs_http_req ecsfs_http_req;

/* Largest response body collected for a callback, unless a request says. */
#define ECSFS_HTTP_MAX_BODY (64u << 20)

/*
 * Called exactly once per request, on the loop thread, never from within
 * the call that started the request.
 *
 * `err` is 0 when an HTTP answer arrived — whatever its `status`, a 404 is
 * not an error here — or a negative errno:
 *   -ECONNREFUSED, -EACCES  the socket cannot be connected (a unix socket
 *                that is not there is -ECONNREFUSED too), the host cannot be
 *                resolved or reached, or TLS failed: the peer's certificate
 *                is not trusted or names another host, it speaks no TLS, or
 *                our own files cannot be used (the message says which)
 *   -ETIMEDOUT   no complete answer within the request's timeout
 *   -ECANCELED   ecsfs_http_cancel() or ecsfs_http_close()
 *   (any)        the -errno a chunk callback returned to stop the request
 *   -EMSGSIZE    the body exceeded the request's max_body
 *   -ENOMEM      out of memory
 *   -EIO         anything else (a broken connection, a garbled answer)
 * `status` is the HTTP status, 0 when none was received. `body` holds the
 * response body (empty when streamed to a chunk callback); it belongs to
 * the client and is valid only during the call. `errmsg` is a sentence
 * saying what went wrong when err != 0 ("cannot connect to
 * /var/run/docker.sock: No such file or directory"), "" otherwise.
 */
typedef void (*ecsfs_http_cb)(void *data, int err, long status, const ecsfs_buf *body,
			      const char *errmsg);

/*
 * Streaming hook (Docker's /events, container logs): called with each piece
 * of a 2xx response's body as it arrives; such a body is not collected.
 * Bodies of other statuses are collected for the final callback, so error
 * messages still arrive whole. Return 0 to go on, or a negative errno to
 * stop the request, which then ends with that error. It runs inside libcurl:
 * it may call ecsfs_http_request(), _start(), _cancel() and _close(), whose
 * effects wait for the next loop iteration, but must not run the loop.
 */
typedef int (*ecsfs_http_chunk_cb)(void *data, long status, const char *chunk, size_t len);

/* A request, for ecsfs_http_start(). Unset fields are zero. */
typedef struct ecsfs_http_opts {
	const char *method;	      /* "GET", "POST", "DELETE", "PUT", "HEAD"... */
	const char *path;	      /* "/v1.41/containers/json?all=1"; starts with '/' */
	const char *body;	      /* request body or NULL; copied */
	size_t body_len;	      /* bytes of body */
	const char *content_type;     /* NULL: "application/json" when body_len > 0 */
	long timeout_ms;	      /* whole request; 0: none (streams) */
	size_t max_body;	      /* 0: ECSFS_HTTP_MAX_BODY */
	ecsfs_http_chunk_cb on_chunk; /* NULL: collect the body for the callback */
	/* a call the engine answers only after a wait (a stop waits out the
	 * container's stopTimeout, one-shot stats its collector's tick): it
	 * waits for its turn among those, not behind quick calls */
	bool waits;
} ecsfs_http_opts;

/*
 * At most ECSFS_HTTP_CALLS_MAX calls (requests without on_chunk) of one
 * client are in flight, and ECSFS_HTTP_WAITS_MAX of those that wait; the
 * others wait in order and start as those finish, so that a resync of
 * thousands of containers neither opens thousands of connections nor makes
 * the engine answer them all at once. A call's timeout counts from its
 * start, not its queueing. Streams (on_chunk) never wait: each is bounded
 * by the task holding it (see ecsfs_tasks_set_fd_budget).
 */
#define ECSFS_HTTP_CALLS_MAX 32
#define ECSFS_HTTP_WAITS_MAX 256

/*
 * Create a client on `loop` for the unix socket at `socket_path` (copied).
 * Nothing connects until the first request. Returns 0 and sets *out (free
 * it with ecsfs_http_close()), -EINVAL for an empty path, -ENOMEM.
 */
int ecsfs_http_new(uv_loop_t *loop, const char *socket_path, ecsfs_http **out);

/* The files of a TLS client (PEM paths, copied): the CA that signed the
 * server's certificate (the only one trusted), this client's certificate
 * and its key (unencrypted). */
typedef struct ecsfs_http_tls {
	const char *ca, *cert, *key;
} ecsfs_http_tls;

/*
 * Create a client for `host` ("10.0.0.5", "engine.example", "[::1]") at
 * `port`: plain HTTP with `tls` NULL, else HTTPS with the peer's
 * certificate and host name verified and our certificate presented. The
 * files are read at each new connection (a renewed certificate is taken
 * without a restart). Connections go straight to the host, never through
 * a proxy the environment names; connecting (with the TLS handshake) takes
 * at most 10 s. Returns 0 and *out, -EINVAL for a bad host or port or a
 * TLS file not given, -ENOMEM.
 */
int ecsfs_http_new_tcp(uv_loop_t *loop, const char *host, int port, const ecsfs_http_tls *tls,
		       ecsfs_http **out);
/* Change ECSFS_HTTP_CALLS_MAX (`waits` false) or ECSFS_HTTP_WAITS_MAX for
 * this client (at least 1; tests). */
void ecsfs_http_set_calls_max(ecsfs_http *http, bool waits, unsigned n);
/* Calls in flight and calls waiting for their turn. */
void ecsfs_http_calls(const ecsfs_http *http, unsigned *in_flight, unsigned *queued);

/*
 * Start the request `opts` describes; `cb` gets its result with `data`.
 * When `out` is not NULL it receives the request, for ecsfs_http_cancel();
 * it stays valid until `cb` has been called. Returns 0, or -EINVAL for a
 * bad method, path or callback, -ECANCELED once the client is closing,
 * -ENOMEM; on error `cb` is never called.
 */
int ecsfs_http_start(ecsfs_http *http, const ecsfs_http_opts *opts, ecsfs_http_cb cb, void *data,
		     ecsfs_http_req **out);

/*
 * The common case of ecsfs_http_start(): `body` may be NULL, the body is
 * collected, and the request cannot be canceled except by closing the
 * client. Same returns.
 */
int ecsfs_http_request(ecsfs_http *http, const char *method, const char *path, const char *body,
		       size_t body_len, long timeout_ms, ecsfs_http_cb cb, void *data);

/*
 * Cancel a request whose callback has not run yet: the callback gets
 * -ECANCELED on a later loop iteration, never from within this function.
 */
void ecsfs_http_cancel(ecsfs_http_req *req);

/*
 * Cancel every request (callbacks get -ECANCELED), close the connections
 * and every uv handle, free the client, then call `done` (may be NULL) with
 * `data` on the loop thread — only once every handle's close callback has
 * run. No request may be started once close has been called. Call it once.
 */
void ecsfs_http_close(ecsfs_http *http, void (*done)(void *data), void *data);

#endif
