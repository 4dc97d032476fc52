/*
 * ecsfs — services: the stored state and the operations on it (create,
 * update, delete, scale, deploy). The CreateService document's rules are in
 * service_spec.c, what a service shows in service_describe.c, and what acts
 * over time in core/control/scheduler.c and deployment.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/arn.h"
#include "ecsfs/cluster.h"
#include "ecsfs/tag.h"
#include "ecsfs/taskdef.h"
#include "ecsfs/util.h"
#include "model/service_private.h"

void ecsfs__service_changed(ecsfs_services *sv, const char *cluster, const char *name)
{
	if (sv->on_change)
		sv->on_change(sv->on_change_data, cluster, name);
}

void ecsfs_service_spec_dir(const char *cluster, ecsfs_buf *out)
{
	ecsfs_buf_addf(out, "%s/%s/services", ECSFS_SPEC_CLUSTERS, cluster);
}

void ecsfs_service_events_stream(const char *cluster, const char *name, ecsfs_buf *out)
{
	ecsfs_buf_addf(out, "service/%s/%s", cluster, name);
}

void ecsfs__service_event(ecsfs_store *s, const char *cluster, const char *name, const char *fmt,
			  ...)
{
	ecsfs_buf stream = ECSFS_BUF_INIT, line = ECSFS_BUF_INIT;
	char when[32];
	va_list ap;

	ecsfs_service_events_stream(cluster, name, &stream);
	ecsfs_time_iso(ecsfs_now_ns(), when);
	ecsfs_buf_addf(&line, "%s (service %s) ", when, name);
	va_start(ap, fmt);
	ecsfs_buf_vaddf(&line, fmt, ap);
	va_end(ap);
	ecsfs_store_journal_append(s, stream.data, line.data);
	ecsfs_buf_release(&stream);
	ecsfs_buf_release(&line);
}

/* ---- the stored state ---- */

json_t *ecsfs__service_load(ecsfs_store *s, const char *cluster, const char *name)
{
	ecsfs_buf b = ECSFS_BUF_INIT;
	json_t *j = NULL;

	if (ecsfs_store_service_get(s, cluster, name, &b) == 0)
		j = json_loadb(b.data, b.len, 0, NULL);
	ecsfs_buf_release(&b);
	return j;
}

int ecsfs__service_save(ecsfs_store *s, const char *cluster, const char *name, json_t *state)
{
	char *text = json_dumps(state, JSON_COMPACT | JSON_SORT_KEYS);
	int r;

	if (!text)
		return -ENOMEM;
	r = ecsfs_store_service_put(s, cluster, name, text);
	free(text);
	return r;
}

json_t *ecsfs__service_spec(json_t *state)
{
	return json_object_get(state, "spec");
}

bool ecsfs__service_active(json_t *state)
{
	return strcmp(json_string_value(json_object_get(state, "status")) ?: "", "ACTIVE") == 0;
}

long long ecsfs__service_desired(json_t *state)
{
	if (!ecsfs__service_active(state))
		return 0;
	return json_integer_value(json_object_get(ecsfs__service_spec(state), "desiredCount"));
}

bool ecsfs__service_is_daemon(json_t *state)
{
	const char *s =
	    json_string_value(json_object_get(ecsfs__service_spec(state), "schedulingStrategy"));
	return s && strcmp(s, "DAEMON") == 0;
}

long long ecsfs__service_target(json_t *state)
{
	/* the scheduler counts a DAEMON's instances (control/daemon.c); one
	 * until it has, and with no container instances but local */
	if (ecsfs__service_is_daemon(state)) {
		json_t *n = json_object_get(state, "daemonDesired");
		if (!ecsfs__service_active(state))
			return 0;
		return json_is_integer(n) ? json_integer_value(n) : 1;
	}
	return ecsfs__service_desired(state);
}

static json_t *deployment_conf(json_t *state)
{
	return json_object_get(ecsfs__service_spec(state), "deploymentConfiguration");
}

long long ecsfs__service_conf_int(json_t *state, const char *key, long long dflt)
{
	json_t *v = json_object_get(deployment_conf(state), key);
	return json_is_integer(v) ? json_integer_value(v) : dflt;
}

bool ecsfs__service_breaker(json_t *state, const char *key)
{
	json_t *cb = json_object_get(deployment_conf(state), "deploymentCircuitBreaker");
	return json_is_true(json_object_get(cb, key));
}

json_t *ecsfs__service_primary(json_t *state)
{
	return json_array_get(json_object_get(state, "deployments"), 0);
}

const char *ecsfs__dstr(json_t *d, const char *key)
{
	return json_string_value(json_object_get(d, key)) ?: "";
}

