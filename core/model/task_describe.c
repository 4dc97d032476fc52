/*
 * ecsfs — tasks: what is read of them. The scheduler's view (foreach),
 * listings, task.json in describe-tasks shape, the status files, where a
 * container port is reached, and the captured logs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ecsfs/launch.h"
#include "ecsfs/tag.h"
#include "ecsfs/util.h"
#include "task_private.h"

static const char *const ctr_state_names[] = {
    [C_PENDING] = "PENDING",
    [C_CREATED] = "PENDING",
    [C_RUNNING] = "RUNNING",
    [C_STOPPED] = "STOPPED",
};

/* ---- reading ---- */

static const char *task_health(const struct task *k);

int ecsfs_tasks_foreach(ecsfs_tasks *t, const char *cluster, const char *group,
			ecsfs_tasks_info_cb cb, void *data)
{
	size_t ng = 0;
	/* a group's tasks come from its index, in the same order (the
	 * callbacks only read: nothing is added or removed meanwhile) */
	struct task *const *g = group ? ecsfs__tasks_of_group(t, cluster, group, &ng) : NULL;

	for (size_t i = 0; i < (group ? ng : t->n); i++) {
		struct task *k = group ? g[i] : t->v[i];
		ecsfs_task_info in = {0};
		int r;

		if (strcmp(k->cluster, cluster) != 0)
			continue;
		in.id = k->id;
		in.started_by = k->started_by ? k->started_by : "";
		in.family = k->family;
		in.revision = k->revision;
		in.last_status = ecsfs__task_state_name(k->last);
		in.desired_running = k->desired_running;
		in.health = task_health(k);
		for (size_t j = 0; j < k->nc; j++)
			in.has_health_check =
			    in.has_health_check ||
			    (k->c[j].essential && json_object_get(k->c[j].def, "healthCheck"));
		in.created_ns = k->created_ns;
		in.started_ns = k->started_ns;
		in.stopped_ns = k->stopped_ns;
		in.stop_code = k->stop_code;
		in.stopped_reason = k->stopped_reason;
		in.address = k->address ? k->address : "";
		in.group = k->group ? k->group : "";
		in.launch_type = ecsfs__task_launch_type(k);
		in.instance = k->instance ? k->instance : "local";
		in.protected_ns = k->protected_ns;
		if ((r = cb(data, &in)) != 0)
			return r < 0 ? r : 0;
	}
	return 0;
}

int ecsfs_tasks_list(ecsfs_tasks *t, const char *cluster, ecsfs_tasks_name_cb cb, void *data)
{
	for (size_t i = 0; i < t->n; i++) {
		int r;
		if (strcmp(t->v[i]->cluster, cluster) == 0 && (r = cb(data, t->v[i]->id)) != 0)
			return r < 0 ? r : 0;
	}
	return 0;
}

int ecsfs_tasks_exists(ecsfs_tasks *t, const char *cluster, const char *id, const char *container)
{
	struct task *k = ecsfs__task_find_in(t, cluster, id);
	if (!k)
		return -ENOENT;
	return !container || ecsfs__task_ctr(k, container) ? 0 : -ENOENT;
}

int ecsfs_tasks_containers(ecsfs_tasks *t, const char *cluster, const char *id,
			   ecsfs_tasks_name_cb cb, void *data)
{
	struct task *k = ecsfs__task_find_in(t, cluster, id);
	if (!k)
		return -ENOENT;
	for (size_t i = 0; i < k->nc; i++) {
		int r = cb(data, k->c[i].name);
		if (r)
			return r < 0 ? r : 0;
	}
	return 0;
}

void ecsfs_tasks_counts(ecsfs_tasks *t, const char *cluster, unsigned *pending, unsigned *running,
			unsigned *stopped)
{
	*pending = *running = *stopped = 0;
	for (size_t i = 0; i < t->n; i++) {
		struct task *k = t->v[i];
		if (strcmp(k->cluster, cluster) != 0)
			continue;
		if (k->last == T_STOPPED)
			(*stopped)++;
		else if (k->last == T_RUNNING)
			(*running)++;
		else if (k->last < T_RUNNING)
			(*pending)++;
	}
}

/* A task's health: UNHEALTHY when an essential container with a health
 * check is, HEALTHY when all of those are, else UNKNOWN. */
static const char *task_health(const struct task *k)
{
	bool any = false, all = true;

	for (size_t i = 0; i < k->nc; i++) {
		const struct ctr *c = &k->c[i];
		if (!c->essential || !json_object_get(c->def, "healthCheck"))
			continue;
		any = true;
		if (strcmp(c->health, "UNHEALTHY") == 0)
			return "UNHEALTHY";
		if (strcmp(c->health, "HEALTHY") != 0)
			all = false;
	}
	return any && all ? "HEALTHY" : "UNKNOWN";
}

