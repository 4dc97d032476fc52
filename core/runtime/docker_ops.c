/*
 * ecsfs — the Docker client's calls: containers, images, volumes, networks (log
 * streams are docker_logs.c).
 *
 * Every call is one HTTP request under the negotiated API version's prefix
 * ("/v1.41/containers/create?name=..."). What its answer's status means is
 * decided here, once, by a table per kind of call: runtime.h's -errno
 * values, with the engine's own message beside them. Transport errors pass
 * through as the HTTP client gives them.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/util.h"

#include "docker_private.h"

#define DOCKER_STOP_GRACE_S	 30 /* beyond the stop timeout */
#define DOCKER_STOP_TIMEOUT_MAX	 (24 * 3600)
#define DOCKER_PULL_TIMEOUT_MS	 (30L * 60 * 1000)
#define DOCKER_IMPORT_TIMEOUT_MS (5L * 60 * 1000)

/*
 * Split an image reference into the engine's fromImage and tag: a ':'
 * after the last '/' starts a tag ("host:5000/name" has none), a digest
 * ("name@sha256:...") is the tag the engine wants, and no tag is "latest".
 * Returns 0, or -EINVAL for a reference that is none.
 */
static int ref_split(const char *ref, bool digest_ok, ecsfs_buf *name, ecsfs_buf *tag)
{
	const char *at, *end, *slash, *colon, *p;

	if (!ref || !*ref || strlen(ref) > 1024 || strpbrk(ref, " \t\r\n"))
		return -EINVAL;
	at = strchr(ref, '@');
	if (at && (!digest_ok || !at[1]))
		return -EINVAL;
	end = at ? at : ref + strlen(ref);
	slash = NULL;
	for (p = ref; p < end; p++)
		if (*p == '/')
			slash = p;
	colon = memchr(slash ? slash : ref, ':', (size_t)(end - (slash ? slash : ref)));
	if (colon && colon + 1 == end)
		return -EINVAL;
	if ((colon ? colon : end) == ref)
		return -EINVAL;
	ecsfs_buf_add(name, ref, (size_t)((colon ? colon : end) - ref));
	if (at)
		ecsfs_buf_adds(tag, at + 1);
	else if (colon)
		ecsfs_buf_add(tag, colon + 1, (size_t)(end - colon - 1));
	else
		ecsfs_buf_adds(tag, "latest");
	return 0;
}

/* ---- calls -------------------------------------------------------------- */

enum call_type {
	CALL_CREATE,
	CALL_START,
	CALL_STOP,
	CALL_REMOVE,
	CALL_INSPECT,
	CALL_LIST,
	CALL_IMAGE_INSPECT,
	CALL_PULL,
	CALL_IMPORT,
	CALL_VOLUME_CREATE,
	CALL_VOLUME_REMOVE,
	CALL_NETWORK_CREATE,
	CALL_NETWORK_INSPECT,
	CALL_NETWORK_REMOVE,
	CALL_NETWORK_LIST,
	CALL_NETWORK_DISCONNECT,
	CALL_HOST,
};

/* What a call's answer means. Any status not 2xx (nor a 304 where it is
 * "done already") is an error: 404 -ENOENT, 409 `conflict`, 403
 * `forbidden`, else -EIO. */
