/*
 * The low-level FUSE operations: every request is resolved to a route of
 * the table (router.c) and served by the route's handlers. This file holds
 * the mechanisms all node kinds share: exact sizes, snapshots taken at
 * open, pending copies for writes, early and late validation, scratch files
 * and rename-to-apply, /ecs/errors, and the errno rules of DESIGN §3.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "ecsfs/cluster.h"
#include "ecsfs/util.h"
#include "fs.h"

#define ENTRY_TIMEOUT	  1.0
#define DIR_ATTR_TIMEOUT  1.0
#define FILE_ATTR_TIMEOUT 0.0

/* An open file. For reading: a snapshot taken at open. For writing: the
 * pending copy that flush applies. */
typedef struct ecsfs__open {
	ecsfs__link link; /* first: the list of open handles */
	ecsfs__fs *fs;
	uint64_t ino;
	ecsfs__match m;
	ecsfs_buf data;
	ecsfs_file_meta meta; /* metadata to keep when stored content is applied */
	bool readable, writable;
	bool dirty;	   /* changes not yet applied */
	bool plain;	   /* so far a plain append from an empty start */
	bool poisoned;	   /* a write was refused; nothing of this handle applies */
	bool created;	   /* made by create(): exists only once applied */
	bool meta_set;	   /* times were set on it while pending: keep them */
	bool result;	   /* data now holds what the applied command answered */
	bool based;	   /* result_base is set */
	off_t result_base; /* the offset of the first read of the answer */
} ecsfs__open;

typedef struct dirhandle {
	ecsfs__link link; /* first: the list of open handles */
	ecsfs__fs *fs;
	ecsfs__dirlist list;
} dirhandle;

static void link_add(ecsfs__fs *fs, ecsfs__link *l, void (*free_fn)(ecsfs__link *))
{
	l->free = free_fn;
	l->prev = NULL;
	l->next = fs->handles;
	if (fs->handles)
		fs->handles->prev = l;
	fs->handles = l;
}

static void link_del(ecsfs__fs *fs, ecsfs__link *l)
{
	if (l->prev)
		l->prev->next = l->next;
	else
		fs->handles = l->next;
	if (l->next)
		l->next->prev = l->prev;
}

void ecsfs__release_handles(ecsfs__fs *fs)
{
	while (fs->handles)
		fs->handles->free(fs->handles);
}

static void dir_free(ecsfs__link *l)
{
	dirhandle *d = (dirhandle *)l;
	link_del(d->fs, l);
	ecsfs_buf_release(&d->list.names);
	free(d->list.types);
	free(d);
}

static ecsfs__fs *req_fs(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/* Replace bytes that are not valid UTF-8 by "\xNN". */
static void utf8_escape(ecsfs_buf *b)
{
	json_t *probe = json_stringn(b->data, b->len);
	if (probe) {
		json_decref(probe);
		return;
	}
	ecsfs_buf out = ECSFS_BUF_INIT;
	for (size_t i = 0; i < b->len; i++) {
		unsigned char c = (unsigned char)b->data[i];
		if (c < 0x80)
			ecsfs_buf_addch(&out, (char)c);
		else
			ecsfs_buf_addf(&out, "\\x%02x", c);
	}
	ecsfs_buf_release(b);
	*b = out;
}

void ecsfs__reject(ecsfs__fs *fs, const char *path, int err, const char *why)
{
	char when[32];
	json_t *j;
	char *line;

	ecsfs_time_iso(ecsfs_now_ns(), when);
	ecsfs_buf full = ECSFS_BUF_INIT, text = ECSFS_BUF_INIT;
	ecsfs_buf_addf(&full, "%s%s", fs->mountpoint ? fs->mountpoint : "", path);
	ecsfs_buf_adds(&text, why && *why ? why : strerror(-err));
	/* names are bytes, JSON is UTF-8: escape what is not */
	utf8_escape(&full);
	utf8_escape(&text);
	j = json_pack("{s:s, s:s, s:s, s:s}", "time", when, "path", full.data, "errno",
		      ecsfs_errno_name(err), "message", text.data);
	line = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (line && ecsfs_store_journal_append(fs->store, "errors", line) < 0)
		ecsfs__log("cannot record an error line: %s", ecsfs_store_last_error(fs->store));
	free(line);
	json_decref(j);
	ecsfs_buf_release(&full);
	ecsfs_buf_release(&text);
	ecsfs__invalidate_inode(fs, "/errors");
}

void ecsfs__runtime_info(ecsfs__fs *fs, ecsfs_runtime_info *out)
{
	memset(out, 0, sizeof(*out));
	if (fs->rt)
		ecsfs_runtime_get_info(fs->rt, out);
	else
		snprintf(out->name, sizeof(out->name), "none");
}

void ecsfs__invalidate_entry(ecsfs__fs *fs, const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!fs->notify || !slash || !path[1])
		return;
	ecsfs__node *node = ecsfs__nodes_by_path(fs->nodes, path);
	if (!node)
		return;
	ecsfs_buf parent = ECSFS_BUF_INIT;
	ecsfs_buf_add(&parent, path, slash == path ? 1 : (size_t)(slash - path));
	ecsfs__node *p = ecsfs__nodes_by_path(fs->nodes, parent.data);
	if (p)
		ecsfs__notify_entry(fs->notify, p->ino, slash + 1);
	ecsfs_buf_release(&parent);
}

void ecsfs__invalidate_inode(ecsfs__fs *fs, const char *path)
{
	ecsfs__node *node;
	if (fs->notify && (node = ecsfs__nodes_by_path(fs->nodes, path)))
		ecsfs__notify_inode(fs->notify, node->ino);
}

/* An EIO answer always leaves its cause in the daemon's log. */
static int fault_log(ecsfs__fs *fs, int r, const char *path, const ecsfs_buf *why)
{
	if (r == -EIO)
		ecsfs__log("internal fault on %s: %s", path,
			   why && why->len ? why->data : ecsfs_store_last_error(fs->store));
	return r;
}

/* Reject a change: errors line (and log for EIO), then the errno. */
static int reject(ecsfs__fs *fs, const char *path, int err, const ecsfs_buf *why)
{
	fault_log(fs, err, path, why);
	ecsfs__reject(fs, path, err, why ? why->data : NULL);
	return err;
}

static int rejectf(ecsfs__fs *fs, const char *path, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int rejectf(ecsfs__fs *fs, const char *path, int err, const char *fmt, ...)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	ecsfs_buf_vaddf(&why, fmt, ap);
	va_end(ap);
	reject(fs, path, err, &why);
	ecsfs_buf_release(&why);
	return err;
}

static bool in_spec(const char *path)
{
	return strncmp(path, "/spec", 5) == 0 && (path[5] == '/' || path[5] == '\0');
}

