/* The store: every SQL statement of ecsfs lives in this file. */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ecsfs/store.h"
#include "ecsfs/util.h"

#define STMT_CACHE 64

struct ecsfs_store {
	sqlite3 *db;
	int depth;   /* nesting of ecsfs_store_begin() */
	bool failed; /* an inner step failed: the outermost commit rolls back */
	char last_error[512];
	struct {
		const char *sql;
		sqlite3_stmt *st;
	} cache[STMT_CACHE];
};

/* Schema migrations, applied in order; user_version counts those applied. */
static const char *const migrations[] = {
    /* 1: clusters, spec files, journals, secrets */
    "CREATE TABLE clusters ("
    "  name TEXT PRIMARY KEY,"
    "  created_ns INTEGER NOT NULL,"
    "  settings TEXT"
    ") WITHOUT ROWID;"
    "CREATE TABLE files ("
    "  dir TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  kind INTEGER NOT NULL,"
    "  mode INTEGER NOT NULL,"
    "  uid INTEGER NOT NULL,"
    "  gid INTEGER NOT NULL,"
    "  mtime_ns INTEGER NOT NULL,"
    "  data BLOB,"
    "  PRIMARY KEY (dir, name)"
    ") WITHOUT ROWID;"
    "CREATE TABLE journal ("
    "  stream TEXT NOT NULL,"
    "  off INTEGER NOT NULL,"
    "  at_ns INTEGER NOT NULL,"
    "  line BLOB NOT NULL,"
    "  PRIMARY KEY (stream, off)"
    ") WITHOUT ROWID;"
    "CREATE TABLE journal_head ("
    "  stream TEXT PRIMARY KEY,"
    "  base INTEGER NOT NULL,"
    "  end_off INTEGER NOT NULL,"
    "  mtime_ns INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE TABLE secrets ("
    "  name TEXT PRIMARY KEY,"
    "  value BLOB NOT NULL,"
    "  updated_ns INTEGER NOT NULL"
    ") WITHOUT ROWID;",
    /* 2: task definitions, and deletions that wait out an editor's rename */
    "CREATE TABLE families ("
    "  name TEXT PRIMARY KEY,"
    "  last_revision INTEGER NOT NULL,"
    "  active_count INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE TABLE taskdefs ("
    "  family TEXT NOT NULL,"
    "  revision INTEGER NOT NULL,"
    "  active INTEGER NOT NULL,"
    "  registered_ns INTEGER NOT NULL,"
    "  deregistered_ns INTEGER,"
    "  canonical TEXT NOT NULL,"
    "  source BLOB NOT NULL,"
    "  PRIMARY KEY (family, revision)"
    ") WITHOUT ROWID;"
    "CREATE INDEX taskdefs_active ON taskdefs (active, family, revision);"
    "CREATE TABLE deferred ("
    "  path TEXT PRIMARY KEY,"
    "  due_ns INTEGER NOT NULL"
    ") WITHOUT ROWID;",
    /* 3: tasks, each a JSON document of its state (core/task.c) */
    "CREATE TABLE tasks ("
    "  id TEXT PRIMARY KEY,"
    "  cluster TEXT NOT NULL,"
    "  created_ns INTEGER NOT NULL,"
    "  stopped_ns INTEGER NOT NULL,"
    "  state TEXT NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE INDEX tasks_by_cluster ON tasks (cluster, stopped_ns);"
    "CREATE TABLE meta ("
    "  key TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL"
    ") WITHOUT ROWID;",
    /* 4: services, each a JSON document of its state (core/service.c) */
    "CREATE TABLE services ("
    "  cluster TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  state TEXT NOT NULL,"
    "  PRIMARY KEY (cluster, name)"
    ") WITHOUT ROWID;",
    /* 5: ELBv2 target groups and load balancers in effect, each its
     * canonical document (core/model/targetgroup.c, loadbalancer.c) */
    "CREATE TABLE elb ("
    "  kind TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  created_ns INTEGER NOT NULL,"
    "  doc TEXT NOT NULL,"
    "  PRIMARY KEY (kind, name)"
    ") WITHOUT ROWID;",
    /* 6: a cluster the spec tree deleted while services held it is marked,
     * and deleted once they drain (core/model/cluster.c); the list of them
     * that older daemons kept in meta moves onto the rows */
    "ALTER TABLE clusters ADD COLUMN deleting INTEGER NOT NULL DEFAULT 0;"
    "UPDATE clusters SET deleting = 1 WHERE name IN (SELECT j.value FROM json_each(("
    "  SELECT CASE WHEN json_valid(value) THEN value ELSE '[]' END FROM meta"
    "  WHERE key = 'deleting-clusters')) AS j);"
    "DELETE FROM meta WHERE key = 'deleting-clusters';",
};

int ecsfs_store_schema_version(void)
{
	return (int)(sizeof(migrations) / sizeof(migrations[0]));
}

const char *ecsfs_store_last_error(ecsfs_store *s)
{
	return s->last_error;
}

/* Translate a SQLite result into -errno, once, here. */
static int fault(ecsfs_store *s, int rc, const char *what)
{
	if (rc == SQLITE_CONSTRAINT)
		return -EEXIST;
	snprintf(s->last_error, sizeof(s->last_error), "%s: %s (%s)", what, sqlite3_errstr(rc),
		 sqlite3_errmsg(s->db));
	if (rc == SQLITE_FULL)
		return -ENOSPC;
	if (rc == SQLITE_NOMEM)
		return -ENOMEM;
	return -EIO;
}