int ecsfs_service_exists(ecsfs_store *s, const char *cluster, const char *name)
{
	return ecsfs_store_service_get(s, cluster, name, NULL);
}

int ecsfs_service_list(ecsfs_store *s, const char *cluster, ecsfs_service_name_cb cb, void *data)
{
	return ecsfs_store_service_list(s, cluster, cb, data);
}

int ecsfs_service_count(ecsfs_store *s, const char *cluster, uint64_t *n)
{
	return ecsfs_store_service_count(s, cluster, n);
}

int ecsfs_service_get_desired(ecsfs_store *s, const char *cluster, const char *name, int64_t *count)
{
	json_t *state = ecsfs__service_load(s, cluster, name);
	if (!state)
		return -ENOENT;
	/* a DAEMON's is its instances' count, as describe shows it */
	*count =
	    ecsfs__service_is_daemon(state)
		? ecsfs__service_target(state)
		: json_integer_value(json_object_get(ecsfs__service_spec(state), "desiredCount"));
	json_decref(state);
	return 0;
}

int ecsfs_service_get_taskdef(ecsfs_store *s, const char *cluster, const char *name, ecsfs_buf *ref)
{
	json_t *state = ecsfs__service_load(s, cluster, name);
	if (!state)
		return -ENOENT;
	ecsfs_buf_adds(
	    ref,
	    json_string_value(json_object_get(ecsfs__service_spec(state), "taskDefinition")) ?: "");
	json_decref(state);
	return 0;
}

/* ---- the spec file ---- */

static int put_spec_file(ecsfs_store *s, const char *cluster, const char *name, const char *data,
			 size_t len, const ecsfs_file_meta *meta)
{
	ecsfs_buf dir = ECSFS_BUF_INIT, file = ECSFS_BUF_INIT;
	ecsfs_file_meta m = *meta;
	int r;

	ecsfs_service_spec_dir(cluster, &dir);
	ecsfs_buf_addf(&file, "%s.json", name);
	m.kind = ECSFS_FILE_SPEC;
	r = ecsfs_store_file_put(s, dir.data, file.data, &m, data, len);
	ecsfs_buf_release(&dir);
	ecsfs_buf_release(&file);
	return r;
}

/* The spec file of a document that came without bytes: pretty, dated now. */
static int render_spec_file(ecsfs_store *s, const char *cluster, const char *name,
			    const json_t *doc)
{
	ecsfs_file_meta meta = {.kind = ECSFS_FILE_SPEC, .mode = 0644, .mtime_ns = ecsfs_now_ns()};
	ecsfs_buf text = ECSFS_BUF_INIT;
	json_t *copy = json_deep_copy(doc);
	int r;

	json_object_del(copy, "cluster");
	json_object_del(copy, "clientToken");
	ecsfs_json_pretty(copy, &text);
	r = put_spec_file(s, cluster, name, text.data, text.len, &meta);
	json_decref(copy);
	ecsfs_buf_release(&text);
	return r;
}

/*
 * A live control or UpdateService changed the spec: rewrite the spec file
 * with the new values (so `diff -r` shows the drift from git), keeping its
 * mode and owner. The bytes are the old document with those fields
 * replaced (a JSON null removes one).
 */
int ecsfs__service_rewrite_spec(ecsfs_store *s, const char *cluster, const char *name,
				const json_t *changes)
{
	ecsfs_buf dir = ECSFS_BUF_INIT, file = ECSFS_BUF_INIT, data = ECSFS_BUF_INIT,
		  out = ECSFS_BUF_INIT;
	ecsfs_file_meta meta = {.kind = ECSFS_FILE_SPEC, .mode = 0644};
	json_t *doc = NULL, *v;
	const char *key;
	int r;

	ecsfs_service_spec_dir(cluster, &dir);
	ecsfs_buf_addf(&file, "%s.json", name);
	r = ecsfs_store_file_get(s, dir.data, file.data, &meta, &data);
	if (r == 0)
		doc = json_loadb(data.data, data.len, 0, NULL);
	if (!json_is_object(doc)) {
		json_decref(doc);
		doc = json_pack("{s:s}", "serviceName", name);
	}
	json_object_foreach((json_t *)changes, key, v) {
		if (json_is_null(v))
			json_object_del(doc, key);
		else
			json_object_set(doc, key, v);
	}
	ecsfs_json_pretty(doc, &out);
	meta.kind = ECSFS_FILE_SPEC;
	meta.mtime_ns = ecsfs_now_ns();
	r = ecsfs_store_file_put(s, dir.data, file.data, &meta, out.data, out.len);
	json_decref(doc);
	ecsfs_buf_release(&dir);
	ecsfs_buf_release(&file);
	ecsfs_buf_release(&data);
	ecsfs_buf_release(&out);
	return r;
}

