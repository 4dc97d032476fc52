/* ecsfs — the durable store (SQLite). */
#ifndef ECSFS_STORE_H
#define ECSFS_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ecsfs/buf.h"

/*
 * The store owns every SQL statement of the project. It keeps one SQLite
 * database, `state.db` in the state directory, in WAL mode with
 * synchronous=FULL: a change is durable when the call that made it returns.
 * Schema migrations run at open, keyed by PRAGMA user_version.
 *
 * All functions return 0 or a negative errno: -ENOENT for a missing row,
 * -EEXIST for a taken key, -EIO for a database fault (its text is kept and
 * returned by ecsfs_store_last_error()). SQLite result codes never leave
 * store.c.
 */
typedef struct ecsfs_store ecsfs_store;

/* Open (creating as needed) `dir`/state.db. On failure *why says why. */
int ecsfs_store_open(const char *dir, ecsfs_store **out, ecsfs_buf *why);
void ecsfs_store_close(ecsfs_store *s);
/* Text of the last database fault, for the daemon's log. */
const char *ecsfs_store_last_error(ecsfs_store *s);
/* Schema version this build writes. */
int ecsfs_store_schema_version(void);

/*
 * Transactions nest: only the outermost commit writes. rollback undoes the
 * whole outermost transaction.
 */
int ecsfs_store_begin(ecsfs_store *s);
int ecsfs_store_commit(ecsfs_store *s);
void ecsfs_store_rollback(ecsfs_store *s);

/* ---- files: bytes and metadata of spec-tree files and directories ---- */

enum ecsfs_file_kind {
	ECSFS_FILE_SPEC = 1,	/* the bytes of a definition (cluster.json, ...) */
	ECSFS_FILE_SCRATCH = 2, /* any other name in a spec directory, kept as is */
	ECSFS_FILE_DIR = 3,	/* metadata set on a directory; no data */
};

typedef struct ecsfs_file_meta {
	int kind;
	mode_t mode; /* permission bits only */
	uid_t uid;
	gid_t gid;
	int64_t mtime_ns;
	uint64_t size;
} ecsfs_file_meta;

/* Look up `dir`/`name`. Fills *meta and, when data is not NULL, its bytes. */
int ecsfs_store_file_get(ecsfs_store *s, const char *dir, const char *name, ecsfs_file_meta *meta,
			 ecsfs_buf *data);
/* Insert or replace `dir`/`name` with these bytes and metadata. */
int ecsfs_store_file_put(ecsfs_store *s, const char *dir, const char *name,
			 const ecsfs_file_meta *meta, const void *data, size_t len);
/* Change only the metadata of an existing row (-ENOENT if none). */
int ecsfs_store_file_set_meta(ecsfs_store *s, const char *dir, const char *name,
			      const ecsfs_file_meta *meta);
int ecsfs_store_file_delete(ecsfs_store *s, const char *dir, const char *name);
/* Delete every row in `dir` and below it (`dir` itself included as a name of its parent
 * is not touched). */
int ecsfs_store_file_delete_tree(ecsfs_store *s, const char *dir);
/* Move a row; a row at the target is replaced. */
int ecsfs_store_file_rename(ecsfs_store *s, const char *dir, const char *name, const char *newdir,
			    const char *newname);
/* Call cb for each row directly in `dir` (kind 0 = any). Stops on a non-zero return. */
typedef int (*ecsfs_store_file_cb)(void *data, const char *name, const ecsfs_file_meta *meta);
int ecsfs_store_file_list(ecsfs_store *s, const char *dir, int kind, ecsfs_store_file_cb cb,
			  void *data);
/* How many rows of `kind` (0 = any) are directly in `dir`; and their total bytes. */
int ecsfs_store_file_count(ecsfs_store *s, const char *dir, int kind, uint64_t *count,
			   uint64_t *bytes);

/* Files (not directory metadata) in `dir` and every directory below it. */
int ecsfs_store_file_count_tree(ecsfs_store *s, const char *dir, uint64_t *count);

