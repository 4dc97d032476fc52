/* Schedules by name alone, across clusters: EventBridge Scheduler's view
 * (core/model/schedule_named.c owns what the rows mean). */
#include <errno.h>

#include "store/store_private.h"

int ecsfs_store_schedule_clusters(ecsfs_store *s, const char *name, ecsfs_store_name_cb cb,
				  void *data)
{
	sqlite3_stmt *st =
	    ecsfs__sql_stmt(s, "SELECT cluster FROM schedules WHERE name = ?1 ORDER BY cluster");

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	return ecsfs__sql_names(s, st, cb, data);
}