static const char *kept_str(const struct task *k, const char *key)
{
	return json_string_value(json_object_get(k->kept, key));
}

/* The capacity provider a task was placed with (the strategy's first). */
static const char *capacity_provider(const struct task *k)
{
	json_t *cps = json_object_get(k->kept, "capacityProviderStrategy");
	return json_string_value(json_object_get(json_array_get(cps, 0), "capacityProvider"));
}

const char *ecsfs__task_launch_type(const struct task *k)
{
	const char *lt = kept_str(k, "launchType"), *cp = capacity_provider(k);

	if (lt)
		return lt;
	if (cp && strncmp(cp, "FARGATE", 7) == 0)
		return "FARGATE";
	return "EC2";
}

/* launchType, capacityProviderName, platformVersion and platformFamily as
 * ECS shows them for the task's launch type. */
static void describe_launch(const struct task *k, json_t *o)
{
	const char *lt = ecsfs__task_launch_type(k), *pv = kept_str(k, "platformVersion");

	json_object_set_new(o, "launchType", json_string(lt));
	put_str(o, "capacityProviderName", capacity_provider(k));
	if (strcmp(lt, "FARGATE") == 0) {
		json_object_set_new(o, "platformVersion",
				    json_string(pv && strcmp(pv, "LATEST") != 0 ? pv : "1.4.0"));
		json_object_set_new(o, "platformFamily", json_string("Linux"));
	}
}

static void task_arn(const struct task *k, ecsfs_buf *out)
{
	ecsfs_arn(out, "ecs", "task/%s/%s", k->cluster, k->id);
}

static json_t *num_string(const json_t *v)
{
	if (json_is_string(v))
		return json_string(json_string_value(v));
	if (json_is_integer(v)) {
		char b[32];
		snprintf(b, sizeof(b), "%lld", (long long)json_integer_value(v));
		return json_string(b);
	}
	return NULL;
}

static json_t *container_bindings(const struct task *k, const struct ctr *c)
{
	json_t *out = json_array(), *pm = json_object_get(c->def, "portMappings");
	size_t i;
	json_t *m;

	json_array_foreach(pm, i, m) {
		json_int_t port = json_integer_value(json_object_get(m, "containerPort"));
		const char *proto = json_string_value(json_object_get(m, "protocol"));
		char key[32];
		json_t *b;

		snprintf(key, sizeof(key), "%lld/%s", (long long)port, proto ? proto : "tcp");
		b = json_object_get(k->bindings, key);
		if (!k->needs_pause && k->last >= T_RUNNING && k->last < T_STOPPED) {
			/* host mode: the container binds the host's port itself */
			json_int_t hp = json_integer_value(json_object_get(m, "hostPort"));
			json_t *nb =
			    json_pack("{s:s, s:I, s:I, s:s}", "bindIP", "0.0.0.0", "containerPort",
				      (json_int_t)port, "hostPort", hp ? hp : (json_int_t)port,
				      "protocol", proto ? proto : "tcp");
			json_array_append_new(out, nb);
			continue;
		}
		if (!json_is_object(b))
			continue;
		json_t *nb = json_object();
		json_object_set_new(
		    nb, "bindIP",
		    json_string(json_string_value(json_object_get(b, "hostIp")) ?: "0.0.0.0"));
		json_object_set_new(nb, "containerPort", json_integer(port));
		json_object_set(nb, "hostPort", json_object_get(b, "hostPort"));
		json_object_set_new(nb, "protocol", json_string(proto ? proto : "tcp"));
		json_array_append_new(out, nb);
	}
	return out;
}

/* The portMapping of container `c` for container port `port`, or NULL. */
static const json_t *port_mapping(const struct ctr *c, int port)
{
	const json_t *pm = json_object_get(c->def, "portMappings"), *m;
	size_t i;

	json_array_foreach(pm, i, m)
		if (json_integer_value(json_object_get(m, "containerPort")) == port)
			return m;
	return NULL;
}