/* ---- clusters ---- */

typedef struct ecsfs_cluster_row {
	char name[256];
	int64_t created_ns;
	ecsfs_buf settings; /* canonical JSON of cluster.json, empty when unset */
} ecsfs_cluster_row;

void ecsfs_cluster_row_init(ecsfs_cluster_row *row);
void ecsfs_cluster_row_release(ecsfs_cluster_row *row);

int ecsfs_store_cluster_insert(ecsfs_store *s, const char *name, int64_t created_ns);
int ecsfs_store_cluster_get(ecsfs_store *s, const char *name, ecsfs_cluster_row *row);
bool ecsfs_store_cluster_exists(ecsfs_store *s, const char *name);
int ecsfs_store_cluster_set_settings(ecsfs_store *s, const char *name, const char *canonical);
int ecsfs_store_cluster_delete(ecsfs_store *s, const char *name);
typedef int (*ecsfs_store_name_cb)(void *data, const char *name);
int ecsfs_store_cluster_list(ecsfs_store *s, ecsfs_store_name_cb cb, void *data);
/* A cluster marked for deletion once its services drain (-ENOENT: no
 * such cluster); marked clusters are listed in name order. */
int ecsfs_store_cluster_set_deleting(ecsfs_store *s, const char *name, bool on);
bool ecsfs_store_cluster_deleting(ecsfs_store *s, const char *name);
int ecsfs_store_cluster_list_deleting(ecsfs_store *s, ecsfs_store_name_cb cb, void *data);

/* ---- journals: append-only text streams (events, errors) ---- */

/*
 * A journal is a named stream of lines ("cluster/prod", "errors"). It reads
 * as one file whose bytes never change once written: appends grow it, and
 * when it passes ECSFS_JOURNAL_MAX bytes its oldest lines are dropped (the
 * file then shrinks, which `tail -f` reports as a truncation).
 */
#define ECSFS_JOURNAL_MAX (4u << 20)

/* Append one line (a '\n' is added). */
int ecsfs_store_journal_append(ecsfs_store *s, const char *stream, const char *line);
/* Current size in bytes and time of the last append (0 if empty). */
int ecsfs_store_journal_stat(ecsfs_store *s, const char *stream, uint64_t *size, int64_t *mtime_ns);
/*
 * Append an errors line (a JSON object with "time"; core/store/
 * store_errors.c): like ecsfs_store_journal_append(s, "errors", line), but
 * the same refusal (the line but for its time) more than
 * ECSFS_ERRORS_BURST times within a second is counted, not written, and
 * one line with "repeated": N says so when the burst ends (or at the next
 * stat of the journal). 0 or -errno.
 */
#define ECSFS_ERRORS_BURST 100
int ecsfs_store_error_append(ecsfs_store *s, const char *line);
/* Append up to `len` bytes starting at `off` to *out. */
int ecsfs_store_journal_read(ecsfs_store *s, const char *stream, uint64_t off, size_t len,
			     ecsfs_buf *out);
/* Call cb on the last `n` lines (without their '\n'), oldest first. */
typedef int (*ecsfs_store_line_cb)(void *data, int64_t at_ns, const char *line);
int ecsfs_store_journal_tail(ecsfs_store *s, const char *stream, int n, ecsfs_store_line_cb cb,
			     void *data);
int ecsfs_store_journal_drop(ecsfs_store *s, const char *stream);

/* ---- secrets ---- */

#define ECSFS_SECRET_MAX 65536
int ecsfs_store_secret_put(ecsfs_store *s, const char *name, const void *value, size_t len);
/* The value is for the runtime only; never for a file of the tree. */
int ecsfs_store_secret_get(ecsfs_store *s, const char *name, ecsfs_buf *value, int64_t *updated_ns);
int ecsfs_store_secret_delete(ecsfs_store *s, const char *name);
int ecsfs_store_secret_list(ecsfs_store *s, ecsfs_store_name_cb cb, void *data);

/* ---- task definitions (the model is core/taskdef.c) ---- */

