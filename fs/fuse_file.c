/*
 * FUSE: open files. A read gets a snapshot taken at open; a write gets a
 * pending copy (empty with O_TRUNC, else the current bytes) that is checked
 * early while it is a plain append and fully at the first flush with
 * changes, which applies it. setattr edits the copy (ftruncate) or the
 * stored metadata (times, mode, owner).
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

/* A copy of a match, without a second walk of the route table. */
static void match_copy(ecsfs__match *dst, const ecsfs__match *m)
{
	ecsfs_buf_add(&dst->path, m->path.data, m->path.len);
	ecsfs_buf_add(&dst->parent, m->parent.data, m->parent.len);
	ecsfs_buf_add(&dst->segs, m->segs.data, m->segs.len);
	dst->route = m->route;
	dst->name = dst->path.data + (m->name - m->path.data);
	dst->ncap = m->ncap;
	for (int i = 0; i < m->ncap; i++)
		dst->cap[i] = dst->segs.data + (m->cap[i] - m->segs.data);
}

static ecsfs__open *open_new(ecsfs__fs *fs, uint64_t ino, const ecsfs__match *m)
{
	ecsfs__open *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->fs = fs;
	h->ino = ino;
	ecsfs__match_init(&h->m);
	match_copy(&h->m, m);
	ecsfs_buf_init(&h->data);
	fs->nopen++;
	ecsfs__fuse_link_add(fs, &h->link, open_free_link);
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
	if (h->cached)
		ecsfs__cache_close(node);
	if (node && node->writer == h) {
		node->writer = NULL;
		if (!node->nlookup && !node->pending)
			ecsfs__nodes_forget(h->fs->nodes, node->ino, 0);
	}
	ecsfs__fuse_link_del(h->fs, &h->link);
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
		return ecsfs__fuse_rejectf(fs, m->path.data, -EACCES, "%s is read-only",
					   m->path.data);
	if (acc != O_WRONLY && !(m->route->perm & 0444))
		return -EACCES; /* write-only: never readable, and not a change */
	if (fs->nopen >= ECSFS_OPEN_MAX)
		return ecsfs__fuse_rejectf(fs, m->path.data, -EMFILE,
					   "too many open files on the mount (limit %d)",
					   ECSFS_OPEN_MAX);
	return 0;
}

static void finish_open(fuse_req_t req, ecsfs__open *h, struct fuse_file_info *fi, bool reused)
{
	ecsfs__node *node = ecsfs__nodes_by_ino(h->fs->nodes, h->ino);

	set_writer(h);
	/* Content is made per open; the page cache may keep a generated file's
	 * while it stays the same (fuse_cache.c), else reads come here. */
	if (h->writable)
		ecsfs__cache_written(h->fs, node);
	else if (ecsfs__cache_route(h->fs, h->m.route))
		h->cached = ecsfs__cache_open(h->fs, &h->m, node, &h->data, reused);
	fi->direct_io = !h->cached;
	fi->keep_cache = h->cached;
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
			h->emptied = !h->dirty && r == 0 && h->meta.size > 0;
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

void ecsfs__op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	ecsfs__fs *fs = ecsfs__fuse_req_fs(req);
	ecsfs__match m;
	ecsfs__node *node;
	ecsfs__open *h = NULL, *pending;
	ecsfs_buf copy = ECSFS_BUF_INIT;
	int r, acc = fi->flags & O_ACCMODE;
	bool reused = false;

	ecsfs__match_init(&m);
	if ((r = ecsfs__fuse_resolve_ino(fs, ino, &m, &node)) < 0)
		goto out;
	pending = node->pending;
	/* a store view unchanged since it was made is what the queries give */
	reused = !pending && acc == O_RDONLY && ecsfs__cache_reuse(fs, &m, node, &copy);
	if (!pending && !reused && (r = ecsfs__fuse_exists(fs, &m)) < 0)
		goto out;
	if ((r = can_open(fs, &m, fi->flags)) < 0)
		goto out;
	if (!(h = open_new(fs, ino, &m))) {
		r = -ENOMEM;
		goto out;
	}
	h->readable = acc != O_WRONLY;
	h->writable = acc != O_RDONLY;
	if (reused) {
		ecsfs_buf empty = h->data;
		h->data = copy;
		copy = empty;
	} else if ((r = start_copy(fs, req, &m, h, fi->flags, pending)) < 0)
		goto free_open;
	finish_open(req, h, fi, reused);
	if (fuse_reply_open(req, fi) != 0)
		open_free(h);
	ecsfs_buf_release(&copy);
	ecsfs__match_release(&m);
	return;
free_open:
	open_free(h);
out:
	fuse_reply_err(req, -ecsfs__fuse_fault_log(fs, r, m.path.data, NULL));
	ecsfs_buf_release(&copy);
	ecsfs__match_release(&m);
}

