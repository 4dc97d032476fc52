/* The store: the rows of each kind of object. */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/store.h"
#include "ecsfs/util.h"
#include "store/store_private.h"

/* ---- clusters ---- */

void ecsfs_cluster_row_init(ecsfs_cluster_row *row)
{
	memset(row, 0, sizeof(*row));
	ecsfs_buf_init(&row->settings);
}

void ecsfs_cluster_row_release(ecsfs_cluster_row *row)
{
	ecsfs_buf_release(&row->settings);
}

int ecsfs_store_cluster_insert(ecsfs_store *s, const char *name, int64_t created_ns)
{
	sqlite3_stmt *st =
	    ecsfs__sql_stmt(s, "INSERT INTO clusters (name, created_ns) VALUES (?1, ?2)");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, created_ns);
	return ecsfs__sql_done(s, st, "cluster_insert");
}

static void cluster_from_row(sqlite3_stmt *st, void *out)
{
	ecsfs_cluster_row *row = out;

	snprintf(row->name, sizeof(row->name), "%s", sqlite3_column_text(st, 0));
	row->created_ns = sqlite3_column_int64(st, 1);
	ecsfs_buf_reset(&row->settings);
	if (sqlite3_column_type(st, 2) != SQLITE_NULL)
		ecsfs_buf_adds(&row->settings, (const char *)sqlite3_column_text(st, 2));
}

int ecsfs_store_cluster_get(ecsfs_store *s, const char *name, ecsfs_cluster_row *row)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(s, "SELECT name, created_ns, settings FROM clusters "
					      "WHERE name = ?1");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	return ecsfs__sql_row(s, st, "cluster_get", cluster_from_row, row);
}

bool ecsfs_store_cluster_exists(ecsfs_store *s, const char *name)
{
	return ecsfs_store_cluster_get(s, name, NULL) == 0;
}

int ecsfs_store_cluster_set_settings(ecsfs_store *s, const char *name, const char *canonical)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(s, "UPDATE clusters SET settings = ?2 WHERE name = ?1");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (canonical)
		sqlite3_bind_text(st, 2, canonical, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 2);
	return ecsfs__sql_changed(s, st, "cluster_set_settings");
}

int ecsfs_store_cluster_delete(ecsfs_store *s, const char *name)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(s, "DELETE FROM clusters WHERE name = ?1");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	return ecsfs__sql_changed(s, st, "cluster_delete");
}

int ecsfs_store_cluster_set_deleting(ecsfs_store *s, const char *name, bool on)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(s, "UPDATE clusters SET deleting = ?2 WHERE name = ?1");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, on);
	return ecsfs__sql_changed(s, st, "cluster_set_deleting");
}

bool ecsfs_store_cluster_deleting(ecsfs_store *s, const char *name)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(s, "SELECT deleting FROM clusters WHERE name = ?1");
	bool on = false;
	if (!st)
		return false;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		on = sqlite3_column_int(st, 0) != 0;
	sqlite3_reset(st);
	return on;
}

int ecsfs_store_cluster_list(ecsfs_store *s, ecsfs_store_name_cb cb, void *data)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(s, "SELECT name FROM clusters ORDER BY name");
	if (!st)
		return -EIO;
	return ecsfs__sql_names(s, st, cb, data);
}

int ecsfs_store_cluster_list_deleting(ecsfs_store *s, ecsfs_store_name_cb cb, void *data)
{
	sqlite3_stmt *st =
	    ecsfs__sql_stmt(s, "SELECT name FROM clusters WHERE deleting != 0 ORDER BY name");
	if (!st)
		return -EIO;
	return ecsfs__sql_names(s, st, cb, data);
}

/* ---- task definitions ---- */

void ecsfs_taskdef_row_init(ecsfs_taskdef_row *row)
{
	memset(row, 0, sizeof(*row));
	ecsfs_buf_init(&row->canonical);
	ecsfs_buf_init(&row->source);
}

void ecsfs_taskdef_row_release(ecsfs_taskdef_row *row)
{
	ecsfs_buf_release(&row->canonical);
	ecsfs_buf_release(&row->source);
}