static sqlite3_stmt *stmt(ecsfs_store *s, const char *sql)
{
	unsigned h = (unsigned)(((uintptr_t)sql >> 3) % STMT_CACHE);

	for (unsigned i = 0; i < STMT_CACHE; i++) {
		unsigned k = (h + i) % STMT_CACHE;
		if (s->cache[k].sql == sql) {
			sqlite3_reset(s->cache[k].st);
			sqlite3_clear_bindings(s->cache[k].st);
			return s->cache[k].st;
		}
		if (!s->cache[k].sql) {
			sqlite3_stmt *st = NULL;
			int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
						    NULL);
			if (rc != SQLITE_OK) {
				fault(s, rc, "prepare");
				return NULL;
			}
			s->cache[k].sql = sql;
			s->cache[k].st = st;
			return st;
		}
	}
	/* The cache is sized for every statement in this file. */
	abort();
}

static int exec(ecsfs_store *s, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		snprintf(s->last_error, sizeof(s->last_error), "%s",
			 msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return rc == SQLITE_FULL ? -ENOSPC : -EIO;
	}
	return 0;
}

/* Run a statement that returns no rows. */
static int step_done(ecsfs_store *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return fault(s, rc, what);
	return 0;
}

static int migrate(ecsfs_store *s, ecsfs_buf *why)
{
	sqlite3_stmt *st;
	int version = 0, r;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version > ecsfs_store_schema_version()) {
		ecsfs_buf_setf(why,
			       "state.db has schema version %d, newer than this ecsfs understands "
			       "(%d)",
			       version, ecsfs_store_schema_version());
		return -EINVAL;
	}
	for (int v = version; v < ecsfs_store_schema_version(); v++) {
		char pragma[64];
		if ((r = exec(s, "BEGIN IMMEDIATE")) < 0)
			goto fail;
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v + 1);
		if (exec(s, migrations[v]) < 0 || exec(s, pragma) < 0) {
			ecsfs_buf_setf(why, "migration to schema %d failed: %s", v + 1,
				       s->last_error);
			exec(s, "ROLLBACK");
			return -EIO;
		}
		if ((r = exec(s, "COMMIT")) < 0)
			goto fail;
	}
	return 0;
fail:
	ecsfs_buf_setf(why, "cannot read schema: %s", sqlite3_errmsg(s->db));
	return -EIO;
}

int ecsfs_store_open(const char *dir, ecsfs_store **out, ecsfs_buf *why)
{
	ecsfs_buf path = ECSFS_BUF_INIT;
	ecsfs_store *s;
	int r;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		r = -errno;
		ecsfs_buf_setf(why, "cannot create state directory %s: %s", dir, strerror(errno));
		return r;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	ecsfs_buf_addf(&path, "%s/state.db", dir);
	r = sqlite3_open_v2(path.data, &s->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (r != SQLITE_OK) {
		ecsfs_buf_setf(why, "cannot open %s: %s", path.data,
			       s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(r));
		r = -EIO;
		goto free_store;
	}
	sqlite3_busy_timeout(s->db, 5000);
	if (exec(s, "PRAGMA journal_mode=WAL") < 0 || exec(s, "PRAGMA synchronous=FULL") < 0 ||
	    exec(s, "PRAGMA foreign_keys=ON") < 0) {
		ecsfs_buf_setf(why, "cannot configure %s: %s", path.data, s->last_error);
		r = -EIO;
		goto free_store;
	}
	if ((r = migrate(s, why)) < 0)
		goto free_store;
	ecsfs_buf_release(&path);
	*out = s;
	return 0;

free_store:
	ecsfs_store_close(s);
	ecsfs_buf_release(&path);
	return r;
}

void ecsfs_store_close(ecsfs_store *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < STMT_CACHE; i++)
		sqlite3_finalize(s->cache[i].st);
	sqlite3_close(s->db);
	free(s);
}

int ecsfs_store_begin(ecsfs_store *s)
{
	if (s->depth++ > 0)
		return 0;
	s->failed = false;
	s->last_error[0] = '\0';
	int r = exec(s, "BEGIN IMMEDIATE");
	if (r < 0)
		s->depth = 0;
	return r;
}

int ecsfs_store_commit(ecsfs_store *s)
{
	if (s->depth == 0)
		return -EINVAL;
	if (--s->depth > 0)
		return 0;
	if (s->failed) {
		exec(s, "ROLLBACK");
		return -EIO;
	}
	int r = exec(s, "COMMIT");
	if (r < 0)
		exec(s, "ROLLBACK");
	return r;
}

void ecsfs_store_rollback(ecsfs_store *s)
{
	if (s->depth == 0)
		return;
	if (--s->depth > 0) {
		/* the outermost commit will roll back: keep the failing step's
		 * own cause, or say that one gave up */
		s->failed = true;
		if (!s->last_error[0])
			snprintf(s->last_error, sizeof(s->last_error),
				 "a step of the transaction gave up and was rolled back");
		return;
	}
	exec(s, "ROLLBACK");
}

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

int ecsfs_store_file_get(ecsfs_store *s, const char *dir, const char *name, ecsfs_file_meta *meta,
			 ecsfs_buf *data)
{
	sqlite3_stmt *st = stmt(s, "SELECT kind, mode, uid, gid, mtime_ns, length(data), data "
				   "FROM files WHERE dir = ?1 AND name = ?2");
	int rc, r = 0;
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, dir, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (meta)
			meta_from_row(st, 0, meta);
		if (data) {
			ecsfs_buf_reset(data);
			ecsfs_buf_add(data, sqlite3_column_blob(st, 6),
				      (size_t)sqlite3_column_bytes(st, 6));
		}
	} else if (rc == SQLITE_DONE) {
		r = -ENOENT;
	} else {
		r = fault(s, rc, "file_get");
	}
	sqlite3_reset(st);
	return r;
}