/* The open file, if any, that is creating this path. */
static ecsfs__open *pending_of(ecsfs__fs *fs, const char *path)
{
	ecsfs__node *node = ecsfs__nodes_by_path(fs->nodes, path);
	return node ? node->pending : NULL;
}

/* A definition was written: a removal waiting out its grace is called off. */
static void applied(ecsfs__fs *fs, const char *path)
{
	int r = ecsfs_store_deferred_delete(fs->store, path);
	if (r < 0 && r != -ENOENT)
		fault_log(fs, r, path, NULL);
	ecsfs__invalidate_inode(fs, path);
}

/*
 * Remove a definition. Routes with R_GRACE lose their file at once but
 * their meaning only after ECSFS__GRACE_NS: an editor that renames the file
 * away and writes it anew makes an update, not a delete and a create.
 */
static int remove_definition(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_err *why)
{
	int r;
	if (!(m->route->flags & ECSFS__R_GRACE))
		return m->route->unlink(fs, m, why);
	if ((r = ecsfs_store_begin(fs->store)) < 0)
		return r;
	if ((r = ecsfs_store_file_delete(fs->store, m->parent.data, m->name)) < 0 ||
	    (r = ecsfs_store_deferred_put(fs->store, m->path.data,
					  ecsfs_now_ns() + ECSFS__GRACE_NS)) < 0) {
		ecsfs_store_rollback(fs->store);
		return r;
	}
	return ecsfs_store_commit(fs->store);
}

static int due_cb(void *data, const char *path)
{
	ecsfs_buf_add(data, path, strlen(path) + 1);
	return 0;
}

void ecsfs__sweep(ecsfs__fs *fs)
{
	ecsfs_buf due = ECSFS_BUF_INIT;
	ecsfs_err why = ECSFS_ERR_INIT;
	ecsfs__match m;

	if (ecsfs_store_deferred_due(fs->store, ecsfs_now_ns(), due_cb, &due) < 0 || !due.len)
		goto out;
	ecsfs__match_init(&m);
	for (const char *p = due.data; p < due.data + due.len; p += strlen(p) + 1) {
		ecsfs_store_deferred_delete(fs->store, p);
		if (ecsfs__route_match(p, &m) < 0 || !m.route->unlink)
			continue;
		if (m.route->exists && m.route->exists(fs, &m) == 0)
			continue; /* written again in time: it was an update */
		if (pending_of(fs, p)) {
			/* a replacement is still being written: wait for it */
			ecsfs_store_deferred_put(fs->store, p, ecsfs_now_ns() + ECSFS__GRACE_NS);
			continue;
		}
		ecsfs_err_reset(&why);
		int r = m.route->unlink(fs, &m, &why);
		if (r < 0 && r != -ENOENT)
			ecsfs__log("removing %s after its grace period failed: %s", p,
				   why.msg.len ? why.msg.data : strerror(-r));
	}
	ecsfs__match_release(&m);
out:
	ecsfs_buf_release(&due);
	ecsfs_err_release(&why);
}

/* ---- resolving requests to routes ---- */

/* Path of `name` under the node `parent`, matched. */
static int resolve(ecsfs__fs *fs, fuse_ino_t parent, const char *name, ecsfs__match *m)
{
	ecsfs__node *p = ecsfs__nodes_by_ino(fs->nodes, parent);
	if (!p || !p->path)
		return -ENOENT;
	if (strlen(name) > 255)
		return -ENAMETOOLONG;
	ecsfs_buf path = ECSFS_BUF_INIT;
	ecsfs_buf_addf(&path, "%s/%s", strcmp(p->path, "/") == 0 ? "" : p->path, name);
	int r = ecsfs__route_match(path.data, m);
	ecsfs_buf_release(&path);
	return r;
}

static int resolve_ino(ecsfs__fs *fs, fuse_ino_t ino, ecsfs__match *m, ecsfs__node **out)
{
	ecsfs__node *node = ecsfs__nodes_by_ino(fs->nodes, ino);
	if (!node || !node->path)
		return -ENOENT;
	if (out)
		*out = node;
	return ecsfs__route_match(node->path, m);
}

static int exists(ecsfs__fs *fs, const ecsfs__match *m)
{
	return m->route->exists ? m->route->exists(fs, m) : 0;
}

void ecsfs__set_time(struct timespec *ts, int64_t ns)
{
	ts->tv_sec = (time_t)(ns / 1000000000);
	ts->tv_nsec = (long)(ns % 1000000000);
}

int ecsfs__journal_getattr(ecsfs__fs *fs, const char *stream, struct stat *st)
{
	uint64_t size;
	int64_t mtime;
	int r = ecsfs_store_journal_stat(fs->store, stream, &size, &mtime);
	if (r < 0)
		return r;
	st->st_size = (off_t)size;
	if (mtime) /* never written: fill_attr's default (the daemon's start) */
		ecsfs__set_time(&st->st_mtim, mtime);
	return 0;
}

static int fill_attr(ecsfs__fs *fs, const ecsfs__match *m, uint64_t ino, struct stat *st)
{
	const ecsfs__route *r = m->route;
	ecsfs__node *node = ecsfs__nodes_by_path(fs->nodes, m->path.data);
	ecsfs__open *pending = node ? node->pending : NULL;
	int64_t mtime = fs->start_ns;
	int rc;

	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_mode = r->type | r->perm;
	st->st_nlink = r->type == S_IFDIR ? 2 : 1;
	st->st_blksize = 4096;
	if (pending) {
		st->st_size = (off_t)pending->data.len;
		st->st_mode = r->type | (pending->meta.mode & 07777);
		st->st_uid = pending->meta.uid;
		st->st_gid = pending->meta.gid;
		mtime = pending->meta.mtime_ns;
	} else if (r->flags & (ECSFS__R_STORED | ECSFS__R_KEEPMETA)) {
		ecsfs_file_meta meta;
		rc = ecsfs_store_file_get(fs->store, m->parent.data, m->name, &meta, NULL);
		if (rc == 0) {
			st->st_mode = r->type | (meta.mode & 07777);
			st->st_uid = meta.uid;
			st->st_gid = meta.gid;
			st->st_size = r->type == S_IFDIR ? 0 : (off_t)meta.size;
			mtime = meta.mtime_ns;
		} else if (rc != -ENOENT) {
			return rc;
		}
	}
	if ((r->flags & ECSFS__R_GENERATED) && r->read) {
		ecsfs_buf content = ECSFS_BUF_INIT;
		rc = r->read(fs, m, &content);
		st->st_size = (off_t)content.len;
		ecsfs_buf_release(&content);
		if (rc < 0)
			return rc;
		mtime = ecsfs_now_ns();
	}
	if (node && node->writer && node->writer->dirty)
		st->st_size = (off_t)node->writer->data.len; /* O_APPEND writers rely on it */
	if (r->getattr && (rc = r->getattr(fs, m, st)) < 0)
		return rc;
	if (r->getattr && st->st_mtim.tv_sec)
		mtime = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	ecsfs__set_time(&st->st_mtim, mtime);
	st->st_atim = st->st_mtim;
	st->st_ctim = st->st_mtim;
	st->st_blocks = (st->st_size + 511) / 512;
	return 0;
}