int ecsfs_store_taskdef_last_revision(ecsfs_store *s, const char *family, int64_t *rev)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(s, "SELECT last_revision FROM families WHERE name = ?1");
	int r;
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, family, -1, SQLITE_STATIC);
	*rev = 0;
	r = ecsfs__sql_row(s, st, "taskdef_last_revision", ecsfs__sql_read_int64, rev);
	return r == -ENOENT ? 0 : r;
}

void ecsfs_store_watch_taskdefs(ecsfs_store *s, ecsfs_store_watch_cb cb, void *data)
{
	s->taskdefs_watch = cb;
	s->taskdefs_watch_data = data;
}

static void taskdefs_changed(ecsfs_store *s, const char *family)
{
	if (s->taskdefs_watch)
		s->taskdefs_watch(s->taskdefs_watch_data, family);
}

int ecsfs_store_taskdef_insert(ecsfs_store *s, const char *family, int64_t rev,
			       int64_t registered_ns, const char *canonical, const void *source,
			       size_t len)
{
	sqlite3_stmt *st;
	int r;

	if ((r = ecsfs_store_begin(s)) < 0)
		return r;
	st = ecsfs__sql_stmt(
	    s, "INSERT INTO taskdefs (family, revision, active, registered_ns, canonical, "
	       "source) VALUES (?1, ?2, 1, ?3, ?4, ?5)");
	if (!st) {
		r = -EIO;
		goto fail;
	}
	sqlite3_bind_text(st, 1, family, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, rev);
	sqlite3_bind_int64(st, 3, registered_ns);
	sqlite3_bind_text(st, 4, canonical, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, len ? source : "", (int)len, SQLITE_STATIC);
	if ((r = ecsfs__sql_done(s, st, "taskdef_insert")) < 0)
		goto fail;
	st = ecsfs__sql_stmt(
	    s, "INSERT INTO families (name, last_revision, active_count) VALUES (?1, ?2, 1) "
	       "ON CONFLICT (name) DO UPDATE SET last_revision = ?2, "
	       "active_count = active_count + 1");
	if (!st) {
		r = -EIO;
		goto fail;
	}
	sqlite3_bind_text(st, 1, family, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, rev);
	if ((r = ecsfs__sql_done(s, st, "taskdef_insert")) < 0)
		goto fail;
	if ((r = ecsfs_store_commit(s)) == 0)
		taskdefs_changed(s, family);
	return r;
fail:
	ecsfs_store_rollback(s);
	return r;
}

static void taskdef_from_row(sqlite3_stmt *st, void *out)
{
	ecsfs_taskdef_row *row = out;

	row->revision = sqlite3_column_int64(st, 0);
	row->active = sqlite3_column_int(st, 1) != 0;
	row->registered_ns = sqlite3_column_int64(st, 2);
	row->deregistered_ns = sqlite3_column_int64(st, 3);
	ecsfs_buf_reset(&row->canonical);
	ecsfs_buf_adds(&row->canonical, (const char *)sqlite3_column_text(st, 4));
	ecsfs_buf_reset(&row->source);
	ecsfs_buf_add(&row->source, sqlite3_column_blob(st, 5),
		      (size_t)sqlite3_column_bytes(st, 5));
}

int ecsfs_store_taskdef_get(ecsfs_store *s, const char *family, int64_t rev, ecsfs_taskdef_row *row)
{
	/* rev 0: the newest ACTIVE revision */
	sqlite3_stmt *st =
	    rev ? ecsfs__sql_stmt(
		      s, "SELECT revision, active, registered_ns, deregistered_ns, canonical, "
			 "source FROM taskdefs WHERE family = ?1 AND revision = ?2")
		: ecsfs__sql_stmt(
		      s, "SELECT revision, active, registered_ns, deregistered_ns, canonical, "
			 "source FROM taskdefs WHERE active = 1 AND family = ?1 "
			 "ORDER BY revision DESC LIMIT 1");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, family, -1, SQLITE_STATIC);
	if (rev)
		sqlite3_bind_int64(st, 2, rev);
	return ecsfs__sql_row(s, st, "taskdef_get", taskdef_from_row, row);
}