typedef struct ecsfs_taskdef_row {
	int64_t revision;
	bool active;
	int64_t registered_ns;
	int64_t deregistered_ns; /* 0 while ACTIVE */
	ecsfs_buf canonical;	 /* canonical JSON of the registered input */
	ecsfs_buf source;	 /* the bytes that registered it */
} ecsfs_taskdef_row;

void ecsfs_taskdef_row_init(ecsfs_taskdef_row *row);
void ecsfs_taskdef_row_release(ecsfs_taskdef_row *row);
/* Highest revision ever registered for the family (0 if none): revisions
 * are never reused, even after deregistration. */
int ecsfs_store_taskdef_last_revision(ecsfs_store *s, const char *family, int64_t *rev);
int ecsfs_store_taskdef_insert(ecsfs_store *s, const char *family, int64_t rev,
			       int64_t registered_ns, const char *canonical, const void *source,
			       size_t len);
/* One revision; rev 0 is the newest ACTIVE one. */
int ecsfs_store_taskdef_get(ecsfs_store *s, const char *family, int64_t rev,
			    ecsfs_taskdef_row *row);
/* Make a revision (rev 0: every ACTIVE one) INACTIVE; -ENOENT when none was. */
int ecsfs_store_taskdef_deactivate(ecsfs_store *s, const char *family, int64_t rev, int64_t now);
/*
 * Be told after a revision of `family` was registered or deregistered (the
 * service scheduler looks again at the services that name the family). One
 * watcher; NULL clears it. It may be told of a change an outer transaction
 * then rolls back: a watcher only looks again, it trusts the rows.
 */
typedef void (*ecsfs_store_watch_cb)(void *data, const char *family);
void ecsfs_store_watch_taskdefs(ecsfs_store *s, ecsfs_store_watch_cb cb, void *data);
/* Families with an ACTIVE revision, by name. */
int ecsfs_store_taskdef_families(ecsfs_store *s, ecsfs_store_name_cb cb, void *data);
typedef int (*ecsfs_store_rev_cb)(void *data, int64_t revision);
/* ACTIVE revisions of a family, ascending. */
int ecsfs_store_taskdef_revisions(ecsfs_store *s, const char *family, ecsfs_store_rev_cb cb,
				  void *data);
/* Families ever registered. */
int ecsfs_store_taskdef_count_families(ecsfs_store *s, uint64_t *n);

/* ---- deletions deferred a few seconds (editors rename away, then rewrite) ---- */

int ecsfs_store_deferred_put(ecsfs_store *s, const char *path, int64_t due_ns);
int ecsfs_store_deferred_delete(ecsfs_store *s, const char *path);
/* Paths whose time has come. */
int ecsfs_store_deferred_due(ecsfs_store *s, int64_t now_ns, ecsfs_store_name_cb cb, void *data);

/* ---- tasks (the model is core/task.c): one row per task, its state a JSON text ---- */

/* Insert or replace a task; stopped_ns is 0 until it is STOPPED. */
int ecsfs_store_task_put(ecsfs_store *s, const char *id, const char *cluster, int64_t created_ns,
			 int64_t stopped_ns, const char *state);
int ecsfs_store_task_delete(ecsfs_store *s, const char *id);
/* Every task, oldest first; the strings are valid during the call only. */
typedef int (*ecsfs_store_task_cb)(void *data, const char *id, const char *cluster,
				   const char *state);
int ecsfs_store_task_load(ecsfs_store *s, ecsfs_store_task_cb cb, void *data);
/* Tasks of a cluster (with `running`, only those not yet STOPPED). */
int ecsfs_store_task_count(ecsfs_store *s, const char *cluster, bool running, uint64_t *n);
/* Drop every task row of a cluster (when it is deleted). */
int ecsfs_store_task_delete_cluster(ecsfs_store *s, const char *cluster);

/* ---- meta: single values of the state directory ("instance", ...) ---- */

