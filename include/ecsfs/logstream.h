/*
 * ecsfs — the captured container logs as CloudWatch Logs shows them: log
 * groups and streams named as ECS's awslogs driver names them, and their
 * events with the times the engine gave each line.
 *
 * Nothing is copied: the groups and streams are a view of the tasks the
 * reconciler keeps (STOPPED ones for their retention) and of the log files
 * it writes under STATE/logs/<task>/. Beside each container's log,
 * `<container>.idx` keeps the time of its lines (see ecsfs_logindex).
 *
 * Naming. A container whose logConfiguration has logDriver "awslogs" writes
 * to its options' `awslogs-group`; its stream is
 * `<awslogs-stream-prefix>/<container name>/<task id>`, or, without a
 * prefix, the container's engine id (as awslogs names it on EC2). Every
 * other container (no logConfiguration, another driver) is shown under
 * group `/ecs/<family>` with prefix `ecs` — the names the ECS console's
 * "auto-configure CloudWatch Logs" gives — since its output is captured
 * the same way. A group exists while a task writes to it, or the newest
 * ACTIVE revision of a family names it (it is there before its first task,
 * as a group made for awslogs is).
 */
#ifndef ECSFS_LOGSTREAM_H
#define ECSFS_LOGSTREAM_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "ecsfs/error.h"
#include "ecsfs/store.h"
#include "ecsfs/task.h"

/* ---- per-line times, written by the log capture ---- */

/*
 * `<container>.idx` holds records {offset, engine time ms, ingestion time
 * ms} (24 bytes, host order), one where a line's millisecond differs from
 * the record before it: a line's time is the last record at or before its
 * offset. Times never go back within a stream (an engine time earlier than
 * the last one is taken as the last one), so offsets and times are both
 * sorted and a time is found by binary search. The file stops growing at
 * ECSFS_LOGINDEX_MAX; later lines keep the last time recorded.
 */
#define ECSFS_LOGINDEX_MAX (128ull << 20)

typedef struct ecsfs_logindex {
	int fd;		 /* -1 until the first line */
	int64_t last_ms; /* time of the last record (0: none) */
	uint64_t size;	 /* bytes of the index file */
} ecsfs_logindex;

void ecsfs_logindex_init(ecsfs_logindex *x);
/* Close the file (the index stays on disk). */
void ecsfs_logindex_release(ecsfs_logindex *x);
/*
 * Note that a line starting at byte `off` of log_dir/<task>/<container>.log
 * was written, with the engine's time `ts_ns` (0: unknown, now is taken).
 * Errors (a full disk) lose times, never lines: the function returns
 * nothing.
 */
void ecsfs_logindex_note(ecsfs_logindex *x, const char *log_dir, const char *task,
			 const char *container, uint64_t off, int64_t ts_ns);

/* ---- the CloudWatch Logs operations ---- */

/* Largest response of an events call, as Logs counts it (message bytes
 * plus 26 per event), and its most events. */
#define ECSFS_LOGS_MAX_BYTES  (1u << 20)
#define ECSFS_LOGS_MAX_EVENTS 10000

/*
 * DescribeLogGroups: every group (logGroupName, creationTime, arn,
 * metricFilterCount, storedBytes), sorted by name, of names that start
 * with `prefix` and contain `pattern` (either may be NULL), into *out
 * (a new array). `t` NULL (no runtime): those task definitions name.
 * Server on a store fault.
 */
int ecsfs_logstream_groups(ecsfs_tasks *t, ecsfs_store *s, const char *prefix, const char *pattern,
			   json_t **out, ecsfs_err *err);

/*
 * DescribeLogStreams of group `group`: streams whose names start with
 * `prefix` (may be NULL), ordered by name or (by_time) lastEventTimestamp,
 * ascending or descending, into *out (a new array of logStreamName,
 * creationTime, firstEventTimestamp, lastEventTimestamp, lastIngestionTime
 * — absent while the stream has no event —, arn, storedBytes; times in
 * epoch milliseconds). ResourceNotFound/-ENOENT for an unknown group; a
 * group no task writes to yet has no stream.
 */
int ecsfs_logstream_streams(ecsfs_tasks *t, ecsfs_store *s, const char *group, const char *prefix,
			    bool by_time, bool descending, json_t **out, ecsfs_err *err);

/* GetLogEvents' request. Times in epoch milliseconds. */
typedef struct ecsfs_logs_get {
	const char *group, *stream;
	bool has_start, has_end;
	int64_t start_ms, end_ms; /* start <= timestamp < end */
	bool from_head;		  /* startFromHead */
	const char *token;	  /* nextToken: a nextForwardToken or nextBackwardToken, or NULL */
	int64_t limit;		  /* 0: as many as fit ECSFS_LOGS_MAX_BYTES */
} ecsfs_logs_get;

/*
 * GetLogEvents: *out is {events: [{timestamp, message, ingestionTime}],
 * nextForwardToken, nextBackwardToken}, events oldest first. Without a
 * token, the newest events (from_head: the oldest) in the time range; a
 * forward token gives the events after the last ones returned, a backward
 * token those before the first. At the end of the stream a forward token
 * comes back unchanged. ResourceNotFound/-ENOENT for an unknown group or
 * stream, InvalidParameter/-EINVAL for a token this stream did not give.
 */
int ecsfs_logstream_get(ecsfs_tasks *t, ecsfs_store *s, const ecsfs_logs_get *q, json_t **out,
			ecsfs_err *err);

/* FilterLogEvents' request. */
typedef struct ecsfs_logs_filter {
	const char *group;
	const json_t *names; /* logStreamNames (array of strings) or NULL */
	const char *prefix;  /* logStreamNamePrefix or NULL */
	bool has_start, has_end;
	int64_t start_ms, end_ms; /* start <= timestamp <= end */
	const char *pattern;	  /* filterPattern or NULL */
	const char *token;	  /* nextToken or NULL */
	int64_t limit;		  /* 0: ECSFS_LOGS_MAX_EVENTS */
} ecsfs_logs_filter;

/*
 * FilterLogEvents: the events of the group's streams (those named, or
 * whose names start with prefix) in the time range that match the
 * pattern, interleaved by time: *out is {events: [{logStreamName,
 * timestamp, message, ingestionTime, eventId}], searchedLogStreams:
 * [{logStreamName, searchedCompletely}], nextToken while more may
 * follow}. Patterns: terms that must all appear (case-sensitive), "quoted
 * phrases", ?term (at least one of them), -term (none of them); JSON and
 * space-delimited patterns are InvalidParameter/-EINVAL. Errors as
 * ecsfs_logstream_get().
 */
int ecsfs_logstream_filter(ecsfs_tasks *t, ecsfs_store *s, const ecsfs_logs_filter *q, json_t **out,
			   ecsfs_err *err);

#endif