static double attr_timeout(const ecsfs__match *m)
{
	return m->route->type == S_IFDIR ? DIR_ATTR_TIMEOUT : FILE_ATTR_TIMEOUT;
}

static void reply_entry(fuse_req_t req, ecsfs__fs *fs, const ecsfs__match *m)
{
	struct fuse_entry_param e;
	ecsfs__node *node = ecsfs__nodes_ref(fs->nodes, m->path.data);
	int r;

	memset(&e, 0, sizeof(e));
	if ((r = fill_attr(fs, m, node->ino, &e.attr)) < 0) {
		ecsfs__nodes_forget(fs->nodes, node->ino, 1);
		fuse_reply_err(req, -fault_log(fs, r, m->path.data, NULL));
		return;
	}
	e.ino = node->ino;
	e.generation = 1;
	e.entry_timeout = ENTRY_TIMEOUT;
	e.attr_timeout = attr_timeout(m);
	if (fuse_reply_entry(req, &e) != 0)
		ecsfs__nodes_forget(fs->nodes, node->ino, 1);
}

static void op_init(void *data, struct fuse_conn_info *conn)
{
	/* O_TRUNC arrives with open, so a truncating open can start an empty
	 * pending copy instead of truncating the stored file first. */
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
	conn->want &= ~(unsigned)FUSE_CAP_WRITEBACK_CACHE;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	ecsfs__fs *fs = req_fs(req);
	ecsfs__match m;
	int r;

	ecsfs__match_init(&m);
	r = resolve(fs, parent, name, &m);
	if (r == 0 && !pending_of(fs, m.path.data))
		r = exists(fs, &m);
	if (r < 0)
		fuse_reply_err(req, -fault_log(fs, r, m.path.data, NULL));
	else
		reply_entry(req, fs, &m);
	ecsfs__match_release(&m);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	ecsfs__nodes_forget(req_fs(req)->nodes, ino, nlookup);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	for (size_t i = 0; i < count; i++)
		ecsfs__nodes_forget(req_fs(req)->nodes, forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	ecsfs__fs *fs = req_fs(req);
	ecsfs__match m;
	struct stat st;
	int r;

	ecsfs__match_init(&m);
	r = resolve_ino(fs, ino, &m, NULL);
	if (r == 0 && !pending_of(fs, m.path.data) && !(fi && fi->fh))
		r = exists(fs, &m);
	if (r == 0 && fi && fi->fh && m.route->type != S_IFDIR) {
		/* an open file whose object went away still answers fstat */
		if (exists(fs, &m) < 0 && !pending_of(fs, m.path.data)) {
			ecsfs__open *h = (ecsfs__open *)(uintptr_t)fi->fh;
			memset(&st, 0, sizeof(st));
			st.st_ino = ino;
			st.st_mode = m.route->type | m.route->perm;
			st.st_nlink = 0;
			st.st_size = (off_t)h->data.len;
			fuse_reply_attr(req, &st, 0);
			ecsfs__match_release(&m);
			return;
		}
	}
	if (r == 0)
		r = fill_attr(fs, &m, ino, &st);
	if (r < 0)
		fuse_reply_err(req, -fault_log(fs, r, m.path.data, NULL));
	else
		fuse_reply_attr(req, &st, attr_timeout(&m));
	ecsfs__match_release(&m);
}

/* ---- directories ---- */

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	ecsfs__fs *fs = req_fs(req);
	ecsfs__match m;
	dirhandle *d;
	int r;

	ecsfs__match_init(&m);
	if ((r = resolve_ino(fs, ino, &m, NULL)) < 0 || (r = exists(fs, &m)) < 0)
		goto out;
	if (m.route->type != S_IFDIR) {
		r = -ENOTDIR;
		goto out;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		r = -ENOMEM;
		goto out;
	}
	ecsfs_buf_init(&d->list.names);
	d->fs = fs;
	link_add(fs, &d->link, dir_free);
	ecsfs__dirlist_add(&d->list, ".", S_IFDIR);
	ecsfs__dirlist_add(&d->list, "..", S_IFDIR);
	if (m.route->list && (r = m.route->list(fs, &m, &d->list)) < 0)
		goto free_dir;
	if ((m.route->flags & ECSFS__R_SCRATCH_DIR) &&
	    (r = ecsfs_store_file_list(fs->store, m.path.data, ECSFS_FILE_SCRATCH,
				       ecsfs__file_list_cb, &d->list)) < 0)
		goto free_dir;
	fi->fh = (uintptr_t)d;
	if (fuse_reply_open(req, fi) != 0)
		goto free_dir_quiet;
	ecsfs__match_release(&m);
	return;
free_dir:
	fuse_reply_err(req, -fault_log(fs, r, m.path.data, NULL));
free_dir_quiet:
	dir_free(&d->link);
	ecsfs__match_release(&m);
	return;
out:
	fuse_reply_err(req, -fault_log(fs, r, m.path.data, NULL));
	ecsfs__match_release(&m);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	dirhandle *d = (dirhandle *)(uintptr_t)fi->fh;
	char *buf = malloc(size);
	size_t used = 0;
	const char *name = d->list.names.data;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	for (size_t i = 0; i < d->list.n; i++, name += strlen(name) + 1) {
		if ((off_t)i < off)
			continue;
		struct stat st = {0};
		st.st_mode = d->list.types[i];
		/* a stable, non-zero number: some readers skip entries whose d_ino is 0 */
		st.st_ino = 0x100000000ull + i;
		size_t len =
		    fuse_add_direntry(req, buf + used, size - used, name, &st, (off_t)i + 1);
		if (len > size - used)
			break;
		used += len;
	}
	fuse_reply_buf(req, buf, used);
	free(buf);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	dir_free((ecsfs__link *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	ecsfs__fs *fs = req_fs(req);
	ecsfs_err why = ECSFS_ERR_INIT;
	ecsfs__match m;
	int r;

	ecsfs__match_init(&m);
	r = resolve(fs, parent, name, &m);
	if (r == -ENAMETOOLONG)
		goto out;
	if (r < 0 || m.route == &ecsfs__route_scratch) {
		ecsfs__node *p = ecsfs__nodes_by_ino(fs->nodes, parent);
		const char *where = p && p->path ? p->path : "?";
		if (in_spec(where))
			r = rejectf(fs, m.path.len ? m.path.data : where, -EINVAL,
				    "%s: no directory named '%s' belongs here", where, name);
		else
			r = rejectf(fs, m.path.len ? m.path.data : where, -EACCES,
				    "%s: no directory can be created here", where);
		goto out;
	}
	if (exists(fs, &m) == 0) {
		/* not a rejected change: mkdir -p and rsync meet existing directories */
		r = -EEXIST;
		goto out;
	}
	if (!m.route->mkdir) {
		r = rejectf(fs, m.path.data, -EACCES, "%s cannot be created", m.path.data);
		goto out;
	}
	if ((r = m.route->mkdir(fs, &m, mode, &why)) < 0) {
		if (r != -EEXIST)
			reject(fs, m.path.data, r, &why.msg);
		goto out;
	}
	reply_entry(req, fs, &m);
	ecsfs__match_release(&m);
	ecsfs_err_release(&why);
	return;
out:
	fuse_reply_err(req, -r);
	ecsfs__match_release(&m);
	ecsfs_err_release(&why);
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	ecsfs__fs *fs = req_fs(req);
	ecsfs_err why = ECSFS_ERR_INIT;
	ecsfs__match m;
	int r;

	ecsfs__match_init(&m);
	if ((r = resolve(fs, parent, name, &m)) < 0 || (r = exists(fs, &m)) < 0)
		goto out;
	if (m.route->type != S_IFDIR) {
		r = -ENOTDIR;
		goto out;
	}
	if (!m.route->rmdir) {
		r = rejectf(fs, m.path.data, in_spec(m.path.data) ? -EPERM : -EACCES,
			    "%s cannot be removed", m.path.data);
		goto out;
	}
	if ((r = m.route->rmdir(fs, &m, &why)) < 0)
		reject(fs, m.path.data, r, &why.msg);
out:
	fuse_reply_err(req, -r);
	ecsfs__match_release(&m);
	ecsfs_err_release(&why);
}

/* ---- files ---- */

static void meta_default(ecsfs_file_meta *meta, fuse_req_t req, mode_t mode)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	memset(meta, 0, sizeof(*meta));
	meta->mode = mode & 07777;
	meta->uid = ctx ? ctx->uid : 0;
	meta->gid = ctx ? ctx->gid : 0;
	meta->mtime_ns = ecsfs_now_ns();
}

/* The current content of a writable file, to start a pending copy from. */
static int current_content(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out,
			   ecsfs_file_meta *meta)
{
	const ecsfs__route *r = m->route;
	if (r->flags & ECSFS__R_STORED)
		return ecsfs_store_file_get(fs->store, m->parent.data, m->name, meta, out);
	if (r->read)
		return r->read(fs, m, out);
	return 0; /* write-only files start empty */
}

static void open_free_link(ecsfs__link *l);

static ecsfs__open *open_new(ecsfs__fs *fs, uint64_t ino, const ecsfs__match *m)
{
	ecsfs__open *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->fs = fs;
	h->ino = ino;
	ecsfs__match_init(&h->m);
	ecsfs__route_match(m->path.data, &h->m);
	ecsfs_buf_init(&h->data);
	fs->nopen++;
	link_add(fs, &h->link, open_free_link);
	return h;
}

/* The latest writer of a node: stat shows the size of its pending copy. */
static void set_writer(ecsfs__open *h)
{
	ecsfs__node *node = ecsfs__nodes_by_ino(h->fs->nodes, h->ino);
	if (node && h->writable)
		node->writer = h;
}

static void open_free(ecsfs__open *h)
{
	ecsfs__node *node = ecsfs__nodes_by_ino(h->fs->nodes, h->ino);
	if (node && node->writer == h) {
		node->writer = NULL;
		if (!node->nlookup && !node->pending)
			ecsfs__nodes_forget(h->fs->nodes, node->ino, 0);
	}
	link_del(h->fs, &h->link);
	h->fs->nopen--;
	ecsfs__match_release(&h->m);
	ecsfs_buf_release(&h->data);
	free(h);
}

static void open_free_link(ecsfs__link *l)
{
	open_free((ecsfs__open *)l);
}

static int can_open(ecsfs__fs *fs, const ecsfs__match *m, int flags)
{
	int acc = flags & O_ACCMODE;
	if (m->route->type == S_IFDIR)
		return -EISDIR;
	if (acc != O_RDONLY && !m->route->apply)
		return rejectf(fs, m->path.data, -EACCES, "%s is read-only", m->path.data);
	if (acc != O_WRONLY && !(m->route->perm & 0444))
		return -EACCES; /* write-only: never readable, and not a change */
	if (fs->nopen >= ECSFS_OPEN_MAX)
		return rejectf(fs, m->path.data, -EMFILE,
			       "too many open files on the mount (limit %d)", ECSFS_OPEN_MAX);
	return 0;
}

static void finish_open(fuse_req_t req, ecsfs__open *h, struct fuse_file_info *fi)
{
	set_writer(h);
	/* Content is made per open: no page cache, reads come here. */
	fi->direct_io = 1;
	fi->keep_cache = 0;
	fi->noflush = !h->writable;
	fi->fh = (uintptr_t)h;
}

/*
 * Fill a new handle: a file being created shares its pending bytes; a writer
 * starts from the current content (none with O_TRUNC, keeping the stored
 * metadata); a reader gets its snapshot.
 */
static int start_copy(ecsfs__fs *fs, fuse_req_t req, const ecsfs__match *m, ecsfs__open *h,
		      int flags, const ecsfs__open *pending)
{
	int r = 0;

	if (pending) {
		if (!(flags & O_TRUNC))
			ecsfs_buf_add(&h->data, pending->data.data, pending->data.len);
		h->meta = pending->meta;
	} else if (h->writable) {
		meta_default(&h->meta, req, m->route->perm);
		if (!(flags & O_TRUNC)) {
			r = current_content(fs, m, &h->data, &h->meta);
		} else if (m->route->flags & ECSFS__R_STORED) {
			/* keep the stored metadata, drop the bytes */
			r = ecsfs_store_file_get(fs->store, m->parent.data, m->name, &h->meta,
						 NULL);
			/* scratch files take any content: truncation is a change of its own */
			h->dirty = m->route == &ecsfs__route_scratch && r == 0 && h->meta.size > 0;
		}
		if (r == -ENOENT)
			r = 0;
	} else if ((m->route->flags & ECSFS__R_GENERATED) && m->route->read) {
		r = m->route->read(fs, m, &h->data);
	} else if (m->route->flags & ECSFS__R_STORED) {
		r = ecsfs_store_file_get(fs->store, m->parent.data, m->name, NULL, &h->data);
	}
	h->plain = h->data.len == 0;
	return r;
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	ecsfs__fs *fs = req_fs(req);
	ecsfs__match m;
	ecsfs__node *node;
	ecsfs__open *h = NULL, *pending;
	int r, acc = fi->flags & O_ACCMODE;

	ecsfs__match_init(&m);
	if ((r = resolve_ino(fs, ino, &m, &node)) < 0)
		goto out;
	pending = node->pending;
	if (!pending && (r = exists(fs, &m)) < 0)
		goto out;
	if ((r = can_open(fs, &m, fi->flags)) < 0)
		goto out;
	if (!(h = open_new(fs, ino, &m))) {
		r = -ENOMEM;
		goto out;
	}
	h->readable = acc != O_WRONLY;
	h->writable = acc != O_RDONLY;
	if ((r = start_copy(fs, req, &m, h, fi->flags, pending)) < 0)
		goto free_open;
	finish_open(req, h, fi);
	if (fuse_reply_open(req, fi) != 0)
		open_free(h);
	ecsfs__match_release(&m);
	return;
free_open:
	open_free(h);
out:
	fuse_reply_err(req, -fault_log(fs, r, m.path.data, NULL));
	ecsfs__match_release(&m);
}

/* May one more scratch file go where `m` points? 0, or -ENOSPC (recorded). */
static int scratch_room(ecsfs__fs *fs, const ecsfs__match *m)
{
	uint64_t count;
	int r = ecsfs_store_file_count(fs->store, m->parent.data, ECSFS_FILE_SCRATCH, &count, NULL);
	if (r < 0)
		return r;
	if (count >= ECSFS_SCRATCH_MAX_FILES)
		return rejectf(fs, m->path.data, -ENOSPC,
			       "%s already holds %d scratch files (the limit)", m->parent.data,
			       ECSFS_SCRATCH_MAX_FILES);
	return 0;
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	ecsfs__fs *fs = req_fs(req);
	ecsfs_err why = ECSFS_ERR_INIT;
	ecsfs__match m;
	ecsfs__open *h = NULL;
	ecsfs__node *node;
	int r;

	ecsfs__match_init(&m);
	r = resolve(fs, parent, name, &m);
	if (r == -ENAMETOOLONG)
		goto out;
	if (r < 0) {
		ecsfs__node *p = ecsfs__nodes_by_ino(fs->nodes, parent);
		const char *where = p && p->path ? p->path : "?";
		if (in_spec(where))
			r = rejectf(fs, where, -EINVAL, "%s: no file named '%s' belongs here",
				    where, name);
		else
			r = rejectf(fs, where, -EACCES, "%s does not accept new files", where);
		goto out;
	}
	if (exists(fs, &m) == 0 || pending_of(fs, m.path.data)) {
		if (fi->flags & O_EXCL) {
			r = -EEXIST;
			goto out;
		}
		/* a race with another creator: open what is there */
		ecsfs__node *n = ecsfs__nodes_ref(fs->nodes, m.path.data);
		struct fuse_entry_param e = {0};
		if ((r = can_open(fs, &m, fi->flags)) < 0 ||
		    (r = fill_attr(fs, &m, n->ino, &e.attr)) < 0) {
			ecsfs__nodes_forget(fs->nodes, n->ino, 1);
			goto out;
		}
		h = open_new(fs, n->ino, &m);
		if (!h)
			abort();
		h->writable = (fi->flags & O_ACCMODE) != O_RDONLY;
		h->readable = (fi->flags & O_ACCMODE) != O_WRONLY;
		if ((r = start_copy(fs, req, &m, h, fi->flags, pending_of(fs, m.path.data))) < 0) {
			open_free(h);
			ecsfs__nodes_forget(fs->nodes, n->ino, 1);
			goto out;
		}
		e.ino = n->ino;
		e.generation = 1;
		e.entry_timeout = ENTRY_TIMEOUT;
		finish_open(req, h, fi);
		if (fuse_reply_create(req, &e, fi) != 0) {
			open_free(h);
			ecsfs__nodes_forget(fs->nodes, n->ino, 1);
		}
		goto done;
	}
	if (!(m.route->flags & (ECSFS__R_CREATE | ECSFS__R_SCRATCH))) {
		r = rejectf(fs, m.path.data, in_spec(m.path.data) ? -EINVAL : -EACCES,
			    "%s cannot be created", m.path.data);
		goto out;
	}
	/* a name that can never hold a valid document is refused now */
	if (m.route->check && (r = m.route->check(fs, &m, "", 0, true, &why)) < 0) {
		reject(fs, m.path.data, r, &why.msg);
		goto out;
	}
	if ((r = can_open(fs, &m, fi->flags)) < 0)
		goto out;
	h = open_new(fs, 0, &m);
	if (!h)
		abort();
	h->writable = (fi->flags & O_ACCMODE) != O_RDONLY;
	h->readable = (fi->flags & O_ACCMODE) != O_WRONLY;
	h->plain = true;
	meta_default(&h->meta, req, mode);
	if (m.route == &ecsfs__route_scratch) {
		/* scratch files exist from creation on, like any file */
		if ((r = scratch_room(fs, &m)) < 0)
			goto free_open;
		h->meta.kind = ECSFS_FILE_SCRATCH;
		if ((r = ecsfs_store_file_put(fs->store, m.parent.data, m.name, &h->meta, "", 0)) <
		    0)
			goto free_open;
		node = ecsfs__nodes_ref(fs->nodes, m.path.data);
	} else {
		node = ecsfs__nodes_ref(fs->nodes, m.path.data);
		node->pending = h;
		h->created = true;
	}
	h->ino = node->ino;
	struct fuse_entry_param e = {0};
	if ((r = fill_attr(fs, &m, node->ino, &e.attr)) < 0) {
		node->pending = NULL;
		ecsfs__nodes_forget(fs->nodes, node->ino, 1);
		goto free_open;
	}
	e.ino = node->ino;
	e.generation = 1;
	e.entry_timeout = ENTRY_TIMEOUT;
	e.attr_timeout = FILE_ATTR_TIMEOUT;
	finish_open(req, h, fi);
	if (fuse_reply_create(req, &e, fi) != 0) {
		node->pending = NULL;
		open_free(h);
		ecsfs__nodes_forget(fs->nodes, node->ino, 1);
	}
	goto done;
free_open:
	open_free(h);
out:
	fuse_reply_err(req, -fault_log(fs, r, m.path.data, NULL));
done:
	ecsfs__match_release(&m);
	ecsfs_err_release(&why);
}

static int commit(ecsfs__open *h);

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	ecsfs__open *h = (ecsfs__open *)(uintptr_t)fi->fh;
	const ecsfs__route *r = h->m.route;

	if ((r->flags & ECSFS__R_APPEND) && r->read_at && !h->writable) {
		ecsfs_buf out = ECSFS_BUF_INIT;
		int rc = r->read_at(h->fs, &h->m, (uint64_t)off, size, &out);
		if (rc < 0)
			fuse_reply_err(req, -fault_log(h->fs, rc, h->m.path.data, NULL));
		else
			fuse_reply_buf(req, out.data, out.len);
		ecsfs_buf_release(&out);
		return;
	}
	if (r->flags & ECSFS__R_RESULT) {
		int rc;
		if (h->dirty && (rc = commit(h)) < 0) {
			fuse_reply_err(req, -rc);
			return;
		}
		if (!h->result) {
			fuse_reply_buf(req, NULL, 0);
			return;
		}
		/* the answer starts wherever the reader is: at 0 after a seek, or
		 * just past what a shell wrote through the same descriptor */
		if (!h->based) {
			h->result_base = off;
			h->based = true;
		}
		if (off >= h->result_base)
			off -= h->result_base;
	}
	if ((uint64_t)off >= h->data.len) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	if (size > h->data.len - (size_t)off)
		size = h->data.len - (size_t)off;
	fuse_reply_buf(req, h->data.data + off, size);
}

