/*
 * ecsfs — tasks: starting them. A RunTask request (json_t) is checked,
 * resolved to its registered task definition with the overrides applied,
 * and becomes `count` new tasks in one transaction. The text of a `run`
 * write ("family[:rev] [count]" or a RunTask object) becomes such a
 * request first, so both front ends start tasks the same way.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "ecsfs/arn.h"
#include "ecsfs/cluster.h"
#include "ecsfs/launch.h"
#include "ecsfs/shape.h"
#include "ecsfs/tag.h"
#include "ecsfs/taskdef.h"
#include "ecsfs/util.h"
#include "model/launch_default.h"
#include "model/task_place.h"
#include "task_private.h"

/* A checked request; strings and objects are borrowed from it. */
typedef struct run_req {
	char family[256];
	int64_t revision; /* 0: newest ACTIVE */
	long count;
	const json_t *overrides;
	const char *started_by;
	const char *group;
	json_t *aliases;   /* a copy of the launch's names (owned) */
	json_t *kept;	   /* the fields with no engine meaning (owned), or NULL */
	json_t *tags;	   /* the tasks' tags (owned), or NULL */
	json_t *providers; /* placed: each task's capacity provider (owned), or NULL */
} run_req;

static void run_req_release(run_req *q)
{
	json_decref(q->aliases);
	json_decref(q->kept);
	json_decref(q->tags);
	json_decref(q->providers);
}

