/* ecsfs FUSE layer: private declarations shared inside fs/ (prefix ecsfs__). */
#ifndef ECSFS_FS_H
#define ECSFS_FS_H

#include <fuse_lowlevel.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "ecsfs/buf.h"
#include "ecsfs/error.h"
#include "ecsfs/instance.h"
#include "ecsfs/lb.h"
#include "ecsfs/metrics.h"
#include "ecsfs/scaling.h"
#include "ecsfs/runtime.h"
#include "ecsfs/schedule.h"
#include "ecsfs/store.h"
#include "ecsfs/service.h"
#include "ecsfs/task.h"

struct ecsfs__nodes;
struct ecsfs__notify;

/* Limits on what users can make grow through the mount. */
#define ECSFS_SCRATCH_MAX_BYTES (32u << 20)	   /* one scratch file */
#define ECSFS_SCRATCH_MAX_FILES 4096		   /* scratch files in one directory */
#define ECSFS_PENDING_MAX_BYTES (32u << 20)	   /* one open file's pending copy */
#define ECSFS_OPEN_MAX		4096		   /* open file handles */
#define ECSFS__GRACE_NS		(3 * 1000000000ll) /* how long a removed definition waits */

/* Open file and directory handles, listed so that a stopping daemon can
 * free the ones the kernel never released. */
typedef struct ecsfs__link {
	struct ecsfs__link *prev, *next;
	void (*free)(struct ecsfs__link *l);
} ecsfs__link;

/* The daemon's state, owned by the loop thread. */
typedef struct ecsfs__fs {
	ecsfs_store *store;
	ecsfs_runtime *rt;  /* may be NULL in unit tests */
	ecsfs_tasks *tasks; /* NULL without a runtime */
	ecsfs_services *services;
	ecsfs_lb *lb;		    /* the load-balancer controller */
	ecsfs_schedules *schedules; /* NULL when they could not start */
	ecsfs_metrics *metrics;	    /* NULL when it could not start */
	ecsfs_scaling *scaling;	    /* the autoscaler; NULL when it could not start */
	ecsfs_instances *instances; /* container instances; NULL when they could not start */
	char *mountpoint;	    /* for messages in /ecs/errors */
	struct fuse_session *se;
	struct ecsfs__nodes *nodes;
	struct ecsfs__notify *notify; /* NULL when not mounted */
	int64_t start_ns;
	bool page_cache;  /* generated files may stay in the page cache (fuse_cache.c) */
	uint64_t changes; /* invalidations asked for: with the store's, a generation */
	unsigned nopen;
	ecsfs__link *handles;
} ecsfs__fs;

/* ---- the route table ---- */

#define ECSFS__MAX_CAPS 4

/* A path matched against the route table. */
typedef struct ecsfs__match {
	const struct ecsfs__route *route;
	ecsfs_buf path;			  /* the whole path, "/clusters/prod/status" */
	ecsfs_buf parent;		  /* its parent, "/clusters/prod" */
	const char *name;		  /* last component (points into path) */
	ecsfs_buf segs;			  /* NUL-separated copy of the components */
	const char *cap[ECSFS__MAX_CAPS]; /* what each '*' matched */
	int ncap;
} ecsfs__match;

/* Entries collected by a directory's list function. */
typedef struct ecsfs__dirlist {
	ecsfs_buf names; /* NUL-separated */
	mode_t *types;
	size_t n, alloc;
} ecsfs__dirlist;

void ecsfs__dirlist_add(ecsfs__dirlist *l, const char *name, mode_t type);
/* Add the n names of a fixed list as regular files. */
void ecsfs__dirlist_add_files(ecsfs__dirlist *l, const char *const *names, size_t n);
/* Store-listing callbacks that add regular files / directories to a dirlist. */
int ecsfs__file_list_cb(void *dirlist, const char *name, const ecsfs_file_meta *meta);
int ecsfs__name_list_dir_cb(void *dirlist, const char *name);

