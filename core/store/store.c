/*
 * The store: every SQL statement of ecsfs lives in core/store/. This file
 * opens the database, migrates its schema and runs transactions;
 * store_files.c holds the spec tree's files and deferred deletions,
 * store_journal.c the append-only journals, store_rows.c the rows of each
 * kind of object (clusters, task definitions, tasks, services, secrets,
 * ELBv2 documents).
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ecsfs/store.h"
#include "ecsfs/util.h"
#include "store/store_private.h"

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
    /* 7: tags by ARN (core/model/tag.c), account settings (account.c), task
     * definitions marked by DeleteTaskDefinitions (taskdef_list.c); IF NOT
     * EXISTS: a store set back to an older version keeps them */
    "CREATE TABLE IF NOT EXISTS tags ("
    "  arn TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  pos INTEGER NOT NULL,"
    "  PRIMARY KEY (arn, key)"
    ") WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS account_settings ("
    "  name TEXT NOT NULL,"
    "  principal TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  PRIMARY KEY (name, principal)"
    ") WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS taskdefs_deleted ("
    "  family TEXT NOT NULL,"
    "  revision INTEGER NOT NULL,"
    "  deleted_ns INTEGER NOT NULL,"
    "  PRIMARY KEY (family, revision)"
    ") WITHOUT ROWID;",
    /* 8: clusters deleted within the hour, which DescribeClusters shows
     * INACTIVE (core/model/cluster.c) */
    "CREATE TABLE IF NOT EXISTS clusters_deleted ("
    "  name TEXT PRIMARY KEY,"
    "  deleted_ns INTEGER NOT NULL,"
    "  settings TEXT"
    ") WITHOUT ROWID;",
    /* 9: services deleted within the hour, as DescribeServices shows them
     * (INACTIVE) until they are forgotten (core/model/service.c) */
    "CREATE TABLE IF NOT EXISTS services_gone ("
    "  cluster TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  deleted_ns INTEGER NOT NULL,"
    "  doc TEXT NOT NULL,"
    "  PRIMARY KEY (cluster, name)"
    ") WITHOUT ROWID;",
    /* 10: schedules in effect (core/model/schedule.c) and the record of
     * every fire (core/control/schedule_fire.c): a fire's row is written
     * before its tasks start */
    "CREATE TABLE IF NOT EXISTS schedules ("
    "  cluster TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  created_ns INTEGER NOT NULL,"
    "  updated_ns INTEGER NOT NULL,"
    "  cursor_ms INTEGER NOT NULL,"
    "  doc TEXT NOT NULL,"
    "  PRIMARY KEY (cluster, name)"
    ") WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS schedule_fires ("
    "  cluster TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  due_ms INTEGER NOT NULL,"
    "  run_ms INTEGER NOT NULL,"
    "  actual_ms INTEGER NOT NULL,"
    "  state INTEGER NOT NULL,"
    "  attempts INTEGER NOT NULL,"
    "  tasks TEXT NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  PRIMARY KEY (cluster, name, due_ms)"
    ") WITHOUT ROWID;",
    /* 11: scalable targets of services with their policies and scheduled
     * actions (core/model/scaling.c), and the activities of the
     * autoscaler (core/control/autoscale.c) */
    "CREATE TABLE IF NOT EXISTS scaling_targets ("
    "  cluster TEXT NOT NULL,"
    "  service TEXT NOT NULL,"
    "  created_ns INTEGER NOT NULL,"
    "  doc TEXT NOT NULL,"
    "  PRIMARY KEY (cluster, service)"
    ") WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS scaling_activities ("
    "  cluster TEXT NOT NULL,"
    "  service TEXT NOT NULL,"
    "  start_ns INTEGER NOT NULL,"
    "  doc TEXT NOT NULL,"
    "  PRIMARY KEY (cluster, service, start_ns)"
    ") WITHOUT ROWID;",
    /* 12: EventBridge rules of the default bus (core/model/schedule_rule.c);
     * a rule's ECS target is a schedule of the rule's name */
    "CREATE TABLE IF NOT EXISTS event_rules ("
    "  name TEXT PRIMARY KEY,"
    "  created_ns INTEGER NOT NULL,"
    "  doc TEXT NOT NULL"
    ") WITHOUT ROWID;",
    /* 13: container instances (core/model/instance.c): the registered
     * ones with their spec document, and `local` (doc NULL) once its
     * status or attributes changed */
    "CREATE TABLE IF NOT EXISTS instances ("
    "  cluster TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  registered_ns INTEGER NOT NULL,"
    "  status TEXT NOT NULL,"
    "  attrs TEXT NOT NULL,"
    "  doc TEXT,"
    "  PRIMARY KEY (cluster, name)"
    ") WITHOUT ROWID;",
    /* 14: the traffic split a service's deployment strategy puts on a
     * listener rule (core/control/strategy.c writes it, the load-balancer
     * controller applies it on top of the rule of the spec) */
    "CREATE TABLE IF NOT EXISTS lb_traffic ("
    "  rule TEXT PRIMARY KEY,"
    "  owner TEXT NOT NULL,"
    "  forward TEXT NOT NULL"
    ") WITHOUT ROWID;",
    /* 15: what a new revision and a new scratch file look up without
     * reading every row's text. A service's task-definition names: every
     * text under a "family" or "taskDefinition" key of its state, blank
     * separated, kept by triggers whatever writes the state (an insert
     * sets the state again, which the update trigger follows). The files
     * of a directory by kind: the rows of `files` hold their data. */
    "ALTER TABLE services ADD COLUMN names TEXT NOT NULL DEFAULT '';"
    "CREATE TRIGGER IF NOT EXISTS services_names AFTER UPDATE OF state ON services BEGIN"
    "  UPDATE services SET names = coalesce((SELECT group_concat(value, ' ')"
    "    FROM json_tree(NEW.state) WHERE key IN ('family', 'taskDefinition')"
    "    AND type = 'text'), '')"
    "  WHERE cluster = NEW.cluster AND name = NEW.name;"
    "END;"
    "CREATE TRIGGER IF NOT EXISTS services_names_new AFTER INSERT ON services BEGIN"
    "  UPDATE services SET state = state WHERE cluster = NEW.cluster AND name = NEW.name;"
    "END;"
    "UPDATE services SET state = state;"
    "CREATE INDEX IF NOT EXISTS files_kind ON files (dir, kind);",
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
int ecsfs__sql_fault(ecsfs_store *s, int rc, const char *what)
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