static const struct call_kind {
	int conflict;	      /* the errno of a 409; 0: -EIO */
	int forbidden;	      /* the errno of a 403; 0: -EIO */
	bool not_modified_ok; /* a 304 means it was done already */
	bool json;	      /* a 2xx answer's body is the result */
	bool progress;	      /* a 200 answer streams JSON lines of progress */
	bool waits;	      /* answered after a wait (stop: stopTimeout): not queued
				 behind quick calls (ecsfs_http_opts.waits) */
} call_kinds[] = {
    [CALL_CREATE] = {.conflict = -EEXIST, .json = true},
    [CALL_START] = {.not_modified_ok = true},
    [CALL_STOP] = {.not_modified_ok = true, .waits = true},
    /* forced, a removal meets a 409 only while the engine is removing the
     * container already (another call's, or one an engine restart cut) */
    [CALL_REMOVE] = {.conflict = -EINPROGRESS},
    [CALL_INSPECT] = {.json = true},
    [CALL_LIST] = {.json = true},
    [CALL_IMAGE_INSPECT] = {.json = true},
    [CALL_PULL] = {.progress = true},
    [CALL_IMPORT] = {.progress = true},
    [CALL_VOLUME_CREATE] = {.json = true},
    [CALL_VOLUME_REMOVE] = {.conflict = -EBUSY},
    [CALL_NETWORK_CREATE] = {.conflict = -EEXIST, .json = true},
    [CALL_NETWORK_INSPECT] = {.json = true},
    /* the engine says 403 for a network with active endpoints */
    [CALL_NETWORK_REMOVE] = {.forbidden = -EBUSY},
    [CALL_NETWORK_LIST] = {.json = true},
    [CALL_NETWORK_DISCONNECT] = {0},
    [CALL_HOST] = {.json = true},
};

struct docker_call {
	const struct call_kind *kind;
	ecsfs_runtime_cb cb;
	void *data;
	ecsfs_buf what;		   /* "POST /v1.41/containers/create", for messages */
	struct ecsfs__jsonl lines; /* of a progress stream */
	json_t *last;		   /* its last value: the result */
	ecsfs_buf error;	   /* the first error it reported */
	bool failed;
};

static void call_free(struct docker_call *c)
{
	ecsfs_buf_release(&c->what);
	ecsfs__jsonl_release(&c->lines);
	ecsfs_buf_release(&c->error);
	json_decref(c->last);
	free(c);
}

/* A line of pull or import progress: {"status": ...}, or the failure the
 * engine can only report this way once it has answered 200. */
static int on_progress(void *data, json_t *v)
{
	struct docker_call *c = data;
	json_t *detail = json_object_get(v, "errorDetail"), *error = json_object_get(v, "error");
	const char *msg = json_string_value(json_object_get(detail, "message"));

	if (!msg)
		msg = json_string_value(error);
	if ((detail || error) && !c->failed) {
		c->failed = true;
		ecsfs_buf_addf(&c->error, "%.*s", ECSFS__DOCKER_MESSAGE_MAX,
			       msg && *msg ? msg : "the engine reported an error");
	}
	json_decref(c->last);
	c->last = json_incref(v);
	return 0;
}

static int on_progress_chunk(void *data, long status, const char *chunk, size_t len)
{
	struct docker_call *c = data;

	return ecsfs__jsonl_feed(&c->lines, chunk, len, on_progress, c);
}

/* The result of a successful status: 0 and *out (may stay NULL), or -EIO. */
static int call_result(struct docker_call *c, long status, const ecsfs_buf *body, json_t **out,
		       ecsfs_buf *msg)
{
	json_error_t jerr;

	if (c->kind->progress) {
		ecsfs__jsonl_finish(&c->lines, on_progress, c);
		if (c->failed) {
			ecsfs_buf_add(msg, c->error.data, c->error.len);
			return -EIO;
		}
		*out = json_incref(c->last);
		return 0;
	}
	if (!c->kind->json || status == 304)
		return 0;
	*out = json_loadb(body->data, body->len, 0, &jerr);
	if (!*out) {
		ecsfs_buf_addf(msg, "%s: the engine's answer is not JSON: %s", c->what.data,
			       jerr.text);
		return -EIO;
	}
	return 0;
}

