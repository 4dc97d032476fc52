/* What the log-stream files share (core/model/logstream*.c). */
#ifndef ECSFS_LOGSTREAM_PRIVATE_H
#define ECSFS_LOGSTREAM_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ecsfs/buf.h"
#include "ecsfs/logstream.h"

/* One stream: a container of a task, under the group its log goes to. */
struct lstream {
	char *group, *name;
	char *path;	    /* its captured log file */
	int64_t created_ms; /* the task's creation */
	int64_t dflt_ms;    /* the time of lines no record covers (the task's start) */
};

/* Every stream (of one group, or of all), sorted by group then name. */
struct lcatalog {
	struct lstream *v;
	size_t n, cap;
};

/* Build the catalog of `group` (NULL: every group). 0 or -errno + err. */
int ecsfs__lcat_build(ecsfs_tasks *t, ecsfs_store *s, const char *group, struct lcatalog *out,
		      ecsfs_err *err);
void ecsfs__lcat_release(struct lcatalog *c);
/* The stream `name` of the catalog, or NULL. */
const struct lstream *ecsfs__lcat_find(const struct lcatalog *c, const char *name);

/*
 * The group container `container` of a task of `family` writes to (from
 * `td`, its revision in describe shape, or NULL) into *group; returns the
 * stream prefix (NULL or "": awslogs without one).
 */
const char *ecsfs__lgroup_of(const json_t *td, const char *family, const char *container,
			     ecsfs_buf *group);

/* Groups by name, with the oldest creation and the bytes of their logs. */
struct lgroup {
	char *name;
	int64_t created_ms;
	uint64_t bytes;
};
struct lgroups {
	struct lgroup *v;
	size_t n, cap;
};
void ecsfs__lgroups_add(struct lgroups *g, const char *name, int64_t created_ms, uint64_t bytes);
/* The groups the newest ACTIVE revision of each family writes to (a group
 * exists before its first task, as one made for awslogs does). */
void ecsfs__lgroups_from_taskdefs(ecsfs_store *s, struct lgroups *g);
/* Sort by name and merge the entries of one group. */
void ecsfs__lgroups_fold(struct lgroups *g);
bool ecsfs__lgroups_has(const struct lgroups *g, const char *name);
void ecsfs__lgroups_release(struct lgroups *g);
/* A group no task writes to: 0 when a task definition names it, else
 * ResourceNotFound/-ENOENT. */
int ecsfs__lgroup_missing(ecsfs_store *s, const char *group, ecsfs_err *err);

/* ---- reading one stream with its times (logstream_index.c) ---- */

struct lrec {
	uint64_t off;
	int64_t ts_ms, ingest_ms;
};

struct lreader {
	int log_fd, idx_fd; /* -1 when absent */
	uint64_t size;	    /* of the log */
	uint64_t nrec;	    /* records in the index */
	int64_t dflt_ms;    /* time of lines before the first record */
	int64_t mtime_ms;   /* of the log */
};

/* Open a stream's log and index (a log not written yet reads as empty). */
void ecsfs__lread_open(struct lreader *r, const struct lstream *st);
void ecsfs__lread_close(struct lreader *r);
/* The time of the line starting at `off`. */
struct lrec ecsfs__lread_time_at(const struct lreader *r, uint64_t off);
/* The offset of the first line whose time is >= ms (size when none). */
uint64_t ecsfs__lread_seek(const struct lreader *r, int64_t ms);
/* Times of the first and last lines; false when the log is empty. */
bool ecsfs__lread_span(const struct lreader *r, int64_t *first_ms, int64_t *last_ms);

/* One line of a log: bytes [off, end) with the newline left out of msg. */
struct lline {
	uint64_t off, end;
	int64_t ts_ms, ingest_ms;
	const char *msg;
	size_t len;
};

/* Lines forward from an offset, whole lines only (a line being written
 * ends the walk). */
struct lwalk {
	const struct lreader *r;
	uint64_t pos;	  /* where the next line starts */
	ecsfs_buf buf;	  /* bytes read from buf_pos */
	uint64_t buf_pos; /* file offset of buf.data[0] */
	size_t used;	  /* bytes of buf consumed */
	uint64_t rec;	  /* index of the record that covers pos */
	struct lrec cur;
};

void ecsfs__lwalk_init(struct lwalk *w, const struct lreader *r, uint64_t from);
void ecsfs__lwalk_release(struct lwalk *w);
/* 1 and *l (valid until the next call), 0 at the end. */
int ecsfs__lwalk_next(struct lwalk *w, struct lline *l);
/* Where a walk back from `to` must start to see at most `limit` lines
 * (and about `max_bytes` as Logs counts them), not before `floor`. */
uint64_t ecsfs__lread_back(const struct lreader *r, uint64_t to, uint64_t floor, int64_t limit,
			   size_t max_bytes);

/* ---- filter patterns (logstream_filter.c) ---- */

struct lfilter;
/* NULL or "" match everything (*out NULL). InvalidParameter/-EINVAL. */
int ecsfs__lfilter_parse(const char *pattern, struct lfilter **out, ecsfs_err *err);
bool ecsfs__lfilter_match(const struct lfilter *f, const char *msg, size_t len);
void ecsfs__lfilter_free(struct lfilter *f);

/* A log line as a JSON string: invalid UTF-8 becomes U+FFFD. */
json_t *ecsfs__lmessage(const char *msg, size_t len);

#endif
