/* FUSE: directories — listing snapshots, mkdir and rmdir through the routes. */
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

static void dir_free(ecsfs__link *l)
{
	dirhandle *d = (dirhandle *)l;
	ecsfs__fuse_link_del(d->fs, l);
	ecsfs_buf_release(&d->list.names);
	free(d->list.types);
	free(d);
}

/* ---- directories ---- */

void ecsfs__op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	ecsfs__fs *fs = ecsfs__fuse_req_fs(req);
	ecsfs__match m;
	dirhandle *d;
	int r;

	ecsfs__match_init(&m);
	if ((r = ecsfs__fuse_resolve_ino(fs, ino, &m, NULL)) < 0 ||
	    (r = ecsfs__fuse_exists(fs, &m)) < 0)
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
	ecsfs__fuse_link_add(fs, &d->link, dir_free);
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
	fuse_reply_err(req, -ecsfs__fuse_fault_log(fs, r, m.path.data, NULL));
free_dir_quiet:
	dir_free(&d->link);
	ecsfs__match_release(&m);
	return;
out:
	fuse_reply_err(req, -ecsfs__fuse_fault_log(fs, r, m.path.data, NULL));
	ecsfs__match_release(&m);
}

void ecsfs__op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
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

void ecsfs__op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	dir_free((ecsfs__link *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

void ecsfs__op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	ecsfs__fs *fs = ecsfs__fuse_req_fs(req);
	ecsfs_err why = ECSFS_ERR_INIT;
	ecsfs__match m;
	int r;

	ecsfs__match_init(&m);
	r = ecsfs__fuse_resolve(fs, parent, name, &m);
	if (r == -ENAMETOOLONG)
		goto out;
	if (r < 0 || m.route == &ecsfs__route_scratch) {
		ecsfs__node *p = ecsfs__nodes_by_ino(fs->nodes, parent);
		const char *where = p && p->path ? p->path : "?";
		if (ecsfs__fuse_in_spec(where))
			r = ecsfs__fuse_rejectf(fs, m.path.len ? m.path.data : where, -EINVAL,
						"%s: no directory named '%s' belongs here", where,
						name);
		else
			r = ecsfs__fuse_rejectf(fs, m.path.len ? m.path.data : where, -EACCES,
						"%s: no directory can be created here", where);
		goto out;
	}
	if (ecsfs__fuse_exists(fs, &m) == 0) {
		/* not a rejected change: mkdir -p and rsync meet existing directories */
		r = -EEXIST;
		goto out;
	}
	if (!m.route->mkdir) {
		r = ecsfs__fuse_rejectf(fs, m.path.data, -EACCES, "%s cannot be created",
					m.path.data);
		goto out;
	}
	if ((r = m.route->mkdir(fs, &m, mode, &why)) < 0) {
		if (r != -EEXIST)
			ecsfs__fuse_reject(fs, m.path.data, r, &why.msg);
		goto out;
	}
	ecsfs__fuse_reply_entry(req, fs, &m);
	ecsfs__match_release(&m);
	ecsfs_err_release(&why);
	return;
out:
	fuse_reply_err(req, -r);
	ecsfs__match_release(&m);
	ecsfs_err_release(&why);
}

void ecsfs__op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	ecsfs__fs *fs = ecsfs__fuse_req_fs(req);
	ecsfs_err why = ECSFS_ERR_INIT;
	ecsfs__match m;
	int r;

	ecsfs__match_init(&m);
	if ((r = ecsfs__fuse_resolve(fs, parent, name, &m)) < 0 ||
	    (r = ecsfs__fuse_exists(fs, &m)) < 0)
		goto out;
	if (m.route->type != S_IFDIR) {
		r = -ENOTDIR;
		goto out;
	}
	if (!m.route->rmdir) {
		r = ecsfs__fuse_rejectf(fs, m.path.data,
					ecsfs__fuse_in_spec(m.path.data) ? -EPERM : -EACCES,
					"%s cannot be removed", m.path.data);
		goto out;
	}
	/* rsync --delay-updates tries to remove .~tmp~ after every file it moves */
	if ((r = m.route->rmdir(fs, &m, &why)) < 0 &&
	    !(r == -ENOTEMPTY && m.route == &ecsfs__route_tmpdir))
		ecsfs__fuse_reject(fs, m.path.data, r, &why.msg);
out:
	fuse_reply_err(req, -r);
	ecsfs__match_release(&m);
	ecsfs_err_release(&why);
}
