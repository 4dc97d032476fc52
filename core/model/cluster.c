/* Clusters: the model behind clusters/<c>/ and spec/clusters/<c>/. */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "ecsfs/cluster.h"
#include "ecsfs/util.h"

void ecsfs_cluster_spec_dir(const char *name, ecsfs_buf *out)
{
	ecsfs_buf_addf(out, "%s/%s", ECSFS_SPEC_CLUSTERS, name);
}

void ecsfs_cluster_events_stream(const char *name, ecsfs_buf *out)
{
	ecsfs_buf_addf(out, "cluster/%s", name);
}

int ecsfs_cluster_event(ecsfs_store *s, const char *name, const char *fmt, ...)
{
	ecsfs_buf stream = ECSFS_BUF_INIT, line = ECSFS_BUF_INIT;
	char when[32];
	va_list ap;
	int r;

	ecsfs_cluster_events_stream(name, &stream);
	ecsfs_time_iso(ecsfs_now_ns(), when);
	ecsfs_buf_addf(&line, "%s ", when);
	va_start(ap, fmt);
	ecsfs_buf_vaddf(&line, fmt, ap);
	va_end(ap);
	r = ecsfs_store_journal_append(s, stream.data, line.data);
	ecsfs_buf_release(&stream);
	ecsfs_buf_release(&line);
	return r;
}

int ecsfs_cluster_create(ecsfs_store *s, const char *name, ecsfs_buf *why)
{
	int r;

	if ((r = ecsfs_name_check(name, "cluster", why)) < 0)
		return r;
	if ((r = ecsfs_store_begin(s)) < 0)
		goto fault;
	r = ecsfs_store_cluster_insert(s, name, ecsfs_now_ns());
	if (r == -EEXIST) {
		ecsfs_store_rollback(s);
		ecsfs_buf_setf(why, "cluster %s already exists", name);
		return r;
	}
	if (r < 0 || (r = ecsfs_cluster_event(s, name, "(cluster %s) was created.", name)) < 0) {
		ecsfs_store_rollback(s);
		goto fault;
	}
	if ((r = ecsfs_store_commit(s)) < 0)
		goto fault;
	return 0;
fault:
	ecsfs_buf_setf(why, "cannot create cluster %s: %s", name, ecsfs_store_last_error(s));
	return r;
}

int ecsfs_cluster_delete(ecsfs_store *s, const char *name, bool spec_only, ecsfs_buf *why)
{
	ecsfs_buf dir = ECSFS_BUF_INIT, stream = ECSFS_BUF_INIT;
	uint64_t nfiles = 0, ntasks = 0, nservices = 0;
	int r;

	if (!ecsfs_store_cluster_exists(s, name)) {
		ecsfs_buf_setf(why, "cluster %s does not exist", name);
		return -ENOENT;
	}
	ecsfs_cluster_spec_dir(name, &dir);
	ecsfs_cluster_events_stream(name, &stream);
	/* Files anywhere below the spec directory (services/, schedules/
	 * included) count; directory metadata rows do not. */
	if ((r = ecsfs_store_file_count_tree(s, dir.data, &nfiles)) < 0)
		goto fault;
	if (spec_only && nfiles > 0) {
		ecsfs_buf_setf(why,
			       "cluster %s: spec directory is not empty (%llu file%s); remove them "
			       "first",
			       name, (unsigned long long)nfiles, nfiles == 1 ? "" : "s");
		r = -ENOTEMPTY;
		goto out;
	}
	if ((r = ecsfs_store_service_count(s, name, &nservices)) < 0)
		goto fault;
	if (nservices > 0) {
		ecsfs_buf_setf(why, "cluster %s still has %llu service%s; delete them first", name,
			       (unsigned long long)nservices, nservices == 1 ? "" : "s");
		r = -EBUSY;
		goto out;
	}
	if ((r = ecsfs_store_task_count(s, name, true, &ntasks)) < 0)
		goto fault;
	if (ntasks > 0) {
		ecsfs_buf_setf(
		    why, "cluster %s still has %llu task%s that %s not STOPPED; stop them first",
		    name, (unsigned long long)ntasks, ntasks == 1 ? "" : "s",
		    ntasks == 1 ? "is" : "are");
		r = -EBUSY;
		goto out;
	}
	if ((r = ecsfs_store_begin(s)) < 0)
		goto fault;
	if ((r = ecsfs_store_cluster_delete(s, name)) < 0 ||
	    (r = ecsfs_store_task_delete_cluster(s, name)) < 0 ||
	    (r = ecsfs_store_file_delete_tree(s, dir.data)) < 0 ||
	    (r = ecsfs_store_journal_drop(s, stream.data)) < 0) {
		ecsfs_store_rollback(s);
		goto fault;
	}
	/* the directory's own metadata row lives in its parent */
	r = ecsfs_store_file_delete(s, ECSFS_SPEC_CLUSTERS, name);
	if (r < 0 && r != -ENOENT) {
		ecsfs_store_rollback(s);
		goto fault;
	}
	if ((r = ecsfs_store_commit(s)) < 0)
		goto fault;
	r = 0;
	goto out;
fault:
	ecsfs_buf_setf(why, "cannot delete cluster %s: %s", name, ecsfs_store_last_error(s));
out:
	ecsfs_buf_release(&dir);
	ecsfs_buf_release(&stream);
	return r;
}

