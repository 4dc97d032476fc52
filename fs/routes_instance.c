/*
 * Container instances: spec/clusters/<c>/instances/<name>.json (a Docker
 * Engine endpoint registered as an instance) and the live
 * clusters/<c>/instances/<name>/ (instance.json, status, state). An
 * adapter: it parses, calls core/model/instance.c and renders.
 */
#include <errno.h>
#include <string.h>

#include "ecsfs/docker.h"
#include "ecsfs/instance.h"
#include "ecsfs/util.h"
#include "fs.h"

void ecsfs__instances_changed(void *data, const char *cluster, const char *name)
{
	ecsfs__fs *fs = data;
	ecsfs_buf path = ECSFS_BUF_INIT;

	ecsfs_buf_addf(&path, "/clusters/%s", cluster);
	ecsfs__invalidate_inode(fs, path.data);
	ecsfs_buf_adds(&path, "/instances");
	ecsfs__invalidate_inode(fs, path.data);
	ecsfs_buf_addf(&path, "/%s", name);
	ecsfs__invalidate_entry(fs, path.data);
	ecsfs__invalidate_spec_doc(fs, cluster, "instances", name);
	/* instance.json, status and state, and the cluster's own files (its
	 * count of instances): the kernel drops what it kept of them */
	ecsfs__cache_changed(fs, cluster, NULL);
	ecsfs_buf_release(&path);
}

/* A registered instance's engine: a Docker client of its endpoint, over
 * TLS when the document names its files. */
static int docker_engine(void *data, const char *endpoint, const char *ca, const char *cert,
			 const char *key, ecsfs_runtime **out, ecsfs_buf *why)
{
	ecsfs_http_tls tls = {ca, cert, key};
	int r = ecsfs_docker_new_tls(data, endpoint, ca ? &tls : NULL, out);

	if (r < 0)
		ecsfs_buf_setf(why, "%s: cannot use it: %s", endpoint, strerror(-r));
	return r;
}

void ecsfs__instances_start(ecsfs__fs *fs, uv_loop_t *loop, const char *endpoint, int lost_after_s)
{
	ecsfs_instances_opts o = {
	    .local = fs->rt,
	    .local_endpoint = endpoint,
	    .engine = docker_engine,
	    .engine_data = loop,
	    .lost_after_s = lost_after_s,
	};
	ecsfs_buf why = ECSFS_BUF_INIT;

	if (ecsfs_instances_new(loop, fs->store, fs->tasks, &o, &fs->instances, &why) < 0)
		ecsfs__log("container instances are not available: %s", why.data);
	else
		ecsfs_instances_set_change_cb(fs->instances, ecsfs__instances_changed, fs);
	ecsfs_buf_release(&why);
}

void ecsfs__instances_stop(ecsfs__fs *fs)
{
	ecsfs_instances_free(fs->instances);
	fs->instances = NULL;
}

/* ---- spec/clusters/<c>/instances/<name>.json ---- */

static int instance_put(ecsfs__fs *fs, const ecsfs__match *m, const json_t *doc,
			const ecsfs_spec_bytes *file, ecsfs_err *err)
{
	if (!fs->instances)
		return ecsfs_err_set(err, ECSFS_E_SERVER, -EIO,
				     "container instances are not available");
	return ecsfs_instance_put(fs->instances, m->cap[0], m->cap[1], doc, file, err);
}

static const ecsfs__spec_doc instance_doc = {
    .what = "a container instance",
    .max = ECSFS_INSTANCE_JSON_MAX,
    .check = ecsfs_instance_check,
    .put = instance_put,
};

static int spec_unlink(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_err *err)
{
	if (!fs->instances)
		return -EIO;
	return ecsfs_instance_delete(fs->instances, m->cap[0], m->cap[1], err);
}

/* ---- clusters/<c>/instances/<name>/ ---- */

