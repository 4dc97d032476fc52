/*
 * ecsfs — the fake runtime's calls: containers, images and volumes, each
 * changing the state at once and queueing its result.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "fake_private.h"

/* ---- state -------------------------------------------------------------- */

void ecsfs__fake_container_free(struct fake_container *c)
{
	size_t i;

	for (i = 0; i < c->nlines; i++)
		free(c->lines[i].text);
	free(c->lines);
	json_decref(c->config);
	json_decref(c->ports);
	json_decref(c->nets);
	free(c->name);
	free(c);
}

static void container_unlink(struct fake_runtime *f, struct fake_container *c)
{
	struct fake_container **pp;

	for (pp = &f->containers; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			return;
		}
	}
}

/* NetworkSettings.Ports of a running container: its bindings, with the
 * host ports the engine would have picked where none was asked for. */
static json_t *container_ports(struct fake_runtime *f, struct fake_container *c)
{
	json_t *ports = json_object(), *hc = json_object_get(c->config, "HostConfig");
	json_t *bindings = json_object_get(hc, "PortBindings"), *v, *b, *list;
	const char *key, *hp;
	char port[16];
	size_t i;

	json_object_foreach(json_object_get(c->config, "ExposedPorts"), key, v) {
		json_object_set_new(ports, key, json_null());
	}
	json_object_foreach(bindings, key, v) {
		list = json_array();
		json_array_foreach(v, i, b) {
			hp = json_string_value(json_object_get(b, "HostPort"));
			if (!hp || !*hp || strcmp(hp, "0") == 0) {
				snprintf(port, sizeof(port), "%d", f->next_port++);
				hp = port;
			}
			json_array_append_new(
			    list, json_pack("{s:s, s:s}", "HostIp", "0.0.0.0", "HostPort", hp));
		}
		json_object_set_new(ports, key, list);
	}
	return ports;
}

/* The container stops running with `code`: "die", and its followers end. */
void ecsfs__fake_container_exit(struct fake_runtime *f, struct fake_container *c, int code)
{
	c->status = "exited";
	c->exit_code = code;
	c->finished = ecsfs__fake_tick(f);
	json_decref(c->ports);
	c->ports = NULL;
	ecsfs__fake_network_release(c);
	ecsfs__fake_queue_event(f, c, "die", code);
	ecsfs__fake_end_followers(f, c, 0);
}

/* Gone, as after `docker rm -f`: killed if running, then destroyed. */
void ecsfs__fake_container_destroy(struct fake_runtime *f, struct fake_container *c)
{
	if (strcmp(c->status, "running") == 0)
		ecsfs__fake_container_exit(f, c, 137);
	ecsfs__fake_queue_event(f, c, "destroy", -1);
	ecsfs__fake_end_followers(f, c, 0);
	container_unlink(f, c);
	ecsfs__fake_container_free(c);
}

static json_t *container_inspect(struct fake_container *c)
{
	json_t *config = json_deep_copy(c->config), *hc, *state, *cmd;
	bool running = strcmp(c->status, "running") == 0;
	const char *image = json_string_value(json_object_get(c->config, "Image"));
	char created[40], started[40], finished[40], digest[72], name[300];
	json_t *j;

	hc = json_object_get(config, "HostConfig");
	hc = hc ? json_incref(hc) : json_object();
	json_object_del(config, "HostConfig");
	json_object_del(config, "NetworkingConfig");
	if (!json_is_object(json_object_get(config, "Labels")))
		json_object_set_new(config, "Labels", json_object());
	if (!json_object_get(config, "Tty"))
		json_object_set_new(config, "Tty", json_false());
	ecsfs__fake_time(c->created, created);
	ecsfs__fake_time(c->started, started);
	ecsfs__fake_time(c->finished, finished);
	ecsfs__fake_digest(or_str(image, ""), digest);
	snprintf(name, sizeof(name), "/%s", c->name);
	state = json_pack("{s:s, s:b, s:b, s:b, s:b, s:b, s:i, s:i, s:s, s:s, s:s}", "Status",
			  c->status, "Running", running, "Paused", 0, "Restarting", 0, "OOMKilled",
			  0, "Dead", 0, "Pid", running ? 4242 : 0, "ExitCode", c->exit_code,
			  "Error", "", "StartedAt", started, "FinishedAt", finished);
	if (state && c->health[0])
		json_object_set_new(
		    state, "Health",
		    json_pack("{s:s, s:i, s:[]}", "Status", c->health, "FailingStreak", 0, "Log"));
	cmd = json_object_get(config, "Cmd");
	j = json_pack("{s:s, s:s, s:s, s:[], s:s, s:s, s:o, s:i, s:o, s:o, s:{s:o}}", "Id", c->id,
		      "Created", created, "Path",
		      or_str(json_string_value(json_array_get(cmd, 0)), ""), "Args", "Name", name,
		      "Image", digest, "State", state, "RestartCount", 0, "HostConfig", hc,
		      "Config", config, "NetworkSettings", "Ports",
		      c->ports ? json_deep_copy(c->ports) : json_object());
	if (j)
		json_object_set_new(json_object_get(j, "NetworkSettings"), "Networks",
				    c->nets ? json_deep_copy(c->nets) : json_object());
	if (!j)
		abort();
	return j;
}

