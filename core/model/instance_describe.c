/*
 * ecsfs — what a container instance looks like: describe-container-
 * instances' shape (instance.json, DescribeContainerInstances) and the
 * status lines. Registered resources come from the engine's /info, what
 * remains is that minus what the instance's tasks reserve.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/arn.h"
#include "ecsfs/placement.h"
#include "ecsfs/util.h"
#include "model/instance_private.h"
#include "model/task_private.h"

/* What the instance's tasks hold. */
typedef struct usage {
	int64_t cpu, mem;
	size_t running, pending;
	json_t *ports; /* array of "80" strings */
} usage;

static bool on(const struct task *k, const char *cluster, const char *name)
{
	return strcmp(k->cluster, cluster) == 0 &&
	       strcmp(k->instance ? k->instance : ECSFS_INSTANCE_LOCAL, name) == 0;
}

static void count(ecsfs_instances *in, const char *cluster, const char *name, usage *u)
{
	ecsfs_tasks *t = in->tasks;

	memset(u, 0, sizeof(*u));
	u->ports = json_array();
	for (size_t i = 0; t && i < t->n; i++) {
		const struct task *k = t->v[i];
		int64_t cpu, mem;
		const char *key;
		json_t *b;

		if (k->last == T_STOPPED || !on(k, cluster, name))
			continue;
		if (k->last == T_RUNNING)
			u->running++;
		else
			u->pending++;
		if (ecsfs_place_size(k->taskdef, &cpu, &mem, NULL, 0, NULL) < 0)
			cpu = mem = 0;
		u->cpu += cpu;
		u->mem += mem;
		json_object_foreach(k->bindings, key, b) {
			char port[16];
			snprintf(port, sizeof(port), "%lld",
				 (long long)json_integer_value(json_object_get(b, "hostPort")));
			json_array_append_new(u->ports, json_string(port));
		}
	}
}

static json_t *int_resource(const char *name, int64_t v)
{
	return json_pack("{s:s, s:s, s:f, s:I, s:I}", "name", name, "type", "INTEGER",
			 "doubleValue", 0.0, "longValue", (json_int_t)0, "integerValue",
			 (json_int_t)v);
}

static json_t *resources(int64_t cpu, int64_t mem, json_t *ports)
{
	json_t *a = json_array();

	json_array_append_new(a, int_resource("CPU", cpu));
	json_array_append_new(a, int_resource("MEMORY", mem));
	json_array_append_new(a, json_pack("{s:s, s:s, s:o}", "name", "PORTS", "type", "STRINGSET",
					   "stringSetValue", ports));
	json_array_append_new(a, json_pack("{s:s, s:s, s:[]}", "name", "PORTS_UDP", "type",
					   "STRINGSET", "stringSetValue"));
	return a;
}

static const char *host_str(const struct ecsfs__inst *e, const char *key, const char *otherwise)
{
	const char *s = json_string_value(json_object_get(e->host, key));
	return s && *s ? s : otherwise;
}

static void set_attr(json_t *attrs, const char *name, const char *value)
{
	size_t i;
	json_t *a;

	json_array_foreach(attrs, i, a) {
		if (strcmp(json_string_value(json_object_get(a, "name")), name) == 0) {
			json_array_remove(attrs, i);
			break;
		}
	}
	json_array_append_new(attrs, value ? json_pack("{s:s, s:s}", "name", name, "value", value)
					   : json_pack("{s:s}", "name", name));
}

json_t *ecsfs__inst_attributes(ecsfs_instances *in, const struct ecsfs__inst *e,
			       const char *cluster)
{
	const char *arch = host_str(e, "Architecture", "x86_64");
	json_t *out = json_array(), *put = NULL, *a;
	char status[16];
	size_t i;

	set_attr(out, "ecs.os-type", host_str(e, "OSType", "linux"));
	set_attr(out, "ecs.cpu-architecture", strcmp(arch, "aarch64") == 0 ? "arm64" : arch);
	set_attr(out, "ecs.availability-zone", "local");
	json_array_foreach(json_object_get(e->doc, "attributes"), i, a)
		set_attr(out, json_string_value(json_object_get(a, "name")),
			 json_string_value(json_object_get(a, "value")));
	ecsfs__inst_row(in, cluster, e->name, status, &put);
	json_array_foreach(put, i, a)
		set_attr(out, json_string_value(json_object_get(a, "name")),
			 json_string_value(json_object_get(a, "value")));
	json_decref(put);
	return out;
}