/* May one more scratch file go where `m` points? 0, or -ENOSPC (recorded). */
int ecsfs__fuse_scratch_room(ecsfs__fs *fs, const ecsfs__match *m)
{
	uint64_t count;
	int r = ecsfs_store_file_count(fs->store, m->parent.data, ECSFS_FILE_SCRATCH, &count, NULL);
	if (r < 0)
		return r;
	if (count >= ECSFS_SCRATCH_MAX_FILES)
		return ecsfs__fuse_rejectf(fs, m->path.data, -ENOSPC,
					   "%s already holds %d scratch files (the limit)",
					   m->parent.data, ECSFS_SCRATCH_MAX_FILES);
	return 0;
}

/* create() where no route takes the name: a spec directory refuses it
 * (EINVAL), the live tree takes no new files (EACCES). */
static int refuse_create(ecsfs__fs *fs, fuse_ino_t parent, const char *name)
{
	ecsfs__node *p = ecsfs__nodes_by_ino(fs->nodes, parent);
	const char *where = p && p->path ? p->path : "?";

	if (ecsfs__fuse_in_spec(where))
		return ecsfs__fuse_rejectf(fs, where, -EINVAL,
					   "%s: no file named '%s' belongs here", where, name);
	return ecsfs__fuse_rejectf(fs, where, -EACCES, "%s does not accept new files", where);
}

/* Reply to create() with the open handle h of `node`; when the kernel
 * does not take it, h is freed and the node reference dropped. */
static void reply_create(ecsfs__fs *fs, fuse_req_t req, ecsfs__open *h, ecsfs__node *node,
			 struct fuse_entry_param *e, struct fuse_file_info *fi)
{
	e->ino = node->ino;
	e->generation = 1;
	e->entry_timeout = ENTRY_TIMEOUT;
	e->attr_timeout = ecsfs__fuse_attr_timeout(fs, &h->m);
	finish_open(req, h, fi, false);
	if (fuse_reply_create(req, e, fi) != 0) {
		if (node->pending == h)
			node->pending = NULL;
		open_free(h);
		ecsfs__nodes_forget(fs->nodes, node->ino, 1);
	}
}

/* create() of a name that exists (or another creator's pending one): a
 * race with another creator, so open what is there. */
static int create_existing(ecsfs__fs *fs, fuse_req_t req, ecsfs__match *m,
			   struct fuse_file_info *fi)
{
	ecsfs__node *n = ecsfs__nodes_ref(fs->nodes, m->path.data);
	struct fuse_entry_param e = {0};
	ecsfs__open *h;
	int r;

	if ((r = can_open(fs, m, fi->flags)) < 0 ||
	    (r = ecsfs__fuse_fill_attr(fs, m, n->ino, &e.attr)) < 0) {
		ecsfs__nodes_forget(fs->nodes, n->ino, 1);
		return r;
	}
	if (!(h = open_new(fs, n->ino, m)))
		abort();
	h->writable = (fi->flags & O_ACCMODE) != O_RDONLY;
	h->readable = (fi->flags & O_ACCMODE) != O_WRONLY;
	if ((r = start_copy(fs, req, m, h, fi->flags, ecsfs__fuse_pending_of(fs, m->path.data))) <
	    0) {
		open_free(h);
		ecsfs__nodes_forget(fs->nodes, n->ino, 1);
		return r;
	}
	reply_create(fs, req, h, n, &e, fi);
	return 0;
}

