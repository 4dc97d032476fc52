/* Task definitions listed by status, and DeleteTaskDefinitions' marks. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_private.h"

/* A revision's status, as ListTaskDefinitions filters it. */
#define STATUS_OF                                                                       \
	"(CASE WHEN t.active = 1 THEN 0 WHEN EXISTS (SELECT 1 FROM taskdefs_deleted d " \
	"WHERE d.family = t.family AND d.revision = t.revision) THEN 2 ELSE 1 END)"
#define BY_STATUS                                                           \
	"SELECT t.family, t.revision FROM taskdefs t WHERE (?1 IS NULL OR " \
	"substr(t.family, 1, length(?1)) = ?1) AND " STATUS_OF " = ?2 "

struct td_rows {
	char **families;
	int64_t *revs;
	size_t n, alloc;
};

/* 0, or -ENOMEM when the name cannot be copied. */
static int td_rows_add(struct td_rows *t, const char *family, int64_t rev)
{
	if (t->n == t->alloc) {
		t->alloc = t->alloc ? t->alloc * 2 : 64;
		t->families = realloc(t->families, t->alloc * sizeof(*t->families));
		t->revs = realloc(t->revs, t->alloc * sizeof(*t->revs));
		if (!t->families || !t->revs)
			abort();
	}
	if (!(t->families[t->n] = strdup(family ? family : "")))
		return -ENOMEM;
	t->revs[t->n++] = rev;
	return 0;
}

int ecsfs_store_taskdef_by_status(ecsfs_store *s, const char *prefix, int status, bool desc,
				  ecsfs_store_td_cb cb, void *data)
{
	sqlite3_stmt *st =
	    desc ? ecsfs__sql_stmt(s, BY_STATUS "ORDER BY t.family DESC, t.revision DESC")
		 : ecsfs__sql_stmt(s, BY_STATUS "ORDER BY t.family, t.revision");
	struct td_rows t = {0};
	int rc, r = 0;

	if (!st)
		return -EIO;
	if (prefix)
		sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, status);
	/* collected first, so that callbacks may use the store */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	       (r = td_rows_add(&t, (const char *)sqlite3_column_text(st, 0),
				sqlite3_column_int64(st, 1))) == 0)
		;
	if (r == 0 && rc != SQLITE_DONE)
		r = ecsfs__sql_fault(s, rc, "taskdef_by_status");
	sqlite3_reset(st);
	for (size_t i = 0; i < t.n; i++) {
		if (r == 0)
			r = cb(data, t.families[i], t.revs[i]);
		free(t.families[i]);
	}
	free(t.families);
	free(t.revs);
	return r < 0 ? r : 0;
}

int ecsfs_store_taskdef_family_names(ecsfs_store *s, const char *prefix, int active,
				     ecsfs_store_name_cb cb, void *data)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(
	    s, "SELECT name FROM families WHERE (?1 IS NULL OR substr(name, 1, length(?1)) = ?1) "
	       "AND (?2 < 0 OR (active_count > 0) = ?2) ORDER BY name");

	if (!st)
		return -EIO;
	if (prefix)
		sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, active);
	return ecsfs__sql_names(s, st, cb, data);
}

int ecsfs_store_taskdef_mark_deleted(ecsfs_store *s, const char *family, int64_t revision,
				     int64_t now_ns)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(
	    s, "INSERT OR IGNORE INTO taskdefs_deleted (family, revision, deleted_ns) "
	       "VALUES (?1, ?2, ?3)");

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, family, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, revision);
	sqlite3_bind_int64(st, 3, now_ns);
	return ecsfs__sql_done(s, st, "taskdef_mark_deleted");
}

int ecsfs_store_taskdef_deleted(ecsfs_store *s, const char *family, int64_t revision,
				int64_t *at_ns)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(
	    s, "SELECT deleted_ns FROM taskdefs_deleted WHERE family = ?1 AND revision = ?2");
	int64_t at = 0;
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, family, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, revision);
	if ((r = ecsfs__sql_row(s, st, "taskdef_deleted", ecsfs__sql_read_int64, &at)) == 0 &&
	    at_ns)
		*at_ns = at;
	return r;
}
