/* Services deleted a while ago: what DescribeServices still shows of them
 * (status INACTIVE) for an hour, as ECS does (Terraform waits for it). */
#include <errno.h>

#include "store_private.h"

int ecsfs_store_service_gone_put(ecsfs_store *s, const char *cluster, const char *name,
				 int64_t at_ns, const char *doc)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(s, "INSERT OR REPLACE INTO services_gone (cluster, "
					      "name, deleted_ns, doc) VALUES (?1, ?2, ?3, ?4)");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, cluster, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, at_ns);
	sqlite3_bind_text(st, 4, doc, -1, SQLITE_STATIC);
	return ecsfs__sql_done(s, st, "service_gone_put");
}

static void doc_from_row(sqlite3_stmt *st, void *out)
{
	ecsfs_buf_add(out, sqlite3_column_text(st, 0), (size_t)sqlite3_column_bytes(st, 0));
}

int ecsfs_store_service_gone_get(ecsfs_store *s, const char *cluster, const char *name,
				 ecsfs_buf *doc)
{
	sqlite3_stmt *st =
	    ecsfs__sql_stmt(s, "SELECT doc FROM services_gone WHERE cluster = ?1 AND name = ?2");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, cluster, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	return ecsfs__sql_row(s, st, "service_gone_get", doc ? doc_from_row : NULL, doc);
}

int ecsfs_store_service_gone_delete(ecsfs_store *s, const char *cluster, const char *name)
{
	sqlite3_stmt *st =
	    ecsfs__sql_stmt(s, "DELETE FROM services_gone WHERE cluster = ?1 AND name = ?2");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, cluster, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	return ecsfs__sql_done(s, st, "service_gone_delete");
}

int ecsfs_store_service_gone_expire(ecsfs_store *s, int64_t before_ns)
{
	/* a cluster that went takes its INACTIVE services along */
	sqlite3_stmt *st =
	    ecsfs__sql_stmt(s, "DELETE FROM services_gone WHERE deleted_ns < ?1 OR cluster NOT IN "
			       "(SELECT name FROM clusters)");
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, before_ns);
	return ecsfs__sql_done(s, st, "service_gone_expire");
}