int ecsfs_store_file_put(ecsfs_store *s, const char *dir, const char *name,
			 const ecsfs_file_meta *meta, const void *data, size_t len)
{
	sqlite3_stmt *st = stmt(s, "INSERT OR REPLACE INTO files "
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
	return step_done(s, st, "file_put");
}

int ecsfs_store_file_set_meta(ecsfs_store *s, const char *dir, const char *name,
			      const ecsfs_file_meta *meta)
{
	sqlite3_stmt *st = stmt(s, "UPDATE files SET mode = ?3, uid = ?4, gid = ?5, mtime_ns = ?6 "
				   "WHERE dir = ?1 AND name = ?2");
	int r;
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, dir, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, (int)(meta->mode & 07777));
	sqlite3_bind_int64(st, 4, meta->uid);
	sqlite3_bind_int64(st, 5, meta->gid);
	sqlite3_bind_int64(st, 6, meta->mtime_ns);
	if ((r = step_done(s, st, "file_set_meta")) < 0)
		return r;
	return sqlite3_changes(s->db) ? 0 : -ENOENT;
}

int ecsfs_store_file_delete(ecsfs_store *s, const char *dir, const char *name)
{
	sqlite3_stmt *st = stmt(s, "DELETE FROM files WHERE dir = ?1 AND name = ?2");
	int r;
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, dir, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	if ((r = step_done(s, st, "file_delete")) < 0)
		return r;
	return sqlite3_changes(s->db) ? 0 : -ENOENT;
}

int ecsfs_store_file_delete_tree(ecsfs_store *s, const char *dir)
{
	/* dir itself, and everything below "dir/" (a range scan on the key) */
	sqlite3_stmt *st = stmt(s, "DELETE FROM files WHERE dir = ?1 OR "
				   "(dir >= ?1 || '/' AND dir < ?1 || '0')");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, dir, -1, SQLITE_STATIC);
	return step_done(s, st, "file_delete_tree");
}

int ecsfs_store_file_rename(ecsfs_store *s, const char *dir, const char *name, const char *newdir,
			    const char *newname)
{
	sqlite3_stmt *del = stmt(s, "DELETE FROM files WHERE dir = ?1 AND name = ?2");
	int r;
	if (!del)
		return -EIO;
	if ((r = ecsfs_store_begin(s)) < 0)
		return r;
	sqlite3_bind_text(del, 1, newdir, -1, SQLITE_STATIC);
	sqlite3_bind_text(del, 2, newname, -1, SQLITE_STATIC);
	if ((r = step_done(s, del, "file_rename")) < 0)
		goto fail;
	sqlite3_stmt *up = stmt(s, "UPDATE files SET dir = ?3, name = ?4 "
				   "WHERE dir = ?1 AND name = ?2");
	if (!up) {
		r = -EIO;
		goto fail;
	}
	sqlite3_bind_text(up, 1, dir, -1, SQLITE_STATIC);
	sqlite3_bind_text(up, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(up, 3, newdir, -1, SQLITE_STATIC);
	sqlite3_bind_text(up, 4, newname, -1, SQLITE_STATIC);
	if ((r = step_done(s, up, "file_rename")) < 0)
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
	sqlite3_stmt *st = stmt(s, "SELECT name, kind, mode, uid, gid, mtime_ns, length(data) "
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
		items[n].name = strdup((const char *)sqlite3_column_text(st, 0));
		meta_from_row(st, 1, &items[n].meta);
		n++;
	}
	if (rc != SQLITE_DONE)
		r = fault(s, rc, "file_list");
	sqlite3_reset(st);
	for (size_t i = 0; i < n; i++) {
		if (r == 0)
			r = cb(data, items[i].name, &items[i].meta);
		free(items[i].name);
	}
	free(items);
	return r < 0 ? r : 0;
}

int ecsfs_store_file_count(ecsfs_store *s, const char *dir, int kind, uint64_t *count,
			   uint64_t *bytes)
{
	sqlite3_stmt *st = stmt(s, "SELECT count(*), coalesce(sum(length(data)), 0) FROM files "
				   "WHERE dir = ?1 AND (?2 = 0 OR kind = ?2)");
	int rc;
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, dir, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, kind);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return fault(s, rc, "file_count");
	}
	if (count)
		*count = (uint64_t)sqlite3_column_int64(st, 0);
	if (bytes)
		*bytes = (uint64_t)sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	return 0;
}

int ecsfs_store_file_count_tree(ecsfs_store *s, const char *dir, uint64_t *count)
{
	sqlite3_stmt *st = stmt(s, "SELECT count(*) FROM files WHERE kind != 3 AND (dir = ?1 OR "
				   "(dir >= ?1 || '/' AND dir < ?1 || '0'))");
	int rc;
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, dir, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	*count = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : fault(s, rc, "file_count_tree");
}

/* ---- clusters ---- */

void ecsfs_cluster_row_init(ecsfs_cluster_row *row)
{
	memset(row, 0, sizeof(*row));
	ecsfs_buf_init(&row->settings);
}

void ecsfs_cluster_row_release(ecsfs_cluster_row *row)
{
	ecsfs_buf_release(&row->settings);
}

int ecsfs_store_cluster_insert(ecsfs_store *s, const char *name, int64_t created_ns)
{
	sqlite3_stmt *st = stmt(s, "INSERT INTO clusters (name, created_ns) VALUES (?1, ?2)");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, created_ns);
	return step_done(s, st, "cluster_insert");
}

