/* The store: journals, the append-only streams behind events and errors. */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/store.h"
#include "ecsfs/util.h"
#include "store/store_private.h"

/* ---- journals ---- */

struct head_out {
	int64_t *base, *end, *mtime;
};

static void head_from_row(sqlite3_stmt *st, void *out)
{
	struct head_out *o = out;

	*o->base = sqlite3_column_int64(st, 0);
	*o->end = sqlite3_column_int64(st, 1);
	*o->mtime = sqlite3_column_int64(st, 2);
}

/* A stream without a head is empty: all three are 0. */
static int journal_head(ecsfs_store *s, const char *stream, int64_t *base, int64_t *end,
			int64_t *mtime)
{
	sqlite3_stmt *st = ecsfs__sql_stmt(s, "SELECT base, end_off, mtime_ns FROM journal_head "
					      "WHERE stream = ?1");
	struct head_out o = {base, end, mtime};
	int r;
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, stream, -1, SQLITE_STATIC);
	r = ecsfs__sql_row(s, st, "journal_head", head_from_row, &o);
	if (r == -ENOENT) {
		*base = *end = *mtime = 0;
		r = 0;
	}
	return r;
}

/* Drop the oldest lines so that about half of the limit remains. */
static int journal_trim(ecsfs_store *s, const char *stream, int64_t end)
{
	sqlite3_stmt *st =
	    ecsfs__sql_stmt(s, "SELECT min(off) FROM journal WHERE stream = ?1 AND off >= ?2");
	int64_t base;
	int r;
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, stream, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, end - (int64_t)(ECSFS_JOURNAL_MAX / 2));
	if ((r = ecsfs__sql_one(s, st, "journal_trim", ecsfs__sql_read_int64, &base)) < 0)
		return r;
	st = ecsfs__sql_stmt(s, "DELETE FROM journal WHERE stream = ?1 AND off < ?2");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, stream, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, base);
	if ((r = ecsfs__sql_done(s, st, "journal_trim")) < 0)
		return r;
	st = ecsfs__sql_stmt(s, "UPDATE journal_head SET base = ?2 WHERE stream = ?1");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, stream, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, base);
	return ecsfs__sql_done(s, st, "journal_trim");
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
	st = ecsfs__sql_stmt(
	    s, "INSERT INTO journal (stream, off, at_ns, line) VALUES (?1, ?2, ?3, ?4)");
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
	r = ecsfs__sql_done(s, st, "journal_append");
	free(nl);
	if (r < 0)
		goto fail;
	end += (int64_t)len + 1;
	st = ecsfs__sql_stmt(
	    s, "INSERT OR REPLACE INTO journal_head (stream, base, end_off, mtime_ns) "
	       "VALUES (?1, ?2, ?3, ?4)");
	if (!st) {
		r = -EIO;
		goto fail;
	}
	sqlite3_bind_text(st, 1, stream, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, base);
	sqlite3_bind_int64(st, 3, end);
	sqlite3_bind_int64(st, 4, now);
	if ((r = ecsfs__sql_done(s, st, "journal_append")) < 0)
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
	int r;

	ecsfs__errors_flush(s, stream);
	r = journal_head(s, stream, &base, &end, &mtime);
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
	st = ecsfs__sql_stmt(
	    s, "SELECT off, line FROM journal WHERE stream = ?1 AND off >= "
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
	sqlite3_stmt *st =
	    ecsfs__sql_stmt(s, "SELECT at_ns, line FROM (SELECT off, at_ns, line FROM journal "
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
		r = ecsfs__sql_fault(s, rc, "journal_tail");
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
	static const char *const drops[] = {
	    "DELETE FROM journal WHERE stream = ?1",
	    "DELETE FROM journal_head WHERE stream = ?1",
	};
	sqlite3_stmt *st;
	int r;
	if ((r = ecsfs_store_begin(s)) < 0)
		return r;
	for (size_t i = 0; i < sizeof(drops) / sizeof(drops[0]); i++) {
		st = ecsfs__sql_stmt(s, drops[i]);
		if (!st) {
			r = -EIO;
			goto fail;
		}
		sqlite3_bind_text(st, 1, stream, -1, SQLITE_STATIC);
		if ((r = ecsfs__sql_done(s, st, "journal_drop")) < 0)
			goto fail;
	}
	return ecsfs_store_commit(s);
fail:
	ecsfs_store_rollback(s);
	return r;
}