int ecsfs_tasks_target(ecsfs_tasks *t, const char *cluster, const char *id, const char *container,
		       int container_port, char addr[64], int *port)
{
	struct task *k = ecsfs__task_find_in(t, cluster, id);
	struct ctr *c = k ? ecsfs__task_ctr(k, container) : NULL;
	const json_t *m = c ? port_mapping(c, container_port) : NULL;
	const char *proto;
	json_int_t hp;
	char key[32];

	if (!m)
		return -ENOENT;
	if (k->last != T_RUNNING || !k->desired_running)
		return -EAGAIN;
	if (k->address) { /* the task's own address: its ports are its own */
		snprintf(addr, 64, "%s", k->address);
		*port = container_port;
		return 0;
	}
	hp = json_integer_value(json_object_get(m, "hostPort"));
	if (k->needs_pause) {
		proto = json_string_value(json_object_get(m, "protocol"));
		snprintf(key, sizeof(key), "%d/%s", container_port, proto ? proto : "tcp");
		hp = json_integer_value(
		    json_object_get(json_object_get(k->bindings, key), "hostPort"));
		if (hp <= 0)
			return -EAGAIN;
	}
	snprintf(addr, 64, "%s", ecsfs__task_host_address(k));
	*port = hp > 0 ? (int)hp : container_port;
	return 0;
}

static void set_num(json_t *o, const char *key, const json_t *v, const char *dflt)
{
	json_t *n = num_string(v);

	if (!n && dflt)
		n = json_string(dflt);
	if (n)
		json_object_set_new(o, key, n);
}

/* ---- awsvpc: the task's own network interface ---- */

/* The attachment's id: the task's id in the shape of a UUID. */
static void attachment_id(const struct task *k, char out[37])
{
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", k->id, k->id + 8, k->id + 12, k->id + 16,
		 k->id + 20);
}

static const char *eni_str(const json_t *eni, const char *key)
{
	return json_string_value(json_object_get(eni, key));
}

/* ECS's attachment states, as far as an engine endpoint has them. */
static const char *attachment_status(const struct task *k)
{
	if (k->last == T_STOPPED)
		return "DELETED";
	if (k->detached)
		return "DETACHED";
	return k->eni ? "ATTACHED" : "PRECREATED";
}

/* {"name", "value"}: `prefix` and (take > 0) the first `take` bytes of value. */
static void detail(json_t *list, const char *name, const char *prefix, const char *value, int take)
{
	if (!value || !*value)
		return;
	json_array_append_new(
	    list,
	    json_pack("{s:s, s:o}", "name", name, "value",
		      json_sprintf("%s%.*s", prefix, take ? take : (int)strlen(value), value)));
}

static json_t *describe_attachments(const struct task *k)
{
	json_t *list = json_array(), *details, *eni;
	char id[37];

	if (!ecsfs_launch_own_address(k->taskdef))
		return list;
	attachment_id(k, id);
	details = json_array();
	eni = ecsfs__task_eni(k);
	/* AWS's ids are a prefix and 17 hex digits; the engine's are longer */
	detail(details, "subnetId", "subnet-", eni_str(eni, "networkId"), 17);
	detail(details, "networkInterfaceId", "eni-", eni_str(eni, "endpointId"), 17);
	detail(details, "macAddress", "", eni_str(eni, "mac"), 0);
	json_decref(eni);
	detail(details, "privateIPv4Address", "", k->address, 0);
	json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:o}", "id", id, "type",
					      "ElasticNetworkInterface", "status",
					      attachment_status(k), "details", details));
	return list;
}

static json_t *network_interfaces(const struct task *k)
{
	char id[37];

	if (!k->address || !ecsfs_launch_own_address(k->taskdef))
		return json_array();
	attachment_id(k, id);
	return json_pack("[{s:s, s:s}]", "attachmentId", id, "privateIpv4Address", k->address);
}

/* One element of the task's containers[]. */
static json_t *describe_container(const struct task *k, const struct ctr *c, const char *task_arn)
{
	json_t *j = json_object();

	json_object_set_new(
	    j, "containerArn",
	    ecsfs_arn_json("ecs", "container/%s/%s/%s", k->cluster, k->id, c->name));
	json_object_set_new(j, "taskArn", json_string(task_arn));
	json_object_set_new(j, "name", json_string(c->name));
	json_object_set(j, "image", json_object_get(c->def, "image"));
	put_str(j, "runtimeId", c->runtime_id);
	json_object_set_new(j, "lastStatus", json_string(ctr_state_names[c->state]));
	if (c->has_exit)
		json_object_set_new(j, "exitCode", json_integer(c->exit_code));
	put_str(j, "reason", c->reason);
	json_object_set_new(j, "healthStatus", json_string(c->health));
	json_object_set_new(j, "essential", json_boolean(c->essential));
	json_object_set_new(j, "networkBindings", container_bindings(k, c));
	json_object_set_new(j, "networkInterfaces", network_interfaces(k));
	set_num(j, "cpu", json_object_get(c->def, "cpu"), "0");
	set_num(j, "memory", json_object_get(c->def, "memory"), NULL);
	set_num(j, "memoryReservation", json_object_get(c->def, "memoryReservation"), NULL);
	return j;
}