/* The node of a new file: a scratch file is stored at once (it exists
 * from creation on, like any file); a definition exists only once applied,
 * as the node's pending copy. */
static int create_node(ecsfs__fs *fs, ecsfs__match *m, ecsfs__open *h, ecsfs__node **out)
{
	int r;

	if (m->route == &ecsfs__route_scratch) {
		if ((r = ecsfs__fuse_scratch_room(fs, m)) < 0)
			return r;
		h->meta.kind = ECSFS_FILE_SCRATCH;
		ecsfs__fuse_lazy(fs, m, true);
		r = ecsfs_store_file_put(fs->store, m->parent.data, m->name, &h->meta, "", 0);
		ecsfs__fuse_lazy(fs, m, false);
		if (r < 0)
			return r;
		*out = ecsfs__nodes_ref(fs->nodes, m->path.data);
	} else {
		*out = ecsfs__nodes_ref(fs->nodes, m->path.data);
		(*out)->pending = h;
		h->created = true;
	}
	h->ino = (*out)->ino;
	return 0;
}

/* create() of a new name the route takes. */
static int create_new(ecsfs__fs *fs, fuse_req_t req, ecsfs__match *m, mode_t mode,
		      struct fuse_file_info *fi)
{
	ecsfs_err why = ECSFS_ERR_INIT;
	struct fuse_entry_param e = {0};
	ecsfs__node *node;
	ecsfs__open *h;
	int r;

	if (!(m->route->flags & (ECSFS__R_CREATE | ECSFS__R_SCRATCH)))
		return ecsfs__fuse_rejectf(fs, m->path.data,
					   ecsfs__fuse_in_spec(m->path.data) ? -EINVAL : -EACCES,
					   "%s cannot be created", m->path.data);
	/* a name that can never hold a valid document is refused now */
	if (m->route->check && (r = m->route->check(fs, m, "", 0, true, &why)) < 0) {
		ecsfs__fuse_reject(fs, m->path.data, r, &why.msg);
		ecsfs_err_release(&why);
		return r;
	}
	ecsfs_err_release(&why);
	if ((r = can_open(fs, m, fi->flags)) < 0)
		return r;
	if (!(h = open_new(fs, 0, m)))
		abort();
	h->writable = (fi->flags & O_ACCMODE) != O_RDONLY;
	h->readable = (fi->flags & O_ACCMODE) != O_WRONLY;
	h->plain = true;
	meta_default(&h->meta, req, mode);
	if ((r = create_node(fs, m, h, &node)) < 0) {
		open_free(h);
		return r;
	}
	if ((r = ecsfs__fuse_fill_attr(fs, m, node->ino, &e.attr)) < 0) {
		node->pending = NULL;
		ecsfs__nodes_forget(fs->nodes, node->ino, 1);
		open_free(h);
		return r;
	}
	reply_create(fs, req, h, node, &e, fi);
	return 0;
}

void ecsfs__op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	ecsfs__fs *fs = ecsfs__fuse_req_fs(req);
	ecsfs__match m;
	int r;

	ecsfs__match_init(&m);
	r = ecsfs__fuse_resolve(fs, parent, name, &m);
	if (r < 0 && r != -ENAMETOOLONG)
		r = refuse_create(fs, parent, name);
	else if (r == 0 &&
		 (ecsfs__fuse_exists(fs, &m) == 0 || ecsfs__fuse_pending_of(fs, m.path.data)))
		r = (fi->flags & O_EXCL) ? -EEXIST : create_existing(fs, req, &m, fi);
	else if (r == 0)
		r = create_new(fs, req, &m, mode, fi);
	if (r < 0)
		fuse_reply_err(req, -ecsfs__fuse_fault_log(fs, r, m.path.data, NULL));
	ecsfs__match_release(&m);
}

static int commit(ecsfs__open *h);