/* An answer with an error status: its -errno, and its message in *msg. */
static int call_status_error(struct docker_call *c, long status, const ecsfs_buf *body,
			     ecsfs_buf *msg)
{
	json_t *j = json_loadb(body->data, body->len, 0, NULL);
	const char *m = json_string_value(json_object_get(j, "message"));

	if (m && *m) {
		ecsfs_buf_addf(msg, "%.*s", ECSFS__DOCKER_MESSAGE_MAX, m);
	} else {
		ecsfs_buf_addf(msg, "%s: the engine answered HTTP %ld", c->what.data, status);
		if (body->len) {
			ecsfs_buf_adds(msg, ": ");
			ecsfs__docker_error_text(body, 160, msg);
		}
	}
	json_decref(j);
	if (status == 404)
		return -ENOENT;
	if (status == 409 && c->kind->conflict)
		return c->kind->conflict;
	if (status == 403 && c->kind->forbidden)
		return c->kind->forbidden;
	return -EIO;
}

static void on_call_done(void *data, int err, long status, const ecsfs_buf *body,
			 const char *errmsg)
{
	struct docker_call *c = data;
	ecsfs_buf msg = ECSFS_BUF_INIT;
	json_t *result = NULL;
	int r = err;

	if (err)
		ecsfs_buf_adds(&msg, errmsg);
	else if ((status >= 200 && status < 300) || (status == 304 && c->kind->not_modified_ok))
		r = call_result(c, status, body, &result, &msg);
	else
		r = call_status_error(c, status, body, &msg);
	c->cb(c->data, r, r ? NULL : result, r ? msg.data : "");
	json_decref(result);
	ecsfs_buf_release(&msg);
	call_free(c);
}

struct call_req {
	enum call_type type;
	const char *method;
	const char *path;
	const char *body; /* NULL: none */
	size_t body_len;
	const char *content_type;
	long timeout_ms;
};

static int call_start(struct docker *d, const struct call_req *q, ecsfs_runtime_cb cb, void *data)
{
	const struct call_kind *kind = &call_kinds[q->type];
	ecsfs_http_opts o = {
	    .method = q->method,
	    .path = q->path,
	    .body = q->body,
	    .body_len = q->body ? q->body_len : 0,
	    .content_type = q->content_type,
	    .timeout_ms = q->timeout_ms,
	    .on_chunk = kind->progress ? on_progress_chunk : NULL,
	    .waits = kind->waits,
	};
	struct docker_call *c;
	int r;

	if (d->closing)
		return -ECANCELED;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->kind = kind;
	c->cb = cb;
	c->data = data;
	ecsfs_buf_init(&c->what);
	ecsfs_buf_init(&c->error);
	ecsfs__jsonl_init(&c->lines);
	ecsfs_buf_addf(&c->what, "%s %.*s", q->method, (int)strcspn(q->path, "?"), q->path);
	r = ecsfs_http_start(d->http, &o, on_call_done, c, NULL);
	if (r < 0)
		call_free(c);
	return r;
}

/* The usual shape: a method on `prefix` + `what` + escaped `id` + `tail`. */
static int call_on(ecsfs_runtime *rt, enum call_type type, const char *method, const char *what,
		   const char *id, const char *tail, long timeout_ms, ecsfs_runtime_cb cb,
		   void *data)
{
	struct docker *d = ecsfs__to_docker(rt);
	ecsfs_buf path = ECSFS_BUF_INIT;
	struct call_req q = {.type = type, .method = method, .timeout_ms = timeout_ms};
	int r;

	if (!cb || !id || !*id)
		return -EINVAL;
	ecsfs__docker_prefix(d, &path);
	ecsfs_buf_adds(&path, what);
	ecsfs__url_escape(&path, id);
	ecsfs_buf_adds(&path, tail);
	q.path = path.data;
	r = call_start(d, &q, cb, data);
	ecsfs_buf_release(&path);
	return r;
}