static size_t pending_limit(const ecsfs__open *h)
{
	return h->m.route == &ecsfs__route_scratch ? ECSFS_SCRATCH_MAX_BYTES
						   : ECSFS_PENDING_MAX_BYTES;
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	ecsfs__open *h = (ecsfs__open *)(uintptr_t)fi->fh;
	ecsfs_err why = ECSFS_ERR_INIT;
	int r;

	if (h->poisoned) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if ((uint64_t)off + size > pending_limit(h)) {
		h->poisoned = true;
		rejectf(h->fs, h->m.path.data, -EFBIG, "%s: a file here can hold at most %zu bytes",
			h->m.path.data, pending_limit(h));
		fuse_reply_err(req, EFBIG);
		return;
	}
	if (h->result) {
		/* a new command after reading the last answer */
		ecsfs_buf_reset(&h->data);
		h->result = false;
		h->plain = true;
		off = 0;
	}
	size_t before = h->data.len;
	bool append = h->plain && (size_t)off == before;
	ecsfs_buf_write_at(&h->data, (size_t)off, buf, size);
	h->plain = append;
	if (append && h->m.route->check) {
		r = h->m.route->check(h->fs, &h->m, h->data.data, h->data.len, true, &why);
		if (r < 0) {
			/* refuse this write; the previous state stays as it was */
			ecsfs_buf_setlen(&h->data, before);
			h->poisoned = true;
			reject(h->fs, h->m.path.data, r, &why.msg);
			fuse_reply_err(req, -r);
			ecsfs_err_release(&why);
			return;
		}
	}
	h->dirty = true;
	if (h->created)
		h->meta.mtime_ns = ecsfs_now_ns();
	fuse_reply_write(req, size);
	ecsfs_err_release(&why);
}

