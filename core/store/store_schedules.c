/* Schedules in effect and the record of their fires (core/model/schedule.c
 * and core/control/schedule*.c own what the rows mean). */
#include <errno.h>
#include <string.h>

#include "store/store_private.h"

void ecsfs_fire_row_init(ecsfs_fire_row *f)
{
	memset(f, 0, sizeof(*f));
	ecsfs_buf_init(&f->tasks);
	ecsfs_buf_init(&f->reason);
}

void ecsfs_fire_row_release(ecsfs_fire_row *f)
{
	ecsfs_buf_release(&f->tasks);
	ecsfs_buf_release(&f->reason);
}

int ecsfs_store_schedule_put(ecsfs_store *s, const char *cluster, const char *name,
			     const ecsfs_schedule_row *row)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(
	    s, "INSERT OR REPLACE INTO schedules (cluster, name, created_ns, updated_ns, "
	       "cursor_ms, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, cluster, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, row->created_ns);
	sqlite3_bind_int64(st, 4, row->updated_ns);
	sqlite3_bind_int64(st, 5, row->cursor_ms);
	sqlite3_bind_text(st, 6, row->doc.data, (int)row->doc.len, SQLITE_STATIC);
	return ecsfs__sql_done(s, st, "schedule_put");
}

static void read_schedule(sqlite3_stmt *st, void *out)
{
	ecsfs_schedule_row *row = out;

	row->created_ns = sqlite3_column_int64(st, 0);
	row->updated_ns = sqlite3_column_int64(st, 1);
	row->cursor_ms = sqlite3_column_int64(st, 2);
	ecsfs_buf_reset(&row->doc);
	ecsfs_buf_add(&row->doc, sqlite3_column_text(st, 3), (size_t)sqlite3_column_bytes(st, 3));
}

int ecsfs_store_schedule_get(ecsfs_store *s, const char *cluster, const char *name,
			     ecsfs_schedule_row *row)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(s, "SELECT created_ns, updated_ns, cursor_ms, doc "
					      "FROM schedules WHERE cluster = ?1 AND name = ?2");

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, cluster, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	return ecsfs__sql_row(s, st, "schedule_get", read_schedule, row);
}

int ecsfs_store_schedule_delete(ecsfs_store *s, const char *cluster, const char *name)
{
	sqlite3_stmt *st;
	int r;

	if ((r = ecsfs_store_begin(s)) < 0)
		return r;
	st = ecsfs__sql_stmt(s, "DELETE FROM schedule_fires WHERE cluster = ?1 AND name = ?2");
	if (!st) {
		ecsfs_store_rollback(s);
		return -EIO;
	}
	sqlite3_bind_text(st, 1, cluster, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	if ((r = ecsfs__sql_done(s, st, "schedule_delete")) < 0 ||
	    !(st = ecsfs__sql_stmt(s, "DELETE FROM schedules WHERE cluster = ?1 AND name = ?2"))) {
		ecsfs_store_rollback(s);
		return r < 0 ? r : -EIO;
	}
	sqlite3_bind_text(st, 1, cluster, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	if ((r = ecsfs__sql_changed(s, st, "schedule_delete")) < 0) {
		ecsfs_store_rollback(s);
		return r;
	}
	return ecsfs_store_commit(s);
}

int ecsfs_store_schedule_set_cursor(ecsfs_store *s, const char *cluster, const char *name,
				    int64_t cursor_ms)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(
	    s, "UPDATE schedules SET cursor_ms = ?3 WHERE cluster = ?1 AND name = ?2");

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, cluster, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, cursor_ms);
	return ecsfs__sql_changed(s, st, "schedule_set_cursor");
}

int ecsfs_store_schedule_list(ecsfs_store *s, const char *cluster, ecsfs_store_name_cb cb,
			      void *data)
{
	sqlite3_stmt *st =
	    ecsfs__sql_stmt(s, "SELECT name FROM schedules WHERE cluster = ?1 ORDER BY name");

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, cluster, -1, SQLITE_STATIC);
	return ecsfs__sql_names(s, st, cb, data);
}