void ecsfs__op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	ecsfs__open *h = (ecsfs__open *)(uintptr_t)fi->fh;
	const ecsfs__route *r = h->m.route;

	if ((r->flags & ECSFS__R_APPEND) && r->read_at && !h->writable) {
		ecsfs_buf out = ECSFS_BUF_INIT;
		int rc = r->read_at(h->fs, &h->m, (uint64_t)off, size, &out);
		if (rc < 0)
			fuse_reply_err(req,
				       -ecsfs__fuse_fault_log(h->fs, rc, h->m.path.data, NULL));
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

void ecsfs__op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	ecsfs__open *h = (ecsfs__open *)(uintptr_t)fi->fh;
	ecsfs_err why = ECSFS_ERR_INIT;
	int r;

	h->emptied = false;
	if (h->poisoned) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if ((uint64_t)off + size > pending_limit(h)) {
		h->poisoned = true;
		ecsfs__fuse_rejectf(h->fs, h->m.path.data, -EFBIG,
				    "%s: a file here can hold at most %zu bytes", h->m.path.data,
				    pending_limit(h));
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
			ecsfs__fuse_reject(h->fs, h->m.path.data, r, &why.msg);
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
	if (h->m.route->check && !(h->m.route->flags & ECSFS__R_APPLY_CHECKS) &&
	    (r = h->m.route->check(fs, &h->m, h->data.data, h->data.len, false, &why)) < 0)
		goto rejected;
	ecsfs__fuse_lazy(fs, &h->m, true);
	r = h->m.route->apply(fs, &h->m, h->data.data, h->data.len, &meta, &why);
	ecsfs__fuse_lazy(fs, &h->m, false);
	if (r < 0)
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
	ecsfs__fuse_applied(fs, h->m.path.data);
	ecsfs_err_release(&why);
	return 0;
rejected:
	ecsfs__fuse_reject(fs, h->m.path.data, r, &why.msg);
	ecsfs_err_release(&why);
	return r;
}

/* Apply, and answer once the kernel has been told what the change made
 * stale: the close() that returns sees the new state in every file. */
static void commit_reply(fuse_req_t req, ecsfs__open *h)
{
	bool applies = h->writable && h->dirty && !h->poisoned;
	int r = commit(h);

	if (r == 0 && applies)
		ecsfs__notify_reply(h->fs->notify, req, 0);
	else
		fuse_reply_err(req, -r);
}

void ecsfs__op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	commit_reply(req, (ecsfs__open *)(uintptr_t)fi->fh);
}

void ecsfs__op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	ecsfs__open *h = (ecsfs__open *)(uintptr_t)fi->fh;
	int r;

	if (h->m.route != &ecsfs__route_scratch) {
		commit_reply(req, h);
		return;
	}
	/* a scratch file's changes, and what they left unsynced, reach the disk */
	if ((r = commit(h)) == 0 && (r = ecsfs_store_sync(h->fs->store)) < 0)
		ecsfs__fuse_fault_log(h->fs, r, h->m.path.data, NULL);
	fuse_reply_err(req, -r);
}

/*
 * `: > web.json` (O_TRUNC, no write, close) empties nothing: no flush can
 * tell bash's early one from the last, so the refusal of the empty
 * document is recorded when the last reference goes; the definition keeps
 * its content.
 */
static void refuse_emptied(ecsfs__open *h)
{
	ecsfs_err why = ECSFS_ERR_INIT;
	int r = h->m.route->check ? h->m.route->check(h->fs, &h->m, "", 0, false, &why) : 0;

	if (r < 0)
		ecsfs__fuse_rejectf(h->fs, h->m.path.data, r,
				    "%s was emptied and closed without a write (%s); it keeps its "
				    "content (rm removes it)",
				    h->m.path.data, why.msg.data ? why.msg.data : "");
	ecsfs_err_release(&why);
}