/* ---- cluster.json ---- */

static int want_string(json_t *v, const char *field, ecsfs_buf *why)
{
	if (json_is_string(v))
		return 0;
	ecsfs_buf_setf(why, "%s: must be a string", field);
	return -EINVAL;
}

static int check_tags(json_t *tags, ecsfs_buf *why)
{
	size_t i;
	json_t *t;
	if (!json_is_array(tags)) {
		ecsfs_buf_setf(why, "tags: must be an array of {\"key\", \"value\"}");
		return -EINVAL;
	}
	if (json_array_size(tags) > 50) {
		ecsfs_buf_setf(why, "tags: at most 50 tags, got %zu", json_array_size(tags));
		return -EINVAL;
	}
	json_array_foreach(tags, i, t) {
		json_t *k = json_object_get(t, "key"), *v = json_object_get(t, "value");
		if (!json_is_object(t) || !json_is_string(k) || (v && !json_is_string(v))) {
			ecsfs_buf_setf(
			    why, "tags[%zu]: must be {\"key\": string, \"value\": string}", i);
			return -EINVAL;
		}
		size_t kl = json_string_length(k);
		if (kl < 1 || kl > 128) {
			ecsfs_buf_setf(why, "tags[%zu].key: must be 1 to 128 characters", i);
			return -EINVAL;
		}
		if (v && json_string_length(v) > 256) {
			ecsfs_buf_setf(why, "tags[%zu].value: must be at most 256 characters", i);
			return -EINVAL;
		}
	}
	return 0;
}

static int check_settings(json_t *settings, ecsfs_buf *why)
{
	size_t i;
	json_t *t;
	if (!json_is_array(settings)) {
		ecsfs_buf_setf(why, "settings: must be an array of {\"name\", \"value\"}");
		return -EINVAL;
	}
	json_array_foreach(settings, i, t) {
		json_t *n = json_object_get(t, "name"), *v = json_object_get(t, "value");
		if (!json_is_object(t) || !json_is_string(n) || !json_is_string(v)) {
			ecsfs_buf_setf(
			    why, "settings[%zu]: must be {\"name\": string, \"value\": string}", i);
			return -EINVAL;
		}
		if (strcmp(json_string_value(n), "containerInsights") != 0) {
			ecsfs_buf_setf(why,
				       "settings[%zu].name: '%s' is not a cluster setting (known: "
				       "containerInsights)",
				       i, json_string_value(n));
			return -EINVAL;
		}
		const char *val = json_string_value(v);
		if (strcmp(val, "enabled") && strcmp(val, "disabled") && strcmp(val, "enhanced")) {
			ecsfs_buf_setf(why,
				       "settings[%zu].value: '%s' must be enabled, disabled or "
				       "enhanced",
				       i, val);
			return -EINVAL;
		}
	}
	return 0;
}

static int check_int_range(json_t *v, const char *field, json_int_t lo, json_int_t hi,
			   ecsfs_buf *why)
{
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
		ecsfs_buf_setf(why, "%s: must be an integer from %lld to %lld", field,
			       (long long)lo, (long long)hi);
		return -EINVAL;
	}
	return 0;
}