enum {
	ECSFS__R_SCRATCH_DIR = 1 << 0,	 /* accepts scratch files of any unrouted name */
	ECSFS__R_GENERATED = 1 << 1,	 /* content made at open by read() */
	ECSFS__R_APPEND = 1 << 2,	 /* append-only: read_at() serves live bytes */
	ECSFS__R_STORED = 1 << 3,	 /* content and metadata are a row of `files` */
	ECSFS__R_KEEPMETA = 1 << 4,	 /* mode/owner/mtime set on it are kept (dirs) */
	ECSFS__R_CREATE = 1 << 5,	 /* may be created by open(O_CREAT) */
	ECSFS__R_SCRATCH = 1 << 6,	 /* the scratch-file route */
	ECSFS__R_GRACE = 1 << 7,	 /* unlink takes effect after ECSFS__GRACE_NS unless
					    the file is written again (editors' renames) */
	ECSFS__R_RESULT = 1 << 8,	 /* a command file (`run`): apply leaves in err->msg, on
					    success, what a read of the same handle returns; a
					    read applies pending writes first */
	ECSFS__R_STORE_VIEW = 1 << 9,	 /* generated from the store's rows and the engine's
					    state alone: while neither moved, the last
					    content is the content (fuse_cache.c) */
	ECSFS__R_APPLY_CHECKS = 1 << 10, /* apply makes the whole check itself, with its
					    messages: a flush or rename does not check
					    the same bytes first */
};

typedef struct ecsfs__route {
	const char *pattern; /* "/clusters/ * /status" with '*' for one component */
	mode_t type;	     /* S_IFDIR, S_IFREG or S_IFLNK */
	mode_t perm;	     /* permission bits shown */
	unsigned flags;
	/* 0 when the path names something now, -ENOENT otherwise. NULL: always. */
	int (*exists)(ecsfs__fs *fs, const ecsfs__match *m);
	/* Fill st_size and times when the generic ones do not fit. */
	int (*getattr)(ecsfs__fs *fs, const ecsfs__match *m, struct stat *st);
	/* Directories: add entries (besides "." "..", and scratch files). */
	int (*list)(ecsfs__fs *fs, const ecsfs__match *m, ecsfs__dirlist *out);
	/* Generated files: the whole content. */
	int (*read)(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out);
	/* Append-only files: bytes [off, off+len) as they are now. */
	int (*read_at)(ecsfs__fs *fs, const ecsfs__match *m, uint64_t off, size_t len,
		       ecsfs_buf *out);
	/* Writable files: can this content become / is it valid? -EINVAL + err. */
	int (*check)(ecsfs__fs *fs, const ecsfs__match *m, const char *data, size_t len,
		     bool partial, ecsfs_err *err);
	/* Writable files: make it so, durably. */
	int (*apply)(ecsfs__fs *fs, const ecsfs__match *m, const char *data, size_t len,
		     const ecsfs_file_meta *meta, ecsfs_err *err);
	int (*mkdir)(ecsfs__fs *fs, const ecsfs__match *m, mode_t mode, ecsfs_err *err);
	int (*rmdir)(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_err *err);
	int (*unlink)(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_err *err);
	int (*readlink)(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out);
	/* Spec documents: what ecsfs__spec_doc_check/_apply parse and call. */
	const struct ecsfs__spec_doc *doc;
} ecsfs__route;

/* Tables, one per file of routes; router.c joins them in order. */
extern const ecsfs__route ecsfs__routes_root[];
extern const ecsfs__route ecsfs__routes_spec[];
extern const ecsfs__route ecsfs__routes_cluster[];
extern const ecsfs__route ecsfs__routes_secret[];
extern const ecsfs__route ecsfs__routes_taskdef[];
extern const ecsfs__route ecsfs__routes_task[];
extern const ecsfs__route ecsfs__routes_service[];
extern const ecsfs__route ecsfs__routes_lb[];
extern const ecsfs__route ecsfs__routes_schedule[];
extern const ecsfs__route ecsfs__routes_metrics[];
extern const ecsfs__route ecsfs__routes_scaling[];
extern const ecsfs__route ecsfs__routes_instance[];
/* The route of scratch files (any unrouted name in an R_SCRATCH_DIR). */
extern const ecsfs__route ecsfs__route_scratch;
/* rsync --delay-updates' ".~tmp~" in a directory that takes scratch files:
 * holds scratch files of any name until they are renamed into place. */
extern const ecsfs__route ecsfs__route_tmpdir;

void ecsfs__match_init(ecsfs__match *m);
void ecsfs__match_release(ecsfs__match *m);
/*
 * Find the route of `path` (absolute, no trailing '/'). 0 and *m filled, or
 * -ENOENT when no route can hold it. Does not check that it exists.
 */
int ecsfs__route_match(const char *path, ecsfs__match *m);
/*
 * May `name` be a scratch file in the scratch directory of route `dir`?
 * Anything in spec/ itself; in directories of definitions only the names
 * tools use for temporaries (dot-files, sedXXXXXX, name~, 4913, #name#), so
 * a stray file in a repository is refused instead of kept.
 */
bool ecsfs__scratch_name_ok(const struct ecsfs__route *dir, const char *name);
/* Pattern test, exposed for unit tests. */
bool ecsfs__pattern_match(const char *pattern, const char *path, ecsfs__match *m);

