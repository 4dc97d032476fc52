/* Container instances: their rows (core/model/instance.c owns what they mean). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store/store_private.h"

void ecsfs_instance_row_init(ecsfs_instance_row *r)
{
	memset(r, 0, sizeof(*r));
	ecsfs_buf_init(&r->attrs);
	ecsfs_buf_init(&r->doc);
}

void ecsfs_instance_row_release(ecsfs_instance_row *r)
{
	ecsfs_buf_release(&r->attrs);
	ecsfs_buf_release(&r->doc);
}

int ecsfs_store_instance_put(ecsfs_store *s, const char *cluster, const char *name,
			     const ecsfs_instance_row *row)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(
	    s, "INSERT OR REPLACE INTO instances (cluster, name, registered_ns, status, attrs, "
	       "doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, cluster, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, row->registered_ns);
	sqlite3_bind_text(st, 4, row->status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, row->attrs.len ? row->attrs.data : "[]", -1, SQLITE_STATIC);
	if (row->doc.len)
		sqlite3_bind_text(st, 6, row->doc.data, (int)row->doc.len, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 6);
	return ecsfs__sql_done(s, st, "instance_put");
}

static void read_instance(sqlite3_stmt *st, void *out)
{
	ecsfs_instance_row *row = out;
	const char *status = (const char *)sqlite3_column_text(st, 1);

	row->registered_ns = sqlite3_column_int64(st, 0);
	snprintf(row->status, sizeof(row->status), "%s", status ? status : "ACTIVE");
	ecsfs_buf_reset(&row->attrs);
	ecsfs_buf_add(&row->attrs, sqlite3_column_text(st, 2), (size_t)sqlite3_column_bytes(st, 2));
	ecsfs_buf_reset(&row->doc);
	if (sqlite3_column_type(st, 3) != SQLITE_NULL)
		ecsfs_buf_add(&row->doc, sqlite3_column_text(st, 3),
			      (size_t)sqlite3_column_bytes(st, 3));
}

int ecsfs_store_instance_get(ecsfs_store *s, const char *cluster, const char *name,
			     ecsfs_instance_row *row)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(s, "SELECT registered_ns, status, attrs, doc FROM "
					      "instances WHERE cluster = ?1 AND name = ?2");

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, cluster, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	return ecsfs__sql_row(s, st, "instance_get", read_instance, row);
}

int ecsfs_store_instance_delete(ecsfs_store *s, const char *cluster, const char *name)
{
	sqlite3_stmt *st =
	    ecsfs__sql_stmt(s, "DELETE FROM instances WHERE cluster = ?1 AND name = ?2");

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, cluster, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	return ecsfs__sql_changed(s, st, "instance_delete");
}

int ecsfs_store_instance_list_all(ecsfs_store *s, ecsfs_store_name_cb cb, void *data)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(
	    s, "SELECT cluster || '/' || name FROM instances ORDER BY cluster, name");

	if (!st)
		return -EIO;
	return ecsfs__sql_names(s, st, cb, data);
}
