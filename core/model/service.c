/*
 * ecsfs — services: their definitions, deployments and the scheduler that
 * keeps desiredCount tasks running.
 *
 * A service's state is one JSON document in the store (`services` table):
 *   spec         the canonical CreateService fields (no serviceName)
 *   status       ACTIVE or DRAINING
 *   deployments  newest (PRIMARY) first: id, family, revision, status,
 *                rollout, reason, created, updated
 *   completed    {family, revision} of the last COMPLETED deployment
 *   blocked      "family:revision" that failed and was rolled back from
 *   force        redeploys asked for; forceSeen: the last one deployed
 * Its tasks are found by group ("service:<name>") and tell the rest.
 */
#include "ecsfs/service.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "ecsfs/cluster.h"
#include "ecsfs/taskdef.h"
#include "ecsfs/util.h"

#define SCHEDULER_CODE "ServiceSchedulerInitiated"
#define HEALTH_REASON  "Task failed container health checks"
#define MAX_START      10 /* tasks started per look (RunTask's count) */

struct ecsfs_services {
	uv_loop_t *loop;
	ecsfs_store *store;
	ecsfs_tasks *tasks;
	uv_timer_t timer;
	ecsfs_services_change_cb on_change;
	void *on_change_data;
	bool busy;
	int64_t stable_ns; /* how long a task runs before it counts as settled */
};

static void changed(ecsfs_services *sv, const char *cluster, const char *name)
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

__attribute__((format(printf, 4, 5))) static void event(ecsfs_store *s, const char *cluster,
							const char *name, const char *fmt, ...)
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

/* ---- the definition: CreateService's fields ---- */

typedef int (*field_check)(const char *key, const json_t *v, ecsfs_buf *why);

static int want_int(const char *key, const json_t *v, long long lo, long long hi, ecsfs_buf *why)
{
	if (!json_is_integer(v)) {
		ecsfs_buf_setf(why, "%s: must be a whole number", key);
		return -EINVAL;
	}
	if (json_integer_value(v) < lo || json_integer_value(v) > hi) {
		ecsfs_buf_setf(why, "%s: %lld is out of range %lld..%lld", key,
			       (long long)json_integer_value(v), lo, hi);
		return -EINVAL;
	}
	return 0;
}

static int f_desired(const char *key, const json_t *v, ecsfs_buf *why)
{
	return want_int(key, v, 0, ECSFS_SERVICE_DESIRED_MAX, why);
}

static int f_grace(const char *key, const json_t *v, ecsfs_buf *why)
{
	return want_int(key, v, 0, 2147483647, why);
}

static int f_string(const char *key, const json_t *v, ecsfs_buf *why)
{
	if (!json_is_string(v)) {
		ecsfs_buf_setf(why, "%s: must be a string", key);
		return -EINVAL;
	}
	return 0;
}

static int f_bool(const char *key, const json_t *v, ecsfs_buf *why)
{
	if (!json_is_boolean(v)) {
		ecsfs_buf_setf(why, "%s: must be true or false", key);
		return -EINVAL;
	}
	return 0;
}

static int f_array(const char *key, const json_t *v, ecsfs_buf *why)
{
	if (!json_is_array(v)) {
		ecsfs_buf_setf(why, "%s: must be an array", key);
		return -EINVAL;
	}
	return 0;
}

static int f_object(const char *key, const json_t *v, ecsfs_buf *why)
{
	if (!json_is_object(v)) {
		ecsfs_buf_setf(why, "%s: must be an object", key);
		return -EINVAL;
	}
	return 0;
}

/* "family", "family:rev" or a task-definition ARN (0 = newest); the
 * callers say what is wrong in their own words. */
static int parse_ref(const char *ref, char family[256], int64_t *rev)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	int r = ecsfs_taskdef_parse_ref(ref, family, rev, &why);
	ecsfs_buf_release(&why);
	return r;
}

static int f_taskdef(const char *key, const json_t *v, ecsfs_buf *why)
{
	char family[256];
	int64_t rev;

	if (f_string(key, v, why) < 0)
		return -EINVAL;
	if (parse_ref(json_string_value(v), family, &rev) < 0) {
		ecsfs_buf_setf(why, "%s: '%s' is not \"family\", \"family:revision\" or an ARN",
			       key, json_string_value(v));
		return -EINVAL;
	}
	return 0;
}

static int f_strategy(const char *key, const json_t *v, ecsfs_buf *why)
{
	const char *s = json_string_value(v);
	if (!s || (strcmp(s, "REPLICA") && strcmp(s, "DAEMON"))) {
		ecsfs_buf_setf(why, "%s: must be REPLICA or DAEMON", key);
		return -EINVAL;
	}
	return 0;
}

static int f_propagate(const char *key, const json_t *v, ecsfs_buf *why)
{
	const char *s = json_string_value(v);
	if (!s || (strcmp(s, "TASK_DEFINITION") && strcmp(s, "SERVICE") && strcmp(s, "NONE"))) {
		ecsfs_buf_setf(why, "%s: must be TASK_DEFINITION, SERVICE or NONE", key);
		return -EINVAL;
	}
	return 0;
}

static int f_deployment(const char *key, const json_t *v, ecsfs_buf *why)
{
	const char *k;
	json_t *x;

	if (f_object(key, v, why) < 0)
		return -EINVAL;
	json_object_foreach((json_t *)v, k, x) {
		ecsfs_buf path = ECSFS_BUF_INIT;
		int r = 0;

		ecsfs_buf_addf(&path, "%s.%s", key, k);
		if (strcmp(k, "maximumPercent") == 0) {
			r = want_int(path.data, x, 100, 400, why);
		} else if (strcmp(k, "minimumHealthyPercent") == 0) {
			r = want_int(path.data, x, 0, 100, why);
		} else if (strcmp(k, "deploymentCircuitBreaker") == 0) {
			const char *kk;
			json_t *y;
			if ((r = f_object(path.data, x, why)) == 0) {
				json_object_foreach(x, kk, y) {
					if (strcmp(kk, "enable") && strcmp(kk, "rollback")) {
						ecsfs_buf_setf(why, "%s.%s: not a field of it",
							       path.data, kk);
						r = -EINVAL;
					} else if (!json_is_boolean(y)) {
						ecsfs_buf_setf(why, "%s.%s: must be true or false",
							       path.data, kk);
						r = -EINVAL;
					}
					if (r)
						break;
				}
			}
		} else if (strcmp(k, "alarms") == 0 || strcmp(k, "strategy") == 0 ||
			   strcmp(k, "bakeTimeInMinutes") == 0 ||
			   strcmp(k, "lifecycleHooks") == 0) {
			/* kept, no local meaning */
		} else {
			ecsfs_buf_setf(why, "%s: not a field of deploymentConfiguration",
				       path.data);
			r = -EINVAL;
		}
		ecsfs_buf_release(&path);
		if (r)
			return r;
	}
	return 0;
}