/* ---- nodes: inode numbers for paths ---- */

typedef struct ecsfs__node {
	uint64_t ino;
	char *path;		     /* NULL once replaced by a rename onto it */
	uint64_t nlookup;	     /* the kernel's references */
	struct ecsfs__open *pending; /* an open file whose content does not exist yet */
	struct ecsfs__open *writer;  /* the latest open for writing: its size is shown */
	struct ecsfs__node *next_ino, *next_path;
	/* A generated file as the kernel was last shown it (fuse_cache.c):
	 * size and mtime in its attributes, and what its page cache may hold. */
	struct ecsfs__node *gen_prev, *gen_next; /* the list of generated nodes */
	uint64_t shown_hash;			 /* of the content */
	size_t shown_len;
	int64_t shown_mtime;
	char *copy; /* R_STORE_VIEW: the content last made, or NULL */
	size_t copy_len;
	uint64_t copy_hash;
	uint64_t copy_gen;    /* the generation it was made at */
	unsigned cached_open; /* open handles read through the page cache */
	bool generated;	      /* on the list */
	bool shown_ok;	      /* the kernel's size and pages are the shown content */
} ecsfs__node;

struct ecsfs__nodes *ecsfs__nodes_new(void);
void ecsfs__nodes_free(struct ecsfs__nodes *n);
ecsfs__node *ecsfs__nodes_by_ino(struct ecsfs__nodes *n, uint64_t ino);
ecsfs__node *ecsfs__nodes_by_path(struct ecsfs__nodes *n, const char *path);
/* The node of `path`, created if new, with one more kernel reference. */
ecsfs__node *ecsfs__nodes_ref(struct ecsfs__nodes *n, const char *path);
void ecsfs__nodes_forget(struct ecsfs__nodes *n, uint64_t ino, uint64_t count);
/* `from` is now called `to`; a node already at `to` loses its path. */
void ecsfs__nodes_rename(struct ecsfs__nodes *n, const char *from, const char *to);
size_t ecsfs__nodes_count(struct ecsfs__nodes *n);
/* Put `node` on the list of generated files (once). */
void ecsfs__nodes_add_generated(struct ecsfs__nodes *n, ecsfs__node *node);
/* Call fn for each generated file whose path starts with `prefix`. */
void ecsfs__nodes_each_generated(struct ecsfs__nodes *n, const char *prefix,
				 void (*fn)(void *data, ecsfs__node *node), void *data);

/* ---- kernel cache invalidation, from a thread of its own ---- */

/* `on_exit` runs on the notify thread as it ends (after a stop). */
struct ecsfs__notify *ecsfs__notify_start(struct fuse_session *se, void (*on_exit)(void *),
					  void *data);
/*
 * Ask the thread to end, dropping what is queued. An invalidation in flight
 * may wait for the kernel, which may wait for an answer from the loop: so
 * the loop keeps serving until on_exit has run, then calls notify_join().
 */
void ecsfs__notify_stop(struct ecsfs__notify *n);
void ecsfs__notify_join(struct ecsfs__notify *n);
void ecsfs__notify_entry(struct ecsfs__notify *n, uint64_t parent, const char *name);
void ecsfs__notify_inode(struct ecsfs__notify *n, uint64_t ino);
/* Answer `req` with errno `err` (0: success) once what is queued before it
 * has been sent; at once when `n` is NULL. Never dropped. */
void ecsfs__notify_reply(struct ecsfs__notify *n, fuse_req_t req, int err);
/*
 * Wait, at most timeout_ms, until what is queued has been sent: for a
 * front end that cannot hold its answer back in the queue (the API). The
 * kernel may be waiting for the loop before it takes an invalidation, so
 * the wait is bounded: past it, the answer may go before the kernel forgot
 * what it cached (false), never a deadlock.
 */
bool ecsfs__notify_drain(struct ecsfs__notify *n, int timeout_ms);

/*
 * The store changed what generated files show (fuse_cache.c): the files of
 * cluster `cluster` (its own and its services', not its tasks') and, when
 * `task` is not NULL, that task's; every generated file when `cluster` is
 * NULL. The kernel drops their attributes and pages.
 */
void ecsfs__cache_changed(ecsfs__fs *fs, const char *cluster, const char *task);
/* The same for the generated files under `prefix` ("/taskdefs/web/"). */
void ecsfs__cache_changed_path(ecsfs__fs *fs, const char *prefix);

/* Tell the kernel that `path` may be gone or changed (both are cheap no-ops
 * when the kernel does not know the path). */
