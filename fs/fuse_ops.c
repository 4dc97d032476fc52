/*
 * The low-level FUSE operations: every request is resolved to a route of
 * the table (router.c) and served by the route's handlers. The mechanisms
 * all node kinds share are split by what they serve: this file resolves
 * requests, reports rejected changes (/ecs/errors), sweeps deferred
 * removals, answers lookups and attributes, and holds the operation table;
 * fuse_dir.c serves directories, fuse_file.c open files (snapshots taken
 * at open, pending copies, early and late validation, setattr), and
 * fuse_rename.c unlink and rename-to-apply. The errno rules are DESIGN §3's.
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
#include "fuse_private.h"

void ecsfs__fuse_link_add(ecsfs__fs *fs, ecsfs__link *l, void (*free_fn)(ecsfs__link *))
{
	l->free = free_fn;
	l->prev = NULL;
	l->next = fs->handles;
	if (fs->handles)
		fs->handles->prev = l;
	fs->handles = l;
}

void ecsfs__fuse_link_del(ecsfs__fs *fs, ecsfs__link *l)
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

ecsfs__fs *ecsfs__fuse_req_fs(fuse_req_t req)
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

/* One line of /ecs/errors: `where` is the path (or "api:ecs.Op"), the errno
 * and the reason. */
static void journal_error(ecsfs__fs *fs, ecsfs_buf *where, int err, const char *why)
{
	char when[32];
	json_t *j;
	char *line;
	ecsfs_buf text = ECSFS_BUF_INIT;

	ecsfs_time_iso(ecsfs_now_ns(), when);
	ecsfs_buf_adds(&text, why && *why ? why : strerror(-err));
	/* names are bytes, JSON is UTF-8: escape what is not */
	utf8_escape(where);
	utf8_escape(&text);
	j = json_pack("{s:s, s:s, s:s, s:s}", "time", when, "path", where->data, "errno",
		      ecsfs_errno_name(err), "message", text.data);
	line = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (line && ecsfs_store_error_append(fs->store, line) < 0)
		ecsfs__log("cannot record an error line: %s", ecsfs_store_last_error(fs->store));
	free(line);
	json_decref(j);
	ecsfs_buf_release(&text);
	ecsfs__invalidate_inode(fs, "/errors");
}

void ecsfs__reject(ecsfs__fs *fs, const char *path, int err, const char *why)
{
	ecsfs_buf full = ECSFS_BUF_INIT;
	ecsfs_buf_addf(&full, "%s%s", fs->mountpoint ? fs->mountpoint : "", path);
	journal_error(fs, &full, err, why);
	ecsfs_buf_release(&full);
}

void ecsfs__reject_line(ecsfs__fs *fs, const char *where, int err, const char *why)
{
	ecsfs_buf w = ECSFS_BUF_INIT;
	ecsfs_buf_adds(&w, where);
	journal_error(fs, &w, err, why);
	ecsfs_buf_release(&w);
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
	fs->changes++;
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
	fs->changes++;
	if (fs->notify && (node = ecsfs__nodes_by_path(fs->nodes, path)))
		ecsfs__notify_inode(fs->notify, node->ino);
}

/* An EIO answer always leaves its cause in the daemon's log. */
int ecsfs__fuse_fault_log(ecsfs__fs *fs, int r, const char *path, const ecsfs_buf *why)
{
	if (r == -EIO)
		ecsfs__log("internal fault on %s: %s", path,
			   why && why->len ? why->data : ecsfs_store_last_error(fs->store));
	return r;
}

/* Reject a change: errors line (and log for EIO), then the errno. */
int ecsfs__fuse_reject(ecsfs__fs *fs, const char *path, int err, const ecsfs_buf *why)
{
	ecsfs__fuse_fault_log(fs, err, path, why);
	ecsfs__reject(fs, path, err, why ? why->data : NULL);
	return err;
}

