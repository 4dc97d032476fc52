/*
 * Schedules: create, update, delete, list, describe (GetSchedule's shape);
 * the row in effect and the spec file change in one transaction, then the
 * engine (core/control/schedule.c) is told.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/arn.h"
#include "ecsfs/cluster.h"
#include "ecsfs/util.h"
#include "model/schedule_private.h"

void ecsfs_schedule_spec_dir(const char *cluster, ecsfs_buf *out)
{
	ecsfs_buf_addf(out, "/spec/clusters/%s/schedules", cluster);
}

static int check_room(ecsfs_store *s, const char *cluster, const char *name, ecsfs_err *err)
{
	uint64_t n = 0;

	if (ecsfs_store_schedule_get(s, cluster, name, NULL) == 0)
		return 0;
	if (ecsfs_store_schedule_count(s, &n) == 0 && n >= ECSFS_SCHEDULES_MAX)
		return ecsfs_err_set(err, ECSFS_E_LIMIT_EXCEEDED, -ENOSPC,
				     "there are %d schedules, the limit", ECSFS_SCHEDULES_MAX);
	return 0;
}

/* the store's fault `r`: a full disk (-ENOSPC) is a clean answer, not EIO */
static int store_fault(ecsfs_store *s, int r, const char *what, ecsfs_err *err)
{
	return ecsfs_err_set(err, ECSFS_E_SERVER, r == -ENOSPC ? -ENOSPC : -EIO,
			     "cannot %s the schedule: %s", what, ecsfs_store_last_error(s));
}

/* The document as kept: without what names it or answers for it. */
static void canonical(const json_t *doc, ecsfs_buf *out)
{
	static const char *const dropped[] = {"Name", "ClientToken", "Arn", "CreationDate",
					      "LastModificationDate"};
	json_t *copy = json_deep_copy(doc);

	for (size_t i = 0; i < sizeof(dropped) / sizeof(dropped[0]); i++)
		json_object_del(copy, dropped[i]);
	ecsfs_json_canonical(copy, out);
	json_decref(copy);
}

static int put_file(ecsfs_store *s, const char *cluster, const char *name, const json_t *doc,
		    const ecsfs_spec_bytes *file)
{
	ecsfs_buf dir = ECSFS_BUF_INIT;
	int r;

	ecsfs_schedule_spec_dir(cluster, &dir);
	r = ecsfs_spec_file_put(s, dir.data, name, doc, file);
	ecsfs_buf_release(&dir);
	return r;
}

/* The row for `doc`: a new one, the old one untouched (same document), or
 * the old one with the new document and the cursor at now, so a change
 * never brings back fires of the past. */
static bool next_row(ecsfs_schedules *sc, const char *cluster, const char *name, const char *canon,
		     ecsfs_schedule_row *row, bool *created)
{
	int64_t now = ecsfs__sched_now(sc);

	*created = ecsfs_store_schedule_get(sc->store, cluster, name, row) < 0;
	if (!*created && !strcmp(row->doc.data, canon))
		return false;
	if (*created)
		row->created_ns = now * 1000000;
	row->updated_ns = now * 1000000;
	if (*created || row->cursor_ms < now)
		row->cursor_ms = now;
	ecsfs_buf_setf(&row->doc, "%s", canon);
	return true;
}

int ecsfs_schedule_put(ecsfs_schedules *sc, const char *cluster, const char *name,
		       const json_t *doc, const ecsfs_spec_bytes *file, ecsfs_err *err)
{
	ecsfs_schedule_row row = {.doc = ECSFS_BUF_INIT};
	ecsfs_buf canon = ECSFS_BUF_INIT;
	bool created, changed;
	int r;

	if ((r = ecsfs_cluster_check(sc->store, cluster, err)) < 0 ||
	    (r = ecsfs_schedule_check(cluster, name, doc, err)) < 0 ||
	    (r = check_room(sc->store, cluster, name, err)) < 0)
		return r;
	canonical(doc, &canon);
	changed = next_row(sc, cluster, name, canon.data, &row, &created);
	if ((r = ecsfs_store_begin(sc->store)) == 0) {
		if ((changed &&
		     (r = ecsfs_store_schedule_put(sc->store, cluster, name, &row)) < 0) ||
		    (r = put_file(sc->store, cluster, name, doc, file)) < 0)
			ecsfs_store_rollback(sc->store);
		else
			r = ecsfs_store_commit(sc->store);
	}
	ecsfs_buf_release(&canon);
	ecsfs_buf_release(&row.doc);
	if (r < 0)
		return store_fault(sc->store, r, "store", err);
	if (created)
		ecsfs_cluster_event(sc->store, cluster, "(schedule %s) was created.", name);
	else if (changed)
		ecsfs_cluster_event(sc->store, cluster, "(schedule %s) was updated.", name);
	if (changed)
		ecsfs__sched_load(sc, cluster, name);
	ecsfs__sched_changed(sc, cluster, name);
	return 0;
}