int ecsfs_store_meta_get(ecsfs_store *s, const char *key, ecsfs_buf *value);
int ecsfs_store_meta_put(ecsfs_store *s, const char *key, const char *value);

/* ---- services (the model is core/service.c): one row each, a JSON state ---- */

int ecsfs_store_service_put(ecsfs_store *s, const char *cluster, const char *name,
			    const char *state);
/* state may be NULL (existence only). */
int ecsfs_store_service_get(ecsfs_store *s, const char *cluster, const char *name,
			    ecsfs_buf *state);
int ecsfs_store_service_delete(ecsfs_store *s, const char *cluster, const char *name);
int ecsfs_store_service_list(ecsfs_store *s, const char *cluster, ecsfs_store_name_cb cb,
			     void *data);
/* Every service as "cluster/name". */
int ecsfs_store_service_list_all(ecsfs_store *s, ecsfs_store_name_cb cb, void *data);
/*
 * The services whose stored state holds `family` anywhere, as
 * "cluster/name": every one that follows the family, runs or deploys one of
 * its revisions or waits for it, and perhaps a few more (the state of one
 * following "web-2" holds "web" too). A superset of those a change of the
 * family's revisions concerns, found without parsing any state.
 */
int ecsfs_store_service_list_naming(ecsfs_store *s, const char *family, ecsfs_store_name_cb cb,
				    void *data);
int ecsfs_store_service_count(ecsfs_store *s, const char *cluster, uint64_t *n);

/* ---- ELBv2 documents in effect (core/model/targetgroup.c, loadbalancer.c) ---- */

/* kind "targetgroup" or "loadbalancer"; doc its canonical JSON. Replaces. */
int ecsfs_store_elb_put(ecsfs_store *s, const char *kind, const char *name, int64_t created_ns,
			const char *doc);
/* created_ns and doc may be NULL (existence only). */
int ecsfs_store_elb_get(ecsfs_store *s, const char *kind, const char *name, int64_t *created_ns,
			ecsfs_buf *doc);
int ecsfs_store_elb_delete(ecsfs_store *s, const char *kind, const char *name);
/* Names of one kind, in order. */
int ecsfs_store_elb_list(ecsfs_store *s, const char *kind, ecsfs_store_name_cb cb, void *data);

/* ---- tags by ARN (core/model/tag.c) ---- */

/* One tag; the strings are valid during the call only, which must not use
 * the store. */
typedef int (*ecsfs_store_tag_cb)(void *data, const char *key, const char *value);
/* The tags of `arn` in the order their keys were first put. */
int ecsfs_store_tag_list(ecsfs_store *s, const char *arn, ecsfs_store_tag_cb cb, void *data);
/* Insert a tag, or change the value of the key `arn` has. */
int ecsfs_store_tag_put(ecsfs_store *s, const char *arn, const char *key, const char *value);
/* Drop one key (0 when it was not there), or every tag of `arn`. */
int ecsfs_store_tag_delete(ecsfs_store *s, const char *arn, const char *key);
int ecsfs_store_tag_drop(ecsfs_store *s, const char *arn);
/* Is there a task `id` in `cluster` (STOPPED or not)? */
bool ecsfs_store_task_exists(ecsfs_store *s, const char *cluster, const char *id);

/* ---- account settings (core/model/account.c) ---- */

/* principal "" is the account's default (PutAccountSettingDefault). */
int ecsfs_store_setting_get(ecsfs_store *s, const char *name, const char *principal,
			    ecsfs_buf *value);
int ecsfs_store_setting_put(ecsfs_store *s, const char *name, const char *principal,
			    const char *value);
/* -ENOENT when it was not set. */
int ecsfs_store_setting_delete(ecsfs_store *s, const char *name, const char *principal);

/* ---- task definitions by status (core/model/taskdef_list.c) ---- */