void ecsfs__invalidate_entry(ecsfs__fs *fs, const char *path);
void ecsfs__invalidate_inode(ecsfs__fs *fs, const char *path);

/* ---- helpers for route handlers ---- */

/* Record a rejected change in /ecs/errors. `err` is negative. */
void ecsfs__reject(ecsfs__fs *fs, const char *path, int err, const char *why);
/* The same line with `where` as given ("api:ecs.CreateService"). */
void ecsfs__reject_line(ecsfs__fs *fs, const char *where, int err, const char *why);
/* The runtime's state (all zero, name "none", when there is no runtime). */
void ecsfs__runtime_info(ecsfs__fs *fs, ecsfs_runtime_info *out);
/* The low-level operations table. */
extern const struct fuse_lowlevel_ops ecsfs__ops;

/* Clusters, shared by the live tree and the spec tree (routes_cluster.c). */
int ecsfs__cluster_exists(ecsfs__fs *fs, const ecsfs__match *m);
int ecsfs__cluster_mkdir(ecsfs__fs *fs, const ecsfs__match *m, mode_t mode, ecsfs_err *err);
/* After a cluster appeared or went away: tell the kernel about both views. */
void ecsfs__cluster_changed(ecsfs__fs *fs, const char *name);

/* Revisions of `family` were registered or deregistered (routes_taskdef.c). */
void ecsfs__taskdef_changed(ecsfs__fs *fs, const char *family);
/* The API's change hook (ecsfs_api_core.changed): what the operation names
 * is dropped from the kernel's caches (fuse_cache.c). */
void ecsfs__api_changed(void *fs, const char *op, const json_t *request, const json_t *result);

/* Tasks changed (the task subsystem's change callback). */
void ecsfs__tasks_changed(void *fs, const char *cluster, const char *id);

/* The load-balancer controller's failures, into /ecs/errors (routes_lb.c). */
void ecsfs__lb_error(void *fs, const char *lb, int code, const char *msg);
/* targetgroups/ and loadbalancers/ in /'s listing, while they hold something. */
void ecsfs__lb_root_list(ecsfs__fs *fs, ecsfs__dirlist *out);

/* Services changed (the service subsystem's change callback). */
void ecsfs__services_changed(void *fs, const char *cluster, const char *name);

/* Schedules (routes_schedule.c): the engine started on the loop (minute_ms 0:
 * a real minute), stopped, and its change callback. */
void ecsfs__schedules_start(ecsfs__fs *fs, uv_loop_t *loop, long minute_ms);
void ecsfs__schedules_stop(ecsfs__fs *fs);
void ecsfs__schedules_changed(void *fs, const char *cluster, const char *name);
/* "schedules" in a cluster's live listing, while it has one. */
void ecsfs__schedules_dir(ecsfs__fs *fs, const char *cluster, ecsfs__dirlist *out);
/* Metrics (routes_metrics.c): the sampler started on the loop, stopped, and
 * "metrics", "metrics.csv" in a cluster's, service's or task's listing. */
void ecsfs__metrics_start(ecsfs__fs *fs, uv_loop_t *loop, int interval_s);
void ecsfs__metrics_stop(ecsfs__fs *fs);
void ecsfs__metrics_dir(ecsfs__fs *fs, ecsfs__dirlist *out);
/* Auto scaling (routes_scaling.c): the autoscaler (after the sampler),
 * stopped, its change callback, and "scaling" in a service's listing. */
void ecsfs__scaling_start(ecsfs__fs *fs, uv_loop_t *loop);
void ecsfs__scaling_stop(ecsfs__fs *fs);
void ecsfs__scaling_changed(void *fs, const char *cluster, const char *service);
void ecsfs__scaling_dir(ecsfs__fs *fs, const char *cluster, const char *service,
			ecsfs__dirlist *out);

/* Container instances (routes_instance.c): started on the loop over the
 * daemon's own engine (fs->rt, `endpoint`) with Docker clients for the
 * registered ones, stopped before the tasks, and their change callback. */
void ecsfs__instances_start(ecsfs__fs *fs, uv_loop_t *loop, const char *endpoint, int lost_after_s);
void ecsfs__instances_stop(ecsfs__fs *fs);
void ecsfs__instances_changed(void *fs, const char *cluster, const char *name);

/* Delete clusters a repository dropped, once their services are gone. */
void ecsfs__clusters_sweep(ecsfs__fs *fs);
int ecsfs__spec_cluster_exists(ecsfs__fs *fs, const ecsfs__match *m);

/* Free every handle still open (at shutdown). */
void ecsfs__release_handles(ecsfs__fs *fs);

