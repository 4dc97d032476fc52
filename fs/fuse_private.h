/* What the files of the FUSE operations (fuse_ops.c, fuse_dir.c,
 * fuse_file.c, fuse_rename.c) share; nothing else includes it. */
#ifndef ECSFS_FUSE_PRIVATE_H
#define ECSFS_FUSE_PRIVATE_H

#include "fs.h"

#define ENTRY_TIMEOUT	  1.0
#define DIR_ATTR_TIMEOUT  1.0
#define FILE_ATTR_TIMEOUT 0.0
#define GEN_ATTR_TIMEOUT  1.0 /* store views (R_STORE_VIEW) in the page cache */

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
	bool emptied;	   /* O_TRUNC over a stored definition and not written since */
	bool result;	   /* data now holds what the applied command answered */
	bool based;	   /* result_base is set */
	bool cached;	   /* read through the page cache (fuse_cache.c) */
	off_t result_base; /* the offset of the first read of the answer */
} ecsfs__open;

typedef struct dirhandle {
	ecsfs__link link; /* first: the list of open handles */
	ecsfs__fs *fs;
	ecsfs__dirlist list;
} dirhandle;

/* fuse_ops.c: requests, rejections, attributes */
void ecsfs__fuse_applied(ecsfs__fs *fs, const char *path);
/* Around a change of route m: a scratch file's rows reach the disk with the
 * next change that must (lazy while `begin`, back to synced after). */
void ecsfs__fuse_lazy(ecsfs__fs *fs, const ecsfs__match *m, bool begin);
double ecsfs__fuse_attr_timeout(const ecsfs__fs *fs, const ecsfs__match *m);
int ecsfs__fuse_exists(ecsfs__fs *fs, const ecsfs__match *m);
int ecsfs__fuse_fault_log(ecsfs__fs *fs, int r, const char *path, const ecsfs_buf *why);
int ecsfs__fuse_fill_attr(ecsfs__fs *fs, const ecsfs__match *m, uint64_t ino, struct stat *st);
bool ecsfs__fuse_in_spec(const char *path);
void ecsfs__fuse_link_add(ecsfs__fs *fs, ecsfs__link *l, void (*free_fn)(ecsfs__link *));
void ecsfs__fuse_link_del(ecsfs__fs *fs, ecsfs__link *l);
ecsfs__open *ecsfs__fuse_pending_of(ecsfs__fs *fs, const char *path);
int ecsfs__fuse_reject(ecsfs__fs *fs, const char *path, int err, const ecsfs_buf *why);
int ecsfs__fuse_rejectf(ecsfs__fs *fs, const char *path, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int ecsfs__fuse_remove_definition(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_err *why);
void ecsfs__fuse_reply_entry(fuse_req_t req, ecsfs__fs *fs, const ecsfs__match *m);
ecsfs__fs *ecsfs__fuse_req_fs(fuse_req_t req);
int ecsfs__fuse_resolve(ecsfs__fs *fs, fuse_ino_t parent, const char *name, ecsfs__match *m);
int ecsfs__fuse_resolve_ino(ecsfs__fs *fs, fuse_ino_t ino, ecsfs__match *m, ecsfs__node **out);

/* fuse_cache.c: generated files in the page cache */
/* May files of route r stay in the page cache? */
bool ecsfs__cache_route(const ecsfs__fs *fs, const ecsfs__route *r);
/* The size and mtime an attribute reply for a generated file shows. */
int ecsfs__cache_attr(ecsfs__fs *fs, const ecsfs__match *m, ecsfs__node *node, off_t *size,
		      int64_t *mtime);
/* An attribute reply of this size goes to the kernel. */
void ecsfs__cache_replied(ecsfs__node *node, off_t size);
/* A reader of `node` may take the copy made at this generation as its
 * content (added to *content): true, and no query is needed. */
bool ecsfs__cache_reuse(ecsfs__fs *fs, const ecsfs__match *m, ecsfs__node *node,
			ecsfs_buf *content);
/* A reader opens `node` with this content (made now, or `reused`): does it
 * read through the page cache? */
bool ecsfs__cache_open(ecsfs__fs *fs, const ecsfs__match *m, ecsfs__node *node,
		       const ecsfs_buf *content, bool reused);
/* A handle that read through the page cache is released. */
void ecsfs__cache_close(ecsfs__node *node);
/* A writer opened `node`: the kernel's size and pages may change under us. */
void ecsfs__cache_written(ecsfs__fs *fs, ecsfs__node *node);

/* fuse_dir.c */
void ecsfs__op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode);
void ecsfs__op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void ecsfs__op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi);
void ecsfs__op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void ecsfs__op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name);

/* fuse_file.c */
int ecsfs__fuse_scratch_room(ecsfs__fs *fs, const ecsfs__match *m);
void ecsfs__op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      struct fuse_file_info *fi);
void ecsfs__op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void ecsfs__op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi);
void ecsfs__op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void ecsfs__op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi);
void ecsfs__op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void ecsfs__op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi);
void ecsfs__op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi);

/* fuse_rename.c */
void ecsfs__op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		      const char *newname, unsigned int flags);
void ecsfs__op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name);

#endif