int ecsfs_store_taskdef_deactivate(ecsfs_store *s, const char *family, int64_t rev, int64_t now)
{
	/* rev 0: every ACTIVE revision of the family */
	sqlite3_stmt *st =
	    ecsfs__sql_stmt(s, "UPDATE taskdefs SET active = 0, deregistered_ns = ?3 "
			       "WHERE family = ?1 AND active = 1 AND (?2 = 0 OR revision = ?2)");
	int r;
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, family, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, rev);
	sqlite3_bind_int64(st, 3, now);
	if ((r = ecsfs__sql_done(s, st, "taskdef_deactivate")) < 0)
		return r;
	int changed = sqlite3_changes(s->db);
	if (!changed)
		return -ENOENT;
	/* keep the count that makes listing families independent of revisions */
	st = ecsfs__sql_stmt(
	    s, "UPDATE families SET active_count = max(active_count - ?2, 0) WHERE name = ?1");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, family, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, changed);
	if ((r = ecsfs__sql_done(s, st, "taskdef_deactivate")) == 0)
		taskdefs_changed(s, family);
	return r;
}

int ecsfs_store_taskdef_families(ecsfs_store *s, ecsfs_store_name_cb cb, void *data)
{
	/* list-task-definition-families: those with an ACTIVE revision */
	sqlite3_stmt *st =
	    ecsfs__sql_stmt(s, "SELECT name FROM families WHERE active_count > 0 ORDER BY name");
	if (!st)
		return -EIO;
	return ecsfs__sql_names(s, st, cb, data);
}

int ecsfs_store_taskdef_revisions(ecsfs_store *s, const char *family, ecsfs_store_rev_cb cb,
				  void *data)
{
	sqlite3_stmt *st =
	    ecsfs__sql_stmt(s, "SELECT revision FROM taskdefs WHERE active = 1 AND family = ?1 "
			       "ORDER BY revision");
	int64_t *revs = NULL;
	size_t n = 0, alloc = 0;
	int rc, r = 0;
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, family, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 64;
			revs = realloc(revs, alloc * sizeof(*revs));
			if (!revs)
				abort();
		}
		revs[n++] = sqlite3_column_int64(st, 0);
	}
	if (rc != SQLITE_DONE)
		r = ecsfs__sql_fault(s, rc, "taskdef_revisions");
	sqlite3_reset(st);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = cb(data, revs[i]);
	free(revs);
	return r < 0 ? r : 0;
}

int ecsfs_store_taskdef_count_families(ecsfs_store *s, uint64_t *n)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(s, "SELECT count(*) FROM families");
	if (!st)
		return -EIO;
	*n = 0;
	return ecsfs__sql_one(s, st, "taskdef_count_families", ecsfs__sql_read_count, n);
}

/* ---- tasks ---- */

int ecsfs_store_task_put(ecsfs_store *s, const char *id, const char *cluster, int64_t created_ns,
			 int64_t stopped_ns, const char *state)
{
	sqlite3_stmt *st =
	    ecsfs__sql_stmt(s, "INSERT OR REPLACE INTO tasks (id, cluster, created_ns, "
			       "stopped_ns, state) VALUES (?1, ?2, ?3, ?4, ?5)");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, cluster, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, created_ns);
	sqlite3_bind_int64(st, 4, stopped_ns);
	sqlite3_bind_text(st, 5, state, -1, SQLITE_STATIC);
	return ecsfs__sql_done(s, st, "task_put");
}

int ecsfs_store_task_delete(ecsfs_store *s, const char *id)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(s, "DELETE FROM tasks WHERE id = ?1");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	return ecsfs__sql_changed(s, st, "task_delete");
}

int ecsfs_store_task_load(ecsfs_store *s, ecsfs_store_task_cb cb, void *data)
{
	sqlite3_stmt *st =
	    ecsfs__sql_stmt(s, "SELECT id, cluster, state FROM tasks ORDER BY created_ns, id");
	int rc, r = 0;
	if (!st)
		return -EIO;
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
		r = cb(data, (const char *)sqlite3_column_text(st, 0),
		       (const char *)sqlite3_column_text(st, 1),
		       (const char *)sqlite3_column_text(st, 2));
	if (r == 0 && rc != SQLITE_DONE)
		r = ecsfs__sql_fault(s, rc, "task_load");
	sqlite3_reset(st);
	return r < 0 ? r : 0;
}

