/* The store: counts behind the caps on what users can make grow. */
#include <errno.h>

#include "ecsfs/store.h"
#include "store/store_private.h"

static int count(ecsfs_store *s, const char *sql, const char *name, uint64_t *n)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(s, sql);
	int64_t v = 0;
	int r;

	if (!st)
		return -EIO;
	if (name)
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if ((r = ecsfs__sql_one(s, st, "count", ecsfs__sql_read_int64, &v)) < 0)
		return r;
	*n = (uint64_t)v;
	return 0;
}

int ecsfs_store_cluster_count(ecsfs_store *s, uint64_t *n)
{
	return count(s, "SELECT count(*) FROM clusters", NULL, n);
}

int ecsfs_store_secret_count_other(ecsfs_store *s, const char *name, uint64_t *n)
{
	return count(s, "SELECT count(*) FROM secrets WHERE name != ?1", name, n);
}