/* Apply the pending copy: full check, then the route's apply. */
static int commit(ecsfs__open *h)
{
	ecsfs__fs *fs = h->fs;
	ecsfs_err why = ECSFS_ERR_INIT;
	ecsfs_file_meta meta = h->meta;
	int r = 0;

	if (!h->writable || !h->dirty || h->poisoned)
		return 0;
	h->dirty = false;
	if (!h->meta_set)
		meta.mtime_ns = ecsfs_now_ns();
	if (h->m.route->check &&
	    (r = h->m.route->check(fs, &h->m, h->data.data, h->data.len, false, &why)) < 0)
		goto rejected;
	if ((r = h->m.route->apply(fs, &h->m, h->data.data, h->data.len, &meta, &why)) < 0)
		goto rejected;
	if (h->m.route->flags & ECSFS__R_RESULT) {
		/* what a read of this handle returns from now on */
		ecsfs_buf tmp = h->data;
		h->data = why.msg;
		why.msg = tmp;
		h->result = true;
		h->based = false;
	}
	if (h->created) {
		ecsfs__node *node = ecsfs__nodes_by_ino(fs->nodes, h->ino);
		if (node && node->pending == h)
			node->pending = NULL;
		h->created = false;
	}
	h->meta_set = false;
	applied(fs, h->m.path.data);
	ecsfs_err_release(&why);
	return 0;
rejected:
	reject(fs, h->m.path.data, r, &why.msg);
	ecsfs_err_release(&why);
	return r;
}

