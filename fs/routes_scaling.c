/*
 * Service auto scaling: spec/clusters/<c>/scaling/<service>.json (the
 * RegisterScalableTarget input with ScalingPolicies and ScheduledActions)
 * and clusters/<c>/services/<s>/scaling. An adapter: it parses the bytes,
 * calls core/model/scaling.c and renders; the autoscaler is
 * core/control/autoscale*.c.
 */
#include <errno.h>
#include <string.h>

#include "ecsfs/scaling.h"
#include "ecsfs/util.h"
#include "fs.h"

void ecsfs__scaling_changed(void *data, const char *cluster, const char *service)
{
	ecsfs__fs *fs = data;
	ecsfs_buf path = ECSFS_BUF_INIT;

	ecsfs_buf_addf(&path, "/clusters/%s/services/%s", cluster, service);
	ecsfs__invalidate_inode(fs, path.data);
	ecsfs_buf_adds(&path, "/scaling");
	ecsfs__invalidate_entry(fs, path.data);
	ecsfs__invalidate_spec_doc(fs, cluster, "scaling", service);
	ecsfs_buf_release(&path);
	/* desiredCount may have moved: the service's own files too */
	ecsfs__services_changed(fs, cluster, service);
}

void ecsfs__scaling_start(ecsfs__fs *fs, uv_loop_t *loop)
{
	if (ecsfs_scaling_new(loop, fs->store, fs->services, fs->tasks, fs->metrics, &fs->scaling) <
	    0)
		ecsfs__log("auto scaling is not available: out of memory");
	else {
		ecsfs_scaling_set_change_cb(fs->scaling, ecsfs__scaling_changed, fs);
		ecsfs_scaling_set_lb(fs->scaling, fs->lb);
	}
}

void ecsfs__scaling_stop(ecsfs__fs *fs)
{
	ecsfs_scaling_free(fs->scaling);
	fs->scaling = NULL;
}

void ecsfs__scaling_dir(ecsfs__fs *fs, const char *cluster, const char *service,
			ecsfs__dirlist *out)
{
	if (ecsfs_scaling_exists(fs->store, cluster, service) == 0)
		ecsfs__dirlist_add(out, "scaling", S_IFREG);
}

/* ---- spec/clusters/<c>/scaling/<service>.json ---- */

/* The bytes as a JSON object; 1 (no *doc) while a plain append could
 * still complete it, -EINVAL when no more bytes could. */
static int spec_parse(const char *data, size_t len, bool partial, json_t **doc, ecsfs_err *err)
{
	json_t *whole;

	if (len > ECSFS_SCALING_JSON_MAX || memchr(data, '\0', len))
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "a scaling document is at most %d bytes of text",
				     ECSFS_SCALING_JSON_MAX);
	if (partial && ecsfs_json_prefix_ok(data, len)) {
		if (!(whole = json_loadb(data, len, JSON_DISABLE_EOF_CHECK, NULL)))
			return 1;
		json_decref(whole);
	}
	return ecsfs_err_from(err, ECSFS_E_INVALID_PARAMETER,
			      ecsfs_json_parse_object(data, len, doc, &err->msg));
}

static int spec_check(ecsfs__fs *fs, const ecsfs__match *m, const char *data, size_t len,
		      bool partial, ecsfs_err *err)
{
	json_t *doc = NULL;
	int r = spec_parse(data, len, partial, &doc, err);

	if (r == 0)
		r = ecsfs_scaling_check(m->cap[0], m->cap[1], doc, err);
	json_decref(doc);
	return r < 0 ? r : 0;
}

static int spec_apply(ecsfs__fs *fs, const ecsfs__match *m, const char *data, size_t len,
		      const ecsfs_file_meta *meta, ecsfs_err *err)
{
	ecsfs_spec_bytes file = {.data = data, .len = len, .meta = meta};
	json_t *doc = NULL;
	int r = spec_parse(data, len, false, &doc, err);

	if (r == 0 && !fs->scaling)
		r = ecsfs_err_set(err, ECSFS_E_SERVER, -EIO, "auto scaling is not available");
	if (r == 0)
		r = ecsfs_scaling_put(fs->scaling, m->cap[0], m->cap[1], doc, &file, err);
	json_decref(doc);
	return r;
}

static int spec_unlink(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_err *err)
{
	if (!fs->scaling)
		return -EIO;
	return ecsfs_scaling_delete(fs->scaling, m->cap[0], m->cap[1], err);
}

/* ---- clusters/<c>/services/<s>/scaling ---- */

static int view_exists(ecsfs__fs *fs, const ecsfs__match *m)
{
	return fs->scaling && ecsfs_service_exists(fs->store, m->cap[0], m->cap[1]) == 0
		   ? ecsfs_scaling_exists(fs->store, m->cap[0], m->cap[1])
		   : -ENOENT;
}

static int view_read(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out)
{
	return ecsfs_scaling_view(fs->scaling, m->cap[0], m->cap[1], out);
}

const ecsfs__route ecsfs__routes_scaling[] = {
    ECSFS__SPEC_DIR("/spec/clusters/*/scaling", ecsfs__cluster_exists),
    {.pattern = "/spec/clusters/*/scaling/*.json",
     .type = S_IFREG,
     .perm = 0644,
     .flags = ECSFS__R_STORED | ECSFS__R_CREATE | ECSFS__R_GRACE,
     .exists = ecsfs__spec_file_exists,
     .check = spec_check,
     .apply = spec_apply,
     .unlink = spec_unlink},
    {.pattern = "/clusters/*/services/*/scaling",
     .type = S_IFREG,
     .perm = 0444,
     .flags = ECSFS__R_GENERATED,
     .exists = view_exists,
     .read = view_read},
    {0},
};