/* "cluster/name" pairs, collected first so that callbacks may use the store. */
typedef struct pair_ctx {
	ecsfs_store_pair_cb cb;
	void *data;
} pair_ctx;

static int split_pair(void *data, const char *both)
{
	pair_ctx *p = data;
	const char *slash = strchr(both, '/');
	char cluster[256];
	size_t n = slash ? (size_t)(slash - both) : 0;

	if (!slash || n >= sizeof(cluster))
		return 0;
	memcpy(cluster, both, n);
	cluster[n] = '\0';
	return p->cb(p->data, cluster, slash + 1);
}

int ecsfs_store_schedule_list_all(ecsfs_store *s, ecsfs_store_pair_cb cb, void *data)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(
	    s, "SELECT cluster || '/' || name FROM schedules ORDER BY cluster, name");
	pair_ctx p = {cb, data};

	if (!st)
		return -EIO;
	return ecsfs__sql_names(s, st, split_pair, &p);
}

int ecsfs_store_schedule_count(ecsfs_store *s, uint64_t *n)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(s, "SELECT count(*) FROM schedules");

	if (!st)
		return -EIO;
	return ecsfs__sql_one(s, st, "schedule_count", ecsfs__sql_read_count, n);
}

int ecsfs_store_fire_put(ecsfs_store *s, const char *cluster, const char *name,
			 const ecsfs_fire_row *f)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(
	    s, "INSERT OR REPLACE INTO schedule_fires (cluster, name, due_ms, run_ms, actual_ms, "
	       "state, attempts, tasks, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, cluster, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, f->due_ms);
	sqlite3_bind_int64(st, 4, f->run_ms);
	sqlite3_bind_int64(st, 5, f->actual_ms);
	sqlite3_bind_int(st, 6, f->state);
	sqlite3_bind_int(st, 7, f->attempts);
	sqlite3_bind_text(st, 8, f->tasks.data, (int)f->tasks.len, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, f->reason.data, (int)f->reason.len, SQLITE_STATIC);
	return ecsfs__sql_done(s, st, "fire_put");
}

int ecsfs_store_fire_list(ecsfs_store *s, const char *cluster, const char *name, bool open,
			  ecsfs_store_fire_cb cb, void *data)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(
	    s, "SELECT due_ms, run_ms, actual_ms, state, attempts, tasks, reason "
	       "FROM schedule_fires WHERE cluster = ?1 AND name = ?2 AND (?3 = 0 OR state = 0) "
	       "ORDER BY due_ms");
	ecsfs_fire_row f;
	int rc, r = 0;

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, cluster, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, open);
	ecsfs_fire_row_init(&f);
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		f.due_ms = sqlite3_column_int64(st, 0);
		f.run_ms = sqlite3_column_int64(st, 1);
		f.actual_ms = sqlite3_column_int64(st, 2);
		f.state = sqlite3_column_int(st, 3);
		f.attempts = sqlite3_column_int(st, 4);
		ecsfs_buf_reset(&f.tasks);
		ecsfs_buf_reset(&f.reason);
		ecsfs_buf_add(&f.tasks, sqlite3_column_text(st, 5),
			      (size_t)sqlite3_column_bytes(st, 5));
		ecsfs_buf_add(&f.reason, sqlite3_column_text(st, 6),
			      (size_t)sqlite3_column_bytes(st, 6));
		r = cb(data, &f);
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = ecsfs__sql_fault(s, rc, "fire_list");
	sqlite3_reset(st);
	ecsfs_fire_row_release(&f);
	return r < 0 ? r : 0;
}

int ecsfs_store_fire_trim(ecsfs_store *s, const char *cluster, const char *name, int keep)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(
	    s, "DELETE FROM schedule_fires WHERE cluster = ?1 AND name = ?2 AND state != 0 AND "
	       "due_ms NOT IN (SELECT due_ms FROM schedule_fires WHERE cluster = ?1 AND "
	       "name = ?2 AND state != 0 ORDER BY due_ms DESC LIMIT ?3)");

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, cluster, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, keep);
	return ecsfs__sql_done(s, st, "fire_trim");
}
