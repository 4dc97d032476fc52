/* EventBridge rules (core/model/schedule_rule.c owns what the rows mean). */
#include <errno.h>

#include "store/store_private.h"

int ecsfs_store_rule_put(ecsfs_store *s, const char *name, int64_t created_ns, const char *doc)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(s, "INSERT OR REPLACE INTO event_rules (name, "
					      "created_ns, doc) VALUES (?1, ?2, ?3)");

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, created_ns);
	sqlite3_bind_text(st, 3, doc, -1, SQLITE_STATIC);
	return ecsfs__sql_done(s, st, "rule_put");
}

struct rule_out {
	int64_t *created_ns;
	ecsfs_buf *doc;
};

static void read_rule(sqlite3_stmt *st, void *out)
{
	struct rule_out *o = out;

	if (o->created_ns)
		*o->created_ns = sqlite3_column_int64(st, 0);
	if (o->doc) {
		ecsfs_buf_reset(o->doc);
		ecsfs_buf_add(o->doc, sqlite3_column_text(st, 1),
			      (size_t)sqlite3_column_bytes(st, 1));
	}
}

int ecsfs_store_rule_get(ecsfs_store *s, const char *name, int64_t *created_ns, ecsfs_buf *doc)
{
	sqlite3_stmt *st =
	    ecsfs__sql_stmt(s, "SELECT created_ns, doc FROM event_rules WHERE name = ?1");
	struct rule_out o = {created_ns, doc};

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	return ecsfs__sql_row(s, st, "rule_get", read_rule, &o);
}

int ecsfs_store_rule_delete(ecsfs_store *s, const char *name)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(s, "DELETE FROM event_rules WHERE name = ?1");

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	return ecsfs__sql_changed(s, st, "rule_delete");
}

int ecsfs_store_rule_list(ecsfs_store *s, ecsfs_store_name_cb cb, void *data)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(s, "SELECT name FROM event_rules ORDER BY name");

	if (!st)
		return -EIO;
	return ecsfs__sql_names(s, st, cb, data);
}

int ecsfs_store_rule_count(ecsfs_store *s, uint64_t *n)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(s, "SELECT count(*) FROM event_rules");

	if (!st)
		return -EIO;
	return ecsfs__sql_one(s, st, "rule_count", ecsfs__sql_read_count, n);
}