static void remove_spec_file(ecsfs_store *s, const char *cluster, const char *name)
{
	ecsfs_buf dir = ECSFS_BUF_INIT, file = ECSFS_BUF_INIT;
	ecsfs_service_spec_dir(cluster, &dir);
	ecsfs_buf_addf(&file, "%s.json", name);
	ecsfs_store_file_delete(s, dir.data, file.data);
	ecsfs_buf_release(&dir);
	ecsfs_buf_release(&file);
}

/* ---- checks every operation makes ---- */

int ecsfs__service_store_fault(ecsfs_store *s, int r, const char *what, const char *name,
			       ecsfs_err *err)
{
	/* a full disk is the store's clean answer, not an internal fault */
	return ecsfs_err_set(err, ECSFS_E_SERVER, r == -ENOSPC ? -ENOSPC : -EIO,
			     "cannot %s service %s: %s", what, name, ecsfs_store_last_error(s));
}

static int check_room(ecsfs_store *s, const char *cluster, const char *name, ecsfs_err *err)
{
	uint64_t n = 0;
	if (ecsfs_service_exists(s, cluster, name) == 0)
		return 0;
	if (ecsfs_store_service_count(s, cluster, &n) == 0 && n >= ECSFS_SERVICES_MAX)
		return ecsfs_err_set(err, ECSFS_E_LIMIT_EXCEEDED, -ENOSPC,
				     "cluster %s has %d services, the limit", cluster,
				     ECSFS_SERVICES_MAX);
	return 0;
}

/* No row: ServiceNotActive for one deleted within the hour (INACTIVE),
 * ServiceNotFound otherwise. */
static int not_found(ecsfs_store *s, const char *cluster, const char *name, ecsfs_err *err)
{
	if (ecsfs_store_service_gone_get(s, cluster, name, NULL) == 0)
		return ecsfs_err_set(err, ECSFS_E_SERVICE_NOT_ACTIVE, -ENOENT,
				     "service %s is INACTIVE (deleted)", name);
	return ecsfs_err_set(err, ECSFS_E_SERVICE_NOT_FOUND, -ENOENT, "no service %s in cluster %s",
			     name, cluster);
}

json_t *ecsfs__service_load_active(ecsfs_store *s, const char *cluster, const char *name,
				   ecsfs_err *err, int *r)
{
	json_t *state;

	if ((*r = ecsfs_cluster_check(s, cluster, err)) < 0)
		return NULL;
	if (!(state = ecsfs__service_load(s, cluster, name))) {
		*r = not_found(s, cluster, name, err);
	} else if (!ecsfs__service_active(state)) {
		*r = ecsfs_err_set(err, ECSFS_E_SERVICE_NOT_ACTIVE, -ENOENT,
				   "service %s is DRAINING (being deleted)", name);
		json_decref(state);
		state = NULL;
	}
	return state;
}

/*
 * The loadBalancers of `spec` against the revision `ref` pins. A reference
 * that follows a family (or names a revision not registered yet) is checked
 * when it deploys: its next revision may be on its way (order must not
 * matter to a GitOps apply).
 */
int ecsfs__service_check_lb_fit(ecsfs_store *s, const json_t *spec, const char *ref, ecsfs_err *err)
{
	char family[256];
	int64_t rev = 0;
	ecsfs_buf why = ECSFS_BUF_INIT;
	int r;

	if ((r = ecsfs__service_check_strategy_store(s, spec, err)) < 0)
		return r;
	if (!ref || ecsfs_taskdef_parse_ref(ref, family, &rev, &why) < 0 || rev == 0 ||
	    ecsfs__service_resolve_ref(s, ref, family, &rev) < 0) {
		ecsfs_buf_release(&why);
		return 0;
	}
	ecsfs_buf_release(&why);
	return ecsfs__service_check_lb_containers(s, spec, family, rev, err);
}

/* ---- create, update, delete ---- */

static json_t *new_state(json_t *spec)
{
	return json_pack("{s:o, s:s, s:I, s:[], s:I, s:I}", "spec", spec, "status", "ACTIVE",
			 "created", (json_int_t)ecsfs_now_ns(), "deployments", "force",
			 (json_int_t)0, "forceSeen", (json_int_t)0);
}

