/*
 * Services: spec/clusters/<c>/services/<s>.json and clusters/<c>/services/.
 * An adapter: it parses the file text ("3\n", "web:4\n", the JSON bytes),
 * calls one operation of core/model/service*.c and renders what it returns;
 * every rule of a service is in core.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/error.h"
#include "ecsfs/service.h"
#include "ecsfs/util.h"
#include "fs.h"

void ecsfs__services_changed(void *data, const char *cluster, const char *name)
{
	ecsfs__fs *fs = data;
	ecsfs_buf path = ECSFS_BUF_INIT;

	ecsfs_buf_addf(&path, "/clusters/%s/services", cluster);
	ecsfs__invalidate_inode(fs, path.data);
	ecsfs_buf_addf(&path, "/%s", name);
	ecsfs__invalidate_entry(fs, path.data);
	ecsfs_buf_addf(&path, "/tasks");
	ecsfs__invalidate_inode(fs, path.data);
	ecsfs__invalidate_spec_doc(fs, cluster, "services", name);
	ecsfs__cache_changed(fs, cluster, NULL);
	ecsfs_buf_release(&path);
}

/* ---- spec/clusters/<c>/services/<s>.json ---- */

static int service_put(ecsfs__fs *fs, const ecsfs__match *m, const json_t *doc,
		       const ecsfs_spec_bytes *file, ecsfs_err *err)
{
	return ecsfs_service_put(fs->services, m->cap[0], m->cap[1], doc, file, err);
}

static const ecsfs__spec_doc service_doc = {
    .what = "a service definition",
    .max = ECSFS_SERVICE_JSON_MAX,
    .check = ecsfs_service_check,
    .put = service_put,
};

/* rm of the spec file is delete-service --force: DRAINING, then gone. */
static int spec_unlink(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_err *err)
{
	return ecsfs_service_delete(fs->services, m->cap[0], m->cap[1], true, err);
}

/* ---- clusters/<c>/services/ ---- */

static int add_dir(void *data, const char *name)
{
	ecsfs__dirlist_add(data, name, S_IFDIR);
	return 0;
}

static int add_link(void *data, const char *name)
{
	ecsfs__dirlist_add(data, name, S_IFLNK);
	return 0;
}

static int services_list(ecsfs__fs *fs, const ecsfs__match *m, ecsfs__dirlist *out)
{
	return ecsfs_service_list(fs->store, m->cap[0], add_dir, out);
}

static int service_exists(ecsfs__fs *fs, const ecsfs__match *m)
{
	return ecsfs_service_exists(fs->store, m->cap[0], m->cap[1]);
}

static int service_list(ecsfs__fs *fs, const ecsfs__match *m, ecsfs__dirlist *out)
{
	static const char *const files[] = {"desired_count", "task_definition", "redeploy",
					    "service.json",  "status",		"events",
					    "deployment",    "rollback"};
	ecsfs__dirlist_add_files(out, files, sizeof(files) / sizeof(files[0]));
	ecsfs__dirlist_add(out, "tasks", S_IFDIR);
	ecsfs__metrics_dir(fs, out);
	ecsfs__scaling_dir(fs, m->cap[0], m->cap[1], out);
	return 0;
}

static int service_mkdir(ecsfs__fs *fs, const ecsfs__match *m, mode_t mode, ecsfs_err *err)
{
	return ecsfs_service_create(fs->services, m->cap[0], m->cap[1], err);
}

static int service_rmdir(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_err *err)
{
	return ecsfs_service_delete(fs->services, m->cap[0], m->cap[1], false, err);
}

/* Blanks around a value; a NUL byte is not one (strchr would find the
 * terminator). */
static bool blank(char c, bool newline)
{
	return c == ' ' || c == '\t' || (newline && (c == '\r' || c == '\n'));
}

/* The text of a value file without its trailing newlines and blanks. */
static void trimmed(const char *data, size_t len, ecsfs_buf *out)
{
	while (len && blank(data[len - 1], true))
		len--;
	while (len && blank(*data, false)) {
		data++;
		len--;
	}
	ecsfs_buf_add(out, data, len);
}

static int desired_read(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out)
{
	int64_t n;
	int r = ecsfs_service_get_desired(fs->store, m->cap[0], m->cap[1], &n);

	if (r == 0)
		ecsfs_buf_addf(out, "%lld\n", (long long)n);
	return r;
}

/*
 * "3\n": one whole number, blank lines after it ignored (a check that
 * refused "3\n " at write() would refuse half of "3\n \n", which it takes
 * at close). More digits than an int64 holds read as the largest, which
 * core refuses as out of range. 1 while a plain append may still bring the
 * digits.
 */