int ecsfs_store_cluster_get(ecsfs_store *s, const char *name, ecsfs_cluster_row *row)
{
	sqlite3_stmt *st = stmt(s, "SELECT name, created_ns, settings FROM clusters "
				   "WHERE name = ?1");
	int rc, r = 0;
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (row) {
			snprintf(row->name, sizeof(row->name), "%s", sqlite3_column_text(st, 0));
			row->created_ns = sqlite3_column_int64(st, 1);
			ecsfs_buf_reset(&row->settings);
			if (sqlite3_column_type(st, 2) != SQLITE_NULL)
				ecsfs_buf_adds(&row->settings,
					       (const char *)sqlite3_column_text(st, 2));
		}
	} else if (rc == SQLITE_DONE) {
		r = -ENOENT;
	} else {
		r = fault(s, rc, "cluster_get");
	}
	sqlite3_reset(st);
	return r;
}

bool ecsfs_store_cluster_exists(ecsfs_store *s, const char *name)
{
	return ecsfs_store_cluster_get(s, name, NULL) == 0;
}

int ecsfs_store_cluster_set_settings(ecsfs_store *s, const char *name, const char *canonical)
{
	sqlite3_stmt *st = stmt(s, "UPDATE clusters SET settings = ?2 WHERE name = ?1");
	int r;
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (canonical)
		sqlite3_bind_text(st, 2, canonical, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 2);
	if ((r = step_done(s, st, "cluster_set_settings")) < 0)
		return r;
	return sqlite3_changes(s->db) ? 0 : -ENOENT;
}

int ecsfs_store_cluster_delete(ecsfs_store *s, const char *name)
{
	sqlite3_stmt *st = stmt(s, "DELETE FROM clusters WHERE name = ?1");
	int r;
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if ((r = step_done(s, st, "cluster_delete")) < 0)
		return r;
	return sqlite3_changes(s->db) ? 0 : -ENOENT;
}

int ecsfs_store_cluster_set_deleting(ecsfs_store *s, const char *name, bool on)
{
	sqlite3_stmt *st = stmt(s, "UPDATE clusters SET deleting = ?2 WHERE name = ?1");
	int r;
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, on);
	if ((r = step_done(s, st, "cluster_set_deleting")) < 0)
		return r;
	return sqlite3_changes(s->db) ? 0 : -ENOENT;
}

bool ecsfs_store_cluster_deleting(ecsfs_store *s, const char *name)
{
	sqlite3_stmt *st = stmt(s, "SELECT deleting FROM clusters WHERE name = ?1");
	bool on = false;
	if (!st)
		return false;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		on = sqlite3_column_int(st, 0) != 0;
	sqlite3_reset(st);
	return on;
}

/* Collect a column of names first, so callbacks may use the store. */
static int list_names(ecsfs_store *s, sqlite3_stmt *st, ecsfs_store_name_cb cb, void *data)
{
	char **names = NULL;
	size_t n = 0, alloc = 0;
	int rc, r = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 16;
			names = realloc(names, alloc * sizeof(*names));
			if (!names)
				abort();
		}
		names[n++] = strdup((const char *)sqlite3_column_text(st, 0));
	}
	if (rc != SQLITE_DONE)
		r = fault(s, rc, "list");
	sqlite3_reset(st);
	for (size_t i = 0; i < n; i++) {
		if (r == 0)
			r = cb(data, names[i]);
		free(names[i]);
	}
	free(names);
	return r < 0 ? r : 0;
}

int ecsfs_store_cluster_list(ecsfs_store *s, ecsfs_store_name_cb cb, void *data)
{
	sqlite3_stmt *st = stmt(s, "SELECT name FROM clusters ORDER BY name");
	if (!st)
		return -EIO;
	return list_names(s, st, cb, data);
}

int ecsfs_store_cluster_list_deleting(ecsfs_store *s, ecsfs_store_name_cb cb, void *data)
{
	sqlite3_stmt *st = stmt(s, "SELECT name FROM clusters WHERE deleting != 0 ORDER BY name");
	if (!st)
		return -EIO;
	return list_names(s, st, cb, data);
}

/* ---- journals ---- */

static int journal_head(ecsfs_store *s, const char *stream, int64_t *base, int64_t *end,
			int64_t *mtime)
{
	sqlite3_stmt *st = stmt(s, "SELECT base, end_off, mtime_ns FROM journal_head "
				   "WHERE stream = ?1");
	int rc;
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, stream, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*base = sqlite3_column_int64(st, 0);
		*end = sqlite3_column_int64(st, 1);
		*mtime = sqlite3_column_int64(st, 2);
	} else if (rc == SQLITE_DONE) {
		*base = *end = *mtime = 0;
	} else {
		sqlite3_reset(st);
		return fault(s, rc, "journal_head");
	}
	sqlite3_reset(st);
	return 0;
}

/* Drop the oldest lines so that about half of the limit remains. */
static int journal_trim(ecsfs_store *s, const char *stream, int64_t end)
{
	sqlite3_stmt *st = stmt(s, "SELECT min(off) FROM journal WHERE stream = ?1 AND off >= ?2");
	int64_t base;
	int rc, r;
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, stream, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, end - (int64_t)(ECSFS_JOURNAL_MAX / 2));
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return fault(s, rc, "journal_trim");
	}
	base = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	st = stmt(s, "DELETE FROM journal WHERE stream = ?1 AND off < ?2");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, stream, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, base);
	if ((r = step_done(s, st, "journal_trim")) < 0)
		return r;
	st = stmt(s, "UPDATE journal_head SET base = ?2 WHERE stream = ?1");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, stream, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, base);
	return step_done(s, st, "journal_trim");
}