static void describe_times(const struct task *k, json_t *o)
{
	for (size_t i = 0; i < ECSFS__TASK_TIMES; i++)
		ecsfs_json_set_time(o, ecsfs__task_times[i].described, ecsfs__task_time(k, i));
}

static json_t *describe_task(const struct task *k)
{
	ecsfs_buf arn = ECSFS_BUF_INIT;
	json_t *o = json_object(), *cs = json_array(), *tags = NULL;

	task_arn(k, &arn);
	json_object_set_new(o, "taskArn", json_string(arn.data));
	json_object_set_new(o, "attachments", describe_attachments(k));
	json_object_set_new(o, "clusterArn", ecsfs_arn_json("ecs", "cluster/%s", k->cluster));
	json_object_set_new(o, "containerInstanceArn",
			    ecsfs_arn_json("ecs", "container-instance/%s/%s", k->cluster,
					   k->instance ? k->instance : "local"));
	json_object_set_new(
	    o, "taskDefinitionArn",
	    ecsfs_arn_json("ecs", "task-definition/%s:%lld", k->family, (long long)k->revision));
	json_object_set_new(o, "lastStatus", json_string(ecsfs__task_state_name(k->last)));
	json_object_set_new(o, "desiredStatus",
			    json_string(k->desired_running ? "RUNNING" : "STOPPED"));
	json_object_set_new(o, "healthStatus", json_string(task_health(k)));
	describe_launch(k, o);
	json_object_set_new(o, "availabilityZone", json_string(ecsfs_arn_region()));
	json_object_set_new(
	    o, "connectivity",
	    json_string(k->pause_running || !k->needs_pause ? "CONNECTED" : "DISCONNECTED"));
	set_num(o, "cpu", json_object_get(k->taskdef, "cpu"), NULL);
	set_num(o, "memory", json_object_get(k->taskdef, "memory"), NULL);
	describe_times(k, o);
	put_str(o, "stopCode", k->stop_code);
	put_str(o, "stoppedReason", k->stopped_reason);
	put_str(o, "startedBy", k->started_by);
	put_str(o, "group", k->group);
	json_object_set_new(
	    o, "enableExecuteCommand",
	    json_boolean(json_is_true(json_object_get(k->kept, "enableExecuteCommand"))));
	json_object_set_new(o, "version", json_integer(k->version));
	if (k->overrides)
		json_object_set(o, "overrides", k->overrides);
	else
		json_object_set_new(o, "overrides", json_pack("{s:[]}", "containerOverrides"));
	if (ecsfs_tags_get(k->owner->store, arn.data, &tags) < 0)
		tags = json_array();
	json_object_set_new(o, "tags", tags);
	for (size_t i = 0; i < k->nc; i++)
		json_array_append_new(cs, describe_container(k, &k->c[i], arn.data));
	json_object_set_new(o, "containers", cs);
	ecsfs_buf_release(&arn);
	return o;
}

int ecsfs_tasks_describe(ecsfs_tasks *t, const char *cluster, const char *id, json_t **out)
{
	struct task *k = ecsfs__task_find_in(t, cluster, id);

	if (!k)
		return -ENOENT;
	*out = describe_task(k);
	return 0;
}

static void line_time(ecsfs_buf *out, const char *key, int64_t ns)
{
	char iso[32];
	if (!ns)
		return;
	ecsfs_time_iso(ns, iso);
	ecsfs_buf_addf(out, "%s: %s\n", key, iso);
}

static void ctr_status(const struct ctr *c, ecsfs_buf *out)
{
	ecsfs_buf_addf(out, "name: %s\n", c->name);
	ecsfs_buf_addf(out, "image: %s\n", json_string_value(json_object_get(c->def, "image")));
	ecsfs_buf_addf(out, "essential: %s\n", c->essential ? "true" : "false");
	ecsfs_buf_addf(out, "last_status: %s\n", ctr_state_names[c->state]);
	ecsfs_buf_addf(out, "health: %s\n", c->health);
	if (c->has_exit)
		ecsfs_buf_addf(out, "exit_code: %d\n", c->exit_code);
	if (c->reason)
		ecsfs_buf_addf(out, "reason: %s\n", c->reason);
	if (c->runtime_id)
		ecsfs_buf_addf(out, "runtime_id: %s\n", c->runtime_id);
	line_time(out, "started_at", c->started_ns);
	line_time(out, "finished_at", c->finished_ns);
	ecsfs_buf_addf(out, "log_bytes: %llu\n", (unsigned long long)c->log_bytes);
}