int ecsfs_schedule_delete(ecsfs_schedules *sc, const char *cluster, const char *name,
			  ecsfs_err *err)
{
	ecsfs_buf dir = ECSFS_BUF_INIT, fname = ECSFS_BUF_INIT;
	int r;

	if (ecsfs_store_schedule_get(sc->store, cluster, name, NULL) < 0)
		return ecsfs_err_set(err, ECSFS_E_RESOURCE_NOT_FOUND, -ENOENT,
				     "no schedule %s in cluster %s", name, cluster);
	ecsfs_schedule_spec_dir(cluster, &dir);
	ecsfs_buf_addf(&fname, "%s.json", name);
	if ((r = ecsfs_store_begin(sc->store)) == 0) {
		if ((r = ecsfs_store_schedule_delete(sc->store, cluster, name)) < 0 ||
		    ((r = ecsfs_store_file_delete(sc->store, dir.data, fname.data)) < 0 &&
		     r != -ENOENT))
			ecsfs_store_rollback(sc->store);
		else
			r = ecsfs_store_commit(sc->store);
	}
	ecsfs_buf_release(&dir);
	ecsfs_buf_release(&fname);
	if (r < 0)
		return store_fault(sc->store, r, "delete", err);
	ecsfs_cluster_event(sc->store, cluster, "(schedule %s) was deleted.", name);
	ecsfs__sched_forget(sc, cluster, name);
	ecsfs__sched_changed(sc, cluster, name);
	return 0;
}

int ecsfs_schedule_exists(ecsfs_schedules *sc, const char *cluster, const char *name)
{
	return ecsfs__sched_find(sc, cluster, name) ? 0 : -ENOENT;
}

int ecsfs_schedule_list(ecsfs_schedules *sc, const char *cluster, ecsfs_store_name_cb cb,
			void *data)
{
	return ecsfs_store_schedule_list(sc->store, cluster, cb, data);
}

static void set_default(json_t *o, const char *key, json_t *v)
{
	if (!json_object_get(o, key))
		json_object_set(o, key, v);
	json_decref(v);
}

/* A date of the document as GetSchedule gives it: an ISO time. */
static void date_iso(json_t *o, const char *key)
{
	int64_t ms;

	if (ecsfs__sched_date(json_object_get(o, key), &ms) == 0)
		ecsfs_json_set_time(o, key, ms * 1000000);
}

int ecsfs_schedule_describe(ecsfs_schedules *sc, const char *cluster, const char *name,
			    json_t **out)
{
	ecsfs_schedule_row row = {.doc = ECSFS_BUF_INIT};
	json_t *o, *target;
	int r = ecsfs_store_schedule_get(sc->store, cluster, name, &row);

	if (r < 0 || !(o = json_loads(row.doc.data, 0, NULL))) {
		ecsfs_buf_release(&row.doc);
		return r < 0 ? r : -EIO;
	}
	set_default(o, "GroupName", json_string("default"));
	json_object_set_new(o, "Name", json_string(name));
	json_object_set_new(o, "Arn",
			    ecsfs_arn_json("scheduler", "schedule/%s/%s",
					   json_string_value(json_object_get(o, "GroupName")),
					   name));
	set_default(o, "State", json_string("ENABLED"));
	set_default(o, "ScheduleExpressionTimezone", json_string("UTC"));
	set_default(o, "FlexibleTimeWindow", json_pack("{s:s}", "Mode", "OFF"));
	set_default(o, "ActionAfterCompletion", json_string("NONE"));
	date_iso(o, "StartDate");
	date_iso(o, "EndDate");
	ecsfs_json_set_time(o, "CreationDate", row.created_ns);
	ecsfs_json_set_time(o, "LastModificationDate", row.updated_ns);
	target = json_object_get(o, "Target");
	set_default(target, "Arn", ecsfs_arn_json("ecs", "cluster/%s", cluster));
	ecsfs_buf_release(&row.doc);
	*out = o;
	return 0;
}