int ecsfs_store_journal_append(ecsfs_store *s, const char *stream, const char *line)
{
	int64_t base, end, mtime, now = ecsfs_now_ns();
	size_t len = strlen(line);
	sqlite3_stmt *st;
	int r;

	if ((r = ecsfs_store_begin(s)) < 0)
		return r;
	if ((r = journal_head(s, stream, &base, &end, &mtime)) < 0)
		goto fail;
	st = stmt(s, "INSERT INTO journal (stream, off, at_ns, line) VALUES (?1, ?2, ?3, ?4)");
	if (!st) {
		r = -EIO;
		goto fail;
	}
	char *nl = malloc(len + 1);
	if (!nl)
		abort();
	memcpy(nl, line, len);
	nl[len] = '\n';
	sqlite3_bind_text(st, 1, stream, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, end);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_blob(st, 4, nl, (int)len + 1, SQLITE_STATIC);
	r = step_done(s, st, "journal_append");
	free(nl);
	if (r < 0)
		goto fail;
	end += (int64_t)len + 1;
	st = stmt(s, "INSERT OR REPLACE INTO journal_head (stream, base, end_off, mtime_ns) "
		     "VALUES (?1, ?2, ?3, ?4)");
	if (!st) {
		r = -EIO;
		goto fail;
	}
	sqlite3_bind_text(st, 1, stream, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, base);
	sqlite3_bind_int64(st, 3, end);
	sqlite3_bind_int64(st, 4, now);
	if ((r = step_done(s, st, "journal_append")) < 0)
		goto fail;
	if (end - base > (int64_t)ECSFS_JOURNAL_MAX && (r = journal_trim(s, stream, end)) < 0)
		goto fail;
	return ecsfs_store_commit(s);
fail:
	ecsfs_store_rollback(s);
	return r;
}

int ecsfs_store_journal_stat(ecsfs_store *s, const char *stream, uint64_t *size, int64_t *mtime_ns)
{
	int64_t base, end, mtime;
	int r = journal_head(s, stream, &base, &end, &mtime);
	if (r < 0)
		return r;
	*size = (uint64_t)(end - base);
	*mtime_ns = mtime;
	return 0;
}

int ecsfs_store_journal_read(ecsfs_store *s, const char *stream, uint64_t off, size_t len,
			     ecsfs_buf *out)
{
	int64_t base, end, mtime, want;
	sqlite3_stmt *st;
	int rc, r;

	if ((r = journal_head(s, stream, &base, &end, &mtime)) < 0)
		return r;
	/* compare before adding: an offset near 2^63 must not wrap */
	if (off >= (uint64_t)(end - base) || len == 0)
		return 0;
	want = base + (int64_t)off;
	/* start at the line holding `want`: the last one that begins at or before it */
	st = stmt(s, "SELECT off, line FROM journal WHERE stream = ?1 AND off >= "
		     "(SELECT coalesce(max(off), 0) FROM journal WHERE stream = ?1 AND off <= ?2) "
		     "ORDER BY off");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, stream, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, want);
	while (len > 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t loff = sqlite3_column_int64(st, 0);
		const char *line = sqlite3_column_blob(st, 1);
		int64_t llen = sqlite3_column_bytes(st, 1);
		int64_t skip = want > loff ? want - loff : 0;
		if (skip >= llen)
			continue;
		size_t take = (size_t)(llen - skip);
		if (take > len)
			take = len;
		ecsfs_buf_add(out, line + skip, take);
		len -= take;
		want += (int64_t)take;
	}
	sqlite3_reset(st);
	return 0;
}

int ecsfs_store_journal_tail(ecsfs_store *s, const char *stream, int n, ecsfs_store_line_cb cb,
			     void *data)
{
	sqlite3_stmt *st = stmt(s, "SELECT at_ns, line FROM (SELECT off, at_ns, line FROM journal "
				   "WHERE stream = ?1 ORDER BY off DESC LIMIT ?2) ORDER BY off");
	ecsfs_buf lines = ECSFS_BUF_INIT;
	int64_t *ats = NULL;
	size_t count = 0;
	int rc, r = 0;

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, stream, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, n);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ats = realloc(ats, (count + 1) * sizeof(*ats));
		if (!ats)
			abort();
		ats[count++] = sqlite3_column_int64(st, 0);
		const char *line = sqlite3_column_blob(st, 1);
		int len = sqlite3_column_bytes(st, 1);
		/* stored with its '\n'; hand out NUL-separated strings */
		ecsfs_buf_add(&lines, line, len > 0 ? (size_t)len - 1 : 0);
		ecsfs_buf_addch(&lines, '\0');
	}
	if (rc != SQLITE_DONE)
		r = fault(s, rc, "journal_tail");
	sqlite3_reset(st);
	const char *p = lines.data;
	for (size_t i = 0; r == 0 && i < count; i++) {
		r = cb(data, ats[i], p);
		p += strlen(p) + 1;
	}
	free(ats);
	ecsfs_buf_release(&lines);
	return r < 0 ? r : 0;
}

int ecsfs_store_journal_drop(ecsfs_store *s, const char *stream)
{
	sqlite3_stmt *st;
	int r;
	if ((r = ecsfs_store_begin(s)) < 0)
		return r;
	st = stmt(s, "DELETE FROM journal WHERE stream = ?1");
	if (!st) {
		r = -EIO;
		goto fail;
	}
	sqlite3_bind_text(st, 1, stream, -1, SQLITE_STATIC);
	if ((r = step_done(s, st, "journal_drop")) < 0)
		goto fail;
	st = stmt(s, "DELETE FROM journal_head WHERE stream = ?1");
	if (!st) {
		r = -EIO;
		goto fail;
	}
	sqlite3_bind_text(st, 1, stream, -1, SQLITE_STATIC);
	if ((r = step_done(s, st, "journal_drop")) < 0)
		goto fail;
	return ecsfs_store_commit(s);
fail:
	ecsfs_store_rollback(s);
	return r;
}

