/* FUSE: unlink and rename — removals with their grace period, scratch
 * files, and renaming a scratch file onto a definition to apply it. */
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

void ecsfs__op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	ecsfs__fs *fs = ecsfs__fuse_req_fs(req);
	ecsfs_err why = ECSFS_ERR_INIT;
	ecsfs__match m;
	int r;

	ecsfs__match_init(&m);
	if ((r = ecsfs__fuse_resolve(fs, parent, name, &m)) < 0 ||
	    (r = ecsfs__fuse_exists(fs, &m)) < 0)
		goto out;
	if (m.route->type == S_IFDIR) {
		r = -EISDIR;
		goto out;
	}
	if (!m.route->unlink) {
		r = ecsfs__fuse_rejectf(fs, m.path.data, -EACCES, "%s cannot be removed",
					m.path.data);
		goto out;
	}
	ecsfs__fuse_lazy(fs, &m, true);
	r = ecsfs__fuse_remove_definition(fs, &m, &why);
	ecsfs__fuse_lazy(fs, &m, false);
	if (r < 0)
		ecsfs__fuse_reject(fs, m.path.data, r, &why.msg);
out:
	fuse_reply_err(req, -r);
	ecsfs__match_release(&m);
	ecsfs_err_release(&why);
}

/*
 * A scratch file renamed onto a definition: the definition applies and the
 * scratch file goes in one transaction, so one sync makes both (and the
 * scratch file's unsynced rows before them) durable.
 */
static int apply_scratch(ecsfs__fs *fs, const ecsfs__match *src, ecsfs__match *dst,
			 const ecsfs_buf *data, const ecsfs_file_meta *meta, ecsfs_err *why)
{
	int r;

	if ((r = ecsfs_store_begin(fs->store)) < 0)
		return r;
	if ((r = dst->route->apply(fs, dst, data->data, data->len, meta, why)) < 0) {
		ecsfs_store_rollback(fs->store);
		return r;
	}
	if ((r = ecsfs_store_file_delete(fs->store, src->parent.data, src->name)) < 0) {
		ecsfs_store_rollback(fs->store);
		return r;
	}
	return ecsfs_store_commit(fs->store);
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
		return ecsfs__fuse_rejectf(fs, src->path.data, -EINVAL,
					   "rename: exchange is not supported");
	if (!(src->route->flags & ECSFS__R_STORED) || !(dst->route->flags & ECSFS__R_STORED) ||
	    !dst->route->apply) {
		if (src->route->type == S_IFDIR)
			return ecsfs__fuse_rejectf(
			    fs, src->path.data,
			    ecsfs__fuse_in_spec(src->path.data) ? -EPERM : -EACCES,
			    "%s: directories cannot be renamed", src->path.data);
		return ecsfs__fuse_rejectf(
		    fs, src->path.data, ecsfs__fuse_in_spec(src->path.data) ? -EPERM : -EACCES,
		    "%s cannot be renamed to %s", src->path.data, dst->path.data);
	}
	if ((flags & RENAME_NOREPLACE) && ecsfs__fuse_exists(fs, dst) == 0)
		return -EEXIST;
	if ((r = ecsfs_store_file_get(fs->store, src->parent.data, src->name, &meta, &data)) < 0)
		goto out;
	if (src_scratch && dst_scratch) {
		if (strcmp(src->parent.data, dst->parent.data) != 0 &&
		    ecsfs__fuse_exists(fs, dst) < 0 && (r = ecsfs__fuse_scratch_room(fs, dst)) < 0)
			goto out;
		ecsfs__fuse_lazy(fs, src, true);
		r = ecsfs_store_file_rename(fs->store, src->parent.data, src->name,
					    dst->parent.data, dst->name);
		ecsfs__fuse_lazy(fs, src, false);
		goto out;
	}
	if (dst_scratch) {
		/* a definition renamed away: keep its bytes as a scratch file */
		meta.kind = ECSFS_FILE_SCRATCH;
		if ((r = ecsfs_store_file_put(fs->store, dst->parent.data, dst->name, &meta,
					      data.data, data.len)) < 0)
			goto out;
		if ((r = ecsfs__fuse_remove_definition(fs, src, &why)) < 0) {
			ecsfs_store_file_delete(fs->store, dst->parent.data, dst->name);
			ecsfs__fuse_reject(fs, src->path.data, r, &why.msg);
		}
		goto out;
	}
	/* onto a definition: validate and apply it with the source's metadata */
	if (!(dst->route->flags & ECSFS__R_APPLY_CHECKS) &&
	    (r = dst->route->check(fs, dst, data.data, data.len, false, &why)) < 0) {
		ecsfs__fuse_reject(fs, dst->path.data, r, &why.msg);
		goto out;
	}
	r = src_scratch ? apply_scratch(fs, src, dst, &data, &meta, &why)
			: dst->route->apply(fs, dst, data.data, data.len, &meta, &why);
	if (r < 0) {
		ecsfs__fuse_reject(fs, dst->path.data, r, &why.msg);
		goto out;
	}
	ecsfs__fuse_applied(fs, dst->path.data);
	if (!src_scratch && (r = ecsfs__fuse_remove_definition(fs, src, &why)) < 0)
		ecsfs__fuse_reject(fs, src->path.data, r, &why.msg);
out:
	ecsfs_buf_release(&data);
	ecsfs_err_release(&why);
	return r;
}

void ecsfs__op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		      const char *newname, unsigned int flags)
{
	ecsfs__fs *fs = ecsfs__fuse_req_fs(req);
	ecsfs__match src, dst;
	int r;

	ecsfs__match_init(&src);
	ecsfs__match_init(&dst);
	if ((r = ecsfs__fuse_resolve(fs, parent, name, &src)) < 0 ||
	    (r = ecsfs__fuse_exists(fs, &src)) < 0)
		goto out;
	if ((r = ecsfs__fuse_resolve(fs, newparent, newname, &dst)) < 0) {
		if (r != -ENAMETOOLONG) {
			/* the errors line names the target: the temporary name is rsync's */
			ecsfs__node *np = ecsfs__nodes_by_ino(fs->nodes, newparent);
			ecsfs_buf target = ECSFS_BUF_INIT;
			ecsfs_buf_addf(&target, "%s/%s",
				       np && np->path && np->path[1] ? np->path : "", newname);
			r = ecsfs__fuse_rejectf(
			    fs, target.data, ecsfs__fuse_in_spec(src.path.data) ? -EINVAL : -EACCES,
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
	ecsfs__fuse_fault_log(fs, r, src.path.data, NULL);
out:
	fuse_reply_err(req, -r);
	ecsfs__match_release(&src);
	ecsfs__match_release(&dst);
}