/* Carry out removals whose grace period is over (called every second). */
void ecsfs__sweep(ecsfs__fs *fs);

/* Nanoseconds since the epoch into a timespec. */
void ecsfs__set_time(struct timespec *ts, int64_t ns);
/* getattr of an append-only journal file: its size, and its mtime once written. */
int ecsfs__journal_getattr(ecsfs__fs *fs, const char *stream, struct stat *st);

/* Does a `files` row of `kind` stand at this path? 0 or -ENOENT. */
int ecsfs__stored_exists(ecsfs__fs *fs, const ecsfs__match *m, int kind);
/* The same for spec definition files (cluster.json, taskdefs). */
int ecsfs__spec_file_exists(ecsfs__fs *fs, const ecsfs__match *m);

/* A fixed directory of spec/ (services/, instances/, targetgroups/, ...):
 * its definition files, and rmdir's real answer (ENOTEMPTY while it holds
 * one) without effect (routes_spec.c). */
int ecsfs__spec_files_list(ecsfs__fs *fs, const ecsfs__match *m, ecsfs__dirlist *out);
int ecsfs__spec_fixed_rmdir(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_err *err);
/* The route of such a directory (ex: its exists, or NULL for always). */
#define ECSFS__SPEC_DIR(p, ex)                                                     \
	{                                                                          \
		.pattern = (p), .type = S_IFDIR, .perm = 0755,                     \
		.flags = ECSFS__R_SCRATCH_DIR | ECSFS__R_KEEPMETA, .exists = (ex), \
		.list = ecsfs__spec_files_list, .rmdir = ecsfs__spec_fixed_rmdir   \
	}
/* A spec document spec/clusters/<c>/<kind>/<name>.json changed: the kernel
 * forgets the file, its directory and the cluster's (routes_doc.c). */
void ecsfs__invalidate_spec_doc(ecsfs__fs *fs, const char *cluster, const char *kind,
				const char *name);

/* ---- spec documents (routes_doc.c) ---- */

/*
 * A JSON spec file of spec/clusters/<c>/<kind>/<name>.json whose meaning is
 * one model's check and put, named by its route (ECSFS__SPEC_DOC); the
 * route's check and apply parse the bytes the same way for all.
 */
typedef struct ecsfs__spec_doc {
	const char *what; /* "a service definition", in the size limit's message */
	int max;	  /* bytes of text at the most */
	/* the model's rules on the parsed document (cap[0] cluster, cap[1] name) */
	int (*check)(const char *cluster, const char *name, const json_t *doc, ecsfs_err *err);
	/* create or update it from the document and the bytes its file keeps */
	int (*put)(ecsfs__fs *fs, const ecsfs__match *m, const json_t *doc,
		   const ecsfs_spec_bytes *file, ecsfs_err *err);
} ecsfs__spec_doc;

/* The check and apply of a spec document's route (its .doc): check is 0
 * while a plain append may still complete the document (partial) or when
 * the model accepts it, -EINVAL and err otherwise; apply parses the whole
 * text and puts it. */
int ecsfs__spec_doc_check(ecsfs__fs *fs, const ecsfs__match *m, const char *data, size_t len,
			  bool partial, ecsfs_err *err);
int ecsfs__spec_doc_apply(ecsfs__fs *fs, const ecsfs__match *m, const char *data, size_t len,
			  const ecsfs_file_meta *meta, ecsfs_err *err);

/* The route of a definition file in spec/: stored with its metadata, made by
 * open(O_CREAT), and removed only after the grace period (editors' renames). */
#define ECSFS__SPEC_FILE(p, chk, app, unl)                                                         \
	{                                                                                          \
		.pattern = (p), .type = S_IFREG, .perm = 0644,                                     \
		.flags = ECSFS__R_STORED | ECSFS__R_CREATE | ECSFS__R_GRACE,                       \
		.exists = ecsfs__spec_file_exists, .check = (chk), .apply = (app), .unlink = (unl) \
	}
/* The same for a spec document `d` (a const ecsfs__spec_doc *). */
#define ECSFS__SPEC_DOC(p, d, unl)                                                 \
	{                                                                          \
		.pattern = (p), .type = S_IFREG, .perm = 0644,                     \
		.flags = ECSFS__R_STORED | ECSFS__R_CREATE | ECSFS__R_GRACE,       \
		.exists = ecsfs__spec_file_exists, .check = ecsfs__spec_doc_check, \
		.apply = ecsfs__spec_doc_apply, .unlink = (unl), .doc = (d)        \
	}

/* Daemon log (main.c): one timestamped line on stderr. */
void ecsfs__log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