static json_t *container_summary(struct fake_container *c)
{
	const char *image = json_string_value(json_object_get(c->config, "Image"));
	json_t *labels = json_object_get(c->config, "Labels"), *j;
	char digest[72], name[300], status[64];

	ecsfs__fake_digest(or_str(image, ""), digest);
	snprintf(name, sizeof(name), "/%s", c->name);
	if (strcmp(c->status, "running") == 0)
		snprintf(status, sizeof(status), "Up");
	else if (strcmp(c->status, "exited") == 0)
		snprintf(status, sizeof(status), "Exited (%d)", c->exit_code);
	else
		snprintf(status, sizeof(status), "Created");
	j = json_pack("{s:s, s:[s], s:s, s:s, s:I, s:s, s:s, s:o, s:[], s:[]}", "Id", c->id,
		      "Names", name, "Image", or_str(image, ""), "ImageID", digest, "Created",
		      (json_int_t)(c->created / 1000000000), "State", c->status, "Status", status,
		      "Labels", json_is_object(labels) ? json_deep_copy(labels) : json_object(),
		      "Ports", "Mounts");
	if (!j)
		abort();
	return j;
}

/* Does a container (running or not) mount volume `name`? */
static bool volume_in_use(struct fake_runtime *f, const char *name)
{
	struct fake_container *c;
	json_t *hc, *v;
	const char *s;
	size_t i, n = strlen(name);

	for (c = f->containers; c; c = c->next) {
		hc = json_object_get(c->config, "HostConfig");
		json_array_foreach(json_object_get(hc, "Mounts"), i, v) {
			s = json_string_value(json_object_get(v, "Source"));
			if (s && strcmp(s, name) == 0 &&
			    strcmp(or_str(json_string_value(json_object_get(v, "Type")), "volume"),
				   "volume") == 0)
				return true;
		}
		json_array_foreach(json_object_get(hc, "Binds"), i, v) {
			s = json_string_value(v);
			if (s && strncmp(s, name, n) == 0 && s[n] == ':')
				return true;
		}
	}
	return false;
}

/* ---- the runtime's calls ------------------------------------------------ */

/* Calls on an engine that is not there fail as connecting to it would. */
bool ecsfs__fake_refuse(struct fake_runtime *f, ecsfs_runtime_cb cb, void *data)
{
	if (f->info.reachable)
		return false;
	ecsfs__fake_queue_result(f, cb, data, -ECONNREFUSED, NULL,
				 "cannot connect to the fake engine: %s", f->info.detail);
	return true;
}

