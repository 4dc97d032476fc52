/* Clusters deleted within the hour (DescribeClusters shows them INACTIVE). */
#include <errno.h>

#include "store/store_private.h"

int ecsfs_store_cluster_remember(ecsfs_store *s, const char *name, int64_t now_ns,
				 const char *settings, int64_t forget_before_ns)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(s, "DELETE FROM clusters_deleted WHERE deleted_ns < ?1");
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, forget_before_ns);
	if ((r = ecsfs__sql_done(s, st, "cluster_remember")) < 0)
		return r;
	st = ecsfs__sql_stmt(s, "INSERT OR REPLACE INTO clusters_deleted (name, deleted_ns, "
				"settings) VALUES (?1, ?2, ?3)");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now_ns);
	if (settings)
		sqlite3_bind_text(st, 3, settings, -1, SQLITE_STATIC);
	return ecsfs__sql_done(s, st, "cluster_remember");
}

struct deleted {
	int64_t *at;
	ecsfs_buf *settings;
};

static void read_deleted(sqlite3_stmt *st, void *out)
{
	struct deleted *d = out;
	const unsigned char *t = sqlite3_column_text(st, 1);

	*d->at = sqlite3_column_int64(st, 0);
	if (d->settings) {
		ecsfs_buf_reset(d->settings);
		if (t)
			ecsfs_buf_adds(d->settings, (const char *)t);
	}
}

int ecsfs_store_cluster_deleted_get(ecsfs_store *s, const char *name, int64_t *deleted_ns,
				    ecsfs_buf *settings)
{
	sqlite3_stmt *st =
	    ecsfs__sql_stmt(s, "SELECT deleted_ns, settings FROM clusters_deleted WHERE name = ?1");
	struct deleted d = {deleted_ns, settings};

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	return ecsfs__sql_row(s, st, "cluster_deleted_get", read_deleted, &d);
}

int ecsfs_store_cluster_forget(ecsfs_store *s, const char *name)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(s, "DELETE FROM clusters_deleted WHERE name = ?1");

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	return ecsfs__sql_done(s, st, "cluster_forget");
}
