/* secrets/<name>: write-only values; nothing in the tree ever shows them. */
#include <errno.h>
#include <string.h>

#include "ecsfs/error.h"
#include "ecsfs/secret.h"
#include "fs.h"

static int secrets_cb(void *data, const char *name)
{
	ecsfs__dirlist_add(data, name, S_IFREG);
	return 0;
}

static int secrets_list(ecsfs__fs *fs, const ecsfs__match *m, ecsfs__dirlist *out)
{
	return ecsfs_store_secret_list(fs->store, secrets_cb, out);
}

static int secret_exists(ecsfs__fs *fs, const ecsfs__match *m)
{
	return ecsfs_store_secret_get(fs->store, m->cap[0], NULL, NULL);
}

/* Size 0 whatever the value: even its length is not shown. */
static int secret_getattr(ecsfs__fs *fs, const ecsfs__match *m, struct stat *st)
{
	int64_t updated = 0;
	ecsfs_store_secret_get(fs->store, m->cap[0], NULL, &updated);
	st->st_size = 0;
	if (updated)
		ecsfs__set_time(&st->st_mtim, updated);
	return 0;
}

static int secret_check(ecsfs__fs *fs, const ecsfs__match *m, const char *data, size_t len,
			bool partial, ecsfs_err *err)
{
	return ecsfs_secret_check(m->cap[0], len, err);
}

static int secret_apply(ecsfs__fs *fs, const ecsfs__match *m, const char *data, size_t len,
			const ecsfs_file_meta *meta, ecsfs_err *err)
{
	return ecsfs_secret_put(fs->store, m->cap[0], data, len, err);
}

static int secret_unlink(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_err *err)
{
	return ecsfs_secret_delete(fs->store, m->cap[0], err);
}

const ecsfs__route ecsfs__routes_secret[] = {
    {.pattern = "/secrets", .type = S_IFDIR, .perm = 0755, .list = secrets_list},
    {.pattern = "/secrets/*",
     .type = S_IFREG,
     .perm = 0200,
     .flags = ECSFS__R_CREATE,
     .exists = secret_exists,
     .getattr = secret_getattr,
     .check = secret_check,
     .apply = secret_apply,
     .unlink = secret_unlink},
    {0},
};