int ecsfs__docker_create(ecsfs_runtime *rt, const char *name, json_t *config, ecsfs_runtime_cb cb,
			 void *data)
{
	struct docker *d = ecsfs__to_docker(rt);
	ecsfs_buf path = ECSFS_BUF_INIT;
	struct call_req q = {
	    .type = CALL_CREATE, .method = "POST", .timeout_ms = ECSFS__DOCKER_CALL_TIMEOUT_MS};
	char *body;
	int r;

	if (!cb || !json_is_object(config))
		return -EINVAL;
	body = json_dumps(config, JSON_COMPACT);
	if (!body)
		return -ENOMEM;
	ecsfs__docker_prefix(d, &path);
	ecsfs_buf_adds(&path, "/containers/create");
	if (name && *name) {
		ecsfs_buf_adds(&path, "?name=");
		ecsfs__url_escape(&path, name);
	}
	q.path = path.data;
	q.body = body;
	q.body_len = strlen(body);
	r = call_start(d, &q, cb, data);
	ecsfs_buf_release(&path);
	free(body);
	return r;
}

int ecsfs__docker_start_container(ecsfs_runtime *rt, const char *id, ecsfs_runtime_cb cb,
				  void *data)
{
	return call_on(rt, CALL_START, "POST", "/containers/", id, "/start",
		       ECSFS__DOCKER_CALL_TIMEOUT_MS, cb, data);
}

int ecsfs__docker_stop(ecsfs_runtime *rt, const char *id, int timeout_s, ecsfs_runtime_cb cb,
		       void *data)
{
	char tail[32];

	if (timeout_s < 0 || timeout_s > DOCKER_STOP_TIMEOUT_MAX)
		return -EINVAL;
	snprintf(tail, sizeof(tail), "/stop?t=%d", timeout_s);
	/* The engine answers once the container is down: after up to t s. */
	return call_on(rt, CALL_STOP, "POST", "/containers/", id, tail,
		       (timeout_s + DOCKER_STOP_GRACE_S) * 1000L, cb, data);
}

int ecsfs__docker_remove(ecsfs_runtime *rt, const char *id, ecsfs_runtime_cb cb, void *data)
{
	return call_on(rt, CALL_REMOVE, "DELETE", "/containers/", id, "?force=1&v=1",
		       ECSFS__DOCKER_CALL_TIMEOUT_MS, cb, data);
}

int ecsfs__docker_inspect(ecsfs_runtime *rt, const char *id, ecsfs_runtime_cb cb, void *data)
{
	return call_on(rt, CALL_INSPECT, "GET", "/containers/", id, "/json",
		       ECSFS__DOCKER_CALL_TIMEOUT_MS, cb, data);
}

int ecsfs__docker_host(ecsfs_runtime *rt, ecsfs_runtime_cb cb, void *data)
{
	struct docker *d = ecsfs__to_docker(rt);
	ecsfs_buf path = ECSFS_BUF_INIT;
	struct call_req q = {
	    .type = CALL_HOST, .method = "GET", .timeout_ms = ECSFS__DOCKER_CALL_TIMEOUT_MS};
	int r;

	if (!cb)
		return -EINVAL;
	ecsfs__docker_prefix(d, &path);
	ecsfs_buf_adds(&path, "/info");
	q.path = path.data;
	r = call_start(d, &q, cb, data);
	ecsfs_buf_release(&path);
	return r;
}

/* GET `what` ("/containers/json?all=1") filtered by `label` (NULL or
 * empty: everything). */
static int call_list(ecsfs_runtime *rt, enum call_type type, const char *what, const char *label,
		     ecsfs_runtime_cb cb, void *data)
{
	struct docker *d = ecsfs__to_docker(rt);
	ecsfs_buf path = ECSFS_BUF_INIT;
	struct call_req q = {
	    .type = type, .method = "GET", .timeout_ms = ECSFS__DOCKER_CALL_TIMEOUT_MS};
	json_t *filters = NULL;
	char *text = NULL;
	int r;

	if (!cb)
		return -EINVAL;
	if (label && *label) {
		filters = json_pack("{s:[s]}", "label", label);
		text = filters ? json_dumps(filters, JSON_COMPACT) : NULL;
		json_decref(filters);
		if (!text)
			return -ENOMEM;
	}
	ecsfs__docker_prefix(d, &path);
	ecsfs_buf_adds(&path, what);
	if (text) {
		ecsfs_buf_adds(&path, strchr(what, '?') ? "&filters=" : "?filters=");
		ecsfs__url_escape(&path, text);
	}
	q.path = path.data;
	r = call_start(d, &q, cb, data);
	ecsfs_buf_release(&path);
	free(text);
	return r;
}