/* The state with `spec` (taken) as its definition; *created when new. */
static json_t *state_with(ecsfs_store *s, const char *cluster, const char *name, json_t *spec,
			  bool *created)
{
	json_t *state = ecsfs__service_load(s, cluster, name);

	*created = !state;
	if (!state)
		return new_state(spec);
	if (json_equal(ecsfs__service_spec(state), spec) && ecsfs__service_active(state)) {
		/* the same definition again (a GitOps re-apply): only the bytes and
		 * metadata of the file change */
		json_decref(spec);
		return state;
	}
	if (ecsfs__service_redeploys(ecsfs__service_spec(state), spec))
		json_object_set_new(
		    state, "force",
		    json_integer(json_integer_value(json_object_get(state, "force")) + 1));
	json_object_set_new(state, "spec", spec);
	/* a written spec revives a service being deleted */
	json_object_set_new(state, "status", json_string("ACTIVE"));
	json_object_del(state, "blocked");
	return state;
}

/*
 * The definition's tags are the service's (TagResource may add more): the
 * keys the old definition had and the new one lacks go, the new ones are
 * put.
 */
static int put_tags(ecsfs_store *s, const char *cluster, const char *name, const json_t *old,
		    const json_t *tags, ecsfs_err *err)
{
	ecsfs_buf arn = ECSFS_BUF_INIT;
	json_t *gone = json_array(), *t;
	size_t i;
	int r = 0;

	ecsfs_arn(&arn, "ecs", "service/%s/%s", cluster, name);
	json_array_foreach((json_t *)old, i, t)
		json_array_append(gone, json_object_get(t, "key"));
	if (json_array_size(gone))
		r = ecsfs_tags_remove(s, arn.data, gone, err);
	if (r == 0 && json_array_size(tags))
		r = ecsfs_tags_put(s, arn.data, tags, err);
	json_decref(gone);
	ecsfs_buf_release(&arn);
	return r;
}

static int store_put(ecsfs_store *s, const char *cluster, const char *name, json_t *state,
		     const json_t *old_tags, const json_t *doc, const ecsfs_spec_bytes *file,
		     ecsfs_err *err)
{
	int r;

	if ((r = ecsfs_store_begin(s)) < 0)
		return r;
	if ((r = put_tags(s, cluster, name, old_tags, json_object_get(doc, "tags"), err)) < 0) {
		ecsfs_store_rollback(s);
		return r;
	}
	if ((r = ecsfs__service_save(s, cluster, name, state)) < 0 ||
	    (r = ecsfs_store_service_gone_delete(s, cluster, name)) < 0 ||
	    (r = file ? put_spec_file(s, cluster, name, file->data, file->len, file->meta)
		      : render_spec_file(s, cluster, name, doc)) < 0) {
		ecsfs_store_rollback(s);
		return r;
	}
	return ecsfs_store_commit(s);
}

int ecsfs_service_put(ecsfs_services *sv, const char *cluster, const char *name, const json_t *doc,
		      const ecsfs_spec_bytes *file, ecsfs_err *err)
{
	ecsfs_store *s = sv->store;
	json_t *spec, *state, *old;
	bool created;
	int r;

	if ((r = ecsfs_cluster_check(s, cluster, err)) < 0 ||
	    (r = ecsfs_service_check(cluster, name, doc, err)) < 0 ||
	    (r = check_room(s, cluster, name, err)) < 0 ||
	    (r = ecsfs__service_check_lb_fit(
		 s, doc, json_string_value(json_object_get(doc, "taskDefinition")), err)) < 0)
		return r;
	old = ecsfs__service_load(s, cluster, name);
	if ((r = ecsfs__service_check_keeps_taskdef(ecsfs__service_spec(old), doc, err)) < 0) {
		json_decref(old);
		return r;
	}
	spec = json_deep_copy(doc);
	json_object_del(spec, "serviceName");
	json_object_del(spec, "cluster");
	json_object_del(spec, "clientToken");
	state = state_with(s, cluster, name, spec, &created);
	r = store_put(s, cluster, name, state, json_object_get(ecsfs__service_spec(old), "tags"),
		      doc, file, err);
	json_decref(state);
	json_decref(old);
	if (r == -EINVAL) /* the tags', with its message */
		return r;
	if (r < 0)
		return ecsfs__service_store_fault(s, r, "store", name, err);
	if (created)
		ecsfs_cluster_event(s, cluster, "(service %s) was created.", name);
	ecsfs__service_changed(sv, cluster, name);
	ecsfs_services_touch(sv, cluster, name);
	return 0;
}

