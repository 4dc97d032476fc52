/*
 * The store's generation and its durability per commit: how many rows the
 * connection has changed since it opened (a generation the FUSE layer
 * compares to know that nothing it rendered from the store can have
 * changed, fs/fuse_cache.c), and commits that need not reach the disk on
 * their own (scratch files: their rows are durable with the next commit
 * that syncs, as WAL frames are synced in order).
 */
#include <errno.h>
#include <stdio.h>

#include "store_private.h"

uint64_t ecsfs_store_changes(ecsfs_store *s)
{
	return (uint64_t)sqlite3_total_changes64(s->db);
}

int ecsfs_store_sync_each(ecsfs_store *s, bool sync)
{
	if (s->depth > 0)
		return -EBUSY; /* the synchronous setting cannot change inside a transaction */
	return ecsfs__sql_run(s, sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
}

int ecsfs_store_sync(ecsfs_store *s)
{
	if (s->depth > 0)
		return -EBUSY;
	/* a checkpoint syncs the log before it copies it */
	return ecsfs__sql_exec(s, "PRAGMA wal_checkpoint(PASSIVE)");
}