static int check_strategy(json_t *strategy, json_t *providers, ecsfs_buf *why)
{
	size_t i;
	json_t *t;
	int nbase = 0;
	if (!json_is_array(strategy)) {
		ecsfs_buf_setf(why, "defaultCapacityProviderStrategy: must be an array");
		return -EINVAL;
	}
	json_array_foreach(strategy, i, t) {
		char field[96];
		json_t *cp = json_object_get(t, "capacityProvider");
		if (!json_is_object(t) || !json_is_string(cp)) {
			ecsfs_buf_setf(
			    why,
			    "defaultCapacityProviderStrategy[%zu].capacityProvider: must "
			    "be a string",
			    i);
			return -EINVAL;
		}
		json_t *w = json_object_get(t, "weight"), *b = json_object_get(t, "base");
		snprintf(field, sizeof(field), "defaultCapacityProviderStrategy[%zu].weight", i);
		if (w && check_int_range(w, field, 0, 1000, why) < 0)
			return -EINVAL;
		snprintf(field, sizeof(field), "defaultCapacityProviderStrategy[%zu].base", i);
		if (b && check_int_range(b, field, 0, 100000, why) < 0)
			return -EINVAL;
		if (b && json_integer_value(b) > 0 && ++nbase > 1) {
			ecsfs_buf_setf(
			    why,
			    "defaultCapacityProviderStrategy[%zu].base: only one provider "
			    "may have a base",
			    i);
			return -EINVAL;
		}
		/* ECS requires the strategy's providers to be associated with the cluster,
		 * except Fargate's own, which every cluster may use. */
		const char *name = json_string_value(cp);
		bool known = !strcmp(name, "FARGATE") || !strcmp(name, "FARGATE_SPOT");
		size_t k;
		json_t *p;
		json_array_foreach(providers, k, p)
			if (json_is_string(p) && !strcmp(json_string_value(p), name))
				known = true;
		if (!known) {
			ecsfs_buf_setf(
			    why,
			    "defaultCapacityProviderStrategy[%zu].capacityProvider: '%s' is "
			    "not in capacityProviders",
			    i, name);
			return -EINVAL;
		}
	}
	return 0;
}

static int check_document(const char *name, const json_t *doc, ecsfs_buf *why)
{
	static const char *const known[] = {
	    "clusterName",
	    "tags",
	    "settings",
	    "configuration",
	    "capacityProviders",
	    "defaultCapacityProviderStrategy",
	    "serviceConnectDefaults",
	};
	const char *key;
	json_t *v;
	json_t *providers = json_object_get(doc, "capacityProviders");

	/* jansson's iteration takes a mutable object but does not change it */
	json_object_foreach((json_t *)doc, key, v) {
		bool ok = false;
		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			ok = ok || !strcmp(key, known[i]);
		if (!ok) {
			ecsfs_buf_setf(why,
				       "%s: unknown field (cluster.json takes clusterName, tags, "
				       "settings, configuration, capacityProviders, "
				       "defaultCapacityProviderStrategy, serviceConnectDefaults)",
				       key);
			return -EINVAL;
		}
	}
	if ((v = json_object_get(doc, "clusterName"))) {
		if (want_string(v, "clusterName", why) < 0)
			return -EINVAL;
		if (strcmp(json_string_value(v), name) != 0) {
			ecsfs_buf_setf(why,
				       "clusterName: '%s' does not match the directory name '%s'",
				       json_string_value(v), name);
			return -EINVAL;
		}
	}
	if ((v = json_object_get(doc, "tags")) && check_tags(v, why) < 0)
		return -EINVAL;
	if ((v = json_object_get(doc, "settings")) && check_settings(v, why) < 0)
		return -EINVAL;
	if ((v = json_object_get(doc, "configuration")) && !json_is_object(v)) {
		ecsfs_buf_setf(why, "configuration: must be an object");
		return -EINVAL;
	}
	if ((v = json_object_get(doc, "serviceConnectDefaults")) &&
	    (!json_is_object(v) || !json_is_string(json_object_get(v, "namespace")))) {
		ecsfs_buf_setf(why, "serviceConnectDefaults: must be {\"namespace\": string}");
		return -EINVAL;
	}
	if (providers) {
		size_t i;
		json_t *p;
		if (!json_is_array(providers)) {
			ecsfs_buf_setf(why, "capacityProviders: must be an array of names");
			return -EINVAL;
		}
		json_array_foreach(providers, i, p) {
			if (!json_is_string(p) || json_string_length(p) == 0) {
				ecsfs_buf_setf(why, "capacityProviders[%zu]: must be a name", i);
				return -EINVAL;
			}
		}
	}
	if ((v = json_object_get(doc, "defaultCapacityProviderStrategy")) &&
	    check_strategy(v, providers, why) < 0)
		return -EINVAL;
	return 0;
}