int ecsfs__fake_create(ecsfs_runtime *rt, const char *name, json_t *config, ecsfs_runtime_cb cb,
		       void *data)
{
	struct fake_runtime *f = to_fake(rt);
	const char *image = json_string_value(json_object_get(config, "Image"));
	struct fake_container *c, *other;
	const char *missing;
	char gen[16];

	if (!cb || !json_is_object(config) || !image)
		return -EINVAL;
	if (f->closing)
		return -ECANCELED;
	if (ecsfs__fake_refuse(f, cb, data))
		return 0;
	if (!name || !*name) {
		ecsfs__fake_random_hex(gen + 5, 8);
		memcpy(gen, "fake_", 5);
		name = gen;
	}
	if (!ecsfs__fake_name_valid(name)) {
		ecsfs__fake_queue_result(
		    f, cb, data, -EIO, NULL,
		    "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are "
		    "allowed",
		    name);
		return 0;
	}
	for (other = f->containers; other; other = other->next)
		if (strcmp(other->name, name) == 0)
			break;
	if (other) {
		ecsfs__fake_queue_result(
		    f, cb, data, -EEXIST, NULL,
		    "Conflict. The container name \"/%s\" is already in use by container "
		    "\"%s\". You have to remove (or rename) that container to be able to "
		    "reuse that name.",
		    name, other->id);
		return 0;
	}
	if (!image_present(image)) {
		ecsfs__fake_queue_result(f, cb, data, -ENOENT, NULL, "No such image: %s", image);
		return 0;
	}
	if (ecsfs__fake_network_check(f, config, &missing) < 0) {
		ecsfs__fake_queue_result(f, cb, data, -ENOENT, NULL, "network %s not found",
					 missing);
		return 0;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->name = strdup(name);
	c->config = json_deep_copy(config);
	if (!c->name || !c->config) {
		ecsfs__fake_container_free(c);
		return -ENOMEM;
	}
	ecsfs__fake_random_hex(c->id, 64);
	c->status = "created";
	c->created = ecsfs__fake_tick(f);
	c->next = f->containers;
	f->containers = c;
	ecsfs__fake_queue_event(f, c, "create", -1);
	ecsfs__fake_queue_result(f, cb, data, 0, json_pack("{s:s, s:[]}", "Id", c->id, "Warnings"),
				 NULL);
	return 0;
}

/*
 * The common start of a call on one container: 0 and *out, or 1 when the
 * call's result is already queued (an unreachable engine, no such
 * container), or a negative errno to return.
 */
static int fake_target(struct fake_runtime *f, const char *id, ecsfs_runtime_cb cb, void *data,
		       struct fake_container **out)
{
	if (!cb || !id || !*id)
		return -EINVAL;
	if (f->closing)
		return -ECANCELED;
	if (ecsfs__fake_refuse(f, cb, data))
		return 1;
	*out = ecsfs__fake_find(f, id);
	if (!*out) {
		ecsfs__fake_queue_result(f, cb, data, -ENOENT, NULL, "No such container: %s", id);
		return 1;
	}
	return 0;
}

int ecsfs__fake_start_container(ecsfs_runtime *rt, const char *id, ecsfs_runtime_cb cb, void *data)
{
	struct fake_runtime *f = to_fake(rt);
	struct fake_container *c;
	int r = fake_target(f, id, cb, data, &c);

	if (r)
		return r < 0 ? r : 0;
	if (strcmp(c->status, "running") != 0) {
		c->status = "running";
		c->exit_code = 0;
		c->started = ecsfs__fake_tick(f);
		snprintf(c->health, sizeof(c->health), "%s",
			 ecsfs__fake_has_healthcheck(c) ? "starting" : "");
		c->ports = container_ports(f, c);
		ecsfs__fake_network_attach(f, c);
		ecsfs__fake_queue_event(f, c, "start", -1);
	}
	ecsfs__fake_queue_result(f, cb, data, 0, NULL, NULL);
	return 0;
}

int ecsfs__fake_stop(ecsfs_runtime *rt, const char *id, int timeout_s, ecsfs_runtime_cb cb,
		     void *data)
{
	struct fake_runtime *f = to_fake(rt);
	struct fake_container *c;
	int r;

	if (timeout_s < 0)
		return -EINVAL;
	r = fake_target(f, id, cb, data, &c);
	if (r)
		return r < 0 ? r : 0;
	if (strcmp(c->status, "running") == 0) {
		ecsfs__fake_container_exit(f, c, 143); /* 128 + SIGTERM */
		ecsfs__fake_queue_event(f, c, "stop", -1);
	}
	ecsfs__fake_queue_result(f, cb, data, 0, NULL, NULL);
	return 0;
}

int ecsfs__fake_remove(ecsfs_runtime *rt, const char *id, ecsfs_runtime_cb cb, void *data)
{
	struct fake_runtime *f = to_fake(rt);
	struct fake_container *c;
	int r = fake_target(f, id, cb, data, &c);

	if (r)
		return r < 0 ? r : 0;
	if (c->removing) {
		/* dockerd's 409 to a second DELETE while the first one runs */
		ecsfs__fake_queue_result(f, cb, data, -EINPROGRESS, NULL,
					 "removal of container %s is already in progress", id);
		return 0;
	}
	ecsfs__fake_container_destroy(f, c);
	ecsfs__fake_queue_result(f, cb, data, 0, NULL, NULL);
	return 0;
}

int ecsfs__fake_inspect(ecsfs_runtime *rt, const char *id, ecsfs_runtime_cb cb, void *data)
{
	struct fake_runtime *f = to_fake(rt);
	struct fake_container *c;
	int r = fake_target(f, id, cb, data, &c);

	if (r)
		return r < 0 ? r : 0;
	ecsfs__fake_queue_result(f, cb, data, 0, container_inspect(c), NULL);
	return 0;
}

/* A NULL or empty label lists every container. */
int ecsfs__fake_list(ecsfs_runtime *rt, const char *label, ecsfs_runtime_cb cb, void *data)
{
	struct fake_runtime *f = to_fake(rt);
	struct fake_container *c;
	json_t *list;

	if (!cb)
		return -EINVAL;
	if (f->closing)
		return -ECANCELED;
	if (ecsfs__fake_refuse(f, cb, data))
		return 0;
	list = json_array();
	for (c = f->containers; c; c = c->next)
		if (!label || !*label || ecsfs__fake_has_label(c, label))
			json_array_append_new(list, container_summary(c));
	ecsfs__fake_queue_result(f, cb, data, 0, list, NULL);
	return 0;
}

/* The inspect object of a present image `ref`. */
static json_t *image_object(struct fake_runtime *f, const char *ref)
{
	ecsfs_buf norm = ECSFS_BUF_INIT;
	char digest[72];
	json_t *j;

	ecsfs__fake_ref_normalize(ref, &norm);
	j = json_object_get(f->images, norm.data);
	if (j) {
		json_incref(j);
	} else {
		ecsfs__fake_digest(norm.data, digest);
		j = json_pack("{s:s, s:[s], s:{s:n}}", "Id", digest, "RepoTags", norm.data,
			      "Config", "Cmd");
	}
	ecsfs_buf_release(&norm);
	return j;
}

int ecsfs__fake_image_inspect(ecsfs_runtime *rt, const char *ref, ecsfs_runtime_cb cb, void *data)
{
	struct fake_runtime *f = to_fake(rt);

	if (!cb || !ref || !*ref)
		return -EINVAL;
	if (f->closing)
		return -ECANCELED;
	if (ecsfs__fake_refuse(f, cb, data))
		return 0;
	if (!image_present(ref))
		ecsfs__fake_queue_result(f, cb, data, -ENOENT, NULL, "No such image: %s", ref);
	else
		ecsfs__fake_queue_result(f, cb, data, 0, image_object(f, ref), NULL);
	return 0;
}

int ecsfs__fake_image_pull(ecsfs_runtime *rt, const char *ref, ecsfs_runtime_cb cb, void *data)
{
	struct fake_runtime *f = to_fake(rt);
	ecsfs_buf norm = ECSFS_BUF_INIT;
	const char *slash, *colon;

	if (!cb || !ref || !*ref)
		return -EINVAL;
	if (f->closing)
		return -ECANCELED;
	if (ecsfs__fake_refuse(f, cb, data))
		return 0;
	if (!image_present(ref)) {
		/* The engine's words when the registry has no such repository. */
		slash = strrchr(ref, '/');
		colon = strchr(slash ? slash : ref, ':');
		ecsfs__fake_queue_result(
		    f, cb, data, -ENOENT, NULL,
		    "pull access denied for %.*s, repository does not exist or may "
		    "require 'docker login': denied: requested access to the resource "
		    "is denied",
		    (int)(colon ? (size_t)(colon - ref) : strcspn(ref, "@")), ref);
		return 0;
	}
	ecsfs__fake_ref_normalize(ref, &norm);
	ecsfs__fake_queue_result(
	    f, cb, data, 0,
	    json_pack("{s:s+}", "status", "Status: Downloaded newer image for ", norm.data), NULL);
	ecsfs_buf_release(&norm);
	return 0;
}

int ecsfs__fake_image_import(ecsfs_runtime *rt, const char *ref, const void *tar, size_t len,
			     const char *cmd_json, ecsfs_runtime_cb cb, void *data)
{
	struct fake_runtime *f = to_fake(rt);
	ecsfs_buf norm = ECSFS_BUF_INIT;
	json_t *cmd = NULL, *image;
	char digest[72];

	if (!cb || !ref || !*ref || strchr(ref, '@') || !tar || !len)
		return -EINVAL;
	if (cmd_json && *cmd_json) {
		cmd = json_loads(cmd_json, JSON_DECODE_ANY, NULL);
		if (!json_is_array(cmd)) {
			json_decref(cmd);
			return -EINVAL;
		}
	}
	if (f->closing) {
		json_decref(cmd);
		return -ECANCELED;
	}
	if (ecsfs__fake_refuse(f, cb, data)) {
		json_decref(cmd);
		return 0;
	}
	ecsfs__fake_ref_normalize(ref, &norm);
	ecsfs__fake_digest(norm.data, digest);
	image = json_pack("{s:s, s:[s], s:{s:o}}", "Id", digest, "RepoTags", norm.data, "Config",
			  "Cmd", cmd ? cmd : json_null());
	json_object_set_new(f->images, norm.data, image);
	ecsfs__fake_queue_result(f, cb, data, 0, json_pack("{s:s}", "status", digest), NULL);
	ecsfs_buf_release(&norm);
	return 0;
}

int ecsfs__fake_volume_create(ecsfs_runtime *rt, json_t *body, ecsfs_runtime_cb cb, void *data)
{
	struct fake_runtime *f = to_fake(rt);
	const char *name = json_string_value(json_object_get(body, "Name"));
	json_t *labels = json_object_get(body, "Labels"),
	       *opts = json_object_get(body, "DriverOpts");
	json_t *vol;
	char gen[65], created[40], mount[400];

	if (!cb || !json_is_object(body))
		return -EINVAL;
	if (f->closing)
		return -ECANCELED;
	if (ecsfs__fake_refuse(f, cb, data))
		return 0;
	if (!name || !*name) {
		ecsfs__fake_random_hex(gen, 64);
		name = gen;
	}
	vol = json_object_get(f->volumes, name);
	if (!vol) {
		ecsfs__fake_time(ecsfs__fake_tick(f), created);
		snprintf(mount, sizeof(mount), "/var/lib/docker/volumes/%s/_data", name);
		vol = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:s}", "Name", name, "Driver",
				or_str(json_string_value(json_object_get(body, "Driver")), "local"),
				"Mountpoint", mount, "CreatedAt", created, "Labels",
				json_is_object(labels) ? json_deep_copy(labels) : json_object(),
				"Options", opts ? json_deep_copy(opts) : json_null(), "Scope",
				"local");
		json_object_set_new(f->volumes, name, vol);
	}
	ecsfs__fake_queue_result(f, cb, data, 0, json_deep_copy(vol), NULL);
	return 0;
}