void ecsfs__op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	ecsfs__open *h = (ecsfs__open *)(uintptr_t)fi->fh;
	ecsfs__fs *fs = h->fs;

	if (h->emptied)
		refuse_emptied(h);

	if (h->created) {
		/* never ecsfs__fuse_applied: the name goes away again */
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
		ecsfs__fuse_reject(fs, m->path.data, r, &why.msg);
	else
		ecsfs__fuse_applied(fs, m->path.data);
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
		return ecsfs__fuse_rejectf(fs, m->path.data, -EACCES, "%s is read-only",
					   m->path.data);
	if (h && h->writable) {
		if ((uint64_t)size > pending_limit(h))
			return ecsfs__fuse_rejectf(fs, m->path.data, -EFBIG,
						   "%s: a file here can hold at most %zu bytes",
						   m->path.data, pending_limit(h));
		ecsfs_buf_setlen(&h->data, (size_t)size);
		h->plain = size == 0;
		h->dirty = true;
		h->emptied = false;
		return 0;
	}
	if (!(m->route->flags & ECSFS__R_STORED))
		return ecsfs__fuse_rejectf(fs, m->path.data, -EACCES,
					   "%s: truncate it through an open file", m->path.data);
	/* truncate(path): apply at once, as there is no close to wait for */
	ecsfs_buf data = ECSFS_BUF_INIT;
	ecsfs_file_meta meta;
	int r = ecsfs_store_file_get(fs->store, m->parent.data, m->name, &meta, &data);
	if (r == 0 && (uint64_t)size > ECSFS_SCRATCH_MAX_BYTES)
		r = ecsfs__fuse_rejectf(fs, m->path.data, -EFBIG, "%s: too large", m->path.data);
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
	ecsfs__open *pending = ecsfs__fuse_pending_of(fs, m->path.data);
	ecsfs_file_meta meta;
	int r;

	if (!(m->route->flags & (ECSFS__R_STORED | ECSFS__R_KEEPMETA)) && !pending) {
		/* value files of the live tree: times may be touched, nothing kept */
		if (!(to_set &
		      ~(FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_MTIME_NOW | FUSE_SET_ATTR_ATIME |
			FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_CTIME)) &&
		    m->route->apply)
			return 0;
		return ecsfs__fuse_rejectf(fs, m->path.data, -EACCES,
					   "%s: its mode, owner and times are not yours to set",
					   m->path.data);
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
	ecsfs__fuse_lazy(fs, m, true);
	r = ecsfs_store_file_set_meta(fs->store, m->parent.data, m->name, &meta);
	ecsfs__fuse_lazy(fs, m, false);
	if (r < 0)
		return r;
	/* an open writer applying later keeps what was set here */
	if (h && h->writable) {
		update_meta(&h->meta, attr, to_set);
		h->meta_set =
		    h->meta_set || (to_set & (FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_MTIME_NOW));
	}
	return 0;
}

void ecsfs__op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	ecsfs__fs *fs = ecsfs__fuse_req_fs(req);
	ecsfs__open *h = fi ? (ecsfs__open *)(uintptr_t)fi->fh : NULL;
	ecsfs__match m;
	struct stat st;
	int r;

	ecsfs__match_init(&m);
	if ((r = ecsfs__fuse_resolve_ino(fs, ino, &m, NULL)) < 0)
		goto out;
	if (!ecsfs__fuse_pending_of(fs, m.path.data) && !(h && h->created) &&
	    (r = ecsfs__fuse_exists(fs, &m)) < 0)
		goto out;
	if ((to_set & FUSE_SET_ATTR_SIZE) && (r = setattr_size(fs, &m, h, attr->st_size)) < 0)
		goto out;
	if ((to_set & META_BITS) && (r = setattr_meta(fs, req, &m, h, attr, to_set)) < 0) {
		if (r == -EIO)
			ecsfs__fuse_fault_log(fs, r, m.path.data, NULL);
		goto out;
	}
	if ((r = ecsfs__fuse_fill_attr(fs, &m, ino, &st)) < 0)
		goto out;
	if (h && h->writable && !(m.route->flags & ECSFS__R_APPEND))
		st.st_size = (off_t)h->data.len;
	fuse_reply_attr(req, &st, ecsfs__fuse_attr_timeout(fs, &m));
	ecsfs__match_release(&m);
	return;
out:
	fuse_reply_err(req, -r);
	ecsfs__match_release(&m);
}
