/* Clusters: the model behind clusters/<c>/ and spec/clusters/<c>/. */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "ecsfs/arn.h"
#include "ecsfs/cluster.h"
#include "ecsfs/service.h"
#include "ecsfs/util.h"
#include "model/cluster_private.h"
void ecsfs_cluster_spec_dir(const char *name, ecsfs_buf *out)
{
	ecsfs_buf_addf(out, "%s/%s", ECSFS_SPEC_CLUSTERS, name);
}

void ecsfs_cluster_events_stream(const char *name, ecsfs_buf *out)
{
	ecsfs_buf_addf(out, "cluster/%s", name);
}

int ecsfs_cluster_event(ecsfs_store *s, const char *name, const char *fmt, ...)
{
	ecsfs_buf stream = ECSFS_BUF_INIT, line = ECSFS_BUF_INIT;
	char when[32];
	va_list ap;
	int r;

	ecsfs_cluster_events_stream(name, &stream);
	ecsfs_time_iso(ecsfs_now_ns(), when);
	ecsfs_buf_addf(&line, "%s ", when);
	va_start(ap, fmt);
	ecsfs_buf_vaddf(&line, fmt, ap);
	va_end(ap);
	r = ecsfs_store_journal_append(s, stream.data, line.data);
	ecsfs_buf_release(&stream);
	ecsfs_buf_release(&line);
	return r;
}

/* A fault of the store, with what was being done; the kind follows the
 * errno (-ENOSPC: LimitExceeded, else Server). */
int ecsfs__cluster_fault(ecsfs_store *s, int r, const char *what, const char *name, ecsfs_err *err)
{
	return ecsfs_err_set(err, ECSFS_E_NONE, r, "cannot %s cluster %s: %s", what, name,
			     ecsfs_store_last_error(s));
}

int ecsfs__cluster_not_found(const char *name, ecsfs_err *err)
{
	return ecsfs_err_set(err, ECSFS_E_CLUSTER_NOT_FOUND, -ENOENT, "cluster %s does not exist",
			     name);
}

int ecsfs_cluster_check(ecsfs_store *s, const char *name, ecsfs_err *err)
{
	return ecsfs_store_cluster_exists(s, name) ? 0 : ecsfs__cluster_not_found(name, err);
}

/* Room for one more cluster (ECS's quota: ECSFS_CLUSTERS_MAX)? A name
 * that exists is left to the insert, which says EEXIST. */
static int cluster_room(ecsfs_store *s, const char *name, ecsfs_err *err)
{
	uint64_t n = 0;
	int r;

	if ((r = ecsfs_store_cluster_count(s, &n)) < 0)
		return ecsfs__cluster_fault(s, r, "create", name, err);
	if (n >= ECSFS_CLUSTERS_MAX)
		return ecsfs_err_set(err, ECSFS_E_LIMIT_EXCEEDED, -ENOSPC,
				     "cannot create cluster %s: there are %llu clusters, the limit "
				     "is %d",
				     name, (unsigned long long)n, ECSFS_CLUSTERS_MAX);
	return 0;
}

int ecsfs_cluster_create(ecsfs_store *s, const char *name, ecsfs_err *err)
{
	int r;

	if ((r = ecsfs_name_check(name, "cluster", &err->msg)) < 0)
		return ecsfs_err_from(err, ECSFS_E_INVALID_PARAMETER, r);
	if ((r = ecsfs_store_begin(s)) < 0)
		return ecsfs__cluster_fault(s, r, "create", name, err);
	if ((r = cluster_room(s, name, err)) < 0) {
		ecsfs_store_rollback(s);
		return r;
	}
	r = ecsfs_store_cluster_insert(s, name, ecsfs_now_ns());
	if (r == -EEXIST) {
		ecsfs_store_rollback(s);
		return ecsfs_err_set(err, ECSFS_E_RESOURCE_IN_USE, r, "cluster %s already exists",
				     name);
	}
	if (r < 0 || (r = ecsfs_store_cluster_forget(s, name)) < 0 ||
	    (r = ecsfs_cluster_event(s, name, "(cluster %s) was created.", name)) < 0) {
		ecsfs_store_rollback(s);
		return ecsfs__cluster_fault(s, r, "create", name, err);
	}
	if ((r = ecsfs_store_commit(s)) < 0)
		return ecsfs__cluster_fault(s, r, "create", name, err);
	return 0;
}

/* What keeps cluster `name` from being deleted: 0 when nothing does. */
static int in_use(ecsfs_store *s, const char *name, const char *dir, bool spec_only, ecsfs_err *err)
{
	uint64_t nfiles = 0, ntasks = 0, nservices = 0;
	int r;

	/* Files anywhere below the spec directory (services/, schedules/
	 * included) count; directory metadata rows do not. */
	if ((r = ecsfs_store_file_count_tree(s, dir, &nfiles)) < 0)
		return ecsfs__cluster_fault(s, r, "delete", name, err);
	if (spec_only && nfiles > 0)
		return ecsfs_err_set(err, ECSFS_E_RESOURCE_IN_USE, -ENOTEMPTY,
				     "cluster %s: spec directory is not empty (%llu file%s); "
				     "remove them first",
				     name, (unsigned long long)nfiles, nfiles == 1 ? "" : "s");
	if ((r = ecsfs_store_service_count(s, name, &nservices)) < 0)
		return ecsfs__cluster_fault(s, r, "delete", name, err);
	if (nservices > 0)
		return ecsfs_err_set(err, ECSFS_E_CLUSTER_CONTAINS_SERVICES, -EBUSY,
				     "cluster %s still has %llu service%s; delete them first", name,
				     (unsigned long long)nservices, nservices == 1 ? "" : "s");
	if ((r = ecsfs_store_task_count(s, name, true, &ntasks)) < 0)
		return ecsfs__cluster_fault(s, r, "delete", name, err);
	if (ntasks > 0)
		return ecsfs_err_set(
		    err, ECSFS_E_CLUSTER_CONTAINS_TASKS, -EBUSY,
		    "cluster %s still has %llu task%s that %s not STOPPED; stop them first", name,
		    (unsigned long long)ntasks, ntasks == 1 ? "" : "s", ntasks == 1 ? "is" : "are");
	return 0;
}