int ecsfs__fake_volume_remove(ecsfs_runtime *rt, const char *name, ecsfs_runtime_cb cb, void *data)
{
	struct fake_runtime *f = to_fake(rt);

	if (!cb || !name || !*name)
		return -EINVAL;
	if (f->closing)
		return -ECANCELED;
	if (ecsfs__fake_refuse(f, cb, data))
		return 0;
	if (!json_object_get(f->volumes, name)) {
		ecsfs__fake_queue_result(f, cb, data, -ENOENT, NULL, "get %s: no such volume",
					 name);
	} else if (volume_in_use(f, name)) {
		ecsfs__fake_queue_result(f, cb, data, -EBUSY, NULL, "remove %s: volume is in use",
					 name);
	} else {
		json_object_del(f->volumes, name);
		ecsfs__fake_queue_result(f, cb, data, 0, NULL, NULL);
	}
	return 0;
}

void ecsfs__fake_watch(ecsfs_runtime *rt, ecsfs_runtime_event_cb cb, void *data)
{
	struct fake_runtime *f = to_fake(rt);

	if (f->closing)
		return;
	/* Events queued for the previous subscriber are not for this one. */
	f->watch_gen++;
	f->watch_cb = cb;
	f->watch_data = data;
	ecsfs__fake_queue_open(f);
}