int ecsfs_service_create(ecsfs_services *sv, const char *cluster, const char *name, ecsfs_err *err)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	json_t *doc;
	int r;

	if ((r = ecsfs_name_check(name, "service", &why)) < 0)
		ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, r, "%s", why.data);
	ecsfs_buf_release(&why);
	if (r < 0 || (r = ecsfs_cluster_check(sv->store, cluster, err)) < 0)
		return r;
	if (ecsfs_service_exists(sv->store, cluster, name) == 0)
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EEXIST, "service %s exists",
				     name);
	doc = json_pack("{s:s, s:i}", "serviceName", name, "desiredCount", 0);
	r = ecsfs_service_put(sv, cluster, name, doc, NULL, err);
	json_decref(doc);
	return r;
}

static int store_draining(ecsfs_store *s, const char *cluster, const char *name, json_t *state)
{
	int r;

	json_object_set_new(state, "status", json_string("DRAINING"));
	if ((r = ecsfs_store_begin(s)) < 0)
		return r;
	if ((r = ecsfs__service_save(s, cluster, name, state)) < 0) {
		ecsfs_store_rollback(s);
		return r;
	}
	remove_spec_file(s, cluster, name);
	return ecsfs_store_commit(s);
}

int ecsfs_service_delete(ecsfs_services *sv, const char *cluster, const char *name, bool force,
			 ecsfs_err *err)
{
	ecsfs_store *s = sv->store;
	json_t *state;
	int r;

	if ((r = ecsfs_cluster_check(s, cluster, err)) < 0)
		return r;
	if (!(state = ecsfs__service_load(s, cluster, name)))
		return not_found(s, cluster, name, err);
	if (!force && ecsfs__service_desired(state) > 0) {
		r = ecsfs_err_set(
		    err, ECSFS_E_INVALID_PARAMETER, -EBUSY,
		    "service %s has desiredCount %lld: scale it to 0 first, or remove "
		    "its spec file to delete it with its tasks",
		    name, ecsfs__service_desired(state));
		json_decref(state);
		return r;
	}
	r = store_draining(s, cluster, name, state);
	json_decref(state);
	if (r < 0)
		return ecsfs__service_store_fault(s, r, "delete", name, err);
	ecsfs__service_event(s, cluster, name, "is DRAINING: its tasks stop, then it is deleted.");
	ecsfs__service_changed(sv, cluster, name);
	ecsfs_services_touch(sv, cluster, name);
	return 0;
}

/* ---- scale, deploy ---- */

/* A live control changed one field of the spec (takes `v`). */
static int set_field(ecsfs_services *sv, const char *cluster, const char *name, const char *key,
		     json_t *v, ecsfs_err *err)
{
	json_t *changes = json_object();
	int r;

	json_object_set_new(changes, key, v);
	r = ecsfs_service_update(sv, cluster, name, changes, false, err);
	json_decref(changes);
	return r;
}

int ecsfs_service_check_desired_of(ecsfs_store *s, const char *cluster, const char *name,
				   int64_t count, ecsfs_err *err)
{
	json_t *state;
	int r;

	if ((r = ecsfs_service_check_desired(count, err)) < 0)
		return r;
	/* a service that is not there is the apply's to report */
	if (!(state = ecsfs__service_load(s, cluster, name)))
		return 0;
	if (ecsfs__service_is_daemon(state))
		r = ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL, "desiredCount: %s",
				  ecsfs__daemon_count_refused);
	json_decref(state);
	return r;
}

int ecsfs_service_set_desired(ecsfs_services *sv, const char *cluster, const char *name,
			      int64_t count, ecsfs_err *err)
{
	int r;

	if ((r = ecsfs_service_check_desired(count, err)) < 0)
		return r;
	return set_field(sv, cluster, name, "desiredCount", json_integer(count), err);
}

int ecsfs_service_set_taskdef(ecsfs_services *sv, const char *cluster, const char *name,
			      const char *ref, ecsfs_err *err)
{
	int r;

	if ((r = ecsfs_service_check_taskdef(sv->store, ref, err)) < 0)
		return r;
	return set_field(sv, cluster, name, "taskDefinition", json_string(ref), err);
}

int ecsfs_service_redeploy(ecsfs_services *sv, const char *cluster, const char *name,
			   ecsfs_err *err)
{
	json_t *state;
	int r;

	if (!(state = ecsfs__service_load_active(sv->store, cluster, name, err, &r)))
		return r;
	json_object_set_new(state, "force",
			    json_integer(json_integer_value(json_object_get(state, "force")) + 1));
	json_object_del(state, "blocked");
	r = ecsfs__service_save(sv->store, cluster, name, state);
	json_decref(state);
	if (r < 0)
		return ecsfs__service_store_fault(sv->store, r, "update", name, err);
	ecsfs__service_changed(sv, cluster, name);
	ecsfs_services_touch(sv, cluster, name);
	return 0;
}