static unsigned slot_of(const char *sql, unsigned cap)
{
	return (unsigned)(((uintptr_t)sql >> 3) % cap);
}

/* Double the table; statements keep their addresses, only slots move. */
static int grow_cache(ecsfs_store *s)
{
	unsigned cap = s->cache_cap ? 2 * s->cache_cap : ECSFS__STMT_CACHE_MIN;
	struct ecsfs__stmt_slot *t = calloc(cap, sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (unsigned i = 0; i < s->cache_cap; i++) {
		if (!s->cache[i].sql)
			continue;
		unsigned k = slot_of(s->cache[i].sql, cap);
		while (t[k].sql)
			k = (k + 1) % cap;
		t[k] = s->cache[i];
	}
	free(s->cache);
	s->cache = t;
	s->cache_cap = cap;
	return 0;
}

sqlite3_stmt *ecsfs__sql_stmt(ecsfs_store *s, const char *sql)
{
	unsigned k;

	if (2 * (s->cache_used + 1) > s->cache_cap && grow_cache(s) < 0) {
		snprintf(s->last_error, sizeof(s->last_error), "prepare: out of memory");
		return NULL;
	}
	for (k = slot_of(sql, s->cache_cap); s->cache[k].sql; k = (k + 1) % s->cache_cap) {
		if (s->cache[k].sql == sql) {
			sqlite3_reset(s->cache[k].st);
			sqlite3_clear_bindings(s->cache[k].st);
			return s->cache[k].st;
		}
	}
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
	if (rc != SQLITE_OK) {
		ecsfs__sql_fault(s, rc, "prepare");
		return NULL;
	}
	s->cache[k].sql = sql;
	s->cache[k].st = st;
	s->cache_used++;
	return st;
}

int ecsfs__sql_exec(ecsfs_store *s, const char *sql)
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

int ecsfs__sql_run(ecsfs_store *s, const char *sql)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(s, sql);
	int rc;

	if (!st)
		return -EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) /* a pragma's answer */
		;
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		snprintf(s->last_error, sizeof(s->last_error), "%s", sqlite3_errmsg(s->db));
		return (rc & 0xff) == SQLITE_FULL ? -ENOSPC : -EIO;
	}
	return 0;
}

int ecsfs__sql_done(ecsfs_store *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return ecsfs__sql_fault(s, rc, what);
	return 0;
}

