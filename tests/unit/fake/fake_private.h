/*
 * ecsfs — what the fake runtime's files share: its state (containers,
 * images, volumes, networks, the queue of what is to be delivered) and the
 * helpers that change it. fake_runtime.c: helpers, the queue, the
 * runtime's life; fake_calls.c: container, image and volume calls;
 * fake_control.c: the test's controls.
 */
#ifndef ECSFS_FAKE_PRIVATE_H
#define ECSFS_FAKE_PRIVATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ecsfs/buf.h"
#include "ecsfs/runtime.h"
#include "ecsfs/util.h"
#include "fake_runtime.h"

#define FAKE_API_VERSION "1.43"
/* Lines of output a container keeps for followers that come later. */
#define FAKE_LOG_LINES_MAX 10000
/* Where the fake engine starts picking host ports. */
#define FAKE_PORT_FIRST 32768

/* One thing to hand to the layer above, in order. */
enum work_kind {
	WORK_RESULT, /* a call's result */
	WORK_OPEN,   /* the event stream (re)opened: cb(NULL) */
	WORK_EVENT,  /* an event */
	WORK_LINE,   /* a line of output for a follower */
	WORK_END,    /* a follower's end */
};

struct work {
	enum work_kind kind;
	struct work *next;
	ecsfs_runtime_cb cb; /* WORK_RESULT */
	void *data;
	int err;
	json_t *json; /* the result (may be NULL), or the event */
	char *text;   /* errmsg, or the line */
	size_t len;
	unsigned gen;			 /* WORK_OPEN, WORK_EVENT: the subscription it belongs to */
	struct ecsfs_runtime_logs *logs; /* WORK_LINE, WORK_END */
	int stream;
	int64_t ts;
};

struct fake_line {
	int stream;
	int64_t ts;
	char *text;
};

struct fake_container {
	char id[65];
	char *name;
	json_t *config;	    /* the create body, as given */
	const char *status; /* "created", "running", "exited" */
	int exit_code;
	int64_t created, started, finished;
	char health[16]; /* "" without a health check */
	json_t *ports;	 /* NetworkSettings.Ports while running */
	json_t *nets; /* NetworkSettings.Networks: name -> endpoint (IPAddress "" once stopped) */
	struct fake_line *lines;
	size_t nlines;
	bool removing; /* the engine removes it itself: removals answer -EINPROGRESS */
	struct fake_container *next;
};

/* A network: the default "bridge" and those made with network_create. */
struct fake_network {
	char id[65];
	char *name;
	json_t *labels;
	unsigned net;	 /* the subnet's address, host order */
	unsigned prefix; /* its prefix length */
	unsigned next;	 /* the next host number to hand out (gateway: 1) */
	struct fake_network *next_net;
};

struct ecsfs_runtime_logs {
	struct fake_runtime *f;
	char id[65]; /* the container's, "" when it was never there */
	int64_t since;
	ecsfs_runtime_line_cb line;
	ecsfs_runtime_end_cb end;
	void *data;
	bool canceled;
	bool end_queued; /* its WORK_END is in the queue; it follows no more */
	int end_err;
	struct ecsfs_runtime_logs *prev, *next; /* followers not yet ended */
};

struct fake_runtime {
	ecsfs_runtime rt; /* first: ecsfs_runtime * converts to struct fake_runtime * */
	ecsfs_runtime_info info;
	struct work *head, *tail;
	struct fake_container *containers;
	json_t *images;	 /* normalized ref -> inspect object, of pulls and imports */
	json_t *volumes; /* name -> volume */
	json_t *stats;	 /* container id -> the stats object a test set (fake_stats.c) */
	json_t *host;	 /* what the host call answers, when a test set it */
	struct fake_network *networks;
	ecsfs_runtime_event_cb watch_cb;
	void *watch_data;
	unsigned watch_gen;
	struct ecsfs_runtime_logs *followers;
	int64_t clock; /* the last timestamp handed out */
	int next_port;
	int flushing;
	bool closing;
	void (*done)(void *data);
	void *done_data;
};

static inline struct fake_runtime *to_fake(ecsfs_runtime *rt)
{
	return (struct fake_runtime *)rt;
}

static inline const char *or_str(const char *s, const char *otherwise)
{
	return s ? s : otherwise;
}

static inline bool image_present(const char *ref)
{
	return ref && !strstr(ref, "missing");
}

/* ---- fake_runtime.c ---- */

void ecsfs__fake_digest(const char *s, char out[72]);
void ecsfs__fake_end_followers(struct fake_runtime *f, struct fake_container *c, int err);
struct fake_container *ecsfs__fake_find(struct fake_runtime *f, const char *id);
void ecsfs__fake_free(struct fake_runtime *f);
bool ecsfs__fake_has_healthcheck(const struct fake_container *c);
bool ecsfs__fake_has_label(const struct fake_container *c, const char *label);
const char *ecsfs__fake_label_of(const struct fake_container *c, const char *key);
bool ecsfs__fake_name_valid(const char *s);
void ecsfs__fake_queue_end(struct fake_runtime *f, struct ecsfs_runtime_logs *l, int err);
void ecsfs__fake_queue_event(struct fake_runtime *f, struct fake_container *c, const char *action,
			     int exit_code);