int ecsfs_tasks_status(ecsfs_tasks *t, const char *cluster, const char *id, const char *container,
		       ecsfs_buf *out)
{
	struct task *k = ecsfs__task_find_in(t, cluster, id);
	struct ctr *c;

	if (!k)
		return -ENOENT;
	if (container) {
		if (!(c = ecsfs__task_ctr(k, container)))
			return -ENOENT;
		ctr_status(c, out);
		return 0;
	}
	ecsfs_buf_addf(out, "task: %s\n", k->id);
	ecsfs_buf_addf(out, "cluster: %s\n", k->cluster);
	ecsfs_buf_addf(out, "task_definition: %s:%lld\n", k->family, (long long)k->revision);
	ecsfs_buf_addf(out, "desired_status: %s\n", k->desired_running ? "RUNNING" : "STOPPED");
	ecsfs_buf_addf(out, "last_status: %s\n", ecsfs__task_state_name(k->last));
	ecsfs_buf_addf(out, "health: %s\n", task_health(k));
	if (k->address)
		ecsfs_buf_addf(out, "address: %s\n", k->address);
	if (k->started_by)
		ecsfs_buf_addf(out, "started_by: %s\n", k->started_by);
	line_time(out, "created_at", k->created_ns);
	line_time(out, "started_at", k->started_ns);
	line_time(out, "stopping_at", k->stopping_ns);
	line_time(out, "stopped_at", k->stopped_ns);
	if (k->stop_code)
		ecsfs_buf_addf(out, "stop_code: %s\n", k->stop_code);
	if (k->stopped_reason)
		ecsfs_buf_addf(out, "stopped_reason: %s\n", k->stopped_reason);
	for (size_t i = 0; i < k->nc; i++) {
		c = &k->c[i];
		ecsfs_buf_addf(out, "container %s: %s", c->name, ctr_state_names[c->state]);
		if (c->has_exit)
			ecsfs_buf_addf(out, ", exit code %d", c->exit_code);
		if (strcmp(c->health, "UNKNOWN") != 0)
			ecsfs_buf_addf(out, ", %s", c->health);
		ecsfs_buf_addch(out, '\n');
	}
	return 0;
}

int ecsfs_tasks_log_stat(ecsfs_tasks *t, const char *cluster, const char *id, const char *container,
			 uint64_t *size, struct timespec *mtime)
{
	ecsfs_buf path = ECSFS_BUF_INIT;
	struct stat st;
	int r = ecsfs_tasks_log_path(t, cluster, id, container, &path);

	if (r == 0) {
		*size = 0;
		memset(mtime, 0, sizeof(*mtime));
		if (stat(path.data, &st) == 0) {
			*size = (uint64_t)st.st_size;
			*mtime = st.st_mtim;
		}
	}
	ecsfs_buf_release(&path);
	return r;
}

int ecsfs_tasks_log_read(ecsfs_tasks *t, const char *cluster, const char *id, const char *container,
			 uint64_t off, size_t len, ecsfs_buf *out)
{
	ecsfs_buf path = ECSFS_BUF_INIT;
	int r = ecsfs_tasks_log_path(t, cluster, id, container, &path), fd;
	ssize_t n;
	char *tmp;

	if (r < 0)
		goto out;
	fd = open(path.data, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = errno == ENOENT ? 0 : -errno; /* nothing written yet */
		goto out;
	}
	tmp = malloc(len ? len : 1);
	if (!tmp)
		abort();
	n = pread(fd, tmp, len, (off_t)off);
	if (n < 0)
		r = -errno;
	else
		ecsfs_buf_add(out, tmp, (size_t)n);
	free(tmp);
	close(fd);
out:
	ecsfs_buf_release(&path);
	return r;
}

int ecsfs_tasks_log_path(ecsfs_tasks *t, const char *cluster, const char *id, const char *container,
			 ecsfs_buf *out)
{
	struct task *k = ecsfs__task_find_in(t, cluster, id);

	if (!k || (container && !ecsfs__task_ctr(k, container)))
		return -ENOENT;
	if (container)
		ecsfs_buf_addf(out, "%s/%s/%s.log", t->log_dir, id, container);
	else
		ecsfs_buf_addf(out, "%s/%s/~task.log", t->log_dir, id); /* '~' is in no name */
	return 0;
}