enum ecsfs_taskdef_status {
	ECSFS_TD_ACTIVE = 0,
	ECSFS_TD_INACTIVE = 1,
	ECSFS_TD_DELETE_IN_PROGRESS = 2,
};
/* One revision; family valid during the call, which may use the store. */
typedef int (*ecsfs_store_td_cb)(void *data, const char *family, int64_t revision);
/* Revisions of `status` of families starting with `prefix` (NULL: all), by
 * family then revision, or the reverse with `desc`. */
int ecsfs_store_taskdef_by_status(ecsfs_store *s, const char *prefix, int status, bool desc,
				  ecsfs_store_td_cb cb, void *data);
/* Families starting with `prefix`: with `active` 1 those with an ACTIVE
 * revision, 0 those with none, -1 every one; by name. */
int ecsfs_store_taskdef_family_names(ecsfs_store *s, const char *prefix, int active,
				     ecsfs_store_name_cb cb, void *data);
/* Mark an INACTIVE revision DELETE_IN_PROGRESS (DeleteTaskDefinitions). */
int ecsfs_store_taskdef_mark_deleted(ecsfs_store *s, const char *family, int64_t revision,
				     int64_t now_ns);
/* Is it marked? 0 with the time, or -ENOENT. */
int ecsfs_store_taskdef_deleted(ecsfs_store *s, const char *family, int64_t revision,
				int64_t *at_ns);

/* ---- clusters deleted within the hour, which describe shows INACTIVE ---- */

/* Remember cluster `name` as deleted at `now_ns` with its settings (NULL:
 * none), forgetting those deleted before `forget_before_ns`. */
int ecsfs_store_cluster_remember(ecsfs_store *s, const char *name, int64_t now_ns,
				 const char *settings, int64_t forget_before_ns);
/* When it was deleted and its settings (may be NULL); -ENOENT. */
int ecsfs_store_cluster_deleted_get(ecsfs_store *s, const char *name, int64_t *deleted_ns,
				    ecsfs_buf *settings);
/* Created again: no longer INACTIVE. */
int ecsfs_store_cluster_forget(ecsfs_store *s, const char *name);

/* ---- services deleted within the hour (core/store/store_services.c) ---- */

/* What DescribeServices shows of a deleted service (status INACTIVE), kept
 * until ecsfs_store_service_gone_expire() forgets it. Replaces. */
int ecsfs_store_service_gone_put(ecsfs_store *s, const char *cluster, const char *name,
				 int64_t at_ns, const char *doc);
/* doc may be NULL (existence only); -ENOENT when there is none. */
int ecsfs_store_service_gone_get(ecsfs_store *s, const char *cluster, const char *name,
				 ecsfs_buf *doc);
int ecsfs_store_service_gone_delete(ecsfs_store *s, const char *cluster, const char *name);
/* Forget those deleted before `before_ns`, and those of clusters that went. */
int ecsfs_store_service_gone_expire(ecsfs_store *s, int64_t before_ns);

/* ---- schedules and their fires (core/store/store_schedules.c; the model is
 * core/model/schedule.c) ---- */

typedef struct ecsfs_schedule_row {
	int64_t created_ns, updated_ns;
	int64_t cursor_ms; /* every due time up to this one has been considered */
	ecsfs_buf doc;	   /* canonical JSON of the document in effect */
} ecsfs_schedule_row;

enum ecsfs_fire_state {
	ECSFS_FIRE_PENDING = 0, /* recorded; its tasks not known to have started */
	ECSFS_FIRE_STARTED = 1, /* its tasks started (tasks: their ids) */
	ECSFS_FIRE_FAILED = 2,	/* RunTask kept failing past the retry policy (reason) */
	ECSFS_FIRE_MISSED = 3,	/* came due while the daemon was down, too old to run */
};

typedef struct ecsfs_fire_row {
	int64_t due_ms;	   /* the scheduled time: the fire's identity */
	int64_t run_ms;	   /* when it is (next) tried: due + a FLEXIBLE delay, or a retry */
	int64_t actual_ms; /* when its tasks started (or it was given up), 0 before */
	int state;	   /* ecsfs_fire_state */
	int attempts;
	ecsfs_buf tasks;  /* JSON array of task ids (STARTED) */
	ecsfs_buf reason; /* why it failed or was missed; the last error while PENDING */
} ecsfs_fire_row;