ecsfs_runtime_logs *ecsfs__fake_logs(ecsfs_runtime *rt, const char *id, int64_t since_ns,
				     ecsfs_runtime_line_cb line, ecsfs_runtime_end_cb end,
				     void *data)
{
	struct fake_runtime *f = to_fake(rt);
	struct ecsfs_runtime_logs *l;
	struct fake_container *c;
	size_t i;

	if (!id || !*id || !line || !end || since_ns < 0 || f->closing)
		return NULL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->f = f;
	l->since = since_ns;
	l->line = line;
	l->end = end;
	l->data = data;
	l->next = f->followers;
	if (f->followers)
		f->followers->prev = l;
	f->followers = l;
	c = ecsfs__fake_find(f, id);
	if (!f->info.reachable) {
		ecsfs__fake_queue_end(f, l, -ECONNREFUSED);
	} else if (!c) {
		ecsfs__fake_queue_end(f, l, 0); /* gone: nothing to follow */
	} else {
		memcpy(l->id, c->id, sizeof(l->id));
		for (i = 0; i < c->nlines; i++)
			ecsfs__fake_queue_line(f, l, &c->lines[i]);
		if (strcmp(c->status, "running") != 0)
			ecsfs__fake_queue_end(f, l, 0);
	}
	return l;
}

void ecsfs__fake_logs_cancel(ecsfs_runtime_logs *l)
{
	if (!l || l->canceled)
		return;
	l->canceled = true;
	/* While closing, close itself ends every follower. */
	if (l->f->closing)
		return;
	if (l->end_queued)
		l->end_err = -ECANCELED;
	else
		ecsfs__fake_queue_end(l->f, l, -ECANCELED);
}