/* Kept an hour, so that a describe shows the cluster INACTIVE. */
static int remember(ecsfs_store *s, const char *name)
{
	ecsfs_cluster_row row;
	int64_t now = ecsfs_now_ns();
	int r;

	ecsfs_cluster_row_init(&row);
	if ((r = ecsfs_store_cluster_get(s, name, &row)) == 0)
		r = ecsfs_store_cluster_remember(s, name, now,
						 row.settings.len ? row.settings.data : NULL,
						 now - ECSFS_CLUSTER_INACTIVE_NS);
	ecsfs_cluster_row_release(&row);
	return r;
}

/* The rows of cluster `name`, in one transaction. */
static int drop_rows(ecsfs_store *s, const char *name, const char *dir)
{
	ecsfs_buf stream = ECSFS_BUF_INIT;
	int r;

	ecsfs_cluster_events_stream(name, &stream);
	if ((r = ecsfs_store_begin(s)) < 0)
		goto out;
	if ((r = remember(s, name)) < 0 || (r = ecsfs_store_cluster_delete(s, name)) < 0 ||
	    (r = ecsfs_store_task_delete_cluster(s, name)) < 0 ||
	    (r = ecsfs_store_file_delete_tree(s, dir)) < 0 ||
	    (r = ecsfs_store_journal_drop(s, stream.data)) < 0)
		goto rollback;
	/* the directory's own metadata row lives in its parent */
	r = ecsfs_store_file_delete(s, ECSFS_SPEC_CLUSTERS, name);
	if (r < 0 && r != -ENOENT)
		goto rollback;
	r = ecsfs_store_commit(s);
	goto out;
rollback:
	ecsfs_store_rollback(s);
out:
	ecsfs_buf_release(&stream);
	return r;
}

int ecsfs_cluster_delete(ecsfs_store *s, const char *name, bool spec_only, ecsfs_err *err)
{
	ecsfs_buf dir = ECSFS_BUF_INIT;
	int r;

	if (!ecsfs_store_cluster_exists(s, name))
		return ecsfs__cluster_not_found(name, err);
	ecsfs_cluster_spec_dir(name, &dir);
	if ((r = in_use(s, name, dir.data, spec_only, err)) == 0 &&
	    (r = drop_rows(s, name, dir.data)) < 0)
		ecsfs__cluster_fault(s, r, "delete", name, err);
	ecsfs_buf_release(&dir);
	return r;
}

/* ---- deleted once drained: what a repository dropped ---- */

static int drain_cb(void *data, const char *name)
{
	void **ctx = data;

	/* forced: the service drains and goes once its tasks have stopped */
	ecsfs_service_delete(ctx[0], ctx[1], name, true, NULL);
	return 0;
}

int ecsfs_cluster_retire(ecsfs_store *s, ecsfs_services *sv, const char *name, ecsfs_err *err)
{
	int r = ecsfs_cluster_delete(s, name, true, err);

	if (r != -EBUSY || !sv)
		return r;
	void *ctx[2] = {sv, (void *)name};
	ecsfs_service_list(s, name, drain_cb, ctx);
	if ((r = ecsfs_store_cluster_set_deleting(s, name, true)) < 0)
		return ecsfs__cluster_fault(s, r, "delete", name, err);
	ecsfs_cluster_event(s, name, "(cluster %s) is being deleted: its services drain first.",
			    name);
	ecsfs_err_reset(err);
	return 0;
}

bool ecsfs_cluster_retiring(ecsfs_store *s, const char *name)
{
	return ecsfs_store_cluster_deleting(s, name);
}

int ecsfs_cluster_keep(ecsfs_store *s, const char *name)
{
	if (!ecsfs_store_cluster_deleting(s, name))
		return -ENOENT;
	return ecsfs_store_cluster_set_deleting(s, name, false);
}

struct sweep {
	ecsfs_store *s;
	ecsfs_cluster_name_cb done;
	void *data;
};

static int sweep_cb(void *data, const char *name)
{
	struct sweep *w = data;
	ecsfs_err err = ECSFS_ERR_INIT;
	int r = ecsfs_cluster_delete(w->s, name, false, &err);

	ecsfs_err_release(&err);
	if (r == 0 || r == -ENOENT)
		w->done(w->data, name);
	return 0;
}

void ecsfs_cluster_sweep(ecsfs_store *s, ecsfs_cluster_name_cb done, void *data)
{
	struct sweep w = {s, done, data};

	ecsfs_store_cluster_list_deleting(s, sweep_cb, &w);
}
