/* The store's own shared pieces: the handle and the SQL helpers every
 * file of core/store/ uses. Nothing outside core/store/ includes it. */
#ifndef ECSFS_STORE_PRIVATE_H
#define ECSFS_STORE_PRIVATE_H

#include <sqlite3.h>
#include <stdbool.h>

#include "ecsfs/store.h"

/* Prepared statements kept, one per SQL text of the store (keyed by the
 * text's address): more than there are statements. */
#define ECSFS__STMT_CACHE 128

struct ecsfs_store {
	sqlite3 *db;
	int depth;   /* nesting of ecsfs_store_begin() */
	bool failed; /* an inner step failed: the outermost commit rolls back */
	char last_error[512];
	ecsfs_store_watch_cb taskdefs_watch; /* told when revisions change */
	void *taskdefs_watch_data;
	struct {
		const char *sql;
		sqlite3_stmt *st;
	} cache[ECSFS__STMT_CACHE];
};

/* Translate a SQLite result code into -errno, keeping the cause in
 * last_error (SQLITE_CONSTRAINT -> -EEXIST, SQLITE_FULL -> -ENOSPC, ...). */
int ecsfs__sql_fault(ecsfs_store *s, int rc, const char *what);
/* The prepared statement of a static SQL text, reset and unbound; NULL
 * when it does not prepare (the cause in last_error). */
sqlite3_stmt *ecsfs__sql_stmt(ecsfs_store *s, const char *sql);
/* Run a statement that returns no rows. */
int ecsfs__sql_done(ecsfs_store *s, sqlite3_stmt *st, const char *what);
/* The same for an UPDATE or DELETE of one row: -ENOENT when none changed. */
int ecsfs__sql_changed(ecsfs_store *s, sqlite3_stmt *st, const char *what);
/* Call cb with each name of a one-column result, collected first so that
 * callbacks may use the store. */
int ecsfs__sql_names(ecsfs_store *s, sqlite3_stmt *st, ecsfs_store_name_cb cb, void *data);

#endif