static int sql_step_one(ecsfs_store *s, sqlite3_stmt *st, const char *what, ecsfs__sql_row_fn *read,
			void *out, bool none_is_enoent)
{
	int rc = sqlite3_step(st), r = 0;

	if (rc == SQLITE_ROW) {
		if (out)
			read(st, out);
	} else if (rc == SQLITE_DONE && none_is_enoent) {
		r = -ENOENT;
	} else {
		r = ecsfs__sql_fault(s, rc, what);
	}
	sqlite3_reset(st);
	return r;
}

int ecsfs__sql_row(ecsfs_store *s, sqlite3_stmt *st, const char *what, ecsfs__sql_row_fn *read,
		   void *out)
{
	return sql_step_one(s, st, what, read, out, true);
}

int ecsfs__sql_one(ecsfs_store *s, sqlite3_stmt *st, const char *what, ecsfs__sql_row_fn *read,
		   void *out)
{
	return sql_step_one(s, st, what, read, out, false);
}

void ecsfs__sql_read_count(sqlite3_stmt *st, void *out)
{
	*(uint64_t *)out = (uint64_t)sqlite3_column_int64(st, 0);
}

void ecsfs__sql_read_int64(sqlite3_stmt *st, void *out)
{
	*(int64_t *)out = sqlite3_column_int64(st, 0);
}

int ecsfs__sql_changed(ecsfs_store *s, sqlite3_stmt *st, const char *what)
{
	int r = ecsfs__sql_done(s, st, what);

	if (r < 0)
		return r;
	return sqlite3_changes(s->db) ? 0 : -ENOENT;
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
		if ((r = ecsfs__sql_exec(s, "BEGIN IMMEDIATE")) < 0)
			goto fail;
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v + 1);
		if (ecsfs__sql_exec(s, migrations[v]) < 0 || ecsfs__sql_exec(s, pragma) < 0) {
			ecsfs_buf_setf(why, "migration to schema %d failed: %s", v + 1,
				       s->last_error);
			ecsfs__sql_exec(s, "ROLLBACK");
			return -EIO;
		}
		if ((r = ecsfs__sql_exec(s, "COMMIT")) < 0)
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
	if (ecsfs__sql_exec(s, "PRAGMA journal_mode=WAL") < 0 ||
	    ecsfs__sql_exec(s, "PRAGMA synchronous=FULL") < 0 ||
	    ecsfs__sql_exec(s, "PRAGMA foreign_keys=ON") < 0) {
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
	ecsfs__errors_release(s);
	for (unsigned i = 0; i < s->cache_cap; i++)
		sqlite3_finalize(s->cache[i].st);
	free(s->cache);
	sqlite3_close(s->db);
	free(s);
}

int ecsfs_store_begin(ecsfs_store *s)
{
	if (s->depth++ > 0)
		return 0;
	s->failed = false;
	s->last_error[0] = '\0';
	int r = ecsfs__sql_run(s, "BEGIN IMMEDIATE");
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
		ecsfs__sql_run(s, "ROLLBACK");
		return -EIO;
	}
	int r = ecsfs__sql_run(s, "COMMIT");
	if (r < 0)
		ecsfs__sql_run(s, "ROLLBACK");
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
	ecsfs__sql_run(s, "ROLLBACK");
}

int ecsfs__sql_names(ecsfs_store *s, sqlite3_stmt *st, ecsfs_store_name_cb cb, void *data)
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
		/* a list cut short would look complete: say ENOMEM instead */
		if (!(names[n] = strdup((const char *)sqlite3_column_text(st, 0) ?: ""))) {
			r = -ENOMEM;
			break;
		}
		n++;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = ecsfs__sql_fault(s, rc, "list");
	sqlite3_reset(st);
	for (size_t i = 0; i < n; i++) {
		if (r == 0)
			r = cb(data, names[i]);
		free(names[i]);
	}
	free(names);
	return r < 0 ? r : 0;
}

/* ---- meta: single values of the state directory ---- */

static void meta_value_from_row(sqlite3_stmt *st, void *out)
{
	ecsfs_buf_add(out, sqlite3_column_text(st, 0), (size_t)sqlite3_column_bytes(st, 0));
}

int ecsfs_store_meta_get(ecsfs_store *s, const char *key, ecsfs_buf *value)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(s, "SELECT value FROM meta WHERE key = ?1");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	return ecsfs__sql_row(s, st, "meta_get", meta_value_from_row, value);
}

int ecsfs_store_meta_put(ecsfs_store *s, const char *key, const char *value)
{
	sqlite3_stmt *st =
	    ecsfs__sql_stmt(s, "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	return ecsfs__sql_done(s, st, "meta_put");
}