static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	fuse_reply_err(req, -commit((ecsfs__open *)(uintptr_t)fi->fh));
}

static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	fuse_reply_err(req, -commit((ecsfs__open *)(uintptr_t)fi->fh));
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	ecsfs__open *h = (ecsfs__open *)(uintptr_t)fi->fh;
	ecsfs__fs *fs = h->fs;

	if (h->created) {
		/* never applied: the name goes away again */
		ecsfs__node *node = ecsfs__nodes_by_ino(fs->nodes, h->ino);
		if (node && node->pending == h) {
			node->pending = NULL;
			if (node->path)
				ecsfs__invalidate_entry(fs, node->path);
			if (!node->nlookup)
				ecsfs__nodes_forget(fs->nodes, node->ino, 0);
		}
	}
	open_free(h);
	fuse_reply_err(req, 0);
}

/* ---- metadata ---- */

static int apply_stored_now(ecsfs__fs *fs, const ecsfs__match *m, const ecsfs_buf *data,
			    const ecsfs_file_meta *meta)
{
	ecsfs_err why = ECSFS_ERR_INIT;
	int r = 0;
	if (m->route->check)
		r = m->route->check(fs, m, data->data, data->len, false, &why);
	if (r == 0)
		r = m->route->apply(fs, m, data->data, data->len, meta, &why);
	if (r < 0)
		reject(fs, m->path.data, r, &why.msg);
	else
		applied(fs, m->path.data);
	ecsfs_err_release(&why);
	return r;
}

static void update_meta(ecsfs_file_meta *meta, const struct stat *attr, int to_set)
{
	if (to_set & FUSE_SET_ATTR_MODE)
		meta->mode = attr->st_mode & 07777;
	if (to_set & FUSE_SET_ATTR_UID)
		meta->uid = attr->st_uid;
	if (to_set & FUSE_SET_ATTR_GID)
		meta->gid = attr->st_gid;
	if (to_set & FUSE_SET_ATTR_MTIME_NOW)
		meta->mtime_ns = ecsfs_now_ns();
	else if (to_set & FUSE_SET_ATTR_MTIME)
		meta->mtime_ns = (int64_t)attr->st_mtim.tv_sec * 1000000000 + attr->st_mtim.tv_nsec;
}

#define META_BITS                                                                           \
	(FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID | FUSE_SET_ATTR_MTIME | \
	 FUSE_SET_ATTR_MTIME_NOW)