void ecsfs__fake_queue_line(struct fake_runtime *f, struct ecsfs_runtime_logs *l,
			    const struct fake_line *ln);
void ecsfs__fake_queue_open(struct fake_runtime *f);
void ecsfs__fake_queue_result(struct fake_runtime *f, ecsfs_runtime_cb cb, void *data, int err,
			      json_t *result, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
void ecsfs__fake_random_hex(char *out, size_t nhex);
void ecsfs__fake_ref_normalize(const char *ref, ecsfs_buf *out);
void ecsfs__fake_set(struct fake_runtime *f, bool reachable, const char *detail);
int64_t ecsfs__fake_tick(struct fake_runtime *f);
void ecsfs__fake_time(int64_t ns, char out[40]);
int ecsfs__fake_work_deliver(struct fake_runtime *f, struct work *w);
void ecsfs__fake_work_free(struct work *w);
struct work *ecsfs__fake_work_pop(struct fake_runtime *f);

/* ---- fake_network.c ---- */

/* The default networks ("bridge"), made with the runtime. 0 or -ENOMEM. */
int ecsfs__fake_networks_init(struct fake_runtime *f);
void ecsfs__fake_networks_free(struct fake_runtime *f);
/* The network a create body names that must exist: 0, or -ENOENT with its name in *missing. */
int ecsfs__fake_network_check(struct fake_runtime *f, const json_t *config, const char **missing);
/* Give a starting container its endpoints (an address on its network);
 * a stopping one loses its addresses. */
void ecsfs__fake_network_attach(struct fake_runtime *f, struct fake_container *c);
void ecsfs__fake_network_release(struct fake_container *c);
int ecsfs__fake_network_create(ecsfs_runtime *rt, json_t *body, ecsfs_runtime_cb cb, void *data);
int ecsfs__fake_network_inspect(ecsfs_runtime *rt, const char *name, ecsfs_runtime_cb cb,
				void *data);
int ecsfs__fake_network_remove(ecsfs_runtime *rt, const char *name, ecsfs_runtime_cb cb,
			       void *data);
int ecsfs__fake_network_list(ecsfs_runtime *rt, const char *label, ecsfs_runtime_cb cb, void *data);
int ecsfs__fake_network_disconnect(ecsfs_runtime *rt, const char *name, const char *id,
				   ecsfs_runtime_cb cb, void *data);

/* ---- fake_calls.c ---- */

/* Calls on an engine that is not there fail as connecting to it would:
 * true when the result is queued so. */
bool ecsfs__fake_refuse(struct fake_runtime *f, ecsfs_runtime_cb cb, void *data);

void ecsfs__fake_container_destroy(struct fake_runtime *f, struct fake_container *c);
void ecsfs__fake_container_exit(struct fake_runtime *f, struct fake_container *c, int code);
void ecsfs__fake_container_free(struct fake_container *c);
int ecsfs__fake_create(ecsfs_runtime *rt, const char *name, json_t *config, ecsfs_runtime_cb cb,
		       void *data);
int ecsfs__fake_image_import(ecsfs_runtime *rt, const char *ref, const void *tar, size_t len,
			     const char *cmd_json, ecsfs_runtime_cb cb, void *data);
int ecsfs__fake_image_inspect(ecsfs_runtime *rt, const char *ref, ecsfs_runtime_cb cb, void *data);
int ecsfs__fake_image_pull(ecsfs_runtime *rt, const char *ref, ecsfs_runtime_cb cb, void *data);
int ecsfs__fake_inspect(ecsfs_runtime *rt, const char *id, ecsfs_runtime_cb cb, void *data);
int ecsfs__fake_list(ecsfs_runtime *rt, const char *label, ecsfs_runtime_cb cb, void *data);
ecsfs_runtime_logs *ecsfs__fake_logs(ecsfs_runtime *rt, const char *id, int64_t since_ns,
				     ecsfs_runtime_line_cb line, ecsfs_runtime_end_cb end,
				     void *data);
void ecsfs__fake_logs_cancel(ecsfs_runtime_logs *l);
int ecsfs__fake_remove(ecsfs_runtime *rt, const char *id, ecsfs_runtime_cb cb, void *data);
int ecsfs__fake_start_container(ecsfs_runtime *rt, const char *id, ecsfs_runtime_cb cb, void *data);
int ecsfs__fake_stats(ecsfs_runtime *rt, const char *id, ecsfs_runtime_cb cb, void *data);
int ecsfs__fake_host(ecsfs_runtime *rt, ecsfs_runtime_cb cb, void *data);
int ecsfs__fake_stop(ecsfs_runtime *rt, const char *id, int timeout_s, ecsfs_runtime_cb cb,
		     void *data);
int ecsfs__fake_volume_create(ecsfs_runtime *rt, json_t *body, ecsfs_runtime_cb cb, void *data);
int ecsfs__fake_volume_remove(ecsfs_runtime *rt, const char *name, ecsfs_runtime_cb cb, void *data);
void ecsfs__fake_watch(ecsfs_runtime *rt, ecsfs_runtime_event_cb cb, void *data);

#endif