int ecsfs_cluster_settings_check(const char *name, const char *data, size_t len, bool partial,
				 ecsfs_buf *why)
{
	return ecsfs_json_check_document("cluster.json", name, data, len, ECSFS_CLUSTER_JSON_MAX,
					 partial, check_document, why);
}

int ecsfs_cluster_settings_apply(ecsfs_store *s, const char *name, const char *data, size_t len,
				 const ecsfs_file_meta *meta, ecsfs_buf *why)
{
	ecsfs_buf canon = ECSFS_BUF_INIT, dir = ECSFS_BUF_INIT, old = ECSFS_BUF_INIT;
	ecsfs_file_meta m = *meta;
	json_t *doc = NULL;
	int r;

	if (!ecsfs_store_cluster_exists(s, name)) {
		ecsfs_buf_setf(why, "cluster %s does not exist", name);
		return -ENOENT;
	}
	if ((r = ecsfs_cluster_settings_check(name, data, len, false, why)) < 0)
		return r;
	if ((r = ecsfs_json_parse_object(data, len, &doc, why)) < 0)
		return r;
	json_object_del(doc, "clusterName");
	ecsfs_json_canonical(doc, &canon);
	json_decref(doc);
	ecsfs_cluster_spec_dir(name, &dir);
	m.kind = ECSFS_FILE_SPEC;
	bool had = ecsfs_store_file_get(s, dir.data, "cluster.json", NULL, &old) == 0;
	bool same = had && old.len == len && memcmp(old.data, data, len) == 0;
	if ((r = ecsfs_store_begin(s)) < 0)
		goto fault;
	if ((r = ecsfs_store_file_put(s, dir.data, "cluster.json", &m, data, len)) < 0 ||
	    (r = ecsfs_store_cluster_set_settings(s, name, canon.data)) < 0 ||
	    (!same && (r = ecsfs_cluster_event(s, name, "(cluster %s) settings were %s.", name,
					       had ? "updated" : "applied")) < 0)) {
		ecsfs_store_rollback(s);
		goto fault;
	}
	if ((r = ecsfs_store_commit(s)) < 0)
		goto fault;
	r = 0;
	goto out;
fault:
	ecsfs_buf_setf(why, "cannot store cluster.json of %s: %s", name, ecsfs_store_last_error(s));
out:
	ecsfs_buf_release(&canon);
	ecsfs_buf_release(&dir);
	ecsfs_buf_release(&old);
	return r;
}

int ecsfs_cluster_settings_clear(ecsfs_store *s, const char *name, ecsfs_buf *why)
{
	ecsfs_buf dir = ECSFS_BUF_INIT;
	int r;

	ecsfs_cluster_spec_dir(name, &dir);
	if ((r = ecsfs_store_begin(s)) < 0)
		goto fault;
	/* the file may be gone already (a removal that waited out its grace) */
	r = ecsfs_store_file_delete(s, dir.data, "cluster.json");
	if (r < 0 && r != -ENOENT) {
		ecsfs_store_rollback(s);
		goto fault;
	}
	r = ecsfs_store_cluster_set_settings(s, name, NULL);
	if (r == -ENOENT) {
		ecsfs_store_rollback(s);
		ecsfs_buf_setf(why, "cluster %s does not exist", name);
		goto out;
	}
	if (r < 0 || (r = ecsfs_cluster_event(
			  s, name, "(cluster %s) settings were reset to defaults.", name)) < 0) {
		ecsfs_store_rollback(s);
		goto fault;
	}
	if ((r = ecsfs_store_commit(s)) == 0)
		goto out;
fault:
	ecsfs_buf_setf(why, "cannot reset cluster %s: %s", name, ecsfs_store_last_error(s));
out:
	ecsfs_buf_release(&dir);
	return r;
}

/* ---- describe and status ---- */

static json_t *settings_doc(const ecsfs_cluster_row *row)
{
	json_t *doc = NULL;
	if (row->settings.len)
		doc = json_loadb(row->settings.data, row->settings.len, 0, NULL);
	return doc ? doc : json_object();
}

static json_t *array_or_empty(json_t *doc, const char *key)
{
	json_t *v = json_object_get(doc, key);
	return v ? json_incref(v) : json_array();
}