static int setattr_size(ecsfs__fs *fs, const ecsfs__match *m, ecsfs__open *h, off_t size)
{
	if (!m->route->apply)
		return rejectf(fs, m->path.data, -EACCES, "%s is read-only", m->path.data);
	if (h && h->writable) {
		if ((uint64_t)size > pending_limit(h))
			return rejectf(fs, m->path.data, -EFBIG,
				       "%s: a file here can hold at most %zu bytes", m->path.data,
				       pending_limit(h));
		ecsfs_buf_setlen(&h->data, (size_t)size);
		h->plain = size == 0;
		h->dirty = true;
		return 0;
	}
	if (!(m->route->flags & ECSFS__R_STORED))
		return rejectf(fs, m->path.data, -EACCES, "%s: truncate it through an open file",
			       m->path.data);
	/* truncate(path): apply at once, as there is no close to wait for */
	ecsfs_buf data = ECSFS_BUF_INIT;
	ecsfs_file_meta meta;
	int r = ecsfs_store_file_get(fs->store, m->parent.data, m->name, &meta, &data);
	if (r == 0 && (uint64_t)size > ECSFS_SCRATCH_MAX_BYTES)
		r = rejectf(fs, m->path.data, -EFBIG, "%s: too large", m->path.data);
	if (r == 0) {
		ecsfs_buf_setlen(&data, (size_t)size);
		meta.mtime_ns = ecsfs_now_ns();
		r = apply_stored_now(fs, m, &data, &meta);
	}
	ecsfs_buf_release(&data);
	return r;
}

static int setattr_meta(ecsfs__fs *fs, fuse_req_t req, const ecsfs__match *m, ecsfs__open *h,
			const struct stat *attr, int to_set)
{
	ecsfs__open *pending = pending_of(fs, m->path.data);
	ecsfs_file_meta meta;
	int r;

	if (!(m->route->flags & (ECSFS__R_STORED | ECSFS__R_KEEPMETA)) && !pending) {
		/* value files of the live tree: times may be touched, nothing kept */
		if (!(to_set &
		      ~(FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_MTIME_NOW | FUSE_SET_ATTR_ATIME |
			FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_CTIME)) &&
		    m->route->apply)
			return 0;
		return rejectf(fs, m->path.data, -EACCES,
			       "%s: its mode, owner and times are not yours to set", m->path.data);
	}
	if (pending || (h && h->created)) {
		ecsfs__open *p = pending ? pending : h;
		update_meta(&p->meta, attr, to_set);
		p->meta_set =
		    p->meta_set || (to_set & (FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_MTIME_NOW));
		return 0;
	}
	r = ecsfs_store_file_get(fs->store, m->parent.data, m->name, &meta, NULL);
	if (r == -ENOENT && m->route->type == S_IFDIR) {
		meta_default(&meta, req, m->route->perm);
		meta.mtime_ns = fs->start_ns;
		meta.uid = 0;
		meta.gid = 0;
		meta.kind = ECSFS_FILE_DIR;
		update_meta(&meta, attr, to_set);
		return ecsfs_store_file_put(fs->store, m->parent.data, m->name, &meta, NULL, 0);
	}
	if (r < 0)
		return r;
	update_meta(&meta, attr, to_set);
	if ((r = ecsfs_store_file_set_meta(fs->store, m->parent.data, m->name, &meta)) < 0)
		return r;
	/* an open writer applying later keeps what was set here */
	if (h && h->writable) {
		update_meta(&h->meta, attr, to_set);
		h->meta_set =
		    h->meta_set || (to_set & (FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_MTIME_NOW));
	}
	return 0;
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	ecsfs__fs *fs = req_fs(req);
	ecsfs__open *h = fi ? (ecsfs__open *)(uintptr_t)fi->fh : NULL;
	ecsfs__match m;
	struct stat st;
	int r;

	ecsfs__match_init(&m);
	if ((r = resolve_ino(fs, ino, &m, NULL)) < 0)
		goto out;
	if (!pending_of(fs, m.path.data) && !(h && h->created) && (r = exists(fs, &m)) < 0)
		goto out;
	if ((to_set & FUSE_SET_ATTR_SIZE) && (r = setattr_size(fs, &m, h, attr->st_size)) < 0)
		goto out;
	if ((to_set & META_BITS) && (r = setattr_meta(fs, req, &m, h, attr, to_set)) < 0) {
		if (r == -EIO)
			fault_log(fs, r, m.path.data, NULL);
		goto out;
	}
	if ((r = fill_attr(fs, &m, ino, &st)) < 0)
		goto out;
	if (h && h->writable && !(m.route->flags & ECSFS__R_APPEND))
		st.st_size = (off_t)h->data.len;
	fuse_reply_attr(req, &st, attr_timeout(&m));
	ecsfs__match_release(&m);
	return;
out:
	fuse_reply_err(req, -r);
	ecsfs__match_release(&m);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	ecsfs__fs *fs = req_fs(req);
	ecsfs_err why = ECSFS_ERR_INIT;
	ecsfs__match m;
	int r;

	ecsfs__match_init(&m);
	if ((r = resolve(fs, parent, name, &m)) < 0 || (r = exists(fs, &m)) < 0)
		goto out;
	if (m.route->type == S_IFDIR) {
		r = -EISDIR;
		goto out;
	}
	if (!m.route->unlink) {
		r = rejectf(fs, m.path.data, -EACCES, "%s cannot be removed", m.path.data);
		goto out;
	}
	if ((r = remove_definition(fs, &m, &why)) < 0)
		reject(fs, m.path.data, r, &why.msg);
out:
	fuse_reply_err(req, -r);
	ecsfs__match_release(&m);
	ecsfs_err_release(&why);
}

/*
 * rename: scratch files move freely; a scratch file renamed onto a
 * definition's name applies it (rsync, sed -i, editors); a definition
 * renamed away (vim's backup) becomes a scratch file and the definition is
 * removed. Everything else is refused: nothing here returns EXDEV.
 */
