/*
 * ecsfs — what the HTTP client's two files share: http.c (the client, its
 * sockets and timers on the loop, the queues of calls) and http_call.c
 * (one call: its curl options, how its answer is read, and how its
 * failures become -errno values with a sentence).
 */
#ifndef ECSFS_HTTP_PRIVATE_H
#define ECSFS_HTTP_PRIVATE_H

#include <curl/curl.h>
#include <stdbool.h>
#include <uv.h>

#include "ecsfs/buf.h"
#include "ecsfs/http.h"

/* The host part is only a label: the unix socket decides where we go. */
#define HTTP_UNIX_URL "http://docker"
/* Connecting to a unix socket is immediate unless the server is wedged; a
 * TCP peer that drops our SYNs must not hold a call longer than this
 * either (a probe's own timeout is shorter still). */
#define HTTP_CONNECT_TIMEOUT_MS 10000L

/* One socket curl asked us to watch. */
struct http_sock {
	uv_poll_t poll;
	curl_socket_t fd;
	ecsfs_http *http;
	struct http_sock *prev, *next;
};

struct ecsfs_http_req {
	ecsfs_http *http;
	CURL *easy;
	struct curl_slist *headers;
	ecsfs_buf what; /* "GET /_ping", for messages */
	ecsfs_buf body;
	size_t max_body;
	long timeout_ms;
	ecsfs_http_cb cb;
	ecsfs_http_chunk_cb on_chunk;
	void *data;
	int abort_err; /* why the write callback stopped the transfer */
	bool added;    /* handed to curl_multi_add_handle() */
	bool canceled;
	int lane;    /* LANE_CALLS, LANE_WAITS, or -1 (a stream: never queued) */
	bool queued; /* waits for its turn (qprev/qnext) */
	ecsfs_http_req *qprev, *qnext;
	char errbuf[CURL_ERROR_SIZE];
	ecsfs_http_req *prev, *next;
};

struct ecsfs_http {
	uv_loop_t *loop;
	CURLM *multi;
	char *socket_path;     /* a unix socket, or NULL for TCP */
	char *base_url;	       /* "http://docker", "http://host:port", "https://host:port" */
	char *where;	       /* for messages: the socket's path, or host:port */
	char *ca, *cert, *key; /* TLS files, NULL for plain HTTP */
	uv_timer_t curl_timer; /* curl's own timeouts */
	uv_timer_t defer;      /* work that must not run inside libcurl */
	struct http_sock *socks;
	ecsfs_http_req *reqs;
	size_t nreqs;
	/* per lane: calls in flight, how many may be, the calls waiting
	 * (oldest first) */
	unsigned calls[2], calls_max[2];
	unsigned nqueued;
	ecsfs_http_req *qhead[2], *qtail[2];
	int open_handles; /* uv handles whose close callback has not run */
	int in_curl;	  /* depth of calls into libcurl that may call us back */
	bool closing;
	void (*done)(void *data);
	void *done_data;
};

/* Set up the easy handle of `req`. Returns 0 or -ENOMEM. */
int ecsfs__http_req_setup(ecsfs_http_req *req, const ecsfs_http_opts *o);

/* The one place where curl's error codes become -errno values; `msg`
 * gets the sentence. */
int ecsfs__http_translate(ecsfs_http_req *req, CURLcode rc, ecsfs_buf *msg);

#endif
