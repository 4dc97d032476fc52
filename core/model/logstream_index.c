/*
 * The times of captured log lines: `<container>.idx` beside each
 * container's log (written by the capture as lines arrive), and reading a
 * log with it — a line's time, the line at a time, walks forward and back.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ecsfs/util.h"
#include "model/logstream_private.h"

#define REC_SIZE   ((uint64_t)sizeof(struct lrec))
#define READ_CHUNK 65536

void ecsfs_logindex_init(ecsfs_logindex *x)
{
	x->fd = -1;
	x->last_ms = 0;
	x->size = 0;
}

void ecsfs_logindex_release(ecsfs_logindex *x)
{
	if (x->fd >= 0)
		close(x->fd);
	ecsfs_logindex_init(x);
}

static bool read_rec(int fd, uint64_t i, struct lrec *r)
{
	return pread(fd, r, sizeof(*r), (off_t)(i * REC_SIZE)) == (ssize_t)sizeof(*r);
}

static int open_index(ecsfs_logindex *x, const char *log_dir, const char *task,
		      const char *container)
{
	ecsfs_buf path = ECSFS_BUF_INIT;
	struct stat st;
	struct lrec last;

	ecsfs_buf_addf(&path, "%s/%s/%s.idx", log_dir, task, container);
	x->fd = open(path.data, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	ecsfs_buf_release(&path);
	if (x->fd < 0)
		return -errno;
	if (fstat(x->fd, &st) < 0)
		return -errno;
	/* a record cut by a crash is dropped: the next one starts on a boundary */
	x->size = (uint64_t)st.st_size / REC_SIZE * REC_SIZE;
	if ((uint64_t)st.st_size != x->size && ftruncate(x->fd, (off_t)x->size) < 0)
		return -errno;
	if (x->size && read_rec(x->fd, x->size / REC_SIZE - 1, &last))
		x->last_ms = last.ts_ms;
	return 0;
}

void ecsfs_logindex_note(ecsfs_logindex *x, const char *log_dir, const char *task,
			 const char *container, uint64_t off, int64_t ts_ns)
{
	int64_t now_ms = ecsfs_now_ns() / 1000000;
	struct lrec r;

	if (x->fd < 0 && open_index(x, log_dir, task, container) < 0) {
		ecsfs_logindex_release(x);
		return;
	}
	r.off = off;
	r.ts_ms = ts_ns > 0 ? ts_ns / 1000000 : now_ms;
	r.ingest_ms = now_ms;
	if (r.ts_ms < x->last_ms)
		r.ts_ms = x->last_ms;
	if ((x->size && r.ts_ms == x->last_ms) || x->size + REC_SIZE > ECSFS_LOGINDEX_MAX)
		return;
	if (write(x->fd, &r, sizeof(r)) == (ssize_t)sizeof(r)) {
		x->size += REC_SIZE;
		x->last_ms = r.ts_ms;
	}
}

/* ---- reading ---- */

void ecsfs__lread_open(struct lreader *r, const struct lstream *st)
{
	size_t n = strlen(st->path);
	ecsfs_buf idx = ECSFS_BUF_INIT;
	struct stat sb;

	memset(r, 0, sizeof(*r));
	r->dflt_ms = st->dflt_ms;
	r->log_fd = open(st->path, O_RDONLY | O_CLOEXEC);
	if (r->log_fd >= 0 && fstat(r->log_fd, &sb) == 0) {
		r->size = (uint64_t)sb.st_size;
		r->mtime_ms = (int64_t)sb.st_mtim.tv_sec * 1000 + sb.st_mtim.tv_nsec / 1000000;
	}
	/* the index is named as the log, with .idx for .log */
	ecsfs_buf_add(&idx, st->path, n > 4 ? n - 4 : n);
	ecsfs_buf_adds(&idx, ".idx");
	r->idx_fd = open(idx.data, O_RDONLY | O_CLOEXEC);
	if (r->idx_fd >= 0 && fstat(r->idx_fd, &sb) == 0)
		r->nrec = (uint64_t)sb.st_size / REC_SIZE;
	ecsfs_buf_release(&idx);
}

void ecsfs__lread_close(struct lreader *r)
{
	if (r->log_fd >= 0)
		close(r->log_fd);
	if (r->idx_fd >= 0)
		close(r->idx_fd);
	r->log_fd = r->idx_fd = -1;
}

static struct lrec dflt_rec(const struct lreader *r)
{
	struct lrec d = {0, r->dflt_ms, r->dflt_ms};
	return d;
}