static int do_rename(ecsfs__fs *fs, ecsfs__match *src, ecsfs__match *dst, unsigned flags)
{
	ecsfs_buf data = ECSFS_BUF_INIT;
	ecsfs_err why = ECSFS_ERR_INIT;
	ecsfs_file_meta meta;
	bool src_scratch = src->route == &ecsfs__route_scratch;
	bool dst_scratch = dst->route == &ecsfs__route_scratch;
	int r;

	if (flags & RENAME_EXCHANGE)
		return rejectf(fs, src->path.data, -EINVAL, "rename: exchange is not supported");
	if (!(src->route->flags & ECSFS__R_STORED) || !(dst->route->flags & ECSFS__R_STORED) ||
	    !dst->route->apply) {
		if (src->route->type == S_IFDIR)
			return rejectf(fs, src->path.data,
				       in_spec(src->path.data) ? -EPERM : -EACCES,
				       "%s: directories cannot be renamed", src->path.data);
		return rejectf(fs, src->path.data, in_spec(src->path.data) ? -EPERM : -EACCES,
			       "%s cannot be renamed to %s", src->path.data, dst->path.data);
	}
	if ((flags & RENAME_NOREPLACE) && exists(fs, dst) == 0)
		return -EEXIST;
	if ((r = ecsfs_store_file_get(fs->store, src->parent.data, src->name, &meta, &data)) < 0)
		goto out;
	if (src_scratch && dst_scratch) {
		if (strcmp(src->parent.data, dst->parent.data) != 0 && exists(fs, dst) < 0 &&
		    (r = scratch_room(fs, dst)) < 0)
			goto out;
		r = ecsfs_store_file_rename(fs->store, src->parent.data, src->name,
					    dst->parent.data, dst->name);
		goto out;
	}
	if (dst_scratch) {
		/* a definition renamed away: keep its bytes as a scratch file */
		meta.kind = ECSFS_FILE_SCRATCH;
		if ((r = ecsfs_store_file_put(fs->store, dst->parent.data, dst->name, &meta,
					      data.data, data.len)) < 0)
			goto out;
		if ((r = remove_definition(fs, src, &why)) < 0) {
			ecsfs_store_file_delete(fs->store, dst->parent.data, dst->name);
			reject(fs, src->path.data, r, &why.msg);
		}
		goto out;
	}
	/* onto a definition: validate and apply it with the source's metadata */
	if ((r = dst->route->check(fs, dst, data.data, data.len, false, &why)) < 0 ||
	    (r = dst->route->apply(fs, dst, data.data, data.len, &meta, &why)) < 0) {
		reject(fs, dst->path.data, r, &why.msg);
		goto out;
	}
	applied(fs, dst->path.data);
	if (src_scratch)
		r = ecsfs_store_file_delete(fs->store, src->parent.data, src->name);
	else if ((r = remove_definition(fs, src, &why)) < 0)
		reject(fs, src->path.data, r, &why.msg);
out:
	ecsfs_buf_release(&data);
	ecsfs_err_release(&why);
	return r;
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		      const char *newname, unsigned int flags)
{
	ecsfs__fs *fs = req_fs(req);
	ecsfs__match src, dst;
	int r;

	ecsfs__match_init(&src);
	ecsfs__match_init(&dst);
	if ((r = resolve(fs, parent, name, &src)) < 0 || (r = exists(fs, &src)) < 0)
		goto out;
	if ((r = resolve(fs, newparent, newname, &dst)) < 0) {
		if (r != -ENAMETOOLONG) {
			/* the errors line names the target: the temporary name is rsync's */
			ecsfs__node *np = ecsfs__nodes_by_ino(fs->nodes, newparent);
			ecsfs_buf target = ECSFS_BUF_INIT;
			ecsfs_buf_addf(&target, "%s/%s",
				       np && np->path && np->path[1] ? np->path : "", newname);
			r = rejectf(
			    fs, target.data, in_spec(src.path.data) ? -EINVAL : -EACCES,
			    "%s cannot be renamed to %s: nothing of that name belongs there",
			    src.path.data, newname);
			ecsfs_buf_release(&target);
		}
		goto out;
	}
	if (strcmp(src.path.data, dst.path.data) == 0)
		goto out;
	if ((r = do_rename(fs, &src, &dst, flags)) == 0) {
		ecsfs__nodes_rename(fs->nodes, src.path.data, dst.path.data);
		ecsfs__invalidate_inode(fs, dst.path.data);
	}
	fault_log(fs, r, src.path.data, NULL);
out:
	fuse_reply_err(req, -r);
	ecsfs__match_release(&src);
	ecsfs__match_release(&dst);
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	ecsfs__fs *fs = req_fs(req);
	ecsfs_buf out = ECSFS_BUF_INIT;
	ecsfs__match m;
	int r;

	ecsfs__match_init(&m);
	if ((r = resolve_ino(fs, ino, &m, NULL)) == 0 && (r = exists(fs, &m)) == 0)
		r = m.route->readlink ? m.route->readlink(fs, &m, &out) : -EINVAL;
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_readlink(req, out.data);
	ecsfs_buf_release(&out);
	ecsfs__match_release(&m);
}

static void refuse_link(fuse_req_t req, fuse_ino_t parent, const char *name, const char *what)
{
	ecsfs__fs *fs = req_fs(req);
	ecsfs__node *p = ecsfs__nodes_by_ino(fs->nodes, parent);
	const char *where = p && p->path ? p->path : "?";
	fuse_reply_err(req,
		       -rejectf(fs, where, -EPERM, "%s: %s cannot be made in ecsfs", where, what));
}

static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	refuse_link(req, parent, name, "symbolic links");
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	refuse_link(req, newparent, newname, "hard links");
}

static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	refuse_link(req, parent, name, "device nodes and fifos");
}

static void op_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	ecsfs__fs *fs = req_fs(req);
	ecsfs__match m;
	int r;

	ecsfs__match_init(&m);
	if ((r = resolve_ino(fs, ino, &m, NULL)) == 0 && !pending_of(fs, m.path.data))
		r = exists(fs, &m);
	if (r == 0 && (mask & W_OK) && m.route->type != S_IFDIR && !m.route->apply)
		r = -EACCES;
	if (r == 0 && (mask & R_OK) && !(m.route->perm & 0444))
		r = -EACCES;
	fuse_reply_err(req, -r);
	ecsfs__match_release(&m);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs st = {0};
	st.f_bsize = 4096;
	st.f_frsize = 4096;
	st.f_blocks = 1u << 20;
	st.f_bfree = 1u << 19;
	st.f_bavail = 1u << 19;
	st.f_files = 1u << 20;
	st.f_ffree = 1u << 19;
	st.f_favail = 1u << 19;
	st.f_namemax = 255;
	fuse_reply_statfs(req, &st);
}

const struct fuse_lowlevel_ops ecsfs__ops = {
    .init = op_init,
    .lookup = op_lookup,
    .forget = op_forget,
    .forget_multi = op_forget_multi,
    .getattr = op_getattr,
    .setattr = op_setattr,
    .readlink = op_readlink,
    .mknod = op_mknod,
    .mkdir = op_mkdir,
    .unlink = op_unlink,
    .rmdir = op_rmdir,
    .symlink = op_symlink,
    .rename = op_rename,
    .link = op_link,
    .open = op_open,
    .read = op_read,
    .write = op_write,
    .flush = op_flush,
    .release = op_release,
    .fsync = op_fsync,
    .opendir = op_opendir,
    .readdir = op_readdir,
    .releasedir = op_releasedir,
    .statfs = op_statfs,
    .access = op_access,
    .create = op_create,
};
