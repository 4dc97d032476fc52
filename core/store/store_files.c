/* The store: files and directory metadata of the spec tree, and the
 * deletions that wait out an editor's rename. */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/store.h"
#include "ecsfs/util.h"
#include "store/store_private.h"

/* ---- files ---- */

static void meta_from_row(sqlite3_stmt *st, int col, ecsfs_file_meta *m)
{
	m->kind = sqlite3_column_int(st, col);
	m->mode = (mode_t)sqlite3_column_int(st, col + 1);
	m->uid = (uid_t)sqlite3_column_int64(st, col + 2);
	m->gid = (gid_t)sqlite3_column_int64(st, col + 3);
	m->mtime_ns = sqlite3_column_int64(st, col + 4);
	m->size = (uint64_t)sqlite3_column_int64(st, col + 5);
}

struct file_out {
	ecsfs_file_meta *meta;
	ecsfs_buf *data;
};

static void file_from_row(sqlite3_stmt *st, void *out)
{
	struct file_out *o = out;

	if (o->meta)
		meta_from_row(st, 0, o->meta);
	if (o->data) {
		ecsfs_buf_reset(o->data);
		ecsfs_buf_add(o->data, sqlite3_column_blob(st, 6),
			      (size_t)sqlite3_column_bytes(st, 6));
	}
}

int ecsfs_store_file_get(ecsfs_store *s, const char *dir, const char *name, ecsfs_file_meta *meta,
			 ecsfs_buf *data)
{
	/* Without `data`, the bytes are not selected: a result column is read
	 * at each step, fetched or not (a lookup of a definition read it all). */
	sqlite3_stmt *st =
	    ecsfs__sql_stmt(s, data ? "SELECT kind, mode, uid, gid, mtime_ns, length(data), data "
				      "FROM files WHERE dir = ?1 AND name = ?2"
				    : "SELECT kind, mode, uid, gid, mtime_ns, length(data) "
				      "FROM files WHERE dir = ?1 AND name = ?2");
	struct file_out o = {meta, data};
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, dir, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	return ecsfs__sql_row(s, st, "file_get", file_from_row, &o);
}

int ecsfs_store_file_put(ecsfs_store *s, const char *dir, const char *name,
			 const ecsfs_file_meta *meta, const void *data, size_t len)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(s, "INSERT OR REPLACE INTO files "
					      "(dir, name, kind, mode, uid, gid, mtime_ns, data) "
					      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, dir, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, meta->kind);
	sqlite3_bind_int(st, 4, (int)(meta->mode & 07777));
	sqlite3_bind_int64(st, 5, meta->uid);
	sqlite3_bind_int64(st, 6, meta->gid);
	sqlite3_bind_int64(st, 7, meta->mtime_ns);
	if (meta->kind == ECSFS_FILE_DIR)
		sqlite3_bind_null(st, 8);
	else
		sqlite3_bind_blob64(st, 8, len ? data : "", len, SQLITE_STATIC);
	return ecsfs__sql_done(s, st, "file_put");
}

int ecsfs_store_file_set_meta(ecsfs_store *s, const char *dir, const char *name,
			      const ecsfs_file_meta *meta)
{
	sqlite3_stmt *st =
	    ecsfs__sql_stmt(s, "UPDATE files SET mode = ?3, uid = ?4, gid = ?5, mtime_ns = ?6 "
			       "WHERE dir = ?1 AND name = ?2");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, dir, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, (int)(meta->mode & 07777));
	sqlite3_bind_int64(st, 4, meta->uid);
	sqlite3_bind_int64(st, 5, meta->gid);
	sqlite3_bind_int64(st, 6, meta->mtime_ns);
	return ecsfs__sql_changed(s, st, "file_set_meta");
}

int ecsfs_store_file_delete(ecsfs_store *s, const char *dir, const char *name)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(s, "DELETE FROM files WHERE dir = ?1 AND name = ?2");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, dir, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	return ecsfs__sql_changed(s, st, "file_delete");
}

int ecsfs_store_file_delete_tree(ecsfs_store *s, const char *dir)
{
	/* dir itself, and everything below "dir/" (a range scan on the key) */
	sqlite3_stmt *st = ecsfs__sql_stmt(s, "DELETE FROM files WHERE dir = ?1 OR "
					      "(dir >= ?1 || '/' AND dir < ?1 || '0')");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, dir, -1, SQLITE_STATIC);
	return ecsfs__sql_done(s, st, "file_delete_tree");
}