/* ---- secrets ---- */

int ecsfs_store_secret_put(ecsfs_store *s, const char *name, const void *value, size_t len)
{
	sqlite3_stmt *st = stmt(s, "INSERT OR REPLACE INTO secrets (name, value, updated_ns) "
				   "VALUES (?1, ?2, ?3)");
	if (!st)
		return -EIO;
	if (len > ECSFS_SECRET_MAX)
		return -EFBIG;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, len ? value : "", (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, ecsfs_now_ns());
	return step_done(s, st, "secret_put");
}

int ecsfs_store_secret_get(ecsfs_store *s, const char *name, ecsfs_buf *value, int64_t *updated_ns)
{
	sqlite3_stmt *st = stmt(s, "SELECT value, updated_ns FROM secrets WHERE name = ?1");
	int rc, r = 0;
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (value) {
			ecsfs_buf_reset(value);
			ecsfs_buf_add(value, sqlite3_column_blob(st, 0),
				      (size_t)sqlite3_column_bytes(st, 0));
		}
		if (updated_ns)
			*updated_ns = sqlite3_column_int64(st, 1);
	} else if (rc == SQLITE_DONE) {
		r = -ENOENT;
	} else {
		r = fault(s, rc, "secret_get");
	}
	sqlite3_reset(st);
	return r;
}

int ecsfs_store_secret_delete(ecsfs_store *s, const char *name)
{
	sqlite3_stmt *st = stmt(s, "DELETE FROM secrets WHERE name = ?1");
	int r;
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if ((r = step_done(s, st, "secret_delete")) < 0)
		return r;
	return sqlite3_changes(s->db) ? 0 : -ENOENT;
}

int ecsfs_store_secret_list(ecsfs_store *s, ecsfs_store_name_cb cb, void *data)
{
	sqlite3_stmt *st = stmt(s, "SELECT name FROM secrets ORDER BY name");
	if (!st)
		return -EIO;
	return list_names(s, st, cb, data);
}

/* ---- task definitions ---- */

void ecsfs_taskdef_row_init(ecsfs_taskdef_row *row)
{
	memset(row, 0, sizeof(*row));
	ecsfs_buf_init(&row->canonical);
	ecsfs_buf_init(&row->source);
}

void ecsfs_taskdef_row_release(ecsfs_taskdef_row *row)
{
	ecsfs_buf_release(&row->canonical);
	ecsfs_buf_release(&row->source);
}

int ecsfs_store_taskdef_last_revision(ecsfs_store *s, const char *family, int64_t *rev)
{
	sqlite3_stmt *st = stmt(s, "SELECT last_revision FROM families WHERE name = ?1");
	int rc;
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, family, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	*rev = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fault(s, rc, "taskdef_last_revision");
}

int ecsfs_store_taskdef_insert(ecsfs_store *s, const char *family, int64_t rev,
			       int64_t registered_ns, const char *canonical, const void *source,
			       size_t len)
{
	sqlite3_stmt *st;
	int r;

	if ((r = ecsfs_store_begin(s)) < 0)
		return r;
	st = stmt(s, "INSERT INTO taskdefs (family, revision, active, registered_ns, canonical, "
		     "source) VALUES (?1, ?2, 1, ?3, ?4, ?5)");
	if (!st) {
		r = -EIO;
		goto fail;
	}
	sqlite3_bind_text(st, 1, family, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, rev);
	sqlite3_bind_int64(st, 3, registered_ns);
	sqlite3_bind_text(st, 4, canonical, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, len ? source : "", (int)len, SQLITE_STATIC);
	if ((r = step_done(s, st, "taskdef_insert")) < 0)
		goto fail;
	st = stmt(s, "INSERT INTO families (name, last_revision, active_count) VALUES (?1, ?2, 1) "
		     "ON CONFLICT (name) DO UPDATE SET last_revision = ?2, "
		     "active_count = active_count + 1");
	if (!st) {
		r = -EIO;
		goto fail;
	}
	sqlite3_bind_text(st, 1, family, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, rev);
	if ((r = step_done(s, st, "taskdef_insert")) < 0)
		goto fail;
	return ecsfs_store_commit(s);
fail:
	ecsfs_store_rollback(s);
	return r;
}

static void taskdef_from_row(sqlite3_stmt *st, ecsfs_taskdef_row *row)
{
	row->revision = sqlite3_column_int64(st, 0);
	row->active = sqlite3_column_int(st, 1) != 0;
	row->registered_ns = sqlite3_column_int64(st, 2);
	row->deregistered_ns = sqlite3_column_int64(st, 3);
	ecsfs_buf_reset(&row->canonical);
	ecsfs_buf_adds(&row->canonical, (const char *)sqlite3_column_text(st, 4));
	ecsfs_buf_reset(&row->source);
	ecsfs_buf_add(&row->source, sqlite3_column_blob(st, 5),
		      (size_t)sqlite3_column_bytes(st, 5));
}

int ecsfs_store_taskdef_get(ecsfs_store *s, const char *family, int64_t rev, ecsfs_taskdef_row *row)
{
	/* rev 0: the newest ACTIVE revision */
	sqlite3_stmt *st =
	    rev ? stmt(s, "SELECT revision, active, registered_ns, deregistered_ns, canonical, "
			  "source FROM taskdefs WHERE family = ?1 AND revision = ?2")
		: stmt(s, "SELECT revision, active, registered_ns, deregistered_ns, canonical, "
			  "source FROM taskdefs WHERE active = 1 AND family = ?1 "
			  "ORDER BY revision DESC LIMIT 1");
	int rc, r = 0;
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, family, -1, SQLITE_STATIC);
	if (rev)
		sqlite3_bind_int64(st, 2, rev);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (row)
			taskdef_from_row(st, row);
	} else if (rc == SQLITE_DONE) {
		r = -ENOENT;
	} else {
		r = fault(s, rc, "taskdef_get");
	}
	sqlite3_reset(st);
	return r;
}

