/* Traffic splits on listener rules (core/control/strategy.c owns what the
 * rows mean; the load-balancer controller reads them). */
#include <errno.h>

#include "store/store_private.h"

int ecsfs_store_traffic_put(ecsfs_store *s, const char *rule, const char *owner,
			    const char *forward)
{
	sqlite3_stmt *st =
	    ecsfs__sql_stmt(s, forward ? "INSERT OR REPLACE INTO lb_traffic (rule, owner, forward) "
					 "VALUES (?1, ?2, ?3)"
				       : "DELETE FROM lb_traffic WHERE rule = ?1 AND owner = ?2");

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, rule, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, owner, -1, SQLITE_STATIC);
	if (forward)
		sqlite3_bind_text(st, 3, forward, -1, SQLITE_STATIC);
	return ecsfs__sql_done(s, st, "traffic_put");
}

static void read_forward(sqlite3_stmt *st, void *out)
{
	ecsfs_buf *b = out;

	ecsfs_buf_reset(b);
	ecsfs_buf_add(b, sqlite3_column_text(st, 0), (size_t)sqlite3_column_bytes(st, 0));
}

int ecsfs_store_traffic_get(ecsfs_store *s, const char *rule, ecsfs_buf *forward)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(s, "SELECT forward FROM lb_traffic WHERE rule = ?1");

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, rule, -1, SQLITE_STATIC);
	return ecsfs__sql_row(s, st, "traffic_get", read_forward, forward);
}