/* An InvalidParameter error with a formatted reason. */
static int bad(ecsfs_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(ecsfs_err *err, const char *fmt, ...)
{
	va_list ap;

	ecsfs_buf_reset(&err->msg);
	va_start(ap, fmt);
	ecsfs_buf_vaddf(&err->msg, fmt, ap);
	va_end(ap);
	err->kind = ECSFS_E_INVALID_PARAMETER;
	err->code = -EINVAL;
	return -EINVAL;
}

/* ---- the request's fields ---- */

/* "cluster", when given, must name this cluster (by name or ARN). */
static int check_cluster(ecsfs_shape_ctx *c, const json_t *v)
{
	const char *cluster = c->user, *s = json_string_value(v), *tail = strrchr(s, '/');

	if (strcmp(tail ? tail + 1 : s, cluster) != 0)
		return ecsfs_shape_fail(c, "this is the run file of cluster %s", cluster);
	return 0;
}

static const char *const launch_types[] = {"EC2", "FARGATE", "EXTERNAL", NULL};
static const char *const propagate[] = {"TASK_DEFINITION", "SERVICE", "NONE", NULL};

/* RunTask's input; the fields marked kept have no local meaning: checked,
 * and kept out of the way. */
static const ecsfs_field run_fields[] = {
    ECSFS_STR("taskDefinition", ECSFS_F_REQUIRED | ECSFS_F_NONEMPTY),
    ECSFS_INT("count", 0, 1, ECSFS_RUN_MAX_COUNT),
    {.name = "overrides", .type = ECSFS_JSON_OBJECT},
    {.name = "startedBy", .type = ECSFS_JSON_STRING, .max = ECSFS_STARTED_BY_MAX},
    {.name = "group", .type = ECSFS_JSON_STRING, .max = 255},
    {.name = "cluster", .type = ECSFS_JSON_STRING, .check = check_cluster},
    ECSFS_ARR("tags", ECSFS_F_KEPT, &ecsfs_item_tag, 50),
    ECSFS_ARR("capacityProviderStrategy", ECSFS_F_KEPT, NULL, 6),
    ECSFS_BOOL("enableECSManagedTags", ECSFS_F_KEPT),
    ECSFS_BOOL("enableExecuteCommand", ECSFS_F_KEPT),
    ECSFS_STR_OF("launchType", ECSFS_F_KEPT, launch_types),
    {.name = "networkConfiguration", .type = ECSFS_JSON_OBJECT, .flags = ECSFS_F_KEPT},
    ECSFS_ARR("placementConstraints", ECSFS_F_KEPT, NULL, 10),
    ECSFS_ARR("placementStrategy", ECSFS_F_KEPT, NULL, 5),
    ECSFS_STR("platformVersion", ECSFS_F_KEPT),
    ECSFS_STR_OF("propagateTags", ECSFS_F_KEPT, propagate),
    ECSFS_STR("referenceId", ECSFS_F_KEPT),
    ECSFS_STR("clientToken", ECSFS_F_KEPT),
    ECSFS_ARR("volumeConfigurations", ECSFS_F_KEPT, NULL, 0),
};
static const ecsfs_shape run_shape = ECSFS_SHAPE(run_fields);

/* What a task keeps of its request to show it (describe-tasks' launchType,
 * capacityProviderName, platformVersion, enableExecuteCommand...). */
static json_t *kept_fields(const json_t *rq)
{
	static const char *const keys[] = {"launchType",
					   "capacityProviderStrategy",
					   "platformVersion",
					   "enableExecuteCommand",
					   "enableECSManagedTags",
					   "networkConfiguration",
					   "propagateTags",
					   "placementConstraints",
					   "placementStrategy",
					   "referenceId",
					   NULL};
	json_t *kept = json_object();

	for (size_t i = 0; keys[i]; i++)
		if (json_object_get(rq, keys[i]))
			json_object_set(kept, keys[i], json_object_get(rq, keys[i]));
	if (json_object_size(kept) == 0) {
		json_decref(kept);
		return NULL;
	}
	return kept;
}

static const char *opt_str(const json_t *rq, const char *key)
{
	return json_string_value(json_object_get(rq, key));
}

/* A DNS name: labels of [A-Za-z0-9-] joined by '.', at most 253 bytes. */
static bool dns_name_ok(const char *s)
{
	size_t n = strlen(s), label = 0;

	if (n == 0 || n > 253 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (const char *p = s; *p; p++) {
		if (*p == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!(*p == '-' || *p == '_' || (*p >= '0' && *p <= '9') ||
		      (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) ||
		    ++label > 63)
			return false;
	}
	return true;
}

static int read_aliases(const char *const *aliases, run_req *q, ecsfs_err *err)
{
	q->aliases = NULL;
	if (!aliases || !aliases[0])
		return 0;
	q->aliases = json_array();
	for (size_t i = 0; aliases[i]; i++) {
		if (!dns_name_ok(aliases[i]))
			return bad(err, "aliases: '%s' is not a DNS name", aliases[i]);
		json_array_append_new(q->aliases, json_string(aliases[i]));
	}
	return 0;
}

static int read_request(ecsfs_tasks *t, const char *cluster, const ecsfs_task_launch *l, run_req *q,
			ecsfs_err *err)
{
	const json_t *rq = l->request, *count;
	int r;

	memset(q, 0, sizeof(*q));
	if ((r = ecsfs_cluster_check(t->store, cluster, err)) < 0 ||
	    (r = ecsfs_shape_check(&run_shape, rq, (void *)cluster, err)) < 0 ||
	    (r = ecsfs__task_check_placement(t->store, cluster, rq, err)) < 0)
		return r;
	r = ecsfs_taskdef_parse_ref(opt_str(rq, "taskDefinition"), q->family, &q->revision,
				    &err->msg);
	if (ecsfs_err_from(err, ECSFS_E_INVALID_PARAMETER, r) < 0)
		return r;
	count = json_object_get(rq, "count");
	q->count = count ? (long)json_integer_value(count) : 1;
	q->overrides = json_object_get(rq, "overrides");
	q->started_by = opt_str(rq, "startedBy");
	q->group = opt_str(rq, "group");
	q->kept = kept_fields(rq);
	if (!opt_str(rq, "launchType") && !json_object_get(rq, "capacityProviderStrategy")) {
		json_t *cps = ecsfs__cluster_default_strategy(t->store, cluster);
		if (cps && !q->kept)
			q->kept = json_object();
		if (cps)
			json_object_set_new(q->kept, "capacityProviderStrategy", cps);
	}
	return read_aliases(l->aliases, q, err);
}

/* ---- the task definition it starts from ---- */

static int not_registered(const run_req *q, ecsfs_err *err)
{
	if (q->revision)
		return ecsfs_err_set(err, ECSFS_E_CLIENT, -ENOENT,
				     "taskDefinition: %s:%lld is not registered", q->family,
				     (long long)q->revision);
	return ecsfs_err_set(err, ECSFS_E_CLIENT, -ENOENT,
			     "taskDefinition: family %s has no ACTIVE revision; register "
			     "one in spec/taskdefs/%s.json",
			     q->family, q->family);
}

/* The registered document a request starts from, overrides applied. */
static int resolve(ecsfs_tasks *t, run_req *q, json_t **doc, ecsfs_err *err)
{
	ecsfs_taskdef_row row;
	json_t *d;
	int r;

	ecsfs_taskdef_row_init(&row);
	r = ecsfs_store_taskdef_get(t->store, q->family, q->revision, &row);
	if (r == -ENOENT) {
		not_registered(q, err);
		goto out;
	}
	if (r < 0) {
		ecsfs_err_set(err, ECSFS_E_SERVER, r, "cannot read %s: %s", q->family,
			      ecsfs_store_last_error(t->store));
		goto out;
	}
	if (!row.active) {
		r = ecsfs_err_set(err, ECSFS_E_CLIENT, -EINVAL,
				  "taskDefinition: %s:%lld is INACTIVE (deregistered): new tasks "
				  "cannot start from it",
				  q->family, (long long)row.revision);
		goto out;
	}
	q->revision = row.revision;
	if (!(d = json_loads(row.canonical.data, 0, NULL))) {
		r = ecsfs_err_set(err, ECSFS_E_SERVER, -EIO,
				  "%s:%lld: stored document is unreadable", q->family,
				  (long long)row.revision);
		goto out;
	}
	if (q->overrides) {
		r = ecsfs_launch_apply_overrides(d, q->overrides, &err->msg);
		if (ecsfs_err_from(err, ECSFS_E_INVALID_PARAMETER, r) < 0) {
			json_decref(d);
			goto out;
		}
	}
	*doc = d;
	r = 0;
out:
	ecsfs_taskdef_row_release(&row);
	return r;
}

/* The request's tags, and with propagateTags TASK_DEFINITION the
 * revision's (the request's win). */
static void gather_tags(ecsfs_tasks *t, const json_t *rq, run_req *q)
{
	const char *prop = opt_str(rq, "propagateTags");
	json_t *own = json_object_get(rq, "tags"), *td = NULL, *e;
	ecsfs_buf arn = ECSFS_BUF_INIT;
	size_t i;

	q->tags = json_array();
	if (prop && strcmp(prop, "TASK_DEFINITION") == 0) {
		ecsfs_arn(&arn, "ecs", "task-definition/%s:%lld", q->family,
			  (long long)q->revision);
		if (ecsfs_tags_get(t->store, arn.data, &td) == 0)
			json_array_extend(q->tags, td);
		json_decref(td);
	}
	json_array_foreach(own, i, e)
		json_array_append(q->tags, e);
	ecsfs_buf_release(&arn);
}

/* Put the tags on each new task (inside the transaction that makes them). */
static int tag_tasks(ecsfs_tasks *t, const run_req *q, struct task **made, long n, ecsfs_err *err)
{
	ecsfs_buf arn = ECSFS_BUF_INIT;
	int r = 0;

	for (long i = 0; i < n && r == 0 && json_array_size(q->tags); i++) {
		ecsfs_buf_reset(&arn);
		ecsfs_arn(&arn, "ecs", "task/%s/%s", made[i]->cluster, made[i]->id);
		r = ecsfs_tags_put(t->store, arn.data, q->tags, err);
	}
	ecsfs_buf_release(&arn);
	return r;
}

static int prepare(ecsfs_tasks *t, const char *cluster, const ecsfs_task_launch *l, run_req *q,
		   json_t **doc, ecsfs_err *err)
{
	int r = read_request(t, cluster, l, q, err);

	if (r == 0 && (r = resolve(t, q, doc, err)) == 0)
		gather_tags(t, l->request, q);
	return r;
}

int ecsfs_tasks_start_check(ecsfs_tasks *t, const char *cluster, const ecsfs_task_launch *l,
			    ecsfs_err *err)
{
	run_req q;
	json_t *doc = NULL;
	int r = prepare(t, cluster, l, &q, &doc, err);

	json_decref(doc);
	run_req_release(&q);
	return r;
}

/* ---- making the tasks ---- */

static size_t count_live(ecsfs_tasks *t)
{
	size_t n = 0;
	for (size_t i = 0; i < t->n; i++)
		n += t->v[i]->last != T_STOPPED;
	return n;
}

static void new_id(char out[33])
{
	unsigned char raw[16];

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
		/* getrandom on a booted kernel does not fail for 16 bytes */
		for (int i = 0; i < 16; i++)
			raw[i] = (unsigned char)rand();
	}
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

/* One new task of the request, in memory (not stored yet). */
static struct task *new_task(ecsfs_tasks *t, const char *cluster, const run_req *q,
			     const json_t *doc)
{
	struct task *k = ecsfs__task_alloc(t);

	new_id(k->id);
	k->cluster = ecsfs__xstrdup(cluster);
	k->family = ecsfs__xstrdup(q->family);
	k->revision = q->revision;
	k->taskdef = ecsfs__task_intern(t, q->family, q->revision, json_deep_copy(doc));
	k->overrides = json_incref((json_t *)q->overrides);
	k->started_by = ecsfs__xstrdup(q->started_by);
	if (q->group) {
		k->group = ecsfs__xstrdup(q->group);
	} else {
		ecsfs_buf g = ECSFS_BUF_INIT;
		ecsfs_buf_addf(&g, "family:%s", q->family);
		k->group = ecsfs_buf_detach(&g, NULL);
	}
	k->aliases = json_incref(q->aliases);
	k->kept = json_incref(q->kept);
	k->desired_running = true;
	k->last = T_PROVISIONING;
	k->created_ns = ecsfs_now_ns();
	k->needs_pause = ecsfs_launch_needs_pause(k->taskdef);
	return k;
}

/* Store `q->count` new tasks in one transaction: all or none. */
static int store_tasks(ecsfs_tasks *t, const char *cluster, const run_req *q, const json_t *doc,
		       const char *const *where, struct task **made, ecsfs_err *err)
{
	long n;
	int r;

	if ((r = ecsfs_store_begin(t->store)) < 0)
		goto fault;
	for (n = 0; n < q->count; n++) {
		struct task *k = new_task(t, cluster, q, doc);

		ecsfs__task_set_provider(k, json_string_value(json_array_get(q->providers, n)));
		made[n] = k;
		k->instance = ecsfs__xstrdup(where[n]);
		if (ecsfs__task_make_containers(k) < 0) {
			r = ecsfs_err_set(err, ECSFS_E_SERVER, -EIO,
					  "%s:%lld: a container definition has no name", q->family,
					  (long long)q->revision);
			n++;
			goto undo;
		}
		if ((r = ecsfs__task_persist(k)) < 0) {
			n++;
			goto undo;
		}
	}
	if ((r = tag_tasks(t, q, made, n, err)) < 0)
		goto undo;
	/* the event lines go with the rows: both or neither */
	for (long i = 0; i < n; i++)
		ecsfs__task_event(made[i], "started from %s:%lld%s%s.", made[i]->family,
				  (long long)made[i]->revision, made[i]->started_by ? " by " : "",
				  made[i]->started_by ? made[i]->started_by : "");
	if ((r = ecsfs_store_commit(t->store)) < 0)
		goto free;
	return 0;
undo:
	ecsfs_store_rollback(t->store);
free:
	for (long i = 0; i < n; i++)
		ecsfs__task_free(made[i]);
fault:
	if (err->code == 0)
		ecsfs_err_set(err, ECSFS_E_SERVER, r, "cannot record the tasks: %s",
			      ecsfs_store_last_error(t->store));
	return r;
}

static size_t containers_of(const json_t *doc)
{
	return json_array_size(json_object_get(doc, "containerDefinitions"));
}

/*
 * The instance of each task: where the container instances' placer puts
 * it (instance_place.c), else on local by RunTask's own check of it
 * (task_place.c). Tasks that fit nowhere are left out (q->count shrinks)
 * and are RunTask's `failures` when the caller takes them; without that,
 * none placed is an error in placement's words.
 */
static int place_tasks(ecsfs_tasks *t, const char *cluster, const ecsfs_task_launch *l, run_req *q,
		       const json_t *doc, const char **where, json_t **failures, ecsfs_err *err)
{
	ecsfs_task_batch b = {.taskdef = doc,
			      .family = q->family,
			      .revision = q->revision,
			      .group = q->group,
			      .request = q->kept,
			      .count = (size_t)q->count};
	const char *provider[ECSFS_RUN_MAX_COUNT];
	ecsfs_buf why = ECSFS_BUF_INIT;
	json_t *f = NULL;
	long n = 0;
	int r;

	if (!t->place) {
		for (long i = 0; i < q->count; i++)
			where[i] = NULL;
		return failures
			   ? ecsfs__task_place(t, cluster, l->request, q->kept, doc, q->group,
					       q->family, &q->count, failures, &q->providers, err)
			   : 0;
	}
	r = ecsfs__tasks_place(t, cluster, &b, where, provider, &f, &why, err);
	if (r == 0)
		q->providers = json_array();
	for (long i = 0; r == 0 && i < q->count; i++) {
		if (!where[i])
			continue;
		where[n++] = where[i];
		json_array_append_new(q->providers,
				      provider[i] ? json_string(provider[i]) : json_null());
	}
	if (r == 0 && n == 0 && !failures)
		r = ecsfs_err_set(err, ECSFS_E_CLIENT, -ENOSPC, "%s",
				  why.len ? why.data : "no container instance can take the task");
	if (r == 0)
		q->count = n;
	if (r == 0 && failures)
		*failures = f ? json_incref(f) : json_array();
	json_decref(f);
	ecsfs_buf_release(&why);
	return r;
}

static int start(ecsfs_tasks *t, const char *cluster, const ecsfs_task_launch *l, json_t **ids,
		 json_t **failures, ecsfs_err *err)
{
	struct task *made[ECSFS_RUN_MAX_COUNT];
	const char *where[ECSFS_RUN_MAX_COUNT];
	run_req q;
	json_t *doc = NULL, *out;
	int r;

	if ((r = prepare(t, cluster, l, &q, &doc, err)) < 0)
		goto out;
	if (count_live(t) + (size_t)q.count > ECSFS_TASKS_MAX) {
		r = ecsfs_err_set(err, ECSFS_E_LIMIT_EXCEEDED, -EAGAIN,
				  "run: %zu tasks are not STOPPED yet; the limit is %d",
				  count_live(t), ECSFS_TASKS_MAX);
		goto out;
	}
	if ((r = place_tasks(t, cluster, l, &q, doc, where, failures, err)) < 0 ||
	    (r = ecsfs__tasks_fd_check(t, containers_of(doc), q.count, err)) < 0 ||
	    (r = store_tasks(t, cluster, &q, doc, where, made, err)) < 0)
		goto out;
	out = json_array();
	for (long i = 0; i < q.count; i++) {
		struct task *k = made[i];

		ecsfs__tasks_add(t, k);
		json_array_append_new(out, json_string(k->id));
		ecsfs__task_changed(k);
		ecsfs__task_drive(k);
	}
	*ids = out;
out:
	json_decref(doc);
	run_req_release(&q);
	return r;
}

int ecsfs_tasks_start(ecsfs_tasks *t, const char *cluster, const ecsfs_task_launch *l, json_t **ids,
		      ecsfs_err *err)
{
	return start(t, cluster, l, ids, NULL, err);
}

int ecsfs_tasks_start_placed(ecsfs_tasks *t, const char *cluster, const ecsfs_task_launch *l,
			     json_t **ids, json_t **failures, ecsfs_err *err)
{
	return start(t, cluster, l, ids, failures, err);
}

/* ---- the text of a `run` write ---- */

static bool looks_json(const char *data, size_t len)
{
	size_t i = 0;
	while (i < len && strchr(" \t\r\n", data[i]))
		i++;
	return i < len && data[i] == '{';
}

/* Split one line into at most two words; -EINVAL for anything else. */
static int line_words(char *buf, char *words[2], size_t *n, ecsfs_err *err)
{
	char *save = NULL, *w;

	for (char *p = buf; *p; p++)
		if (*p == '\n' && p[1] != '\0' && strspn(p, " \t\r\n") != strlen(p))
			return bad(err, "run: write one line, \"family[:revision] [count]\", or "
					"one RunTask JSON object");
	*n = 0;
	for (w = strtok_r(buf, " \t\r\n", &save); w; w = strtok_r(NULL, " \t\r\n", &save)) {
		if (*n == 2)
			return bad(err, "run: unexpected '%s': write \"family[:revision] [count]\"",
				   w);
		words[(*n)++] = w;
	}
	if (*n == 0)
		return bad(err, "run: empty: write \"family[:revision] [count]\"");
	return 0;
}

/* "family[:rev] [count]", blanks around, one line: as a request. */
static int parse_line(const char *data, size_t len, json_t **out, ecsfs_err *err)
{
	char buf[600], *words[2], *end;
	size_t n = 0;
	long long c = 1;
	int r;

	if (len >= sizeof(buf))
		return bad(err, "a run line is at most %zu bytes", sizeof(buf) - 1);
	memcpy(buf, data, len);
	buf[len] = '\0'; /* the request has no NUL byte (checked) */
	if ((r = line_words(buf, words, &n, err)) < 0)
		return r;
	if (n == 2) {
		errno = 0;
		c = strtoll(words[1], &end, 10);
		if (*end || errno || words[1][0] == '+')
			return bad(err, "count: '%s' is not a whole number", words[1]);
	}
	/* jansson takes only UTF-8: a family of other bytes names nothing */
	*out = json_pack("{s:s, s:I}", "taskDefinition", words[0], "count", (json_int_t)c);
	if (!*out)
		return bad(err, "taskDefinition: not a name (the bytes are not UTF-8 text)");
	return 0;
}

/* While a plain append is under way: is the text whole yet? */
static int partial_ready(const char *data, size_t len, bool *ready, ecsfs_err *err)
{
	json_t *doc;
	size_t i = 0;

	*ready = false;
	while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
		i++;
	if (i == len)
		return 0; /* blanks only, so far: a line or an object may follow */
	if (!looks_json(data, len)) {
		*ready = memchr(data, '\n', len) != NULL; /* the line is finished */
		return 0;
	}
	if (!ecsfs_json_prefix_ok(data, len)) {
		int r = ecsfs_json_parse_object(data, len, &doc, &err->msg);
		if (r == 0) {
			json_decref(doc);
			return 0;
		}
		return ecsfs_err_from(err, ECSFS_E_INVALID_PARAMETER, -EINVAL);
	}
	/* a complete object is judged now; otherwise wait */
	doc = json_loadb(data, len, JSON_DISABLE_EOF_CHECK, NULL);
	*ready = doc != NULL;
	json_decref(doc);
	return 0;
}

int ecsfs_tasks_run_request(const char *data, size_t len, bool partial, json_t **request,
			    ecsfs_err *err)
{
	bool ready = true;
	int r;

	if (len > ECSFS_RUN_MAX)
		return bad(err, "run: at most %d bytes", ECSFS_RUN_MAX);
	if (memchr(data, '\0', len))
		return bad(err, "run: expected text, found a NUL byte");
	if (partial && ((r = partial_ready(data, len, &ready, err)) < 0 || !ready)) {
		if (r == 0)
			*request = NULL;
		return r;
	}
	if (!looks_json(data, len))
		return parse_line(data, len, request, err);
	r = ecsfs_json_parse_object(data, len, request, &err->msg);
	return ecsfs_err_from(err, ECSFS_E_INVALID_PARAMETER, r);
}

int ecsfs_tasks_run_check(ecsfs_tasks *t, const char *cluster, const char *data, size_t len,
			  bool partial, ecsfs_err *err)
{
	json_t *rq = NULL;
	int r = ecsfs_tasks_run_request(data, len, partial, &rq, err);

	if (r == 0 && rq) {
		ecsfs_task_launch l = {.request = rq};
		r = ecsfs_tasks_start_check(t, cluster, &l, err);
	}
	json_decref(rq);
	return r;
}

int ecsfs_tasks_run(ecsfs_tasks *t, const char *cluster, const char *data, size_t len,
		    ecsfs_buf *ids, ecsfs_buf *why)
{
	ecsfs_err err = ECSFS_ERR_INIT;
	json_t *rq = NULL, *made = NULL, *v;
	size_t i;
	int r = ecsfs_tasks_run_request(data, len, false, &rq, &err);

	if (r == 0) {
		ecsfs_task_launch l = {.request = rq};
		r = ecsfs_tasks_start(t, cluster, &l, &made, &err);
	}
	json_array_foreach(made, i, v)
		ecsfs_buf_addf(ids, "%s\n", json_string_value(v));
	if (r < 0)
		ecsfs_buf_setf(why, "%s", err.msg.data);
	json_decref(made);
	json_decref(rq);
	ecsfs_err_release(&err);
	return r;
}