static int desired_parse(const char *data, size_t len, bool partial, int64_t *out, ecsfs_err *err)
{
	ecsfs_buf t = ECSFS_BUF_INIT;
	int r = 0;

	trimmed(data, len, &t);
	if (strspn(t.data, "0123456789") != t.len)
		r = ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				  "desired_count: '%.40s' is not a whole number", t.data);
	else if (t.len == 0 && (!partial || memchr(data, '\n', len)))
		r = ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				  "desired_count: empty; write a whole number");
	else if (t.len == 0)
		r = 1;
	else
		*out = t.len > 18 ? INT64_MAX : strtoll(t.data, NULL, 10);
	ecsfs_buf_release(&t);
	return r;
}

static int desired_check(ecsfs__fs *fs, const ecsfs__match *m, const char *data, size_t len,
			 bool partial, ecsfs_err *err)
{
	int64_t n;
	int r = desired_parse(data, len, partial, &n, err);

	if (r == 0)
		r = ecsfs_service_check_desired_of(fs->store, m->cap[0], m->cap[1], n, err);
	return r < 0 ? r : 0;
}

static int desired_apply(ecsfs__fs *fs, const ecsfs__match *m, const char *data, size_t len,
			 const ecsfs_file_meta *meta, ecsfs_err *err)
{
	int64_t n;
	int r = desired_parse(data, len, false, &n, err);

	if (r == 0)
		r = ecsfs_service_set_desired(fs->services, m->cap[0], m->cap[1], n, err);
	return r;
}

static int taskdef_read(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out)
{
	size_t at = out->len;
	int r = ecsfs_service_get_taskdef(fs->store, m->cap[0], m->cap[1], out);

	if (r == 0 && out->len > at)
		ecsfs_buf_addch(out, '\n');
	return r;
}

/* "web\n" or "web:4\n": one reference on one line. 1 while a plain append
 * has not ended the line. */
static int taskdef_parse(const char *data, size_t len, bool partial, ecsfs_buf *ref, ecsfs_err *err)
{
	if (len > 1024 || memchr(data, '\0', len))
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "task_definition: write \"family\" or \"family:revision\"");
	if (partial && !memchr(data, '\n', len))
		return 1;
	trimmed(data, len, ref);
	return 0;
}

static int taskdef_check(ecsfs__fs *fs, const ecsfs__match *m, const char *data, size_t len,
			 bool partial, ecsfs_err *err)
{
	ecsfs_buf ref = ECSFS_BUF_INIT;
	int r = taskdef_parse(data, len, partial, &ref, err);

	if (r == 0)
		r = ecsfs_service_check_taskdef(fs->store, ref.data, err);
	ecsfs_buf_release(&ref);
	return r < 0 ? r : 0;
}

static int taskdef_apply(ecsfs__fs *fs, const ecsfs__match *m, const char *data, size_t len,
			 const ecsfs_file_meta *meta, ecsfs_err *err)
{
	ecsfs_buf ref = ECSFS_BUF_INIT;
	int r = taskdef_parse(data, len, false, &ref, err);

	if (r == 0)
		r = ecsfs_service_set_taskdef(fs->services, m->cap[0], m->cap[1], ref.data, err);
	ecsfs_buf_release(&ref);
	return r;
}

static int redeploy_apply(ecsfs__fs *fs, const ecsfs__match *m, const char *data, size_t len,
			  const ecsfs_file_meta *meta, ecsfs_err *err)
{
	return ecsfs_service_redeploy(fs->services, m->cap[0], m->cap[1], err);
}

static int rollback_apply(ecsfs__fs *fs, const ecsfs__match *m, const char *data, size_t len,
			  const ecsfs_file_meta *meta, ecsfs_err *err)
{
	return ecsfs_service_rollback(fs->services, m->cap[0], m->cap[1], err);
}

static int deployment_read(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out)
{
	return ecsfs_service_deployment_text(fs->services, m->cap[0], m->cap[1], out);
}

static int describe_read(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out)
{
	json_t *o;
	int r = ecsfs_service_describe(fs->services, m->cap[0], m->cap[1], &o, NULL);

	if (r == 0) {
		ecsfs_json_pretty(o, out);
		json_decref(o);
	}
	return r;
}

static int zero_size(ecsfs__fs *fs, const ecsfs__match *m, struct stat *st)
{
	st->st_size = 0;
	return 0;
}

static int status_read(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out)
{
	return ecsfs_service_status(fs->services, m->cap[0], m->cap[1], out);
}