int ecsfs_store_taskdef_deactivate(ecsfs_store *s, const char *family, int64_t rev, int64_t now)
{
	/* rev 0: every ACTIVE revision of the family */
	sqlite3_stmt *st =
	    stmt(s, "UPDATE taskdefs SET active = 0, deregistered_ns = ?3 "
		    "WHERE family = ?1 AND active = 1 AND (?2 = 0 OR revision = ?2)");
	int r;
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, family, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, rev);
	sqlite3_bind_int64(st, 3, now);
	if ((r = step_done(s, st, "taskdef_deactivate")) < 0)
		return r;
	int changed = sqlite3_changes(s->db);
	if (!changed)
		return -ENOENT;
	/* keep the count that makes listing families independent of revisions */
	st =
	    stmt(s, "UPDATE families SET active_count = max(active_count - ?2, 0) WHERE name = ?1");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, family, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, changed);
	return step_done(s, st, "taskdef_deactivate");
}

int ecsfs_store_taskdef_families(ecsfs_store *s, ecsfs_store_name_cb cb, void *data)
{
	/* list-task-definition-families: those with an ACTIVE revision */
	sqlite3_stmt *st =
	    stmt(s, "SELECT name FROM families WHERE active_count > 0 ORDER BY name");
	if (!st)
		return -EIO;
	return list_names(s, st, cb, data);
}

int ecsfs_store_taskdef_revisions(ecsfs_store *s, const char *family, ecsfs_store_rev_cb cb,
				  void *data)
{
	sqlite3_stmt *st = stmt(s, "SELECT revision FROM taskdefs WHERE active = 1 AND family = ?1 "
				   "ORDER BY revision");
	int64_t *revs = NULL;
	size_t n = 0, alloc = 0;
	int rc, r = 0;
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, family, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 64;
			revs = realloc(revs, alloc * sizeof(*revs));
			if (!revs)
				abort();
		}
		revs[n++] = sqlite3_column_int64(st, 0);
	}
	if (rc != SQLITE_DONE)
		r = fault(s, rc, "taskdef_revisions");
	sqlite3_reset(st);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = cb(data, revs[i]);
	free(revs);
	return r < 0 ? r : 0;
}

int ecsfs_store_taskdef_count_families(ecsfs_store *s, uint64_t *n)
{
	sqlite3_stmt *st = stmt(s, "SELECT count(*) FROM families");
	int rc;
	if (!st)
		return -EIO;
	rc = sqlite3_step(st);
	*n = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : fault(s, rc, "taskdef_count_families");
}

/* ---- deferred deletions ---- */

int ecsfs_store_deferred_put(ecsfs_store *s, const char *path, int64_t due_ns)
{
	sqlite3_stmt *st =
	    stmt(s, "INSERT OR REPLACE INTO deferred (path, due_ns) VALUES (?1, ?2)");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, due_ns);
	return step_done(s, st, "deferred_put");
}

int ecsfs_store_deferred_delete(ecsfs_store *s, const char *path)
{
	sqlite3_stmt *st = stmt(s, "DELETE FROM deferred WHERE path = ?1");
	int r;
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	if ((r = step_done(s, st, "deferred_delete")) < 0)
		return r;
	return sqlite3_changes(s->db) ? 0 : -ENOENT;
}

int ecsfs_store_deferred_due(ecsfs_store *s, int64_t now_ns, ecsfs_store_name_cb cb, void *data)
{
	sqlite3_stmt *st = stmt(s, "SELECT path FROM deferred WHERE due_ns <= ?1 ORDER BY path");
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, now_ns);
	return list_names(s, st, cb, data);
}

/* ---- tasks ---- */

int ecsfs_store_task_put(ecsfs_store *s, const char *id, const char *cluster, int64_t created_ns,
			 int64_t stopped_ns, const char *state)
{
	sqlite3_stmt *st = stmt(s, "INSERT OR REPLACE INTO tasks (id, cluster, created_ns, "
				   "stopped_ns, state) VALUES (?1, ?2, ?3, ?4, ?5)");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, cluster, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, created_ns);
	sqlite3_bind_int64(st, 4, stopped_ns);
	sqlite3_bind_text(st, 5, state, -1, SQLITE_STATIC);
	return step_done(s, st, "task_put");
}

int ecsfs_store_task_delete(ecsfs_store *s, const char *id)
{
	sqlite3_stmt *st = stmt(s, "DELETE FROM tasks WHERE id = ?1");
	int r;
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((r = step_done(s, st, "task_delete")) < 0)
		return r;
	return sqlite3_changes(s->db) ? 0 : -ENOENT;
}

int ecsfs_store_task_load(ecsfs_store *s, ecsfs_store_task_cb cb, void *data)
{
	sqlite3_stmt *st = stmt(s, "SELECT id, cluster, state FROM tasks ORDER BY created_ns, id");
	int rc, r = 0;
	if (!st)
		return -EIO;
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
		r = cb(data, (const char *)sqlite3_column_text(st, 0),
		       (const char *)sqlite3_column_text(st, 1),
		       (const char *)sqlite3_column_text(st, 2));
	if (r == 0 && rc != SQLITE_DONE)
		r = fault(s, rc, "task_load");
	sqlite3_reset(st);
	return r < 0 ? r : 0;
}