int ecsfs_store_file_rename(ecsfs_store *s, const char *dir, const char *name, const char *newdir,
			    const char *newname)
{
	sqlite3_stmt *del = ecsfs__sql_stmt(s, "DELETE FROM files WHERE dir = ?1 AND name = ?2");
	int r;
	if (!del)
		return -EIO;
	if ((r = ecsfs_store_begin(s)) < 0)
		return r;
	sqlite3_bind_text(del, 1, newdir, -1, SQLITE_STATIC);
	sqlite3_bind_text(del, 2, newname, -1, SQLITE_STATIC);
	if ((r = ecsfs__sql_done(s, del, "file_rename")) < 0)
		goto fail;
	sqlite3_stmt *up = ecsfs__sql_stmt(s, "UPDATE files SET dir = ?3, name = ?4 "
					      "WHERE dir = ?1 AND name = ?2");
	if (!up) {
		r = -EIO;
		goto fail;
	}
	sqlite3_bind_text(up, 1, dir, -1, SQLITE_STATIC);
	sqlite3_bind_text(up, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(up, 3, newdir, -1, SQLITE_STATIC);
	sqlite3_bind_text(up, 4, newname, -1, SQLITE_STATIC);
	if ((r = ecsfs__sql_done(s, up, "file_rename")) < 0)
		goto fail;
	if (!sqlite3_changes(s->db)) {
		r = -ENOENT;
		goto fail;
	}
	return ecsfs_store_commit(s);
fail:
	ecsfs_store_rollback(s);
	return r;
}

int ecsfs_store_file_list(ecsfs_store *s, const char *dir, int kind, ecsfs_store_file_cb cb,
			  void *data)
{
	sqlite3_stmt *st =
	    ecsfs__sql_stmt(s, "SELECT name, kind, mode, uid, gid, mtime_ns, length(data) "
			       "FROM files WHERE dir = ?1 AND (?2 = 0 OR kind = ?2) "
			       "ORDER BY name");
	int rc, r = 0;
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, dir, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, kind);
	/* Callbacks may not touch the store: collect first. */
	struct item {
		char *name;
		ecsfs_file_meta meta;
	} *items = NULL;
	size_t n = 0, alloc = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 16;
			items = realloc(items, alloc * sizeof(*items));
			if (!items)
				abort();
		}
		if (!(items[n].name = strdup((const char *)sqlite3_column_text(st, 0) ?: ""))) {
			r = -ENOMEM;
			break;
		}
		meta_from_row(st, 1, &items[n].meta);
		n++;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = ecsfs__sql_fault(s, rc, "file_list");
	sqlite3_reset(st);
	for (size_t i = 0; i < n; i++) {
		if (r == 0)
			r = cb(data, items[i].name, &items[i].meta);
		free(items[i].name);
	}
	free(items);
	return r < 0 ? r : 0;
}

struct count_out {
	uint64_t *count;
	uint64_t *bytes;
};

static void count_from_row(sqlite3_stmt *st, void *out)
{
	struct count_out *o = out;

	if (o->count)
		*o->count = (uint64_t)sqlite3_column_int64(st, 0);
	if (o->bytes)
		*o->bytes = (uint64_t)sqlite3_column_int64(st, 1);
}

int ecsfs_store_file_count(ecsfs_store *s, const char *dir, int kind, uint64_t *count,
			   uint64_t *bytes)
{
	/* Without the bytes, the index files_kind alone answers: no row's
	 * data is read (a create in a directory of 300 definitions read them
	 * all to count its scratch files). */
	const char *sql = bytes	 ? "SELECT count(*), coalesce(sum(length(data)), 0) FROM files "
				   "WHERE dir = ?1 AND (?2 = 0 OR kind = ?2)"
			  : kind ? "SELECT count(*) FROM files WHERE dir = ?1 AND kind = ?2"
				 : "SELECT count(*) FROM files WHERE dir = ?1 AND ?2 = 0";
	sqlite3_stmt *st = ecsfs__sql_stmt(s, sql);
	struct count_out o = {count, bytes};
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, dir, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, kind);
	return ecsfs__sql_one(s, st, "file_count", count_from_row, &o);
}

int ecsfs_store_file_count_tree(ecsfs_store *s, const char *dir, uint64_t *count)
{
	sqlite3_stmt *st =
	    ecsfs__sql_stmt(s, "SELECT count(*) FROM files WHERE kind != 3 AND (dir = ?1 OR "
			       "(dir >= ?1 || '/' AND dir < ?1 || '0'))");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, dir, -1, SQLITE_STATIC);
	*count = 0;
	return ecsfs__sql_one(s, st, "file_count_tree", ecsfs__sql_read_count, count);
}

/* ---- deferred deletions ---- */

int ecsfs_store_deferred_put(ecsfs_store *s, const char *path, int64_t due_ns)
{
	sqlite3_stmt *st =
	    ecsfs__sql_stmt(s, "INSERT OR REPLACE INTO deferred (path, due_ns) VALUES (?1, ?2)");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, due_ns);
	return ecsfs__sql_done(s, st, "deferred_put");
}

int ecsfs_store_deferred_delete(ecsfs_store *s, const char *path)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(s, "DELETE FROM deferred WHERE path = ?1");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	return ecsfs__sql_changed(s, st, "deferred_delete");
}

int ecsfs_store_deferred_due(ecsfs_store *s, int64_t now_ns, ecsfs_store_name_cb cb, void *data)
{
	sqlite3_stmt *st =
	    ecsfs__sql_stmt(s, "SELECT path FROM deferred WHERE due_ns <= ?1 ORDER BY path");
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, now_ns);
	return ecsfs__sql_names(s, st, cb, data);
}
