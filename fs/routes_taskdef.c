/* Task definitions: spec/taskdefs/<family>.json and taskdefs/<family>/. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/taskdef.h"
#include "ecsfs/error.h"
#include "ecsfs/util.h"
#include "fs.h"

/* ---- spec/taskdefs/<family>.json ---- */

static int spec_check(ecsfs__fs *fs, const ecsfs__match *m, const char *data, size_t len,
		      bool partial, ecsfs_err *err)
{
	return ecsfs_taskdef_check(m->cap[0], data, len, partial, err);
}

void ecsfs__taskdef_changed(ecsfs__fs *fs, const char *family)
{
	ecsfs_buf path = ECSFS_BUF_INIT;
	ecsfs_buf_addf(&path, "/spec/taskdefs/%s.json", family);
	ecsfs__invalidate_inode(fs, path.data);
	ecsfs_buf_setf(&path, "/taskdefs/%s/latest", family);
	ecsfs__invalidate_entry(fs, path.data);
	ecsfs_buf_setf(&path, "/taskdefs/%s", family);
	ecsfs__invalidate_inode(fs, path.data);
	ecsfs_buf_addch(&path, '/');
	ecsfs__cache_changed_path(fs, path.data);
	ecsfs_buf_release(&path);
}

/* checks the whole document first, as spec_check(partial false) would */
static int spec_apply(ecsfs__fs *fs, const ecsfs__match *m, const char *data, size_t len,
		      const ecsfs_file_meta *meta, ecsfs_err *err)
{
	int64_t rev;
	int r = ecsfs_taskdef_register_file(fs->store, m->cap[0], data, len, meta, &rev, err);
	if (r == 0)
		ecsfs__taskdef_changed(fs, m->cap[0]);
	return r;
}

static int spec_unlink(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_err *err)
{
	int r = ecsfs_taskdef_deregister_family(fs->store, m->cap[0], err);
	if (r == 0)
		ecsfs__taskdef_changed(fs, m->cap[0]);
	return r;
}

/* ---- taskdefs/<family>/<rev>.json and latest ---- */

static int families_list(ecsfs__fs *fs, const ecsfs__match *m, ecsfs__dirlist *out)
{
	return ecsfs_store_taskdef_families(fs->store, ecsfs__name_list_dir_cb, out);
}

/* A family stays reachable once registered, even with every revision
 * INACTIVE: its revisions stay readable at their paths. */
static int family_exists(ecsfs__fs *fs, const ecsfs__match *m)
{
	int64_t last;
	int r = ecsfs_store_taskdef_last_revision(fs->store, m->cap[0], &last);
	return r < 0 ? r : last > 0 ? 0 : -ENOENT;
}

static int rev_cb(void *data, int64_t rev)
{
	char name[32];
	snprintf(name, sizeof(name), "%lld.json", (long long)rev);
	ecsfs__dirlist_add(data, name, S_IFREG);
	return 0;
}

static int family_list(ecsfs__fs *fs, const ecsfs__match *m, ecsfs__dirlist *out)
{
	int64_t latest;
	int r = ecsfs_store_taskdef_revisions(fs->store, m->cap[0], rev_cb, out);
	if (r == 0 && ecsfs_taskdef_latest(fs->store, m->cap[0], &latest) == 0)
		ecsfs__dirlist_add(out, "latest", S_IFLNK);
	return r;
}

/* "12" -> 12; anything else (0, "012", "+1", huge) is no revision. */
static int64_t parse_rev(const char *s)
{
	int64_t v = 0;
	if (!*s || *s == '0' || strlen(s) > 12)
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		v = v * 10 + (*s - '0');
	}
	return v;
}

static int rev_exists(ecsfs__fs *fs, const ecsfs__match *m)
{
	int64_t rev = parse_rev(m->cap[1]);
	return rev ? ecsfs_taskdef_exists(fs->store, m->cap[0], rev, NULL) : -ENOENT;
}

static int rev_read(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out)
{
	ecsfs_err err = ECSFS_ERR_INIT;
	json_t *j;
	int r = ecsfs_taskdef_describe(fs->store, m->cap[0], parse_rev(m->cap[1]), &j, &err);
	if (r == 0) {
		ecsfs_json_pretty(j, out);
		json_decref(j);
	}
	ecsfs_err_release(&err);
	return r;
}

static int rev_unlink(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_err *err)
{
	int r = ecsfs_taskdef_deregister(fs->store, m->cap[0], parse_rev(m->cap[1]), NULL, err);
	if (r == 0)
		ecsfs__taskdef_changed(fs, m->cap[0]);
	return r;
}

static int latest_exists(ecsfs__fs *fs, const ecsfs__match *m)
{
	int64_t rev;
	return ecsfs_taskdef_latest(fs->store, m->cap[0], &rev);
}

static int latest_getattr(ecsfs__fs *fs, const ecsfs__match *m, struct stat *st)
{
	ecsfs_buf target = ECSFS_BUF_INIT;
	int64_t rev;
	int r = ecsfs_taskdef_latest(fs->store, m->cap[0], &rev);
	if (r == 0) {
		ecsfs_buf_addf(&target, "%lld.json", (long long)rev);
		st->st_size = (off_t)target.len;
	}
	ecsfs_buf_release(&target);
	return r;
}

static int latest_readlink(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out)
{
	int64_t rev;
	int r = ecsfs_taskdef_latest(fs->store, m->cap[0], &rev);
	if (r == 0)
		ecsfs_buf_addf(out, "%lld.json", (long long)rev);
	return r;
}

const ecsfs__route ecsfs__routes_taskdef[] = {
    /* ECSFS__SPEC_FILE, with ecsfs_taskdef_register_file's own check */
    {.pattern = "/spec/taskdefs/*.json",
     .type = S_IFREG,
     .perm = 0644,
     .flags = ECSFS__R_STORED | ECSFS__R_CREATE | ECSFS__R_GRACE | ECSFS__R_APPLY_CHECKS,
     .exists = ecsfs__spec_file_exists,
     .check = spec_check,
     .apply = spec_apply,
     .unlink = spec_unlink},
    {.pattern = "/taskdefs", .type = S_IFDIR, .perm = 0755, .list = families_list},
    {.pattern = "/taskdefs/*",
     .type = S_IFDIR,
     .perm = 0755,
     .exists = family_exists,
     .list = family_list},
    {.pattern = "/taskdefs/*/latest",
     .type = S_IFLNK,
     .perm = 0777,
     .exists = latest_exists,
     .getattr = latest_getattr,
     .readlink = latest_readlink},
    {.pattern = "/taskdefs/*/*.json",
     .type = S_IFREG,
     .perm = 0444,
     .flags = ECSFS__R_GENERATED | ECSFS__R_STORE_VIEW,
     .exists = rev_exists,
     .read = rev_read,
     .unlink = rev_unlink},
    {0},
};