/* The last record whose offset is <= off: its number, or nrec when none. */
static uint64_t rec_at(const struct lreader *r, uint64_t off, struct lrec *out)
{
	uint64_t lo = 0, hi = r->nrec, found = r->nrec;
	struct lrec m;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (!read_rec(r->idx_fd, mid, &m))
			break;
		if (m.off <= off) {
			found = mid;
			*out = m;
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return found;
}

struct lrec ecsfs__lread_time_at(const struct lreader *r, uint64_t off)
{
	struct lrec m;
	if (rec_at(r, off, &m) == r->nrec)
		return dflt_rec(r);
	return m;
}

uint64_t ecsfs__lread_seek(const struct lreader *r, int64_t ms)
{
	uint64_t lo = 0, hi = r->nrec;
	struct lrec m, first;

	if (r->nrec == 0 || !read_rec(r->idx_fd, 0, &first))
		return r->dflt_ms >= ms ? 0 : r->size;
	if (first.off > 0 && r->dflt_ms >= ms)
		return 0;
	while (lo < hi) { /* the first record whose time is >= ms */
		uint64_t mid = lo + (hi - lo) / 2;
		if (!read_rec(r->idx_fd, mid, &m))
			return r->size;
		if (m.ts_ms >= ms)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (lo == r->nrec || !read_rec(r->idx_fd, lo, &m))
		return r->size;
	return m.off < r->size ? m.off : r->size;
}

bool ecsfs__lread_span(const struct lreader *r, int64_t *first_ms, int64_t *last_ms)
{
	uint64_t start = ecsfs__lread_back(r, r->size, 0, 1, SIZE_MAX);

	if (r->size == 0 || start >= r->size)
		return false;
	*first_ms = ecsfs__lread_time_at(r, 0).ts_ms;
	*last_ms = ecsfs__lread_time_at(r, start).ts_ms;
	return true;
}

/* ---- walks ---- */

void ecsfs__lwalk_init(struct lwalk *w, const struct lreader *r, uint64_t from)
{
	memset(w, 0, sizeof(*w));
	w->r = r;
	w->pos = w->buf_pos = from;
	ecsfs_buf_init(&w->buf);
	w->rec = rec_at(r, from, &w->cur);
	if (w->rec == r->nrec)
		w->cur = dflt_rec(r);
}

void ecsfs__lwalk_release(struct lwalk *w)
{
	ecsfs_buf_release(&w->buf);
}

/* Read more of the file into the buffer, dropping what was consumed. */
static bool fill(struct lwalk *w)
{
	ssize_t n;
	size_t keep = w->buf.len - w->used;

	if (w->buf_pos + w->buf.len >= w->r->size || w->r->log_fd < 0)
		return false;
	if (keep && w->used)
		memmove(w->buf.data, w->buf.data + w->used, keep);
	w->buf_pos += w->used;
	w->used = 0;
	ecsfs_buf_setlen(&w->buf, keep);
	ecsfs_buf_grow(&w->buf, READ_CHUNK);
	n = pread(w->r->log_fd, w->buf.data + keep, READ_CHUNK, (off_t)(w->buf_pos + keep));
	if (n <= 0)
		return false;
	/* not ecsfs_buf_setlen(): it would zero what was just read */
	w->buf.len = keep + (size_t)n;
	w->buf.data[w->buf.len] = '\0';
	return true;
}

/* Move the walk's record forward to the one covering pos. */
static void advance_rec(struct lwalk *w)
{
	struct lrec next;
	uint64_t i = w->rec == w->r->nrec ? 0 : w->rec + 1;

	while (i < w->r->nrec && read_rec(w->r->idx_fd, i, &next) && next.off <= w->pos) {
		w->cur = next;
		w->rec = i++;
	}
}

int ecsfs__lwalk_next(struct lwalk *w, struct lline *l)
{
	char *nl;

	if (w->pos >= w->r->size)
		return 0;
	for (;;) {
		nl = w->buf.len > w->used
			 ? memchr(w->buf.data + w->used, '\n', w->buf.len - w->used)
			 : NULL;
		if (nl)
			break;
		if (!fill(w))
			return 0;
	}
	advance_rec(w);
	l->off = w->pos;
	l->msg = w->buf.data + w->used;
	l->len = (size_t)(nl - l->msg);
	l->end = w->pos + l->len + 1;
	l->ts_ms = w->cur.ts_ms;
	l->ingest_ms = w->cur.ingest_ms;
	w->used += l->len + 1;
	w->pos = l->end;
	return 1;
}

uint64_t ecsfs__lread_back(const struct lreader *r, uint64_t to, uint64_t floor, int64_t limit,
			   size_t max_bytes)
{
	char chunk[READ_CHUNK];
	uint64_t at = to, start = to;
	int64_t lines = 0;

	/* the byte before `to` ends the last line; look for the newlines
	 * that end the lines before it */
	if (to == 0 || to <= floor || r->log_fd < 0)
		return to;
	at = to - 1;
	while (at > floor) {
		uint64_t from = at - floor > sizeof(chunk) ? at - sizeof(chunk) : floor;
		ssize_t n = pread(r->log_fd, chunk, (size_t)(at - from), (off_t)from);
		if (n != (ssize_t)(at - from))
			return start;
		for (ssize_t i = n - 1; i >= 0; i--) {
			if (chunk[i] != '\n')
				continue;
			uint64_t line_start = from + (uint64_t)i + 1;
			/* one line is always taken, however long */
			if (++lines > limit ||
			    (lines > 1 && (to - line_start) + 26 * (uint64_t)lines > max_bytes))
				return start;
			start = line_start;
		}
		at = from;
	}
	if (lines < limit && (lines == 0 || (to - floor) + 26 * (uint64_t)(lines + 1) <= max_bytes))
		start = floor;
	return start;
}