void ecsfs_fire_row_init(ecsfs_fire_row *f);
void ecsfs_fire_row_release(ecsfs_fire_row *f);

/* Insert or replace a schedule's row. */
int ecsfs_store_schedule_put(ecsfs_store *s, const char *cluster, const char *name,
			     const ecsfs_schedule_row *row);
/* row may be NULL (existence only). */
int ecsfs_store_schedule_get(ecsfs_store *s, const char *cluster, const char *name,
			     ecsfs_schedule_row *row);
/* The row and every fire of it. */
int ecsfs_store_schedule_delete(ecsfs_store *s, const char *cluster, const char *name);
/* Move the cursor (-ENOENT: no such schedule). */
int ecsfs_store_schedule_set_cursor(ecsfs_store *s, const char *cluster, const char *name,
				    int64_t cursor_ms);
/* A cluster's schedules by name; callbacks may use the store. */
int ecsfs_store_schedule_list(ecsfs_store *s, const char *cluster, ecsfs_store_name_cb cb,
			      void *data);
/* Every schedule, by cluster then name; callbacks may use the store. */
typedef int (*ecsfs_store_pair_cb)(void *data, const char *cluster, const char *name);
int ecsfs_store_schedule_list_all(ecsfs_store *s, ecsfs_store_pair_cb cb, void *data);
/* How many schedules there are, all clusters. */
int ecsfs_store_schedule_count(ecsfs_store *s, uint64_t *n);
/* Insert or replace a fire (by its due time). */
int ecsfs_store_fire_put(ecsfs_store *s, const char *cluster, const char *name,
			 const ecsfs_fire_row *f);
/* Fires of a schedule by due time (with `open`, only PENDING ones); the row
 * is valid during the call, which must not use the store. */
typedef int (*ecsfs_store_fire_cb)(void *data, const ecsfs_fire_row *f);
int ecsfs_store_fire_list(ecsfs_store *s, const char *cluster, const char *name, bool open,
			  ecsfs_store_fire_cb cb, void *data);
/* Keep the newest `keep` fires that are not PENDING (and every PENDING one). */
int ecsfs_store_fire_trim(ecsfs_store *s, const char *cluster, const char *name, int keep);

/* ---- scalable targets and their activities (core/store/store_scaling.c;
 * the model is core/model/scaling.c) ---- */

/* Insert or replace a target: the canonical JSON of its document. */
int ecsfs_store_scaling_put(ecsfs_store *s, const char *cluster, const char *service,
			    int64_t created_ns, const char *doc);
/* doc may be NULL (existence only); *created_ns too. */
int ecsfs_store_scaling_get(ecsfs_store *s, const char *cluster, const char *service,
			    int64_t *created_ns, ecsfs_buf *doc);
/* The target and its activities. */
int ecsfs_store_scaling_delete(ecsfs_store *s, const char *cluster, const char *service);
int ecsfs_store_scaling_list(ecsfs_store *s, const char *cluster, ecsfs_store_name_cb cb,
			     void *data);
/* "cluster/service" of every target. */
int ecsfs_store_scaling_list_all(ecsfs_store *s, ecsfs_store_name_cb cb, void *data);
int ecsfs_store_scaling_count(ecsfs_store *s, uint64_t *n);
/* Add an activity (its JSON) and keep the newest `keep` of the target. */
int ecsfs_store_activity_add(ecsfs_store *s, const char *cluster, const char *service,
			     int64_t start_ns, const char *doc, int keep);
/* Activities of a target, newest first; the text is valid during the call,
 * which must not use the store. */
typedef int (*ecsfs_store_text_cb)(void *data, const char *text, size_t len);
int ecsfs_store_activity_list(ecsfs_store *s, const char *cluster, const char *service,
			      ecsfs_store_text_cb cb, void *data);

/* The clusters that hold a schedule of this name, in order
 * (core/store/store_schedule_names.c); callbacks may use the store. */