static const struct {
	const char *key;
	field_check check;
} fields[] = {
    {"serviceName", f_string},
    {"cluster", f_string},
    {"taskDefinition", f_taskdef},
    {"desiredCount", f_desired},
    {"deploymentConfiguration", f_deployment},
    {"healthCheckGracePeriodSeconds", f_grace},
    {"schedulingStrategy", f_strategy},
    {"propagateTags", f_propagate},
    {"tags", f_array},
    {"loadBalancers", f_array},
    {"serviceRegistries", f_array},
    {"networkConfiguration", f_object},
    {"launchType", f_string},
    {"capacityProviderStrategy", f_array},
    {"platformVersion", f_string},
    {"placementConstraints", f_array},
    {"placementStrategy", f_array},
    {"deploymentController", f_object},
    {"enableECSManagedTags", f_bool},
    {"enableExecuteCommand", f_bool},
    {"role", f_string},
    {"clientToken", f_string},
    {"serviceConnectConfiguration", f_object},
    {"volumeConfigurations", f_array},
    {"availabilityZoneRebalancing", f_string},
    {"vpcLatticeConfigurations", f_array},
};

static int validate(const char *cluster, const char *name, const json_t *doc, ecsfs_buf *why)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)doc, key, v) {
		size_t i;
		int r;

		for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			if (strcmp(fields[i].key, key) == 0)
				break;
		if (i == sizeof(fields) / sizeof(fields[0])) {
			ecsfs_buf_setf(why, "%s: not a CreateService field", key);
			return -EINVAL;
		}
		if ((r = fields[i].check(key, v, why)) < 0)
			return r;
	}
	v = json_object_get(doc, "serviceName");
	if (v && strcmp(json_string_value(v), name) != 0) {
		ecsfs_buf_setf(why, "serviceName: '%s' differs from the file name %s",
			       json_string_value(v), name);
		return -EINVAL;
	}
	v = json_object_get(doc, "cluster");
	if (v) {
		const char *c = json_string_value(v), *slash = strrchr(c, '/');
		if (strcmp(slash ? slash + 1 : c, cluster) != 0) {
			ecsfs_buf_setf(why, "cluster: '%s' is not this directory's cluster %s", c,
				       cluster);
			return -EINVAL;
		}
	}
	return 0;
}

int ecsfs_service_spec_check(const char *cluster, const char *name, const char *data, size_t len,
			     bool partial, ecsfs_buf *why)
{
	json_t *doc;
	int r;

	if ((r = ecsfs_name_check(name, "service", why)) < 0)
		return r;
	if (len > ECSFS_SERVICE_JSON_MAX || memchr(data, '\0', len)) {
		ecsfs_buf_setf(why, "a service definition is at most %d bytes of text",
			       ECSFS_SERVICE_JSON_MAX);
		return -EINVAL;
	}
	if (partial) {
		if (!ecsfs_json_prefix_ok(data, len))
			return ecsfs_json_parse_object(data, len, &doc, why) < 0 ? -EINVAL : 0;
		doc = json_loadb(data, len, JSON_DISABLE_EOF_CHECK, NULL);
		if (!doc)
			return 0;
		json_decref(doc);
	}
	if ((r = ecsfs_json_parse_object(data, len, &doc, why)) < 0)
		return r;
	r = validate(cluster, name, doc, why);
	json_decref(doc);
	return r;
}

/* ---- the stored state ---- */

static json_t *load(ecsfs_store *s, const char *cluster, const char *name)
{
	ecsfs_buf b = ECSFS_BUF_INIT;
	json_t *j = NULL;

	if (ecsfs_store_service_get(s, cluster, name, &b) == 0)
		j = json_loadb(b.data, b.len, 0, NULL);
	ecsfs_buf_release(&b);
	return j;
}

static int save(ecsfs_store *s, const char *cluster, const char *name, json_t *state)
{
	char *text = json_dumps(state, JSON_COMPACT | JSON_SORT_KEYS);
	int r;

	if (!text)
		return -ENOMEM;
	r = ecsfs_store_service_put(s, cluster, name, text);
	free(text);
	return r;
}

static json_t *spec_of(json_t *state)
{
	return json_object_get(state, "spec");
}

static long long desired_of(json_t *state)
{
	if (strcmp(json_string_value(json_object_get(state, "status")) ?: "", "ACTIVE") != 0)
		return 0;
	return json_integer_value(json_object_get(spec_of(state), "desiredCount"));
}

static bool is_daemon(json_t *state)
{
	const char *s = json_string_value(json_object_get(spec_of(state), "schedulingStrategy"));
	return s && strcmp(s, "DAEMON") == 0;
}