/* A NULL or empty label lists every container. */
int ecsfs__docker_list(ecsfs_runtime *rt, const char *label, ecsfs_runtime_cb cb, void *data)
{
	return call_list(rt, CALL_LIST, "/containers/json?all=1", label, cb, data);
}

int ecsfs__docker_image_inspect(ecsfs_runtime *rt, const char *ref, ecsfs_runtime_cb cb, void *data)
{
	return call_on(rt, CALL_IMAGE_INSPECT, "GET", "/images/", ref, "/json",
		       ECSFS__DOCKER_CALL_TIMEOUT_MS, cb, data);
}

int ecsfs__docker_image_pull(ecsfs_runtime *rt, const char *ref, ecsfs_runtime_cb cb, void *data)
{
	struct docker *d = ecsfs__to_docker(rt);
	ecsfs_buf path = ECSFS_BUF_INIT, name = ECSFS_BUF_INIT, tag = ECSFS_BUF_INIT;
	struct call_req q = {
	    .type = CALL_PULL, .method = "POST", .timeout_ms = DOCKER_PULL_TIMEOUT_MS};
	int r;

	if (!cb)
		return -EINVAL;
	r = ref_split(ref, true, &name, &tag);
	if (r < 0)
		goto out;
	ecsfs__docker_prefix(d, &path);
	ecsfs_buf_adds(&path, "/images/create?fromImage=");
	ecsfs__url_escape(&path, name.data);
	ecsfs_buf_adds(&path, "&tag=");
	ecsfs__url_escape(&path, tag.data);
	q.path = path.data;
	r = call_start(d, &q, cb, data);
out:
	ecsfs_buf_release(&path);
	ecsfs_buf_release(&name);
	ecsfs_buf_release(&tag);
	return r;
}

int ecsfs__docker_image_import(ecsfs_runtime *rt, const char *ref, const void *tar, size_t len,
			       const char *cmd_json, ecsfs_runtime_cb cb, void *data)
{
	struct docker *d = ecsfs__to_docker(rt);
	ecsfs_buf path = ECSFS_BUF_INIT, name = ECSFS_BUF_INIT, tag = ECSFS_BUF_INIT;
	ecsfs_buf change = ECSFS_BUF_INIT;
	struct call_req q = {.type = CALL_IMPORT,
			     .method = "POST",
			     .body = tar,
			     .body_len = len,
			     .content_type = "application/x-tar",
			     .timeout_ms = DOCKER_IMPORT_TIMEOUT_MS};
	int r;

	if (!cb || !tar || !len || (cmd_json && strpbrk(cmd_json, "\r\n")))
		return -EINVAL;
	r = ref_split(ref, false, &name, &tag);
	if (r < 0)
		goto out;
	ecsfs__docker_prefix(d, &path);
	ecsfs_buf_adds(&path, "/images/create?fromSrc=-&repo=");
	ecsfs__url_escape(&path, name.data);
	ecsfs_buf_adds(&path, "&tag=");
	ecsfs__url_escape(&path, tag.data);
	if (cmd_json && *cmd_json) {
		ecsfs_buf_addf(&change, "CMD %s", cmd_json);
		ecsfs_buf_adds(&path, "&changes=");
		ecsfs__url_escape(&path, change.data);
	}
	q.path = path.data;
	r = call_start(d, &q, cb, data);
out:
	ecsfs_buf_release(&path);
	ecsfs_buf_release(&name);
	ecsfs_buf_release(&tag);
	ecsfs_buf_release(&change);
	return r;
}