int ecsfs__fuse_rejectf(ecsfs__fs *fs, const char *path, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int ecsfs__fuse_rejectf(ecsfs__fs *fs, const char *path, int err, const char *fmt, ...)
{
	ecsfs_buf why = ECSFS_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	ecsfs_buf_vaddf(&why, fmt, ap);
	va_end(ap);
	ecsfs__fuse_reject(fs, path, err, &why);
	ecsfs_buf_release(&why);
	return err;
}

bool ecsfs__fuse_in_spec(const char *path)
{
	return strncmp(path, "/spec", 5) == 0 && (path[5] == '/' || path[5] == '\0');
}

/* The open file, if any, that is creating this path. */
ecsfs__open *ecsfs__fuse_pending_of(ecsfs__fs *fs, const char *path)
{
	ecsfs__node *node = ecsfs__nodes_by_path(fs->nodes, path);
	return node ? node->pending : NULL;
}

/*
 * Scratch files are temporaries (rsync's .x.XXXXXX, sed -i's, editors'):
 * like a local filesystem that keeps a file's bytes until fsync(), their
 * rows reach the disk with the next change that must be durable (the
 * rename that applies one, which syncs the log with all before it), or at
 * fsync(). Every change with a meaning stays durable before its syscall
 * returns (DESIGN §4); a GitOps apply then syncs once per file, not five
 * times (create, write, times, mode, rename).
 */
void ecsfs__fuse_lazy(ecsfs__fs *fs, const ecsfs__match *m, bool begin)
{
	if (m->route == &ecsfs__route_scratch)
		ecsfs_store_sync_each(fs->store, !begin);
}

/* A definition was written: a removal waiting out its grace is called off. */
void ecsfs__fuse_applied(ecsfs__fs *fs, const char *path)
{
	int r = ecsfs_store_deferred_delete(fs->store, path);
	if (r < 0 && r != -ENOENT)
		ecsfs__fuse_fault_log(fs, r, path, NULL);
	ecsfs__invalidate_inode(fs, path);
}

/*
 * Remove a definition. Routes with R_GRACE lose their file at once but
 * their meaning only after ECSFS__GRACE_NS: an editor that renames the file
 * away and writes it anew makes an update, not a delete and a create.
 */
int ecsfs__fuse_remove_definition(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_err *why)
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
		if (ecsfs__fuse_pending_of(fs, p)) {
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
int ecsfs__fuse_resolve(ecsfs__fs *fs, fuse_ino_t parent, const char *name, ecsfs__match *m)
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

int ecsfs__fuse_resolve_ino(ecsfs__fs *fs, fuse_ino_t ino, ecsfs__match *m, ecsfs__node **out)
{
	ecsfs__node *node = ecsfs__nodes_by_ino(fs->nodes, ino);
	if (!node || !node->path)
		return -ENOENT;
	if (out)
		*out = node;
	return ecsfs__route_match(node->path, m);
}

int ecsfs__fuse_exists(ecsfs__fs *fs, const ecsfs__match *m)
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
	if (mtime) /* never written: ecsfs__fuse_fill_attr's default (the daemon's start) */
		ecsfs__set_time(&st->st_mtim, mtime);
	return 0;
}

int ecsfs__fuse_fill_attr(ecsfs__fs *fs, const ecsfs__match *m, uint64_t ino, struct stat *st)
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
	if ((r->flags & ECSFS__R_GENERATED) && r->read &&
	    (rc = ecsfs__cache_attr(fs, m, node, &st->st_size, &mtime)) < 0)
		return rc;
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
	if (node && !node->writer)
		ecsfs__cache_replied(node, st->st_size);
	return 0;
}

double ecsfs__fuse_attr_timeout(const ecsfs__fs *fs, const ecsfs__match *m)
{
	if (m->route->type == S_IFDIR)
		return DIR_ATTR_TIMEOUT;
	/* a store view's attributes move only with a change the store tells of;
	 * other generated files are asked for theirs at every read */
	if (ecsfs__cache_route(fs, m->route) && (m->route->flags & ECSFS__R_STORE_VIEW))
		return GEN_ATTR_TIMEOUT;
	return FILE_ATTR_TIMEOUT;
}

void ecsfs__fuse_reply_entry(fuse_req_t req, ecsfs__fs *fs, const ecsfs__match *m)
{
	struct fuse_entry_param e;
	ecsfs__node *node = ecsfs__nodes_ref(fs->nodes, m->path.data);
	int r;

	memset(&e, 0, sizeof(e));
	if ((r = ecsfs__fuse_fill_attr(fs, m, node->ino, &e.attr)) < 0) {
		ecsfs__nodes_forget(fs->nodes, node->ino, 1);
		fuse_reply_err(req, -ecsfs__fuse_fault_log(fs, r, m->path.data, NULL));
		return;
	}
	e.ino = node->ino;
	e.generation = 1;
	e.entry_timeout = ENTRY_TIMEOUT;
	e.attr_timeout = ecsfs__fuse_attr_timeout(fs, m);
	if (fuse_reply_entry(req, &e) != 0)
		ecsfs__nodes_forget(fs->nodes, node->ino, 1);
}