int ecsfs_store_schedule_clusters(ecsfs_store *s, const char *name, ecsfs_store_name_cb cb,
				  void *data);

/* ---- EventBridge rules (core/store/store_rules.c; the model is
 * core/model/schedule_rule.c) ---- */

/* Insert or replace a rule: the canonical JSON of its document. */
int ecsfs_store_rule_put(ecsfs_store *s, const char *name, int64_t created_ns, const char *doc);
/* doc and created_ns may be NULL. -ENOENT. */
int ecsfs_store_rule_get(ecsfs_store *s, const char *name, int64_t *created_ns, ecsfs_buf *doc);
int ecsfs_store_rule_delete(ecsfs_store *s, const char *name);
/* Every rule by name; callbacks may use the store. */
int ecsfs_store_rule_list(ecsfs_store *s, ecsfs_store_name_cb cb, void *data);
int ecsfs_store_rule_count(ecsfs_store *s, uint64_t *n);

/* ---- container instances (core/store/store_instances.c; the model is
 * core/model/instance.c) ---- */

typedef struct ecsfs_instance_row {
	int64_t registered_ns;
	char status[16]; /* "ACTIVE", "DRAINING" */
	ecsfs_buf attrs; /* JSON array of the attributes PutAttributes set */
	ecsfs_buf doc;	 /* the canonical spec document; empty for `local` */
} ecsfs_instance_row;

void ecsfs_instance_row_init(ecsfs_instance_row *r);
void ecsfs_instance_row_release(ecsfs_instance_row *r);
/* Insert or replace an instance's row (an empty doc is stored as NULL). */
int ecsfs_store_instance_put(ecsfs_store *s, const char *cluster, const char *name,
			     const ecsfs_instance_row *row);
/* row may be NULL (existence only); -ENOENT. */
int ecsfs_store_instance_get(ecsfs_store *s, const char *cluster, const char *name,
			     ecsfs_instance_row *row);
int ecsfs_store_instance_delete(ecsfs_store *s, const char *cluster, const char *name);
/* Every row as "cluster/name", by cluster then name; callbacks may use the store. */
int ecsfs_store_instance_list_all(ecsfs_store *s, ecsfs_store_name_cb cb, void *data);
/* ---- a generation of the store's content, and durability per commit
 * (core/store/store_changes.c) ---- */

/* The number of rows inserted, updated or deleted since the store opened
 * (rolled-back ones too): when it has not moved, no row has changed. */
uint64_t ecsfs_store_changes(ecsfs_store *s);
/* With `sync` false, commits (outside any transaction) return before their
 * rows reach the disk; they do with the next commit made with it true (the
 * default) or at ecsfs_store_sync(). -EBUSY inside a transaction, -EIO. */
int ecsfs_store_sync_each(ecsfs_store *s, bool sync);
/* Everything committed so far is on the disk. -EBUSY inside a
 * transaction, -EIO. */
int ecsfs_store_sync(ecsfs_store *s);

/* ---- traffic splits on listener rules (core/store/store_traffic.c; the
 * strategy engine core/control/strategy.c owns what they mean) ---- */

/* Put (forward non-NULL: the JSON of ForwardConfig.TargetGroups) or drop
 * the split on rule `rule` (its ARN), owned by `owner` ("cluster/service"). */
int ecsfs_store_traffic_put(ecsfs_store *s, const char *rule, const char *owner,
			    const char *forward);
/* The split on a rule: 0 and *forward, -ENOENT when there is none. */
int ecsfs_store_traffic_get(ecsfs_store *s, const char *rule, ecsfs_buf *forward);

/* ---- counts behind the caps (core/store/store_limits.c) ---- */

/* Clusters there are (ACTIVE or being deleted). */
int ecsfs_store_cluster_count(ecsfs_store *s, uint64_t *n);
/* Secrets there are other than `name`. */
int ecsfs_store_secret_count_other(ecsfs_store *s, const char *name, uint64_t *n);

#endif