/* POST `body` (a JSON object) to `what` + escaped `id` (may be NULL) + `tail`. */
static int call_post(ecsfs_runtime *rt, enum call_type type, const char *what, const char *id,
		     const char *tail, const json_t *body, ecsfs_runtime_cb cb, void *data)
{
	struct docker *d = ecsfs__to_docker(rt);
	ecsfs_buf path = ECSFS_BUF_INIT;
	struct call_req q = {
	    .type = type, .method = "POST", .timeout_ms = ECSFS__DOCKER_CALL_TIMEOUT_MS};
	char *text;
	int r;

	if (!cb || !json_is_object(body) || (id && !*id))
		return -EINVAL;
	text = json_dumps(body, JSON_COMPACT);
	if (!text)
		return -ENOMEM;
	ecsfs__docker_prefix(d, &path);
	ecsfs_buf_adds(&path, what);
	if (id)
		ecsfs__url_escape(&path, id);
	ecsfs_buf_adds(&path, tail);
	q.path = path.data;
	q.body = text;
	q.body_len = strlen(text);
	r = call_start(d, &q, cb, data);
	ecsfs_buf_release(&path);
	free(text);
	return r;
}

int ecsfs__docker_volume_create(ecsfs_runtime *rt, json_t *body, ecsfs_runtime_cb cb, void *data)
{
	return call_post(rt, CALL_VOLUME_CREATE, "/volumes/create", NULL, "", body, cb, data);
}

int ecsfs__docker_volume_remove(ecsfs_runtime *rt, const char *name, ecsfs_runtime_cb cb,
				void *data)
{
	return call_on(rt, CALL_VOLUME_REMOVE, "DELETE", "/volumes/", name, "",
		       ECSFS__DOCKER_CALL_TIMEOUT_MS, cb, data);
}

/* ---- networks ------------------------------------------------------------ */

int ecsfs__docker_network_create(ecsfs_runtime *rt, json_t *body, ecsfs_runtime_cb cb, void *data)
{
	return call_post(rt, CALL_NETWORK_CREATE, "/networks/create", NULL, "", body, cb, data);
}

int ecsfs__docker_network_inspect(ecsfs_runtime *rt, const char *name, ecsfs_runtime_cb cb,
				  void *data)
{
	return call_on(rt, CALL_NETWORK_INSPECT, "GET", "/networks/", name, "",
		       ECSFS__DOCKER_CALL_TIMEOUT_MS, cb, data);
}

int ecsfs__docker_network_remove(ecsfs_runtime *rt, const char *name, ecsfs_runtime_cb cb,
				 void *data)
{
	return call_on(rt, CALL_NETWORK_REMOVE, "DELETE", "/networks/", name, "",
		       ECSFS__DOCKER_CALL_TIMEOUT_MS, cb, data);
}

/* The list answer of the engine has no Containers; nothing here needs them. */
int ecsfs__docker_network_list(ecsfs_runtime *rt, const char *label, ecsfs_runtime_cb cb,
			       void *data)
{
	return call_list(rt, CALL_NETWORK_LIST, "/networks", label, cb, data);
}

int ecsfs__docker_network_disconnect(ecsfs_runtime *rt, const char *name, const char *id,
				     ecsfs_runtime_cb cb, void *data)
{
	json_t *body;
	int r;

	if (!id || !*id || !name)
		return -EINVAL;
	body = json_pack("{s:s, s:b}", "Container", id, "Force", 1);
	if (!body)
		return -ENOMEM;
	r = call_post(rt, CALL_NETWORK_DISCONNECT, "/networks/", name, "/disconnect", body, cb,
		      data);
	json_decref(body);
	return r;
}