static void op_init(void *data, struct fuse_conn_info *conn)
{
	/* O_TRUNC arrives with open, so a truncating open can start an empty
	 * pending copy instead of truncating the stored file first. */
	ecsfs__fs *fs = data;
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
	conn->want &= ~(unsigned)FUSE_CAP_WRITEBACK_CACHE;
	/* Generated files stay in the page cache only where a new mtime makes
	 * the kernel drop their pages (fuse_cache.c). */
	if (conn->capable & FUSE_CAP_AUTO_INVAL_DATA)
		conn->want |= FUSE_CAP_AUTO_INVAL_DATA;
	fs->page_cache = (conn->want & FUSE_CAP_AUTO_INVAL_DATA) != 0;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	ecsfs__fs *fs = ecsfs__fuse_req_fs(req);
	ecsfs__match m;
	int r;

	ecsfs__match_init(&m);
	r = ecsfs__fuse_resolve(fs, parent, name, &m);
	if (r == 0 && !ecsfs__fuse_pending_of(fs, m.path.data))
		r = ecsfs__fuse_exists(fs, &m);
	if (r < 0)
		fuse_reply_err(req, -ecsfs__fuse_fault_log(fs, r, m.path.data, NULL));
	else
		ecsfs__fuse_reply_entry(req, fs, &m);
	ecsfs__match_release(&m);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	ecsfs__nodes_forget(ecsfs__fuse_req_fs(req)->nodes, ino, nlookup);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	for (size_t i = 0; i < count; i++)
		ecsfs__nodes_forget(ecsfs__fuse_req_fs(req)->nodes, forgets[i].ino,
				    forgets[i].nlookup);
	fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	ecsfs__fs *fs = ecsfs__fuse_req_fs(req);
	ecsfs__match m;
	struct stat st;
	int r;

	ecsfs__match_init(&m);
	r = ecsfs__fuse_resolve_ino(fs, ino, &m, NULL);
	if (r == 0 && !ecsfs__fuse_pending_of(fs, m.path.data) && !(fi && fi->fh))
		r = ecsfs__fuse_exists(fs, &m);
	if (r == 0 && fi && fi->fh && m.route->type != S_IFDIR) {
		/* an open file whose object went away still answers fstat */
		if (ecsfs__fuse_exists(fs, &m) < 0 && !ecsfs__fuse_pending_of(fs, m.path.data)) {
			ecsfs__open *h = (ecsfs__open *)(uintptr_t)fi->fh;
			ecsfs__cache_written(fs, ecsfs__nodes_by_ino(fs->nodes, ino));
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
		r = ecsfs__fuse_fill_attr(fs, &m, ino, &st);
	if (r < 0)
		fuse_reply_err(req, -ecsfs__fuse_fault_log(fs, r, m.path.data, NULL));
	else
		fuse_reply_attr(req, &st, ecsfs__fuse_attr_timeout(fs, &m));
	ecsfs__match_release(&m);
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	ecsfs__fs *fs = ecsfs__fuse_req_fs(req);
	ecsfs_buf out = ECSFS_BUF_INIT;
	ecsfs__match m;
	int r;

	ecsfs__match_init(&m);
	if ((r = ecsfs__fuse_resolve_ino(fs, ino, &m, NULL)) == 0 &&
	    (r = ecsfs__fuse_exists(fs, &m)) == 0)
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
	ecsfs__fs *fs = ecsfs__fuse_req_fs(req);
	ecsfs__node *p = ecsfs__nodes_by_ino(fs->nodes, parent);
	const char *where = p && p->path ? p->path : "?";
	fuse_reply_err(req, -ecsfs__fuse_rejectf(fs, where, -EPERM,
						 "%s: %s cannot be made in ecsfs", where, what));
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
	ecsfs__fs *fs = ecsfs__fuse_req_fs(req);
	ecsfs__match m;
	int r;

	ecsfs__match_init(&m);
	if ((r = ecsfs__fuse_resolve_ino(fs, ino, &m, NULL)) == 0 &&
	    !ecsfs__fuse_pending_of(fs, m.path.data))
		r = ecsfs__fuse_exists(fs, &m);
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
    .setattr = ecsfs__op_setattr,
    .readlink = op_readlink,
    .mknod = op_mknod,
    .mkdir = ecsfs__op_mkdir,
    .unlink = ecsfs__op_unlink,
    .rmdir = ecsfs__op_rmdir,
    .symlink = op_symlink,
    .rename = ecsfs__op_rename,
    .link = op_link,
    .open = ecsfs__op_open,
    .read = ecsfs__op_read,
    .write = ecsfs__op_write,
    .flush = ecsfs__op_flush,
    .release = ecsfs__op_release,
    .fsync = ecsfs__op_fsync,
    .opendir = ecsfs__op_opendir,
    .readdir = ecsfs__op_readdir,
    .releasedir = ecsfs__op_releasedir,
    .statfs = op_statfs,
    .access = op_access,
    .create = ecsfs__op_create,
};
