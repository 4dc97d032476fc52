/* Tags of resources by ARN, and the one lookup of a task they need. */
#include <errno.h>

#include "store/store_private.h"

int ecsfs_store_tag_list(ecsfs_store *s, const char *arn, ecsfs_store_tag_cb cb, void *data)
{
	sqlite3_stmt *st =
	    ecsfs__sql_stmt(s, "SELECT key, value FROM tags WHERE arn = ?1 ORDER BY pos");
	int rc, r = 0;

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, arn, -1, SQLITE_STATIC);
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
		r = cb(data, (const char *)sqlite3_column_text(st, 0),
		       (const char *)sqlite3_column_text(st, 1));
	if (r == 0 && rc != SQLITE_DONE)
		r = ecsfs__sql_fault(s, rc, "tag_list");
	sqlite3_reset(st);
	return r < 0 ? r : 0;
}

int ecsfs_store_tag_put(ecsfs_store *s, const char *arn, const char *key, const char *value)
{
	/* a key keeps its place when its value changes */
	sqlite3_stmt *st =
	    ecsfs__sql_stmt(s, "INSERT INTO tags (arn, key, value, pos) VALUES (?1, ?2, ?3, "
			       "(SELECT coalesce(max(pos), 0) + 1 FROM tags WHERE arn = ?1)) "
			       "ON CONFLICT (arn, key) DO UPDATE SET value = ?3");

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, arn, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
	return ecsfs__sql_done(s, st, "tag_put");
}

int ecsfs_store_tag_delete(ecsfs_store *s, const char *arn, const char *key)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(s, "DELETE FROM tags WHERE arn = ?1 AND key = ?2");

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, arn, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	return ecsfs__sql_done(s, st, "tag_delete");
}

int ecsfs_store_tag_drop(ecsfs_store *s, const char *arn)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(s, "DELETE FROM tags WHERE arn = ?1");

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, arn, -1, SQLITE_STATIC);
	return ecsfs__sql_done(s, st, "tag_drop");
}

bool ecsfs_store_task_exists(ecsfs_store *s, const char *cluster, const char *id)
{
	sqlite3_stmt *st =
	    ecsfs__sql_stmt(s, "SELECT count(*) FROM tasks WHERE id = ?1 AND cluster = ?2");
	uint64_t n = 0;

	if (!st)
		return false;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, cluster, -1, SQLITE_STATIC);
	return ecsfs__sql_one(s, st, "task_exists", ecsfs__sql_read_count, &n) == 0 && n > 0;
}