int ecsfs_store_task_count(ecsfs_store *s, const char *cluster, bool running, uint64_t *n)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(s, "SELECT count(*) FROM tasks WHERE cluster = ?1 AND "
					      "(?2 = 0 OR stopped_ns = 0)");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, cluster, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, running);
	return ecsfs__sql_one(s, st, "task_count", ecsfs__sql_read_count, n);
}

int ecsfs_store_task_delete_cluster(ecsfs_store *s, const char *cluster)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(s, "DELETE FROM tasks WHERE cluster = ?1");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, cluster, -1, SQLITE_STATIC);
	return ecsfs__sql_done(s, st, "task_delete_cluster");
}

/* ---- services ---- */

int ecsfs_store_service_put(ecsfs_store *s, const char *cluster, const char *name,
			    const char *state)
{
	/* the triggers of migration 15 keep its `names` */
	sqlite3_stmt *st = ecsfs__sql_stmt(
	    s, "INSERT OR REPLACE INTO services (cluster, name, state) VALUES (?1, ?2, ?3)");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, cluster, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, state, -1, SQLITE_STATIC);
	return ecsfs__sql_done(s, st, "service_put");
}

static void service_state_from_row(sqlite3_stmt *st, void *out)
{
	ecsfs_buf_add(out, sqlite3_column_text(st, 0), (size_t)sqlite3_column_bytes(st, 0));
}

int ecsfs_store_service_get(ecsfs_store *s, const char *cluster, const char *name, ecsfs_buf *state)
{
	sqlite3_stmt *st =
	    ecsfs__sql_stmt(s, "SELECT state FROM services WHERE cluster = ?1 AND name = ?2");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, cluster, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	return ecsfs__sql_row(s, st, "service_get", service_state_from_row, state);
}

int ecsfs_store_service_delete(ecsfs_store *s, const char *cluster, const char *name)
{
	sqlite3_stmt *st =
	    ecsfs__sql_stmt(s, "DELETE FROM services WHERE cluster = ?1 AND name = ?2");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, cluster, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	return ecsfs__sql_changed(s, st, "service_delete");
}

int ecsfs_store_service_list(ecsfs_store *s, const char *cluster, ecsfs_store_name_cb cb,
			     void *data)
{
	sqlite3_stmt *st =
	    ecsfs__sql_stmt(s, "SELECT name FROM services WHERE cluster = ?1 ORDER BY name");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, cluster, -1, SQLITE_STATIC);
	return ecsfs__sql_names(s, st, cb, data);
}

int ecsfs_store_service_list_all(ecsfs_store *s, ecsfs_store_name_cb cb, void *data)
{
	/* "cluster/name": neither may hold a '/' */
	sqlite3_stmt *st = ecsfs__sql_stmt(
	    s, "SELECT cluster || '/' || name FROM services ORDER BY cluster, name");
	if (!st)
		return -EIO;
	return ecsfs__sql_names(s, st, cb, data);
}

int ecsfs_store_service_list_naming(ecsfs_store *s, const char *family, ecsfs_store_name_cb cb,
				    void *data)
{
	/* family names are [A-Za-z0-9_-]: JSON text holds them unescaped */
	sqlite3_stmt *st = ecsfs__sql_stmt(s, "SELECT cluster || '/' || name FROM services "
					      "WHERE instr(names, ?1) > 0 ORDER BY cluster, name");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, family, -1, SQLITE_STATIC);
	return ecsfs__sql_names(s, st, cb, data);
}

int ecsfs_store_service_count(ecsfs_store *s, const char *cluster, uint64_t *n)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(s, "SELECT count(*) FROM services WHERE cluster = ?1");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, cluster, -1, SQLITE_STATIC);
	return ecsfs__sql_one(s, st, "service_count", ecsfs__sql_read_count, n);
}