/* One container instance here: a DAEMON service runs one task. */
static long long target_of(json_t *state)
{
	if (is_daemon(state))
		return strcmp(json_string_value(json_object_get(state, "status")) ?: "", "ACTIVE")
			   ? 0
			   : 1;
	return desired_of(state);
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

/* Store the spec file's bytes with this metadata. */
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

/*
 * A live control changed the spec: rewrite the spec file with the new
 * value (so `diff -r` shows the drift from git), keeping its mode and
 * owner. The bytes are the old document with one field replaced.
 */
static int rewrite_spec_file(ecsfs_store *s, const char *cluster, const char *name, const char *key,
			     json_t *value)
{
	ecsfs_buf dir = ECSFS_BUF_INIT, file = ECSFS_BUF_INIT, data = ECSFS_BUF_INIT,
		  out = ECSFS_BUF_INIT;
	ecsfs_file_meta meta = {.kind = ECSFS_FILE_SPEC, .mode = 0644};
	json_t *doc = NULL;
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
	if (value)
		json_object_set(doc, key, value);
	else
		json_object_del(doc, key);
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

static json_t *new_state(json_t *spec)
{
	return json_pack("{s:o, s:s, s:I, s:[], s:I, s:I}", "spec", spec, "status", "ACTIVE",
			 "created", (json_int_t)ecsfs_now_ns(), "deployments", "force",
			 (json_int_t)0, "forceSeen", (json_int_t)0);
}

static int store_fault(ecsfs_store *s, const char *what, const char *name, ecsfs_buf *why)
{
	ecsfs_buf_setf(why, "cannot %s service %s: %s", what, name, ecsfs_store_last_error(s));
	return -EIO;
}

static int check_cluster(ecsfs_store *s, const char *cluster, ecsfs_buf *why)
{
	if (!ecsfs_store_cluster_exists(s, cluster)) {
		ecsfs_buf_setf(why, "cluster %s does not exist", cluster);
		return -ENOENT;
	}
	return 0;
}

static int check_room(ecsfs_store *s, const char *cluster, const char *name, ecsfs_buf *why)
{
	uint64_t n = 0;
	if (ecsfs_service_exists(s, cluster, name) == 0)
		return 0;
	if (ecsfs_store_service_count(s, cluster, &n) == 0 && n >= ECSFS_SERVICES_MAX) {
		ecsfs_buf_setf(why, "cluster %s has %d services, the limit", cluster,
			       ECSFS_SERVICES_MAX);
		return -ENOSPC;
	}
	return 0;
}

int ecsfs_service_spec_apply(ecsfs_services *sv, const char *cluster, const char *name,
			     const char *data, size_t len, const ecsfs_file_meta *meta,
			     ecsfs_buf *why)
{
	ecsfs_store *s = sv->store;
	json_t *doc = NULL, *state;
	bool created = false;
	int r;

	if ((r = check_cluster(s, cluster, why)) < 0 ||
	    (r = ecsfs_service_spec_check(cluster, name, data, len, false, why)) < 0 ||
	    (r = check_room(s, cluster, name, why)) < 0 ||
	    (r = ecsfs_json_parse_object(data, len, &doc, why)) < 0)
		return r;
	json_object_del(doc, "serviceName");
	json_object_del(doc, "cluster");
	json_object_del(doc, "clientToken");
	state = load(s, cluster, name);
	if (!state) {
		state = new_state(doc);
		created = true;
	} else if (json_equal(spec_of(state), doc) &&
		   strcmp(json_string_value(json_object_get(state, "status")) ?: "", "ACTIVE") ==
		       0) {
		/* the same definition again (a GitOps re-apply): only the bytes and
		 * metadata of the file change */
		json_decref(doc);
	} else {
		json_object_set_new(state, "spec", doc);
		/* a written spec revives a service being deleted */
		json_object_set_new(state, "status", json_string("ACTIVE"));
		json_object_del(state, "blocked");
	}
	if ((r = ecsfs_store_begin(s)) < 0)
		goto fault;
	if ((r = save(s, cluster, name, state)) < 0 ||
	    (r = put_spec_file(s, cluster, name, data, len, meta)) < 0) {
		ecsfs_store_rollback(s);
		goto fault;
	}
	if ((r = ecsfs_store_commit(s)) < 0)
		goto fault;
	if (created)
		ecsfs_cluster_event(s, cluster, "(service %s) was created.", name);
	json_decref(state);
	changed(sv, cluster, name);
	ecsfs_services_kick(sv);
	return 0;
fault:
	json_decref(state);
	return store_fault(s, "store", name, why);
}

int ecsfs_service_create(ecsfs_services *sv, const char *cluster, const char *name, ecsfs_buf *why)
{
	ecsfs_file_meta meta = {.kind = ECSFS_FILE_SPEC, .mode = 0644};
	ecsfs_buf text = ECSFS_BUF_INIT;
	json_t *doc;
	int r;

	if ((r = ecsfs_name_check(name, "service", why)) < 0)
		return r;
	if ((r = check_cluster(sv->store, cluster, why)) < 0)
		return r;
	if (ecsfs_service_exists(sv->store, cluster, name) == 0) {
		ecsfs_buf_setf(why, "service %s exists", name);
		return -EEXIST;
	}
	doc = json_pack("{s:s, s:i}", "serviceName", name, "desiredCount", 0);
	ecsfs_json_pretty(doc, &text);
	json_decref(doc);
	meta.mtime_ns = ecsfs_now_ns();
	r = ecsfs_service_spec_apply(sv, cluster, name, text.data, text.len, &meta, why);
	ecsfs_buf_release(&text);
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

int ecsfs_service_delete(ecsfs_services *sv, const char *cluster, const char *name, bool force,
			 ecsfs_buf *why)
{
	ecsfs_store *s = sv->store;
	json_t *state = load(s, cluster, name);
	int r;

	if (!state) {
		ecsfs_buf_setf(why, "no service %s in cluster %s", name, cluster);
		return -ENOENT;
	}
	if (!force && desired_of(state) > 0) {
		ecsfs_buf_setf(
		    why,
		    "service %s has desiredCount %lld: scale it to 0 first, or remove its "
		    "spec file to delete it with its tasks",
		    name, desired_of(state));
		json_decref(state);
		return -EBUSY;
	}
	json_object_set_new(state, "status", json_string("DRAINING"));
	if ((r = ecsfs_store_begin(s)) < 0)
		goto fault;
	if ((r = save(s, cluster, name, state)) < 0) {
		ecsfs_store_rollback(s);
		goto fault;
	}
	remove_spec_file(s, cluster, name);
	if ((r = ecsfs_store_commit(s)) < 0)
		goto fault;
	event(s, cluster, name, "is DRAINING: its tasks stop, then it is deleted.");
	json_decref(state);
	changed(sv, cluster, name);
	ecsfs_services_kick(sv);
	return 0;
fault:
	json_decref(state);
	return store_fault(s, "delete", name, why);
}

/* ---- the live value files ---- */

static json_t *load_active(ecsfs_store *s, const char *cluster, const char *name, ecsfs_buf *why,
			   int *err)
{
	json_t *state = load(s, cluster, name);

	*err = 0;
	if (!state) {
		ecsfs_buf_setf(why, "no service %s in cluster %s", name, cluster);
		*err = -ENOENT;
	} else if (strcmp(json_string_value(json_object_get(state, "status")) ?: "", "ACTIVE")) {
		ecsfs_buf_setf(why, "service %s is DRAINING (being deleted)", name);
		json_decref(state);
		state = NULL;
		*err = -ENOENT;
	}
	return state;
}

int ecsfs_service_read_desired(ecsfs_store *s, const char *cluster, const char *name,
			       ecsfs_buf *out)
{
	json_t *state = load(s, cluster, name);
	if (!state)
		return -ENOENT;
	ecsfs_buf_addf(
	    out, "%lld\n",
	    (long long)json_integer_value(json_object_get(spec_of(state), "desiredCount")));
	json_decref(state);
	return 0;
}

int ecsfs_service_read_taskdef(ecsfs_store *s, const char *cluster, const char *name,
			       ecsfs_buf *out)
{
	json_t *state = load(s, cluster, name);
	const char *ref;
	if (!state)
		return -ENOENT;
	ref = json_string_value(json_object_get(spec_of(state), "taskDefinition"));
	if (ref)
		ecsfs_buf_addf(out, "%s\n", ref);
	json_decref(state);
	return 0;
}

/* The text of a value file without its trailing newline and blanks. */
static void trimmed(const char *data, size_t len, ecsfs_buf *out)
{
	while (len && strchr(" \t\r\n", data[len - 1]))
		len--;
	while (len && strchr(" \t", *data)) {
		data++;
		len--;
	}
	ecsfs_buf_add(out, data, len);
}

int ecsfs_service_desired_check(const char *data, size_t len, bool partial, ecsfs_buf *why)
{
	ecsfs_buf t = ECSFS_BUF_INIT;
	int r = 0;
	size_t digits = 0;

	trimmed(data, len, &t);
	for (size_t i = 0; i < t.len; i++) {
		if (t.data[i] < '0' || t.data[i] > '9') {
			ecsfs_buf_setf(why,
				       "desired_count: '%.40s' is not a whole number from 0 to %d",
				       t.data, ECSFS_SERVICE_DESIRED_MAX);
			r = -EINVAL;
			goto out;
		}
		digits++;
	}
	if (memchr(data, '\n', len) && len && data[len - 1] != '\n') {
		ecsfs_buf_setf(why, "desired_count: write one number on one line");
		r = -EINVAL;
		goto out;
	}
	if (digits > 9 || (digits && atoll(t.data) > ECSFS_SERVICE_DESIRED_MAX)) {
		ecsfs_buf_setf(why, "desired_count: %.40s is above the limit of %d", t.data,
			       ECSFS_SERVICE_DESIRED_MAX);
		r = -EINVAL;
		goto out;
	}
	if (!partial && digits == 0) {
		ecsfs_buf_setf(why, "desired_count: empty; write a whole number from 0 to %d",
			       ECSFS_SERVICE_DESIRED_MAX);
		r = -EINVAL;
	}
	if (partial && digits == 0 && memchr(data, '\n', len)) {
		ecsfs_buf_setf(why, "desired_count: empty; write a whole number from 0 to %d",
			       ECSFS_SERVICE_DESIRED_MAX);
		r = -EINVAL;
	}
out:
	ecsfs_buf_release(&t);
	return r;
}

/*
 * A live value file changed one field of the spec: store the service with
 * it and rewrite the spec file, in one transaction. Takes `v`.
 */
static int set_field(ecsfs_services *sv, const char *cluster, const char *name, const char *key,
		     json_t *v, ecsfs_buf *why)
{
	ecsfs_store *s = sv->store;
	json_t *state;
	int r;

	if (!(state = load_active(s, cluster, name, why, &r))) {
		json_decref(v);
		return r;
	}
	json_object_set(spec_of(state), key, v);
	/* a new task definition may be tried even if it failed before */
	if (strcmp(key, "taskDefinition") == 0)
		json_object_del(state, "blocked");
	if ((r = ecsfs_store_begin(s)) < 0)
		goto fault;
	if ((r = save(s, cluster, name, state)) < 0 ||
	    (r = rewrite_spec_file(s, cluster, name, key, v)) < 0) {
		ecsfs_store_rollback(s);
		goto fault;
	}
	if ((r = ecsfs_store_commit(s)) < 0)
		goto fault;
	json_decref(v);
	json_decref(state);
	changed(sv, cluster, name);
	ecsfs_services_kick(sv);
	return 0;
fault:
	json_decref(v);
	json_decref(state);
	return store_fault(s, "update", name, why);
}

int ecsfs_service_set_desired(ecsfs_services *sv, const char *cluster, const char *name,
			      const char *data, size_t len, ecsfs_buf *why)
{
	ecsfs_buf t = ECSFS_BUF_INIT;
	json_t *v;
	int r;

	if ((r = ecsfs_service_desired_check(data, len, false, why)) < 0)
		return r;
	trimmed(data, len, &t);
	v = json_integer(atoll(t.data));
	ecsfs_buf_release(&t);
	return set_field(sv, cluster, name, "desiredCount", v, why);
}

int ecsfs_service_taskdef_check(ecsfs_store *s, const char *data, size_t len, bool partial,
				ecsfs_buf *why)
{
	ecsfs_buf t = ECSFS_BUF_INIT;
	char family[256];
	int64_t rev;
	bool active = false;
	int r = 0;

	if (len > 1024 || memchr(data, '\0', len)) {
		ecsfs_buf_setf(why, "task_definition: write \"family\" or \"family:revision\"");
		return -EINVAL;
	}
	if (partial && !memchr(data, '\n', len))
		return 0;
	trimmed(data, len, &t);
	if (t.len == 0 || memchr(t.data, '\n', t.len) || parse_ref(t.data, family, &rev) < 0) {
		ecsfs_buf_setf(why,
			       "task_definition: '%.80s' is not \"family\" or \"family:revision\"",
			       t.data);
		r = -EINVAL;
	} else if (rev == 0 && ecsfs_taskdef_latest(s, family, &rev) < 0) {
		ecsfs_buf_setf(why, "task_definition: family %s has no ACTIVE revision", family);
		r = -ENOENT;
	} else if (ecsfs_taskdef_exists(s, family, rev, &active) < 0) {
		ecsfs_buf_setf(why, "task_definition: %s:%lld is not registered", family,
			       (long long)rev);
		r = -ENOENT;
	} else if (!active) {
		ecsfs_buf_setf(why, "task_definition: %s:%lld is INACTIVE (deregistered)", family,
			       (long long)rev);
		r = -EINVAL;
	}
	ecsfs_buf_release(&t);
	return r;
}

int ecsfs_service_set_taskdef(ecsfs_services *sv, const char *cluster, const char *name,
			      const char *data, size_t len, ecsfs_buf *why)
{
	ecsfs_buf t = ECSFS_BUF_INIT;
	json_t *v;
	int r;

	if ((r = ecsfs_service_taskdef_check(sv->store, data, len, false, why)) < 0)
		return r;
	trimmed(data, len, &t);
	v = json_string(t.data);
	ecsfs_buf_release(&t);
	return set_field(sv, cluster, name, "taskDefinition", v, why);
}

int ecsfs_service_redeploy(ecsfs_services *sv, const char *cluster, const char *name,
			   ecsfs_buf *why)
{
	json_t *state;
	int r;

	if (!(state = load_active(sv->store, cluster, name, why, &r)))
		return r;
	json_object_set_new(state, "force",
			    json_integer(json_integer_value(json_object_get(state, "force")) + 1));
	json_object_del(state, "blocked");
	if ((r = save(sv->store, cluster, name, state)) < 0) {
		json_decref(state);
		return store_fault(sv->store, "update", name, why);
	}
	json_decref(state);
	changed(sv, cluster, name);
	ecsfs_services_kick(sv);
	return 0;
}

/* ---- what the service's tasks are ---- */

typedef struct tinfo {
	char id[33];
	char started_by[64];
	bool live;    /* desiredStatus RUNNING */
	bool running; /* lastStatus RUNNING */
	bool stopped; /* lastStatus STOPPED */
	bool healthy; /* counts toward minimumHealthyPercent */
	bool unhealthy;
	bool failed; /* stopped for a reason that counts against the deployment */
	int64_t created_ns, started_ns;
} tinfo;

typedef struct tlist {
	tinfo *v;
	size_t n, alloc;
} tlist;

static int collect_cb(void *data, const ecsfs_task_info *in)
{
	tlist *l = data;
	tinfo *t;

	if (l->n == l->alloc) {
		l->alloc = l->alloc ? 2 * l->alloc : 16;
		l->v = realloc(l->v, l->alloc * sizeof(*l->v));
		if (!l->v)
			abort();
	}
	t = &l->v[l->n++];
	memset(t, 0, sizeof(*t));
	snprintf(t->id, sizeof(t->id), "%s", in->id);
	snprintf(t->started_by, sizeof(t->started_by), "%s", in->started_by);
	t->live = in->desired_running;
	t->running = strcmp(in->last_status, "RUNNING") == 0;
	t->stopped = strcmp(in->last_status, "STOPPED") == 0;
	t->unhealthy = strcmp(in->health, "UNHEALTHY") == 0;
	t->healthy =
	    t->running && (in->has_health_check ? strcmp(in->health, "HEALTHY") == 0 : true);
	t->failed = !in->desired_running && in->stop_code &&
		    (strcmp(in->stop_code, "TaskFailedToStart") == 0 ||
		     strcmp(in->stop_code, "EssentialContainerExited") == 0 ||
		     (in->stopped_reason &&
		      strncmp(in->stopped_reason, HEALTH_REASON, strlen(HEALTH_REASON)) == 0));
	t->created_ns = in->created_ns;
	t->started_ns = in->started_ns;
	return 0;
}

static void collect(ecsfs_services *sv, const char *cluster, const char *name, tlist *l)
{
	ecsfs_buf group = ECSFS_BUF_INIT;
	memset(l, 0, sizeof(*l));
	if (!sv->tasks)
		return;
	ecsfs_buf_addf(&group, "service:%s", name);
	ecsfs_tasks_foreach(sv->tasks, cluster, group.data, collect_cb, l);
	ecsfs_buf_release(&group);
}

/* ---- deployments ---- */

static json_t *primary(json_t *state)
{
	return json_array_get(json_object_get(state, "deployments"), 0);
}

static const char *dstr(json_t *d, const char *key)
{
	return json_string_value(json_object_get(d, key)) ?: "";
}

static void new_deployment_id(char out[40])
{
	unsigned char raw[8];
	unsigned long long n = 0;

	if (getrandom(raw, sizeof(raw), 0) == (ssize_t)sizeof(raw))
		memcpy(&n, raw, sizeof(n));
	else
		n = (unsigned long long)ecsfs_now_ns();
	snprintf(out, 40, "ecs-svc/%019llu", n % 10000000000000000000ull);
}

/* The task definition a reference names now: 0, -ENOENT (nothing ACTIVE). */
static int resolve_ref(ecsfs_store *s, const char *ref, char family[256], int64_t *rev)
{
	bool active = false;

	if (!ref || parse_ref(ref, family, rev) < 0)
		return -ENOENT;
	if (*rev == 0)
		return ecsfs_taskdef_latest(s, family, rev);
	if (ecsfs_taskdef_exists(s, family, *rev, &active) < 0 || !active)
		return -ENOENT;
	return 0;
}

static void start_deployment(ecsfs_store *s, json_t *state, const char *family, int64_t rev,
			     const char *name, const char *cluster, bool rollback)
{
	json_t *deps = json_object_get(state, "deployments"), *old = primary(state), *d;
	char id[40];
	int64_t now = ecsfs_now_ns();

	if (old) {
		json_object_set_new(old, "status", json_string("ACTIVE"));
		json_object_set_new(old, "updated", json_integer(now));
	}
	new_deployment_id(id);
	d = json_pack("{s:s, s:s, s:I, s:s, s:s, s:I, s:I, s:b}", "id", id, "family", family,
		      "revision", (json_int_t)rev, "status", "PRIMARY", "rollout", "IN_PROGRESS",
		      "created", (json_int_t)now, "updated", (json_int_t)now, "rollback", rollback);
	json_array_insert_new(deps, 0, d);
	json_object_set_new(state, "steady", json_false());
	json_object_del(state, "waiting");
	json_object_del(state, "streak");
	json_object_del(state, "launchAfter");
	if (!rollback)
		event(s, cluster, name, "has begun deployment %s of task definition %s:%lld.", id,
		      family, (long long)rev);
}

/* Drop deployments other than the primary that no longer have live tasks. */
static void prune_deployments(json_t *state, const tlist *l)
{
	json_t *deps = json_object_get(state, "deployments");

	for (size_t i = json_array_size(deps); i-- > 1;) {
		const char *id = dstr(json_array_get(deps, i), "id");
		bool used = false;
		for (size_t j = 0; j < l->n; j++)
			used = used || (l->v[j].live && strcmp(l->v[j].started_by, id) == 0);
		if (!used)
			json_array_remove(deps, i);
	}
}

static int cmp_started_desc(const void *a, const void *b)
{
	const tinfo *x = *(tinfo *const *)a, *y = *(tinfo *const *)b;
	int64_t xs = x->started_ns ? x->started_ns : x->created_ns;
	int64_t ys = y->started_ns ? y->started_ns : y->created_ns;
	return xs < ys ? 1 : xs > ys ? -1 : strcmp(y->id, x->id);
}

static void stop_tasks(ecsfs_services *sv, const char *cluster, const char *name, tinfo **v,
		       size_t n, const char *reason)
{
	ecsfs_buf ids = ECSFS_BUF_INIT, why = ECSFS_BUF_INIT;
	size_t done = 0;

	for (size_t i = 0; i < n; i++) {
		ecsfs_buf_reset(&why);
		if (ecsfs_tasks_stop_as(sv->tasks, cluster, v[i]->id, SCHEDULER_CODE, reason,
					strlen(reason), &why) == 0) {
			v[i]->live = false;
			ecsfs_buf_addf(&ids, " (task %s)", v[i]->id);
			done++;
		}
	}
	if (done)
		event(sv->store, cluster, name, "has stopped %zu running tasks:%s.", done,
		      ids.data);
	ecsfs_buf_release(&ids);
	ecsfs_buf_release(&why);
}

static size_t start_tasks(ecsfs_services *sv, json_t *state, const char *cluster, const char *name,
			  json_t *dep, long long n)
{
	ecsfs_buf req = ECSFS_BUF_INIT, ids = ECSFS_BUF_INIT, why = ECSFS_BUF_INIT,
		  list = ECSFS_BUF_INIT;
	size_t started = 0;
	int r;

	if (n > MAX_START)
		n = MAX_START;
	ecsfs_buf_addf(&req,
		       "{\"taskDefinition\":\"%s:%lld\",\"count\":%lld,\"startedBy\":\"%s\","
		       "\"group\":\"service:%s\"}",
		       dstr(dep, "family"),
		       (long long)json_integer_value(json_object_get(dep, "revision")), n,
		       dstr(dep, "id"), name);
	r = ecsfs_tasks_run(sv->tasks, cluster, req.data, req.len, &ids, &why);
	if (r < 0) {
		const char *said = json_string_value(json_object_get(state, "lastError"));
		if (!said || strcmp(said, why.data) != 0) {
			event(sv->store, cluster, name, "was unable to start tasks: %s.", why.data);
			json_object_set_new(state, "lastError", json_string(why.data));
		}
		goto out;
	}
	json_object_del(state, "lastError");
	for (const char *p = ids.data; *p;) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		ecsfs_buf_addf(&list, " (task %.*s)", (int)len, p);
		started++;
		p += len + (e ? 1 : 0);
	}
	event(sv->store, cluster, name, "has started %zu tasks:%s.", started, list.data);
out:
	ecsfs_buf_release(&req);
	ecsfs_buf_release(&ids);
	ecsfs_buf_release(&why);
	ecsfs_buf_release(&list);
	return started;
}

static long long conf_int(json_t *state, const char *key, long long dflt)
{
	json_t *v =
	    json_object_get(json_object_get(spec_of(state), "deploymentConfiguration"), key);
	return json_is_integer(v) ? json_integer_value(v) : dflt;
}

static bool breaker(json_t *state, const char *key)
{
	json_t *cb = json_object_get(json_object_get(spec_of(state), "deploymentConfiguration"),
				     "deploymentCircuitBreaker");
	return json_is_true(json_object_get(cb, key));
}

/* ECS's threshold: half the desired count, at least 3, at most 200. */
static long long failure_threshold(long long desired)
{
	long long t = (desired + 1) / 2;
	return t < 3 ? 3 : t > 200 ? 200 : t;
}

/* The circuit breaker: a deployment whose tasks keep failing is FAILED, and
 * with rollback the last COMPLETED one comes back. Returns true when it
 * tripped. */
static bool check_breaker(ecsfs_services *sv, json_t *state, const char *cluster, const char *name,
			  const tlist *l, long long desired)
{
	json_t *p = primary(state), *done;
	long long failed = 0;
	char blocked[300];

	if (!p || strcmp(dstr(p, "rollout"), "IN_PROGRESS") != 0)
		return false;
	for (size_t i = 0; i < l->n; i++)
		failed += l->v[i].failed && strcmp(l->v[i].started_by, dstr(p, "id")) == 0;
	json_object_set_new(p, "failed", json_integer(failed));
	if (!breaker(state, "enable") || failed < failure_threshold(desired))
		return false;
	json_object_set_new(p, "rollout", json_string("FAILED"));
	json_object_set_new(p, "reason", json_string("tasks failed to start"));
	json_object_set_new(p, "updated", json_integer(ecsfs_now_ns()));
	event(sv->store, cluster, name,
	      "(deployment %s) deployment failed: tasks failed to start (%lld failed, threshold "
	      "%lld).",
	      dstr(p, "id"), failed, failure_threshold(desired));
	snprintf(blocked, sizeof(blocked), "%s:%lld", dstr(p, "family"),
		 (long long)json_integer_value(json_object_get(p, "revision")));
	json_object_set_new(state, "blocked", json_string(blocked));
	done = json_object_get(state, "completed");
	if (breaker(state, "rollback") && done) {
		char failed_id[64];
		snprintf(failed_id, sizeof(failed_id), "%s", dstr(p, "id"));
		start_deployment(sv->store, state, dstr(done, "family"),
				 json_integer_value(json_object_get(done, "revision")), name,
				 cluster, true);
		event(sv->store, cluster, name,
		      "deployment %s rolling back to task definition %s:%lld in deployment %s.",
		      failed_id, dstr(done, "family"),
		      (long long)json_integer_value(json_object_get(done, "revision")),
		      dstr(primary(state), "id"));
	}
	return true;
}

/* Is a new deployment due? Then start it. */
static void maybe_deploy(ecsfs_services *sv, json_t *state, const char *cluster, const char *name,
			 long long desired)
{
	const char *ref = json_string_value(json_object_get(spec_of(state), "taskDefinition"));
	json_t *p = primary(state);
	json_int_t force = json_integer_value(json_object_get(state, "force"));
	json_int_t seen = json_integer_value(json_object_get(state, "forceSeen"));
	const char *blocked = json_string_value(json_object_get(state, "blocked"));
	char family[256], key[300];
	int64_t rev;

	if (!ref)
		return;
	if (resolve_ref(sv->store, ref, family, &rev) < 0) {
		if (!json_is_true(json_object_get(state, "waiting")) && desired > 0) {
			event(
			    sv->store, cluster, name,
			    "is waiting for task definition %s: it has no ACTIVE revision yet; the "
			    "service starts tasks once it is registered.",
			    ref);
			json_object_set_new(state, "waiting", json_true());
		}
		return;
	}
	snprintf(key, sizeof(key), "%s:%lld", family, (long long)rev);
	if (p && strcmp(dstr(p, "family"), family) == 0 &&
	    json_integer_value(json_object_get(p, "revision")) == rev && force == seen)
		return;
	if (blocked && strcmp(blocked, key) == 0 && force == seen)
		return; /* rolled back from it: only a new revision or redeploy retries */
	json_object_set_new(state, "forceSeen", json_integer(force));
	start_deployment(sv->store, state, family, rev, name, cluster, false);
}

/* One look at one service: start, stop, deploy, roll back, record. */
static void schedule(ecsfs_services *sv, const char *cluster, const char *name)
{
	ecsfs_store *s = sv->store;
	json_t *state = load(s, cluster, name), *p;
	char *before;
	tlist l;
	long long desired, max_total, min_healthy, live = 0, healthy = 0;
	size_t nprim = 0, nold = 0;
	tinfo **prim = NULL, **old = NULL;
	int64_t now = ecsfs_now_ns(), grace;
	bool draining, acted = false;

	if (!state)
		return;
	before = json_dumps(state, JSON_COMPACT | JSON_SORT_KEYS);
	draining =
	    strcmp(json_string_value(json_object_get(state, "status")) ?: "", "DRAINING") == 0;
	desired = target_of(state);
	collect(sv, cluster, name, &l);
	if (!sv->tasks)
		goto save;
	maybe_deploy(sv, state, cluster, name, desired);
	check_breaker(sv, state, cluster, name, &l, desired);
	p = primary(state);

	/* health: replace a task whose health check fails, after the grace period */
	grace =
	    json_integer_value(json_object_get(spec_of(state), "healthCheckGracePeriodSeconds")) *
	    1000000000ll;
	for (size_t i = 0; i < l.n; i++) {
		tinfo *t = &l.v[i];
		if (t->live && t->running && t->unhealthy && now - t->started_ns >= grace) {
			event(s, cluster, name, "(task %s) failed container health checks.", t->id);
			stop_tasks(sv, cluster, name, &t, 1, HEALTH_REASON);
			acted = true;
		}
	}

	prim = calloc(l.n + 1, sizeof(*prim));
	old = calloc(l.n + 1, sizeof(*old));
	if (!prim || !old)
		abort();
	for (size_t i = 0; i < l.n; i++) {
		tinfo *t = &l.v[i];
		if (!t->live)
			continue;
		if (p && strcmp(t->started_by, dstr(p, "id")) == 0)
			prim[nprim++] = t;
		else
			old[nold++] = t;
	}
	max_total = desired * conf_int(state, "maximumPercent", 200) / 100;
	if (desired > 0 && max_total < desired)
		max_total = desired;
	min_healthy = (desired * conf_int(state, "minimumHealthyPercent", 100) + 99) / 100;

	/* scale in: the newest-started go first */
	if ((long long)nprim > desired) {
		size_t extra = nprim - (size_t)desired;
		qsort(prim, nprim, sizeof(*prim), cmp_started_desc);
		event(s, cluster, name,
		      "is scaling in to %lld: stopping %zu task%s, newest-started first.", desired,
		      extra, extra == 1 ? "" : "s");
		stop_tasks(sv, cluster, name, prim, extra,
			   draining ? "Service is being deleted" : "Scaling in");
		acted = true;
		memmove(prim, prim + extra, (nprim - extra) * sizeof(*prim));
		nprim -= extra;
	}
	/* tasks that keep failing are relaunched after a growing pause (from
	 * the third failure without a steady state between: 1 s doubling to
	 * 30 s), as ECS throttles a service that cannot start its tasks */
	{
		long long failed_now = 0,
			  seen = json_integer_value(json_object_get(state, "failedSeen"));
		long long streak = json_integer_value(json_object_get(state, "streak"));
		for (size_t i = 0; i < l.n; i++)
			failed_now += l.v[i].failed;
		if (failed_now > seen) {
			streak += failed_now - seen;
			json_object_set_new(state, "streak", json_integer(streak));
			if (streak >= 3) {
				long long backoff = streak - 3 >= 5 ? 30 : 1ll << (streak - 3);
				if (backoff > 30)
					backoff = 30;
				json_object_set_new(state, "launchAfter",
						    json_integer(now + backoff * 1000000000ll));
			}
		}
		if (failed_now != seen)
			json_object_set_new(state, "failedSeen", json_integer(failed_now));
	}
	/* start what the primary lacks, within maximumPercent */
	live = (long long)(nprim + nold);
	if (p && (long long)nprim < desired && strcmp(dstr(p, "rollout"), "FAILED") != 0 &&
	    now >= json_integer_value(json_object_get(state, "launchAfter"))) {
		long long room = max_total - live, want = desired - (long long)nprim;
		if (want > room)
			want = room;
		if (want > 0)
			acted = start_tasks(sv, state, cluster, name, p, want) > 0 || acted;
	}
	/* stop old deployments' tasks as far as minimumHealthyPercent allows */
	for (size_t i = 0; i < nprim; i++)
		healthy += prim[i]->healthy;
	for (size_t i = 0; i < nold; i++)
		healthy += old[i]->healthy;
	for (size_t i = 0; i < nold; i++) {
		tinfo *t = old[i];
		if (t->healthy) {
			if (healthy - 1 < min_healthy && !draining && desired > 0)
				continue;
			healthy--;
		}
		stop_tasks(sv, cluster, name, &t, 1,
			   draining ? "Service is being deleted" : "Replaced by a new deployment");
		acted = true;
	}
	prune_deployments(state, &l);

	/* steady state and a completed rollout */
	{
		size_t prim_healthy = 0, old_live = 0;
		/* a task counts toward completion once it has run a while: one
		 * that exits at once must not complete its deployment */
		for (size_t i = 0; i < nprim; i++)
			prim_healthy += prim[i]->healthy && prim[i]->live &&
					now - prim[i]->started_ns >= sv->stable_ns;
		for (size_t i = 0; i < nold; i++)
			old_live += old[i]->live;
		bool settled = old_live == 0 && (long long)nprim == desired &&
			       (long long)prim_healthy == desired && (p || desired == 0);
		if (settled && p && strcmp(dstr(p, "rollout"), "IN_PROGRESS") == 0) {
			json_object_set_new(p, "rollout", json_string("COMPLETED"));
			json_object_set_new(p, "reason",
					    json_string("ECS deployment completed successfully."));
			json_object_set_new(p, "updated", json_integer(now));
			json_object_set_new(state, "completed",
					    json_pack("{s:s, s:O}", "family", dstr(p, "family"),
						      "revision", json_object_get(p, "revision")));
			event(s, cluster, name, "(deployment %s) deployment completed.",
			      dstr(p, "id"));
		}
		if (acted)
			settled = false; /* look again once what was started or stopped settles */
		if (settled) {
			json_object_del(state, "streak");
			json_object_del(state, "launchAfter");
		}
		if (settled && !json_is_true(json_object_get(state, "steady"))) {
			json_object_set_new(state, "steady", json_true());
			if (!draining)
				event(s, cluster, name, "has reached a steady state.");
		} else if (!settled) {
			json_object_set_new(state, "steady", json_false());
		}
	}
	if (draining && nprim + nold == 0) {
		bool any_live = false;
		for (size_t i = 0; i < l.n; i++)
			any_live = any_live || !l.v[i].stopped;
		if (!any_live) {
			ecsfs_buf stream = ECSFS_BUF_INIT;
			ecsfs_store_service_delete(s, cluster, name);
			ecsfs_service_events_stream(cluster, name, &stream);
			ecsfs_store_journal_drop(s, stream.data);
			ecsfs_buf_release(&stream);
			ecsfs_cluster_event(s, cluster, "(service %s) was deleted.", name);
			changed(sv, cluster, name);
			goto out;
		}
	}
save : {
	char *after = json_dumps(state, JSON_COMPACT | JSON_SORT_KEYS);
	if (after && before && strcmp(after, before) != 0) {
		save(s, cluster, name, state);
		changed(sv, cluster, name);
	}
	free(after);
}
out:
	free(before);
	free(prim);
	free(old);
	free(l.v);
	json_decref(state);
}

static int schedule_cb(void *data, const char *cn)
{
	ecsfs_services *sv = data;
	char cluster[256];
	const char *slash = strchr(cn, '/');

	if (!slash || (size_t)(slash - cn) >= sizeof(cluster))
		return 0;
	memcpy(cluster, cn, (size_t)(slash - cn));
	cluster[slash - cn] = '\0';
	schedule(sv, cluster, slash + 1);
	return 0;
}

static void on_timer(uv_timer_t *t)
{
	ecsfs_services *sv = t->data;

	if (sv->busy)
		return;
	sv->busy = true;
	ecsfs_store_service_list_all(sv->store, schedule_cb, sv);
	sv->busy = false;
}

void ecsfs_services_kick(ecsfs_services *sv)
{
	if (sv && !sv->busy)
		uv_timer_start(&sv->timer, on_timer, 0, 1000);
}

int ecsfs_services_new(uv_loop_t *loop, ecsfs_store *store, ecsfs_tasks *tasks,
		       ecsfs_services **out)
{
	ecsfs_services *sv = calloc(1, sizeof(*sv));

	if (!sv)
		return -ENOMEM;
	sv->loop = loop;
	sv->store = store;
	sv->tasks = tasks;
	sv->stable_ns = ECSFS_SERVICE_STABLE_MS * 1000000ll;
	uv_timer_init(loop, &sv->timer);
	sv->timer.data = sv;
	uv_timer_start(&sv->timer, on_timer, 1000, 1000);
	uv_unref((uv_handle_t *)&sv->timer);
	*out = sv;
	return 0;
}

void ecsfs_services_set_stable(ecsfs_services *sv, int64_t ms)
{
	sv->stable_ns = ms * 1000000ll;
}

void ecsfs_services_set_change_cb(ecsfs_services *sv, ecsfs_services_change_cb cb, void *data)
{
	sv->on_change = cb;
	sv->on_change_data = data;
}

static void timer_closed(uv_handle_t *h)
{
	free(h->data);
}

void ecsfs_services_free(ecsfs_services *sv)
{
	if (!sv)
		return;
	uv_timer_stop(&sv->timer);
	uv_close((uv_handle_t *)&sv->timer, timer_closed);
}

/* ---- reading ---- */

typedef struct counts {
	long long running, pending;
} counts;

static counts count_for(const tlist *l, const char *dep)
{
	counts c = {0};
	for (size_t i = 0; i < l->n; i++) {
		const tinfo *t = &l->v[i];
		if (!t->live || (dep && strcmp(t->started_by, dep) != 0))
			continue;
		if (t->running)
			c.running++;
		else
			c.pending++;
	}
	return c;
}

static void td_arn(const char *family, long long rev, ecsfs_buf *out)
{
	ecsfs_buf_addf(out, "arn:aws:ecs:%s:%s:task-definition/%s:%lld", ECSFS_REGION,
		       ECSFS_ACCOUNT, family, rev);
}

static int event_cb(void *data, int64_t at_ns, const char *line)
{
	json_t *arr = data, *e;
	const char *msg = strchr(line, ' ');
	char iso[32], id[40];

	ecsfs_time_iso(at_ns, iso);
	snprintf(id, sizeof(id), "%016llx", (unsigned long long)at_ns);
	e = json_pack("{s:s, s:s, s:s}", "id", id, "createdAt", iso, "message",
		      msg ? msg + 1 : line);
	json_array_insert_new(arr, 0, e); /* newest first, as ECS lists them */
	return 0;
}

int ecsfs_service_describe(ecsfs_services *sv, const char *cluster, const char *name,
			   ecsfs_buf *out)
{
	json_t *state = load(sv->store, cluster, name), *o, *spec, *deps, *p, *dc, *events;
	ecsfs_buf b = ECSFS_BUF_INIT, stream = ECSFS_BUF_INIT;
	tlist l;
	counts all;
	size_t i;
	json_t *d;

	if (!state)
		return -ENOENT;
	spec = spec_of(state);
	collect(sv, cluster, name, &l);
	all = count_for(&l, NULL);
	o = json_object();
	ecsfs_buf_addf(&b, "arn:aws:ecs:%s:%s:service/%s/%s", ECSFS_REGION, ECSFS_ACCOUNT, cluster,
		       name);
	json_object_set_new(o, "serviceArn", json_string(b.data));
	json_object_set_new(o, "serviceName", json_string(name));
	ecsfs_buf_reset(&b);
	ecsfs_buf_addf(&b, "arn:aws:ecs:%s:%s:cluster/%s", ECSFS_REGION, ECSFS_ACCOUNT, cluster);
	json_object_set_new(o, "clusterArn", json_string(b.data));
	json_object_set(o, "status", json_object_get(state, "status"));
	json_object_set_new(o, "desiredCount", json_integer(target_of(state)));
	json_object_set_new(o, "runningCount", json_integer(all.running));
	json_object_set_new(o, "pendingCount", json_integer(all.pending));
	json_object_set_new(o, "launchType", json_string("EC2"));
	p = primary(state);
	if (p) {
		ecsfs_buf_reset(&b);
		td_arn(dstr(p, "family"), json_integer_value(json_object_get(p, "revision")), &b);
		json_object_set_new(o, "taskDefinition", json_string(b.data));
	} else if (json_object_get(spec, "taskDefinition")) {
		json_object_set(o, "taskDefinition", json_object_get(spec, "taskDefinition"));
	}
	dc = json_pack("{s:{s:b, s:b}, s:I, s:I}", "deploymentCircuitBreaker", "enable",
		       breaker(state, "enable"), "rollback", breaker(state, "rollback"),
		       "maximumPercent", (json_int_t)conf_int(state, "maximumPercent", 200),
		       "minimumHealthyPercent",
		       (json_int_t)conf_int(state, "minimumHealthyPercent", 100));
	json_object_set_new(o, "deploymentConfiguration", dc);
	deps = json_array();
	json_array_foreach(json_object_get(state, "deployments"), i, d) {
		json_t *j = json_object();
		counts c = count_for(&l, dstr(d, "id"));

		json_object_set(j, "id", json_object_get(d, "id"));
		json_object_set(j, "status", json_object_get(d, "status"));
		ecsfs_buf_reset(&b);
		td_arn(dstr(d, "family"), json_integer_value(json_object_get(d, "revision")), &b);
		json_object_set_new(j, "taskDefinition", json_string(b.data));
		json_object_set_new(j, "desiredCount", json_integer(i == 0 ? target_of(state) : 0));
		json_object_set_new(j, "pendingCount", json_integer(c.pending));
		json_object_set_new(j, "runningCount", json_integer(c.running));
		json_object_set_new(j, "failedTasks",
				    json_integer(json_integer_value(json_object_get(d, "failed"))));
		ecsfs_json_set_time(j, "createdAt",
				    json_integer_value(json_object_get(d, "created")));
		ecsfs_json_set_time(j, "updatedAt",
				    json_integer_value(json_object_get(d, "updated")));
		json_object_set_new(j, "launchType", json_string("EC2"));
		json_object_set(j, "rolloutState", json_object_get(d, "rollout"));
		if (json_object_get(d, "reason"))
			json_object_set(j, "rolloutStateReason", json_object_get(d, "reason"));
		json_array_append_new(deps, j);
	}
	json_object_set_new(o, "deployments", deps);
	events = json_array();
	ecsfs_service_events_stream(cluster, name, &stream);
	ecsfs_store_journal_tail(sv->store, stream.data, 20, event_cb, events);
	json_object_set_new(o, "events", events);
	ecsfs_json_set_time(o, "createdAt", json_integer_value(json_object_get(state, "created")));
	json_object_set_new(o, "schedulingStrategy",
			    json_string(is_daemon(state) ? "DAEMON" : "REPLICA"));
	json_object_set_new(o, "healthCheckGracePeriodSeconds",
			    json_integer(json_integer_value(
				json_object_get(spec, "healthCheckGracePeriodSeconds"))));
	json_object_set_new(o, "deploymentController", json_pack("{s:s}", "type", "ECS"));
	json_object_set_new(
	    o, "propagateTags",
	    json_string(json_string_value(json_object_get(spec, "propagateTags")) ?: "NONE"));
	json_object_set_new(
	    o, "enableECSManagedTags",
	    json_boolean(json_is_true(json_object_get(spec, "enableECSManagedTags"))));
	json_object_set_new(
	    o, "enableExecuteCommand",
	    json_boolean(json_is_true(json_object_get(spec, "enableExecuteCommand"))));
	{
		static const char *const kept[] = {"loadBalancers",
						   "serviceRegistries",
						   "networkConfiguration",
						   "tags",
						   "capacityProviderStrategy",
						   "placementConstraints",
						   "placementStrategy",
						   "platformVersion",
						   "serviceConnectConfiguration",
						   NULL};
		for (size_t k = 0; kept[k]; k++)
			if (json_object_get(spec, kept[k]))
				json_object_set(o, kept[k], json_object_get(spec, kept[k]));
		if (!json_object_get(o, "loadBalancers"))
			json_object_set_new(o, "loadBalancers", json_array());
		if (!json_object_get(o, "tags"))
			json_object_set_new(o, "tags", json_array());
	}
	ecsfs_json_pretty(o, out);
	json_decref(o);
	json_decref(state);
	free(l.v);
	ecsfs_buf_release(&b);
	ecsfs_buf_release(&stream);
	return 0;
}

int ecsfs_service_status(ecsfs_services *sv, const char *cluster, const char *name, ecsfs_buf *out)
{
	json_t *state = load(sv->store, cluster, name), *d;
	const char *ref;
	char family[256];
	int64_t rev;
	tlist l;
	counts all;
	size_t i;

	if (!state)
		return -ENOENT;
	collect(sv, cluster, name, &l);
	all = count_for(&l, NULL);
	ref = json_string_value(json_object_get(spec_of(state), "taskDefinition"));
	ecsfs_buf_addf(out, "service: %s\n", name);
	ecsfs_buf_addf(out, "cluster: %s\n", cluster);
	ecsfs_buf_addf(out, "status: %s\n", json_string_value(json_object_get(state, "status")));
	ecsfs_buf_addf(out, "task_definition: %s\n", ref ? ref : "(none)");
	ecsfs_buf_addf(out, "desired_count: %lld\n", target_of(state));
	ecsfs_buf_addf(out, "running_count: %lld\n", all.running);
	ecsfs_buf_addf(out, "pending_count: %lld\n", all.pending);
	if (!ref)
		ecsfs_buf_addf(out, "state: no task definition; write one to task_definition\n");
	else if (resolve_ref(sv->store, ref, family, &rev) < 0 && rev > 0 &&
		 ecsfs_taskdef_exists(sv->store, family, rev, NULL) == 0)
		ecsfs_buf_addf(out,
			       "state: task definition %s is INACTIVE (deregistered): running "
			       "tasks go on, no new one starts\n",
			       ref);
	else if (resolve_ref(sv->store, ref, family, &rev) < 0)
		ecsfs_buf_addf(out, "state: waiting for task definition %s to be registered\n",
			       ref);
	else if (json_is_true(json_object_get(state, "steady")))
		ecsfs_buf_addf(out, "state: steady\n");
	else
		ecsfs_buf_addf(out, "state: converging\n");
	if (json_object_get(state, "lastError"))
		ecsfs_buf_addf(out, "last_error: %s\n",
			       json_string_value(json_object_get(state, "lastError")));
	json_array_foreach(json_object_get(state, "deployments"), i, d) {
		counts c = count_for(&l, dstr(d, "id"));
		ecsfs_buf_addf(out, "deployment %s: %s %s:%lld %s, %lld running, %lld pending\n",
			       dstr(d, "id"), dstr(d, "status"), dstr(d, "family"),
			       (long long)json_integer_value(json_object_get(d, "revision")),
			       dstr(d, "rollout"), c.running, c.pending);
	}
	json_decref(state);
	free(l.v);
	return 0;
}

int ecsfs_service_tasks(ecsfs_services *sv, const char *cluster, const char *name,
			ecsfs_service_name_cb cb, void *data)
{
	tlist l;
	int r = 0;

	if (ecsfs_service_exists(sv->store, cluster, name) < 0)
		return -ENOENT;
	collect(sv, cluster, name, &l);
	for (size_t i = 0; i < l.n && r == 0; i++)
		if (!l.v[i].stopped)
			r = cb(data, l.v[i].id);
	free(l.v);
	return r < 0 ? r : 0;
}