static int add_dir(void *data, const char *name)
{
	ecsfs__dirlist_add(data, name, S_IFDIR);
	return 0;
}

static int instances_list(ecsfs__fs *fs, const ecsfs__match *m, ecsfs__dirlist *out)
{
	return fs->instances ? ecsfs_instance_list(fs->instances, m->cap[0], add_dir, out) : 0;
}

static int instance_exists(ecsfs__fs *fs, const ecsfs__match *m)
{
	return fs->instances ? ecsfs_instance_exists(fs->instances, m->cap[0], m->cap[1]) : -ENOENT;
}

static int instance_list(ecsfs__fs *fs, const ecsfs__match *m, ecsfs__dirlist *out)
{
	static const char *const files[] = {"instance.json", "status", "state"};
	ecsfs__dirlist_add_files(out, files, sizeof(files) / sizeof(files[0]));
	return 0;
}

static int describe_read(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out)
{
	json_t *o;
	int r = ecsfs_instance_describe(fs->instances, m->cap[0], m->cap[1], &o);

	if (r == 0) {
		ecsfs_json_pretty(o, out);
		json_decref(o);
	}
	return r;
}

static int status_read(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out)
{
	return ecsfs_instance_status(fs->instances, m->cap[0], m->cap[1], out);
}

static int state_read(ecsfs__fs *fs, const ecsfs__match *m, ecsfs_buf *out)
{
	return ecsfs_instance_state(fs->instances, m->cap[0], m->cap[1], out);
}

/* While a plain append may still spell a state, it is not refused. */
static int state_check(ecsfs__fs *fs, const ecsfs__match *m, const char *data, size_t len,
		       bool partial, ecsfs_err *err)
{
	static const char *const words[] = {"ACTIVE", "DRAINING"};
	size_t a = strspn(data, " \t");

	if (partial && !memchr(data, '\n', len))
		for (size_t i = 0; i < 2; i++)
			if (len - a <= strlen(words[i]) &&
			    strncmp(data + a, words[i], len - a) == 0)
				return 0;
	return ecsfs_instance_state_check(data, len, err);
}

static int state_apply(ecsfs__fs *fs, const ecsfs__match *m, const char *data, size_t len,
		       const ecsfs_file_meta *meta, ecsfs_err *err)
{
	ecsfs_buf text = ECSFS_BUF_INIT;
	int r;

	ecsfs_buf_add(&text, data, len);
	r = ecsfs_instance_set_state(fs->instances, m->cap[0], m->cap[1], text.data, err);
	ecsfs_buf_release(&text);
	return r;
}

const ecsfs__route ecsfs__routes_instance[] = {
    ECSFS__SPEC_DIR("/spec/clusters/*/instances", ecsfs__cluster_exists),
    ECSFS__SPEC_DOC("/spec/clusters/*/instances/*.json", &instance_doc, spec_unlink),
    {.pattern = "/clusters/*/instances",
     .type = S_IFDIR,
     .perm = 0755,
     .exists = ecsfs__cluster_exists,
     .list = instances_list},
    {.pattern = "/clusters/*/instances/*",
     .type = S_IFDIR,
     .perm = 0755,
     .exists = instance_exists,
     .list = instance_list},
    {.pattern = "/clusters/*/instances/*/instance.json",
     .type = S_IFREG,
     .perm = 0444,
     .flags = ECSFS__R_GENERATED,
     .exists = instance_exists,
     .read = describe_read},
    {.pattern = "/clusters/*/instances/*/status",
     .type = S_IFREG,
     .perm = 0444,
     .flags = ECSFS__R_GENERATED,
     .exists = instance_exists,
     .read = status_read},
    {.pattern = "/clusters/*/instances/*/state",
     .type = S_IFREG,
     .perm = 0644,
     .flags = ECSFS__R_GENERATED,
     .exists = instance_exists,
     .read = state_read,
     .check = state_check,
     .apply = state_apply},
    {0},
};