/* ---- secrets ---- */

int ecsfs_store_secret_put(ecsfs_store *s, const char *name, const void *value, size_t len)
{
	sqlite3_stmt *st =
	    ecsfs__sql_stmt(s, "INSERT OR REPLACE INTO secrets (name, value, updated_ns) "
			       "VALUES (?1, ?2, ?3)");
	if (!st)
		return -EIO;
	if (len > ECSFS_SECRET_MAX)
		return -EFBIG;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, len ? value : "", (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, ecsfs_now_ns());
	return ecsfs__sql_done(s, st, "secret_put");
}

struct secret_out {
	ecsfs_buf *value;
	int64_t *updated_ns;
};

static void secret_from_row(sqlite3_stmt *st, void *out)
{
	struct secret_out *o = out;

	if (o->value) {
		ecsfs_buf_reset(o->value);
		ecsfs_buf_add(o->value, sqlite3_column_blob(st, 0),
			      (size_t)sqlite3_column_bytes(st, 0));
	}
	if (o->updated_ns)
		*o->updated_ns = sqlite3_column_int64(st, 1);
}

int ecsfs_store_secret_get(ecsfs_store *s, const char *name, ecsfs_buf *value, int64_t *updated_ns)
{
	sqlite3_stmt *st =
	    ecsfs__sql_stmt(s, "SELECT value, updated_ns FROM secrets WHERE name = ?1");
	struct secret_out o = {value, updated_ns};
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	return ecsfs__sql_row(s, st, "secret_get", secret_from_row, &o);
}

int ecsfs_store_secret_delete(ecsfs_store *s, const char *name)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(s, "DELETE FROM secrets WHERE name = ?1");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	return ecsfs__sql_changed(s, st, "secret_delete");
}

int ecsfs_store_secret_list(ecsfs_store *s, ecsfs_store_name_cb cb, void *data)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(s, "SELECT name FROM secrets ORDER BY name");
	if (!st)
		return -EIO;
	return ecsfs__sql_names(s, st, cb, data);
}

/* ---- ELBv2 documents ---- */

int ecsfs_store_elb_put(ecsfs_store *s, const char *kind, const char *name, int64_t created_ns,
			const char *doc)
{
	sqlite3_stmt *st =
	    ecsfs__sql_stmt(s, "INSERT OR REPLACE INTO elb (kind, name, created_ns, doc) "
			       "VALUES (?1, ?2, ?3, ?4)");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, created_ns);
	sqlite3_bind_text(st, 4, doc, -1, SQLITE_STATIC);
	return ecsfs__sql_done(s, st, "elb_put");
}

struct elb_out {
	int64_t *created_ns;
	ecsfs_buf *doc;
};

static void elb_from_row(sqlite3_stmt *st, void *out)
{
	struct elb_out *o = out;

	if (o->created_ns)
		*o->created_ns = sqlite3_column_int64(st, 0);
	if (o->doc)
		ecsfs_buf_add(o->doc, sqlite3_column_text(st, 1),
			      (size_t)sqlite3_column_bytes(st, 1));
}

int ecsfs_store_elb_get(ecsfs_store *s, const char *kind, const char *name, int64_t *created_ns,
			ecsfs_buf *doc)
{
	sqlite3_stmt *st =
	    ecsfs__sql_stmt(s, "SELECT created_ns, doc FROM elb WHERE kind = ?1 AND name = ?2");
	struct elb_out o = {created_ns, doc};
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	return ecsfs__sql_row(s, st, "elb_get", elb_from_row, &o);
}

int ecsfs_store_elb_delete(ecsfs_store *s, const char *kind, const char *name)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(s, "DELETE FROM elb WHERE kind = ?1 AND name = ?2");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	return ecsfs__sql_changed(s, st, "elb_delete");
}

int ecsfs_store_elb_list(ecsfs_store *s, const char *kind, ecsfs_store_name_cb cb, void *data)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(s, "SELECT name FROM elb WHERE kind = ?1 ORDER BY name");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	return ecsfs__sql_names(s, st, cb, data);
}
