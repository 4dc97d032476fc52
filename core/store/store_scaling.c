/* Scalable targets and the autoscaler's activities (core/model/scaling.c
 * and core/control/autoscale.c own what the rows mean). */
#include <errno.h>
#include <string.h>

#include "store/store_private.h"

static void bind_key(sqlite3_stmt *st, const char *cluster, const char *service)
{
	sqlite3_bind_text(st, 1, cluster, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, service, -1, SQLITE_STATIC);
}

int ecsfs_store_scaling_put(ecsfs_store *s, const char *cluster, const char *service,
			    int64_t created_ns, const char *doc)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(s, "INSERT OR REPLACE INTO scaling_targets "
					      "(cluster, service, created_ns, doc) "
					      "VALUES (?1, ?2, ?3, ?4)");

	if (!st)
		return -EIO;
	bind_key(st, cluster, service);
	sqlite3_bind_int64(st, 3, created_ns);
	sqlite3_bind_text(st, 4, doc, -1, SQLITE_STATIC);
	return ecsfs__sql_done(s, st, "scaling_put");
}

struct target_out {
	int64_t *created_ns;
	ecsfs_buf *doc;
};

static void read_target(sqlite3_stmt *st, void *out)
{
	struct target_out *o = out;

	if (o->created_ns)
		*o->created_ns = sqlite3_column_int64(st, 0);
	if (o->doc) {
		ecsfs_buf_reset(o->doc);
		ecsfs_buf_add(o->doc, sqlite3_column_text(st, 1),
			      (size_t)sqlite3_column_bytes(st, 1));
	}
}

int ecsfs_store_scaling_get(ecsfs_store *s, const char *cluster, const char *service,
			    int64_t *created_ns, ecsfs_buf *doc)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(s, "SELECT created_ns, doc FROM scaling_targets "
					      "WHERE cluster = ?1 AND service = ?2");
	struct target_out o = {created_ns, doc};

	if (!st)
		return -EIO;
	bind_key(st, cluster, service);
	return ecsfs__sql_row(s, st, "scaling_get", read_target, &o);
}

static int delete_in(ecsfs_store *s, const char *sql, const char *cluster, const char *service,
		     bool changed)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(s, sql);

	if (!st)
		return -EIO;
	bind_key(st, cluster, service);
	return changed ? ecsfs__sql_changed(s, st, "scaling_delete")
		       : ecsfs__sql_done(s, st, "scaling_delete");
}

int ecsfs_store_scaling_delete(ecsfs_store *s, const char *cluster, const char *service)
{
	int r;

	if ((r = ecsfs_store_begin(s)) < 0)
		return r;
	if ((r = delete_in(s, "DELETE FROM scaling_activities WHERE cluster = ?1 AND service = ?2",
			   cluster, service, false)) < 0 ||
	    (r = delete_in(s, "DELETE FROM scaling_targets WHERE cluster = ?1 AND service = ?2",
			   cluster, service, true)) < 0) {
		ecsfs_store_rollback(s);
		return r;
	}
	return ecsfs_store_commit(s);
}

int ecsfs_store_scaling_list(ecsfs_store *s, const char *cluster, ecsfs_store_name_cb cb,
			     void *data)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(
	    s, "SELECT service FROM scaling_targets WHERE cluster = ?1 ORDER BY service");

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, cluster, -1, SQLITE_STATIC);
	return ecsfs__sql_names(s, st, cb, data);
}

int ecsfs_store_scaling_list_all(ecsfs_store *s, ecsfs_store_name_cb cb, void *data)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(s, "SELECT cluster || '/' || service FROM "
					      "scaling_targets ORDER BY cluster, service");

	if (!st)
		return -EIO;
	return ecsfs__sql_names(s, st, cb, data);
}

int ecsfs_store_scaling_count(ecsfs_store *s, uint64_t *n)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(s, "SELECT count(*) FROM scaling_targets");

	if (!st)
		return -EIO;
	return ecsfs__sql_one(s, st, "scaling_count", ecsfs__sql_read_count, n);
}

int ecsfs_store_activity_add(ecsfs_store *s, const char *cluster, const char *service,
			     int64_t start_ns, const char *doc, int keep)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(s, "INSERT OR REPLACE INTO scaling_activities "
					      "(cluster, service, start_ns, doc) "
					      "VALUES (?1, ?2, ?3, ?4)");
	int r;

	if (!st)
		return -EIO;
	bind_key(st, cluster, service);
	sqlite3_bind_int64(st, 3, start_ns);
	sqlite3_bind_text(st, 4, doc, -1, SQLITE_STATIC);
	if ((r = ecsfs__sql_done(s, st, "activity_add")) < 0)
		return r;
	st = ecsfs__sql_stmt(s, "DELETE FROM scaling_activities WHERE cluster = ?1 AND "
				"service = ?2 AND start_ns NOT IN (SELECT start_ns FROM "
				"scaling_activities WHERE cluster = ?1 AND service = ?2 "
				"ORDER BY start_ns DESC LIMIT ?3)");
	if (!st)
		return -EIO;
	bind_key(st, cluster, service);
	sqlite3_bind_int(st, 3, keep);
	return ecsfs__sql_done(s, st, "activity_trim");
}

int ecsfs_store_activity_list(ecsfs_store *s, const char *cluster, const char *service,
			      ecsfs_store_text_cb cb, void *data)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(s, "SELECT doc FROM scaling_activities WHERE "
					      "cluster = ?1 AND service = ?2 "
					      "ORDER BY start_ns DESC");
	int rc = SQLITE_DONE, r = 0;

	if (!st)
		return -EIO;
	bind_key(st, cluster, service);
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
		r = cb(data, (const char *)sqlite3_column_text(st, 0),
		       (size_t)sqlite3_column_bytes(st, 0));
	sqlite3_reset(st);
	if (r == 0 && rc != SQLITE_DONE)
		return ecsfs__sql_fault(s, rc, "activity_list");
	return r;
}
