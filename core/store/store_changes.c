/* How many rows the store's connection has changed since it opened: a
 * generation the FUSE layer compares to know that nothing it rendered from
 * the store can have changed (fs/fuse_cache.c). */
#include "store_private.h"

uint64_t ecsfs_store_changes(ecsfs_store *s)
{
	return (uint64_t)sqlite3_total_changes64(s->db);
}