int ecsfs_cluster_describe(ecsfs_store *s, const char *name, const ecsfs_runtime_info *rt,
			   const ecsfs_cluster_counts *n, ecsfs_buf *out)
{
	static const ecsfs_cluster_counts none;
	ecsfs_cluster_row row;
	json_t *doc, *j, *settings;
	int r;

	ecsfs_cluster_row_init(&row);
	if ((r = ecsfs_store_cluster_get(s, name, &row)) < 0)
		goto out;
	doc = settings_doc(&row);
	j = json_object();
	json_object_set_new(
	    j, "clusterArn",
	    json_sprintf("arn:aws:ecs:%s:%s:cluster/%s", ECSFS_REGION, ECSFS_ACCOUNT, name));
	json_object_set_new(j, "clusterName", json_string(name));
	json_object_set_new(j, "status", json_string("ACTIVE"));
	json_object_set_new(j, "registeredContainerInstancesCount",
			    json_integer(rt && rt->reachable ? 1 : 0));
	if (!n)
		n = &none;
	json_object_set_new(j, "runningTasksCount", json_integer(n->running));
	json_object_set_new(j, "pendingTasksCount", json_integer(n->pending));
	json_object_set_new(j, "activeServicesCount", json_integer(n->services));
	json_object_set_new(j, "statistics", json_array());
	json_object_set_new(j, "tags", array_or_empty(doc, "tags"));
	settings = json_object_get(doc, "settings");
	if (settings)
		json_object_set(j, "settings", settings);
	else
		json_object_set_new(
		    j, "settings",
		    json_pack("[{s:s, s:s}]", "name", "containerInsights", "value", "disabled"));
	json_object_set_new(j, "capacityProviders", array_or_empty(doc, "capacityProviders"));
	json_object_set_new(j, "defaultCapacityProviderStrategy",
			    array_or_empty(doc, "defaultCapacityProviderStrategy"));
	if ((settings = json_object_get(doc, "configuration")))
		json_object_set(j, "configuration", settings);
	if ((settings = json_object_get(doc, "serviceConnectDefaults")))
		json_object_set(j, "serviceConnectDefaults", settings);
	json_object_set_new(j, "attachments", json_array());
	json_object_set_new(j, "attachmentsStatus", json_string("UPDATE_COMPLETE"));
	ecsfs_json_pretty(j, out);
	json_decref(j);
	json_decref(doc);
out:
	ecsfs_cluster_row_release(&row);
	return r;
}

int ecsfs_cluster_status(ecsfs_store *s, const char *name, const ecsfs_runtime_info *rt,
			 const ecsfs_cluster_counts *n, ecsfs_buf *out)
{
	static const ecsfs_cluster_counts none;
	ecsfs_cluster_row row;
	char created[32];
	int r;

	ecsfs_cluster_row_init(&row);
	if ((r = ecsfs_store_cluster_get(s, name, &row)) < 0)
		goto out;
	ecsfs_time_iso(row.created_ns, created);
	ecsfs_buf_addf(out, "name: %s\n", name);
	ecsfs_buf_addf(out, "arn: arn:aws:ecs:%s:%s:cluster/%s\n", ECSFS_REGION, ECSFS_ACCOUNT,
		       name);
	ecsfs_buf_addf(out, "status: ACTIVE\n");
	ecsfs_buf_addf(out, "created: %s\n", created);
	ecsfs_buf_addf(out, "settings: %s\n", row.settings.len ? "cluster.json" : "defaults");
	if (!n)
		n = &none;
	ecsfs_buf_addf(out,
		       "services: %u\nrunning_tasks: %u\npending_tasks: %u\nstopped_tasks: %u\n",
		       n->services, n->running, n->pending, n->stopped);
	if (!rt) {
		ecsfs_buf_addf(out, "runtime: none\n");
	} else if (rt->reachable) {
		ecsfs_buf_addf(out, "runtime: %s reachable\n", rt->name);
		ecsfs_buf_addf(out, "runtime_endpoint: %s\n", rt->endpoint);
		ecsfs_buf_addf(out, "runtime_version: %s\n", rt->version);
		ecsfs_buf_addf(out, "runtime_api_version: %s\n", rt->api_version);
	} else {
		ecsfs_buf_addf(out, "runtime: %s unreachable\n", rt->name);
		ecsfs_buf_addf(out, "runtime_endpoint: %s\n", rt->endpoint);
		ecsfs_buf_addf(out, "runtime_detail: %s\n", rt->detail[0] ? rt->detail : "-");
	}
	if (rt && rt->since) {
		char since[32];
		ecsfs_time_iso(rt->since * 1000000000, since);
		ecsfs_buf_addf(out, "runtime_since: %s\n", since);
	}
out:
	ecsfs_cluster_row_release(&row);
	return r;
}
