/* The store's own shared pieces: the handle and the SQL helpers every
 * file of core/store/ uses. Nothing outside core/store/ includes it. */
#ifndef ECSFS_STORE_PRIVATE_H
#define ECSFS_STORE_PRIVATE_H

#include <sqlite3.h>
#include <stdbool.h>

#include "ecsfs/store.h"

/* Prepared statements kept, one per SQL text of the store (keyed by the
 * text's address): an open-addressing table that doubles when half full,
 * so new statements never find it full (every run of the suite grows it). */
#define ECSFS__STMT_CACHE_MIN 64

struct ecsfs_store {
	sqlite3 *db;
	int depth;   /* nesting of ecsfs_store_begin() */
	bool failed; /* an inner step failed: the outermost commit rolls back */
	char last_error[512];
	ecsfs_store_watch_cb taskdefs_watch; /* told when revisions change */
	void *taskdefs_watch_data;
	struct ecsfs__stmt_slot {
		const char *sql;
		sqlite3_stmt *st;
	} * cache;
	unsigned cache_cap, cache_used;
	/* the errors journal's rate limit (store_errors.c) */
	struct ecsfs__errors_limit {
		char *key;	     /* the last refusal written, without its time */
		int64_t since;	     /* when its burst began (monotonic) */
		unsigned seen;	     /* lines of that burst */
		unsigned suppressed; /* not written: counted in the next summary */
	} errors;
};

/* Write the summary of a burst of repeated errors lines now, before
 * `stream` is read (nothing for another stream, or without one). */
void ecsfs__errors_flush(ecsfs_store *s, const char *stream);
/* The same, then free the limiter (ecsfs_store_close). */
void ecsfs__errors_release(ecsfs_store *s);

/* Translate a SQLite result code into -errno, keeping the cause in
 * last_error (SQLITE_CONSTRAINT -> -EEXIST, SQLITE_FULL -> -ENOSPC, ...). */
int ecsfs__sql_fault(ecsfs_store *s, int rc, const char *what);
/* The prepared statement of a static SQL text, reset and unbound; NULL
 * when it does not prepare (the cause in last_error). */
sqlite3_stmt *ecsfs__sql_stmt(ecsfs_store *s, const char *sql);
/* Run SQL text without rows (pragmas, BEGIN/COMMIT, migrations): 0, or
 * -ENOSPC for a full disk, -EIO with last_error otherwise. */
int ecsfs__sql_exec(ecsfs_store *s, const char *sql);
/* The same for one statement of constant text (BEGIN, COMMIT, a pragma):
 * prepared once, through the statement cache. */
int ecsfs__sql_run(ecsfs_store *s, const char *sql);
/* Run a statement that returns no rows. */
int ecsfs__sql_done(ecsfs_store *s, sqlite3_stmt *st, const char *what);
/* The same for an UPDATE or DELETE of one row: -ENOENT when none changed. */
int ecsfs__sql_changed(ecsfs_store *s, sqlite3_stmt *st, const char *what);
/* Reads the columns of the row a statement stands on into out. */
typedef void ecsfs__sql_row_fn(sqlite3_stmt *st, void *out);
/* Step a statement that yields at most one row: 0 with read(st, out) called
 * on it (unless out is NULL), -ENOENT when there is none. */
int ecsfs__sql_row(ecsfs_store *s, sqlite3_stmt *st, const char *what, ecsfs__sql_row_fn *read,
		   void *out);
/* The same for an aggregate, whose one row always comes: no row is a fault. */
int ecsfs__sql_one(ecsfs_store *s, sqlite3_stmt *st, const char *what, ecsfs__sql_row_fn *read,
		   void *out);
/* Readers of column 0: as a uint64_t count, as an int64_t (out). */
void ecsfs__sql_read_count(sqlite3_stmt *st, void *out);
void ecsfs__sql_read_int64(sqlite3_stmt *st, void *out);
/* Call cb with each name of a one-column result, collected first so that
 * callbacks may use the store. */
int ecsfs__sql_names(ecsfs_store *s, sqlite3_stmt *st, ecsfs_store_name_cb cb, void *data);

#endif