/* Why the engine does not answer: the client's words (curl's: a refused
 * connection, a certificate not trusted), else why there is no client. */
static void why_away(const struct ecsfs__inst *e, char out[256])
{
	ecsfs_runtime_info info = {0};

	if (e->rt)
		ecsfs_runtime_get_info(e->rt, &info);
	snprintf(out, 256, "%s",
		 info.detail[0] ? info.detail
		 : e->why[0]	? e->why
				: "not probed yet");
}

json_t *ecsfs__inst_describe(ecsfs_instances *in, const struct ecsfs__inst *e, const char *cluster)
{
	int64_t cpu = 1024 * json_integer_value(json_object_get(e->host, "NCPU"));
	int64_t mem = json_integer_value(json_object_get(e->host, "MemTotal")) >> 20;
	const char *provider = json_string_value(json_object_get(e->doc, "capacityProvider"));
	ecsfs_buf arn = ECSFS_BUF_INIT, docker = ECSFS_BUF_INIT;
	char status[16];
	usage u;
	json_t *o;

	count(in, cluster, e->name, &u);
	ecsfs__inst_row(in, cluster, e->name, status, NULL);
	ecsfs_arn(&arn, "ecs", "container-instance/%s/%s", cluster, e->name);
	ecsfs_buf_addf(&docker, "DockerServer: %s", host_str(e, "ServerVersion", "unknown"));
	o = json_pack("{s:s, s:s, s:s, s:b, s:I, s:I, s:I, s:o, s:o, s:o, s:{s:s, s:s}, s:[], "
		      "s:[]}",
		      "containerInstanceArn", arn.data, "ec2InstanceId", e->name, "status", status,
		      "agentConnected", ecsfs__inst_connected(e), "runningTasksCount",
		      (json_int_t)u.running, "pendingTasksCount", (json_int_t)u.pending, "version",
		      (json_int_t)1, "registeredResources", resources(cpu, mem, json_array()),
		      "remainingResources",
		      resources(cpu - u.cpu > 0 ? cpu - u.cpu : 0,
				mem - u.mem > 0 ? mem - u.mem : 0, json_incref(u.ports)),
		      "attributes", ecsfs__inst_attributes(in, e, cluster), "versionInfo",
		      "agentVersion", "ecsfs", "dockerVersion", docker.data, "attachments", "tags");
	json_decref(u.ports);
	if (provider || !e->cluster)
		json_object_set_new(o, "capacityProviderName",
				    json_string(provider ? provider : "FARGATE"));
	if (!ecsfs__inst_connected(e)) {
		char why[256];
		why_away(e, why);
		json_object_set_new(o, "statusReason", json_string(why));
	}
	json_object_set_new(
	    o, "registeredAt",
	    json_real((double)(e->registered_ns ? e->registered_ns : ecsfs_now_ns()) / 1e9));
	ecsfs_buf_release(&arn);
	ecsfs_buf_release(&docker);
	return o;
}

void ecsfs__inst_status(ecsfs_instances *in, const struct ecsfs__inst *e, const char *cluster,
			ecsfs_buf *out)
{
	ecsfs_runtime_info info = {0};
	char status[16];
	usage u;

	if (e->rt)
		ecsfs_runtime_get_info(e->rt, &info);
	count(in, cluster, e->name, &u);
	ecsfs__inst_row(in, cluster, e->name, status, NULL);
	ecsfs_buf_addf(out, "name: %s\nendpoint: %s\nstatus: %s\nagent_connected: %s\n", e->name,
		       e->endpoint ? e->endpoint : "", status, info.reachable ? "true" : "false");
	if (!info.reachable) {
		char why[256];
		why_away(e, why);
		ecsfs_buf_addf(out, "why: %s\n", why);
	}
	if (e->down_since_ns) {
		char when[32];
		ecsfs_time_iso(e->down_since_ns, when);
		ecsfs_buf_addf(out, "down_since: %s\nlost: %s\n", when, e->lost ? "true" : "false");
	}
	ecsfs_buf_addf(out, "engine_version: %s\ncpu: %lld\nmemory_mib: %lld\n",
		       info.version[0] ? info.version : "unknown",
		       (long long)(1024 * json_integer_value(json_object_get(e->host, "NCPU"))),
		       (long long)(json_integer_value(json_object_get(e->host, "MemTotal")) >> 20));
	ecsfs_buf_addf(out, "running_tasks: %zu\npending_tasks: %zu\n", u.running, u.pending);
	json_decref(u.ports);
}
