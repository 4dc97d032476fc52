/*
 * ecsfs — what the Docker client's files share: docker.c (probing,
 * lifecycle, the event stream, the table of runtime ops), docker_ops.c
 * (container, image, volume and network calls), docker_logs.c (log
 * streams) and docker_util.c (helpers all of them use). Calls go one way:
 * docker.c -> docker_ops.c, docker_logs.c -> docker_util.c.
 */
#ifndef ECSFS_DOCKER_PRIVATE_H
#define ECSFS_DOCKER_PRIVATE_H

#include <jansson.h>
#include <stdbool.h>
#include <uv.h>

#include "ecsfs/buf.h"
#include "ecsfs/docker.h"
#include "ecsfs/http.h"
#include "ecsfs/runtime.h"

/* The longest an ordinary call may take. */
#define ECSFS__DOCKER_CALL_TIMEOUT_MS 60000L
/* How much of an engine's error message goes into a call's errmsg. */
#define ECSFS__DOCKER_MESSAGE_MAX 1024
/* Longest line of a JSON-lines stream (/events, pull progress) we parse. */
#define ECSFS__DOCKER_JSONL_MAX (1u << 20)

struct docker_events;

struct docker {
	ecsfs_runtime rt; /* first: ecsfs_runtime * converts to struct docker * */
	ecsfs_http *http;
	uv_timer_t timer;    /* the next probe */
	uv_timer_t announce; /* tells the subscriber the event stream (re)opened */
	ecsfs_runtime_info info;
	char api[16]; /* last negotiated API version, kept while unreachable */
	uint64_t backoff_ms;
	bool started;
	bool probing; /* a probe request is in flight */
	bool closing;
	int open_timers; /* uv timers whose close callback has not run */
	ecsfs_runtime_event_cb watch_cb;
	void *watch_data;
	struct docker_events *events; /* the open event stream, or NULL */
	void (*done)(void *data);
	void *done_data;
};

static inline struct docker *ecsfs__to_docker(ecsfs_runtime *rt)
{
	return (struct docker *)rt;
}

/*
 * Append what an engine's error answer says: its {"message": "..."}, else
 * the start of the body on one line; at most `max` bytes.
 */
void ecsfs__docker_error_text(const ecsfs_buf *body, size_t max, ecsfs_buf *out);

/* Append `s` percent-encoded for a URL's query value or path segment. */
void ecsfs__url_escape(ecsfs_buf *out, const char *s);

/* Append "/v<api>" (the negotiated version, or ECSFS_DOCKER_API_MIN before
 * any negotiation) for the start of an API path. */
void ecsfs__docker_prefix(struct docker *d, ecsfs_buf *out);

/*
 * A stream of JSON values, one a line, arriving in arbitrary pieces. Lines
 * that are blank, not JSON, or longer than ECSFS__DOCKER_JSONL_MAX are
 * skipped. The callback gets each value (borrowed); a negative return
 * stops the feed and is returned.
 */
struct ecsfs__jsonl {
	ecsfs_buf line;
	bool skipping; /* inside a line too long to keep */
};
typedef int (*ecsfs__jsonl_fn)(void *data, json_t *value);
void ecsfs__jsonl_init(struct ecsfs__jsonl *j);
int ecsfs__jsonl_feed(struct ecsfs__jsonl *j, const char *p, size_t n, ecsfs__jsonl_fn fn,
		      void *data);
/* The last line, when it had no '\n'. */
int ecsfs__jsonl_finish(struct ecsfs__jsonl *j, ecsfs__jsonl_fn fn, void *data);
void ecsfs__jsonl_release(struct ecsfs__jsonl *j);

/* The runtime ops of docker_ops.c and docker_logs.c, as runtime.h
 * describes them. */
int ecsfs__docker_create(ecsfs_runtime *rt, const char *name, json_t *config, ecsfs_runtime_cb cb,
			 void *data);
int ecsfs__docker_start_container(ecsfs_runtime *rt, const char *id, ecsfs_runtime_cb cb,
				  void *data);
int ecsfs__docker_stop(ecsfs_runtime *rt, const char *id, int timeout_s, ecsfs_runtime_cb cb,
		       void *data);
int ecsfs__docker_remove(ecsfs_runtime *rt, const char *id, ecsfs_runtime_cb cb, void *data);
int ecsfs__docker_inspect(ecsfs_runtime *rt, const char *id, ecsfs_runtime_cb cb, void *data);
int ecsfs__docker_list(ecsfs_runtime *rt, const char *label, ecsfs_runtime_cb cb, void *data);
int ecsfs__docker_image_inspect(ecsfs_runtime *rt, const char *ref, ecsfs_runtime_cb cb,
				void *data);
int ecsfs__docker_image_pull(ecsfs_runtime *rt, const char *ref, ecsfs_runtime_cb cb, void *data);
int ecsfs__docker_image_import(ecsfs_runtime *rt, const char *ref, const void *tar, size_t len,
			       const char *cmd_json, ecsfs_runtime_cb cb, void *data);
int ecsfs__docker_volume_create(ecsfs_runtime *rt, json_t *body, ecsfs_runtime_cb cb, void *data);
int ecsfs__docker_volume_remove(ecsfs_runtime *rt, const char *name, ecsfs_runtime_cb cb,
				void *data);
int ecsfs__docker_network_create(ecsfs_runtime *rt, json_t *body, ecsfs_runtime_cb cb, void *data);
int ecsfs__docker_network_inspect(ecsfs_runtime *rt, const char *name, ecsfs_runtime_cb cb,
				  void *data);
int ecsfs__docker_network_remove(ecsfs_runtime *rt, const char *name, ecsfs_runtime_cb cb,
				 void *data);
int ecsfs__docker_network_list(ecsfs_runtime *rt, const char *label, ecsfs_runtime_cb cb,
			       void *data);
int ecsfs__docker_stats(ecsfs_runtime *rt, const char *id, ecsfs_runtime_cb cb, void *data);
int ecsfs__docker_host(ecsfs_runtime *rt, ecsfs_runtime_cb cb, void *data);
int ecsfs__docker_network_disconnect(ecsfs_runtime *rt, const char *name, const char *id,
				     ecsfs_runtime_cb cb, void *data);
ecsfs_runtime_logs *ecsfs__docker_logs(ecsfs_runtime *rt, const char *id, int64_t since_ns,
				       ecsfs_runtime_line_cb line, ecsfs_runtime_end_cb end,
				       void *data);
void ecsfs__docker_logs_cancel(ecsfs_runtime_logs *l);

#endif