int ecsfs_store_task_count(ecsfs_store *s, const char *cluster, bool running, uint64_t *n)
{
	sqlite3_stmt *st = stmt(s, "SELECT count(*) FROM tasks WHERE cluster = ?1 AND "
				   "(?2 = 0 OR stopped_ns = 0)");
	int rc;
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, cluster, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, running);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return fault(s, rc, "task_count");
	}
	*n = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}

int ecsfs_store_task_delete_cluster(ecsfs_store *s, const char *cluster)
{
	sqlite3_stmt *st = stmt(s, "DELETE FROM tasks WHERE cluster = ?1");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, cluster, -1, SQLITE_STATIC);
	return step_done(s, st, "task_delete_cluster");
}

/* ---- meta: single values of the state directory ---- */

int ecsfs_store_meta_get(ecsfs_store *s, const char *key, ecsfs_buf *value)
{
	sqlite3_stmt *st = stmt(s, "SELECT value FROM meta WHERE key = ?1");
	int rc;
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		ecsfs_buf_add(value, sqlite3_column_text(st, 0),
			      (size_t)sqlite3_column_bytes(st, 0));
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? -ENOENT : fault(s, rc, "meta_get");
}

int ecsfs_store_meta_put(ecsfs_store *s, const char *key, const char *value)
{
	sqlite3_stmt *st = stmt(s, "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	return step_done(s, st, "meta_put");
}

/* ---- services ---- */

int ecsfs_store_service_put(ecsfs_store *s, const char *cluster, const char *name,
			    const char *state)
{
	sqlite3_stmt *st =
	    stmt(s, "INSERT OR REPLACE INTO services (cluster, name, state) VALUES (?1, ?2, ?3)");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, cluster, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, state, -1, SQLITE_STATIC);
	return step_done(s, st, "service_put");
}

int ecsfs_store_service_get(ecsfs_store *s, const char *cluster, const char *name, ecsfs_buf *state)
{
	sqlite3_stmt *st = stmt(s, "SELECT state FROM services WHERE cluster = ?1 AND name = ?2");
	int rc;
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, cluster, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && state)
		ecsfs_buf_add(state, sqlite3_column_text(st, 0),
			      (size_t)sqlite3_column_bytes(st, 0));
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? -ENOENT : fault(s, rc, "service_get");
}

int ecsfs_store_service_delete(ecsfs_store *s, const char *cluster, const char *name)
{
	sqlite3_stmt *st = stmt(s, "DELETE FROM services WHERE cluster = ?1 AND name = ?2");
	int r;
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, cluster, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	if ((r = step_done(s, st, "service_delete")) < 0)
		return r;
	return sqlite3_changes(s->db) ? 0 : -ENOENT;
}

int ecsfs_store_service_list(ecsfs_store *s, const char *cluster, ecsfs_store_name_cb cb,
			     void *data)
{
	sqlite3_stmt *st = stmt(s, "SELECT name FROM services WHERE cluster = ?1 ORDER BY name");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, cluster, -1, SQLITE_STATIC);
	return list_names(s, st, cb, data);
}

int ecsfs_store_service_list_all(ecsfs_store *s, ecsfs_store_name_cb cb, void *data)
{
	/* "cluster/name": neither may hold a '/' */
	sqlite3_stmt *st =
	    stmt(s, "SELECT cluster || '/' || name FROM services ORDER BY cluster, name");
	if (!st)
		return -EIO;
	return list_names(s, st, cb, data);
}

int ecsfs_store_service_count(ecsfs_store *s, const char *cluster, uint64_t *n)
{
	sqlite3_stmt *st = stmt(s, "SELECT count(*) FROM services WHERE cluster = ?1");
	int rc;
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, cluster, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return fault(s, rc, "service_count");
	}
	*n = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}

/* ---- ELBv2 documents ---- */

int ecsfs_store_elb_put(ecsfs_store *s, const char *kind, const char *name, int64_t created_ns,
			const char *doc)
{
	sqlite3_stmt *st = stmt(s, "INSERT OR REPLACE INTO elb (kind, name, created_ns, doc) "
				   "VALUES (?1, ?2, ?3, ?4)");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, created_ns);
	sqlite3_bind_text(st, 4, doc, -1, SQLITE_STATIC);
	return step_done(s, st, "elb_put");
}

int ecsfs_store_elb_get(ecsfs_store *s, const char *kind, const char *name, int64_t *created_ns,
			ecsfs_buf *doc)
{
	sqlite3_stmt *st = stmt(s, "SELECT created_ns, doc FROM elb WHERE kind = ?1 AND name = ?2");
	int rc;
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (created_ns)
			*created_ns = sqlite3_column_int64(st, 0);
		if (doc)
			ecsfs_buf_add(doc, sqlite3_column_text(st, 1),
				      (size_t)sqlite3_column_bytes(st, 1));
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? -ENOENT : fault(s, rc, "elb_get");
}

int ecsfs_store_elb_delete(ecsfs_store *s, const char *kind, const char *name)
{
	sqlite3_stmt *st = stmt(s, "DELETE FROM elb WHERE kind = ?1 AND name = ?2");
	int r;
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	if ((r = step_done(s, st, "elb_delete")) < 0)
		return r;
	return sqlite3_changes(s->db) ? 0 : -ENOENT;
}

int ecsfs_store_elb_list(ecsfs_store *s, const char *kind, ecsfs_store_name_cb cb, void *data)
{
	sqlite3_stmt *st = stmt(s, "SELECT name FROM elb WHERE kind = ?1 ORDER BY name");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	return list_names(s, st, cb, data);
}