static int events_getattr(ecsfs__fs *fs, const ecsfs__match *m, struct stat *st)
{
	ecsfs_buf stream = ECSFS_BUF_INIT;
	ecsfs_service_events_stream(m->cap[0], m->cap[1], &stream);
	int r = ecsfs__journal_getattr(fs, stream.data, st);
	ecsfs_buf_release(&stream);
	return r;
}

static int events_read_at(ecsfs__fs *fs, const ecsfs__match *m, uint64_t off, size_t len,
			  ecsfs_buf *out)
{
	ecsfs_buf stream = ECSFS_BUF_INIT;
	ecsfs_service_events_stream(m->cap[0], m->cap[1], &stream);
	int r = ecsfs_store_journal_read(fs->store, stream.data, off, len, out);
	ecsfs_buf_release(&stream);
	return r;
}

static int tasks_list(ecsfs__fs *fs, const ecsfs__match *m, ecsfs__dirlist *out)
{
	return ecsfs_service_tasks(fs->services, m->cap[0], m->cap[1], add_link, out);
}

typedef struct find {
	const char *id;
	bool found;
} find;

static int find_cb(void *data, const char *name)
{
	find *f = data;
	if (strcmp(f->id, name) == 0)
		f->found = true;
	return f->found;
}

static int task_link_exists(ecsfs__fs *fs, const ecsfs__match *m)
{
	find f = {.id = m->cap[2]};
	ecsfs_service_tasks(fs->services, m->cap[0], m->cap[1], find_cb, &f);
	return f.found ? 0 : -ENOENT;
}

static int task_link_readlink(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out)
{
	ecsfs_buf_addf(out, "../../../tasks/%s", m->cap[2]);
	return 0;
}

const ecsfs__route ecsfs__routes_service[] = {
    ECSFS__SPEC_DOC("/spec/clusters/*/services/*.json", &service_doc, spec_unlink),
    {.pattern = "/clusters/*/services",
     .type = S_IFDIR,
     .perm = 0755,
     .exists = ecsfs__cluster_exists,
     .list = services_list},
    {.pattern = "/clusters/*/services/*",
     .type = S_IFDIR,
     .perm = 0755,
     .exists = service_exists,
     .list = service_list,
     .mkdir = service_mkdir,
     .rmdir = service_rmdir},
    {.pattern = "/clusters/*/services/*/desired_count",
     .type = S_IFREG,
     .perm = 0644,
     .flags = ECSFS__R_GENERATED,
     .exists = service_exists,
     .read = desired_read,
     .check = desired_check,
     .apply = desired_apply},
    {.pattern = "/clusters/*/services/*/task_definition",
     .type = S_IFREG,
     .perm = 0644,
     .flags = ECSFS__R_GENERATED,
     .exists = service_exists,
     .read = taskdef_read,
     .check = taskdef_check,
     .apply = taskdef_apply},
    {.pattern = "/clusters/*/services/*/redeploy",
     .type = S_IFREG,
     .perm = 0200,
     .exists = service_exists,
     .getattr = zero_size,
     .apply = redeploy_apply},
    {.pattern = "/clusters/*/services/*/rollback",
     .type = S_IFREG,
     .perm = 0200,
     .exists = service_exists,
     .getattr = zero_size,
     .apply = rollback_apply},
    {.pattern = "/clusters/*/services/*/deployment",
     .type = S_IFREG,
     .perm = 0444,
     .flags = ECSFS__R_GENERATED,
     .exists = service_exists,
     .read = deployment_read},
    {.pattern = "/clusters/*/services/*/service.json",
     .type = S_IFREG,
     .perm = 0444,
     .flags = ECSFS__R_GENERATED,
     .exists = service_exists,
     .read = describe_read},
    {.pattern = "/clusters/*/services/*/status",
     .type = S_IFREG,
     .perm = 0444,
     .flags = ECSFS__R_GENERATED,
     .exists = service_exists,
     .read = status_read},
    {.pattern = "/clusters/*/services/*/events",
     .type = S_IFREG,
     .perm = 0444,
     .flags = ECSFS__R_APPEND,
     .exists = service_exists,
     .getattr = events_getattr,
     .read_at = events_read_at},
    {.pattern = "/clusters/*/services/*/tasks",
     .type = S_IFDIR,
     .perm = 0755,
     .exists = service_exists,
     .list = tasks_list},
    {.pattern = "/clusters/*/services/*/tasks/*",
     .type = S_IFLNK,
     .perm = 0777,
     .exists = task_link_exists,
     .readlink = task_link_readlink},
    {0},
};
